-- handovers.staff.distinct: from_staff equals to_staff.
select
    handover_id as record_key,
    'to_staff' as column_name,
    to_staff as offending_value,
    'the receiver is the one handing over' as detail
from {batch}
where from_staff = to_staff
