-- Schema 5: accounts for sign-in and the audit trail (issue 10).
-- users: one row per account. name_key is the name in lower case: names are unique without
-- regard to case, which pipelines/accounts.py enforces inside its write transaction (there
-- is one writer at a time). password_hash is argon2id (argon2-cffi), null for an account
-- that signs in through OpenID Connect only. No default account and no default password.
create table users (
    name varchar not null,
    name_key varchar not null,
    display_name varchar,
    role varchar not null,
    team varchar,                 -- the team a scope "team" role sees
    staff varchar,                -- the staff name a scope "own" role sees
    email varchar,
    oidc_subject varchar,
    password_hash varchar,
    disabled_at timestamp,
    failed_count integer not null default 0,   -- consecutive failed sign-ins
    locked_until timestamp,
    created_at timestamp not null,
    updated_at timestamp not null
);

-- audit_log: append-only. Rows are inserted by pipelines/audit.py record(), in the same
-- transaction as the action they describe; no function updates or deletes them.
create sequence audit_id_seq start 1;

create table audit_log (
    id bigint not null,
    "at" timestamp not null,    -- quoted: AT is a keyword
    user_name varchar,
    action varchar not null,
    target varchar,
    detail varchar               -- JSON object
);
