//! Sources that trip backup tools up, each handled with a warning naming it and the
//! rest backed up and restored: a FIFO (opening one for reading would wait for a
//! writer for ever) and a socket, a name that is not UTF-8, a path longer than
//! 4,096 bytes, and a folder of 200,000 files.

// FIFOs, sockets, names that are not UTF-8 and paths beyond PATH_MAX are Unix's.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use common::{Configure, TestClock};
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::PassphraseIdentity;
use zeroize::Zeroizing;

const PASSPHRASE: &str = "odd sources passphrase";

#[test]
fn odd_sources_are_skipped_with_a_warning_and_the_rest_restores() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("many")).unwrap();
    fs::write(src.join("kept.txt"), "kept").unwrap();
    assert!(Command::new("mkfifo").arg(src.join("a-fifo")).status().unwrap().success());
    let _socket = std::os::unix::net::UnixListener::bind(src.join("a-socket")).unwrap();
    fs::write(src.join(std::ffi::OsStr::from_bytes(b"bad\xffname")), "x").unwrap();
    // Deeper than PATH_MAX (4,096 bytes): made by `mkdir -p`, which walks down
    // relative to each level, as no single path call can.
    let deep: String = (0..25).map(|_| format!("/{}", "d".repeat(200))).collect();
    assert!(Command::new("mkdir").arg("-p").arg(format!("deep{deep}")).current_dir(&src).status().unwrap().success());
    for i in 0..200_000 {
        fs::write(src.join("many").join(i.to_string()), b"").unwrap();
    }

    let engine = common::engine(&tmp.path().join("data"), &TestClock::new());
    engine.set_passphrase(PASSPHRASE).unwrap();
    engine.add_item(&src, Some("src"), None, vec![]).unwrap();
    let summary = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let warned = |what: &str| summary.warnings.iter().any(|w| w.contains(what));
    assert!(warned("a-fifo: skipped: not a regular file"), "{:?}", summary.warnings);
    assert!(warned("a-socket: skipped: not a regular file"), "{:?}", summary.warnings);
    assert!(warned("the name is not valid UTF-8"), "{:?}", summary.warnings);
    assert!(warned("File name too long"), "{:?}", summary.warnings);
    assert!(summary.entries >= 200_002, "{} entries", summary.entries);

    let out = tmp.path().join("out");
    let identity = PassphraseIdentity::new(Zeroizing::new(PASSPHRASE.into()));
    let request = RestoreRequest { to: Some(out.clone()), ..Default::default() };
    engine.restore(&summary.id, Some(&identity), request, &NoProgress, &Cancel::default()).unwrap();
    assert_eq!(fs::read_to_string(out.join("src/kept.txt")).unwrap(), "kept");
    assert_eq!(fs::read_dir(out.join("src/many")).unwrap().count(), 200_000);
}
