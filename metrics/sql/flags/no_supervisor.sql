-- no_supervisor: supervisor empty.
-- Reason: no_supervisor.
select
    handover_id,
    'no_supervisor' as reason_code,
    '{}' as reason_params
from handover_facts
where supervisor is null or trim(supervisor) = ''
