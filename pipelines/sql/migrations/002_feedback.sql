-- Schema 2: client feedback survey responses, from any survey tool, kept like the other
-- raw tables (every version with its batch; is_current marks the one in force).

create table raw_feedback (
    batch_id integer not null,
    source_row integer not null,
    record_key varchar not null,
    row_hash varchar not null,
    is_current boolean not null,
    response_key varchar not null,         -- tool:response id, or tool:survey:id, or a hash
    -- source_tool: wjx | tencent | google | surveymonkey | qualtrics | template
    source_tool varchar,
    survey_id varchar,                     -- the survey, identified by its questions
    response_id varchar,                   -- the tool's own id of the response, if any
    submitted_at timestamp,
    client_id varchar,                     -- the client as the response names it
    uscc varchar,
    company_name varchar,
    contact_phone varchar,
    overall_satisfaction double,           -- 1-5 expected; other values kept for the checks
    recommend_score double,                -- 0-10 expected
    comment varchar,
    dim_communication double,
    dim_professionalism double,
    dim_continuity double,
    dim_confidentiality double,
    exclusion varchar,                     -- preview | unfinished | empty; null when real
    extra varchar                          -- JSON of the survey's other answers
);

-- What an import found besides its counts, as JSON: the columns it mapped, for surveys the
-- tool, the excluded responses by reason, and the unmatched / unattributed ones at the time.
alter table batches add column report varchar;
