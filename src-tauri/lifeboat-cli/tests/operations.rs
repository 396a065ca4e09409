//! Operations across processes through the `lifeboat` binary: one at a time, a killed
//! holder does not block, cancel from another process, the stall watchdog, retention
//! confirmation, and `lifeboat service` running the schedule on a fast test clock.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use common::Cli;

/// A data folder with a passphrase, a small folder and a SQLite database as items.
fn setup(root: &Path) -> (Cli, rusqlite::Connection) {
    let cli = Cli { data: root.join("data") };
    cli.ok(&["encryption", "set-passphrase", "--passphrase-stdin"], "operations test passphrase");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("docs/notes.txt"), "remember the milk\n").unwrap();
    cli.ok(&["items", "add", root.join("docs").to_str().unwrap()], "");
    let db_path = root.join("app.db");
    let db = rusqlite::Connection::open(&db_path).unwrap();
    db.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    cli.ok(&["items", "add", db_path.to_str().unwrap()], "");
    (cli, db)
}

/// Another program holds the database's write lock, so readers wait: a backup sits
/// in its scanning phase, holding the operation lock, without progressing.
fn lock_database(db: &rusqlite::Connection) {
    db.execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);").unwrap();
}

fn unlock_database(db: &rusqlite::Connection) {
    db.execute_batch("COMMIT;").unwrap();
}

/// Waits until an operation of `kind` runs; returns its id.
fn wait_running(cli: &Cli, kind: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ops = cli.json(&["operations", "list"], "");
        if let Some(op) = ops.as_array().unwrap().iter().find(|o| o["status"] == "running" && o["kind"] == kind) {
            return op["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no {kind} started: {ops}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn exit_within(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the child when the test fails before it ended, so that no service outlives
/// its test (under Wine one would keep the test run's output open).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn one_backup_at_a_time_across_processes_and_a_killed_holder_does_not_block() {
    let tmp = tempfile::tempdir().unwrap();
    let (cli, db) = setup(tmp.path());
    lock_database(&db);
    let mut first = cli.spawn(&["backup", "now"]);
    let first_id = wait_running(&cli, "backup");

    let started = Instant::now();
    let out = cli.run(&["backup", "now"], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(&format!("Another operation is running: backup {first_id} started at")), "{stderr}");
    assert!(stderr.contains(&format!("(process {})", first.id())), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5), "busy is answered at once, not after a wait");

    first.kill().unwrap(); // SIGKILL: no cleanup runs
    first.wait().unwrap();
    unlock_database(&db);
    let summary = cli.json(&["backup", "now"], "");
    assert!(summary["id"].is_string());
    let backups = cli.json(&["backups", "list"], "");
    assert_eq!(backups.as_array().unwrap().len(), 1, "the killed backup left nothing that lists: {backups}");
    let killed = cli.json(&["operations", "show", &first_id], "");
    assert_eq!(killed["status"], "failed");
    assert_eq!(killed["error_code"], "interrupted");
}

#[test]
fn cancel_from_another_process() {
    let tmp = tempfile::tempdir().unwrap();
    let (cli, db) = setup(tmp.path());
    lock_database(&db);
    let mut backup = cli.spawn(&["backup", "now"]);
    let id = wait_running(&cli, "backup");
    let asked = cli.json(&["operations", "cancel", &id[..8]], "");
    assert_eq!(asked["cancel_requested"], true);
    let status = exit_within(&mut backup, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    unlock_database(&db);
    assert_eq!(cli.json(&["operations", "show", &id], "")["status"], "canceled");
    assert!(cli.json(&["backups", "list"], "").as_array().unwrap().is_empty());
    cli.fails(&["operations", "cancel", &id], "", 2, "is not running (it canceled)");
}

#[test]
fn a_stalled_backup_fails_within_the_stall_timeout_and_the_next_one_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let (cli, db) = setup(tmp.path());
    cli.fails(&["operations", "set-stall-timeout", "0"], "", 2, "choose 1 to 86400 seconds");
    cli.ok(&["operations", "set-stall-timeout", "2"], "");
    lock_database(&db);
    let started = Instant::now();
    let out = cli.run(&["--json", "backup", "now"], "");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"]["code"], "stalled");
    assert_eq!(body["error"]["message"], "The operation stalled: nothing progressed for 2 s while scanning");
    assert!(body["error"]["hint"].as_str().unwrap().contains("set-stall-timeout"));
    assert!(cli.json(&["backups", "list"], "").as_array().unwrap().is_empty());
    let last = &cli.json(&["operations", "list", "--limit", "1"], "")[0];
    assert_eq!((&last["status"], &last["error_code"]), (&"failed".into(), &"stalled".into()));

    unlock_database(&db);
    cli.ok(&["backup", "now"], "");
}

#[test]
fn retention_changes_that_delete_need_confirmation() {
    let tmp = tempfile::tempdir().unwrap();
    let (cli, _db) = setup(tmp.path());
    for _ in 0..3 {
        cli.ok(&["backup", "now"], "");
    }
    cli.fails(&["retention", "set", "--days", "1"], "", 2, "choose 2 to 14 days");
    let preview = cli.json(&["retention", "preview", "--max-count", "1"], "");
    let reasons: Vec<&str> = preview.as_array().unwrap().iter().map(|d| d["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["newest good backup", "beyond 1 backup", "beyond 1 backup"]);
    cli.fails(&["retention", "set", "--max-count", "1"], "", 2, "would delete 2 backup(s)");
    assert_eq!(cli.json(&["retention", "show"], "")["max_count"], 30, "nothing saved without --yes");
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 3);
    let set = cli.json(&["retention", "set", "--max-count", "1", "--yes"], "");
    assert_eq!(set["deleted"].as_array().unwrap().len(), 2);
    assert_eq!(cli.json(&["backups", "list"], "").as_array().unwrap().len(), 1);
    let sweep = cli.json(&["operations", "list", "--limit", "1"], "");
    assert_eq!((&sweep[0]["kind"], &sweep[0]["status"]), (&"retention".into(), &"succeeded".into()));

    cli.fails(&["expiry", "set", "--days", "0"], "", 2, "choose 1 to 3650 days");
    cli.ok(&["expiry", "set", "--days", "14"], "");
    let status = cli.json(&["status"], "");
    assert_eq!(status["expiry_days"], 14);
    assert_eq!(status["backups"], 1);
    assert_eq!(status["retention"]["max_count"], 1);
    assert_eq!(status["last_backup"]["status"], "succeeded");
    assert_eq!(status["schedule"]["enabled"], true);
}

#[test]
fn the_service_runs_scheduled_backups_and_retention_on_a_fast_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let (cli, _db) = setup(tmp.path());
    cli.ok(&["schedule", "set", "--every-hours", "4"], "");
    cli.ok(&["retention", "set", "--max-count", "2"], "");
    // 7200 times real time: a 4-hour slot every 2 seconds.
    let mut service = Running(cli.spawn(&["--json", "service", "--test-clock-speed", "7200"]));
    let lines = {
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = BufReader::new(service.0.stdout.take().unwrap());
        std::thread::spawn(move || stdout.lines().map_while(Result::ok).try_for_each(|line| tx.send(line)));
        rx
    };
    let holder = cli.data.join("scheduler.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !holder.exists() {
        assert!(Instant::now() < deadline, "the service did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = cli.run(&["service"], "");
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already runs for this data folder"));

    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut scheduled, mut deleted) = (0, 0);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines.recv_timeout(left) else {
            panic!("only {scheduled} scheduled backups and {deleted} deletions within 90 s");
        };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        match event["event"].as_str().unwrap() {
            "operation-finished" if event["operation"]["kind"] == "backup" => {
                assert_eq!(event["operation"]["trigger"], "scheduled");
                assert_eq!(event["operation"]["status"], "succeeded", "{event}");
                scheduled += 1;
            }
            "backups-deleted" => {
                for b in event["backups"].as_array().unwrap() {
                    assert_eq!(b["reason"], "beyond 2 backups");
                    deleted += 1;
                }
            }
            _ => {}
        }
        if scheduled >= 4 && deleted >= 2 {
            break;
        }
    }
    // Stopped as its service manager stops it: SIGTERM, and it exits cleanly. Under
    // Wine no console event can be sent (GenerateConsoleCtrlEvent fails with
    // ERROR_INVALID_ACCESS): there it is ended as Task Scheduler's End ends a task,
    // and what it did must stand.
    #[cfg(unix)]
    {
        let pid = rustix::process::Pid::from_raw(service.0.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let status = exit_within(&mut service.0, Duration::from_secs(20));
        assert!(status.success(), "{status:?}");
    }
    #[cfg(windows)]
    {
        service.0.kill().unwrap();
        service.0.wait().unwrap();
    }

    let backups = cli.json(&["backups", "list"], "");
    assert_eq!(backups.as_array().unwrap().len(), 2, "{backups}");
    let ops = cli.json(&["operations", "list", "--limit", "100"], "");
    let scheduled_runs = ops.as_array().unwrap().iter().filter(|o| o["kind"] == "backup" && o["trigger"] == "scheduled").count();
    assert!(scheduled_runs >= 4, "{ops}");
    let log = std::fs::read_to_string(cli.data.join("logs/events.jsonl")).unwrap();
    assert!(log.contains("\"event\":\"backups-deleted\""), "the event log records deletions");
}
