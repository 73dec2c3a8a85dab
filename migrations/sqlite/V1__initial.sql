-- mycloud schema, SQLite dialect. Ids are UUID strings (v7); times are UTC
-- milliseconds since the Unix epoch. migrations/postgres/ holds the same versions.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    full_name     TEXT NOT NULL DEFAULT '',
    email         TEXT COLLATE NOCASE UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    avatar        TEXT,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE files (
    id                 TEXT PRIMARY KEY NOT NULL,
    owner_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    original_name      TEXT NOT NULL,
    size               INTEGER NOT NULL CHECK (size >= 0),
    content_type       TEXT NOT NULL,
    comment            TEXT NOT NULL DEFAULT '',
    uploaded_at        INTEGER NOT NULL,
    last_downloaded_at INTEGER,
    share_token        TEXT UNIQUE,
    shared_at          INTEGER
);
CREATE INDEX files_owner_id ON files (owner_id, uploaded_at);
