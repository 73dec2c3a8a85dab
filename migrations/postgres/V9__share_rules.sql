-- Shares with rules, folder shares and file requests (DESIGN §12), the same change as
-- migrations/sqlite/V9__share_rules.sql, whose comments say why.
ALTER TABLE files
    ADD COLUMN share_expires_at timestamptz,
    ADD COLUMN share_password text,
    ADD COLUMN share_max_downloads bigint CHECK (share_max_downloads > 0),
    ADD COLUMN share_downloads bigint NOT NULL DEFAULT 0;

ALTER TABLE folders
    ADD COLUMN share_token text UNIQUE,
    ADD COLUMN shared_at timestamptz,
    ADD COLUMN share_expires_at timestamptz,
    ADD COLUMN share_password text,
    ADD COLUMN share_max_downloads bigint CHECK (share_max_downloads > 0),
    ADD COLUMN share_downloads bigint NOT NULL DEFAULT 0;
CREATE INDEX files_shared ON files (owner_id, shared_at) WHERE share_token IS NOT NULL;
CREATE INDEX folders_shared ON folders (owner_id, shared_at) WHERE share_token IS NOT NULL;

CREATE TABLE file_requests (
    id             uuid PRIMARY KEY,
    token          text NOT NULL UNIQUE,
    owner_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id      uuid NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    label          text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz,
    max_files      bigint CHECK (max_files > 0),
    max_bytes      bigint CHECK (max_bytes > 0),
    password       text,
    file_count     bigint NOT NULL DEFAULT 0,
    bytes_received bigint NOT NULL DEFAULT 0
);
CREATE INDEX file_requests_by_owner ON file_requests (owner_id, created_at);
CREATE INDEX file_requests_by_folder ON file_requests (folder_id);
