-- Current handover log: the newest loaded version of each event key
-- (handover_id, occurred_at, event_type, item_code). One row per event.
create or replace view stg_events as
with source as (
    select * from raw_events where is_current
),

renamed as (
    select
        ---------- ids
        record_key,
        batch_id,
        handover_id,
        ---------- event
        event_type,
        item_code,
        actor,
        note,
        ---------- timestamps (local time, Asia/Shanghai)
        occurred_at,
        ---------- other columns of the file
        extra
    from source
)

select * from renamed
