-- clients.dates.plausible (beyond DOMAIN.md's minimum): a date of the client master that
-- cannot be meant as written. Bounds, per column:
--   * every date: not before 1990-01-01 (a client relationship may be decades old, but
--     earlier dates are Excel's zero dates, two-digit years read in the wrong century or
--     placeholders).
--   * service_start and terminated_at: at most one year after the reference date (a
--     contract signed ahead, a termination with notice).
--   * contract_end: at most ten years after the reference date. Agency contracts run one to
--     three years; a placeholder such as 9999-12-31 for "no end" would keep
--     clients.contract_end.current from ever reporting the contract.
-- The reference date is the later of the as-of date and the day the check runs.
with reference as (
    select greatest(cast($as_of as date), cast($today as date)) as day
),

dates as (
    select client_id, 'service_start' as column_name, service_start as value, 1 as years
    from {batch}
    union all
    select client_id, 'contract_end' as column_name, contract_end as value, 10 as years
    from {batch}
    union all
    select client_id, 'terminated_at' as column_name, terminated_at as value, 1 as years
    from {batch}
)

select
    d.client_id as record_key,
    d.column_name,
    cast(d.value as varchar) as offending_value,
    case
        when d.value < date '1990-01-01' then 'before 1990-01-01'
        when d.years = 1 then 'more than a year after ' || cast(r.day as varchar)
        else 'more than ten years after ' || cast(r.day as varchar)
    end as detail
from dates as d, reference as r
where d.value is not null
    and (
        d.value < date '1990-01-01'
        or d.value > r.day + to_years(d.years)
    )
