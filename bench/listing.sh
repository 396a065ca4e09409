#!/usr/bin/env bash
# Status, listing and a small backup with 300 backups, on a local folder and on an
# SMB share, next to restic's `snapshots` over 300 snapshots. Needs root (it starts
# the test suite's Samba). Results are printed; docs/performance.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
lifeboat_apt_install restic samba smbclient
cargo build --release --locked -p lifeboat-cli
cargo build --release --locked -p lifeboat-core --example samba-server
exec python3 bench/listing.py --lifeboat target/release/lifeboat --samba-server target/release/examples/samba-server "$@"
