-- Current survey responses: the newest loaded version of each response key, as read from
-- the survey tools' exports. One row per response, previews and unfinished ones included
-- (exclusion says why they do not count).
create or replace view stg_feedback as
with source as (
    select * from raw_feedback where is_current
),

renamed as (
    select
        ---------- ids
        response_key,
        record_key,
        batch_id,
        source_tool,
        survey_id,
        response_id,
        ---------- how the response names its client
        client_id,
        uscc,
        company_name,
        contact_phone,
        ---------- answers
        overall_satisfaction,
        recommend_score,
        comment,
        dim_communication,
        dim_professionalism,
        dim_continuity,
        dim_confidentiality,
        ---------- status
        exclusion,
        exclusion is null as is_real,
        ---------- timestamps (local time, Asia/Shanghai)
        submitted_at,
        ---------- other answers
        extra
    from source
)

select * from renamed
