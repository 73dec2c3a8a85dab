-- One namespace per folder, the same change as migrations/sqlite/V6__unique_names.sql.
CREATE UNIQUE INDEX folders_unique_name
    ON folders (owner_id, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'), name);
CREATE UNIQUE INDEX files_unique_name
    ON files (owner_id, COALESCE(folder_id, '00000000-0000-0000-0000-000000000000'), original_name);
