//! Backup and restore throughput of 1 GiB of incompressible data through each kind of
//! location, in one run: a local folder, an SMB share (Samba on loopback), Azure Blob
//! Storage (Azurite) and S3 (moto), all started here (root needed for Samba; the
//! object servers from target/tools, as scripts/test.sh installs them). One round
//! each. Beside each object server, what the client crate alone gets from it: 1 GiB
//! put as a multipart upload (4 and 8 parts of 8 MiB in flight), read back in one GET,
//! and one 1 MiB ranged GET, with no Lifeboat work at all: what any client of that
//! server can expect here.
//! `cargo bench --bench object_storage`.

#[allow(dead_code)]
#[path = "common/data.rs"]
mod data;
#[allow(dead_code)]
#[path = "../tests/common/object_servers.rs"]
mod object_servers;
#[allow(dead_code)]
#[path = "../tests/common/samba.rs"]
mod samba;

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use lifeboat_core::settings::LocationDraft;
use object_servers::{Azurite, Moto, AZURITE_ACCOUNT, AZURITE_KEY, S3_KEY_ID, S3_SECRET};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, WriteMultipart};

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
    let mut timed = Vec::new();
    for (i, (name, draft)) in locations.into_iter().enumerate() {
        engine.change_settings(|d| d.location = draft, false).unwrap();
        let data::Timed { backup, verify, restore, .. } = data::backup_and_restore(&engine, &tmp.path().join(format!("restored-{i}")));
        std::fs::remove_dir_all(tmp.path().join(format!("restored-{i}"))).unwrap();
        let (b, r) = local.get_or_insert((backup, restore));
        let rate = |s: f64| DATA_MIB as f64 / s;
        println!(
            "  {name:<22} backup {backup:6.2} s {:7.1} MiB/s ({:.2}x local)   verify {verify:6.2} s   restore {restore:6.2} s {:7.1} MiB/s ({:.2}x local)",
            rate(backup),
            backup / *b,
            rate(restore),
            restore / *r
        );
        timed.push((name, backup, restore));
    }
    let (local_backup, local_restore) = local.unwrap();
    println!("The client crate alone against each object server ({DATA_MIB} MiB put, then one GET):");
    let servers: [(&str, Arc<dyn ObjectStore>); 2] = [("Azure Blob (Azurite)", azurite_store(&azurite)), ("S3 (moto)", s3_store(&moto))];
    println!("  (half the local folder's rate needs a backup in <= {:.2} s and a restore in <= {:.2} s)", 2.0 * local_backup, 2.0 * local_restore);
    for (name, store) in servers {
        let raw = raw_client(store);
        let (_, backup, restore) = timed.iter().find(|(n, ..)| *n == name).unwrap();
        let put = raw.put.iter().map(|(_, s)| *s).fold(f64::INFINITY, f64::min);
        let puts: Vec<String> = raw.put.iter().map(|(n, s)| format!("{s:.2} s with {n}")).collect();
        println!(
            "  {name:<22} put {} in flight   get {:.2} s   a 1 MiB range {:.3} s   Lifeboat backup / (best put + get) {:.2}   restore / (get + local restore) {:.2}",
            puts.join(", "),
            raw.get,
            raw.range,
            backup / (put + raw.get),
            restore / (raw.get + local_restore),
        );
    }
}

fn azurite_store(azurite: &Azurite) -> Arc<dyn ObjectStore> {
    Arc::new(
        MicrosoftAzureBuilder::new()
            .with_account(AZURITE_ACCOUNT)
            .with_container_name(&azurite.container)
            .with_access_key(AZURITE_KEY)
            .with_endpoint(azurite.endpoint())
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .build()
            .unwrap(),
    )
}

fn s3_store(moto: &Moto) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_region("us-east-1")
            .with_bucket_name(&moto.bucket)
            .with_access_key_id(S3_KEY_ID)
            .with_secret_access_key(S3_SECRET)
            .with_endpoint(moto.endpoint())
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .build()
            .unwrap(),
    )
}

struct Raw {
    /// Seconds to put the data with so many 8 MiB parts in flight.
    put: Vec<(usize, f64)>,
    /// Seconds to read it back in one GET.
    get: f64,
    /// Seconds for one 1 MiB ranged GET at the object's end.
    range: f64,
}

/// What the client crate alone gets from `store` for `DATA_MIB` MiB.
fn raw_client(store: Arc<dyn ObjectStore>) -> Raw {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let path = Path::from("raw-client/1gib.bin");
    let part = bytes::Bytes::from(data::random_block(8 << 20));
    runtime.block_on(async {
        let mut put = Vec::new();
        for in_flight in [4, 8] {
            let started = Instant::now();
            let mut upload = WriteMultipart::new_with_chunk_size(store.put_multipart(&path).await.unwrap(), 8 << 20);
            for _ in 0..DATA_MIB / 8 {
                upload.wait_for_capacity(in_flight).await.unwrap();
                upload.put(part.clone());
            }
            upload.finish().await.unwrap();
            put.push((in_flight, started.elapsed().as_secs_f64()));
        }
        let started = Instant::now();
        let mut body = store.get(&path).await.unwrap().into_stream();
        let mut read = 0u64;
        while let Some(chunk) = body.next().await {
            read += chunk.unwrap().len() as u64;
        }
        assert_eq!(read, DATA_MIB << 20);
        let get = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let end = DATA_MIB << 20;
        assert_eq!(store.get_range(&path, end - (1 << 20)..end).await.unwrap().len(), 1 << 20);
        let range = started.elapsed().as_secs_f64();
        store.delete(&path).await.unwrap();
        Raw { put, get, range }
    })
}
