-- scores_total: how many handovers the selection has, and the flags raised in it (sorted).
select
    count(*) as handovers,
    (
        select list(distinct f order by f)
        from (select unnest(flags) as f from handover_scores) as raised
    ) as flags
from handover_scores
