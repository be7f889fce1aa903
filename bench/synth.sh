#!/usr/bin/env bash
# Benchmark of `braid synth`: wall time, CPU time and peak memory
# (/usr/bin/time -v) for a city of N people (default 1,000,000), plus the
# rows, records and bytes written.  The city goes to a temporary directory
# that is removed afterwards.
#   bench/synth.sh [BUILD_DIR] [PEOPLE] [SEED]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PEOPLE=${2:-1000000}
SEED=${3:-1}
out=$(mktemp -d /tmp/braid-synth-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
log=$(mktemp)
/usr/bin/time -v "$BUILD/braid" synth --people "$PEOPLE" --seed "$SEED" --out "$out/city" \
	--format json >"$out/summary.json" 2>"$log"
python3 - "$out/summary.json" "$log" "$out/city" <<'PY'
import json, os, re, sys
s = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
get = lambda k: re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[3]) for f in fs)
print(f"people {s['people']}  households {s['households']}  rows {s['rows']}  records {s['records']}")
print(f"wall {get('Elapsed (wall clock) time (h:mm:ss or m:ss)')}  user {get('User time (seconds)')} s  "
      f"sys {get('System time (seconds)')} s  peak RSS {int(get('Maximum resident set size (kbytes)'))/1024:.1f} MiB  "
      f"output {size/1e6:.0f} MB")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
