-- handovers_completed: of the handovers selected, completed (actual_end is set).
select count(*) as value
from handover_facts as f
where f.is_completed
