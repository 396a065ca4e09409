//! `lifeboat vault`: every object command with human and JSON output, and a blob
//! carried from one installation to another after pairing their geographies.

mod common;

use common::{host_programs, Cli};

#[test]
fn the_vault_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let cli = Cli { data: root.join("data") };
    let path = |name: &str| root.join(name).display().to_string();

    // A secret: stored from stdin, hidden until revealed, versions and attributes.
    let first = cli.json(&["vault", "secret", "set", "db-password", "--value-stdin", "--tag", "env=prod", "--content-type", "text/plain"], "first value\n");
    assert_eq!(first["attributes"]["tags"]["env"], "prod");
    cli.ok(&["vault", "secret", "set", "db-password", "--value-stdin"], "second value");
    let shown = cli.ok(&["vault", "secret", "show", "db-password"], "");
    assert!(shown.contains("Value: hidden") && !shown.contains("second value"), "{shown}");
    assert!(cli.json(&["vault", "secret", "show", "db-password"], "")["value"].is_null());
    assert_eq!(cli.ok(&["vault", "secret", "show", "db-password", "--reveal"], ""), "second value\n");
    let old = first["version"].as_str().unwrap();
    assert_eq!(cli.json(&["vault", "secret", "show", "db-password", "--version", old, "--reveal"], "")["value"], "first value");
    let versions = cli.json(&["vault", "versions", "secret", "db-password"], "");
    assert_eq!(versions.as_array().unwrap().len(), 2);
    cli.ok(&["vault", "update", "secret", "db-password", "--version", old, "--disable", "--expires", "2030-01-01"], "");
    cli.fails(&["vault", "secret", "show", "db-password", "--version", old, "--reveal"], "", 2, "is disabled");
    let table = cli.ok(&["vault", "versions", "secret", "db-password"], "");
    assert!(table.contains("disabled") && table.contains("enabled"), "{table}");
    cli.fails(&["vault", "secret", "set", "bad_name", "--value-stdin"], "x", 2, "letters (a-z, A-Z), digits and dashes");
    cli.fails(&["vault", "update", "secret", "db-password", "--expires", "next tuesday"], "", 2, "is not a time");

    // A key and a certificate: made in the vault, only public parts leave it.
    cli.ok(&["vault", "key", "create", "signing", "--size", "2048"], "");
    cli.ok(&["vault", "key", "export", "signing", "--out", &path("signing.pem")], "");
    assert!(std::fs::read_to_string(root.join("signing.pem")).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    cli.ok(&["vault", "cert", "create", "internal", "--subject", "CLI Test", "--size", "2048"], "");
    cli.ok(&["vault", "cert", "export", "internal", "--out", &path("internal.cer")], "");
    let shown = cli.ok(&["cert", "show", &path("internal.cer")], "");
    assert!(shown.contains("CN=CLI Test"), "{shown}");
    cli.fails(&["vault", "cert", "export", "internal", "--out", &path("internal.cer")], "", 2, "already exists");
    host_programs::run("openssl", &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-subj", "/CN=imported", "-days", "10"], Some(root));
    host_programs::run("openssl", &["pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-out", "i.pfx", "-passout", "pass:import-pass"], Some(root));
    cli.fails(&["vault", "cert", "import", "imported", &path("i.pfx"), "--password-stdin"], "nope", 2, "PFX password is wrong");
    let imported = cli.json(&["vault", "cert", "import", "imported", &path("i.pfx"), "--password-stdin"], "import-pass");
    assert_eq!(imported["details"]["subject"], "CN=imported");
    let listed = cli.json(&["vault", "list"], "");
    let names: Vec<(&str, &str)> = listed.as_array().unwrap().iter().map(|o| (o["kind"].as_str().unwrap(), o["name"].as_str().unwrap())).collect();
    assert_eq!(names, [("secret", "db-password"), ("key", "signing"), ("certificate", "imported"), ("certificate", "internal")]);

    // Soft-delete, recover, purge (asked first).
    cli.ok(&["vault", "delete", "key", "signing"], "");
    assert_eq!(cli.json(&["vault", "list", "--deleted"], "")[0]["name"], "signing");
    cli.fails(&["vault", "key", "export", "signing", "--out", &path("again.pem")], "", 2, "is deleted");
    cli.ok(&["vault", "recover", "key", "signing"], "");
    cli.ok(&["vault", "delete", "key", "signing"], "");
    cli.fails(&["vault", "purge", "key", "signing"], "", 2, "cannot be recovered afterwards");
    cli.ok(&["vault", "purge", "key", "signing", "--yes"], "");
    assert!(cli.json(&["vault", "list", "--deleted"], "").as_array().unwrap().is_empty());

    // A blob goes to another installation once it shares the geography.
    cli.ok(&["vault", "backup", "secret", "db-password", "--out", &path("db.blob")], "");
    let other = Cli { data: root.join("other") };
    other.fails(&["vault", "restore", &path("db.blob")], "", 2, "belongs to another geography");
    cli.ok(&["vault", "geography", "export", "--out", &path("geo.json"), "--passphrase-stdin"], "pairing passphrase");
    other.fails(&["vault", "geography", "import", &path("geo.json"), "--passphrase-stdin"], "wrong", 2, "passphrase for this geography file is wrong");
    other.ok(&["vault", "geography", "import", &path("geo.json"), "--passphrase-stdin"], "pairing passphrase");
    let restored = other.json(&["vault", "restore", &path("db.blob")], "");
    assert_eq!(restored["versions"], 2);
    assert_eq!(other.ok(&["vault", "secret", "show", "db-password", "--reveal"], ""), "second value\n");
    other.fails(&["vault", "restore", &path("db.blob")], "", 2, "already exists");
    std::fs::write(root.join("junk.blob"), b"not a blob").unwrap();
    other.fails(&["vault", "restore", &path("junk.blob")], "", 2, "not a Lifeboat vault backup");
    // Each restore, refused or not, is an operation in the history.
    let history = other.json(&["operations", "list"], "");
    let restores: Vec<&str> = history.as_array().unwrap().iter().filter(|o| o["kind"] == "vault-restore").map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(restores, ["failed", "failed", "succeeded", "failed"], "{history}");

    // Vault settings: recovery period and purge protection, which stays on.
    cli.fails(&["vault", "settings", "--recovery-days", "5"], "", 2, "choose 7 to 90 days");
    assert_eq!(cli.json(&["vault", "settings", "--recovery-days", "30"], "")["recovery_days"], 30);
    cli.fails(&["vault", "purge-protection", "enable"], "", 2, "cannot be turned off");
    assert_eq!(cli.json(&["vault", "purge-protection", "enable", "--yes"], "")["purge_protection"], true);
    cli.ok(&["vault", "delete", "secret", "db-password"], "");
    cli.fails(&["vault", "purge", "secret", "db-password", "--yes"], "", 2, "Purge protection is on");
    let settings = cli.ok(&["vault", "settings"], "");
    assert!(settings.contains("on (cannot be turned off)") && settings.contains("in a file readable only by this user"), "{settings}");
    // Asking for the place the key already is changes nothing.
    assert_eq!(cli.json(&["vault", "settings", "--key-in", "file"], "")["key_in_credential_store"], false);
    assert!(root.join("data/secrets/vault.key").is_file());
}

#[test]
fn recover_from_a_downloaded_backup_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let cli = Cli { data: root.join("data") };
    std::fs::create_dir(root.join("docs")).unwrap();
    std::fs::write(root.join("docs/a.txt"), "a").unwrap();
    cli.ok(&["items", "add", root.join("docs").to_str().unwrap()], "");
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "recovery passphrase");
    cli.ok(&["schedule", "set", "--every-hours", "8"], "");
    cli.ok(&["vault", "secret", "set", "s", "--value-stdin"], "v");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();
    let file = root.join("copy.lbk");
    cli.ok(&["backups", "copy", &id, "--to", file.to_str().unwrap()], "");
    let schedule = cli.json(&["schedule", "show"], "");

    let other = Cli { data: root.join("other") };
    other.ok(&["items", "add", root.join("docs").to_str().unwrap(), "--name", "mine"], "");
    let plan = other.json(&["recover", file.to_str().unwrap(), "--passphrase-stdin", "--preview"], "recovery passphrase");
    assert_eq!(plan["replaces"], "1 protected item(s)");
    assert_eq!(plan["vault"]["objects"], 1);
    other.fails(&["recover", file.to_str().unwrap(), "--passphrase-stdin"], "recovery passphrase", 2, "Add --yes to confirm");
    other.fails(&["recover", file.to_str().unwrap(), "--passphrase-stdin", "--yes"], "wrong passphrase", 2, "passphrase that was set when it was made");
    let report = other.json(&["recover", file.to_str().unwrap(), "--passphrase-stdin", "--yes"], "recovery passphrase");
    assert!(std::path::Path::new(report["safety_copy"].as_str().unwrap()).join("catalog.db").is_file());
    assert_eq!(other.json(&["schedule", "show"], ""), schedule);
    assert_eq!(other.json(&["items", "list"], "")[0]["name"], "docs");
    assert_eq!(other.ok(&["vault", "secret", "show", "s", "--reveal"], ""), "v\n");
}
