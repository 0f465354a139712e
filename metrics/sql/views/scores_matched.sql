-- scores_matched: how many scored handovers meet <where> (conditions on handover_scores).
select count(*) from handover_scores where {where}
