#!/usr/bin/env bash
# Builds Lifeboat's packages with the Tauri bundler: a .deb and an .rpm holding the
# desktop app, the `lifeboat` command line with its manual pages and shell
# completions, the icons, a desktop entry and the `lifeboat.service` systemd user
# unit. They land in target/release/bundle/{deb,rpm}/.
#
# A release is signed for updates: give the private key and its public half,
#   TAURI_SIGNING_PRIVATE_KEY=… TAURI_SIGNING_PRIVATE_KEY_PASSWORD=… LIFEBOAT_UPDATE_PUBKEY=… scripts/package.sh
# (the key pair comes from `cargo tauri signer generate`; docs/updates.md). The
# public key and LIFEBOAT_UPDATE_FEED, if set, are built into both programs, and each
# package gets a .sig beside it for the feed. Without a key the packages are unsigned
# and the programs they hold cannot install updates.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ] && [ -z "${LIFEBOAT_UPDATE_PUBKEY:-}" ]; then
  echo "A signed release needs LIFEBOAT_UPDATE_PUBKEY too: the public key its programs check updates with." >&2
  exit 2
fi
command -v cargo-tauri >/dev/null || cargo install tauri-cli --locked --version '^2'
lifeboat_build_ui
cargo build --locked --release -p lifeboat-cli

# Manual pages and completions, from the command line's own definitions.
rm -rf target/package && mkdir -p target/package/man target/package/completions
target/release/lifeboat manual target/package/man
gzip -9n target/package/man/*.1
target/release/lifeboat completions bash > target/package/completions/lifeboat.bash
target/release/lifeboat completions zsh > target/package/completions/_lifeboat
target/release/lifeboat completions fish > target/package/completions/lifeboat.fish

signing=()
# The bundler signs each package (a .sig beside it) when given the key, and wants the
# public half in the configuration it signs for.
[ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ] &&
  signing=(--config "{\"bundle\":{\"createUpdaterArtifacts\":true},\"plugins\":{\"updater\":{\"pubkey\":\"$LIFEBOAT_UPDATE_PUBKEY\",\"endpoints\":[]}}}")
rm -rf target/release/bundle
(cd src-tauri && cargo tauri build --bundles deb,rpm "${signing[@]}")
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
