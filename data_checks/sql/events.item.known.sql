-- events.item.known: an item event (transferred, verified, discrepancy) without a known
-- item_code. The known codes are the checklist items of DOMAIN.md (pipelines/templates.py).
select
    record_key,
    'item_code' as column_name,
    item_code as offending_value,
    case
        when item_code is null then 'an item event names no checklist item'
        else 'not a checklist item'
    end as detail
from {batch}
where event_type in ($item_event_types)
    and (item_code is null or item_code not in ($checklist_items))
