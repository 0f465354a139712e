-- handover_client: the client of a handover, without its import bookkeeping.
select * exclude (extra, record_key) from stg_clients where client_id = $client_id
