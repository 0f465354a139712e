-- handovers_total: handovers selected.
select count(*) as value
from handover_facts
