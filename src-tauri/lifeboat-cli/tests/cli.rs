//! The `lifeboat` binary end to end: a realistic generated tree and a database,
//! certificate encryption, JSON output, exit codes.

mod common;

use std::path::{Path, PathBuf};

use common::{host_programs, legacy_key_configuration, Cli};

fn dataset_script() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen-dataset.py");
    assert!(script.exists(), "the data-set generator is expected at {} (shared/ beside the repository)", script.display());
    script
}

fn manifest(root: &Path) -> String {
    host_programs::run("python3", &[dataset_script().as_os_str(), "manifest".as_ref(), "--root".as_ref(), root.as_os_str()], None)
}

#[test]
fn realistic_tree_round_trip_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let tree = root.join("workstation");
    let script = dataset_script();
    host_programs::run(
        "python3",
        &[script.as_os_str(), "create".as_ref(), "--scale".as_ref(), "0.01".as_ref(), "--seed".as_ref(), "3".as_ref(), "--root".as_ref(), tree.as_os_str()],
        None,
    );
    let cli = Cli { data: root.join("data") };
    let pfx = root.join("restore.pfx");
    let cer = root.join("backup.cer");
    let created = cli.json(&["cert", "create", "--subject", "CLI test", "--pfx-out", pfx.to_str().unwrap(), "--cer-out", cer.to_str().unwrap()], "a good password\n");
    let thumbprint = created["thumbprint"].as_str().unwrap().to_owned();
    assert_eq!(thumbprint.len(), 40);
    assert!(cli.ok(&["cert", "show", cer.to_str().unwrap()], "").contains(&thumbprint));

    // Encryption must be chosen before the first backup.
    cli.fails(&["backup", "now"], "", 2, "No encryption is set");
    cli.ok(&["encryption", "set-certificate", cer.to_str().unwrap()], "");
    cli.ok(&["items", "add", tree.to_str().unwrap(), "--name", "workstation"], "");
    let items = cli.json(&["items", "list"], "");
    assert_eq!(items[0]["name"], "workstation");
    assert_eq!(items[0]["kind"], "folder");

    let summary = cli.json(&["backup", "now"], "");
    let id = summary["id"].as_str().unwrap().to_owned();
    let list = cli.json(&["backups", "list"], "");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["recipients"][0], thumbprint.as_str());
    assert_eq!(list[0]["unencrypted"], false);

    // Plain progress lines when stderr is not a terminal.
    let out = cli.run(&["verify", &id, "--identity", pfx.to_str().unwrap(), "--password-stdin"], "a good password");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("verifying..."));
    assert_eq!(cli.json(&["verify", &id], "")["method"], "checksum");

    let restored = root.join("restored");
    cli.ok(&["restore", &id[..8], "--identity", pfx.to_str().unwrap(), "--password-stdin", "--to", restored.to_str().unwrap()], "a good password");
    assert_eq!(manifest(&tree), manifest(&restored.join("workstation")), "restored tree differs");

    // Wrong password: input error naming the problem. A damaged copy: integrity error.
    cli.fails(&["restore", &id, "--identity", pfx.to_str().unwrap(), "--password-stdin", "--to", "x"], "wrong", 2, "PFX password is wrong");
    let file = root.join("data/backups").join(summary["file_name"].as_str().unwrap());
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let damaged = root.join("damaged.lbk");
    std::fs::write(&damaged, bytes).unwrap();
    cli.fails(&["verify", damaged.to_str().unwrap(), "--identity", pfx.to_str().unwrap(), "--password-stdin"], "a good password", 3, "failed authentication");

    // Usage errors exit 2; secrets are refused as arguments because no such flag exists.
    cli.fails(&["encryption", "set-passphrase", "--passphrase", "hunter22"], "", 2, "unexpected argument");
    cli.fails(&["items", "add", "/definitely/not/here"], "", 2, "does not exist");
}

#[test]
fn database_and_passphrase_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let db = root.join("app.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);").unwrap();
    let cli = Cli { data: root.join("data") };
    cli.fails(&["encryption", "set-passphrase", "--passphrase-stdin"], "short", 2, "too short");
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "a long passphrase\n");
    assert_eq!(cli.json(&["encryption", "show"], "")["mode"], "passphrase");
    cli.ok(&["items", "add", db.to_str().unwrap()], "");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();
    drop(conn);
    let out = root.join("out");
    cli.ok(&["restore", &id, "--passphrase-stdin", "--to", out.to_str().unwrap()], "a long passphrase\n");
    let restored = rusqlite::Connection::open(out.join("app.db/app.db")).unwrap();
    let check: String = restored.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let count: i64 = restored.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 3);
    let err = cli.run(&["--json", "restore", &id, "--passphrase-stdin", "--to", out.to_str().unwrap()], "wrong passphrase\n");
    assert_eq!(err.status.code(), Some(2));
    let body: serde_json::Value = serde_json::from_slice(&err.stdout).unwrap();
    assert_eq!(body["error"]["kind"], "input");

    // An empty passphrase turns encryption off, and listings say so.
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "");
    cli.ok(&["backup", "now"], "");
    assert!(cli.ok(&["backups", "list"], "").contains("UNENCRYPTED"));

    // Legacy keys: only a configuration that already uses one may set one (to
    // rotate it), and the switch to certificates is one way.
    let key = cli.json(&["key", "generate"], "")["key"].as_str().unwrap().to_owned();
    cli.fails(&["encryption", "set-key", "--key-stdin"], &key, 2, "can only replace the key a configuration already uses");
    let legacy = Cli { data: root.join("legacy") };
    legacy_key_configuration(&legacy, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    let rotated = legacy.json(&["encryption", "set-key", "--key-stdin"], &key);
    assert_eq!(rotated["mode"], "key");
    let cer = root.join("c.cer");
    cli.ok(&["cert", "create", "--subject", "x", "--pfx-out", root.join("c.pfx").to_str().unwrap(), "--cer-out", cer.to_str().unwrap()], "a good password");
    legacy.ok(&["encryption", "set-certificate", cer.to_str().unwrap()], "");
    legacy.fails(&["encryption", "set-key", "--key-stdin"], &key, 2, "switching back to a key is not allowed");
}

/// What the window does to a backup without restoring it, from the command line:
/// look inside, say what a restore would replace, save a copy, delete it; and the
/// location's folder made and tested before it is saved.
#[test]
fn every_backup_action_of_the_window_has_a_command() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let docs = root.join("docs");
    std::fs::create_dir_all(docs.join("runbooks")).unwrap();
    std::fs::write(docs.join("runbooks/restore.md"), "# steps\n").unwrap();
    std::fs::write(docs.join("inventory.csv"), "host,role\n").unwrap();
    let cli = Cli { data: root.join("data") };
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "the actions passphrase");
    cli.ok(&["items", "add", docs.to_str().unwrap()], "");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();

    // Contents: the items, then one folder of one item.
    let items = cli.json(&["backups", "contents", &id, "--passphrase-stdin"], "the actions passphrase");
    let names: Vec<&str> = items["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["docs", "lifeboat-config", "lifeboat-vault"]);
    let top = cli.json(&["backups", "contents", &id, "--item", "docs", "--passphrase-stdin"], "the actions passphrase");
    let entries: Vec<(&str, &str)> = top["entries"].as_array().unwrap().iter().map(|e| (e["path"].as_str().unwrap(), e["kind"].as_str().unwrap())).collect();
    assert_eq!(entries, [("runbooks", "dir"), ("inventory.csv", "file")]);
    let human = cli.ok(&["backups", "contents", &id, "--item", "docs", "--path", "runbooks", "--passphrase-stdin"], "the actions passphrase");
    assert!(human.contains("runbooks/restore.md"), "{human}");
    cli.fails(&["backups", "contents", &id, "--passphrase-stdin"], "a wrong passphrase", 2, "passphrase that was set when it was made");

    // A restore previewed: what goes where, what it replaces, nothing written.
    std::fs::write(docs.join("inventory.csv"), "changed since").unwrap();
    let preview = cli.json(&["restore", &id, "--passphrase-stdin", "--preview"], "the actions passphrase");
    assert_eq!(preview[0]["target"], docs.to_str().unwrap());
    assert_eq!(preview[0]["replaces"][0], docs.to_str().unwrap());
    let elsewhere = root.join("elsewhere");
    let text = cli.ok(&["restore", &id, "--passphrase-stdin", "--preview", "--to", elsewhere.to_str().unwrap()], "the actions passphrase");
    assert!(text.contains("Nothing existing would be replaced.") && text.contains("Nothing was written"), "{text}");
    assert!(!elsewhere.exists());
    assert_eq!(std::fs::read_to_string(docs.join("inventory.csv")).unwrap(), "changed since");

    // A copy that restores on its own.
    let copy = root.join("archive/copy.lbk");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let copied = cli.json(&["backups", "copy", &id, "--to", copy.to_str().unwrap()], "");
    assert_eq!(copied["size"].as_u64().unwrap(), std::fs::metadata(&copy).unwrap().len());
    cli.fails(&["backups", "copy", &id, "--to", copy.to_str().unwrap()], "", 2, "already exists");
    cli.ok(&["restore", copy.to_str().unwrap(), "--passphrase-stdin", "--to", root.join("from-copy").to_str().unwrap()], "the actions passphrase");
    assert_eq!(std::fs::read_to_string(root.join("from-copy/docs/runbooks/restore.md")).unwrap(), "# steps\n");

    // Delete asks first: without a terminal, --yes is the answer.
    cli.fails(&["backups", "delete", &id], "", 2, "cannot be undone");
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 1, "nothing deleted without --yes");
    let deleted = cli.json(&["backups", "delete", &id[..8], "--yes"], "");
    assert_eq!(deleted["id"], id.as_str());
    assert!(cli.json(&["backups", "list"], "").as_array().unwrap().is_empty());

    // A location's folder: tested before it exists, created, then set.
    let folder = root.join("new/backups");
    cli.fails(&["location", "test", folder.to_str().unwrap()], "", 1, "does not exist");
    let created = cli.json(&["location", "create-folder", folder.to_str().unwrap()], "");
    assert_eq!(created["kind"], "local");
    assert!(folder.is_dir());
    assert!(cli.ok(&["location", "test", folder.to_str().unwrap()], "").starts_with("OK: local folder"));
    let shown = cli.json(&["location", "show"], "")["path"].as_str().map(std::path::PathBuf::from);
    assert_eq!(shown, Some(root.join("data").join("backups")), "testing saved nothing");
}
