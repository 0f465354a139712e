-- overdue_open: handovers not completed with as_of > planned_end.
select count(*) as value
from handover_facts
where not is_completed
    and cast($as_of as date) > planned_end
