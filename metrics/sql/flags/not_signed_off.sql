-- not_signed_off: completed, no signed_off_at and no signed_off event.
select handover_id, 'completed without a sign-off time or a signed_off event' as reason
from handover_facts
where is_completed
    and signed_off_at is null
    and not has_signed_off_event
