-- responses_total: real responses loaded (previews and unfinished ones excluded).
select count(*) as value
from responses
where is_real
