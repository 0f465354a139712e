-- Schema 3: data-check runs, their per-check results, the failing records of each run, and
-- the fix history of every failure (first seen, last seen, resolved by which run and batch).
-- Invariant: count_records_failed <= count_records_checked (tests/test_checks.py).

create sequence check_run_seq start 1;

create table check_runs (
    run_id integer not null,
    started_at timestamp not null,
    finished_at timestamp not null,
    as_of date not null,
    duration_seconds double not null,
    last_batch_id integer,                 -- the newest batch the run saw
    batch_ids integer[],                   -- the import batches in force
    count_checks integer not null,
    count_failed_checks integer not null,
    count_failures bigint not null
);

create table check_results (
    run_id integer not null,
    check_id varchar not null,
    suite varchar not null,
    count_records_checked bigint not null,
    count_records_failed bigint not null,
    is_passed boolean not null
);

create table check_failures (
    run_id integer not null,
    check_id varchar not null,
    record_key varchar not null,
    column_name varchar not null,
    offending_value varchar,
    detail varchar
);

create table failure_history (
    check_id varchar not null,
    record_key varchar not null,
    column_name varchar not null,
    offending_value varchar,               -- as last seen
    detail varchar,
    first_seen_run integer not null,
    first_seen_at timestamp not null,
    last_seen_run integer not null,
    resolved_run integer,                  -- the first run that no longer saw it
    resolved_at timestamp,
    resolved_by_batch integer              -- the newest upload between the two runs
);
