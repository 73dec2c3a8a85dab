-- Each user's file count and total size, kept by a trigger on every insert, delete and
-- change of a file row, so that GET /api/me reads them with the session in one query
-- instead of summing the user's files on every call. The trigger covers every path
-- (uploads, deletes, account deletion, migrate-data, check --repair) without the code
-- having to remember. migrations/sqlite/V3__storage_counters.sql is the same change.
ALTER TABLE users
    ADD COLUMN file_count bigint NOT NULL DEFAULT 0,
    ADD COLUMN total_size bigint NOT NULL DEFAULT 0;

UPDATE users u SET file_count = s.n, total_size = s.total
FROM (SELECT owner_id, COUNT(*) AS n, SUM(size) AS total FROM files GROUP BY owner_id) s
WHERE s.owner_id = u.id;

CREATE FUNCTION files_count_for_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE users SET file_count = file_count - 1, total_size = total_size - OLD.size
        WHERE id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE users SET file_count = file_count + 1, total_size = total_size + NEW.size
        WHERE id = NEW.owner_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER files_counted AFTER INSERT OR DELETE OR UPDATE OF size, owner_id ON files
    FOR EACH ROW EXECUTE FUNCTION files_count_for_users();
