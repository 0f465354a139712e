-- first_completed: the first day a selected handover was completed, up to $end.
-- sqlfluff:templater:placeholder:end:date '2026-01-01'
select min(cast(actual_end as date)) from selected_handovers
where cast(actual_end as date) <= $end
