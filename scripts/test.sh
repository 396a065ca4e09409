#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs every test in the workspace
# and the benchmark's smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo build --workspace --locked --all-targets
cargo test --workspace --locked --all-targets 2>&1 | tee "$log"

# The benchmark's smoke run: proves bench/run.sh works (1 round, ~20 MiB).
bash bench/run.sh --smoke

passed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "tests: $passed passed, $failed failed"
