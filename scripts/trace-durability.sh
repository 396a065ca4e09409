#!/usr/bin/env bash
# Shows, in order, the system calls that make Lifeboat's writes durable (fsync,
# syncfs, renames, unlinks) during a backup to a local folder and a restore over
# the original place: the evidence behind docs/format.md "Durability".
# Usage: scripts/trace-durability.sh [path to the lifeboat binary] > trace.txt
set -euo pipefail
lifeboat="${1:-target/debug/lifeboat}"
command -v strace >/dev/null || { echo "strace is needed (apt-get install strace)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LIFEBOAT_CREDENTIAL_STORE=off
lb() { "$lifeboat" --data-dir "$work/data" "$@"; }
mkdir -p "$work/site/sub"
head -c 3000000 /dev/urandom > "$work/site/big.bin"
echo "a small file" > "$work/site/sub/small.txt"
echo "durability trace passphrase" | lb encryption set-passphrase --passphrase-stdin >/dev/null
lb items add "$work/site" --name site >/dev/null
# Only the durability calls, each with the paths it names; the run's own
# temporary folder is shown as WORK.
calls='trace=fsync,fdatasync,syncfs,rename,renameat,renameat2,unlink,unlinkat'
trace() {
  strace -f -qq -y -e "$calls" -o "$work/trace" "$lifeboat" --data-dir "$work/data" "$@" >/dev/null 2>&1 <<<"durability trace passphrase"
  sed -e "s|$work|WORK|g" -e 's/^[0-9]* *//' "$work/trace" | grep -v -e '= -1 ENOENT' -e '^+++' -e '^---'
}
echo "## lifeboat backup now (local folder)"
trace backup now
echo
echo "a changed file" > "$work/site/sub/small.txt"
id="$(lb --json backups list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
echo "## lifeboat restore (over the original place)"
trace restore "$id" --passphrase-stdin
