//! What the benchmarks share: the data to protect (incompressible bytes), and whether
//! this is a real benchmark run.

use std::io::Write;
use std::path::Path;

use rand::{RngExt, SeedableRng};

/// `mib` MiB as a 4 MiB random block repeated: farther apart than zstd's window, so
/// it stays incompressible.
pub fn incompressible_file(path: &Path, mib: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let block: Vec<u8> = (0..4 << 20).map(|_| rng.random::<u8>()).collect();
    let mut file = std::fs::File::create(path).unwrap();
    for _ in 0..mib / 4 {
        file.write_all(&block).unwrap();
    }
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
