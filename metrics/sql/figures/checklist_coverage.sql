-- checklist_coverage: mean over completed handovers of (required items with an
-- item_verified event) / (required items). The required checklist is configured
-- (all twelve items by default).
select avg(count_required_verified / len($required_items)) as value
from handover_facts
where is_completed
