-- handover_events: the timeline of a handover, in time order.
select occurred_at, event_type, item_code, actor, note from stg_events
where handover_id = $handover_id order by occurred_at, event_type
