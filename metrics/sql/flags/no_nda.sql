-- no_nda: nda_signed false or empty.
select
    handover_id,
    case when nda_signed is null then 'NDA status not recorded'
         else 'NDA not signed' end as reason
from handover_facts
where nda_signed is null or not nda_signed
