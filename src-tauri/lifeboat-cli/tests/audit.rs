//! `lifeboat audit` end to end: what each front end did is listed with its outcome,
//! the chain checks out, and an entry edited in the catalog makes `audit verify` fail
//! naming it.

mod common;

use common::Cli;

#[test]
fn the_audit_trail_lists_changes_and_operations_and_verify_finds_an_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    assert_eq!(cli.ok(&["audit", "list"], "").trim(), "No audit entries.");
    assert_eq!(cli.ok(&["audit", "verify"], "").trim(), "The audit trail is empty.\nNo backup at the location has recorded a head of the trail yet.");

    std::fs::create_dir_all(tmp.path().join("docs")).unwrap();
    std::fs::write(tmp.path().join("docs/notes.txt"), "audit me\n").unwrap();
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "the audit passphrase");
    cli.ok(&["items", "add", tmp.path().join("docs").to_str().unwrap()], "");
    cli.ok(&["retention", "set", "--max-count", "7"], "");
    cli.ok(&["backup", "now"], "");

    let entries = cli.json(&["audit", "list"], "");
    let entries = entries.as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().rev().map(|e| e["kind"].as_str().unwrap()).collect();
    // The passphrase's key is a managed vault secret, stored just before the setting.
    assert_eq!(kinds[..4], ["vault-changed", "settings-changed", "settings-changed", "settings-changed"]);
    // The backup, then the retention sweep that follows it.
    assert_eq!(kinds[4..], ["operation-started", "operation-finished", "operation-started", "operation-finished"]);
    assert!(entries.iter().all(|e| e["front_end"] == "cli" && !e["os_user"].as_str().unwrap().is_empty()), "{entries:?}");
    let retention = entries.iter().find(|e| e["summary"] == "Settings changed: retention").unwrap();
    assert_eq!(retention["details"]["retention"]["new"]["max_count"], 7);
    let ended = cli.json(&["audit", "list", "--kind", "operation-finished"], "");
    let ended: Vec<(&str, &str)> = ended.as_array().unwrap().iter().map(|e| (e["details"]["kind"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert_eq!(ended, [("retention", "succeeded"), ("backup", "succeeded")]);
    assert!(cli.json(&["audit", "list", "--since", "2999-01-01"], "").as_array().unwrap().is_empty());
    cli.fails(&["audit", "list", "--since", "last week"], "", 2, "is not a time");
    let table = cli.ok(&["audit", "list", "--limit", "4"], "");
    assert!(table.contains("backup succeeded") && !table.contains("Settings changed"), "{table}");

    let verdict = cli.json(&["audit", "verify"], "");
    assert_eq!(verdict["chain"]["broken"], serde_json::Value::Null);
    assert_eq!(verdict["chain"]["head"]["seq"].as_u64(), Some(entries.len() as u64));
    // The backup's header recorded the head as the backup started.
    assert_eq!(verdict["witnesses"], 1);
    assert_eq!(verdict["contradictions"], serde_json::json!([]));

    // Someone edits what a change set, straight in the catalog.
    let db = rusqlite::Connection::open(cli.data.join("catalog.db")).unwrap();
    db.execute("UPDATE audit SET body = replace(body, '\"max_count\":7', '\"max_count\":9') WHERE body LIKE '%Settings changed: retention%'", []).unwrap();
    let edited: u64 = db.query_row("SELECT seq FROM audit WHERE body LIKE '%\"max_count\":9%'", [], |r| r.get(0)).unwrap();
    cli.fails(&["audit", "verify"], "", 3, &format!("The audit trail was changed: entry {edited} was changed after it was written"));
}
