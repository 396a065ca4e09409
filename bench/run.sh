#!/usr/bin/env bash
# Lifeboat against restic and `tar | zstd | age`: one command.
#   bench/run.sh            5 interleaved rounds at scale 1 (~1.1 GiB), then the scaling run
#   bench/run.sh --quick    3 rounds at scale 1 and the micro-benchmarks, no scaling run
#   bench/run.sh --smoke    1 round at scale 0.01 (CI proves the script works)
#   bench/run.sh --quick --seed 7 --scale 0.4    another data shape
# Results: printed, and written to bench/results/latest.md. Work files go to
# $LIFEBOAT_BENCH_DIR (default: target/bench), which needs ~15 GiB for the scaling run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
lifeboat_apt_install restic age zstd tar

cargo build --release --locked -p lifeboat-cli
exec python3 bench/bench.py --lifeboat target/release/lifeboat \
  --dataset-script ../shared/bench/gen-dataset.py "$@"
