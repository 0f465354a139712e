-- sensitive_unverified: completed and some sensitive item (etax_credentials, bank_accounts,
-- tax_device) has no item_verified event. Critical: forces the band to red.
select
    handover_id,
    'not verified: ' || array_to_string(list_filter($checklist_items, lambda item, i:
        (sensitive_unverified_mask >> (i - 1)) & 1 = 1), ', ') as reason,
    '未核对：' || array_to_string(list_filter($checklist_labels, lambda item, i:
        (sensitive_unverified_mask >> (i - 1)) & 1 = 1), '、') as reason_zh
from handover_facts
where is_completed
    and sensitive_unverified_mask <> 0
