-- feedback.submitted_at.plausible (beyond DOMAIN.md's minimum): a survey response submitted
-- before 2000-01-01 (no online survey tool of DOMAIN.md §2 existed; Excel's zero dates,
-- two-digit years, placeholders) or in the future: at or after the start of the second day
-- after the reference date (one day of slack for clocks and time zones). The reference date
-- is the later of the as-of date and the day the check runs. Attribution to a handover
-- uses the submission time, so such a response lands on the wrong handover. Real responses
-- only.
with reference as (
    select greatest(cast($as_of as date), cast($today as date)) as reference_day
)

select
    response_key as record_key,
    'submitted_at' as column_name,
    strftime(submitted_at, '%Y-%m-%d %H:%M:%S') as offending_value,
    case
        when submitted_at < timestamp '2000-01-01' then 'before 2000-01-01'
        else 'in the future: after ' || cast(reference_day + 1 as varchar)
    end as detail
from {batch}
cross join reference
where submitted_at < timestamp '2000-01-01'
    or submitted_at >= cast(reference_day + 2 as timestamp)
