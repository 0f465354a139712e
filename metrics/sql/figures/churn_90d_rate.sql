-- churn_90d_rate: over completed handovers with date(actual_end) <= as_of - 90 days: share
-- whose client's terminated_at is in [date(actual_end), date(actual_end) + 90 days].
select
    count(*) filter (
        where client_terminated_at between cast(actual_end as date)
        and cast(actual_end as date) + interval 90 day
    ) / nullif(count(*), 0) as value
from handover_facts
where is_completed
    and cast(actual_end as date) <= cast($as_of as date) - interval 90 day
