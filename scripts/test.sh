#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs the frontend's checks and
# unit tests, rustfmt and clippy, every Rust test in the workspace, the desktop app
# end to end through WebDriver under Xvfb, the benchmark's smoke run, the Windows
# build with the portable tests under Wine and the Windows packages, and the
# advisories.
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

# Both platforms stay formatted and lint-clean: a Unix-only call or an unused
# Windows path fails here instead of at a user.
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt clippy
cargo fmt --all --check
cargo clippy --workspace --locked --all-targets -- -D warnings
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

# Windows: the workspace cross-built and linted, the portable tests (engine and CLI)
# run under Wine, then the release build, the portable zip and the installer, checked
# under Wine. Tests that are Unix-only by nature are gated with their reason.
windows_started=$SECONDS
lifeboat_wine
windows=0 win_tests=0
cargo clippy --workspace --locked --all-targets --target x86_64-pc-windows-gnu -- -D warnings || windows=1
# Tests under Wine cannot start Linux programs and wait for them: the servers they
# need (Samba, Azurite, moto) are started here on the Linux side, shared by every
# test (each in a folder, container or bucket of its own), and so is a server that
# runs the Linux tools some tests use (openssl, python3, tar). Each stops when its
# stdin closes. Tests that stop, freeze or restart a server are Unix-only: the
# README's Windows section lists them.
windows_tests() {
  cargo test --locked --target x86_64-pc-windows-gnu --no-fail-fast "$@" 2>&1 |
    sed -u 's/^test result:/windows test result:/' | tee -a "$log" || win_tests=1
}
# Starts examples/NAME, which prints one line when it is ready; sets $ready to it.
server_fds=() server_pids=()
start_server() {
  local out fd
  out=$(mktemp)
  exec {fd}> >(exec "target/debug/examples/$1" >"$out")
  server_pids+=($!) server_fds+=("$fd")
  for _ in $(seq 600); do [ -s "$out" ] && break; sleep 0.1; done
  ready=$(head -n 1 "$out")
  rm -f "$out"
  [ -n "$ready" ]
}
export LIFEBOAT_TEST_AZURITE_PORT LIFEBOAT_TEST_MOTO_PORT LIFEBOAT_TEST_HOST_PROGRAMS
start_server object-servers &&
  read -r LIFEBOAT_TEST_AZURITE_PORT LIFEBOAT_TEST_MOTO_PORT < <(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["azurite_port"], r["moto_port"])' "$ready") || windows=1
start_server host-programs && LIFEBOAT_TEST_HOST_PROGRAMS=$ready || windows=1
windows_tests -p lifeboat-core --lib --test audit --test bad_inputs --test cloud_recovery --test elevation --test fuzz_regressions --test object_storage --test path_safety --test recovery \
  --test roundtrip --test scheduler --test settings --test stanzas --test tamper --test update --test vault --test vectors
if start_server samba-server; then
  export LIFEBOAT_TEST_SAMBA="$ready"
  # Wine has no SMB client but maps \\server\share to a folder of its prefix: the
  # same share's folder, for the tests of Windows' own client (tests/smb.rs says more).
  share_dir=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["share_dir"])' "$ready")
  mkdir -p "$WINEPREFIX/dosdevices/unc/lifeboat-windows-share"
  ln -sfn "$share_dir" "$WINEPREFIX/dosdevices/unc/lifeboat-windows-share/backups"
  export LIFEBOAT_TEST_WINDOWS_SHARE='\\lifeboat-windows-share\backups'
  windows_tests -p lifeboat-cli --test admin --test audit --test bad_inputs --test cli --test compat --test crash --test data_folder --test names_round_trip \
    --test object_storage --test operations --test smb --test update --test vault
else
  windows=1
fi
for fd in "${server_fds[@]}"; do exec {fd}>&-; done
wait "${server_pids[@]}" || true
# The packages are checked from a release build without LTO, at opt-level 1 with 16
# codegen units (5.9 min cold here, against 11 min as shipped): what is checked is
# that they are made, install and work; scripts/package-windows.sh run alone builds
# them as shipped (opt-level 3, thin LTO).
{ CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 bash scripts/package-windows.sh &&
  bash scripts/package-windows-test.sh; } || windows=1
windows_minutes=$(((SECONDS - windows_started + 30) / 60))

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

count() { grep -E "^$1" "$log" | grep -oE "[0-9]+ $2" | awk '{s+=$1} END {print s+0}'; }
passed=$(count 'test result:' passed)
failed=$(count 'test result:' failed)
win_passed=$(count 'windows test result:' passed)
win_failed=$(count 'windows test result:' failed)
# Tests that did not build or run count as a failed Windows build.
[ "$win_tests" -eq 0 ] || [ "$win_failed" -gt 0 ] || windows=1
ui_passed=$(grep -E '^ +Tests +[0-9]+ passed' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
verdict() { [ "$1" -eq 0 ] && echo passed || echo FAILED; }
echo "tests: $((passed + ui_passed + win_passed + 3 - gui - audit - windows)) passed, $((failed + win_failed + gui + audit + windows)) failed" \
  "(Windows under Wine: $win_passed passed, $win_failed failed, build and packages $(verdict $windows), $windows_minutes min;" \
  "GUI end to end: $(verdict $gui); advisories: $(verdict $audit))"
[ "$failed" -eq 0 ] && [ "$win_failed" -eq 0 ] && [ "$win_tests" -eq 0 ] && [ "$windows" -eq 0 ] && [ "$gui" -eq 0 ] && [ "$audit" -eq 0 ]
