-- Survey responses matched to a client and attributed to a handover (DOMAIN.md §2,
-- feedback). One row per response in stg_feedback.
--
-- Matching, in this order: client_id (trimmed, case-insensitive), then USCC (upper-cased),
-- then company name (trimmed; full-width characters were folded at import on both sides),
-- then contact phone (digits only, a leading 86 dropped). Where two clients share a value,
-- the smallest client_id wins (the data checks report the shared value).
-- Attribution: the client's latest completed handover whose actual_end is at or before the
-- response's submission time. Unmatched and unattributed responses stay, with the reason
-- (a code).
create or replace view feedback_responses as
with responses as (
    select * from stg_feedback
),

clients as (
    select * from stg_clients
),

completed_handovers as (
    select handover_id, client_id, actual_end
    from stg_handovers
    where actual_end is not null
),

by_client_id as (
    select lower(trim(client_id)) as match_key, min(client_id) as client_id
    from clients
    group by 1
),

by_uscc as (
    select upper(trim(uscc)) as match_key, min(client_id) as client_id
    from clients
    where uscc is not null
    group by 1
),

by_company_name as (
    select trim(company_name) as match_key, min(client_id) as client_id
    from clients
    where company_name is not null
    group by 1
),

client_phones as (
    select
        client_id,
        regexp_replace(contact_phone, '[^0-9]', '', 'g') as digits
    from clients
    where contact_phone is not null
),

by_contact_phone as (
    select
        case
            when length(digits) > 11 and digits like '86%' then substr(digits, 3)
            else digits
        end as match_key,
        min(client_id) as client_id
    from client_phones
    where digits <> ''
    group by 1
),

response_phones as (
    select
        response_key,
        regexp_replace(contact_phone, '[^0-9]', '', 'g') as digits
    from responses
    where contact_phone is not null
),

matched as (
    select
        r.*,
        coalesce(
            by_id.client_id, by_uscc.client_id, by_name.client_id, by_phone.client_id
        ) as matched_client_id,
        case
            when by_id.client_id is not null then 'client_id'
            when by_uscc.client_id is not null then 'uscc'
            when by_name.client_id is not null then 'company_name'
            when by_phone.client_id is not null then 'contact_phone'
        end as matched_by
    from responses as r
    left join response_phones as rp
        on rp.response_key = r.response_key
    left join by_client_id as by_id
        on by_id.match_key = lower(trim(r.client_id))
    left join by_uscc
        on by_uscc.match_key = upper(trim(r.uscc))
    left join by_company_name as by_name
        on by_name.match_key = trim(r.company_name)
    left join by_contact_phone as by_phone
        on by_phone.match_key = case
                when length(rp.digits) > 11 and rp.digits like '86%' then substr(rp.digits, 3)
                else rp.digits
            end
),

attributed as (
    select
        m.*,
        h.handover_id,
        h.actual_end as handover_actual_end
    from matched as m
    asof left join completed_handovers as h
        on m.matched_client_id = h.client_id
            and m.submitted_at >= h.actual_end
),

final as (
    select
        response_key,
        source_tool,
        survey_id,
        response_id,
        batch_id,
        is_real,
        exclusion,
        submitted_at,
        ---------- how the response names its client
        client_id as given_client_id,
        uscc as given_uscc,
        company_name as given_company_name,
        contact_phone as given_contact_phone,
        ---------- matching and attribution
        matched_client_id as client_id,
        matched_by,
        matched_client_id is not null as is_matched,
        handover_id,
        handover_actual_end,
        handover_id is not null as is_attributed,
        ---------- why unmatched or unattributed: a code the dashboard words
        -- (dashboard/locales/reasons.toml)
        case
            when matched_client_id is not null then null
            when coalesce(client_id, uscc, company_name, contact_phone) is null
                then 'unmatched.no_client'
            else 'unmatched.unknown_client'
        end as unmatched_code,
        case
            when matched_client_id is null or handover_id is not null then null
            when submitted_at is null then 'unattributed.no_time'
            else 'unattributed.no_handover'
        end as unattributed_code,
        ---------- answers
        overall_satisfaction,
        recommend_score,
        comment,
        dim_communication,
        dim_professionalism,
        dim_continuity,
        dim_confidentiality
    from attributed
)

-- unmatched_reason: the detail of the check feedback.client.matched (data_checks/sql), an
-- English sentence as every check's detail is (dashboard/check_text.py words it)
select
    *,
    case
        when unmatched_code = 'unmatched.no_client'
            then 'the response names no client (no client id, USCC, company or phone)'
        when unmatched_code = 'unmatched.unknown_client'
            then 'no client has the client id, USCC, company name or phone it gives'
    end as unmatched_reason
from final
