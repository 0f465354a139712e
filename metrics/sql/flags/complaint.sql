-- complaint: a complaint event.
select handover_id, count_complaints || ' complaint(s) logged' as reason
from handover_facts
where count_complaints > 0
