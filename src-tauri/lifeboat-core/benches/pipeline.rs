//! The block pipeline alone, on one core: compress + encrypt (backup) and decrypt +
//! decompress (restore) of 1 MiB blocks, compressible and incompressible. Compare with
//! `openssl speed -evp aes-256-gcm` and `zstd -b3` (bench/run.sh prints both).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lifeboat_core::format::{BlockCodec, FileKey};
use rand::{RngExt, SeedableRng};

const BLOCK: usize = 1 << 20;

fn blocks() -> [(&'static str, Vec<u8>); 2] {
    let text: Vec<u8> = (0..)
        .map(|i| format!("2026-11-22T00:{:02}:{:02} host{} service[{}]: request {} took {} ms\n", i % 60, i % 59, i % 7, i % 13, i, i % 977))
        .flat_map(String::into_bytes)
        .take(BLOCK)
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let random: Vec<u8> = (0..BLOCK).map(|_| rng.random::<u8>()).collect();
    [("text", text), ("random", random)]
}

fn pipeline(c: &mut Criterion) {
    let cipher = FileKey::from_bytes(&[7; 32]).unwrap().payload_cipher(&[9; 32]);
    let mut group = c.benchmark_group("block");
    group.throughput(Throughput::Bytes(BLOCK as u64));
    for (name, block) in blocks() {
        let mut codec = BlockCodec::new().unwrap();
        let mut sealed = Vec::new();
        group.bench_function(format!("seal/{name}"), |b| {
            b.iter(|| {
                sealed.clear();
                codec.encode(&block, &mut sealed).unwrap();
                cipher.seal_from(1, false, &mut sealed, 0);
            })
        });
        let mut out = Vec::new();
        let mut ct = Vec::new();
        group.bench_function(format!("open/{name}"), |b| {
            b.iter(|| {
                ct.clone_from(&sealed);
                cipher.open(1, false, &mut ct).unwrap();
                codec.decode(&ct, BLOCK, &mut out).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
