-- scores_matched: how many scored handovers meet <where> (conditions on handover_scores).
-- sqlfluff:templater:placeholder:where:true
select count(*) from handover_scores where {where}
