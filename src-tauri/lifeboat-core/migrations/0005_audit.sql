-- The audit trail (src/audit.rs, docs/security.md "The audit trail"): one row per
-- recorded event, appended and never changed. `body` is the entry's JSON exactly as it
-- was hashed; `hash` = SHA-256 over the previous entry's hash and this body, so an
-- edited, removed or inserted entry breaks the chain from there on.

CREATE TABLE audit (
    seq   INTEGER PRIMARY KEY,
    body  TEXT NOT NULL,
    hash  TEXT NOT NULL
) STRICT;
