#!/bin/sh
# Build and run the release benchmark against build/libbraid.a (or the
# build directory in $1).  Usage: bench/release/run.sh [BUILD] [min_cell] [seed]
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build}
make --no-print-directory "$B/libbraid.a" >/dev/null
PKGS="sqlite3 libsodium libutf8proc jansson yaml-0.1"
cc -std=c17 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude $(pkg-config --cflags $PKGS) \
	-o "$B/bench_release" bench/release/bench_release.c "$B/libbraid.a" \
	$(pkg-config --libs $PKGS) -lglpk -lm -lpthread
"$B/bench_release" "${2:-11}" "${3:-7}"
