//! Lifeboat against Samba's own client on the same share, interleaved, in one run: a
//! real Samba on loopback (started here, so run as root, as .ci/run does), 512 MiB of
//! incompressible data, passphrase encryption. Each round backs up to, verifies and
//! restores from a local folder, then the share, then times `smbclient put` and `get` of the
//! backup's own bytes; medians of the rounds are printed with the ratios:
//! a backup to the share (read-back included) against put + get, and a restore from
//! it against get + the local restore. `cargo bench --bench share`.

#[path = "common/data.rs"]
mod data;
#[allow(dead_code)]
#[path = "../tests/common/samba.rs"]
mod samba;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use lifeboat_core::commands::delete::Delete;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::settings::LocationDraft;
use samba::{Samba, PASSWORD, SHARE, USER};

const DATA_MIB: u64 = 512;
const ROUNDS: usize = 3;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Seconds for `smbclient -c COMMAND` on the test share, run in `dir`.
fn smbclient(samba: &Samba, dir: &Path, command: &str) -> f64 {
    let started = Instant::now();
    let out = Command::new("smbclient")
        .arg(format!("//127.0.0.1/{SHARE}"))
        .args(["-p", &samba.port.to_string(), "-U", &format!("{USER}%{PASSWORD}"), "-c", command])
        .current_dir(dir)
        .output()
        .expect("smbclient runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "smbclient {command}: {}", String::from_utf8_lossy(&out.stderr));
    started.elapsed().as_secs_f64()
}

/// Backs up and restores through the location; the backup is deleted after.
fn round(engine: &Engine, location: LocationDraft, restore_to: &Path) -> data::Timed {
    engine.change_settings(|d| d.location = location, false).unwrap();
    let timed = data::backup_and_restore(engine, restore_to);
    std::fs::remove_dir_all(restore_to).unwrap();
    engine.run(Delete { backup: timed.backup_id.clone() }, &NoProgress, &Cancel::default()).expect("delete");
    timed
}

fn main() {
    if !data::under_cargo_bench("share") {
        return;
    }
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let engine = data::engine_protecting(tmp.path(), DATA_MIB);
    let local_folder = tmp.path().join("local-backups");
    let files = tmp.path().join("smbclient");
    std::fs::create_dir(&files).unwrap();

    let (mut local, mut share, mut put, mut get) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let at_local = round(&engine, LocationDraft::local(local_folder.display().to_string()), &tmp.path().join("restored"));
        let at_share = round(&engine, LocationDraft::smb(samba.unc(""), USER, PASSWORD), &tmp.path().join("restored"));
        // The same number of bytes as the backup: a backup made for it and kept.
        engine.change_settings(|d| d.location = LocationDraft::local(files.display().to_string()), false).unwrap();
        let made = engine.backup_now(&NoProgress, &Cancel::default()).expect("backup");
        put.push(smbclient(&samba, &files, &format!("put {} bench.lbk", made.file_name)));
        get.push(smbclient(&samba, &files, "get bench.lbk fetched.lbk; rm bench.lbk"));
        std::fs::remove_file(files.join("fetched.lbk")).unwrap();
        engine.run(Delete { backup: made.id }, &NoProgress, &Cancel::default()).expect("delete");
        local.push(at_local);
        share.push(at_share);
    }

    let m = |xs: &[data::Timed], f: fn(&data::Timed) -> f64| median(xs.iter().map(f).collect());
    let (lb, lv, lr) = (m(&local, |t| t.backup), m(&local, |t| t.verify), m(&local, |t| t.restore));
    let (sb, sv, sr) = (m(&share, |t| t.backup), m(&share, |t| t.verify), m(&share, |t| t.restore));
    let (put, get) = (median(put), median(get));
    let rate = |s: f64| DATA_MIB as f64 / s;
    println!("{DATA_MIB} MiB (incompressible, passphrase), median of {ROUNDS} interleaved rounds:");
    println!("  local folder      backup {lb:6.2} s {:7.1} MiB/s   verify {lv:6.2} s {:7.1} MiB/s   restore {lr:6.2} s {:7.1} MiB/s", rate(lb), rate(lv), rate(lr));
    println!("  SMB share         backup {sb:6.2} s {:7.1} MiB/s   verify {sv:6.2} s {:7.1} MiB/s   restore {sr:6.2} s {:7.1} MiB/s", rate(sb), rate(sv), rate(sr));
    println!("  smbclient         put    {put:6.2} s {:7.1} MiB/s   get     {get:6.2} s {:7.1} MiB/s", rate(put), rate(get));
    println!("  backup to the share / (put + get):           {:.2} (goal 1.2)", sb / (put + get));
    println!("  restore from the share / (get + local restore): {:.2} (goal 1.2)", sr / (get + lr));
    println!("  verify from the share / (get + local verify):   {:.2}", sv / (get + lv));
}
