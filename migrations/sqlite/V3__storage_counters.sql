-- Each user's file count and total size, kept by triggers on every insert, delete and
-- change of a file row, so that GET /api/me reads them with the session in one query
-- instead of summing the user's files on every call. The triggers cover every path
-- (uploads, deletes, account deletion, migrate-data, check --repair) without the code
-- having to remember. migrations/postgres/V3__storage_counters.sql is the same change.
ALTER TABLE users ADD COLUMN file_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN total_size INTEGER NOT NULL DEFAULT 0;

UPDATE users SET
    file_count = (SELECT COUNT(*) FROM files WHERE files.owner_id = users.id),
    total_size = (SELECT COALESCE(SUM(size), 0) FROM files WHERE files.owner_id = users.id);

CREATE TRIGGER files_counted_on_insert AFTER INSERT ON files
BEGIN
    UPDATE users SET file_count = file_count + 1, total_size = total_size + NEW.size
    WHERE id = NEW.owner_id;
END;

CREATE TRIGGER files_counted_on_delete AFTER DELETE ON files
BEGIN
    UPDATE users SET file_count = file_count - 1, total_size = total_size - OLD.size
    WHERE id = OLD.owner_id;
END;

CREATE TRIGGER files_counted_on_update AFTER UPDATE OF size, owner_id ON files
BEGIN
    UPDATE users SET file_count = file_count - 1, total_size = total_size - OLD.size
    WHERE id = OLD.owner_id;
    UPDATE users SET file_count = file_count + 1, total_size = total_size + NEW.size
    WHERE id = NEW.owner_id;
END;
