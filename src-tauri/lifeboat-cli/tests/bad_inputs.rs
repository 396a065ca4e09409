//! The command line's table of bad input: each row runs `lifeboat` with arguments
//! and stdin that are wrong, and expects its exit code and the words of its message
//! on stderr. None panics, and after the whole table the settings, the items, the
//! backups and the vault are exactly as before. (The engine's own table, every
//! field of the blades and every kind of file, is lifeboat-core's
//! tests/bad_inputs.rs; the window's is tests/gui/bad-inputs.mjs.)

mod common;

use std::fs;

use common::Cli;

/// The system's own words for a file that is not there.
const NOT_THERE: &str = if cfg!(windows) { "cannot be read: Path not found" } else { "cannot be read: No such file or directory" };

const PASSPHRASE: &str = "a good long passphrase";

/// Everything bad input must leave alone, as the command line shows it.
fn state(cli: &Cli) -> String {
    let shown: Vec<String> = [
        vec!["status"],
        vec!["location", "show"],
        vec!["encryption", "show"],
        vec!["schedule", "show"],
        vec!["retention", "show"],
        vec!["expiry", "show"],
        vec!["items", "list"],
        vec!["backups", "list"],
        vec!["vault", "list"],
        vec!["vault", "list", "--deleted"],
    ]
    .iter()
    .map(|args| {
        let mut value = cli.json(args, "");
        // When the location was last checked moves on by itself.
        if let Some(health) = value.get_mut("location").and_then(|l| l.get_mut("health")) {
            *health = serde_json::Value::Null;
        }
        value.as_object_mut().map(|o| o.remove("health"));
        value.to_string()
    })
    .collect();
    shown.join("\n")
}

#[test]
fn bad_command_lines_get_their_exit_code_and_a_clear_message_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let cli = Cli { data: root.join("data") };
    fs::create_dir(root.join("site")).unwrap();
    fs::write(root.join("site/a.txt"), "protected").unwrap();
    fs::write(root.join("plain.txt"), "not a backup, a blob or a certificate").unwrap();
    fs::write(root.join("short-password"), "short\n").unwrap();
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    cli.ok(&["items", "add", root.join("site").to_str().unwrap(), "--name", "site"], "");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();
    cli.ok(&["vault", "secret", "set", "kept", "--value-stdin"], "a kept value");
    let (plain, site, out) = (root.join("plain.txt"), root.join("site"), root.join("out"));
    let (plain, site, out) = (plain.to_str().unwrap(), site.to_str().unwrap(), out.to_str().unwrap());
    let short = root.join("short-password").to_string_lossy().into_owned();
    let before = state(&cli);

    #[rustfmt::skip]
    let table: Vec<(&str, Vec<&str>, &str, i32, &str)> = vec![
        // Arguments the command line itself refuses.
        ("an unknown command", vec!["frobnicate"], "", 2, "unrecognized subcommand 'frobnicate'"),
        ("a secret as an argument", vec!["restore", &id, "--passphrase", "hunter2"], "", 2, "unexpected argument '--passphrase'"),
        ("a schedule without a time", vec!["schedule", "set"], "", 2, "required arguments were not provided"),
        ("a number that is not one", vec!["retention", "set", "--days", "seven"], "", 2, "invalid value 'seven'"),
        // Settings.
        ("retention of 1 day", vec!["retention", "set", "--days", "1"], "", 2, "Retention of 1 day is out of range: choose 2 to 14 days."),
        ("at most 0 backups", vec!["retention", "set", "--max-count", "0"], "", 2, "choose 1 to 1000 backups"),
        ("expiry of 0 days", vec!["expiry", "set", "--days", "0"], "", 2, "choose 1 to 3650 days"),
        ("every 3 hours", vec!["schedule", "set", "--every-hours", "3"], "", 2, "choose 4 to 12 hours"),
        ("daily at 25:00", vec!["schedule", "set", "--daily-at", "25:00"], "", 2, "is not a time of day: give HH:MM in UTC"),
        ("a share path without a share", vec!["location", "set-smb", "fileserver", "--user", "u", "--password-stdin"], "pw", 2, "is not a share path"),
        ("a share without a user", vec!["location", "set-smb", r"\\fs\backups", "--user", "", "--password-stdin"], "pw", 2, r"Give the user as DOMAIN\user or user"),
        ("an S3 bucket with capitals", vec!["location", "set-s3", "--bucket", "Bad_Bucket", "--access-key-id", "AKIA", "--secret-stdin"], "secret", 2, "Give the bucket name"),
        ("an S3 endpoint over ftp", vec!["location", "set-s3", "--bucket", "bucket", "--endpoint", "ftp://x", "--access-key-id", "AKIA", "--secret-stdin"], "secret", 2, "Give the endpoint as a URL"),
        ("an Azure account with a space", vec!["location", "set-azure", "--account", "Bad Account", "--container", "backups", "--key-stdin"], "a2V5", 2, "Give the storage account name"),
        ("an Azure key that is not base64", vec!["location", "set-azure", "--account", "acct", "--container", "backups", "--key-stdin"], "not base64!", 2, "access key as the portal shows it"),
        ("a short passphrase", vec!["encryption", "set-passphrase", "--passphrase-stdin"], "short", 2, "The passphrase is too short (5 characters)"),
        ("a certificate file that is not there", vec!["encryption", "set-certificate", "/nonexistent/backup.cer"], "", 2, NOT_THERE),
        ("a file that is not a certificate", vec!["encryption", "set-certificate", plain], "", 2, "This file is not a certificate"),
        // Items.
        ("a folder that is not there", vec!["items", "add", "/nonexistent/folder"], "", 2, "/nonexistent/folder does not exist."),
        ("an unknown item kind", vec!["items", "add", site, "--kind", "tarball"], "", 2, "Unknown item kind \"tarball\": use folder, file or sqlite."),
        ("an exclude that is not a glob", vec!["items", "add", site, "--exclude", "[bad"], "", 2, "is not a valid glob"),
        ("the same folder twice", vec!["items", "add", site, "--name", "again"], "", 2, "is already protected as the item \"site\""),
        ("removing an unknown item", vec!["items", "remove", "nosuch"], "", 2, "There is no item named \"nosuch\"."),
        // Backups.
        ("an unknown backup", vec!["restore", "nosuchid", "--to", out], "", 2, "No backup \"nosuchid\""),
        ("a file that is not a backup", vec!["restore", plain, "--to", out], "", 2, "This is not a Lifeboat backup file"),
        ("a wrong passphrase", vec!["restore", &id, "--passphrase-stdin", "--to", out], "not the passphrase", 2, "cannot open this backup; it needs the passphrase"),
        ("a restore without the passphrase", vec!["restore", &id, "--to", out], "", 2, "This backup is encrypted; to open it give the passphrase"),
        ("an unknown item to restore", vec!["restore", &id, "--passphrase-stdin", "--item", "nosuch", "--to", out], PASSPHRASE, 2, "This backup has no item named \"nosuch\"; it holds: site"),
        ("a path outside the backup", vec!["restore", &id, "--passphrase-stdin", "--path", "../etc/passwd", "--to", out], PASSPHRASE, 2, "\"../etc/passwd\" is not a path inside an item"),
        ("deleting without --yes and no terminal", vec!["backups", "delete", &id], "", 2, "This cannot be undone. Nothing was done.\nhint: Add --yes to confirm."),
        ("deleting an unknown backup", vec!["backups", "delete", "nosuchid", "--yes"], "", 2, "No backup \"nosuchid\""),
        // The vault.
        ("a vault name with a space", vec!["vault", "secret", "set", "bad name", "--value-stdin"], "v", 2, "vault names use only letters (a-z, A-Z), digits and dashes"),
        ("an expiry that is not a time", vec!["vault", "secret", "set", "ok", "--value-stdin", "--expires", "yesterday"], "v", 2, "\"yesterday\" is not a time: use YYYY-MM-DD (UTC) or RFC 3339"),
        ("a tag without a value", vec!["vault", "secret", "set", "ok", "--value-stdin", "--tag", "novalue"], "v", 2, "The tag \"novalue\" is not NAME=VALUE."),
        ("a key of 1024 bits", vec!["vault", "key", "create", "k", "--size", "1024"], "", 2, "2048, 3072 or 4096 bits, not 1024"),
        ("revealing an unknown secret", vec!["vault", "secret", "show", "ghost", "--reveal"], "", 2, "There is no secret named \"ghost\""),
        ("a blob that is not there", vec!["vault", "restore", "/nonexistent/secret.lbvault"], "", 2, NOT_THERE),
        ("a file that is not a blob", vec!["vault", "restore", plain], "", 2, "This file is not a Lifeboat vault backup"),
        ("purging an object not deleted", vec!["vault", "purge", "secret", "kept", "--yes"], "", 2, "The secret \"kept\" is not deleted; delete it first."),
        // The administrator password and the audit trail.
        ("a short administrator password", vec!["admin", "set-password", "--new-password-file", &short], "", 2, "The administrator password is too short (5 characters)"),
        ("an administrator password file that is not there", vec!["--admin-password-file", "/nonexistent/password", "status"], "", 2, NOT_THERE),
        ("elevation for 0 minutes", vec!["admin", "set-timeout", "0"], "", 2, "choose 1 to 240 minutes"),
        ("elevating without a password set", vec!["admin", "set-timeout", "20"], "", 2, "No administrator password is set"),
        ("an unknown front end", vec!["audit", "list", "--front-end", "browser"], "", 2, "Unknown front end \"browser\": use window, cli or service."),
        ("an unknown outcome", vec!["audit", "list", "--outcome", "maybe"], "", 2, "Unknown outcome \"maybe\""),
        ("an audit time that is not a time", vec!["audit", "list", "--until", "soon"], "", 2, "\"soon\" is not a time"),
        ("both --csv and --json", vec!["--json", "audit", "list", "--csv"], "", 2, "Choose one of --csv and --json."),
    ];
    for (what, args, stdin, code, words) in &table {
        let run = cli.run(args, stdin);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(*code), "{what}: lifeboat {args:?}: {stderr}");
        assert!(stderr.contains(words), "{what}: lifeboat {args:?}: {stderr:?} lacks {words:?}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        println!("{what}: {}", stderr.lines().filter(|l| l.starts_with("error:") || l.starts_with("hint:")).collect::<Vec<_>>().join(" "));
    }
    assert_eq!(state(&cli), before, "bad input changed what Lifeboat holds");
    assert!(!std::path::Path::new(out).exists(), "a refused restore wrote into its destination");
    println!("{} bad command lines refused; nothing changed", table.len());
}
