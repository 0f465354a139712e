-- feedback.scores.in_range: overall_satisfaction outside 1-5 or recommend_score outside 0-10.
select
    response_key as record_key,
    'overall_satisfaction' as column_name,
    cast(overall_satisfaction as varchar) as offending_value,
    'overall satisfaction is rated 1-5' as detail
from {batch}
where overall_satisfaction not between 1 and 5
union all
select
    response_key as record_key,
    'recommend_score' as column_name,
    cast(recommend_score as varchar) as offending_value,
    'likelihood to recommend is scored 0-10' as detail
from {batch}
where recommend_score not between 0 and 10
