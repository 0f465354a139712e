-- sensitive_unverified: completed and some sensitive item (etax_credentials, bank_accounts,
-- tax_device) has no item_verified event. Critical: forces the band to red.
select
    handover_id,
    'not verified: ' || array_to_string(sensitive_unverified, ', ') as reason
from handover_facts
where is_completed
    and len(sensitive_unverified) > 0
