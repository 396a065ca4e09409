//! No secret leaks: every feature that takes one is used once with a known string (a
//! PFX password, a backup passphrase, a vault value, the share password, an S3
//! secret, and wrong ones that are refused), then every file the data folder holds
//! and everything the CLI printed is searched for each string. Secrets only ever go
//! in through stdin, so none is in a process's arguments either.

// Starts Samba and moto (Linux servers) from the test, reads /proc and drives a
// pseudo-terminal: Unix by nature.
#![cfg(unix)]

mod common;
#[allow(dead_code)]
#[path = "../../lifeboat-core/tests/common/object_servers.rs"]
mod object_servers;
#[allow(dead_code)]
#[path = "../../lifeboat-core/tests/common/samba.rs"]
mod samba;

use std::cell::RefCell;
use std::path::Path;
use std::process::Output;

use common::Cli;
use object_servers::{Moto, S3_KEY_ID, S3_SECRET};
use samba::{Samba, PASSWORD, USER};

const PFX_PASSWORD: &str = "Pfx-Secret-Alpha-7781";
const PASSPHRASE: &str = "Passphrase-Secret-Bravo-4412";
const VAULT_VALUE: &str = "Vault-Value-Charlie-9034";
const WRONG_PASSPHRASE: &str = "Wrong-Passphrase-Delta-5521";
const WRONG_SHARE_PASSWORD: &str = "Wrong-Share-Echo-6630";
const WRONG_PFX_PASSWORD: &str = "Wrong-Pfx-Foxtrot-1187";
const ADMIN_PASSWORD: &str = "Admin-Password-Hotel-2290";
const WRONG_ADMIN_PASSWORD: &str = "Wrong-Admin-India-7745";

/// The CLI, keeping everything it printed.
struct Recorded {
    cli: Cli,
    printed: RefCell<Vec<u8>>,
}

impl Recorded {
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let out = self.cli.run(args, stdin);
        let mut printed = self.printed.borrow_mut();
        printed.extend_from_slice(&out.stdout);
        printed.extend_from_slice(&out.stderr);
        out
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "lifeboat {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn refused(&self, args: &[&str], stdin: &str) {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "lifeboat {args:?} took a wrong secret");
    }

    fn backup_id(&self) -> String {
        let out = self.ok(&["--json", "backup", "now"], "");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["id"].as_str().unwrap().to_owned()
    }
}

fn files_under(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn no_secret_reaches_the_data_folder_or_the_output() {
    let samba = Samba::start();
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let lb = Recorded { cli: Cli { data: root.join("data") }, printed: RefCell::default() };
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("docs/runbook.txt"), "restore steps").unwrap();
    lb.ok(&["items", "add", root.join("docs").to_str().unwrap()], "");
    let to = |n: &str| root.join(n).display().to_string();

    // A passphrase: set, a backup, a restore and a verify; a wrong one refused.
    lb.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], PASSPHRASE);
    let id = lb.backup_id();
    lb.refused(&["restore", &id, "--to", &to("r1"), "--passphrase-stdin"], WRONG_PASSPHRASE);
    lb.ok(&["restore", &id, "--to", &to("r1"), "--passphrase-stdin"], PASSPHRASE);
    lb.ok(&["verify", &id, "--passphrase-stdin"], PASSPHRASE);

    // A certificate: made with a PFX password, a backup to it, restored with the .pfx.
    let (pfx, cer) = (to("backup.pfx"), to("backup.cer"));
    lb.ok(&["cert", "create", "--subject", "secrets test", "--pfx-out", &pfx, "--cer-out", &cer], PFX_PASSWORD);
    lb.ok(&["encryption", "set-certificate", &cer], "");
    let id = lb.backup_id();
    lb.refused(&["restore", &id, "--to", &to("r2"), "--identity", &pfx, "--password-stdin"], WRONG_PFX_PASSWORD);
    lb.ok(&["restore", &id, "--to", &to("r2"), "--identity", &pfx, "--password-stdin"], PFX_PASSWORD);

    // A vault value: stored, listed, shown without revealing, carried in a blob.
    lb.ok(&["vault", "secret", "set", "db-password", "--value-stdin"], VAULT_VALUE);
    lb.ok(&["vault", "secret", "show", "db-password"], "");
    lb.ok(&["vault", "list"], "");
    let blob = to("db-password.lbvault");
    lb.ok(&["vault", "backup", "secret", "db-password", "--out", &blob], "");

    // The share: a wrong password refused, the right one kept; a backup there.
    let unc = samba.unc("");
    lb.refused(&["location", "set-smb", &unc, "--user", USER, "--password-stdin"], WRONG_SHARE_PASSWORD);
    lb.ok(&["location", "set-smb", &unc, "--user", USER, "--password-stdin"], &format!("{PASSWORD}\n"));
    lb.backup_id();
    lb.ok(&["location", "show"], "");

    // An S3 bucket: its secret kept, a backup there.
    let set_s3 = ["location", "set-s3", "--endpoint", &moto.endpoint(), "--bucket", &moto.bucket, "--access-key-id", S3_KEY_ID, "--secret-stdin"];
    lb.ok(&set_s3, &format!("{S3_SECRET}\n"));
    lb.backup_id();
    lb.ok(&["status"], "");
    lb.ok(&["operations", "list"], "");

    // An administrator password, from files outside the data folder: set, a wrong
    // one refused (and recorded), the right one used for an elevated change.
    std::fs::write(root.join("admin"), ADMIN_PASSWORD).unwrap();
    std::fs::write(root.join("wrong-admin"), WRONG_ADMIN_PASSWORD).unwrap();
    lb.ok(&["admin", "set-password", "--new-password-file", &to("admin")], "");
    lb.ok(&["--admin-password-file", &to("admin"), "expiry", "set", "--days", "45"], "");
    lb.refused(&["--admin-password-file", &to("wrong-admin"), "expiry", "set", "--days", "40"], "");
    // The audit trail records each change with its old and new values: the new
    // location's access key id is there; no secret may be (searched with the rest).
    let audit = lb.ok(&["--json", "audit", "list", "--limit", "1000"], "");
    assert!(holds(audit.as_bytes(), S3_KEY_ID), "control: the audit trail names the new location");

    let secrets = [PFX_PASSWORD, PASSPHRASE, VAULT_VALUE, WRONG_PASSPHRASE, WRONG_SHARE_PASSWORD, WRONG_PFX_PASSWORD, PASSWORD, S3_SECRET, ADMIN_PASSWORD, WRONG_ADMIN_PASSWORD];
    let printed = lb.printed.borrow();
    // Controls: what is not secret (the share's user, the access key id) is found, so
    // the search would find a secret too.
    assert!(holds(&printed, USER), "control: the output names the share's user");
    for secret in secrets {
        assert!(!holds(&printed, secret), "the CLI printed {secret:?}");
    }
    let mut files = Vec::new();
    files_under(&root.join("data"), &mut files);
    files.push(blob.into());
    assert!(files.len() > 5, "the data folder was read: {files:?}");
    assert!(files.iter().any(|f| holds(&std::fs::read(f).unwrap(), S3_KEY_ID)), "control: the catalog names the access key id");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for secret in secrets {
            assert!(!holds(&bytes, secret), "{} holds {secret:?}", file.display());
        }
    }
}

/// Whether another process of the same account can read `pid`'s environment (as it
/// could its memory): the `/proc` files of a process that is not dumpable are closed
/// to everyone but root.
fn readable_by_its_account(pid: u32) -> bool {
    common::unprivileged("cat").arg(format!("/proc/{pid}/environ")).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status().unwrap().success()
}

#[test]
fn a_running_lifeboat_keeps_its_memory_from_other_programs_of_its_account() {
    use std::process::Stdio;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    if common::running_as_root() {
        std::os::unix::fs::chown(tmp.path(), Some(common::NOBODY), Some(common::NOBODY)).unwrap();
        std::os::unix::fs::chown(&data, Some(common::NOBODY), Some(common::NOBODY)).unwrap();
    }
    // Waiting for its passphrase on stdin, as it would hold one a moment later.
    let mut lifeboat = common::unprivileged(env!("CARGO_BIN_EXE_lifeboat"))
        .env("LIFEBOAT_CREDENTIAL_STORE", "off")
        .args(["--data-dir", data.to_str().unwrap(), "encryption", "set-passphrase", "--passphrase-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The control: a program of the same account that does not protect itself.
    let mut plain = common::unprivileged("sleep").arg("30").spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let running_lifeboat = |pid: u32| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == Path::new(env!("CARGO_BIN_EXE_lifeboat")));
    let closed = loop {
        // `setpriv` (root's until it becomes `nobody`) turns into `lifeboat` in the same
        // process, which closes itself first thing.
        if running_lifeboat(lifeboat.id()) && !readable_by_its_account(lifeboat.id()) {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let control = readable_by_its_account(plain.id());
    drop(lifeboat.stdin.take());
    let _ = lifeboat.wait();
    plain.kill().unwrap();
    plain.wait().unwrap();
    assert!(control, "the control: another program's /proc files are readable by its account");
    assert!(closed, "lifeboat's /proc files stayed readable by other programs of its account");
}

/// Runs `program ARGS` on a new pseudo-terminal as its controlling terminal (where a
/// password prompt reads), types `typed` once `wait_for` shows, and returns all the
/// terminal showed until the program exited.
fn at_a_terminal(program: &str, args: &[&str], wait_for: &str, typed: &str) -> String {
    use std::io::{Read, Write};
    use std::os::unix::process::CommandExt;
    use std::sync::{Arc, Mutex};
    let master = rustix::pty::openpt(rustix::pty::OpenptFlags::RDWR | rustix::pty::OpenptFlags::NOCTTY).unwrap();
    rustix::pty::grantpt(&master).unwrap();
    rustix::pty::unlockpt(&master).unwrap();
    let slave_name = rustix::pty::ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new().read(true).write(true).open(slave_name.to_str().unwrap()).unwrap();
    let mut command = std::process::Command::new(program);
    command.args(args).env("LIFEBOAT_CREDENTIAL_STORE", "off").stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
    // SAFETY: only async-signal-safe system calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(rustix::stdio::stdin())?;
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    drop(command);
    let mut master = std::fs::File::from(master);
    let shown = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let (mut master, shown) = (master.try_clone().unwrap(), shown.clone());
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            // Ends with EIO once the program and its terminal are gone.
            while let Ok(n @ 1..) = master.read(&mut chunk) {
                shown.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(&shown.lock().unwrap()).contains(wait_for) {
        assert!(std::time::Instant::now() < deadline, "{program} never showed {wait_for:?}: {:?}", String::from_utf8_lossy(&shown.lock().unwrap()));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    master.write_all(typed.as_bytes()).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{program} {args:?}: {status}: {:?}", String::from_utf8_lossy(&shown.lock().unwrap()));
    drop(master);
    reader.join().unwrap();
    let shown = shown.lock().unwrap();
    String::from_utf8_lossy(&shown).into_owned()
}

#[test]
fn a_passphrase_typed_at_a_terminal_is_not_echoed() {
    const TYPED: &str = "Typed-Passphrase-Golf-3321";
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // The control: the same terminal echoes what is typed to a program that reads a line.
    let echoed = at_a_terminal("sh", &["-c", "echo ready; read line"], "ready", &format!("{TYPED}\n"));
    assert!(echoed.contains(TYPED), "the control: a terminal echoes typed text: {echoed:?}");
    let args = ["--data-dir", data.to_str().unwrap(), "encryption", "set-passphrase", "--passphrase-stdin"];
    let shown = at_a_terminal(env!("CARGO_BIN_EXE_lifeboat"), &args, "Passphrase (empty turns encryption off): ", &format!("{TYPED}\n"));
    assert!(!shown.contains(TYPED), "the passphrase was shown as it was typed: {shown:?}");
    // And it was taken: a backup made with it opens with it.
    let cli = Cli { data };
    assert_eq!(cli.json(&["encryption", "show"], "")["mode"], "passphrase");
    let site = tmp.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("a.txt"), "a").unwrap();
    cli.ok(&["items", "add", site.to_str().unwrap()], "");
    let id = cli.json(&["backup", "now"], "")["id"].as_str().unwrap().to_owned();
    cli.ok(&["verify", &id, "--passphrase-stdin"], TYPED);
}
