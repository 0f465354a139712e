-- not_signed_off: completed, no signed_off_at and no signed_off event.
-- Reason: not_signed_off.
select
    handover_id,
    'not_signed_off' as reason_code,
    '{}' as reason_params
from handover_facts
where is_completed
    and signed_off_at is null
    and not has_signed_off_event
