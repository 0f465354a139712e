-- risk_counts: the counts of a register (<register>: risk_register.sql): its rows, those at
-- risk, with a flag, of high risk level, with a critical flag, then <by_flag>: for each
-- critical flag the rows raising it.
-- sqlfluff:templater:placeholder:by_flag:count(*) filter (where at_risk) as flag_0
-- sqlfluff:templater:placeholder:register:select * from risk_register
select
    count(*) as handovers,
    count(*) filter (where at_risk) as at_risk,
    count(*) filter (where len(flags) > 0) as flagged,
    count(*) filter (where risk_level = 'high') as high,
    count(*) filter (where has_critical) as critical,
    {by_flag}
from ({register}) as register
