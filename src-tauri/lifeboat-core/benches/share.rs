//! Backup throughput to an SMB share next to the same backup to a local folder: a
//! real Samba on loopback (started here, so run as root, as .ci/run does), 512 MiB of
//! incompressible data, three rounds each, median printed. `cargo bench --bench share`.

#[path = "common/data.rs"]
mod data;
#[allow(dead_code)]
#[path = "../tests/common/samba.rs"]
mod samba;

use std::time::Instant;

use lifeboat_core::commands::delete::Delete;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::settings::{EncryptionChange, ItemChoice, ItemDraft, LocationDraft};
use samba::{Samba, PASSWORD, USER};

const DATA_MIB: u64 = 512;
const ROUNDS: usize = 3;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Seconds per backup, one per round; each round's backup is deleted after it.
fn time_backups(engine: &Engine) -> Vec<f64> {
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let summary = engine.backup_now(&NoProgress, &Cancel::default()).expect("backup");
            let seconds = started.elapsed().as_secs_f64();
            engine.run(Delete { backup: summary.id }, &NoProgress, &Cancel::default()).expect("delete");
            seconds
        })
        .collect()
}

fn main() {
    if !data::under_cargo_bench("share") {
        return;
    }
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data-to-protect");
    std::fs::create_dir(&data).unwrap();
    data::incompressible_file(&data.join("big.bin"), DATA_MIB);

    let engine = Engine::open(&tmp.path().join("lifeboat")).unwrap();
    let local = LocationDraft::local(tmp.path().join("local-backups").display().to_string());
    engine
        .change_settings(
            |d| {
                d.items.push(ItemDraft { name: Some("data".into()), path: data.display().to_string(), kind: ItemChoice::Auto, excludes: vec![] });
                d.encryption = EncryptionChange::Passphrase { passphrase: "benchmark passphrase".into(), confirm: "benchmark passphrase".into() };
                d.location = local;
            },
            false,
        )
        .unwrap();
    let local = median(time_backups(&engine));
    let share = LocationDraft::smb(samba.unc(""), USER, PASSWORD);
    engine.change_settings(|d| d.location = share, false).unwrap();
    let share = median(time_backups(&engine));

    let rate = |s: f64| DATA_MIB as f64 / s;
    println!("Backup of {DATA_MIB} MiB (incompressible), median of {ROUNDS}:");
    println!("  local folder          {local:6.2} s  {:7.1} MiB/s", rate(local));
    println!("  SMB share (loopback)  {share:6.2} s  {:7.1} MiB/s  ({:.2}x the local time)", rate(share), share / local);
}
