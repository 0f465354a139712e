-- access_revoked_24h_rate: over completed handovers with reason resignation: share with
-- access_revoked at or before actual_end + 24 h.
select count(*) filter (where has_access_revoked_24h) / nullif(count(*), 0) as value
from handover_facts
where is_completed
    and reason = 'resignation'
