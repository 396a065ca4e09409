//! What the benchmarks share: the data to protect (incompressible bytes), an engine
//! protecting it with a passphrase, a timed backup, verify and restore, and whether this is
//! a real benchmark run.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use lifeboat_core::commands::restore::{Restore, RestoreRequest};
use lifeboat_core::commands::verify::Verify;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::PassphraseIdentity;
use lifeboat_core::settings::{EncryptionChange, ItemChoice, ItemDraft};

use rand::{RngExt, SeedableRng};

/// `mib` MiB as a 4 MiB random block repeated: farther apart than zstd's window, so
/// it stays incompressible.
pub fn incompressible_file(path: &Path, mib: u64) {
    let block = random_block(4 << 20);
    let mut file = std::fs::File::create(path).unwrap();
    for _ in 0..mib / 4 {
        file.write_all(&block).unwrap();
    }
}

/// `len` random bytes, the same on every run.
pub fn random_block(len: usize) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    (0..len).map(|_| rng.random::<u8>()).collect()
}

/// `cargo test --all-targets` runs the benches too; only `cargo bench` (which passes
/// --bench) should move their gigabytes. False, with a hint printed, otherwise.
pub fn under_cargo_bench(name: &str) -> bool {
    let yes = std::env::args().any(|a| a == "--bench");
    if !yes {
        println!("{name}: run with `cargo bench --bench {name}`");
    }
    yes
}

pub const PASSPHRASE: &str = "benchmark passphrase";

/// An engine in `root/lifeboat` protecting `root/data-to-protect` (one file of `mib`
/// MiB) with a passphrase; its location is left to the caller.
pub fn engine_protecting(root: &Path, mib: u64) -> Engine {
    let data = root.join("data-to-protect");
    std::fs::create_dir(&data).unwrap();
    incompressible_file(&data.join("big.bin"), mib);
    let engine = Engine::open(&root.join("lifeboat")).unwrap();
    engine
        .change_settings(
            |d| {
                d.items.push(ItemDraft { name: Some("data".into()), path: data.display().to_string(), kind: ItemChoice::Auto, excludes: vec![] });
                d.encryption = EncryptionChange::Passphrase { passphrase: PASSPHRASE.into(), confirm: PASSPHRASE.into() };
            },
            false,
        )
        .unwrap();
    engine
}

pub struct Timed {
    pub backup: f64,
    pub verify: f64,
    pub restore: f64,
    pub backup_id: String,
}

/// Seconds for a backup, for verifying it with its key and for restoring it into
/// `restore_to` (a fresh folder); the verify and the restore each include opening it.
pub fn backup_and_restore(engine: &Engine, restore_to: &Path) -> Timed {
    let cancel = Cancel::default();
    let started = Instant::now();
    let summary = engine.backup_now(&NoProgress, &cancel).expect("backup");
    let backup = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let file = std::sync::Arc::new(engine.inspect(&summary.id).expect("inspect"));
    let identity = PassphraseIdentity::new(zeroize::Zeroizing::new(PASSPHRASE.into()));
    let unlocked = std::sync::Arc::new(engine.unlock(&file, Some(&identity)).expect("unlock"));
    let opened = started.elapsed().as_secs_f64();
    let started = Instant::now();
    engine.run(Verify::Authenticated(unlocked.clone()), &NoProgress, &cancel).expect("verify");
    let verify = opened + started.elapsed().as_secs_f64();
    let started = Instant::now();
    let request = RestoreRequest { items: vec![], paths: vec![], to: Some(restore_to.to_owned()) };
    engine.run(Restore { backup: unlocked, request }, &NoProgress, &cancel).expect("restore");
    Timed { backup, verify, restore: opened + started.elapsed().as_secs_f64(), backup_id: summary.id }
}
