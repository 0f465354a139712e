-- feedback.client.matched: the response matches no client (by client_id, USCC, company
-- name or phone, in that order). Real responses only: previews and unfinished ones do not
-- count.
select
    response_key as record_key,
    case
        when given_client_id is not null then 'client_id'
        when given_uscc is not null then 'uscc'
        when given_company_name is not null then 'company_name'
        when given_contact_phone is not null then 'contact_phone'
        else 'client_id'
    end as column_name,
    coalesce(given_client_id, given_uscc, given_company_name, given_contact_phone)
        as offending_value,
    unmatched_reason as detail
from {batch}
where not is_matched
