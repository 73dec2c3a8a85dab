-- Quotas (DESIGN §11), the same change as migrations/sqlite/V7__quotas.sql.
ALTER TABLE users ADD COLUMN quota_bytes bigint CHECK (quota_bytes IS NULL OR quota_bytes >= 0);
