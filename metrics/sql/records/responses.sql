-- responses: the real responses with their matching and attribution, and why unmatched or
-- unattributed (a code), newest first; <condition> is "" or "and" conditions (unmatched,
-- unattributed, the data scope).
-- sqlfluff:templater:placeholder:condition:and true
select
    response_key, source_tool, submitted_at, given_client_id, given_uscc,
    given_company_name, given_contact_phone, client_id, matched_by, handover_id,
    overall_satisfaction, recommend_score, comment, unmatched_code,
    unattributed_code, batch_id
from feedback_responses
where is_real {condition}
order by submitted_at desc nulls last
