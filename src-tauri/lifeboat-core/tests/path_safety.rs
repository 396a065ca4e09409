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

/// An engine over `root/data` whose backups use the legacy key, and that key.
fn keyed_engine(root: &Path) -> (lifeboat_core::engine::Engine, KeyIdentity) {
    common::legacy_key_configuration(&root.join("data"), KEY);
    (common::engine(&root.join("data"), &common::TestClock::new()), KeyIdentity(parse_legacy_key(KEY).unwrap()))
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
    let (engine, identity) = keyed_engine(root);
    let content = root.join("content.txt");
    fs::write(&content, "planted").unwrap();
    // Where an escape would land: the work folder around the destination, and a
    // folder elsewhere that a restored link points at.
    let outside = root.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(root.join("keep.txt"), "untouched").unwrap();
    #[allow(unused_mut)] // only Unix adds the cases with links
    let mut cases: Vec<(&str, Vec<PlannedEntry>)> = vec![
        ("climbs out", vec![entry(EntryKind::File, "../../escaped.txt", &content)]),
        ("climbs out midway", vec![entry(EntryKind::Dir, "a", root), entry(EntryKind::File, "a/../../../escaped.txt", &content)]),
        ("absolute", vec![entry(EntryKind::File, &format!("{}/escaped.txt", outside.display()), &content)]),
        ("a dot", vec![entry(EntryKind::File, "./escaped.txt", &content)]),
        ("an empty component", vec![entry(EntryKind::File, "a//escaped.txt", &content)]),
        ("a backslash", vec![entry(EntryKind::File, "..\\..\\escaped.txt", &content)]),
        ("NUL in a name", vec![entry(EntryKind::File, "esc\0aped.txt", &content)]),
    ];
    // Making a link needs an administrator (or developer mode) on Windows.
    #[cfg(unix)]
    {
        let link_to_outside = root.join("a-link");
        std::os::unix::fs::symlink(&outside, &link_to_outside).unwrap();
        cases.extend([
            ("overwrites a file it restored with a link", vec![entry(EntryKind::File, "keep.txt", &content), entry(EntryKind::Symlink, "keep.txt", &link_to_outside)]),
            ("a file beneath a restored link", vec![entry(EntryKind::Symlink, "door", &link_to_outside), entry(EntryKind::File, "door/escaped.txt", &content)]),
            ("a folder beneath a restored link", vec![entry(EntryKind::Symlink, "door", &link_to_outside), entry(EntryKind::Dir, "door/made", root)]),
        ]);
    }
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

#[cfg(target_os = "linux")]
/// Swaps a folder of the restore's staging area for a link to `outside` once
/// `after` entries were restored: another program racing the restore between
/// extracting and moving into place.
struct SwapMidway {
    destination: PathBuf,
    outside: PathBuf,
    after: u64,
    restored: std::sync::atomic::AtomicU64,
}

#[cfg(target_os = "linux")]
impl lifeboat_core::progress::Progress for SwapMidway {
    fn phase(&self, _: lifeboat_core::progress::Phase) {}
    fn total(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64, entries: u64) {
        if self.restored.fetch_add(entries, std::sync::atomic::Ordering::SeqCst) + entries != self.after || entries == 0 {
            return;
        }
        let staging = fs::read_dir(&self.destination)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".lifeboat-restore-"))
            .expect("a staging folder while restoring");
        // In one step (the writers run meanwhile): the folder becomes the link and
        // the link's name the folder.
        let (folder, link) = (staging.join("tree/a"), staging.join("tree/a-moved-away"));
        std::os::unix::fs::symlink(&self.outside, &link).unwrap();
        let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        let exchanged = unsafe { libc::renameat2(libc::AT_FDCWD, c(&folder).as_ptr(), libc::AT_FDCWD, c(&link).as_ptr(), libc::RENAME_EXCHANGE) };
        assert_eq!(exchanged, 0, "{}", std::io::Error::last_os_error());
    }
}

// Swaps a folder for a link in one step with Linux's renameat2.
#[cfg(target_os = "linux")]
#[test]
fn a_folder_swapped_for_a_link_while_restoring_is_never_written_through() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (engine, identity) = keyed_engine(root);
    let tree_dir = root.join("tree");
    fs::create_dir_all(tree_dir.join("a")).unwrap();
    for i in 0..40 {
        fs::write(tree_dir.join(format!("a/file-{i:02}.txt")), format!("content {i}")).unwrap();
    }
    // The folder gets a mode of its own, set after its content: through a link
    // it would land on the outside folder.
    fs::set_permissions(tree_dir.join("a"), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    engine.add_item(&tree_dir, Some("tree"), None, vec![]).unwrap();
    let id = engine.backup_now(&NoProgress, &Cancel::default()).unwrap().id;

    let outside = root.join("outside");
    fs::create_dir(&outside).unwrap();
    let outside_before = fs::metadata(&outside).unwrap();
    let destination = root.join("restore-here");
    fs::create_dir(&destination).unwrap();
    // Entries: the item's folder, `a`, then its files; swapped after the fifth file.
    let swap = SwapMidway { destination: destination.clone(), outside: outside.clone(), after: 7, restored: Default::default() };
    let request = RestoreRequest { items: vec![], paths: vec![], to: Some(destination.clone()) };
    let result = engine.restore(&id, Some(&identity), request, &swap, &Cancel::default());

    assert!(swap.restored.load(std::sync::atomic::Ordering::SeqCst) >= 7, "the swap happened");
    assert_eq!(tree(&outside), Vec::<String>::new(), "nothing was written through the link ({result:?})");
    let outside_after = fs::metadata(&outside).unwrap();
    assert_eq!(
        (outside_after.mode(), outside_after.mtime(), outside_after.mtime_nsec()),
        (outside_before.mode(), outside_before.mtime(), outside_before.mtime_nsec()),
        "the outside folder's mode and time are untouched"
    );
    let error = result.expect_err("the restore stops at the link");
    assert!(error.to_string().contains("outside"), "{error}");
    assert_eq!(tree(&destination), Vec::<String>::new(), "nothing is left in the destination");
}

/// Backups made on Linux may hold names Windows cannot: a device name would open the
/// device, a trailing dot names another file, a ':' a hidden stream, and two names
/// differing only in case one place. On Windows each restore is refused naming the
/// path and the reason, and nothing is written.
#[cfg(windows)]
#[test]
fn names_windows_cannot_hold_are_refused_there_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (engine, identity) = keyed_engine(root);
    let content = root.join("content.txt");
    fs::write(&content, "from a Linux machine").unwrap();
    let cases: Vec<(&str, Vec<PlannedEntry>, &str)> = vec![
        ("a device name", vec![entry(EntryKind::File, "logs/con", &content)], "the name of a device"),
        ("a device name with an extension", vec![entry(EntryKind::Dir, "nul.d", root)], "the name of a device"),
        ("a trailing dot", vec![entry(EntryKind::File, "notes.", &content)], "trailing dot"),
        ("a stream", vec![entry(EntryKind::File, "report.txt:hidden", &content)], "hidden stream"),
        ("a reserved character", vec![entry(EntryKind::File, "what?.txt", &content)], "does not allow"),
        ("names differing only in case", vec![entry(EntryKind::File, "Readme.md", &content), entry(EntryKind::File, "README.md", &content)], "differ only in case"),
    ];
    for (case, entries, reason) in cases {
        let file = crafted(root, entries);
        let out = root.join("restore-here");
        let request = RestoreRequest { items: vec![], paths: vec![], to: Some(out.clone()) };
        let error = engine.restore(file.to_str().unwrap(), Some(&identity), request, &NoProgress, &Cancel::default()).expect_err(case);
        assert_eq!(error.kind(), ErrorKind::Input, "{case}: {error}");
        assert!(error.to_string().contains(reason) && error.to_string().contains("Nothing was changed"), "{case}: {error}");
        assert!(!out.exists() || tree(&out).is_empty(), "{case}: nothing restored: {:?}", tree(&out));
    }
}
