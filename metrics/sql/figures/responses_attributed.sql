-- responses_attributed: of the real responses loaded, those attributed to a handover (the
-- client's latest completed handover with actual_end at or before the submission), counting
-- only handovers selected by the filters.
select count(*) as value
from responses as r
where r.is_real
    and r.is_attributed
    and r.handover_id in (select handover_id from selected_handovers)
