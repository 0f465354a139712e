-- handover_failing_checks: the failures of the last check run of a handover's client
-- (parameter 1), of the handover itself (2), and of its events (3: an event key begins with
-- the handover id and '|'); <own_events> is "" or, for a scoped account, a condition that
-- the event is also one of this handover's (4), so that no other handover's key, such as
-- 'A|B|…' of handover 'A|B' under 'A', can show.
select f.check_id, f.record_key, f.column_name, f.offending_value, f.detail
from check_failures as f
where f.run_id = (select max(run_id) from check_runs)
  and ((f.check_id like 'clients.%' and f.record_key = ?)
       or (f.check_id like 'handovers.%' and f.record_key = ?)
       or (f.check_id like 'events.%'
           and starts_with(f.record_key, ? || '|') {own_events}))
order by f.check_id
