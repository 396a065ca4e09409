//! A signed update feed for tests: a key pair made by the test, packages signed the
//! way Tauri's signer signs them (a trusted comment naming the version), and
//! python3's http.server serving feed and packages on loopback.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    child: Child,
    pub port: u16,
}

impl FeedServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 serves the feed");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the feed server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        FeedServer { dir, child, port }
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
