-- events.handover.known: its handover_id is not among the handovers.
select
    record_key,
    'handover_id' as column_name,
    handover_id as offending_value,
    'no handover has this handover_id' as detail
from {batch}
where handover_id not in (select handover_id from stg_handovers)
