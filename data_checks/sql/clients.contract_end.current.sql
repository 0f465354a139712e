-- clients.contract_end.current: status active and contract_end before as_of.
select
    client_id as record_key,
    'contract_end' as column_name,
    cast(contract_end as varchar) as offending_value,
    'active, but the contract ended before ' || $as_of as detail
from {batch}
where status = 'active'
    and contract_end < cast($as_of as date)
