-- unfixed_discrepancy: some (handover, item) pair with discrepancy_found has no
-- discrepancy_fixed at or after the first one found.
select
    handover_id,
    'discrepancy not fixed: ' || array_to_string(unfixed_items, ', ') as reason,
    '差异未更正：' || array_to_string(list_transform(unfixed_items, lambda item:
        coalesce($checklist_labels[list_position($checklist_items, item)], item)), '、')
        as reason_zh
from handover_facts
where count_discrepancies > count_discrepancies_fixed
