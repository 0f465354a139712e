-- grouped: the completed handovers of the selection by <group> (staff, team or month of
-- actual_end): how many, the mean score and sub-scores, the on-time rate, the share and
-- number red, and how many of high risk level.
-- sqlfluff:templater:placeholder:group:team
select
    {group} as grp,
    count(*) as handovers,
    avg(score) as score,
    avg(efficiency_score) as efficiency,
    avg(quality_score) as quality,
    avg(satisfaction_score) as satisfaction,
    avg(risk_score) as risk,
    count(*) filter (where cast(actual_end as date) <= planned_end) / count(*) as on_time_rate,
    count(*) filter (where band = 'red') / count(*) as share_red,
    count(*) filter (where band = 'red') as red,
    count(*) filter (where risk_level = 'high') as high_risk
from handover_scores
where is_completed
group by grp
order by grp
