-- Folders (DESIGN §10): a tree per account. parent_id NULL is the account's root; files
-- gain folder_id (NULL = the root). migrations/postgres/V5__folders.sql is the same change.
--
-- name_fold and comment_fold hold the Unicode lower case of name and comment, computed
-- by the server on every write (store/mod.rs `fold`): SQLite's lower() folds A-Z only, so
-- sorting by name and searching case-insensitively go through these, and both backends
-- give the same order and the same hits. The lower() below is a placeholder that the
-- server replaces with the real fold right after this migration, before V6.
--
-- blob_id names a file's bytes on disk. It starts equal to id; replacing a file's bytes
-- (upload with on_conflict=replace) writes a new blob and switches blob_id in the same
-- transaction that changes the size, so a crash leaves the old bytes or the new ones
-- with their row, never a row whose size disagrees with its blob.
--
-- parent_id and folder_id take no ON DELETE action: a subtree is deleted in one statement,
-- checked at its end; an account's folders and files go with the account by owner_id.
CREATE TABLE folders (
    id         TEXT PRIMARY KEY NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id  TEXT REFERENCES folders (id),
    name       TEXT NOT NULL,
    name_fold  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- Keyset pagination of a folder's subfolders, by name (also for sort=size: folders have
-- none) and by creation (sort=uploaded); the subtree walk goes by parent_id.
CREATE INDEX folders_by_name ON folders (owner_id, parent_id, name_fold, id);
CREATE INDEX folders_by_created ON folders (owner_id, parent_id, created_at, id);
CREATE INDEX folders_by_parent ON folders (parent_id);

ALTER TABLE files ADD COLUMN folder_id TEXT REFERENCES folders (id);
ALTER TABLE files ADD COLUMN blob_id TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN name_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN comment_fold TEXT NOT NULL DEFAULT '';
UPDATE files SET blob_id = id, name_fold = lower(original_name), comment_fold = lower(comment);

-- Keyset pagination of a folder's files by each sort key, ties broken by id.
CREATE INDEX files_by_name ON files (owner_id, folder_id, name_fold, id);
CREATE INDEX files_by_size ON files (owner_id, folder_id, size, id);
CREATE INDEX files_by_uploaded ON files (owner_id, folder_id, uploaded_at, id);
CREATE INDEX files_by_folder ON files (folder_id);
