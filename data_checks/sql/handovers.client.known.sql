-- handovers.client.known: its client_id is not among the clients.
select
    handover_id as record_key,
    'client_id' as column_name,
    client_id as offending_value,
    'no client has this client_id' as detail
from {batch}
where client_id is null
    or client_id not in (select client_id from stg_clients)
