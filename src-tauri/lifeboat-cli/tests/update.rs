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
        let (read, write) = rustix::pipe::pipe().unwrap();
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
