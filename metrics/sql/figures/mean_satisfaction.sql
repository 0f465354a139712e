-- mean_satisfaction: mean overall_satisfaction of attributed responses (1-5).
select avg(r.overall_satisfaction) as value
from responses as r
where r.is_real
    and r.is_attributed
    and r.handover_id in (select handover_id from handover_facts)
