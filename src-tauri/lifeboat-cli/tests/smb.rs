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

    // A wrong password is refused with its own exit code class and cause; nothing saved.
    cli.fails(&["location", "set-smb", &samba.unc(""), "--user", USER, "--password-stdin"], "nope\n", 1, "refused the user");
    assert_eq!(cli.json(&["location", "show"], "")["kind"], "local");

    let set = cli.json(&["location", "set-smb", &samba.unc(""), "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    assert_eq!((set["kind"].as_str(), set["user"].as_str()), (Some("smb"), Some(USER)));
    let tested = cli.ok(&["location", "test"], "");
    assert!(tested.starts_with("OK: SMB share"), "{tested}");

    let backup = cli.json(&["backup", "now"], "");
    let file_name = backup["file_name"].as_str().unwrap();
    assert!(samba.path_in_share(file_name).exists());
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 1);
}
