//! The test suite's Samba server (`tests/common/samba.rs`) for tests outside Rust:
//! the desktop end-to-end test starts it, reads one JSON line saying where it
//! serves and as whom, and closes its stdin to stop it. Needs root, as the SMB
//! tests do.

use std::io::{Read, Write};

#[path = "../tests/common/samba.rs"]
#[allow(dead_code)]
mod samba;

fn main() {
    let server = samba::Samba::start();
    let ready = serde_json::json!({
        "unc": server.unc(""),
        "user": samba::USER,
        "password": samba::PASSWORD,
        "share_dir": server.share_dir,
    });
    let mut out = std::io::stdout();
    writeln!(out, "{ready}").and_then(|_| out.flush()).expect("writing to stdout");
    // Serve until whoever started us closes our stdin (or exits).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(server);
}
