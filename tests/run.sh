#!/usr/bin/env bash
# Runs every test: unit tests (one binary), fuzz corpus replays, end-to-end
# scripts (tests/e2e/*.sh) and browser tests (tests/browser/*.sh) against the
# build in $1 (default build).  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export BRAID="$PWD/$BUILD/braid"
export BRAID_BUILD="$PWD/$BUILD"
export BRAID_ROOT="$PWD"
if [ -z "${BRAID_SHARED_DATA:-}" ]; then
	for d in ../shared/data /work/shared/data; do
		[ -d "$d" ] && { BRAID_SHARED_DATA="$(cd "$d" && pwd)"; break; }
	done
fi
export BRAID_SHARED_DATA
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # name command...
	"$@" 2>&1 | tee -a "$log" | grep -E '^(ok|FAIL) ' || true
}

"$BUILD/unit_tests" >>"$log" 2>&1
grep -E '^(FAIL) |^  ' "$log" | head -50

for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus="fuzz/corpus/${name#fuzz_}"
	if [ -d "$corpus" ] && "$f" "$corpus" >/tmp/braid-fuzz-$$.log 2>&1; then
		echo "ok fuzz-replay $name" >>"$log"
	else
		echo "FAIL fuzz-replay $name" | tee -a "$log"
		tail -5 /tmp/braid-fuzz-$$.log
	fi
	rm -f /tmp/braid-fuzz-$$.log
done

for s in tests/e2e/*.sh tests/browser/*.sh; do
	[ -f "$s" ] || continue
	case "$s" in */lib.sh) continue ;; esac
	bash "$s" >>"$log" 2>&1 || true
done
grep -E '^FAIL ' "$log" | sort -u >&2 || true

passed=$(grep -cE '^ok ' "$log")
failed=$(grep -cE '^FAIL ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
