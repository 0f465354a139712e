-- access_not_revoked: reason resignation, completed, no access_revoked at or before
-- actual_end + 24 h. Critical: forces the band to red.
-- Reason: access_not_revoked {deadline} (actual_end + 24 h, to the minute).
select
    handover_id,
    'access_not_revoked' as reason_code,
    cast(json_object(
        'deadline', strftime(actual_end + interval 24 hour, '%Y-%m-%d %H:%M')
    ) as varchar) as reason_params
from handover_facts
where reason = 'resignation'
    and is_completed
    and not has_access_revoked_24h
