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

-- Unfinished uploads' lengths, counted on the user's row (see the SQLite twin). Row-level:
-- an account holds at most 100 unfinished uploads, and the reaper removes them 100 a
-- statement.
ALTER TABLE users ADD COLUMN upload_size bigint NOT NULL DEFAULT 0;

CREATE FUNCTION uploads_count_for_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.file_id IS NULL THEN
        UPDATE users SET upload_size = upload_size + NEW.upload_length WHERE id = NEW.owner_id;
    ELSIF TG_OP = 'UPDATE' AND OLD.file_id IS NULL AND NEW.file_id IS NOT NULL THEN
        UPDATE users SET upload_size = upload_size - OLD.upload_length WHERE id = OLD.owner_id;
    ELSIF TG_OP = 'DELETE' AND OLD.file_id IS NULL THEN
        UPDATE users SET upload_size = upload_size - OLD.upload_length WHERE id = OLD.owner_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER uploads_counted AFTER INSERT OR DELETE OR UPDATE OF file_id ON uploads
    FOR EACH ROW EXECUTE FUNCTION uploads_count_for_users();
