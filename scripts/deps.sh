#!/bin/sh
# Install the Debian packages braid needs, only those that are missing.
# Checks each library with pkg-config (and each tool with command -v) and
# runs apt-get install -y (with sudo when not root) for what is absent.
set -eu
missing=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_hdr() { [ -f "$1" ] || missing="$missing $2"; }

need_cmd cc gcc
need_cmd make make
need_cmd pkg-config pkg-config
need_pc sqlite3 libsqlite3-dev
need_pc libsodium libsodium-dev
need_pc libutf8proc libutf8proc-dev
need_pc jansson libjansson-dev
need_pc yaml-0.1 libyaml-dev
# GLPK ships no pkg-config file: check its header (LP bounds for release audits).
need_hdr /usr/include/glpk.h libglpk-dev
need_cmd python3 python3
need_cmd sqlite3 sqlite3

[ -z "$missing" ] && exit 0
echo "braid: installing missing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Update the package lists once per machine (a fresh machine has none).
if [ ! -f /var/lib/apt/braid-updated ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock | head -1)" ]; then
	$SUDO apt-get update -q
	$SUDO touch /var/lib/apt/braid-updated 2>/dev/null || true
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
