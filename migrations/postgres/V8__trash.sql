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

CREATE OR REPLACE FUNCTION files_count_for_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE users SET
            file_count = file_count - CASE WHEN OLD.trashed_at IS NULL THEN 1 ELSE 0 END,
            total_size = total_size - CASE WHEN OLD.trashed_at IS NULL THEN OLD.size ELSE 0 END,
            trash_size = trash_size - CASE WHEN OLD.trashed_at IS NULL THEN 0 ELSE OLD.size END
        WHERE id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE users SET
            file_count = file_count + CASE WHEN NEW.trashed_at IS NULL THEN 1 ELSE 0 END,
            total_size = total_size + CASE WHEN NEW.trashed_at IS NULL THEN NEW.size ELSE 0 END,
            trash_size = trash_size + CASE WHEN NEW.trashed_at IS NULL THEN 0 ELSE NEW.size END
        WHERE id = NEW.owner_id;
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER files_counted ON files;
CREATE TRIGGER files_counted AFTER INSERT OR DELETE OR UPDATE OF size, owner_id, trashed_at ON files
    FOR EACH ROW EXECUTE FUNCTION files_count_for_users();
