-- Lifeboat catalog, version 1.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL  -- JSON
) STRICT;

CREATE TABLE items (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('folder', 'file', 'sqlite')),
    path       TEXT NOT NULL,
    excludes   TEXT NOT NULL DEFAULT '[]',  -- JSON array of globs
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE backups (
    id          TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    location    TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    encryption  TEXT NOT NULL,
    recipients  TEXT NOT NULL,  -- JSON array of public identifiers
    status      TEXT NOT NULL,  -- complete | warnings | deleted
    warnings    TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX backups_by_file ON backups (file_name);

CREATE TABLE operations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,  -- backup | restore | verify
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,  -- running | succeeded | failed | canceled
    backup_id   TEXT,
    message     TEXT
) STRICT;
