-- risk_counts: the counts of a register (<register>: risk_register.sql): its rows, those at
-- risk, with a flag, of high risk level, with a critical flag, then <by_flag>: for each
-- critical flag the rows raising it.
select count(*), count(*) filter (where at_risk),
       count(*) filter (where len(flags) > 0),
       count(*) filter (where risk_level = 'high'),
       count(*) filter (where has_critical), {by_flag}
from ({register})
