//! A signed update feed for tests: a key pair made by the test, packages signed the
//! way Tauri's signer signs them (a trusted comment naming the version), and a small
//! HTTP server in the test serving feed and packages on loopback.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine as _;

pub struct Signer {
    pk: minisign::PublicKey,
    sk: minisign::SecretKey,
}

impl Signer {
    pub fn new() -> Self {
        let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        Signer { pk: pair.pk, sk: pair.sk }
    }

    /// The public key as a build or the configuration carries it (base64 of the key file).
    pub fn public_key(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.pk.to_box().unwrap().into_string())
    }

    /// A signature as the feed carries it (base64 of the .sig file).
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let signature = minisign::sign(Some(&self.pk), &self.sk, data, Some(trusted_comment), None).unwrap();
        base64::engine::general_purpose::STANDARD.encode(signature.into_string())
    }

    /// Signed for `version`, as `cargo tauri build` signs a release's package.
    pub fn sign_as(&self, data: &[u8], version: &str) -> String {
        self.sign(data, &format!("timestamp:1765000000\tfile:lifeboat_{version}_amd64.deb\tversion:{version}"))
    }
}

pub struct FeedServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    stop: Arc<AtomicBool>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl FeedServer {
    /// Serves the files of a new folder over HTTP on loopback, from a thread of the
    /// test (no Linux program needed, so the same tests run under Wine).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, stopping) = (dir.path().to_owned(), stop.clone());
        let accepting = std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let root = root.clone();
                std::thread::spawn(move || serve_file(stream, &root));
            }
        });
        FeedServer { dir, port, stop, accepting: Some(accepting) }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    pub fn put(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join(name), bytes).unwrap();
    }

    /// `latest.json` offering `version` with one package for `platform`.
    pub fn publish(&self, version: &str, platform: &str, package: &str, signature: &str) {
        let feed = serde_json::json!({
            "version": version,
            "notes": format!("Lifeboat {version}: what changed."),
            "pub_date": "2026-12-01T10:00:00Z",
            "platforms": { platform: { "signature": signature, "url": self.url(package) } }
        });
        self.put("latest.json", feed.to_string().as_bytes());
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        Path::new(self.dir.path()).join(name)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

/// Answers one GET with the file it names in `root`, or 404.
fn serve_file(stream: TcpStream, root: &Path) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let name = request_line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').split('?').next().unwrap_or_default();
    let file = (!name.is_empty() && !name.contains("..") && !name.contains('/')).then(|| std::fs::read(root.join(name)).ok()).flatten();
    let mut writer = &stream;
    let _ = match file {
        Some(body) => write!(writer, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).and_then(|_| writer.write_all(&body)),
        None => write!(writer, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}
