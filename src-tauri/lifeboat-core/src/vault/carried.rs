//! The vault as a backup carries it and a recovery puts it back: a consistent copy
//! holding its own key, swapped in whole with the key stored like a new vault's.

use std::path::Path;

use base64::Engine as _;
use rusqlite::Connection;
use rusqlite_migration::Migrations;
use zeroize::Zeroizing;

use super::key_home::{self, KeyHome};
use super::rows::{meta, set_meta};
use super::{geography, Held, Vault, BUSY_TIMEOUT, MIGRATIONS};
use crate::error::{Error, Result};

/// The meta key under which a vault copy in a backup carries its vault key.
const CARRIED_KEY: &str = "carried_key";

impl Vault {
    /// A consistent copy of the vault that carries its key (meta `carried_key`), for a
    /// backup: the backup's encryption protects it, and a recovery needs both.
    pub fn snapshot_carrying_key(&self, dest: &Path, cancel: &crate::progress::Cancel) -> Result<()> {
        let key = self.key()?;
        crate::sqlite::snapshot(&self.conn, dest, cancel)?;
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // The copy is about to hold the key: readable by this user only, and removed
        // with the backup's scratch folder.
        crate::owner_only::restrict(dest).map_err(|e| Error::operation(format!("protecting {}: {e}", dest.display())))?;
        let copy = Connection::open(dest)?;
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_ref()));
        set_meta(&copy, CARRIED_KEY, &text)?;
        Ok(())
    }

    /// Replaces this vault with a copy a backup carried (`snapshot_carrying_key`): its
    /// objects, versions, geographies and settings, its id, and its key, which goes
    /// to the credential store or the key file like a new vault's. One transaction.
    pub(crate) fn replace_with(&self, copy: &Path) -> Result<()> {
        let unreadable = |why: String| Error::integrity(format!("The vault in this backup cannot be used: {why}."));
        let mut carried = Connection::open(copy)?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut carried).map_err(|e| unreadable(format!("{e} (made by a newer Lifeboat?)")))?;
        let id = meta(&carried, "vault_id")?.ok_or_else(|| unreadable("it has no id".into()))?;
        let key_text = Zeroizing::new(meta(&carried, CARRIED_KEY)?.ok_or_else(|| unreadable("it does not carry its key".into()))?);
        let key = key_home::decode(key_text.as_bytes()).ok_or_else(|| unreadable("its key is damaged".into()))?;
        geography::current(&carried, &key).map_err(|_| unreadable("its key does not open it".into()))?;
        drop(carried);

        let (old_id, old_home) = {
            let held = self.held()?;
            (held.id.clone(), held.home)
        };
        // The new key is kept beside the old one until the vault has changed: a crash
        // in between leaves a key for whichever vault the file holds.
        let home = key_home::store_new(&self.data_dir, &id, &key)?;
        self.conn.execute("ATTACH DATABASE ?1 AS carried", [copy.to_string_lossy()])?;
        let replaced = (|| -> Result<()> {
            let tx = self.conn.unchecked_transaction()?;
            tx.execute_batch(
                "DELETE FROM main.versions; DELETE FROM main.objects; DELETE FROM main.geographies; DELETE FROM main.meta;
                 INSERT INTO main.meta SELECT * FROM carried.meta WHERE key NOT IN ('carried_key', 'key_home');
                 INSERT INTO main.geographies SELECT * FROM carried.geographies;
                 INSERT INTO main.objects SELECT * FROM carried.objects;
                 INSERT INTO main.versions SELECT * FROM carried.versions;",
            )?;
            set_meta(&tx, "key_home", &crate::names::name_of(&home))?;
            tx.commit()?;
            Ok(())
        })();
        self.conn.execute("DETACH DATABASE carried", [])?;
        replaced?;
        if old_id != id {
            key_home::forget(&self.data_dir, &old_id, old_home);
        }
        if home == KeyHome::File {
            key_home::keep_only(&self.data_dir, &id)?;
        } else {
            let _ = std::fs::remove_file(key_home::file_path(&self.data_dir));
        }
        *self.held.borrow_mut() = Held { id, home, key: Some(key) };
        self.purge_expired()?;
        Ok(())
    }
}
