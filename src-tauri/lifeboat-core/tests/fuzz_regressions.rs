//! Inputs the fuzzers (`fuzz/`, docs/reliability.md) once crashed Lifeboat with,
//! each read again the way its fuzz target reads it: every one must now be refused
//! with an error, not a panic. A new finding goes into `tests/fuzz-regressions/`
//! named for what it broke, with the extension of its kind (`.lbk` a backup file).

use std::io::Cursor;

use lifeboat_core::format::{read_header, OpenedBackup};
use lifeboat_core::protector::{parse_legacy_key, unwrap_file_key, KeyIdentity};

/// The key the fuzzers' backups are made for (fuzz/src/lib.rs).
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Reads a backup file as a restore does, through to its last entry.
fn read_backup(data: &[u8]) -> lifeboat_core::Result<()> {
    let header = read_header(&mut Cursor::new(data))?;
    let key = unwrap_file_key(&header.header, Some(&KeyIdentity(parse_legacy_key(KEY)?)))?;
    let opened = OpenedBackup::open(&mut Cursor::new(data), header, &key)?;
    let mut entries = opened.entries(Cursor::new(data))?;
    while entries.next_entry()?.is_some() {
        entries.read_content(|_| Ok(()))?;
    }
    entries.check_data_end()
}

#[test]
fn every_input_that_once_crashed_a_fuzzer_is_refused_with_an_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut tried = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = match path.extension().and_then(|e| e.to_str()) {
            Some("lbk") => read_backup(&data),
            other => panic!("{}: no reader for inputs of kind {other:?}", path.display()),
        };
        let error = outcome.expect_err("a damaged input is refused");
        assert!(!error.to_string().is_empty());
        println!("{}: {error}", path.file_name().unwrap().to_string_lossy());
        tried += 1;
    }
    assert!(tried > 0);
}
