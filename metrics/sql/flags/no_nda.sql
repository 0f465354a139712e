-- no_nda: nda_signed false or empty.
-- Reason: no_nda.not_recorded (empty) or no_nda.not_signed (false).
select
    handover_id,
    case when nda_signed is null then 'no_nda.not_recorded'
        else 'no_nda.not_signed'
    end as reason_code,
    '{}' as reason_params
from handover_facts
where nda_signed is null or not nda_signed
