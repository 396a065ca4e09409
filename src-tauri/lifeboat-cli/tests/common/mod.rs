//! Running the `lifeboat` binary from tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

#[path = "../../../lifeboat-core/tests/common/host_programs.rs"]
pub mod host_programs;

pub struct Cli {
    pub data: PathBuf,
}

impl Cli {
    /// Starts `lifeboat --data-dir DATA ARGS` with stdout and stderr captured.
    fn start(&self, args: &[&str], stdin: Stdio) -> Child {
        self.start_with(args, stdin, &[])
    }

    fn start_with(&self, args: &[&str], stdin: Stdio, env: &[(&str, &std::ffi::OsStr)]) -> Child {
        spawn(
            Command::new(env!("CARGO_BIN_EXE_lifeboat"))
                // Vault keys stay in the data folder's file, never in a developer's keyring.
                .env("LIFEBOAT_CREDENTIAL_STORE", "off")
                .envs(env.iter().map(|(k, v)| (*k, *v)))
                .arg("--data-dir")
                .arg(&self.data)
                .args(args)
                .stdin(stdin)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_with(args, stdin, &[])
    }

    /// Like `run`, with more environment.
    pub fn run_with(&self, args: &[&str], stdin: &str, env: &[(&str, &std::ffi::OsStr)]) -> Output {
        let mut child = self.start_with(args, Stdio::piped(), env);
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Starts `lifeboat ARGS` without waiting, stdin closed.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.start(args, Stdio::null())
    }

    /// Like `spawn`, with more environment.
    pub fn spawn_with(&self, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Child {
        self.start_with(args, Stdio::null(), env)
    }

    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "lifeboat {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str], stdin: &str) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all, stdin)).unwrap()
    }

    pub fn fails(&self, args: &[&str], stdin: &str, code: i32, message: &str) {
        let out = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "lifeboat {args:?}: {stderr}");
        assert!(stderr.contains(message), "lifeboat {args:?}: {stderr:?} lacks {message:?}");
    }
}

/// Starts `command`. Wine's CreateProcess fails now and then with
/// ERROR_INTERNAL_ERROR once many processes were killed (the crash harness): tried
/// again there after a moment.
pub fn spawn(command: &mut Command) -> Child {
    let mut tries = 0;
    loop {
        match command.spawn() {
            Ok(child) => return child,
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 5 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => panic!("starting {:?}: {e}", command.get_program()),
        }
    }
}

/// `len` bytes no compressor shrinks (xorshift from `seed`).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A data folder as Lifeboat 0.1 left it with a legacy key (the only kind of
/// configuration that may use one): the encryption setting in the catalog and the
/// key in `secrets/legacy.key`.
pub fn legacy_key_configuration(cli: &Cli, key_base64: &str) {
    let key_id = lifeboat_core::protector::parse_legacy_key(key_base64).unwrap().key_id();
    cli.ok(&["status"], "");
    let catalog = rusqlite::Connection::open(cli.data.join("catalog.db")).unwrap();
    let setting = serde_json::json!({ "mode": "key", "key_id": key_id, "set_at": "2026-01-01T00:00:00Z" });
    catalog.execute("INSERT INTO settings (key, value) VALUES ('encryption', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [setting.to_string()]).unwrap();
    std::fs::create_dir_all(cli.data.join("secrets")).unwrap();
    std::fs::write(cli.data.join("secrets/legacy.key"), key_base64.trim()).unwrap();
}

/// The uid the tests use for an account without privileges.
#[cfg(unix)]
pub const NOBODY: u32 = 65534;

#[cfg(unix)]
extern "C" {
    fn geteuid() -> u32;
}

#[cfg(unix)]
pub fn running_as_root() -> bool {
    unsafe { geteuid() == 0 }
}

/// `program` run by an account without privileges: as root (the suite in CI), as
/// `nobody` through `setpriv`; otherwise as the account running the tests.
#[cfg(unix)]
pub fn unprivileged(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args(["--reuid", &NOBODY.to_string(), "--regid", &NOBODY.to_string(), "--clear-groups", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}
