#!/usr/bin/env bash
# bench/linkage/incremental.sh — an incremental load against a large person
# index, through the real binary.  A synthetic city (braid synth) of PEOPLE
# people (default 340,000: about 1,000,000 records over its sources) is
# loaded except the last HOLD rows of each source file (default 1 %), linked
# from scratch, then the held-back rows are loaded and `braid link` runs
# incrementally with the saved model; its wall time is broken down (read
# the saved state and the new records, prepare them, link, update the person
# index, store the run, save the state).  Finally a full re-link with the kept model checks
# that the persons are the same.
#
#   bash bench/linkage/incremental.sh [BUILD_DIR] [PEOPLE] [HOLD_PERCENT]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
PEOPLE=${2:-340000}
HOLD=${3:-1}
BRAID="$PWD/$BUILD/braid"
WS=$(mktemp -d /tmp/braid-incr-XXXXXX)
[ "${BRAID_BENCH_KEEP:-}" = 1 ] && echo "workspace: $WS" || trap 'rm -rf "$WS" "$WS.key"' EXIT
export BRAID_NO_PROGRESS=1 BRAID_KEY_FILE="$WS.key"
"$BRAID" synth --people "$PEOPLE" --seed 7 --out "$WS/city" >/dev/null
out=$(BRAID_USER=admin "$BRAID" init "$WS/ws")
export BRAID_DIR="$WS/ws" BRAID_USER=admin
export BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
LINKER_KEY=$("$BRAID" user add linker --role linker --org ids 2>/dev/null)
mkdir -p "$WS/later"
for spec in "$WS"/city/specs/*.yaml; do
	"$BRAID" source add --spec "$spec" >/dev/null
	name=$(basename "$spec" .yaml)
	f="$WS/city/sources/$name.csv"
	[ -f "$f" ] || continue
	rows=$(($(wc -l <"$f") - 1))
	keep=$((rows - rows * HOLD / 100))
	head -n $((keep + 1)) "$f" >"$WS/first.csv"
	{ head -n 1 "$f"; tail -n +$((keep + 2)) "$f"; } >"$WS/later/$name.csv"
	"$BRAID" ingest "$name" "$WS/first.csv" >/dev/null
done
export BRAID_USER=linker BRAID_KEY="$LINKER_KEY"
t0=$(date +%s.%N)
"$BRAID" link --format json >"$WS/full.json"
t1=$(date +%s.%N)
echo "first link (estimate + everything): $(echo "$t1 - $t0" | bc) s wall"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("  records %d, persons %d, wall %s" % (d["records"], d["persons"], d["wall"]))' "$WS/full.json"
export BRAID_USER=admin BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
for f in "$WS"/later/*.csv; do
	[ "$(wc -l <"$f")" -gt 1 ] && "$BRAID" ingest "$(basename "$f" .csv)" "$f" >/dev/null
done
export BRAID_USER=linker BRAID_KEY="$LINKER_KEY"
# BRAID_BENCH_KEEP=1 also keeps the workspace as it is before the incremental
# run (ws.before) with its environment (env), to time that run again
if [ "${BRAID_BENCH_KEEP:-}" = 1 ]; then
	cp -r "$WS/ws" "$WS/ws.before"
	printf 'export BRAID_KEY_FILE=%s BRAID_USER=linker BRAID_KEY=%s\n' "$BRAID_KEY_FILE" "$LINKER_KEY" >"$WS/env"
fi
/usr/bin/time -v "$BRAID" link --format json >"$WS/incr.json" 2>"$WS/incr.time"
python3 - "$WS/incr.json" "$WS/incr.time" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
get = lambda k: re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
w = d["wall"]
print("incremental: mode %s, %d new records against %d, %d pairs compared, %d persons "
      "(%d new, %d unchanged, %d merged)" % (d["mode"], d["new_records"], d["records"] - d["new_records"],
      d["pairs_compared"], d["persons"], d["created"], d["unchanged"], d["merged"]))
print("  wall: " + ", ".join("%s %.2f s" % (k, w[k]) for k in ("read", "prepare", "link", "apply", "store", "state", "total")))
print("  process: wall %s, user %s s, sys %s s, peak RSS %.0f MiB" % (
      get("Elapsed (wall clock) time (h:mm:ss or m:ss)"), get("User time (seconds)"),
      get("System time (seconds)"), int(get("Maximum resident set size (kbytes)")) / 1024))
PY
"$BRAID" export persons --out "$WS/incr.csv" 2>/dev/null
t0=$(date +%s.%N)
"$BRAID" link --full --keep-model --format json >"$WS/kept.json"
t1=$(date +%s.%N)
echo "full re-link with the kept model: $(echo "$t1 - $t0" | bc) s wall"
"$BRAID" export persons --out "$WS/kept.csv" 2>/dev/null
python3 - "$WS/incr.csv" "$WS/kept.csv" <<'PY'
import csv, sys
def part(p):
    g = {}
    for r in csv.DictReader(open(p)):
        g.setdefault(r["person_id"], set()).add((r["source"], r["record_id"]))
    return set(frozenset(s) for s in g.values())
a, b = part(sys.argv[1]), part(sys.argv[2])
print("incremental vs full with kept model: %s (%d vs %d persons, %d differ)" % (
      "same persons" if a == b else "DIFFERENT", len(a), len(b), len(a ^ b)))
PY
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
