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
export BRAID_KEY_FILE="$WS.key"
rm -f "$BRAID_KEY_FILE"
step "braid init $WS  (the creator becomes its admin; keys are shown once)"
out=$(BRAID_USER=admin "$BRAID" init "$WS")
printf '%s\n' "$out" | grep -v '^BRAID_KEY=' || true
export BRAID_DIR="$WS"
ADMIN_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
export BRAID_USER=admin BRAID_KEY="$ADMIN_KEY"
LINKER_KEY=$("$BRAID" user add linker --role linker --org ids 2>/dev/null)
echo "users: admin, linker (IDS staff who may read the vault)"

step "registering the city's sources"
for spec in "$CITY"/specs/*.yaml; do
	"$BRAID" source add --spec "$spec"
done
"$BRAID" sources

step "the gazetteer: street ranges in census tracts and planning districts (docs/geography.md)"
if [ -f "$CITY/reference/places.csv" ]; then
	"$BRAID" places load "$CITY/reference/places.csv"
else
	echo "no $CITY/reference/places.csv: records will not be geocoded (braid places load FILE later, then braid places geocode)"
fi

step "loading every source (identifiers go to the encrypted vault)"
for spec in "$CITY"/specs/*.yaml; do
	name=$(basename "$spec" .yaml)
	f="$CITY/sources/$name.csv"
	[ -f "$f" ] && "$BRAID" ingest "$name" "$f"
done

step "quality report of one source (braid quality NAME for any other)"
"$BRAID" quality jail

step "linking every record into the person index (as the linker)"
export BRAID_USER=linker BRAID_KEY="$LINKER_KEY"
"$BRAID" link

step "accuracy of the person index against the city's ground truth"
"$BRAID" eval --truth "$CITY/truth/persons.csv"

step "the city's three questions, as an analyst under an agreement (docs/query-language.md)"
Q="$PWD/examples/city"
BRAID_USER=admin BRAID_KEY="$ADMIN_KEY" "$BRAID" agreement add "$Q/queries/analytics-agreement.yaml"
ANALYST_KEY=$(BRAID_USER=admin BRAID_KEY="$ADMIN_KEY" "$BRAID" user add analyst --role analyst 2>/dev/null)
export BRAID_USER=analyst BRAID_KEY="$ANALYST_KEY"
"$BRAID" query "$Q/queries/allegheny.cohort" --purpose city-analytics --counts --format json
"$BRAID" query "$Q/queries/water-shutoff.cohort" --purpose city-analytics --counts
"$BRAID" gaps "$Q/rules/water-assistance.rules" --program water_assistance --purpose water-outreach --as-of 2024-12-31
"$BRAID" analysis water-shutoff --purpose city-analytics --as-of 2024-12-31

step "by planning district: residents starting SNAP or Medicaid in 2024 (examples/city/queries/by-district.cohort), and the geocode rate"
"$BRAID" places
"$BRAID" query "$Q/queries/by-district.cohort" --purpose city-analytics --counts

step "the audit log (hash-chained; verified)"
BRAID_USER=admin BRAID_KEY="$ADMIN_KEY" "$BRAID" audit verify
