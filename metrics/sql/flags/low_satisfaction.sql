-- low_satisfaction: some attributed response with overall_satisfaction <= 2.
-- Reason: low_satisfaction {rating} (the lowest rating, to one decimal, of 5).
select
    handover_id,
    'low_satisfaction' as reason_code,
    cast(json_object('rating', cast(min_satisfaction as decimal(3, 1))) as varchar)
        as reason_params
from handover_facts
where min_satisfaction <= 2
