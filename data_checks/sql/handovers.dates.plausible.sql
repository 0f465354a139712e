-- handovers.dates.plausible (beyond DOMAIN.md's minimum): a date of the handover form that
-- cannot be meant as written. Such dates are loaded (they are valid dates) and would count in
-- the figures: an actual_end of 9999-12-31 makes the handover "completed", and on time or
-- overdue by a date nobody wrote on purpose. Bounds, per column:
--   * every date: not before 2000-01-01. Earlier ones are Excel's zero dates (1899-12-30,
--     1900-01-01), two-digit years read in the wrong century (26 -> 1926) or placeholders.
--   * planned_start, planned_end (plans): at most one year after the reference date.
--   * actual_start, actual_end, signed_off_at (things that happened): not in the future, with
--     one day of slack for clocks and time zones: before the start of the second day after
--     the reference date.
-- The reference date is the later of the as-of date and the day the check runs, so a check
-- as of a past date does not call later, real events "future". Placeholders such as
-- 9999-12-31 and 2099-01-01 fail whichever the as-of date.
with reference as (
    select greatest(cast($as_of as date), cast($today as date)) as day
),

dates as (
    select
        handover_id,
        'planned_start' as column_name,
        'plan' as meaning,
        cast(planned_start as timestamp) as value,
        cast(planned_start as varchar) as shown
    from {batch}
    union all
    select
        handover_id,
        'planned_end' as column_name,
        'plan' as meaning,
        cast(planned_end as timestamp) as value,
        cast(planned_end as varchar) as shown
    from {batch}
    union all
    select
        handover_id,
        'actual_start' as column_name,
        'fact' as meaning,
        actual_start as value,
        strftime(actual_start, '%Y-%m-%d %H:%M:%S') as shown
    from {batch}
    union all
    select
        handover_id,
        'actual_end' as column_name,
        'fact' as meaning,
        actual_end as value,
        strftime(actual_end, '%Y-%m-%d %H:%M:%S') as shown
    from {batch}
    union all
    select
        handover_id,
        'signed_off_at' as column_name,
        'fact' as meaning,
        signed_off_at as value,
        strftime(signed_off_at, '%Y-%m-%d %H:%M:%S') as shown
    from {batch}
)

select
    d.handover_id as record_key,
    d.column_name,
    d.shown as offending_value,
    case
        when d.value < timestamp '2000-01-01' then 'before 2000-01-01'
        when d.meaning = 'plan'
            then 'more than a year after ' || cast(r.day as varchar)
        else 'in the future: after ' || cast(r.day + 1 as varchar)
    end as detail
from dates as d, reference as r
where d.value is not null
    and (
        d.value < timestamp '2000-01-01'
        or (d.meaning = 'plan' and d.value > cast(r.day + interval 1 year as timestamp))
        or (d.meaning = 'fact' and d.value >= cast(r.day + 2 as timestamp))
    )
