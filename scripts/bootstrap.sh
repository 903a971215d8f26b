#!/bin/sh
# bootstrap.sh -- install every Debian package jitrl needs to build, test and
# run.  Uses sudo when not root.  Safe to run again: apt-get skips what is
# already installed, and nothing is fetched when every package is present.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-dev python3 libsqlite3-dev sqlite3 libcurl4-openssl-dev \
libjansson-dev libxxhash-dev libmicrohttpd-dev frotz inform6-compiler inform6-library \
chromium chromium-driver fonts-dejavu-core postgresql libpq-dev python3-pytest nettle-dev python3-yaml python3-pip python3-setuptools curl"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "bootstrap: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
