//! Disk full: a backup to a full local folder or a full share, and a restore onto a
//! full disk, each on a real small file system (a tmpfs mounted for the test, which
//! needs root, as `.ci/run` has). Each fails with a message that says the space ran
//! out and where; nothing half-written is listed or left at the location; the space
//! the failed work used is given back; what was there before is untouched; and the
//! same work succeeds once there is room.

mod common;
#[allow(dead_code)]
#[path = "../../lifeboat-core/tests/common/samba.rs"]
mod samba;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{noise, Cli};

const PASSPHRASE: &str = "disk full passphrase";

/// A tmpfs of a few MiB mounted for one test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, mib: u64) -> SmallDisk {
        let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
        assert_eq!(uid.trim(), "0", "the disk-full tests mount small file systems and need root, as .ci/run has");
        fs::create_dir_all(path).unwrap();
        run("mount", &["-t", "tmpfs", "-o", &format!("size={mib}m,mode=0777"), "tmpfs", path.to_str().unwrap()]);
        SmallDisk { path: path.to_owned() }
    }

    /// Gives it another size (tmpfs keeps what it holds).
    fn resize(&self, mib: u64) {
        run("mount", &["-o", &format!("remount,size={mib}m"), self.path.to_str().unwrap()]);
    }

    /// Bytes in use, as the file system counts them (open but deleted files too).
    fn used(&self) -> u64 {
        let out = Command::new("df").args(["--output=used", "-B1"]).arg(&self.path).output().unwrap();
        String::from_utf8(out.stdout).unwrap().lines().nth(1).unwrap().trim().parse().unwrap()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Every file under `dir`, relative, with its content.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn listed(cli: &Cli) -> usize {
    cli.json(&["backups", "list"], "").as_array().unwrap().len()
}

/// The failed run's message: exit code 1, names `place` and what to do.
fn fails_full(cli: &Cli, args: &[&str], stdin: &str, place: &str) -> String {
    let out = cli.run(args, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "lifeboat {args:?}: {stderr}");
    assert!(stderr.contains(place) && stderr.contains("Free space"), "lifeboat {args:?} does not name {place} and what to do: {stderr}");
    stderr
}

/// The last operation failed with the disk-full code, which the GUI and scripts read.
fn last_operation_failed_full(cli: &Cli) {
    let operations = cli.json(&["operations", "list", "--limit", "1"], "");
    let last = &operations.as_array().unwrap()[0];
    assert_eq!((last["status"].as_str(), last["error_code"].as_str()), (Some("failed"), Some("disk-full")), "{last}");
}

fn installation(root: &Path) -> (Cli, PathBuf) {
    let cli = Cli { data: root.join("data") };
    let docs = root.join("docs");
    fs::create_dir_all(&docs).unwrap();
    fs::write(docs.join("runbook.md"), b"# what to do when the disk fills\n").unwrap();
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    cli.ok(&["items", "add", docs.to_str().unwrap(), "--name", "docs"], "");
    (cli, docs)
}

#[test]
fn a_full_local_folder_fails_the_backup_cleanly_and_gives_the_space_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (cli, docs) = installation(tmp.path());
    let disk = SmallDisk::mount(&tmp.path().join("usb"), 4);
    let location = disk.path.join("backups");
    cli.ok(&["location", "set-local", location.to_str().unwrap()], "");
    cli.ok(&["backup", "now"], "");
    let (files_before, used_before) = (names(&location), disk.used());

    fs::write(docs.join("big.bin"), noise(6 << 20, 1)).unwrap();
    let message = fails_full(&cli, &["backup", "now"], "", location.to_str().unwrap());
    assert!(message.contains("is full"), "{message}");
    last_operation_failed_full(&cli);
    assert_eq!(listed(&cli), 1, "the failed backup is not listed");
    assert_eq!(names(&location), files_before, "nothing half-written is left at the location");
    assert_eq!(disk.used(), used_before, "the space the failed backup used is given back");
    let first = cli.json(&["backups", "list"], "")[0]["id"].as_str().unwrap().to_owned();
    cli.ok(&["verify", &first, "--passphrase-stdin"], PASSPHRASE);

    // With room again, the same backup succeeds.
    disk.resize(16);
    cli.ok(&["backup", "now"], "");
    assert_eq!(listed(&cli), 2);
}

#[test]
fn a_full_share_fails_the_backup_cleanly_and_gives_the_space_back() {
    let samba = samba::Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let (cli, docs) = installation(tmp.path());
    let disk = SmallDisk::mount(&samba.path_in_share("full"), 4);
    cli.ok(&["location", "set-smb", &samba.unc("full"), "--user", samba::USER, "--password-stdin"], &format!("{}\n", samba::PASSWORD));
    cli.ok(&["backup", "now"], "");
    let (files_before, used_before) = (names(&disk.path), disk.used());

    fs::write(docs.join("big.bin"), noise(6 << 20, 2)).unwrap();
    let message = fails_full(&cli, &["backup", "now"], "", &samba.unc("full"));
    assert!(message.contains("the share is full"), "{message}");
    last_operation_failed_full(&cli);
    assert_eq!(listed(&cli), 1, "the failed backup is not listed");
    assert_eq!(names(&disk.path), files_before, "nothing half-written is left on the share");
    assert_eq!(disk.used(), used_before, "the space the failed backup used is given back");

    disk.resize(16);
    cli.ok(&["backup", "now"], "");
    assert_eq!(listed(&cli), 2);
}

#[test]
fn a_restore_onto_a_full_disk_fails_cleanly_and_leaves_the_old_content_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    let disk = SmallDisk::mount(&tmp.path().join("disk"), 16);
    let site = disk.path.join("site");
    fs::create_dir(&site).unwrap();
    fs::write(site.join("big.bin"), noise(8 << 20, 3)).unwrap();
    fs::write(site.join("index.html"), b"new").unwrap();
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    cli.ok(&["items", "add", site.to_str().unwrap(), "--name", "site"], "");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();
    let new = tree(&site);

    // The site shrank to what it was before, and its disk with it.
    fs::remove_file(site.join("big.bin")).unwrap();
    fs::write(site.join("index.html"), b"old").unwrap();
    let old = tree(&site);
    disk.resize(4);
    let (names_before, used_before) = (names(&disk.path), disk.used());

    // Refused before anything is written: the backup says how much it holds.
    let message = fails_full(&cli, &["restore", &id, "--passphrase-stdin"], PASSPHRASE, site.to_str().unwrap());
    assert!(message.contains("not enough room") && message.contains("Nothing was changed"), "{message}");
    last_operation_failed_full(&cli);
    assert_eq!(tree(&site), old, "the old content is in place, whole");
    assert_eq!(names(&disk.path), names_before, "no staging folder is left beside it");
    assert_eq!(disk.used(), used_before, "the space the failed restore used is given back");

    // Into another folder on that disk: nothing of it is left either.
    let elsewhere = disk.path.join("restored");
    fails_full(&cli, &["restore", &id, "--passphrase-stdin", "--to", elsewhere.to_str().unwrap()], PASSPHRASE, elsewhere.to_str().unwrap());
    assert!(!elsewhere.join("site").exists() || tree(&elsewhere).is_empty(), "a half-restored copy is left: {:?}", names(&elsewhere));
    assert_eq!(disk.used(), used_before, "the space the failed restore used is given back");

    disk.resize(32);
    cli.ok(&["restore", &id, "--passphrase-stdin"], PASSPHRASE);
    assert_eq!(tree(&site), new);
}

#[test]
fn a_disk_that_fills_while_restoring_is_named_and_left_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    // Many small files: their bytes fit, the blocks they take do not, so the disk
    // fills while the restore writes, after the check of the room it needs.
    let site = tmp.path().join("site");
    fs::create_dir(&site).unwrap();
    for i in 0..1500 {
        fs::write(site.join(format!("page-{i}.html")), noise(600, i)).unwrap();
    }
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    cli.ok(&["items", "add", site.to_str().unwrap(), "--name", "site"], "");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();

    let disk = SmallDisk::mount(&tmp.path().join("disk"), 2);
    fs::write(disk.path.join("already-there.txt"), b"kept").unwrap();
    let (names_before, used_before) = (names(&disk.path), disk.used());
    let to = disk.path.join("restored");
    let message = fails_full(&cli, &["restore", &id, "--passphrase-stdin", "--to", to.to_str().unwrap()], PASSPHRASE, to.to_str().unwrap());
    assert!(message.contains("filled up") && message.contains("Nothing was changed"), "{message}");
    last_operation_failed_full(&cli);
    assert_eq!(names(&disk.path), names_before, "nothing half-restored is left");
    assert_eq!(disk.used(), used_before, "the space the failed restore used is given back");
    assert_eq!(fs::read(disk.path.join("already-there.txt")).unwrap(), b"kept");
}
