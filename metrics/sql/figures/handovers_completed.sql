-- handovers_completed: of the handovers selected, completed (actual_end is set).
select count(*) as value
from handover_facts
where is_completed
