-- low_satisfaction: some attributed response with overall_satisfaction <= 2.
select
    handover_id,
    'a client rated the handover ' || cast(cast(min_satisfaction as decimal(3, 1)) as varchar)
        || ' of 5' as reason,
    '客户评分 ' || cast(cast(min_satisfaction as decimal(3, 1)) as varchar) || ' 分（满分 5 分）'
        as reason_zh
from handover_facts
where min_satisfaction <= 2
