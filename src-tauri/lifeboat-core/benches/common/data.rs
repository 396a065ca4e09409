//! The benchmarks' data to protect: one file of incompressible bytes.

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
