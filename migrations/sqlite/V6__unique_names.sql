-- One namespace per folder (DESIGN §10): no two folders, and no two files, of one folder
-- share a name (compared exactly). A file and a folder of the same name are refused by
-- the server inside the transaction that writes either. Before this migration ran, the
-- server renamed the duplicate names that Part I allowed (store/mod.rs
-- `rename_duplicates`). migrations/postgres/V6__unique_names.sql is the same change.
CREATE UNIQUE INDEX folders_unique_name ON folders (owner_id, COALESCE(parent_id, ''), name);
CREATE UNIQUE INDEX files_unique_name ON files (owner_id, COALESCE(folder_id, ''), original_name);
