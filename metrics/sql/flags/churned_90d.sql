-- churned_90d: completed, and the client's terminated_at is in
-- [date(actual_end), date(actual_end) + 90 days].
select
    handover_id,
    'client left on ' || cast(client_terminated_at as varchar) || ', '
        || date_diff('day', cast(actual_end as date), client_terminated_at)
        || ' day(s) after the handover' as reason
from handover_facts
where is_completed
    and client_terminated_at between cast(actual_end as date)
                                 and cast(actual_end as date) + interval 90 day
