-- attributed_responses: the responses attributed to the selected handovers, newest first,
-- with the handover's client, receiving staff and team, and the NPS group of the recommend
-- score as nps.sql counts it (9-10 promoter, 7-8 passive, 0-6 detractor).
select
    r.response_key,
    r.submitted_at,
    r.source_tool,
    r.handover_id,
    f.client_id,
    f.company_name,
    f.to_staff,
    f.team,
    r.overall_satisfaction,
    r.recommend_score,
    case when r.recommend_score is null then null
        when r.recommend_score >= 9 then 'promoter'
        when r.recommend_score >= 7 then 'passive'
        else 'detractor'
    end as nps_group,
    r.comment
from responses as r
join handover_facts as f on f.handover_id = r.handover_id
where r.is_real and r.is_attributed
order by r.submitted_at desc nulls last, r.response_key
