-- access_not_revoked: reason resignation, completed, no access_revoked at or before
-- actual_end + 24 h. Critical: forces the band to red.
select
    handover_id,
    'resignation: access not revoked by '
        || strftime(actual_end + interval 24 hour, '%Y-%m-%d %H:%M') as reason,
    '离职交接：' || strftime(actual_end + interval 24 hour, '%Y-%m-%d %H:%M')
        || ' 前未收回权限' as reason_zh
from handover_facts
where reason = 'resignation'
    and is_completed
    and not has_access_revoked_24h
