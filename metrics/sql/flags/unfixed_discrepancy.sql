-- unfixed_discrepancy: some (handover, item) pair with discrepancy_found has no
-- discrepancy_fixed at or after the first one found.
-- Reason: unfixed_discrepancy {items} (the items' codes, as handover_facts lists them).
select
    handover_id,
    'unfixed_discrepancy' as reason_code,
    cast(json_object('items', unfixed_items) as varchar) as reason_params
from handover_facts
where count_discrepancies > count_discrepancies_fixed
