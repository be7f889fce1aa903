#!/usr/bin/env bash
# bench/linkage/city.sh — the demo city (examples/city: every source, every
# planted error) linked through the real binary with its defaults, then
# scored against truth/persons.csv: prints `braid eval` (pairwise P/R/F1,
# over-merged, split) and the time of `braid link`.
#
#   bash bench/linkage/city.sh [BUILD_DIR] [CITY_DIR]
#
# With BRAID_CITY_ERRORS=1 it also lists the over-merged clusters (true
# persons braid put together), by entity and relation from truth/people.csv
# (names are the synthetic city's, not real people).  The workspace is made
# in a temporary directory and removed unless BRAID_CITY_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
CITY=${2:-$PWD/examples/city}
BRAID="$PWD/$BUILD/braid"
WS=$(mktemp -d /tmp/braid-city-XXXXXX)
# BRAID_CITY_KEEP=1 keeps the workspace (path printed) for explain/export
[ "${BRAID_CITY_KEEP:-}" = 1 ] && echo "workspace: $WS/ws" || trap 'rm -rf "$WS" "$WS.key"' EXIT
export BRAID_KEY_FILE="$WS.key"
out=$(BRAID_USER=admin "$BRAID" init "$WS/ws")
export BRAID_DIR="$WS/ws"
export BRAID_USER=admin BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
LINKER_KEY=$("$BRAID" user add linker --role linker --org ids 2>/dev/null)
for spec in "$CITY"/specs/*.yaml; do
	"$BRAID" source add --spec "$spec" >/dev/null
	name=$(basename "$spec" .yaml)
	[ -f "$CITY/sources/$name.csv" ] && "$BRAID" ingest "$name" "$CITY/sources/$name.csv" >/dev/null
done
export BRAID_USER=linker BRAID_KEY="$LINKER_KEY"
printf 'export BRAID_KEY_FILE=%s BRAID_DIR=%s BRAID_USER=linker BRAID_KEY=%s\n' \
	"$BRAID_KEY_FILE" "$BRAID_DIR" "$LINKER_KEY" >"$WS/env"
t0=$(date +%s.%N)
"$BRAID" link >"$WS/link.txt"
t1=$(date +%s.%N)
"$BRAID" eval --truth "$CITY/truth/persons.csv"
echo "link: $(echo "$t1 - $t0" | bc) s wall"
if [ "${BRAID_CITY_ERRORS:-}" = 1 ]; then
	"$BRAID" export persons --out "$WS/persons.csv" >/dev/null
	python3 bench/linkage/city_errors.py "$WS/persons.csv" "$CITY/truth"
fi
