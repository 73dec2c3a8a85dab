-- Resumable uploads (tus 1.0.0, DESIGN §13), the same change as
-- migrations/sqlite/V10__uploads.sql, whose comments say why.
CREATE TABLE uploads (
    id            uuid PRIMARY KEY,
    owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id     uuid,
    filename      text NOT NULL,
    comment       text NOT NULL DEFAULT '',
    content_type  text,
    on_conflict   text NOT NULL CHECK (on_conflict IN ('fail', 'rename', 'replace')),
    upload_length bigint NOT NULL CHECK (upload_length >= 0),
    upload_offset bigint NOT NULL DEFAULT 0
        CHECK (upload_offset >= 0 AND upload_offset <= upload_length),
    metadata      text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    file_id       uuid
);
CREATE INDEX uploads_by_owner ON uploads (owner_id, created_at);
CREATE INDEX uploads_by_sender ON uploads (created_by, created_at);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);
