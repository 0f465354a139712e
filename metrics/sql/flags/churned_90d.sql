-- churned_90d: completed, and the client's terminated_at is in
-- [date(actual_end), date(actual_end) + 90 days].
-- Reason: churned_90d {terminated_at, days} (days after the handover's completion).
select
    handover_id,
    'churned_90d' as reason_code,
    cast(json_object(
        'terminated_at', cast(client_terminated_at as varchar),
        'days', date_diff('day', cast(actual_end as date), client_terminated_at)
    ) as varchar) as reason_params
from handover_facts
where is_completed
    and client_terminated_at between cast(actual_end as date)
    and cast(actual_end as date) + interval 90 day
