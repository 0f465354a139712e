-- handover_form: the handover $handover_id (no row when <where>, the data scope's "and"
-- conditions, leaves it out).
-- sqlfluff:templater:placeholder:where:and true
select * from stg_handovers where handover_id = $handover_id {where}
