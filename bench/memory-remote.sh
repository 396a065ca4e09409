#!/usr/bin/env bash
# Peak memory (max RSS) of a 1 GiB backup and restore through the share and through
# moto, with the release CLI. Needs root (Samba), target/release/lifeboat (bench/run.sh
# builds it), target/debug/examples/samba-server and moto under target/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
LB=$PWD/target/release/lifeboat
W=$(mktemp -d)
python3 - <<PY
import os, random
r = random.Random(3); block = bytes(r.getrandbits(8) for _ in range(4<<20))
os.makedirs("$W/src")
with open("$W/src/big.bin","wb") as f:
    for _ in range(256): f.write(block)
PY
peak() { /usr/bin/time -f "%M" -o "$W/t" "$@" >/dev/null; echo "$(( $(cat $W/t) / 1024 )) MiB"; }
export LIFEBOAT_DATA_DIR="$W/data" LIFEBOAT_CREDENTIAL_STORE=off
run() { $LB "$@"; }
run items add "$W/src" >/dev/null
echo "pw for memcheck" | run encryption set-passphrase --passphrase-stdin >/dev/null
# Samba
mkfifo "$W/hold"; (sleep 100000 > "$W/hold" &) ; target/debug/examples/samba-server < "$W/hold" > "$W/samba.json" &
for i in $(seq 100); do [ -s "$W/samba.json" ] && break; sleep 0.2; done
UNC=$(python3 -c "import json;print(json.load(open('$W/samba.json'))['unc'])")
USER=$(python3 -c "import json;print(json.load(open('$W/samba.json'))['user'])")
PASS=$(python3 -c "import json;print(json.load(open('$W/samba.json'))['password'])")
echo "$PASS" | run location set-smb "$UNC" --user "$USER" --password-stdin >/dev/null
echo -n "share backup peak: "; peak $LB backup now
ID=$($LB backups list --json | python3 -c "import json,sys;print(json.load(sys.stdin)[0]['id'])")
echo -n "share restore peak: "; echo "pw for memcheck" | peak $LB restore "$ID" --to "$W/r1" --passphrase-stdin
# moto
T=${LIFEBOAT_TOOLS:-$PWD/target/tools}
PORT=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
$T/moto/bin/moto_server -H 127.0.0.1 -p $PORT >/dev/null 2>&1 &
MOTO=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$PORT && break; sleep 0.2; done
curl -s -X PUT http://127.0.0.1:$PORT/memcheck >/dev/null
echo "secret" | run location set-s3 --endpoint http://127.0.0.1:$PORT --bucket memcheck --access-key-id id --secret-stdin >/dev/null
echo -n "s3 backup peak: "; peak $LB backup now
ID=$($LB backups list --json | python3 -c "import json,sys;print(json.load(sys.stdin)[0]['id'])")
echo -n "s3 restore peak: "; echo "pw for memcheck" | peak $LB restore "$ID" --to "$W/r2" --passphrase-stdin
kill $MOTO; pkill -f "sleep 100000" || true
rm -rf "$W"
