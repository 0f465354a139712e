-- low_satisfaction: some attributed response with overall_satisfaction <= 2.
select
    handover_id,
    'a client rated the handover ' || cast(cast(min_satisfaction as decimal(3, 1)) as varchar)
        || ' of 5' as reason
from handover_facts
where min_satisfaction <= 2
