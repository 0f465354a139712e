-- first_completed: the first day a selected handover was completed, up to $end.
select min(cast(actual_end as date)) from selected_handovers
where cast(actual_end as date) <= $end
