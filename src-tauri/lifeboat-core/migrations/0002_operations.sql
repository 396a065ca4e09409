-- Operations become observable from every process: who started them, live progress,
-- a cancel request another process can set, and a coded error with a hint.

ALTER TABLE operations ADD COLUMN trigger TEXT NOT NULL DEFAULT 'cli';  -- scheduled | on-demand | cli | catch-up
ALTER TABLE operations ADD COLUMN pid INTEGER;
ALTER TABLE operations ADD COLUMN phase TEXT;
ALTER TABLE operations ADD COLUMN bytes_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN items_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN items_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN updated_at TEXT;
ALTER TABLE operations ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN error_code TEXT;
ALTER TABLE operations ADD COLUMN hint TEXT;
-- status gains 'skipped': a scheduled slot that could not run (another operation held the lock).
CREATE INDEX operations_by_start ON operations (started_at);

-- Backups a verify found damaged are never "the newest good backup".
ALTER TABLE backups ADD COLUMN verified_at TEXT;
ALTER TABLE backups ADD COLUMN deleted_at TEXT;
