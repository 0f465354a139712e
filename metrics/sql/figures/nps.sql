-- nps: % of attributed responses with recommend_score 9-10 minus % with 0-6, over
-- attributed responses having a recommend_score (-100..100).
select
    100.0 * (
        count(*) filter (where r.recommend_score >= 9)
        - count(*) filter (where r.recommend_score <= 6)
    )
    / nullif(count(r.recommend_score), 0) as value
from responses as r
where r.is_real
    and r.is_attributed
    and r.handover_id in (select handover_id from handover_facts)
