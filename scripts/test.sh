#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs the frontend's checks and
# unit tests, every Rust test in the workspace, the desktop app end to end through
# WebDriver under Xvfb, and the benchmark's smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
lifeboat_apt_install xvfb xauth xdotool webkit2gtk-driver dbus-x11 samba smbclient gnome-keyring python3-venv
lifeboat_object_servers

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

lifeboat_build_ui
(cd ui && npm run --silent check && NO_COLOR=1 npx vitest run) 2>&1 | tee -a "$log"

cargo build --workspace --locked --all-targets
# The fuzzer's hook into the engine (fuzz/ builds apart, with AFL) must keep compiling.
cargo check -p lifeboat-core --locked --features fuzzing --lib
cargo test --workspace --locked --all-targets 2>&1 | tee -a "$log"

# The app end to end: tauri-driver drives the real window (WebKitWebDriver inside).
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version '^2'
export PATH="$HOME/.cargo/bin:$PATH"
gui=0
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  node tests/gui/run.mjs target/debug/lifeboat-desktop target/debug/lifeboat docs/screenshots target/debug/examples/samba-server || gui=1

# The benchmark's smoke run: proves bench/run.sh works (1 round, ~20 MiB).
bash bench/run.sh --smoke

# RustSec advisories for every crate in Cargo.lock: offline against the snapshot
# beside the repository when there is one, else fetched. Accepted advisories are in
# .cargo/audit.toml, each explained in docs/security.md.
command -v cargo-audit >/dev/null || cargo install cargo-audit --locked --version 0.22.2
audit=0
if [ -d ../shared/advisory-db ]; then
  cargo audit --db ../shared/advisory-db --no-fetch || audit=1
else
  cargo audit || audit=1
fi

passed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
ui_passed=$(grep -E '^ +Tests +[0-9]+ passed' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
echo "tests: $((passed + ui_passed + 2 - gui - audit)) passed, $((failed + gui + audit)) failed (GUI end to end: $([ $gui -eq 0 ] && echo passed || echo FAILED); advisories: $([ $audit -eq 0 ] && echo passed || echo FAILED))"
[ "$failed" -eq 0 ] && [ "$gui" -eq 0 ] && [ "$audit" -eq 0 ]
