-- Folders (DESIGN §10), the same change as migrations/sqlite/V5__folders.sql, whose
-- comments explain name_fold, comment_fold and blob_id. The fold columns are COLLATE "C"
-- so that names sort by code point, as SQLite's BINARY does, whatever the cluster's
-- locale: both backends list a folder in the same order.
CREATE TABLE folders (
    id         uuid PRIMARY KEY,
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id  uuid REFERENCES folders (id),
    name       text NOT NULL,
    name_fold  text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX folders_by_name ON folders (owner_id, parent_id, name_fold, id);
CREATE INDEX folders_by_created ON folders (owner_id, parent_id, created_at, id);
CREATE INDEX folders_by_parent ON folders (parent_id);

ALTER TABLE files ADD COLUMN folder_id uuid REFERENCES folders (id);
ALTER TABLE files ADD COLUMN blob_id uuid;
ALTER TABLE files ADD COLUMN name_fold text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN comment_fold text COLLATE "C" NOT NULL DEFAULT '';
UPDATE files SET blob_id = id, name_fold = lower(original_name), comment_fold = lower(comment);
ALTER TABLE files ALTER COLUMN blob_id SET NOT NULL;

CREATE INDEX files_by_name ON files (owner_id, folder_id, name_fold, id);
CREATE INDEX files_by_size ON files (owner_id, folder_id, size, id);
CREATE INDEX files_by_uploaded ON files (owner_id, folder_id, uploaded_at, id);
CREATE INDEX files_by_folder ON files (folder_id);
