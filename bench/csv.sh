#!/usr/bin/env bash
# Builds and runs the CSV reader benchmark (bench/csv_bench.c) against
# $1/libbraid.a (default build).  Extra arguments go to csv_bench
# (-n ROWS -r RUNS -f FILE).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
make --no-print-directory "$BUILD/libbraid.a" >/dev/null
cc -std=c17 -O2 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude \
	bench/csv_bench.c "$BUILD/libbraid.a" \
	$(pkg-config --libs sqlite3 libsodium libutf8proc jansson yaml-0.1) -lm \
	-o "$BUILD/csv_bench"
"$BUILD/csv_bench" "$@"
