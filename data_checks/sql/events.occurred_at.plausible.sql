-- events.occurred_at.plausible (beyond DOMAIN.md's minimum): an event of the handover log
-- dated before 2000-01-01 (Excel's zero dates, two-digit years read in the wrong century,
-- placeholders) or in the future: at or after the start of the second day after the
-- reference date (one day of slack for clocks and time zones). The reference date is the
-- later of the as-of date and the day the check runs. Such an event would count, e.g. as
-- the follow-up visit or the revocation of access that a figure looks for.
with reference as (
    select greatest(cast($as_of as date), cast($today as date)) as reference_day
)

select
    record_key,
    'occurred_at' as column_name,
    strftime(occurred_at, '%Y-%m-%d %H:%M:%S') as offending_value,
    case
        when occurred_at < timestamp '2000-01-01' then 'before 2000-01-01'
        else 'in the future: after ' || cast(reference_day + 1 as varchar)
    end as detail
from {batch}
cross join reference
where occurred_at < timestamp '2000-01-01'
    or occurred_at >= cast(reference_day + 2 as timestamp)
