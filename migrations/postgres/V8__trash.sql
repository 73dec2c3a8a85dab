-- The trash (DESIGN §11), the same change as migrations/sqlite/V8__trash.sql, whose
-- comments explain it.
ALTER TABLE files ADD COLUMN trashed_at timestamptz, ADD COLUMN trash_root uuid;
ALTER TABLE folders ADD COLUMN trashed_at timestamptz, ADD COLUMN trash_root uuid;

DROP INDEX folders_unique_name;
DROP INDEX files_unique_name;
CREATE UNIQUE INDEX folders_unique_name
    ON folders (owner_id, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'), name)
    WHERE trashed_at IS NULL;
CREATE UNIQUE INDEX files_unique_name
    ON files (owner_id, COALESCE(folder_id, '00000000-0000-0000-0000-000000000000'), original_name)
    WHERE trashed_at IS NULL;

DROP INDEX folders_by_name;
DROP INDEX folders_by_created;
DROP INDEX files_by_name;
DROP INDEX files_by_size;
DROP INDEX files_by_uploaded;
DROP INDEX files_by_owner;
CREATE INDEX folders_by_name ON folders (owner_id, parent_id, name_fold, id) WHERE trashed_at IS NULL;
CREATE INDEX folders_by_created ON folders (owner_id, parent_id, created_at, id) WHERE trashed_at IS NULL;
CREATE INDEX files_by_name ON files (owner_id, folder_id, name_fold, id) WHERE trashed_at IS NULL;
CREATE INDEX files_by_size ON files (owner_id, folder_id, size, id) WHERE trashed_at IS NULL;
CREATE INDEX files_by_uploaded ON files (owner_id, folder_id, uploaded_at, id) WHERE trashed_at IS NULL;
CREATE INDEX files_by_owner ON files (owner_id, uploaded_at DESC, id) WHERE trashed_at IS NULL;
CREATE INDEX files_in_trash ON files (trash_root) WHERE trashed_at IS NOT NULL;
CREATE INDEX folders_in_trash ON folders (trash_root) WHERE trashed_at IS NOT NULL;
CREATE INDEX files_trashed_at ON files (trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX folders_trashed_at ON folders (trashed_at) WHERE trashed_at IS NOT NULL;

ALTER TABLE users ADD COLUMN trash_size bigint NOT NULL DEFAULT 0;

-- The counters follow trashed_at too, and are now kept once per statement rather than once
-- per row: trashing a folder updates each of its files' rows in one statement, and a row
-- trigger updated the owner's row twice per file in one transaction, a cost PostgreSQL
-- pays more for each time (every update of one row in a transaction leaves a version to
-- step over): 10,000 files took 4 s, 40,000 took 53 s. A statement trigger sums the
-- transition table per owner and updates each owner's row once.
DROP TRIGGER files_counted ON files;
DROP FUNCTION files_count_for_users();

CREATE FUNCTION files_count_per_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users u SET file_count = u.file_count + d.n, total_size = u.total_size + d.live,
               trash_size = u.trash_size + d.trash
        FROM (SELECT owner_id,
                     count(*) FILTER (WHERE trashed_at IS NULL) AS n,
                     COALESCE(sum(size) FILTER (WHERE trashed_at IS NULL), 0) AS live,
                     COALESCE(sum(size) FILTER (WHERE trashed_at IS NOT NULL), 0) AS trash
              FROM new_rows GROUP BY owner_id) d
        WHERE u.id = d.owner_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE users u SET file_count = u.file_count - d.n, total_size = u.total_size - d.live,
               trash_size = u.trash_size - d.trash
        FROM (SELECT owner_id,
                     count(*) FILTER (WHERE trashed_at IS NULL) AS n,
                     COALESCE(sum(size) FILTER (WHERE trashed_at IS NULL), 0) AS live,
                     COALESCE(sum(size) FILTER (WHERE trashed_at IS NOT NULL), 0) AS trash
              FROM old_rows GROUP BY owner_id) d
        WHERE u.id = d.owner_id;
    ELSE
        -- What the rows count for after the statement, less what they counted for before;
        -- owners whose figures did not move (a download stamp, a rename) are not touched.
        UPDATE users u SET file_count = u.file_count + d.n, total_size = u.total_size + d.live,
               trash_size = u.trash_size + d.trash
        FROM (SELECT owner_id, sum(n) AS n, sum(live) AS live, sum(trash) AS trash
              FROM (SELECT owner_id,
                           CASE WHEN trashed_at IS NULL THEN 1 ELSE 0 END AS n,
                           CASE WHEN trashed_at IS NULL THEN size ELSE 0 END AS live,
                           CASE WHEN trashed_at IS NULL THEN 0 ELSE size END AS trash
                    FROM new_rows
                    UNION ALL
                    SELECT owner_id,
                           CASE WHEN trashed_at IS NULL THEN -1 ELSE 0 END,
                           CASE WHEN trashed_at IS NULL THEN -size ELSE 0 END,
                           CASE WHEN trashed_at IS NULL THEN 0 ELSE -size END
                    FROM old_rows) changes
              GROUP BY owner_id
              HAVING sum(n) <> 0 OR sum(live) <> 0 OR sum(trash) <> 0) d
        WHERE u.id = d.owner_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER files_counted_on_insert AFTER INSERT ON files
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION files_count_per_statement();
CREATE TRIGGER files_counted_on_delete AFTER DELETE ON files
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION files_count_per_statement();
CREATE TRIGGER files_counted_on_update AFTER UPDATE ON files
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION files_count_per_statement();
