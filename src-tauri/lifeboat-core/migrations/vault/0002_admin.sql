-- The administrator password (src/vault/admin.rs): once set, the values and private
-- keys of the administrator's objects are sealed to the administrator key, whose
-- private part only the password opens; Lifeboat's own managed secrets stay under the
-- vault key. The key record is meta 'admin'.

ALTER TABLE versions ADD COLUMN sealed_for TEXT NOT NULL DEFAULT 'vault' CHECK (sealed_for IN ('vault', 'admin'));
