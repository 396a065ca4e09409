//! Source files and folders the account running Lifeboat may not read: the backup
//! succeeds with a warning naming each one and the reason, and holds everything else.
//! Root reads any file, so as root (the suite in CI) Lifeboat runs as `nobody`
//! through `setpriv`, over a data folder that account owns.

// Unreadable through Unix modes, as another account through setpriv.
#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::Path;
use std::process::{Output, Stdio};

mod common;

use common::{running_as_root, unprivileged, NOBODY};

const PASSPHRASE: &str = "unreadable sources passphrase";

/// `lifeboat --json --data-dir DATA ARGS` as an unprivileged account.
fn lifeboat(data: &Path, home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = unprivileged(env!("CARGO_BIN_EXE_lifeboat"))
        .env("LIFEBOAT_CREDENTIAL_STORE", "off")
        .env("HOME", home)
        .arg("--json")
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "lifeboat {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn unreadable_files_and_folders_are_named_in_warnings_and_everything_else_is_backed_up() {
    let root = running_as_root();
    let tmp = tempfile::tempdir().unwrap();
    mode(tmp.path(), 0o755);
    let (data, home, site) = (tmp.path().join("data"), tmp.path().join("home"), tmp.path().join("site"));
    for dir in [&data, &home] {
        fs::create_dir(dir).unwrap();
        if root {
            chown(dir, Some(NOBODY), Some(NOBODY)).unwrap();
        }
    }
    fs::create_dir_all(site.join("open")).unwrap();
    fs::create_dir_all(site.join("closed")).unwrap();
    fs::write(site.join("open/readme.txt"), "anyone may read this").unwrap();
    fs::write(site.join("open/secret.key"), "only its owner may read this").unwrap();
    fs::write(site.join("closed/inside.txt"), "behind a folder only its owner may open").unwrap();
    fs::write(site.join("after.txt"), "read after the closed folder").unwrap();
    mode(&site.join("open/secret.key"), 0o000);
    mode(&site.join("closed"), 0o000);

    lifeboat(&data, &home, &["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    lifeboat(&data, &home, &["items", "add", site.to_str().unwrap(), "--name", "site"], "");
    let made: serde_json::Value = serde_json::from_slice(&lifeboat(&data, &home, &["backup", "now"], "").stdout).unwrap();
    mode(&site.join("closed"), 0o755);
    let warnings: Vec<&str> = made["warnings"].as_array().expect("warnings in the result").iter().map(|w| w.as_str().unwrap()).collect();
    let about = |name: &str| warnings.iter().find(|w| w.contains(name)).copied();
    let key_warning = about("secret.key").unwrap_or_else(|| panic!("no warning names the unreadable file: {warnings:?}"));
    assert!(key_warning.contains("could not be read") && key_warning.contains("Permission denied"), "{key_warning}");
    let folder_warning = about("site/closed").unwrap_or_else(|| panic!("no warning names the unreadable folder: {warnings:?}"));
    assert!(folder_warning.contains("the folder could not be read (Permission denied"), "{folder_warning}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");

    let restored = tmp.path().join("restored");
    fs::create_dir(&restored).unwrap();
    if root {
        chown(&restored, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let id = made["id"].as_str().unwrap();
    lifeboat(&data, &home, &["restore", id, "--to", restored.to_str().unwrap(), "--passphrase-stdin"], PASSPHRASE);
    let back = restored.join("site");
    assert_eq!(fs::read_to_string(back.join("open/readme.txt")).unwrap(), "anyone may read this");
    assert_eq!(fs::read_to_string(back.join("after.txt")).unwrap(), "read after the closed folder");
    assert!(!back.join("open/secret.key").exists(), "the unreadable file is not in the backup");
    assert!(!back.join("closed/inside.txt").exists(), "nothing behind the unreadable folder is in the backup");
    println!("warnings: {warnings:#?}");
}
