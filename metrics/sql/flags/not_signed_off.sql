-- not_signed_off: completed, no signed_off_at and no signed_off event.
select
    handover_id,
    'completed without a sign-off time or a signed_off event' as reason,
    '已完成，但没有签字确认时间，也没有签字确认记录' as reason_zh
from handover_facts
where is_completed
    and signed_off_at is null
    and not has_signed_off_event
