-- churned_90d: completed, and the client's terminated_at is in
-- [date(actual_end), date(actual_end) + 90 days].
select
    handover_id,
    'client left on ' || cast(client_terminated_at as varchar) || ', '
        || date_diff('day', cast(actual_end as date), client_terminated_at)
        || ' day(s) after the handover' as reason,
    '客户于 ' || cast(client_terminated_at as varchar) || ' 终止服务，交接完成后第 '
        || date_diff('day', cast(actual_end as date), client_terminated_at) || ' 天' as reason_zh
from handover_facts
where is_completed
    and client_terminated_at between cast(actual_end as date)
                                 and cast(actual_end as date) + interval 90 day
