//! A real Samba server for the SMB tests: `smbd` from Debian's samba package on
//! 127.0.0.1, a free unprivileged port, a private smb.conf and state folders, a test
//! user with a password; stopped (SIGTERM) when dropped. Needs root (useradd, smbd),
//! as `.ci/run` has.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "lifeboat-smbtest";
pub const PASSWORD: &str = "Samba-test-pw-1";
pub const SHARE: &str = "backups";
/// The same folder as `SHARE`, with every write synced before it is answered.
pub const SLOW_SHARE: &str = "slow-backups";

pub struct Samba {
    pub port: u16,
    pub share_dir: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
    _base: tempfile::TempDir,
}

fn run(command: &mut Command, what: &str) -> std::process::Output {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e} (install samba and smbclient; scripts/test.sh does)"));
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// A port nobody listens on now; never WebKitWebDriver's 4445.
fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if port != 4445 {
            return port;
        }
    }
}

fn ensure_user() {
    let exists = Command::new("id").arg(USER).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if !exists {
        // Two tests may race to create it; whoever loses finds it there.
        let _ = Command::new("useradd").args(["-M", "-s", "/usr/sbin/nologin", USER]).output();
        run(Command::new("id").arg(USER), "checking the SMB test user");
    }
}

impl Samba {
    /// Under Wine the tests cannot run Linux's smbd and control it: they use the one
    /// scripts/test.sh started on the Linux side (the `samba-server` example), whose
    /// JSON line is in `LIFEBOAT_TEST_SAMBA`. It cannot be stopped, signalled or given
    /// another password from here, and every test of a run shares it: each test uses
    /// a folder of its own in the share.
    #[cfg(windows)]
    pub fn start() -> Samba {
        let ready = std::env::var("LIFEBOAT_TEST_SAMBA").expect("LIFEBOAT_TEST_SAMBA: the Samba server scripts/test.sh starts for the Windows tests");
        let ready: serde_json::Value = serde_json::from_str(&ready).unwrap();
        let unc = ready["unc"].as_str().unwrap();
        let port = unc.rsplit_once(':').and_then(|(_, rest)| rest.split('\\').next()?.parse().ok()).expect("a port in the server's UNC path");
        let base = tempfile::tempdir().unwrap();
        Samba { port, share_dir: PathBuf::from(ready["share_dir"].as_str().unwrap()), conf: base.path().join("smb.conf"), child: None, _base: base }
    }

    #[cfg(unix)]
    pub fn start() -> Samba {
        let uid = String::from_utf8(run(Command::new("id").arg("-u"), "id -u").stdout).unwrap();
        assert_eq!(uid.trim(), "0", "the SMB tests start their own Samba and need root (useradd, smbd), as .ci/run has");
        ensure_user();
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        // smbd serves the share as the test user, who must reach it.
        run(Command::new("chmod").args(["755"]).arg(root), "chmod");
        for dir in ["priv", "lock", "state", "cache", "pid", "ncalrpc", "share"] {
            fs::create_dir(root.join(dir)).unwrap();
        }
        let share_dir = root.join("share");
        run(Command::new("chown").arg(format!("{USER}:")).arg(&share_dir), "chown");
        let port = free_port();
        let conf = root.join("smb.conf");
        let d = |name: &str| root.join(name).display().to_string();
        fs::write(
            &conf,
            format!(
                "[global]
server role = standalone server
interfaces = lo
bind interfaces only = yes
smb ports = {port}
disable netbios = yes
server min protocol = SMB2_10
map to guest = never
passdb backend = tdbsam:{priv_}/passdb.tdb
private dir = {priv_}
lock directory = {lock}
state directory = {state}
cache directory = {cache}
pid directory = {pid}
ncalrpc dir = {ncalrpc}
log file = {log}
load printers = no
printing = bsd
printcap name = /dev/null
disable spoolss = yes
usershare max shares = 0

[{SHARE}]
path = {share}
read only = no
valid users = {USER}

# The same folder through a slow disk: every write is synced before it is
# answered, so with many writes in flight Samba answers some of them
# asynchronously (an interim STATUS_PENDING response first, then the result).
[{SLOW_SHARE}]
path = {share}
read only = no
valid users = {USER}
sync always = yes
strict sync = yes
",
                priv_ = d("priv"),
                lock = d("lock"),
                state = d("state"),
                cache = d("cache"),
                pid = d("pid"),
                ncalrpc = d("ncalrpc"),
                log = d("smbd.log"),
                share = share_dir.display(),
            ),
        )
        .unwrap();
        let mut samba = Samba { port, share_dir, conf, child: None, _base: base };
        samba.set_password(PASSWORD);
        samba.spawn();
        samba
    }

    /// Sets the test user's password (the server reads it at each sign-in).
    pub fn set_password(&self, password: &str) {
        let mut smbpasswd = Command::new("smbpasswd")
            .arg("-c")
            .arg(&self.conf)
            .args(["-a", "-s", USER])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("smbpasswd (install samba)");
        use std::io::Write;
        smbpasswd.stdin.take().unwrap().write_all(format!("{password}\n{password}\n").as_bytes()).unwrap();
        let out = smbpasswd.wait_with_output().unwrap();
        assert!(out.status.success(), "smbpasswd: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn spawn(&mut self) {
        let log = fs::File::create(self.conf.with_file_name("smbd.out")).unwrap();
        let mut smbd = Command::new("smbd");
        // A process group of its own: smbd signals its whole group when it stops,
        // which must not be the test's.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut smbd, 0);
        let child = smbd
            .arg(format!("--configfile={}", self.conf.display()))
            .args(["-F", "--no-process-group", "--debug-stdout", "-d", "1"])
            // In the foreground smbd stops when a pipe on its stdin closes.
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("smbd (install samba)");
        self.child = Some(child);
        self.wait_until_it_answers();
    }

    fn wait_until_it_answers(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let listening = TcpStream::connect(("127.0.0.1", self.port)).is_ok();
            if listening {
                let ls = Command::new("smbclient")
                    .arg(format!("//127.0.0.1/{SHARE}"))
                    .args(["-p", &self.port.to_string(), "-U", &format!("{USER}%{PASSWORD}"), "-c", "ls"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                if ls.is_ok_and(|s| s.success()) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "smbd did not answer on port {} within 20 s: {}", self.port, self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `\\127.0.0.1:PORT\backups` plus an optional folder inside the share.
    pub fn unc(&self, folder: &str) -> String {
        self.unc_of(SHARE, folder)
    }

    /// The same for another share of this server.
    pub fn unc_of(&self, share: &str, folder: &str) -> String {
        let base = format!(r"\\127.0.0.1:{}\{share}", self.port);
        if folder.is_empty() {
            base
        } else {
            format!(r"{base}\{folder}")
        }
    }

    pub fn path_in_share(&self, rel: &str) -> PathBuf {
        self.share_dir.join(rel)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.conf.with_file_name("smbd.out")).unwrap_or_default()
    }

    /// Sends a signal to the server and all its worker processes.
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            signal_tree(child.id(), signal);
        }
    }

    /// Stops the server (SIGKILL: it vanishes as a crashed server does).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_tree(child.id(), "KILL");
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and state.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

/// Signals smbd and the worker processes it forked: its process group.
fn signal_tree(pid: u32, signal: &str) {
    let _ = Command::new("kill").args([&format!("-{signal}"), "--", &format!("-{pid}")]).status();
}

impl Drop for Samba {
    fn drop(&mut self) {
        self.signal("CONT");
        self.signal("TERM");
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            signal_tree(child.id(), "KILL");
            let _ = child.wait();
        }
    }
}
