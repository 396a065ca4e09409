#!/usr/bin/env bash
# The `lifeboat` CLI at work:
# a demo folder and database are protected, backed up (certificate encryption, local
# folder at the default place), listed, verified with the private key, and restored.
# Everything lives under target/demo; run it again to start afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --locked -p lifeboat-cli --release
lifeboat() { ./target/release/lifeboat --data-dir target/demo/data "$@"; }
step() { printf '\n\033[1m$ lifeboat %s\033[0m\n' "$*"; }

rm -rf target/demo && mkdir -p target/demo
demo=target/demo/workstation
if [ -f ../shared/bench/gen-dataset.py ]; then
  python3 ../shared/bench/gen-dataset.py create --root "$demo" --scale 0.01 >/dev/null
else
  mkdir -p "$demo/config" && for i in $(seq 1 200); do echo "setting$i = $RANDOM" > "$demo/config/app$i.conf"; done
fi
sqlite3 target/demo/inventory.db "CREATE TABLE hosts(name TEXT, ip TEXT); INSERT INTO hosts VALUES ('web1','10.0.0.1'),('db1','10.0.0.2');"
PASSWORD="demo-password-123"

step cert create --subject "Lifeboat demo" --pfx-out target/demo/restore-key.pfx --cer-out target/demo/backup.cer
printf '%s' "$PASSWORD" | ./target/release/lifeboat cert create --subject "Lifeboat demo" \
  --pfx-out target/demo/restore-key.pfx --cer-out target/demo/backup.cer
step encryption set-certificate target/demo/backup.cer
lifeboat encryption set-certificate target/demo/backup.cer
step items add "$demo" --name workstation --exclude '*.tmp'
lifeboat items add "$demo" --name workstation --exclude '*.tmp'
step items add target/demo/inventory.db
lifeboat items add target/demo/inventory.db
step location show
lifeboat location show
step backup now
lifeboat backup now
step backups list
lifeboat backups list
id=$(lifeboat --json backups list | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
step verify "$id" --identity target/demo/restore-key.pfx --password-stdin
printf '%s' "$PASSWORD" | lifeboat verify "$id" --identity target/demo/restore-key.pfx --password-stdin
step backups contents "$id" --identity target/demo/restore-key.pfx --password-stdin
printf '%s' "$PASSWORD" | lifeboat backups contents "$id" --identity target/demo/restore-key.pfx --password-stdin
step restore "$id" --identity target/demo/restore-key.pfx --password-stdin --to target/demo/restored --preview
printf '%s' "$PASSWORD" | lifeboat restore "$id" --identity target/demo/restore-key.pfx --password-stdin --to target/demo/restored --preview
step restore "$id" --identity target/demo/restore-key.pfx --password-stdin --to target/demo/restored
printf '%s' "$PASSWORD" | lifeboat restore "$id" --identity target/demo/restore-key.pfx --password-stdin --to target/demo/restored
diff -r "$demo" target/demo/restored/workstation && echo "Restored tree is identical to the original."
