-- overdue: open and as_of > planned_end, or completed with date(actual_end) > planned_end.
select
    handover_id,
    case when is_completed
         then 'completed ' || date_diff('day', planned_end, cast(actual_end as date))
              || ' day(s) after the planned end ' || cast(planned_end as varchar)
         else 'open ' || date_diff('day', planned_end, cast($as_of as date))
              || ' day(s) past the planned end ' || cast(planned_end as varchar)
    end as reason
from handover_facts
where (not is_completed and cast($as_of as date) > planned_end)
    or (is_completed and cast(actual_end as date) > planned_end)
