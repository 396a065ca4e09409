//! Real object-storage servers for the tests: Azurite (Azure Blob Storage) and moto
//! (S3), each on a free loopback port with its own state, a container or bucket
//! created for it, stopped when dropped. `scripts/test.sh` installs both under
//! `target/tools/` (LIFEBOAT_AZURITE and LIFEBOAT_MOTO point elsewhere).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};

/// Azurite's well-known development account and key.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
pub const S3_KEY_ID: &str = "lifeboat-test-key";
/// moto does not check signatures; any secret works there.
pub const S3_SECRET: &str = "lifeboat-test-secret";

pub struct Server {
    pub port: u16,
    program: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    state: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Server {
    /// Starts `program` with `args` (`{port}` and `{state}` filled in) and waits until
    /// it listens.
    fn start(program: PathBuf, args: &[&str], what: &str) -> Server {
        let state = tempfile::tempdir().unwrap();
        let port = free_port();
        let args = args.iter().map(|a| a.replace("{port}", &port.to_string()).replace("{state}", &state.path().display().to_string())).collect();
        let mut server = Server { port, program, args, child: None, state };
        server.spawn(what);
        server
    }

    fn spawn(&mut self, what: &str) {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(self.state.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{what} starts: {e}"));
        wait_listening(self.port, &mut child, what);
        self.child = Some(child);
    }

    /// Freezes the server (SIGSTOP) or lets it go on (SIGCONT).
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
        assert!(status.success());
    }

    /// Kills it (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and state.
    pub fn restart(&mut self, what: &str) {
        self.kill();
        self.spawn(what);
    }
}

fn tool(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools").join(default));
    assert!(path.exists(), "{} is missing: scripts/test.sh installs the object-storage test servers (or set {variable})", path.display());
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on port {port} within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.1 request on a fresh connection; returns the status code.
fn request(port: u16, head: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no HTTP answer: {text}"))
}

pub struct Azurite {
    pub server: Server,
    pub container: String,
}

impl Azurite {
    pub fn start() -> Azurite {
        let program = tool("LIFEBOAT_AZURITE", "azurite/node_modules/.bin/azurite-blob");
        let args = ["--blobHost", "127.0.0.1", "--blobPort", "{port}", "--silent", "--disableTelemetry", "--location", "{state}"];
        let azurite = Azurite { server: Server::start(program, &args, "Azurite"), container: "lifeboat-test".into() };
        azurite.create_container(&azurite.container);
        azurite
    }

    /// The endpoint to configure: path-style, with the account in the path.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.server.port)
    }

    /// Create Container, signed with the account key (neither crate creates
    /// containers); one that exists already is fine.
    pub fn create_container(&self, name: &str) {
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let version = "2021-08-06";
        let to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{name}\nrestype:container"
        );
        let key = base64::engine::general_purpose::STANDARD.decode(AZURITE_KEY).unwrap();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(to_sign.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let head = format!(
            "PUT /{AZURITE_ACCOUNT}/{name}?restype=container HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nx-ms-date: {date}\r\nx-ms-version: {version}\r\n\
             Authorization: SharedKey {AZURITE_ACCOUNT}:{signature}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.server.port
        );
        let status = request(self.server.port, &head);
        assert!(status == 201 || status == 409, "creating the container {name}: {status}");
    }
}

pub struct Moto {
    pub server: Server,
    pub bucket: String,
}

impl Moto {
    pub fn start() -> Moto {
        let program = tool("LIFEBOAT_MOTO", "moto/bin/moto_server");
        let moto = Moto { server: Server::start(program, &["-H", "127.0.0.1", "-p", "{port}"], "moto"), bucket: "lifeboat-test".into() };
        moto.create_bucket(&moto.bucket);
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    pub fn create_bucket(&self, name: &str) {
        let head = format!("PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.server.port);
        assert_eq!(request(self.server.port, &head), 200, "creating the bucket {name}");
    }
}
