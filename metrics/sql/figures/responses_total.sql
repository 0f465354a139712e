-- responses_total: real responses loaded (previews and unfinished ones excluded).
-- Responses submitted after the as-of date are not yet loaded as of that date.
select count(*) as value
from feedback_responses
where is_real
    and (submitted_at is null or cast(submitted_at as date) <= $as_of)
