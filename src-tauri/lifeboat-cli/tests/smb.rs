//! `lifeboat location set-smb` and `location test` through the binary, against the
//! real Samba the engine's tests use.

mod common;
#[allow(dead_code)]
#[path = "../../lifeboat-core/tests/common/samba.rs"]
mod samba;

use common::Cli;
use samba::{Samba, PASSWORD, USER};

#[test]
fn a_share_set_from_the_command_line_takes_backups() {
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    std::fs::create_dir(tmp.path().join("docs")).unwrap();
    std::fs::write(tmp.path().join("docs/runbook.md"), "# steps\n").unwrap();
    cli.ok(&["items", "add", tmp.path().join("docs").to_str().unwrap()], "");
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "a passphrase for the share");
    // A folder of its own: the Windows tests share one server.
    let folder = format!("cli-share-{}", std::process::id());
    cli.ok(&["location", "create-folder", &samba.unc(&folder), "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    let unc = samba.unc(&folder);

    // A wrong password is refused with its own exit code class and cause; nothing saved.
    cli.fails(&["location", "set-smb", &unc, "--user", USER, "--password-stdin"], "nope\n", 1, "refused the user");
    assert_eq!(cli.json(&["location", "show"], "")["kind"], "local");

    let set = cli.json(&["location", "set-smb", &unc, "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    assert_eq!((set["kind"].as_str(), set["user"].as_str()), (Some("smb"), Some(USER)));
    let tested = cli.ok(&["location", "test"], "");
    assert!(tested.starts_with("OK: SMB share"), "{tested}");

    let backup = cli.json(&["backup", "now"], "");
    let file_name = backup["file_name"].as_str().unwrap();
    assert!(samba.path_in_share(&format!("{folder}/{file_name}")).exists());
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 1);

    // The workstation is lost: a fresh installation recovers from the share, then
    // backs up to it without the share password being typed again.
    cli.ok(&["vault", "secret", "set", "app-token", "--value-stdin"], "token-1");
    cli.ok(&["backup", "now"], "");
    let before: Vec<serde_json::Value> = [&["status"][..], &["items", "list"], &["vault", "list"], &["location", "show"]].iter().map(|args| cli.json(args, "")).collect();
    let fresh = Cli { data: tmp.path().join("fresh") };
    let list = ["recover", &unc, "--user", USER, "--share-password-stdin", "--list"];
    let there = fresh.json(&list, &format!("{PASSWORD}\n"));
    let ids: Vec<&str> = there.as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{there}");
    assert_eq!(ids[0], before[0]["last_backup"]["backup_id"].as_str().unwrap(), "newest first");
    let table = fresh.ok(&list, &format!("{PASSWORD}\n"));
    assert!(table.contains(ids[1]) && table.contains("made on"), "{table}");
    let preview = fresh.ok(&["recover", &unc, "--user", USER, "--share-password-stdin", "--passphrase-stdin", "--preview"], &format!("{PASSWORD}\na passphrase for the share\n"));
    assert!(preview.contains("This installation is new") && preview.contains("1 object(s)"), "{preview}");
    assert_eq!(fresh.json(&["items", "list"], "").as_array().unwrap().len(), 0, "the preview changed nothing");
    fresh.ok(&["recover", &unc, "--user", USER, "--share-password-stdin", "--passphrase-stdin"], &format!("{PASSWORD}\na passphrase for the share\n"));
    let after: Vec<serde_json::Value> = [&["status"][..], &["items", "list"], &["vault", "list"], &["location", "show"]].iter().map(|args| fresh.json(args, "")).collect();
    assert_eq!(after[1..3], before[1..3], "items and vault as they were");
    for field in ["kind", "path", "user", "description"] {
        assert_eq!(after[3][field], before[3][field], "the location's {field}");
    }
    assert_eq!(after[0]["settings"], before[0]["settings"]);
    assert_eq!(after[0]["last_backup"]["id"], before[0]["last_backup"]["id"], "the same last backup");
    let next = fresh.json(&["backup", "now"], "");
    assert!(samba.path_in_share(&format!("{folder}/{}", next["file_name"].as_str().unwrap())).exists(), "a backup to the share right after recovery");
    assert_eq!(fresh.ok(&["vault", "secret", "show", "app-token", "--reveal"], ""), "token-1\n");
}

/// Windows' own SMB client signed in as the Windows user (no user given), checked
/// against Lifeboat's own client on the same share. Wine has no SMB client, but it
/// maps `\\server\share` to a folder (`dosdevices/unc/server/share` in its prefix);
/// scripts/test.sh maps one to the Samba share's folder and names it in
/// `LIFEBOAT_TEST_WINDOWS_SHARE`. So this runs everything of Lifeboat's on that path
/// through a UNC path as Windows programs use one; Windows' SMB client and Kerberos
/// themselves only a real Windows shows.
#[cfg(windows)]
#[test]
fn a_share_signed_in_as_the_windows_user_takes_backups_that_the_own_client_reads() {
    let samba = Samba::start();
    let os_share = std::env::var("LIFEBOAT_TEST_WINDOWS_SHARE").expect("LIFEBOAT_TEST_WINDOWS_SHARE: the share scripts/test.sh maps for Wine");
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    let docs = tmp.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("runbook.md"), "# steps\n").unwrap();
    std::fs::write(docs.join("inventory.csv"), common::noise(300_000, 24)).unwrap();
    cli.ok(&["items", "add", docs.to_str().unwrap()], "");
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "a passphrase for the share");

    // The folder is made by Samba's user, so both clients may write in it.
    let folder = format!("windows-sign-in-{}", std::process::id());
    cli.ok(&["location", "create-folder", &samba.unc(&folder), "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    let path = format!(r"{os_share}\{folder}");
    let set = cli.json(&["location", "set-smb", &path], "");
    assert_eq!((set["kind"].as_str(), set["user"].as_str()), (Some("smb"), None), "{set}");
    assert!(set["description"].as_str().unwrap().ends_with("(as the signed-in Windows user)"), "{set}");
    assert!(cli.ok(&["location", "test"], "").starts_with("OK: SMB share"));
    let backup = cli.json(&["backup", "now"], "");
    let file_name = backup["file_name"].as_str().unwrap();
    assert!(samba.path_in_share(&format!("{folder}/{file_name}")).is_file(), "written into the share's folder");
    cli.ok(&["verify", backup["id"].as_str().unwrap()], "");

    // Another installation reads the same backup through Lifeboat's own client.
    let fresh = Cli { data: tmp.path().join("fresh") };
    let secrets = format!("{PASSWORD}\na passphrase for the share\n");
    fresh.ok(&["recover", &samba.unc(&folder), "--user", USER, "--share-password-stdin", "--passphrase-stdin"], &secrets);
    let restored = tmp.path().join("restored");
    fresh.ok(&["restore", backup["id"].as_str().unwrap(), "--passphrase-stdin", "--to", restored.to_str().unwrap()], "a passphrase for the share\n");
    for name in ["runbook.md", "inventory.csv"] {
        assert_eq!(std::fs::read(restored.join("docs").join(name)).unwrap(), std::fs::read(docs.join(name)).unwrap(), "{name}");
    }

    // Windows' client has no port to give, and a password needs its user.
    cli.fails(&["location", "set-smb", &samba.unc(&folder)], "", 2, "always uses port 445");
    cli.fails(&["location", "test", &format!(r"{os_share}\no-such-folder-here")], "", 1, "does not exist");
}

#[cfg(not(windows))]
#[test]
fn a_share_without_a_user_is_refused_off_windows_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    cli.fails(&["location", "set-smb", r"\\nas01\backups\ws-07"], "", 2, "works on Windows only");
    cli.fails(&["location", "test", r"\\nas01\backups\ws-07"], "", 2, "works on Windows only");
    cli.fails(&["location", "set-smb", r"\\nas01\backups\ws-07", "--user", "ops"], "", 2, "--password-stdin");
    assert_eq!(cli.json(&["location", "show"], "")["kind"], "local", "nothing saved");
}
