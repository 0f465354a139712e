-- mean_duration_days: mean of (actual_end - actual_start) in days (hours / 24), over
-- completed handovers with an actual_start.
select avg(epoch(actual_end - actual_start) / 86400.0) as value
from handover_facts
where is_completed
    and actual_start is not null
