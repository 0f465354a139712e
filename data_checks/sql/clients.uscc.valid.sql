-- clients.uscc.valid: uscc set but wrong length, characters or check character
-- (GB 32100-2015), or an organisation code (positions 9-17) whose GB 11714 check fails.
-- Issued codes can fail a check: they are loaded and reported here, never refused.
with codes as (
    select client_id, uscc, upper(uscc) as code
    from {batch}
    where uscc is not null
),

well_formed as (
    select
        *,
        regexp_full_match(code, '[0-9A-HJ-NPQRTUWXY]{{18}}') as is_well_formed
    from codes
),

sums as (
    select
        *,
        cast(list_sum(list_transform(
            range(0, 17),
            lambda i: (strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', code[i + 1]) - 1)
            * [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28][i + 1]
        )) as integer) as uscc_sum,
        cast(list_sum(list_transform(
            range(0, 8),
            lambda i: (
                case
                    when code[9 + i] between '0' and '9' then ascii(code[9 + i]) - 48
                    else ascii(code[9 + i]) - 55
                end
            ) * [3, 7, 9, 10, 5, 8, 4, 2][i + 1]
        )) as integer) as org_sum
    from well_formed
    where is_well_formed
),

-- computed once (materialized): both checks of the failing records below read it
checked as materialized (
    select
        *,
        substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (31 - uscc_sum % 31) % 31 + 1, 1)
            as uscc_check,
        case 11 - org_sum % 11
            when 10 then 'X'
            when 11 then '0'
            else cast(11 - org_sum % 11 as varchar)
        end as org_check
    from sums
),

failing as (
    select client_id, uscc, 'not 18 characters of 0-9 and A-Y without I, O, S, V, Z' as detail
    from well_formed
    where not is_well_formed
    union all
    select client_id, uscc, 'check character should be ' || uscc_check as detail
    from checked
    where code[18] <> uscc_check
    union all
    select client_id, uscc, 'organisation code check character should be ' || org_check as detail
    from checked
    where code[18] = uscc_check and code[17] <> org_check
)

select client_id as record_key, 'uscc' as column_name, uscc as offending_value, detail
from failing
