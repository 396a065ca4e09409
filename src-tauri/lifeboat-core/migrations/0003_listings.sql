-- What each backup location held when it was last listed: one row per backup file
-- with what its header says, so status and listings need no header reads for files
-- already seen. Rows are added by backups, removed by deletes, and reconciled with
-- the folder by every listing.

CREATE TABLE listings (
    location   TEXT NOT NULL,   -- the target, as it describes itself
    file_name  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    header     TEXT,            -- JSON summary of the header; NULL when it could not be read
    problem    TEXT,            -- why the header could not be read
    PRIMARY KEY (location, file_name)
) STRICT;
