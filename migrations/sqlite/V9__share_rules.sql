-- Shares with rules, folder shares and file requests (DESIGN §12).
-- migrations/postgres/V9__share_rules.sql is the same change.
--
-- A share belongs to one file or folder and dies with it (trash, purge, revoke), so its
-- rules live on that row beside the token Part I put there: no join on any listing.
-- share_password is a PBKDF2 hash like an account's; share_downloads counts responses
-- that started at byte 0, raised only while below share_max_downloads.
ALTER TABLE files ADD COLUMN share_expires_at INTEGER;
ALTER TABLE files ADD COLUMN share_password TEXT;
ALTER TABLE files ADD COLUMN share_max_downloads INTEGER CHECK (share_max_downloads > 0);
ALTER TABLE files ADD COLUMN share_downloads INTEGER NOT NULL DEFAULT 0;

ALTER TABLE folders ADD COLUMN share_token TEXT;
ALTER TABLE folders ADD COLUMN shared_at INTEGER;
ALTER TABLE folders ADD COLUMN share_expires_at INTEGER;
ALTER TABLE folders ADD COLUMN share_password TEXT;
ALTER TABLE folders ADD COLUMN share_max_downloads INTEGER CHECK (share_max_downloads > 0);
ALTER TABLE folders ADD COLUMN share_downloads INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX folders_share_token ON folders (share_token);
-- GET /api/shares: an account's shared entries, newest first.
CREATE INDEX files_shared ON files (owner_id, shared_at) WHERE share_token IS NOT NULL;
CREATE INDEX folders_shared ON folders (owner_id, shared_at) WHERE share_token IS NOT NULL;

-- A link through which anyone may drop files into a folder, and read nothing.
CREATE TABLE file_requests (
    id             TEXT PRIMARY KEY NOT NULL,
    token          TEXT NOT NULL UNIQUE,
    owner_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id      TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    label          TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    max_files      INTEGER CHECK (max_files > 0),
    max_bytes      INTEGER CHECK (max_bytes > 0),
    password       TEXT,
    file_count     INTEGER NOT NULL DEFAULT 0,
    bytes_received INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX file_requests_by_owner ON file_requests (owner_id, created_at);
CREATE INDEX file_requests_by_folder ON file_requests (folder_id);
