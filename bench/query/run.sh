#!/bin/sh
# Build and run the query benchmark against build/libbraid.a.
# usage: bench/query/run.sh [PEOPLE] [DIR]   (from the repository root)
# The generated store is kept in DIR (default /tmp/braid-bench-query-PEOPLE)
# so that re-runs time the queries only; delete it to regenerate.
set -eu
cd "$(dirname "$0")/../.."
make -s build/libbraid.a
PKGS="sqlite3 libsodium libutf8proc jansson yaml-0.1"
cc -std=c17 -O2 -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
   $(pkg-config --cflags $PKGS) bench/query/bench_query.c build/libbraid.a \
   $(pkg-config --libs $PKGS) -lglpk -lm -lpthread -o build/bench_query
people=${1:-1000000}
build/bench_query "${2:-/tmp/braid-bench-query-$people}" "$people"
