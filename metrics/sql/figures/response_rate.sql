-- response_rate: completed handovers with at least one attributed response, / completed.
select count(*) filter (where f.count_responses > 0) / nullif(count(*), 0) as value
from handover_facts as f
where f.is_completed
