//! `lifeboat` as a program on PATH: its version, completions and manual pages, output
//! into a pipe that closes, and `lifeboat update` across processes: the update lock
//! shared with backups and restores of other processes, and a feed served by python3.

mod common;
#[path = "../../lifeboat-core/tests/common/update_feed.rs"]
mod update_feed;

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::Cli;
use lifeboat_core::operation::OperationKind;
use lifeboat_core::runner::OperationLock;
use update_feed::{FeedServer, Signer};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One key for this test binary, handed to every `lifeboat` it starts (a debug build
/// reads LIFEBOAT_UPDATE_PUBKEY at run time; a release has its key built in).
fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let signer = Signer::new();
        std::env::set_var("LIFEBOAT_UPDATE_PUBKEY", signer.public_key());
        signer
    })
}

fn configured() -> (tempfile::TempDir, Cli) {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { data: dir.path().join("data") };
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/notes.txt"), "keep me\n").unwrap();
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "a long passphrase\n");
    cli.ok(&["items", "add", dir.path().join("src").to_str().unwrap()], "");
    (dir, cli)
}

fn newer() -> String {
    let v: Vec<u64> = VERSION.split('.').map(|p| p.parse().unwrap()).collect();
    format!("{}.{}.{}", v[0], v[1], v[2] + 1)
}

#[test]
fn version_completions_and_manual_pages() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { data: dir.path().join("data") };
    assert_eq!(cli.ok(&["--version"], ""), format!("lifeboat {VERSION}\n"));
    let bash = cli.ok(&["completions", "bash"], "");
    assert!(bash.contains("_lifeboat()") && bash.contains("update") && bash.contains("restore"), "{bash}");
    for shell in ["zsh", "fish"] {
        assert!(cli.ok(&["completions", shell], "").contains("lifeboat"), "{shell}");
    }
    cli.fails(&["completions", "cmd.exe"], "", 2, "invalid value 'cmd.exe'");
    let man = dir.path().join("man");
    cli.ok(&["manual", man.to_str().unwrap()], "");
    let top = std::fs::read_to_string(man.join("lifeboat.1")).unwrap();
    assert!(top.contains(".TH lifeboat 1") && top.contains(VERSION) && top.contains("lifeboat \\- Encrypted, scheduled backups"), "{top}");
    let install = std::fs::read_to_string(man.join("lifeboat-update-install.1")).unwrap();
    assert!(install.contains("\\-\\-wait"), "{install}");
    assert!(man.join("lifeboat-vault-secret-set.1").exists());
    assert!(!man.join("lifeboat-manual.1").exists(), "the hidden command has no page");
}

/// `lifeboat … | head -1` or `| grep -q`: the reader goes away before lifeboat
/// writes. It must not panic, and its exit code stays its own.
#[test]
fn output_into_a_closed_pipe_does_not_panic() {
    let (_dir, cli) = configured();
    for args in [&["--json", "status"][..], &["status"], &["items", "list"], &["backup", "now"], &["--json", "nonsense"]] {
        let (read, write) = std::io::pipe().unwrap();
        drop(read);
        let out = Command::new(env!("CARGO_BIN_EXE_lifeboat"))
            .env("LIFEBOAT_CREDENTIAL_STORE", "off")
            .arg("--data-dir")
            .arg(&cli.data)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(write))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        let expected = if args.contains(&"nonsense") { 2 } else { 0 };
        assert_eq!(out.status.code(), Some(expected), "{args:?}: {stderr}");
    }
    // The backup whose report went nowhere was made all the same.
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 1);
}

#[test]
fn update_check_and_settings_through_the_cli() {
    let signer = signer();
    let (_dir, cli) = configured();
    cli.fails(&["update", "check"], "", 2, "No update feed is set");
    let feed = FeedServer::start();
    let package = b"a package";
    feed.put("lifeboat.deb", package);
    feed.publish(&newer(), "linux-x86_64-deb", "lifeboat.deb", &signer.sign_as(package, &newer()));
    cli.fails(&["update", "settings", "--feed", "http://updates.example.org/latest.json"], "", 2, "plain http is accepted only for this machine");
    let saved = cli.json(&["update", "settings", "--feed", &feed.url("latest.json"), "--automatic", "off"], "");
    assert_eq!((saved["feed_url"].as_str(), saved["check_automatically"].as_bool()), (Some(feed.url("latest.json").as_str()), Some(false)));

    let text = cli.ok(&["update", "check"], "");
    assert!(text.starts_with(&format!("Lifeboat {} is available (this is {VERSION}, not installed from a package: it cannot update itself).", newer())), "{text}");
    assert!(text.contains(&format!("Lifeboat {}: what changed.", newer())), "{text}");
    let json = cli.json(&["update", "check"], "");
    assert_eq!(json["available"]["version"], newer().as_str());
    assert_eq!(json["current_version"], VERSION);
    // A binary built from source cannot install a package over itself.
    cli.fails(&["update", "install"], "", 2, "was not installed from a package, so it cannot update itself");

    feed.publish(VERSION, "linux-x86_64-deb", "lifeboat.deb", &signer.sign_as(package, VERSION));
    assert!(cli.ok(&["update", "check"], "").starts_with(&format!("Lifeboat {VERSION} is the newest version")));
    let reset = cli.json(&["update", "settings", "--feed", "default"], "");
    assert_eq!(reset["feed_url"], serde_json::Value::Null);
}

/// The lock across processes: this test process holds it as an update (or as a
/// backup) while `lifeboat` processes ask for the other.
#[test]
fn the_update_lock_holds_across_processes_in_both_directions() {
    signer();
    let (dir, cli) = configured();
    cli.ok(&["backup", "now"], "");
    let id = cli.json(&["backups", "list"], "")[0]["id"].as_str().unwrap().to_owned();

    let update = OperationLock::acquire(&cli.data, OperationKind::Update, "the-update", chrono::Utc::now()).unwrap();
    let restore_to = dir.path().join("restored");
    for (args, stdin) in [
        (vec!["backup", "now"], ""),
        (vec!["restore", &id, "--passphrase-stdin", "--to", restore_to.to_str().unwrap()], "a long passphrase\n"),
        (vec!["verify", &id], ""),
        (vec!["retention", "run"], ""),
    ] {
        cli.fails(&args, stdin, 4, "An update is being installed (update the-update started at");
    }
    let json = cli.run(&["--json", "backup", "now"], "");
    let error: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(error["error"]["code"], "update-in-progress");
    drop(update);

    let backup = OperationLock::acquire(&cli.data, OperationKind::Backup, "the-backup", chrono::Utc::now()).unwrap();
    cli.fails(&["update", "install"], "", 4, "Another operation is running: backup the-backup started at");
    // Asked to wait, it waits for the backup, then goes on (and stops where a build
    // from source must: it cannot install a package over itself).
    let mut waiting = cli.spawn(&["update", "install", "--wait"]);
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    assert!(line.starts_with("note: waiting: Another operation is running: backup the-backup"), "{line}");
    assert_eq!(waiting.try_wait().unwrap(), None, "still waiting");
    drop(backup);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("was not installed from a package"), "{rest}");
    assert_eq!(waiting.wait().unwrap().code(), Some(2));
}

/// A whole update through the command line, the package manager replaced by the
/// debug build's folder installer: the signed package arrives where dpkg would get
/// it; a tampered one never does.
#[test]
fn an_update_installed_through_the_cli_and_a_tampered_one_refused() {
    let signer = signer();
    let (dir, cli) = configured();
    let installed = dir.path().join("installed");
    std::fs::create_dir(&installed).unwrap();
    let feed = FeedServer::start();
    cli.ok(&["update", "settings", "--feed", &feed.url("latest.json")], "");
    let package = common::noise(300_000, 7);

    let mut tampered = package.clone();
    tampered[150_000] ^= 0x40;
    feed.put("lifeboat.deb", &tampered);
    feed.publish(&newer(), "linux-x86_64-deb", "lifeboat.deb", &signer.sign_as(&package, &newer()));
    let out = cli.spawn_with(&["update", "install"], &[("LIFEBOAT_TEST_INSTALL_INTO", installed.as_os_str())]).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("The downloaded update was refused and nothing was installed: its signature does not match its content"), "{stderr}");
    assert!(!installed.join("installed.deb").exists());

    feed.put("lifeboat.deb", &package);
    let out = cli.spawn_with(&["--json", "update", "install"], &[("LIFEBOAT_TEST_INSTALL_INTO", installed.as_os_str())]).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["version"].as_str(), report["from_version"].as_str()), (Some(newer().as_str()), Some(VERSION)));
    assert_eq!(std::fs::read(installed.join("installed.deb")).unwrap(), package);
    let ops = cli.json(&["operations", "list"], "");
    let kinds: Vec<(&str, &str)> = ops.as_array().unwrap().iter().map(|o| (o["kind"].as_str().unwrap(), o["status"].as_str().unwrap())).collect();
    assert_eq!(&kinds[..2], [("update", "succeeded"), ("update", "failed")]);
}

/// Serves one response that never ends: the package download hangs, holding the
/// update in progress for as long as the test needs.
fn stalling_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\nthe first bytes");
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    });
    (port, stop)
}

/// A `lifeboat update install` killed in the middle: while it ran, a backup of
/// another process was refused; once it is dead its lock is recognised as stale and
/// the next backup runs, with the update recorded as interrupted.
#[test]
fn an_update_killed_in_the_middle_leaves_a_lock_the_next_operation_recognises_as_stale() {
    let signer = signer();
    let (dir, cli) = configured();
    let feed = FeedServer::start();
    let (port, stop) = stalling_server();
    let package_url = format!("http://127.0.0.1:{port}/lifeboat.deb");
    let latest = serde_json::json!({
        "version": newer(),
        "platforms": { "linux-x86_64-deb": { "signature": signer.sign_as(b"x", &newer()), "url": package_url } }
    });
    feed.put("latest.json", latest.to_string().as_bytes());
    cli.ok(&["update", "settings", "--feed", &feed.url("latest.json")], "");
    let installed = dir.path().join("installed");
    let mut updating = cli.spawn_with(&["update", "install"], &[("LIFEBOAT_TEST_INSTALL_INTO", installed.as_os_str())]);
    let running = || cli.json(&["operations", "list"], "").as_array().unwrap().iter().any(|o| o["kind"] == "update" && o["status"] == "running");
    let started = std::time::Instant::now();
    while !running() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the update never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cli.fails(&["backup", "now"], "", 4, "An update is being installed (update ");

    updating.kill().unwrap();
    updating.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    cli.ok(&["backup", "now"], "");
    let ops = cli.json(&["operations", "list"], "");
    let update = ops.as_array().unwrap().iter().find(|o| o["kind"] == "update").unwrap();
    assert_eq!((update["status"].as_str(), update["error_code"].as_str()), (Some("failed"), Some("interrupted")), "{update}");
}

/// `lifeboat service` keeps running the old program from memory after a package
/// update replaced it; it notices, and stops so that its service manager starts the
/// new version (the unit restarts it on failure).
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a package manager replacing the running program, seen through /proc/self/exe: Linux's packages only (Windows cannot replace a running .exe)"
)]
fn the_service_stops_for_its_restart_once_an_update_replaced_its_program() {
    let (dir, cli) = configured();
    let program = dir.path().join("bin/lifeboat");
    std::fs::create_dir_all(program.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_lifeboat"), &program).unwrap();
    let mut service = Command::new(&program)
        .env("LIFEBOAT_CREDENTIAL_STORE", "off")
        .arg("--data-dir")
        .arg(&cli.data)
        .args(["service", "--test-clock-speed", "600"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(service.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("Lifeboat scheduler running") {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0, "the service ended early");
    }
    assert_eq!(service.try_wait().unwrap(), None);
    // What dpkg does: the new file is renamed over the old one.
    let staged = dir.path().join("bin/lifeboat.dpkg-new");
    std::fs::copy(env!("CARGO_BIN_EXE_lifeboat"), &staged).unwrap();
    std::fs::rename(&staged, &program).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("Lifeboat was updated: the scheduler stops so that the new version runs"), "{rest}");
    assert_eq!(service.wait().unwrap().code(), Some(1));
}
