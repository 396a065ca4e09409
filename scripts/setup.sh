#!/usr/bin/env bash
# Installs the system packages Lifeboat's build and tests need (Debian 12), skipping
# what is already there. Sourced by run.sh and test.sh.
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
# interoperability tests; python3 for the data-set generator.
lifeboat_apt_install build-essential pkg-config openssl sqlite3 python3 ca-certificates
