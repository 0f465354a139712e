-- followup_30d_rate: over completed handovers with date(actual_end) <= as_of - 30 days:
-- share with a followup_visit whose occurred_at is in [actual_end, actual_end + 30 days].
select count(*) filter (where f.has_followup_30d) / nullif(count(*), 0) as value
from handover_facts as f
where f.is_completed
    and cast(f.actual_end as date) <= cast($as_of as date) - interval 30 day
