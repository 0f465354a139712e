-- Current handover forms: the newest loaded version of each handover_id, typed and renamed
-- only. One row per handover_id.
create or replace view stg_handovers as
with source as (
    select * from raw_handovers where is_current
),

renamed as (
    select
        ---------- ids
        handover_id,
        record_key,
        batch_id,
        client_id,
        ---------- people
        from_staff,
        to_staff,
        supervisor,
        team,
        reason,
        ---------- booleans
        nda_signed,
        ---------- dates and timestamps (local time, Asia/Shanghai)
        planned_start,
        planned_end,
        actual_start,
        actual_end,
        signed_off_at,
        ---------- other columns of the file
        extra
    from source
)

select * from renamed
