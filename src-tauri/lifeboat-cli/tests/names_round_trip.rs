//! A tree with the names and attributes a Windows workstation has (spaces, dots,
//! brackets, accents and other scripts, mixed case, long names, a read-only file, empty
//! files and folders) through the command line: backed up to a local folder, restored
//! elsewhere and in place; backed up to the Samba share, restored from there; and an
//! installation recovered from the share on a fresh data folder, whose restore is the
//! same again. Every time, every file byte for byte with its time and read-only flag.
//! Runs on Linux and, as a Windows program, under Wine (scripts/test.sh).

mod common;
#[allow(dead_code)]
#[path = "../../lifeboat-core/tests/common/samba.rs"]
mod samba;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use common::Cli;
use samba::{Samba, PASSWORD, USER};

const PASSPHRASE: &str = "names round trip passphrase";

/// (path relative to the tree, size in bytes); content is derived from the path.
const FILES: &[(&str, usize)] = &[
    ("Program Files/Contoso App/appsettings.json", 900),
    ("Program Files/Contoso App/Contoso.App.dll", 70_000),
    ("ProgramData/Contoso/config.ini", 300),
    ("ProgramData/Contoso/license.lic", 120),
    ("Users/Ana María/Documents/Résumé 2026 (final).docx", 300_000),
    ("Users/Ana María/NTUSER.DAT", 65_536),
    ("Users/Ana María/Desktop/desktop.ini", 80),
    ("inetpub/wwwroot/web.config", 2_000),
    ("C++ notes.txt", 40),
    ("name.with.many.dots.tar.gz", 5_000),
    ("a (1).txt", 10),
    ("MiXeD CaSe.TXT", 10),
    ("Ünïcødé €/日本語のファイル.txt", 64),
    ("Ünïcødé €/Ελληνικά & русский.txt", 64),
    ("empty.txt", 0),
];
const READ_ONLY: &str = "ProgramData/Contoso/license.lic";
const EMPTY_FOLDER: &str = "Users/Ana María/Empty Folder";

fn long_name() -> String {
    format!("{}.log", "a long file name ".repeat(12).trim_end().replace(' ', "_"))
}

fn content(rel: &str, size: usize) -> Vec<u8> {
    let seed = rel.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (0..size as u32).map(|i| (seed.wrapping_add(i.wrapping_mul(2_654_435_761)) >> 13) as u8).collect()
}

fn make_tree(root: &Path) {
    let mut files: Vec<(String, usize)> = FILES.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect();
    files.push((long_name(), 3_000));
    for (i, (rel, size)) in files.iter().enumerate() {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content(rel, *size)).unwrap();
        set_modified_secs(&path, 1_700_000_000 + i as u64 * 3_600);
    }
    fs::create_dir_all(root.join(EMPTY_FOLDER)).unwrap();
    let mut permissions = fs::metadata(root.join(READ_ONLY)).unwrap().permissions();
    permissions.set_readonly(true);
    fs::set_permissions(root.join(READ_ONLY), permissions).unwrap();
}

fn set_modified_secs(path: &Path, secs: u64) {
    fs::File::options().write(true).open(path).unwrap().set_modified(UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
}

/// A file's content, modification time and read-only flag; None for a folder.
type Seen = Option<(Vec<u8>, std::time::SystemTime, bool)>;

/// Every file and folder under `root`, by relative path.
fn snapshot(root: &Path) -> Vec<(PathBuf, Seen)> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().to_owned();
            if meta.is_dir() {
                stack.push(path);
                found.push((rel, None));
            } else {
                found.push((rel, Some((fs::read(&path).unwrap(), meta.modified().unwrap(), meta.permissions().readonly()))));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn assert_same(expected: &Path, actual: &Path, what: &str) {
    let (want, got) = (snapshot(expected), snapshot(actual));
    let names = |s: &[(PathBuf, _)]| s.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&want), names(&got), "{what}: the same files and folders");
    for ((path, a), (_, b)) in want.iter().zip(&got) {
        assert!(a == b, "{what}: {} differs (content, time or read-only flag)", path.display());
    }
    assert!(want.iter().any(|(p, meta)| p.ends_with(READ_ONLY) && meta.as_ref().is_some_and(|m| m.2)), "{what}: the read-only file is read-only");
}

/// Makes a file writable again (to change or delete it as a user would).
fn make_writable(path: &Path) {
    let mut permissions = fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)] // the test's own file, made writable to change it
    permissions.set_readonly(false);
    fs::set_permissions(path, permissions).unwrap();
}

#[test]
fn windows_names_and_attributes_round_trip_through_a_folder_a_share_and_a_recovery() {
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let tree = root.join("Workstation");
    make_tree(&tree);
    let pristine = root.join("pristine");
    make_tree(&pristine);

    let cli = Cli { data: root.join("data") };
    cli.ok(&["items", "add", tree.to_str().unwrap(), "--name", "workstation"], "");
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], &format!("{PASSPHRASE}\n"));
    let local = cli.json(&["backup", "now"], "");
    let local_id = local["id"].as_str().unwrap().to_owned();
    assert_eq!(local["warnings"].as_array().map_or(0, Vec::len), 0, "{local}");

    // Elsewhere.
    let elsewhere = root.join("elsewhere");
    cli.ok(&["restore", &local_id, "--passphrase-stdin", "--to", elsewhere.to_str().unwrap()], &format!("{PASSPHRASE}\n"));
    assert_same(&pristine, &elsewhere.join("workstation"), "restored from the local folder elsewhere");

    // In place, over a tree a user changed: a file edited, one deleted, one added.
    let edited = tree.join("ProgramData/Contoso/config.ini");
    fs::write(&edited, "changed").unwrap();
    make_writable(&tree.join(READ_ONLY));
    fs::remove_file(tree.join(READ_ONLY)).unwrap();
    fs::write(tree.join("Users/Ana María/new since.txt"), "new").unwrap();
    cli.ok(&["restore", &local_id, "--passphrase-stdin"], &format!("{PASSPHRASE}\n"));
    assert_same(&pristine, &tree, "restored from the local folder in place");

    // The share, in a folder of this test's own.
    let folder = format!("names-{}", std::process::id());
    cli.ok(&["location", "create-folder", &samba.unc(&folder), "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    cli.ok(&["location", "set-smb", &samba.unc(&folder), "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    let shared = cli.json(&["backup", "now"], "");
    let shared_id = shared["id"].as_str().unwrap().to_owned();
    assert!(samba.path_in_share(&folder).join(shared["file_name"].as_str().unwrap()).exists(), "the backup is on the share");
    let from_share = root.join("from-share");
    cli.ok(&["restore", &shared_id, "--passphrase-stdin", "--to", from_share.to_str().unwrap()], &format!("{PASSPHRASE}\n"));
    assert_same(&pristine, &from_share.join("workstation"), "restored from the share");

    // The workstation is lost: a fresh installation recovers from the share.
    let fresh = Cli { data: root.join("fresh") };
    fresh.ok(&["recover", &samba.unc(&folder), "--user", USER, "--share-password-stdin", "--passphrase-stdin"], &format!("{PASSWORD}\n{PASSPHRASE}\n"));
    let items = fresh.json(&["items", "list"], "");
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    let recovered = root.join("recovered");
    fresh.ok(&["restore", &shared_id, "--passphrase-stdin", "--to", recovered.to_str().unwrap()], &format!("{PASSPHRASE}\n"));
    assert_same(&pristine, &recovered.join("workstation"), "restored by the recovered installation");
}
