#!/bin/sh
# Build and run bench_relate against build/libbraid.a (or $1).
# Usage: bench/release/run_relate.sh [BUILD] [cells] [shown 0|1]
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build}
make --no-print-directory "$B/libbraid.a" >/dev/null
PKGS="sqlite3 libsodium libutf8proc jansson yaml-0.1"
cc -std=c17 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude $(pkg-config --cflags $PKGS) \
	-o "$B/bench_relate" bench/release/bench_relate.c "$B/libbraid.a" \
	$(pkg-config --libs $PKGS) -lglpk -lm -lpthread
"$B/bench_relate" "${2:-1000}" "${3:-0}"
