-- Schema 4: purging dead row versions (handover purge). Batches stay as history: a batch
-- whose row versions were physically removed says when and how many; every purge is
-- recorded with the moment before which it removed what was dead, which rollback reads to
-- refuse undoing a batch whose earlier versions are gone.

alter table batches add column purged_at timestamp;          -- last purge that removed rows of it
alter table batches add column count_rows_purged integer default 0; -- versions removed
-- (the constraint apart: DuckDB 1.5 adds no column with a constraint)
alter table batches alter column count_rows_purged set not null;

create sequence purge_id_seq start 1;

create table purges (
    purge_id integer not null,
    user_name varchar,
    created_at timestamp not null,
    purged_before timestamp not null,      -- what was dead before this moment was removed
    count_rows_rolled_back bigint not null default 0, -- versions of rolled-back batches removed
    count_rows_superseded bigint not null default 0,  -- replaced versions removed
    count_rejections bigint not null default 0,       -- rejected rows of rolled-back batches
    report varchar                         -- JSON: what was removed per table
);
