#!/bin/sh
# Build and run bench/policy/bench_audit_query.c (the Allegheny query with
# and without the policy check and audit append) on a bench/query store.
# usage: bench/policy/run_query.sh DIR [RUNS]   (from the repository root)
# Make DIR first with: sh bench/query/run.sh 1000000 DIR
set -eu
cd "$(dirname "$0")/../.."
make -s build/libbraid.a
PKGS="sqlite3 libsodium libutf8proc jansson yaml-0.1"
cc -std=c17 -O2 -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
   $(pkg-config --cflags $PKGS) bench/policy/bench_audit_query.c build/libbraid.a \
   $(pkg-config --libs $PKGS) -lglpk -lm -lpthread -o build/bench_audit_query
build/bench_audit_query "$1" "${2:-11}"
