-- When the reaper found a file's bytes gone from disk (UTC milliseconds); NULL while they
-- are there. migrations/postgres/V2__missing.sql is the same change.
ALTER TABLE files ADD COLUMN missing_since INTEGER;
