#!/usr/bin/env bash
# Runs Lifeboat, the desktop app. It works at once: backups go to a local folder in
# the data directory (~/.local/share/lifeboat, or LIFEBOAT_DATA_DIR) until you choose
# another place; set the encryption in the app or with the CLI before the first backup.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

lifeboat_build_ui
cargo build --locked --release -p lifeboat-desktop -p lifeboat-cli
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: Lifeboat's window needs a desktop session. The CLI is at target/release/lifeboat" >&2
  echo "(see scripts/cli-demo.sh), and \`lifeboat service\` runs the scheduler headless." >&2
  exit 1
fi
exec ./target/release/lifeboat-desktop
