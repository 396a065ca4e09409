#!/usr/bin/env bash
# Lifeboat for Windows, cross-built here (x86_64-pc-windows-gnu with mingw-w64): the
# release CLI and desktop app, then in target/windows-package/
#   Lifeboat-VERSION-windows-x64.zip        portable: the two .exe, WebView2Loader.dll, README.txt
#   Lifeboat-VERSION-windows-x64-setup.exe  installer made by makensis from packaging/windows/lifeboat.nsi
# Tauri's own NSIS bundler is not used: it downloads a helper DLL and cannot run
# offline. Neither file is signed with Authenticode (no certificate here).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
lifeboat_wine
lifeboat_build_ui

target=x86_64-pc-windows-gnu
cargo build --locked --release --target "$target" -p lifeboat-desktop -p lifeboat-cli
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# The gnu-target desktop app imports WebView2Loader.dll; webview2-com-sys carries it.
loader=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path "*/webview2-com-sys-*/x64/WebView2Loader.dll" | sort -V | tail -1)
[ -n "$loader" ] || { echo "WebView2Loader.dll not found in the cargo registry" >&2; exit 1; }

out=target/windows-package
stage="$out/Lifeboat-$version"
rm -rf "$out"
mkdir -p "$stage"
cp "target/$target/release/lifeboat.exe" "target/$target/release/lifeboat-desktop.exe" "$loader" "$stage/"
sed 's/$/\r/' packaging/windows/README.txt > "$stage/README.txt"
(cd "$out" && zip -q -r "Lifeboat-$version-windows-x64.zip" "Lifeboat-$version")
makensis -V2 -DVERSION="$version" -DSTAGE="$PWD/$stage" -DOUTFILE="$PWD/$out/Lifeboat-$version-windows-x64-setup.exe" packaging/windows/lifeboat.nsi
ls -l "$out"
