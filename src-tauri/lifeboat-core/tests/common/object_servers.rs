//! Real object-storage servers for the tests: Azurite (Azure Blob Storage) and moto
//! (S3), each on a free loopback port with its own state, a container or bucket
//! created for it, stopped when dropped. `scripts/test.sh` installs both under
//! `target/tools/` (LIFEBOAT_AZURITE and LIFEBOAT_MOTO point elsewhere).
//!
//! Under Wine the tests cannot start Linux programs and control them: they use the
//! two servers scripts/test.sh started on the Linux side (the `test-servers`
//! example), whose ports are in `LIFEBOAT_TEST_AZURITE_PORT` and
//! `LIFEBOAT_TEST_MOTO_PORT`. Every test of a run shares them, each in a container or
//! bucket of its own; they cannot be stopped, frozen or restarted from there.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Child;
#[cfg(unix)]
use std::process::{Command, Stdio};
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
    #[cfg(unix)]
    fn start(program: PathBuf, args: &[&str], what: &str) -> Server {
        let state = tempfile::tempdir().unwrap();
        let port = free_port();
        let args = args.iter().map(|a| a.replace("{port}", &port.to_string()).replace("{state}", &state.path().display().to_string())).collect();
        let mut server = Server { port, program, args, child: None, state };
        server.spawn(what);
        server
    }

    #[cfg(unix)]
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

    /// The server scripts/test.sh started, on the port in `variable` (Windows tests).
    #[cfg(windows)]
    fn started_outside(variable: &str) -> Server {
        let port =
            std::env::var(variable).ok().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{variable}: the port of the server scripts/test.sh starts for the Windows tests"));
        Server { port, program: PathBuf::new(), args: Vec::new(), child: None, state: tempfile::tempdir().unwrap() }
    }

    /// Freezes the server (SIGSTOP) or lets it go on (SIGCONT).
    #[cfg(unix)]
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
    #[cfg(unix)]
    pub fn restart(&mut self, what: &str) {
        self.kill();
        self.spawn(what);
    }
}

#[cfg(unix)]
fn tool(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools").join(default));
    assert!(path.exists(), "{} is missing: scripts/test.sh installs the object-storage test servers (or set {variable})", path.display());
    path
}

/// A container or bucket name of the test's own where servers are shared (Windows),
/// else the usual one.
fn test_space() -> String {
    if cfg!(windows) {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        format!("lifeboat-test-{}-{}", std::process::id(), STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    } else {
        "lifeboat-test".into()
    }
}

/// An endpoint where nothing listens.
pub fn unreachable_port() -> u16 {
    free_port()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[cfg(unix)]
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

/// A connection to the server on `port`. A server that just started listening
/// has once refused the next connection (a CI run, not reproduced in a dozen runs
/// here): refusals are retried for a few seconds before they count.
fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => return stream,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("connecting to the test server on port {port}: {e}"),
        }
    }
}

/// One HTTP/1.1 request on a fresh connection; returns the status code.
fn request(port: u16, head: &str) -> u16 {
    exchange(port, head).0
}

/// One HTTP/1.1 request on a fresh connection; returns the status code and the
/// whole answer.
fn exchange(port: u16, head: &str) -> (u16, String) {
    let mut stream = connect(port);
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no HTTP answer: {text}"));
    (status, text)
}

/// Every `<tag>` value in an XML answer, in order (what precedes the first
/// `<tag>` is no value).
pub fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open).skip(1).filter_map(|rest| rest.split_once(&close).map(|(value, _)| value.to_owned())).collect()
}

pub struct Azurite {
    pub server: Server,
    pub container: String,
}

impl Azurite {
    pub fn start() -> Azurite {
        #[cfg(windows)]
        let server = Server::started_outside("LIFEBOAT_TEST_AZURITE_PORT");
        #[cfg(unix)]
        let server = {
            let program = tool("LIFEBOAT_AZURITE", "azurite/node_modules/.bin/azurite-blob");
            let args = ["--blobHost", "127.0.0.1", "--blobPort", "{port}", "--silent", "--disableTelemetry", "--location", "{state}"];
            Server::start(program, &args, "Azurite")
        };
        let azurite = Azurite { server, container: test_space() };
        azurite.create_container(&azurite.container);
        azurite
    }

    /// The endpoint to configure: path-style, with the account in the path.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.server.port)
    }

    /// Create Container (neither crate creates containers); one that exists
    /// already is fine.
    pub fn create_container(&self, name: &str) {
        let status = self.signed("PUT", name, &[("restype", "container")]).0;
        assert!(status == 201 || status == 409, "creating the container {name}: {status}");
    }

    /// What the test container holds under `prefix`, blobs with only uncommitted
    /// blocks included (a client sees those only this way).
    pub fn blobs_and_uncommitted(&self, prefix: &str) -> Vec<String> {
        let query = [("comp", "list"), ("include", "uncommittedblobs"), ("prefix", prefix), ("restype", "container")];
        let (status, answer) = self.signed("GET", &self.container, &query);
        assert_eq!(status, 200, "{answer}");
        xml_values(&answer, "Name")
    }

    /// The blobs in the test container.
    pub fn blobs(&self) -> Vec<String> {
        let (status, answer) = self.signed("GET", &self.container, &[("comp", "list"), ("restype", "container")]);
        assert_eq!(status, 200, "{answer}");
        xml_values(&answer, "Name")
    }

    /// The uncommitted blocks of a blob in the test container.
    pub fn uncommitted_blocks(&self, blob: &str) -> usize {
        let (status, answer) = self.signed("GET", &format!("{}/{blob}", self.container), &[("blocklisttype", "uncommitted"), ("comp", "blocklist")]);
        if status == 404 {
            return 0;
        }
        assert_eq!(status, 200, "{answer}");
        answer.matches("<Block>").count()
    }

    /// A request signed with the account key (Shared Key); `query` sorted by name.
    fn signed(&self, method: &str, path: &str, query: &[(&str, &str)]) -> (u16, String) {
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let version = "2021-08-06";
        let resource: String = query.iter().map(|(k, v)| format!("\n{k}:{v}")).collect();
        let to_sign = format!("{method}\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{path}{resource}");
        let key = base64::engine::general_purpose::STANDARD.decode(AZURITE_KEY).unwrap();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(to_sign.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", v.replace('/', "%2F"))).collect();
        let head = format!(
            "{method} /{AZURITE_ACCOUNT}/{path}?{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nx-ms-date: {date}\r\nx-ms-version: {version}\r\n\
             Authorization: SharedKey {AZURITE_ACCOUNT}:{signature}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            query.join("&"),
            self.server.port
        );
        exchange(self.server.port, &head)
    }
}

pub struct Moto {
    pub server: Server,
    pub bucket: String,
}

impl Moto {
    pub fn start() -> Moto {
        #[cfg(windows)]
        let server = Server::started_outside("LIFEBOAT_TEST_MOTO_PORT");
        #[cfg(unix)]
        let server = Server::start(tool("LIFEBOAT_MOTO", "moto/bin/moto_server"), &["-H", "127.0.0.1", "-p", "{port}"], "moto");
        let moto = Moto { server, bucket: test_space() };
        moto.create_bucket(&moto.bucket);
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    pub fn create_bucket(&self, name: &str) {
        assert_eq!(self.unsigned("PUT", &format!("/{name}")).0, 200, "creating the bucket {name}");
    }

    /// Keys of the multipart uploads in progress in the test bucket.
    pub fn multipart_uploads(&self) -> Vec<String> {
        let (status, answer) = self.unsigned("GET", &format!("/{}?uploads", self.bucket));
        assert_eq!(status, 200, "{answer}");
        xml_values(&answer, "Key")
    }

    /// Parts the service holds of the multipart upload in progress for `key`.
    pub fn parts(&self, key: &str) -> usize {
        let (_, uploads) = self.unsigned("GET", &format!("/{}?uploads", self.bucket));
        let ids: Vec<(String, String)> = xml_values(&uploads, "Upload").iter().map(|u| (xml_values(u, "Key").concat(), xml_values(u, "UploadId").concat())).collect();
        let Some((_, id)) = ids.iter().find(|(k, _)| k == key) else { return 0 };
        let (status, answer) = self.unsigned("GET", &format!("/{}/{key}?uploadId={id}", self.bucket));
        assert_eq!(status, 200, "{answer}");
        xml_values(&answer, "PartNumber").len()
    }

    /// Keys of the objects in the test bucket under `prefix`.
    pub fn objects(&self, prefix: &str) -> Vec<String> {
        let (status, answer) = self.unsigned("GET", &format!("/{}?list-type=2&prefix={}", self.bucket, prefix.replace('/', "%2F")));
        assert_eq!(status, 200, "{answer}");
        xml_values(&answer, "Key")
    }

    /// Starts a multipart upload for `key` in the test bucket, as a client killed
    /// right after would leave it.
    pub fn start_upload(&self, key: &str) {
        let (status, answer) = self.unsigned("POST", &format!("/{}/{key}?uploads", self.bucket));
        assert_eq!(status, 200, "{answer}");
    }

    /// Writes an empty object under `key` in the test bucket.
    pub fn put_empty(&self, key: &str) {
        assert_eq!(self.unsigned("PUT", &format!("/{}/{key}", self.bucket)).0, 200, "writing {key}");
    }

    /// moto does not check signatures, so its tests need none.
    fn unsigned(&self, method: &str, path: &str) -> (u16, String) {
        exchange(self.server.port, &format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.server.port))
    }
}
