-- unfixed_discrepancy: some (handover, item) pair with discrepancy_found has no
-- discrepancy_fixed at or after the first one found.
select
    handover_id,
    'discrepancy not fixed: ' || array_to_string(unfixed_items, ', ') as reason,
    '差异未更正：' || array_to_string(unfixed_items, '、') as reason_zh
from handover_facts
where count_discrepancies > count_discrepancies_fixed
