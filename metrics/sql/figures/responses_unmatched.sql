-- responses_unmatched: of the real responses loaded, those matched to no client.
select count(*) as value
from responses
where is_real
    and not is_matched
