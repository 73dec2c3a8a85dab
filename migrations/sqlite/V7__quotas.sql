-- Quotas (DESIGN §11): the most bytes an account may store; NULL is no limit. Usage is
-- the account's total_size (V3's counters). migrations/postgres/V7__quotas.sql is the
-- same change.
ALTER TABLE users ADD COLUMN quota_bytes INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0);
