-- Current client master data: the newest loaded version of each client_id, typed and
-- renamed only. One row per client_id.
create or replace view stg_clients as
with source as (
    select * from raw_clients where is_current
),

renamed as (
    select
        ---------- ids
        client_id,
        record_key,
        batch_id,
        ---------- text
        company_name,
        uscc,
        legal_rep,
        contact_name,
        contact_phone,
        email,
        address,
        taxpayer_type,
        industry,
        contract_no,
        assigned_staff,
        status,
        ---------- dates
        service_start,
        contract_end,
        terminated_at,
        ---------- other columns of the file
        extra
    from source
)

select * from renamed
