//! A data folder Lifeboat cannot use as it is: its catalog locked by another program,
//! or on a file system mounted read-only. Each gets a clear error naming the cause and
//! what to do, never a hang or a panic, and nothing changes.

mod common;

use common::Cli;

#[test]
fn a_catalog_locked_by_another_program_is_named_after_the_busy_wait() {
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli { data: tmp.path().join("data") };
    cli.ok(&["retention", "set", "--max-count", "20"], "");
    let other = rusqlite::Connection::open(cli.data.join("catalog.db")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE; UPDATE settings SET value = value WHERE 0;").unwrap();
    cli.fails(&["retention", "set", "--max-count", "5"], "", 1, "locked by another program");
    // Reading goes on meanwhile (the catalog is in WAL mode).
    assert_eq!(cli.json(&["retention", "show"], "")["max_count"], 20);
    other.execute_batch("COMMIT;").unwrap();
    cli.ok(&["retention", "set", "--max-count", "5"], "");
    assert_eq!(cli.json(&["retention", "show"], "")["max_count"], 5);
}

/// Runs a command that must succeed (mount, chmod).
#[cfg(unix)]
fn run(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

// mount and chmod.
#[cfg(unix)]
#[test]
fn a_data_folder_on_a_read_only_file_system_gets_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("mnt");
    std::fs::create_dir(&mount).unwrap();
    let mount_str = mount.to_str().unwrap();
    // Root ignores permissions, so a real read-only mount is made (the suite runs as
    // root in CI); any other user gets a folder without write permission.
    let root = common::running_as_root();
    if root {
        run("mount", &["-t", "tmpfs", "-o", "size=64m", "tmpfs", mount_str]);
    }
    let cli = Cli { data: mount.join("data") };
    cli.ok(&["retention", "set", "--max-count", "20"], "");
    if root {
        run("mount", &["-o", "remount,ro", mount_str]);
    } else {
        run("chmod", &["-R", "a-w", cli.data.to_str().unwrap()]);
    }
    let changed = cli.run(&["retention", "set", "--max-count", "5"], "");
    let stderr = String::from_utf8_lossy(&changed.stderr);
    let unmount = || {
        if root {
            run("umount", &[mount_str]);
        } else {
            run("chmod", &["-R", "u+w", cli.data.to_str().unwrap()]);
        }
    };
    if !(changed.status.code() == Some(1) && stderr.contains("cannot be written")) {
        unmount();
        panic!("a write to a read-only data folder: {:?} {stderr}", changed.status.code());
    }
    let read = cli.run(&["retention", "show"], "");
    let read_err = String::from_utf8_lossy(&read.stderr).into_owned();
    unmount();
    assert!(read.status.success() || read_err.contains("cannot be written"), "reading: {read_err}");
}
