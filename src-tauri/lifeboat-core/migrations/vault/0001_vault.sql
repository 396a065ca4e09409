-- Lifeboat vault, version 1. Names, attributes and public parts are stored as they
-- are; every value and private key is sealed (AES-256-GCM) under the vault key, which
-- is kept outside this file (the OS credential store, or secrets/vault.key).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,   -- vault_id | key_home | recovery_days | purge_protection
    value TEXT NOT NULL
) STRICT;

-- The keys that make and open backup blobs: the vault's own geography and any
-- imported by pairing. New blobs use the current one.
CREATE TABLE geographies (
    id       TEXT PRIMARY KEY,
    sealed   BLOB NOT NULL,
    added_at TEXT NOT NULL,
    current  INTEGER NOT NULL CHECK (current IN (0, 1))
) STRICT;

CREATE TABLE objects (
    kind       TEXT NOT NULL CHECK (kind IN ('secret', 'key', 'certificate')),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    managed    INTEGER NOT NULL DEFAULT 0,  -- used by Lifeboat's own settings
    deleted_at TEXT,                        -- soft-deleted: recoverable until purge_at
    purge_at   TEXT,
    PRIMARY KEY (kind, name)
) STRICT;

CREATE TABLE versions (
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,             -- 32 hex digits
    seq          INTEGER NOT NULL,          -- order of creation within the object
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    not_before   TEXT,
    expires      TEXT,
    content_type TEXT,
    tags         TEXT NOT NULL DEFAULT '{}', -- JSON object
    public       BLOB,                       -- a key's SPKI or a certificate's DER
    details      TEXT NOT NULL,              -- JSON: sizes, thumbprint, subject
    sealed       BLOB NOT NULL,              -- the value or private key
    PRIMARY KEY (kind, name, version),
    UNIQUE (kind, name, seq),
    FOREIGN KEY (kind, name) REFERENCES objects (kind, name) ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;
