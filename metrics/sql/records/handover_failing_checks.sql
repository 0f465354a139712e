-- handover_failing_checks: the failures of the last check run of a handover's client
-- ($client_id), of the handover itself ($handover_id), and of its events (an event key begins
-- with the handover id and '|'); <own_events> is "" or, for a scoped account, a condition
-- that the event is also one of this handover's, so that no other handover's key, such as
-- 'A|B|…' of handover 'A|B' under 'A', can show.
-- sqlfluff:templater:placeholder:own_events:and true
select f.check_id, f.record_key, f.column_name, f.offending_value, f.detail
from check_failures as f
where f.run_id = (select max(run_id) from check_runs)
    and (
        (f.check_id like 'clients.%' and f.record_key = $client_id)
        or (f.check_id like 'handovers.%' and f.record_key = $handover_id)
        or (
            f.check_id like 'events.%'
            and starts_with(f.record_key, $handover_id || '|') {own_events}
        )
    )
order by f.check_id
