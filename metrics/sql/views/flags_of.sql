-- flags_of: the raised flags of the handovers $ids, with their reasons (a code and its
-- values), by handover and flag.
select handover_id, flag, reason_code, reason_params from handover_flags
where handover_id in (select unnest($ids)) order by handover_id, flag
