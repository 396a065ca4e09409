#!/usr/bin/env bash
# Checks what scripts/package-windows.sh made, under Wine: the portable zip holds the
# four files and its lifeboat.exe runs; the installer installs silently into Program
# Files with its Start menu entry and uninstall entry, the installed lifeboat.exe
# runs and makes, lists and verifies a backup; the uninstaller removes the program
# and leaves the data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh >/dev/null
lifeboat_wine
wine=/usr/lib/wine/wine64
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
out=target/windows-package
zip="$out/Lifeboat-$version-windows-x64.zip"
setup="$out/Lifeboat-$version-windows-x64-setup.exe"
fail() { echo "windows package: $*" >&2; exit 1; }

listed=$(unzip -Z1 "$zip" | sort | tr '\n' ' ')
[ "$listed" = "Lifeboat-$version/ Lifeboat-$version/README.txt Lifeboat-$version/WebView2Loader.dll Lifeboat-$version/lifeboat-desktop.exe Lifeboat-$version/lifeboat.exe " ] ||
  fail "the zip holds: $listed"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unzip -q "$zip" -d "$work"
"$wine" "$work/Lifeboat-$version/lifeboat.exe" --version | tr -d '\r' | grep -qx "lifeboat $version" || fail "the zip's lifeboat.exe does not run"

program="$WINEPREFIX/drive_c/Program Files/Lifeboat"
"$wine" "$setup" /S
for f in lifeboat.exe lifeboat-desktop.exe WebView2Loader.dll README.txt uninstall.exe; do
  [ -f "$program/$f" ] || fail "the installer did not install $f"
done
[ -f "$WINEPREFIX/drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/Lifeboat.lnk" ] || fail "no Start menu entry"
"$wine" reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Lifeboat' /v DisplayVersion | tr -d '\r' | grep -q "$version" || fail "no uninstall entry"

installed="C:\\Program Files\\Lifeboat\\lifeboat.exe"
data="Z:${work//\//\\}\\data"
mkdir -p "$work/source" && echo "kept by the installed Lifeboat" > "$work/source/note.txt"
run() { LIFEBOAT_CREDENTIAL_STORE=off "$wine" "$installed" --data-dir "$data" "$@" | tr -d '\r'; }
run --version | grep -qx "lifeboat $version" || fail "the installed lifeboat.exe does not run"
run items add "Z:${work//\//\\}\\source" --name source >/dev/null
echo "package test passphrase" | run encryption set-passphrase --passphrase-stdin >/dev/null
run backup now >/dev/null
id=$(run --json backups list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
echo "package test passphrase" | run verify "$id" --passphrase-stdin >/dev/null || fail "the backup does not verify"

"$wine" "$program/uninstall.exe" /S
# The uninstaller copies itself away and returns at once; give it a moment.
for _ in $(seq 50); do [ -e "$program/lifeboat.exe" ] || break; sleep 0.2; done
[ ! -e "$program/lifeboat.exe" ] || fail "the uninstaller left lifeboat.exe"
[ -f "$work/data/catalog.db" ] || fail "uninstalling touched the data folder"
echo "windows package: zip and installer checked under Wine"
