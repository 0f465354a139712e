-- discrepancy_fix_rate: (handover, item) pairs with discrepancy_found that have a
-- discrepancy_fixed at or after the first one found, / pairs with discrepancy_found.
select sum(count_discrepancies_fixed) / nullif(sum(count_discrepancies), 0) as value
from handover_facts
