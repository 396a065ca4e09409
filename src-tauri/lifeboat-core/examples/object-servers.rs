//! The test suite's object-storage servers (`tests/common/object_servers.rs`) for
//! tests that cannot start them: the Windows tests under Wine. Prints one JSON line
//! with their ports, then serves until its stdin is closed.

use std::io::{Read, Write};

#[path = "../tests/common/object_servers.rs"]
#[allow(dead_code)]
mod object_servers;

fn main() {
    let azurite = object_servers::Azurite::start();
    let moto = object_servers::Moto::start();
    let ready = serde_json::json!({ "azurite_port": azurite.server.port, "moto_port": moto.server.port });
    let mut out = std::io::stdout();
    writeln!(out, "{ready}").and_then(|_| out.flush()).expect("writing to stdout");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
