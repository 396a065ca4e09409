#!/usr/bin/env bash
# Installs what Lifeboat's build and tests need on Debian 12, skipping what is
# already there, and builds the window's frontend. Sourced by run.sh and test.sh.
set -euo pipefail

lifeboat_apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}" >&2
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Compilers for the bundled C parts (SQLite, zstd); openssl and sqlite3 for the
# interoperability tests; python3 for the data-set generator; WebKitGTK and friends
# for the Tauri window and its tray icon; D-Bus headers for the OS credential store
# (the vault key).
lifeboat_apt_install build-essential pkg-config file openssl sqlite3 python3 ca-certificates \
  libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev

# The window's frontend (Svelte + TypeScript): it must exist before cargo builds the app.
lifeboat_build_ui() {
  (cd ui && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build)
}

# The object-storage servers the tests start (Azurite for Azure Blob Storage, moto for
# S3), kept under target/tools so a second run finds them.
lifeboat_object_servers() {
  local tools="$PWD/target/tools"
  [ -x "$tools/azurite/node_modules/.bin/azurite-blob" ] ||
    npm install --prefix "$tools/azurite" --no-audit --no-fund --loglevel=error azurite@3.35.0
  [ -x "$tools/moto/bin/moto_server" ] ||
    { python3 -m venv "$tools/moto" && "$tools/moto/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'; }
  export LIFEBOAT_AZURITE="$tools/azurite/node_modules/.bin/azurite-blob" LIFEBOAT_MOTO="$tools/moto/bin/moto_server"
}

# Windows: the cross-compiler target, mingw-w64 for the bundled C parts, Wine to run
# the tests, and a Wine prefix under target/ with the stand-in for the
# bcryptprimitives.dll Debian's Wine 8.0 lacks (scripts/wine/bcryptprimitives.c).
# Exports what cargo needs to run Windows test binaries under Wine.
lifeboat_wine() {
  rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
  lifeboat_apt_install mingw-w64 nsis zip unzip
  # Wine with the libraries it recommends, as the Windows tests were made with
  # (its 32-bit half is skipped: no i386 packages here).
  if ! dpkg-query -W -f='${Status}' wine64 2>/dev/null | grep -q "install ok installed"; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing: wine64 (with what it recommends)" >&2
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq wine64 >/dev/null
  fi
  export WINEPREFIX="$PWD/target/wine-prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  local wine=/usr/lib/wine/wine64
  local dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  if [ ! -f "$dll" ] || [ scripts/wine/bcryptprimitives.c -nt "$dll" ]; then
    "$wine" wineboot --init >/dev/null 2>&1
    x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" scripts/wine/bcryptprimitives.c -ladvapi32
  fi
  export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$wine"
  # insta finds its snapshots through the workspace's Windows path.
  export INSTA_WORKSPACE_ROOT="Z:${PWD//\//\\}"
}
