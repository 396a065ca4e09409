//! Crafted backups (valid and authenticated, written by the backup writer with entry
//! paths no real walk produces) never make a restore write outside the destination:
//! paths that climb out, absolute paths, empty, `.` and backslash components, NUL in a
//! name, and files placed beneath a symbolic link the same backup restores.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::Configure;
use lifeboat_core::commands::backup::{write_backup, Source};
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::format::{EntryKind, ItemKind};
use lifeboat_core::items::PlannedEntry;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::{parse_legacy_key, KeyIdentity, KeyRecipient};
use lifeboat_core::ErrorKind;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn entry(kind: EntryKind, rel: &str, from: &Path) -> PlannedEntry {
    let size = if kind == EntryKind::File { fs::metadata(from).unwrap().len() } else { 0 };
    PlannedEntry { kind, rel: rel.into(), path: from.to_owned(), size, attrs_from: None }
}

/// A backup of one folder item named "tree" holding `entries` after its root.
fn crafted(root: &Path, entries: Vec<PlannedEntry>) -> PathBuf {
    let mut all = vec![entry(EntryKind::Dir, "", root)];
    all.extend(entries);
    let source = Source { name: "tree".into(), kind: ItemKind::Folder, origin: root.display().to_string(), entries: all };
    let recipient = KeyRecipient(parse_legacy_key(KEY).unwrap());
    let meta = common::meta_now("test");
    let bytes = write_backup(Vec::new(), meta, &[&recipient], &[source], vec![], &mut rand::rng(), &NoProgress, &Cancel::default()).unwrap().out;
    let file = root.join("crafted.lbk");
    fs::write(&file, bytes).unwrap();
    file
}

/// Every file and folder under `dir`, as paths relative to it.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            found.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn crafted_paths_never_write_outside_the_destination() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let clock = common::TestClock::new();
    common::legacy_key_configuration(&root.join("data"), KEY);
    let engine = common::engine(&root.join("data"), &clock);
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());
    let content = root.join("content.txt");
    fs::write(&content, "planted").unwrap();
    // Where an escape would land: the work folder around the destination, and a
    // folder elsewhere that a restored link points at.
    let outside = root.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(root.join("keep.txt"), "untouched").unwrap();
    let link_to_outside = root.join("a-link");
    std::os::unix::fs::symlink(&outside, &link_to_outside).unwrap();

    let cases: Vec<(&str, Vec<PlannedEntry>)> = vec![
        ("climbs out", vec![entry(EntryKind::File, "../../escaped.txt", &content)]),
        ("climbs out midway", vec![entry(EntryKind::Dir, "a", root), entry(EntryKind::File, "a/../../../escaped.txt", &content)]),
        ("absolute", vec![entry(EntryKind::File, &format!("{}/escaped.txt", outside.display()), &content)]),
        ("a dot", vec![entry(EntryKind::File, "./escaped.txt", &content)]),
        ("an empty component", vec![entry(EntryKind::File, "a//escaped.txt", &content)]),
        ("a backslash", vec![entry(EntryKind::File, "..\\..\\escaped.txt", &content)]),
        ("NUL in a name", vec![entry(EntryKind::File, "esc\0aped.txt", &content)]),
        ("overwrites a file it restored with a link", vec![entry(EntryKind::File, "keep.txt", &content), entry(EntryKind::Symlink, "keep.txt", &link_to_outside)]),
        ("a file beneath a restored link", vec![entry(EntryKind::Symlink, "door", &link_to_outside), entry(EntryKind::File, "door/escaped.txt", &content)]),
        ("a folder beneath a restored link", vec![entry(EntryKind::Symlink, "door", &link_to_outside), entry(EntryKind::Dir, "door/made", root)]),
    ];
    for (case, entries) in cases {
        let file = crafted(root, entries);
        let before_outside = tree(&outside);
        let before_root: Vec<String> = tree(root).into_iter().filter(|p| !p.starts_with("data") && p != "crafted.lbk").collect();
        let out = root.join("restore-here");
        let request = RestoreRequest { items: vec![], paths: vec![], to: Some(out.clone()) };
        let result = engine.restore(file.to_str().unwrap(), Some(&identity), request, &NoProgress, &Cancel::default());
        if let Err(e) = &result {
            assert!(matches!(e.kind(), ErrorKind::Integrity | ErrorKind::Input), "{case}: {e}");
        }
        assert_eq!(tree(&outside), before_outside, "{case}: something was written through a link ({result:?})");
        let after_root: Vec<String> = tree(root).into_iter().filter(|p| !p.starts_with("data") && !p.starts_with("restore-here") && p != "crafted.lbk").collect();
        assert_eq!(after_root, before_root, "{case}: something was written beside the destination ({result:?})");
        assert_eq!(fs::read_to_string(root.join("keep.txt")).unwrap(), "untouched", "{case}");
        let _ = fs::remove_dir_all(&out);
    }
}
