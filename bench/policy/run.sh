#!/bin/sh
# Build and run the policy benchmark against build/libbraid.a.
# usage: bench/policy/run.sh [EVENTS]   (from the repository root)
# BENCH_TMP=/dev/shm runs on tmpfs, to separate CPU cost from fsync cost.
set -eu
cd "$(dirname "$0")/../.."
make -s build/libbraid.a
PKGS="sqlite3 libsodium libutf8proc jansson yaml-0.1"
cc -std=c17 -O2 -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
   $(pkg-config --cflags $PKGS) bench/policy/bench_policy.c build/libbraid.a \
   $(pkg-config --libs $PKGS) -lm -lpthread -o build/bench_policy
dir=$(mktemp -d "${BENCH_TMP:-/tmp}/braid-bench-policy-XXXXXX")
trap 'rm -rf "$dir"' EXIT
build/bench_policy "$dir" "${1:-1000000}"
