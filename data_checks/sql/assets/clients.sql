-- The clients suite's asset: the staged clients, with the forms its checks compare (the
-- client_id trimmed and case-folded for uniqueness, the phone without spaces and dashes for
-- its pattern, the USCC upper-cased).
select
    client_id,
    company_name,
    contact_name,
    contact_phone,
    uscc,
    email,
    status,
    service_start,
    contract_end,
    terminated_at,
    assigned_staff,
    lower(trim(client_id)) as client_id_folded,
    regexp_replace(contact_phone, '[ -]', '', 'g') as contact_phone_compact,
    upper(uscc) as uscc_upper
from stg_clients
