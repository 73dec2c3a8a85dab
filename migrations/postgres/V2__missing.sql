-- When the reaper found a file's bytes gone from disk; NULL while they are there.
-- migrations/sqlite/V2__missing.sql is the same change.
ALTER TABLE files ADD COLUMN missing_since timestamptz;
