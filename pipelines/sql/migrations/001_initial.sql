-- Schema 1: upload batches, rejected rows, and the raw tables of clients, handovers, events.
-- Raw tables keep every loaded row version with the batch that loaded it; is_current marks
-- the version in force (the newest one from a batch that was not rolled back), so that
-- readers of 5M events filter instead of ranking. Only pipelines/ingest.py and
-- pipelines/batches.py maintain it.

create sequence batch_id_seq start 1;

create table batches (
    batch_id integer not null,
    kind varchar not null,                 -- clients | handovers | events
    action varchar not null,               -- import | rollback
    file_name varchar,
    content_hash varchar,                  -- sha256 of the file's bytes
    source_format varchar,                 -- e.g. "CSV (GBK)", "XLSX", "XLS"
    user_name varchar,
    created_at timestamp not null,
    count_rows_read integer not null default 0,
    count_rows_added integer not null default 0,
    count_rows_updated integer not null default 0,
    count_rows_unchanged integer not null default 0,
    count_rows_rejected integer not null default 0,
    count_rows_withdrawn integer not null default 0, -- rollback: current rows it took back
    count_rows_restored integer not null default 0,  -- rollback: earlier versions in force again
    extra_columns varchar[],               -- headers not in the template, kept per row in extra
    target_batch_id integer,               -- for a rollback: the batch it undid
    rolled_back_at timestamp,
    rolled_back_by integer                 -- the rollback batch that undid this one
);

create table batch_rejections (
    batch_id integer not null,
    row_number integer not null,           -- as the user sees it in Excel
    column_name varchar,
    value varchar,
    reason varchar not null
);

create table raw_clients (
    batch_id integer not null,
    source_row integer not null,
    record_key varchar not null,
    row_hash varchar not null,
    is_current boolean not null,
    client_id varchar not null,
    company_name varchar,
    uscc varchar,
    legal_rep varchar,
    contact_name varchar,
    contact_phone varchar,
    email varchar,
    address varchar,
    taxpayer_type varchar,
    industry varchar,
    service_start date,
    contract_no varchar,
    contract_end date,
    assigned_staff varchar,
    status varchar,
    terminated_at date,
    extra varchar                          -- JSON object of the file's extra columns
);

create table raw_handovers (
    batch_id integer not null,
    source_row integer not null,
    record_key varchar not null,
    row_hash varchar not null,
    is_current boolean not null,
    handover_id varchar not null,
    client_id varchar,
    from_staff varchar,
    to_staff varchar,
    supervisor varchar,
    team varchar,
    reason varchar,
    planned_start date,
    planned_end date,
    actual_start timestamp,
    actual_end timestamp,
    nda_signed boolean,
    signed_off_at timestamp,
    extra varchar
);

create table raw_events (
    batch_id integer not null,
    source_row integer not null,
    record_key varchar not null,
    row_hash varchar not null,
    is_current boolean not null,
    handover_id varchar not null,
    occurred_at timestamp not null,
    event_type varchar not null,
    item_code varchar,
    actor varchar,
    note varchar,
    extra varchar
);
