//! `lifeboat admin` and elevated commands end to end: refused without the
//! administrator password (no terminal to ask on), allowed with --admin-password-file
//! while stdin still carries the passphrase, and the wait after wrong passwords held
//! across processes (the time fixed with LIFEBOAT_TEST_NOW, never slept).

mod common;

use std::ffi::OsStr;

use common::Cli;

const PASSPHRASE: &str = "an admin test passphrase";

#[test]
fn elevated_commands_need_the_administrator_password_and_scripts_give_it_in_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("notes.txt"), "elevate me\n").unwrap();
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    cli.ok(&["items", "add", docs.to_str().unwrap()], "");
    cli.ok(&["vault", "secret", "set", "db-password", "--value-stdin"], "the secret value");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();
    assert_eq!(cli.json(&["admin", "status"], "")["password_set"], false);

    // No terminal and no file: the new password cannot be asked.
    cli.fails(&["admin", "set-password"], "", 2, "--new-password-file FILE");
    let new = tmp.path().join("new-password");
    std::fs::write(&new, "short\n").unwrap();
    cli.fails(&["admin", "set-password", "--new-password-file", new.to_str().unwrap()], "", 2, "too short");
    std::fs::write(&new, "the administrator's password\n").unwrap();
    cli.ok(&["admin", "set-password", "--new-password-file", new.to_str().unwrap()], "");
    let status = cli.json(&["admin", "status"], "");
    assert_eq!((status["password_set"].as_bool(), status["timeout_minutes"].as_u64()), (Some(true), Some(5)));

    // Without the password: refused, nothing written, and the hint says how.
    let out = tmp.path().join("restored");
    let restore = ["restore", id.as_str(), "--passphrase-stdin", "--to", out.to_str().unwrap()];
    cli.fails(&restore, PASSPHRASE, 2, "Restore from the backup");
    cli.fails(&restore, PASSPHRASE, 2, "scripts add --admin-password-file FILE");
    assert!(!out.exists());
    cli.fails(&["vault", "secret", "show", "db-password", "--reveal"], "", 2, "this needs the administrator password");
    cli.fails(&["backups", "delete", &id, "--yes"], "", 2, "this needs the administrator password");
    cli.fails(&["expiry", "set", "--days", "45"], "", 2, "Change the expiry: this needs the administrator password");
    cli.fails(&["schedule", "disable"], "", 2, "Turn automatic backups off");
    // What never needs it.
    cli.ok(&["backup", "now"], "");
    cli.ok(&["verify", &id], "");
    cli.ok(&["status"], "");
    cli.ok(&["vault", "list"], "");

    // With the password in a file: stdin still carries the passphrase.
    let password = tmp.path().join("admin-password");
    std::fs::write(&password, "the administrator's password\n").unwrap();
    let elevated = |args: &[&str], stdin: &str| {
        let mut all = vec!["--admin-password-file", password.to_str().unwrap()];
        all.extend_from_slice(args);
        cli.ok(&all, stdin)
    };
    elevated(&restore, PASSPHRASE);
    assert_eq!(std::fs::read_to_string(out.join("docs/notes.txt")).unwrap(), "elevate me\n");
    assert_eq!(elevated(&["vault", "secret", "show", "db-password", "--reveal"], ""), "the secret value\n");
    elevated(&["expiry", "set", "--days", "45"], "");
    elevated(&["admin", "set-timeout", "20"], "");
    assert_eq!(cli.json(&["admin", "status"], "")["timeout_minutes"], 20);

    // Changing it needs the current one.
    std::fs::write(&new, "a second administrator password").unwrap();
    cli.fails(&["admin", "set-password", "--new-password-file", new.to_str().unwrap()], "", 2, "needs the current one");
    elevated(&["admin", "set-password", "--new-password-file", new.to_str().unwrap()], "");
    std::fs::write(&password, "a second administrator password").unwrap();
    elevated(&["backups", "delete", &id, "--yes"], "");

    let entries = cli.json(&["audit", "list", "--kind", "elevated-action", "--limit", "100"], "");
    let summaries: Vec<(&str, &str)> = entries.as_array().unwrap().iter().rev().map(|e| (e["summary"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert!(summaries.contains(&("Reveal the secret \"db-password\"", "succeeded")), "{summaries:?}");
    assert!(summaries.contains(&("Refused (not elevated): Reveal the secret \"db-password\"", "failed")), "{summaries:?}");
    assert!(summaries.iter().any(|(s, o)| s.starts_with("Delete the backup") && *o == "succeeded"), "{summaries:?}");
    let all = cli.ok(&["--json", "audit", "list", "--limit", "1000"], "");
    assert!(!all.contains("administrator's password") && !all.contains("a second administrator password") && !all.contains("the secret value"));
}

#[test]
fn the_wait_after_wrong_passwords_holds_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    let file = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let right = file("right", "the administrator's password");
    let wrong = file("wrong", "not the administrator's password");
    cli.ok(&["admin", "set-password", "--new-password-file", right.to_str().unwrap()], "");
    cli.ok(&["vault", "secret", "set", "s", "--value-stdin"], "v");
    let at = |seconds: u32| format!("2026-12-07T12:00:{seconds:02}Z");
    let reveal = |password: &std::path::Path, seconds: u32| {
        let now = at(seconds);
        cli.run_with(&["--admin-password-file", password.to_str().unwrap(), "vault", "secret", "show", "s", "--reveal"], "", &[("LIFEBOAT_TEST_NOW", OsStr::new(&now))])
    };
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();

    let first = reveal(&wrong, 0);
    assert!(stderr(&first).contains("The administrator password is wrong. Try again in 1 s."), "{}", stderr(&first));
    // Another process, the right password, the same second: refused without trying it.
    let early = reveal(&right, 0);
    assert!(stderr(&early).contains("Too many wrong administrator passwords: try again in 1 s."), "{}", stderr(&early));
    assert!(stderr(&reveal(&wrong, 1)).contains("Try again in 2 s."));
    assert!(stderr(&reveal(&right, 2)).contains("try again in 1 s."));
    assert!(stderr(&reveal(&wrong, 3)).contains("Try again in 4 s."));
    assert!(stderr(&reveal(&right, 6)).contains("try again in 1 s."));
    let allowed = reveal(&right, 7);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert_eq!(String::from_utf8_lossy(&allowed.stdout), "v\n");
    let failed = cli.json(&["audit", "list", "--kind", "elevation"], "");
    let outcomes: Vec<&str> = failed.as_array().unwrap().iter().rev().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["failed", "failed", "failed", "succeeded"]);
}
