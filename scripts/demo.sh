#!/usr/bin/env bash
# make demo: the demo city end to end on the embedded SQLite store.
#   scripts/demo.sh BUILD_DIR
# Uses the committed small city in examples/city, or generates a larger one
# when DEMO_PEOPLE is set (e.g. make demo DEMO_PEOPLE=100000).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BRAID="$PWD/$BUILD/braid"
WS=${DEMO_WORKSPACE:-$PWD/demo-workspace}
CITY="$PWD/examples/city"

step() { printf '\n== %s\n' "$*"; }

if [ -n "${DEMO_PEOPLE:-}" ]; then
	CITY="$PWD/build/demo-city-$DEMO_PEOPLE"
	if [ ! -f "$CITY/truth/persons.csv" ]; then
		step "generating a city of $DEMO_PEOPLE people"
		"$BRAID" synth --people "$DEMO_PEOPLE" --seed 1 --out "$CITY"
	fi
fi

rm -rf "$WS"
step "braid init $WS"
"$BRAID" init "$WS"
export BRAID_DIR="$WS"

step "registering the city's sources"
for spec in "$CITY"/specs/*.yaml; do
	"$BRAID" source add --spec "$spec"
done
"$BRAID" sources

step "loading every source"
for spec in "$CITY"/specs/*.yaml; do
	name=$(basename "$spec" .yaml)
	for f in "$CITY/sources/$name".csv; do
		[ -f "$f" ] && "$BRAID" ingest "$name" "$f"
	done
done

step "quality reports"
for spec in "$CITY"/specs/*.yaml; do
	"$BRAID" quality "$(basename "$spec" .yaml)"
done
