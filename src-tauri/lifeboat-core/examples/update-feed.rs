//! An update feed for the desktop app's end-to-end test: a package, signed as
//! Tauri's signer signs a release by a key pair made here, and `latest.json`
//! offering it, written into a folder that the test serves over HTTP.
//!
//!   update-feed DIR BASE_URL VERSION
//!
//! Prints the public key, for the app under test (a debug build reads
//! LIFEBOAT_UPDATE_PUBKEY at run time).

#[path = "../tests/common/update_feed.rs"]
mod update_feed;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, base_url, version] = args.as_slice() else {
        eprintln!("usage: update-feed DIR BASE_URL VERSION");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(dir);
    let package = format!("Lifeboat {version}, as the package manager would be handed it.\n").into_bytes();
    let signer = update_feed::Signer::new();
    std::fs::write(dir.join("lifeboat.deb"), &package).expect("writing the package");
    let feed = serde_json::json!({
        "version": version,
        "notes": "Restore drills with health you can see.\nThe share at wire speed.",
        "pub_date": "2026-12-01T10:00:00Z",
        "platforms": { "linux-x86_64-deb": { "signature": signer.sign_as(&package, version), "url": format!("{base_url}/lifeboat.deb") } }
    });
    std::fs::write(dir.join("latest.json"), feed.to_string()).expect("writing the feed");
    println!("{}", signer.public_key());
}
