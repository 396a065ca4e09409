#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cargo build --workspace --locked --all-targets
cargo test --workspace --locked

# The benchmark's smoke run: proves bench/run.sh works (1 round, ~20 MiB).
bash bench/run.sh --smoke
