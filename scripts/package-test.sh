#!/usr/bin/env bash
# The packages end to end, as an administrator meets them. Run as root on a Debian
# machine (it installs and removes the `lifeboat` package); 589 s measured with
# tauri-cli installed and the release build warm, about 25 minutes cold (installing
# tauri-cli and two release builds), so it is not part of scripts/test.sh.
#
# 1. Builds this version's packages and the next patch version's (from a copy of the
#    tree with the version raised), both signed by a key pair made here.
# 2. Installs the .deb with apt-get, checks what it put where, runs `lifeboat
#    --version`, and starts the installed desktop app under Xvfb.
# 3. Makes a backup with the installed CLI, then offers the next version through a
#    feed on this machine (python3 -m http.server): a tampered package, one signed
#    with another key and an old one re-labelled as new are each refused with nothing
#    installed; the real one is downloaded, verified and installed, and the new
#    version runs with the same data folder and its backup.
# 4. Removes the package; the data folder stays.
# The .rpm is built and its contents and requirements checked with rpm, but it is not
# installed (this is Debian): the rpm update path is untested here.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "Run as root: this installs and removes the lifeboat package." >&2; exit 2; }
source scripts/setup.sh
lifeboat_apt_install xvfb xauth xdotool dbus-x11 python3 rsync rpm
command -v cargo-tauri >/dev/null || cargo install tauri-cli --locked --version '^2'
started=$(date +%s)
repo=$PWD
work=$(mktemp -d /tmp/lifeboat-package-test.XXXXXX)
feed_pid=""
cleanup() {
  [ -n "$feed_pid" ] && kill "$feed_pid" 2>/dev/null || true
  dpkg-query -W lifeboat >/dev/null 2>&1 && apt-get remove -y -qq lifeboat >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

step "a signing key pair of this test's own"
cargo tauri signer generate --ci -p "" -w "$work/release.key" >/dev/null
cargo tauri signer generate --ci -p "" -w "$work/other.key" >/dev/null
export TAURI_SIGNING_PRIVATE_KEY="$(cat "$work/release.key")" TAURI_SIGNING_PRIVATE_KEY_PASSWORD=""
export LIFEBOAT_UPDATE_PUBKEY="$(cat "$work/release.key.pub")"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
next=$(echo "$version" | awk -F. '{printf "%d.%d.%d", $1, $2, $3 + 1}')

step "packages of $version"
bash scripts/package.sh >"$work/package-current.log" 2>&1 || { tail -30 "$work/package-current.log"; fail "building $version"; }
cp target/release/bundle/deb/*.deb "$work/current.deb"
cp target/release/bundle/deb/*.deb.sig "$work/current.deb.sig"
# The .rpm cannot be installed on Debian; what it holds and needs is read with rpm.
rpm_file=$(ls target/release/bundle/rpm/*.rpm)
for f in /usr/bin/lifeboat /usr/bin/lifeboat-desktop /usr/lib/systemd/user/lifeboat.service /usr/share/applications/Lifeboat.desktop \
  /usr/share/man/man1/lifeboat.1.gz /usr/share/bash-completion/completions/lifeboat /usr/share/icons/hicolor/512x512/apps/lifeboat-desktop.png; do
  rpm -qpl "$rpm_file" 2>/dev/null | grep -qx "$f" || fail "the .rpm lacks $f"
done
rpm -qpR "$rpm_file" 2>/dev/null | grep -q 'libwebkit2gtk-4.1.so.0' || fail "the .rpm does not require WebKitGTK 4.1"
echo "the .rpm holds the same files and requires $(rpm -qpR "$rpm_file" 2>/dev/null | grep -v rpmlib | tr '\n' ' ')"

step "packages of $next, from a copy with the version raised"
rsync -a --exclude /target --exclude /.git --exclude /ui/node_modules ./ "$work/next/"
ln -s "$repo/target" "$work/next/target"
ln -s "$repo/ui/node_modules" "$work/next/ui/node_modules"
sed -i "s/^version = \"$version\"/version = \"$next\"/" "$work/next/Cargo.toml"
(cd "$work/next" && cargo update --workspace --offline -q && bash scripts/package.sh) >"$work/package-next.log" 2>&1 ||
  { tail -30 "$work/package-next.log"; fail "building $next"; }
cp target/release/bundle/deb/*"$next"*.deb "$work/next.deb"
cp target/release/bundle/deb/*"$next"*.deb.sig "$work/next.deb.sig"

step "install the .deb"
apt-get install -y -qq "$work/current.deb" >/dev/null
[ "$(lifeboat --version)" = "lifeboat $version" ] || fail "lifeboat --version says $(lifeboat --version)"
for f in /usr/bin/lifeboat /usr/bin/lifeboat-desktop /usr/share/applications/Lifeboat.desktop \
  /usr/lib/systemd/user/lifeboat.service /usr/share/man/man1/lifeboat.1.gz /usr/share/man/man1/lifeboat-update-install.1.gz \
  /usr/share/bash-completion/completions/lifeboat /usr/share/zsh/vendor-completions/_lifeboat \
  /usr/share/fish/vendor_completions.d/lifeboat.fish /usr/share/icons/hicolor/512x512/apps/lifeboat-desktop.png \
  /usr/share/icons/hicolor/32x32/apps/lifeboat-desktop.png; do
  [ -e "$f" ] || { dpkg -L lifeboat; fail "the package lacks $f"; }
done
grep -q '^Exec=lifeboat-desktop' /usr/share/applications/Lifeboat.desktop || fail "the desktop entry does not start lifeboat-desktop"
dpkg-query -W -f='${Depends}\n' lifeboat | tee "$work/depends" | grep -q libwebkit2gtk-4.1 || fail "no WebKitGTK dependency"
systemctl --user is-enabled lifeboat.service 2>/dev/null | grep -q enabled && fail "the user unit is enabled by default"
echo "installed: $(dpkg-query -W lifeboat); depends: $(cat "$work/depends")"

step "the installed desktop app starts under Xvfb"
export LIFEBOAT_DATA_DIR="$work/data" LIFEBOAT_CREDENTIAL_STORE=off
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  /usr/bin/lifeboat-desktop >/dev/null 2>&1 & app=$!
  timeout 60 xdotool search --sync --onlyvisible --name "^Lifeboat$" >/dev/null || { kill $app; exit 1; }
  sleep 2; kill -0 $app || exit 1
  kill -TERM $app; wait $app || true' || fail "the installed app did not show its window"
echo "its window appeared"

step "a backup made by $version"
mkdir -p "$work/docs" && echo "quarterly numbers" > "$work/docs/report.txt"
echo "a package-test passphrase" | lifeboat encryption set-passphrase --passphrase-stdin >/dev/null
lifeboat items add "$work/docs" >/dev/null
lifeboat backup now >/dev/null
backup=$(lifeboat --json backups list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

step "a feed on this machine offers $next"
mkdir -p "$work/feed"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/feed" "$port" >/dev/null 2>&1 & feed_pid=$!
for _ in $(seq 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done
publish() { # VERSION PACKAGE-FILE SIGNATURE
  cp "$2" "$work/feed/offered.deb"
  python3 - "$1" "$3" "http://127.0.0.1:$port/offered.deb" >"$work/feed/latest.json" <<'PY'
import json, sys
print(json.dumps({"version": sys.argv[1], "notes": "The next one.", "pub_date": "2026-12-07T00:00:00Z",
                  "platforms": {"linux-x86_64-deb": {"signature": sys.argv[2], "url": sys.argv[3]}}}))
PY
}
lifeboat update settings --feed "http://127.0.0.1:$port/latest.json" >/dev/null
publish "$next" "$work/next.deb" "$(cat "$work/next.deb.sig")"
lifeboat update check | tee "$work/check" | head -1
grep -q "Lifeboat $next is available (this is $version, installed from a .deb package)" "$work/check" || fail "the check did not offer $next"

refused() { # WHAT EXPECTED-MESSAGE
  if lifeboat update install >"$work/out" 2>&1; then cat "$work/out"; fail "$1 was installed"; fi
  grep -q "$2" "$work/out" || { cat "$work/out"; fail "$1: no message $2"; }
  [ "$(dpkg-query -W -f='${Version}' lifeboat)" = "$version" ] || fail "$1 changed the installed version"
  echo "refused, $1: $(grep error: "$work/out")"
}
python3 - "$work/next.deb" "$work/tampered.deb" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read()); data[len(data) // 2] ^= 1
open(sys.argv[2], "wb").write(data)
PY
publish "$next" "$work/tampered.deb" "$(cat "$work/next.deb.sig")"
refused "a tampered package" "its signature does not match its content"
cp "$work/next.deb" "$work/other-signed.deb"
cargo tauri signer sign -k "$(cat "$work/other.key")" -p "" --app-version "$next" "$work/other-signed.deb" >/dev/null
publish "$next" "$work/other-signed.deb" "$(cat "$work/other-signed.deb.sig")"
refused "a package signed with another key" "signed with another key than the one this Lifeboat trusts"
publish "$next" "$work/current.deb" "$(cat "$work/current.deb.sig")"
refused "$version re-labelled as $next" "but it was signed as version $version"

step "the real $next: downloaded, verified, installed"
publish "$next" "$work/next.deb" "$(cat "$work/next.deb.sig")"
lifeboat update install
[ "$(lifeboat --version)" = "lifeboat $next" ] || fail "after the update lifeboat --version says $(lifeboat --version)"
[ "$(dpkg-query -W -f='${Version}' lifeboat)" = "$next" ] || fail "dpkg does not see $next"
lifeboat --json backups list | python3 -c "import json,sys; b=json.load(sys.stdin); assert [x['id'] for x in b] == ['$backup'], b"
echo "a package-test passphrase" | lifeboat verify "$backup" --passphrase-stdin
lifeboat backup now >/dev/null
lifeboat --json operations list | python3 -c "import json,sys; ops=json.load(sys.stdin); assert [o['status'] for o in ops if o['kind']=='update'][0] == 'succeeded', ops"
echo "$next runs with the same data folder: its backups list, verify, and a new one is made"

step "remove the package"
apt-get remove -y -qq lifeboat >/dev/null
[ ! -e /usr/bin/lifeboat ] && [ ! -e /usr/bin/lifeboat-desktop ] || fail "programs left behind"
dpkg-query -W -f='${Status}' lifeboat 2>/dev/null | grep -q "install ok installed" && fail "still installed"
[ -f "$LIFEBOAT_DATA_DIR/catalog.db" ] || fail "the data folder went with the package"
echo "removed; the data folder stays"
echo
echo "package test passed in $(( $(date +%s) - started )) s"
