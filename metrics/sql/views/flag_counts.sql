-- flag_counts: how many of the selected handovers (those of <since>: "" or a condition on
-- handover_scores) raise each flag, by team.
-- sqlfluff:templater:placeholder:since:where true
select s.team, f.flag, count(distinct f.handover_id) as handovers
from handover_flags as f
join (select handover_id, team from handover_scores {since}) as s
    using (handover_id)
group by all
order by s.team nulls last, f.flag
