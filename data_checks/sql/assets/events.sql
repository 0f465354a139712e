-- The events suite's asset: the staged events.
select * from stg_events
