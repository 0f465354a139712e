-- handovers.owner.consistent: it is the latest completed handover of an active client and
-- its to_staff differs from the client's assigned_staff (two sources cross-validated).
-- Like with like (DOMAIN.md §4): the client master is a current snapshot, so "latest" is
-- among all completed handovers loaded, whatever the as-of date; filtering by the as-of date
-- would compare an older handover with today's owner and flag a correct client. Ties on
-- actual_end go to the larger handover_id.
with completed as (
    select
        *,
        row_number() over (
            partition by client_id order by actual_end desc, handover_id desc
        ) as recency
    from {batch}
    where actual_end is not null
),

latest as (
    select * from completed where recency = 1
)

select
    l.handover_id as record_key,
    'to_staff' as column_name,
    l.to_staff as offending_value,
    (
        'the client master names ' || coalesce(c.assigned_staff, '(nobody)')
        || ' as the responsible accountant'
    ) as detail
from latest as l
join stg_clients as c on c.client_id = l.client_id
where c.status = 'active'
    and l.to_staff is distinct from c.assigned_staff
