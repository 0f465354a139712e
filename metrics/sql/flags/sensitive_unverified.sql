-- sensitive_unverified: completed and some sensitive item (etax_credentials, bank_accounts,
-- tax_device) has no item_verified event. Critical: forces the band to red.
-- Reason: sensitive_unverified {items} (the unverified items' codes, in checklist order).
select
    handover_id,
    'sensitive_unverified' as reason_code,
    -- the items whose bit is set, by position (one-argument lambdas: sqlfluff parses them)
    cast(json_object('items', list_transform(
        list_filter(
            range(1, len($checklist_items) + 1),
            lambda i: (sensitive_unverified_mask >> (i - 1)) & 1 = 1
        ),
        lambda i: $checklist_items[i]
    )) as varchar) as reason_params
from handover_facts
where is_completed
    and sensitive_unverified_mask <> 0
