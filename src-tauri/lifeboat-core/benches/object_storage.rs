//! Backup and restore throughput of 1 GiB of incompressible data through each kind of
//! location, in one run: a local folder, an SMB share (Samba on loopback), Azure Blob
//! Storage (Azurite) and S3 (moto), all started here (root needed for Samba; the
//! object servers from target/tools, as scripts/test.sh installs them). One round
//! each. `cargo bench --bench object_storage`.

#[allow(dead_code)]
#[path = "../tests/common/object_servers.rs"]
mod object_servers;
#[allow(dead_code)]
#[path = "common/data.rs"]
mod data;
#[allow(dead_code)]
#[path = "../tests/common/samba.rs"]
mod samba;

use lifeboat_core::settings::LocationDraft;
use object_servers::{Azurite, Moto, AZURITE_ACCOUNT, AZURITE_KEY, S3_KEY_ID, S3_SECRET};

const DATA_MIB: u64 = 1024;

fn main() {
    if !data::under_cargo_bench("object_storage") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let engine = data::engine_protecting(tmp.path(), DATA_MIB);
    let samba = samba::Samba::start();
    let azurite = Azurite::start();
    let moto = Moto::start();
    let locations = [
        ("local folder", LocationDraft::local(tmp.path().join("local-backups").display().to_string())),
        ("SMB share (Samba)", LocationDraft::smb(samba.unc(""), samba::USER, samba::PASSWORD)),
        ("Azure Blob (Azurite)", LocationDraft::azure(AZURITE_ACCOUNT, azurite.container.clone(), azurite.endpoint(), AZURITE_KEY)),
        ("S3 (moto)", LocationDraft::s3(moto.endpoint(), "", moto.bucket.clone(), S3_KEY_ID, S3_SECRET)),
    ];
    println!("Backup and restore of {DATA_MIB} MiB (incompressible, passphrase), one round each:");
    let mut local = None;
    for (i, (name, draft)) in locations.into_iter().enumerate() {
        engine.change_settings(|d| d.location = draft, false).unwrap();
        let data::Timed { backup, restore, .. } = data::backup_and_restore(&engine, &tmp.path().join(format!("restored-{i}")));
        std::fs::remove_dir_all(tmp.path().join(format!("restored-{i}"))).unwrap();
        let (b, r) = local.get_or_insert((backup, restore));
        let rate = |s: f64| DATA_MIB as f64 / s;
        println!(
            "  {name:<22} backup {backup:6.2} s {:7.1} MiB/s ({:.2}x local)   restore {restore:6.2} s {:7.1} MiB/s ({:.2}x local)",
            rate(backup),
            backup / *b,
            rate(restore),
            restore / *r
        );
    }
}
