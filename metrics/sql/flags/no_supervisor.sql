-- no_supervisor: supervisor empty.
select
    handover_id,
    'no supervisor (监交人) recorded' as reason,
    '未记录监交人' as reason_zh
from handover_facts
where supervisor is null or trim(supervisor) = ''
