-- on_time_rate: completed with date(actual_end) <= planned_end, / completed.
-- A completed handover without a planned_end is counted, and is not on time.
select
    count(*) filter (where cast(actual_end as date) <= planned_end)
    / nullif(count(*), 0) as value
from handover_facts
where is_completed
