-- no_nda: nda_signed false or empty.
select
    handover_id,
    case when nda_signed is null then 'NDA status not recorded'
         else 'NDA not signed' end as reason,
    case when nda_signed is null then '未记录是否签署保密协议'
         else '未签署保密协议' end as reason_zh
from handover_facts
where nda_signed is null or not nda_signed
