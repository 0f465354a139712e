-- handover_flags: the raised flags of the handover $id, with their reasons, by flag.
select handover_id, flag, reason_code, reason_params from handover_flags
where handover_id = $id order by flag
