-- handovers.dates.ordered: planned_start after planned_end, or actual_start after actual_end.
select
    handover_id as record_key,
    'planned_start' as column_name,
    cast(planned_start as varchar) as offending_value,
    'planned start is after the planned end ' || cast(planned_end as varchar) as detail
from {batch}
where planned_start > planned_end
union all
select
    handover_id as record_key,
    'actual_start' as column_name,
    strftime(actual_start, '%Y-%m-%d %H:%M:%S') as offending_value,
    'actual start is after the actual end ' || strftime(actual_end, '%Y-%m-%d %H:%M:%S') as detail
from {batch}
where actual_start > actual_end
