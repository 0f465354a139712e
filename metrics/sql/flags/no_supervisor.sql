-- no_supervisor: supervisor empty.
select handover_id, 'no supervisor (监交人) recorded' as reason
from handover_facts
where supervisor is null or trim(supervisor) = ''
