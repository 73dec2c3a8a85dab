-- GET /api/files lists a user's files newest first, ties broken by id. The old index
-- stopped at uploaded_at, so every listing sorted its rows; with id in the index the rows
-- come out already in order. migrations/sqlite/V4 is the same.
CREATE INDEX files_by_owner ON files (owner_id, uploaded_at DESC, id);
DROP INDEX files_owner_id;
