#!/usr/bin/env bash
# Fuzzes one target with AFL++ for SECONDS (default 600) from its committed seeds.
# Usage: fuzz/run.sh TARGET [SECONDS]     targets: ls fuzz/src/bin
# Needs cargo-afl (`cargo install cargo-afl --locked`); findings land in
# fuzz/out/TARGET/default/{crashes,hangs}; each becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")"
target="$1"; seconds="${2:-600}"
export PATH="$HOME/.cargo/bin:$PATH" LIFEBOAT_CREDENTIAL_STORE=off
cargo afl build --release --quiet
mkdir -p out
# A hang is an input taking over 1 s; memory is capped so an unbounded allocation
# shows as a crash.
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  cargo afl fuzz -i "seeds/$target" -o "out/$target" -t 1000 -m 1024 -V "$seconds" "target/release/$target"
stats="out/$target/default/fuzzer_stats"
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg|stability)' "$stats"
