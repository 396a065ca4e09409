//! Data folders across versions: one made by Lifeboat 0.2.0 (the real 0.2.0, built
//! from commit 92db769 by `fixtures/make-data-folder.sh`) is migrated forward with
//! every backup, vault object and setting intact; a catalog or vault from a newer
//! Lifeboat is refused, naming the version, and left byte for byte as it was.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::{host_programs, Cli};
use serde_json::Value;

/// Where the fixture was made: the catalog keeps absolute paths.
const ROOT: &str = "/tmp/lifeboat-compat";
const PASSPHRASE: &str = "compat-passphrase-020";

fn unpack_fixture() -> PathBuf {
    let root = PathBuf::from(ROOT);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-folder-0.2.0.tar.gz");
    host_programs::run("tar", &[OsStr::new("-C"), root.as_os_str(), OsStr::new("-xzf"), fixture.as_os_str()], None);
    root
}

fn expected(root: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("expected").join(name)).unwrap()).unwrap()
}

fn user_version(db: &Path) -> i64 {
    rusqlite::Connection::open(db).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

/// What a listing says of a backup that must not change: its identity and header.
fn backup_identity(listing: &Value) -> Vec<Value> {
    let keys = ["id", "file_name", "size", "created_at", "expires_at", "installation_id", "lifeboat_version", "encryption", "recipients"];
    listing.as_array().unwrap().iter().map(|b| Value::Object(keys.iter().map(|k| (k.to_string(), b[k].clone())).collect())).collect()
}

#[test]
#[cfg_attr(windows, ignore = "the fixture is a data folder Lifeboat 0.2.0 made on Linux, where 0.2.0 only ran: its catalog holds Linux paths, which are not absolute on Windows")]
fn a_0_2_0_data_folder_is_migrated_forward_with_every_backup_vault_object_and_setting_intact() {
    let root = unpack_fixture();
    let cli = Cli { data: root.join("data") };
    assert_eq!(std::fs::read_to_string(root.join("expected/version.txt")).unwrap().trim(), "lifeboat 0.2.0");
    assert_eq!(user_version(&cli.data.join("catalog.db")), 3, "the fixture is 0.2.0's schema");

    // Settings, as 0.2.0 showed them.
    assert_eq!(cli.json(&["items", "list"], ""), expected(&root, "items.json"));
    assert_eq!(cli.json(&["location", "show"], "")["location"], expected(&root, "location.json")["location"]);
    let status = cli.json(&["status"], "");
    let before = expected(&root, "status.json");
    for key in ["location", "retention", "expiry_days", "stall_timeout_secs", "encryption", "items"] {
        assert_eq!(status["settings"][key], before["settings"][key], "{key}");
    }
    assert_eq!(status["settings"]["schedule"]["schedule"], before["settings"]["schedule"]["schedule"]);
    assert_eq!(cli.json(&["schedule", "show"], "")["schedule"], expected(&root, "schedule.json")["schedule"]);
    // The schema moved forward, and says who moved it.
    let current = user_version(&cli.data.join("catalog.db"));
    assert_eq!(current, 5, "0.3's schema: operations, listings, meta, audit");
    let migrated_by: String =
        rusqlite::Connection::open(cli.data.join("catalog.db")).unwrap().query_row("SELECT value FROM meta WHERE key = 'migrated_by'", [], |r| r.get(0)).unwrap();
    assert_eq!(migrated_by, env!("CARGO_PKG_VERSION"));

    // The vault: every object, the deleted one, versions, a value, its settings.
    assert_eq!(cli.json(&["vault", "list"], ""), expected(&root, "vault.json"));
    assert_eq!(cli.json(&["vault", "list", "--deleted"], ""), expected(&root, "vault-deleted.json"));
    assert_eq!(cli.json(&["vault", "secret", "show", "db-password", "--reveal"], ""), expected(&root, "secret.json"));
    assert_eq!(cli.json(&["vault", "versions", "secret", "db-password"], ""), expected(&root, "secret-versions.json"));
    assert_eq!(cli.json(&["vault", "settings"], ""), expected(&root, "vault-settings.json"));

    // Every backup is listed as before, verifies, and the newest restores.
    let listed = cli.json(&["backups", "list"], "");
    assert_eq!(backup_identity(&listed), backup_identity(&expected(&root, "backups.json")));
    assert_eq!(listed.as_array().unwrap().len(), 2);
    for backup in listed.as_array().unwrap() {
        let id = backup["id"].as_str().unwrap();
        cli.ok(&["verify", id, "--passphrase-stdin"], PASSPHRASE);
    }
    let newest = listed.as_array().unwrap().iter().max_by_key(|b| b["created_at"].as_str().unwrap().to_owned()).unwrap();
    let restored = root.join("restored");
    cli.ok(&["restore", newest["id"].as_str().unwrap(), "--passphrase-stdin", "--to", restored.to_str().unwrap()], PASSPHRASE);
    for file in ["config/app1.conf", "config/app2.conf", "config/app3.conf"] {
        assert_eq!(std::fs::read(restored.join(file)).unwrap(), std::fs::read(root.join("source").join(file)).unwrap(), "{file}");
    }
    assert_eq!(std::fs::read(restored.join("hosts/hosts.txt")).unwrap(), std::fs::read(root.join("source/hosts.txt")).unwrap());
    let rows: String = rusqlite::Connection::open(restored.join("inventory/inventory.db")).unwrap().query_row("SELECT name || ip FROM hosts", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, "web110.0.0.1");

    // And it goes on working: a new backup lands beside the old ones.
    cli.ok(&["backup", "now"], "");
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 3);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(dir).into_iter().map(|p| (p.strip_prefix(dir).unwrap().to_owned(), std::fs::read(&p).unwrap())).collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Marks a database as written by a newer Lifeboat: a schema version past this
/// one's, and the meta row such a version leaves.
fn from_the_future(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated_by', '9.1.0')", []).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
}

#[test]
fn a_catalog_or_vault_from_a_newer_lifeboat_is_refused_and_left_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { data: dir.path().join("data") };
    cli.ok(&["vault", "secret", "set", "token", "--value-stdin"], "kept-as-it-was");
    cli.ok(&["status"], "");

    let current = user_version(&cli.data.join("catalog.db"));
    from_the_future(&cli.data.join("catalog.db"));
    let before = snapshot(&cli.data);
    for args in [&["status"][..], &["backup", "now"], &["items", "list"]] {
        cli.fails(args, "", 1, &format!("was used by Lifeboat 9.1.0, which keeps it in a form this Lifeboat ({}) cannot read", env!("CARGO_PKG_VERSION")));
        cli.fails(args, "", 1, "Install Lifeboat 9.1.0 or newer to use this data folder; nothing in it was changed.");
    }
    assert_eq!(snapshot(&cli.data), before, "the data folder is byte for byte as it was");

    // The catalog back as it was, the vault from the future.
    rusqlite::Connection::open(cli.data.join("catalog.db")).unwrap().pragma_update(None, "user_version", current).unwrap();
    from_the_future(&cli.data.join("vault.db"));
    let before = snapshot(&cli.data);
    cli.fails(&["vault", "list"], "", 1, "The vault ");
    cli.fails(&["vault", "list"], "", 1, "was used by Lifeboat 9.1.0");
    let after = snapshot(&cli.data);
    let vault = |s: &BTreeMap<PathBuf, Vec<u8>>| s.iter().filter(|(p, _)| p.starts_with("vault.db")).map(|(p, b)| (p.clone(), b.clone())).collect::<Vec<_>>();
    assert_eq!(vault(&after), vault(&before), "the vault is byte for byte as it was");
}
