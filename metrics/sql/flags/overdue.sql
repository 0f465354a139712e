-- overdue: open and as_of > planned_end, or completed with date(actual_end) > planned_end.
-- Reason: overdue.completed or overdue.open {days, planned_end} (days past the planned end
-- at completion, or as of the date).
select
    handover_id,
    case when is_completed then 'overdue.completed' else 'overdue.open' end as reason_code,
    cast(json_object(
        'days', case when is_completed
                then date_diff('day', planned_end, cast(actual_end as date))
            else date_diff('day', planned_end, cast($as_of as date))
        end,
        'planned_end', cast(planned_end as varchar)
    ) as varchar) as reason_params
from handover_facts
where (not is_completed and cast($as_of as date) > planned_end)
    or (is_completed and cast(actual_end as date) > planned_end)
