-- csat: % of attributed responses having an overall_satisfaction with
-- overall_satisfaction >= 4 (0-100). Responses attributed to a selected handover.
select
    100.0 * count(*) filter (where r.overall_satisfaction >= 4)
    / nullif(count(r.overall_satisfaction), 0) as value
from responses as r
where r.is_real
    and r.is_attributed
    and r.handover_id in (select handover_id from handover_facts)
