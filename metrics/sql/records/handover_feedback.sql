-- handover_feedback: the real responses attributed to a handover, in time order.
select
    submitted_at, source_tool, overall_satisfaction, recommend_score, comment,
    matched_by
from feedback_responses where is_real and handover_id = $handover_id
order by submitted_at
