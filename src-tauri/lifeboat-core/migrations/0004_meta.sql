-- Facts about the catalog itself. `migrated_by` names the Lifeboat version that last
-- changed the schema, so an older Lifeboat that meets it can say which version to
-- install. Every version reads this table the same way: it never changes shape.

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;
