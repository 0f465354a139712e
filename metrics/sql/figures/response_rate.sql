-- response_rate: completed handovers with at least one attributed response, / completed.
select count(*) filter (where count_responses > 0) / nullif(count(*), 0) as value
from handover_facts
where is_completed
