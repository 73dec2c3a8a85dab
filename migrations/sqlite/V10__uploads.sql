-- Resumable uploads (tus 1.0.0, DESIGN §13). migrations/postgres/V10__uploads.sql is the
-- same change.
--
-- One row per upload, from its creation until it expires (finished or not). Its bytes
-- grow in tmp/tus/<id> at `upload_offset`, which only ever names bytes already fsynced.
-- An unfinished upload's length counts towards its owner's quota; once finished, the file
-- row counts instead and `file_id` names it for the client's last HEAD.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY NOT NULL,
    -- Whose files it goes to, and who sends it (an admin may upload into another account;
    -- only the sender sees the upload).
    owner_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The folder the file goes to; NULL: the root (also when that folder is gone by then).
    folder_id     TEXT,
    filename      TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    content_type  TEXT,
    on_conflict   TEXT NOT NULL CHECK (on_conflict IN ('fail', 'rename', 'replace')),
    upload_length INTEGER NOT NULL CHECK (upload_length >= 0),
    upload_offset INTEGER NOT NULL DEFAULT 0
        CHECK (upload_offset >= 0 AND upload_offset <= upload_length),
    metadata      TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    file_id       TEXT
);
CREATE INDEX uploads_by_owner ON uploads (owner_id, created_at);
CREATE INDEX uploads_by_sender ON uploads (created_by, created_at);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);

-- What unfinished uploads have announced counts towards the quota from their creation:
-- kept on the user's row beside total_size and trash_size, so every quota check and
-- GET /api/me read it with the rest. An upload stops counting when it finishes (its
-- file's row counts instead) or goes.
ALTER TABLE users ADD COLUMN upload_size INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER uploads_counted_on_insert AFTER INSERT ON uploads WHEN NEW.file_id IS NULL
BEGIN
    UPDATE users SET upload_size = upload_size + NEW.upload_length WHERE id = NEW.owner_id;
END;

CREATE TRIGGER uploads_counted_on_finish AFTER UPDATE OF file_id ON uploads
    WHEN OLD.file_id IS NULL AND NEW.file_id IS NOT NULL
BEGIN
    UPDATE users SET upload_size = upload_size - OLD.upload_length WHERE id = OLD.owner_id;
END;

CREATE TRIGGER uploads_counted_on_delete AFTER DELETE ON uploads WHEN OLD.file_id IS NULL
BEGIN
    UPDATE users SET upload_size = upload_size - OLD.upload_length WHERE id = OLD.owner_id;
END;
