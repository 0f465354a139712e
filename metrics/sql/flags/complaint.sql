-- complaint: a complaint event.
-- Reason: complaint {count} (complaint events logged).
select
    handover_id,
    'complaint' as reason_code,
    cast(json_object('count', count_complaints) as varchar) as reason_params
from handover_facts
where count_complaints > 0
