-- mycloud schema, PostgreSQL dialect: the same version and meaning as
-- migrations/sqlite/V1__initial.sql, in native types. Ids are UUIDs (v7); times are
-- timestamptz, written with millisecond precision.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL,
    full_name     text NOT NULL DEFAULT '',
    email         text,
    password_hash text NOT NULL,
    is_admin      boolean NOT NULL DEFAULT false,
    avatar        text,
    created_at    timestamptz NOT NULL,
    last_login_at timestamptz
);
-- Case-insensitive uniqueness as SQLite's COLLATE NOCASE gives, without the citext
-- extension (which needs a superuser to install). Lookups use the same expression to hit
-- them. COLLATE "C" makes lower() fold A-Z only, as NOCASE does, whatever the cluster's
-- locale: the same two emails are one or two accounts on either backend.
CREATE UNIQUE INDEX users_username_key ON users (lower(username COLLATE "C"));
CREATE UNIQUE INDEX users_email_key ON users (lower(email COLLATE "C"));

CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    user_agent   text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE files (
    id                 uuid PRIMARY KEY,
    owner_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    original_name      text NOT NULL,
    size               bigint NOT NULL CHECK (size >= 0),
    content_type       text NOT NULL,
    comment            text NOT NULL DEFAULT '',
    uploaded_at        timestamptz NOT NULL,
    last_downloaded_at timestamptz,
    share_token        text UNIQUE,
    shared_at          timestamptz
);
CREATE INDEX files_owner_id ON files (owner_id, uploaded_at);
