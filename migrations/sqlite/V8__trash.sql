-- The trash (DESIGN §11). migrations/postgres/V8__trash.sql is the same change.
--
-- Deleting a file or folder stamps it and everything below it with trashed_at and
-- trash_root (the id of the entry deleted as such); restoring or purging that item acts
-- on every row with its trash_root. Only live rows (trashed_at IS NULL) share a folder's
-- namespace and appear in listings, so the unique and listing indexes become partial.
ALTER TABLE files ADD COLUMN trashed_at INTEGER;
ALTER TABLE files ADD COLUMN trash_root TEXT;
ALTER TABLE folders ADD COLUMN trashed_at INTEGER;
ALTER TABLE folders ADD COLUMN trash_root TEXT;

DROP INDEX folders_unique_name;
DROP INDEX files_unique_name;
CREATE UNIQUE INDEX folders_unique_name ON folders (owner_id, COALESCE(parent_id, ''), name)
    WHERE trashed_at IS NULL;
CREATE UNIQUE INDEX files_unique_name ON files (owner_id, COALESCE(folder_id, ''), original_name)
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
-- The trash: an item's rows by its trash_root, and what the reaper purges first.
CREATE INDEX files_in_trash ON files (trash_root) WHERE trashed_at IS NOT NULL;
CREATE INDEX folders_in_trash ON folders (trash_root) WHERE trashed_at IS NOT NULL;
CREATE INDEX files_trashed_at ON files (trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX folders_trashed_at ON folders (trashed_at) WHERE trashed_at IS NOT NULL;

-- Usage is live files plus the trash: file_count and total_size count live files,
-- trash_size the bytes in the trash. The triggers of V3 follow trashed_at too now.
ALTER TABLE users ADD COLUMN trash_size INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER files_counted_on_insert;
DROP TRIGGER files_counted_on_delete;
DROP TRIGGER files_counted_on_update;

CREATE TRIGGER files_counted_on_insert AFTER INSERT ON files
BEGIN
    UPDATE users SET
        file_count = file_count + (NEW.trashed_at IS NULL),
        total_size = total_size + CASE WHEN NEW.trashed_at IS NULL THEN NEW.size ELSE 0 END,
        trash_size = trash_size + CASE WHEN NEW.trashed_at IS NULL THEN 0 ELSE NEW.size END
    WHERE id = NEW.owner_id;
END;

CREATE TRIGGER files_counted_on_delete AFTER DELETE ON files
BEGIN
    UPDATE users SET
        file_count = file_count - (OLD.trashed_at IS NULL),
        total_size = total_size - CASE WHEN OLD.trashed_at IS NULL THEN OLD.size ELSE 0 END,
        trash_size = trash_size - CASE WHEN OLD.trashed_at IS NULL THEN 0 ELSE OLD.size END
    WHERE id = OLD.owner_id;
END;

CREATE TRIGGER files_counted_on_update AFTER UPDATE OF size, owner_id, trashed_at ON files
BEGIN
    UPDATE users SET
        file_count = file_count - (OLD.trashed_at IS NULL),
        total_size = total_size - CASE WHEN OLD.trashed_at IS NULL THEN OLD.size ELSE 0 END,
        trash_size = trash_size - CASE WHEN OLD.trashed_at IS NULL THEN 0 ELSE OLD.size END
    WHERE id = OLD.owner_id;
    UPDATE users SET
        file_count = file_count + (NEW.trashed_at IS NULL),
        total_size = total_size + CASE WHEN NEW.trashed_at IS NULL THEN NEW.size ELSE 0 END,
        trash_size = trash_size + CASE WHEN NEW.trashed_at IS NULL THEN 0 ELSE NEW.size END
    WHERE id = NEW.owner_id;
END;
