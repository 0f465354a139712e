-- complaint: a complaint event.
select
    handover_id,
    count_complaints || ' complaint(s) logged' as reason,
    '记录了 ' || count_complaints || ' 次客户投诉' as reason_zh
from handover_facts
where count_complaints > 0
