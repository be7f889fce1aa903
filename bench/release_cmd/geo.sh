#!/usr/bin/env bash
# braid release by tract on the geocoded demo city (examples/city with
# examples/city/reference/places.csv): wall time of a sequence of releases
# in one workspace, each against the ledger of the ones before — tract
# tables rolled up to planning districts, fingerprints related across
# cohorts (jail and benefit cohorts share people), the LP audit over the
# ledger parts each release touches — then a rate release and an extract.
#
#   bench/release_cmd/geo.sh [BUILD_DIR]      (default build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BRAID="$ROOT/${1:-build}/braid"
CITY="$ROOT/examples/city"
W=$(mktemp -d /tmp/braid-bench-release-geo-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
export BRAID_KEY_FILE="$W/vault.key"
out=$(BRAID_USER=root "$BRAID" init ws)
export BRAID_DIR="$W/ws" BRAID_USER=root
BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p'); export BRAID_KEY
lk=$("$BRAID" user add lin --role linker 2>/dev/null)
ak=$("$BRAID" user add ann --role analyst 2>/dev/null)
"$BRAID" places load "$CITY/reference/places.csv" >/dev/null
for spec in "$CITY"/specs/*.yaml; do
	name=$(basename "$spec" .yaml)
	"$BRAID" source add --spec "$spec" >/dev/null
	"$BRAID" ingest "$name" "$CITY/sources/$name.csv" >/dev/null
done
A="$CITY/queries/analytics-agreement.yaml"
"$BRAID" agreement add "$A" >/dev/null
sed -e 's/^id: .*/id: city-geo-3/' -e 's/^min_cell_size: .*/min_cell_size: 3/' "$A" > geo3.yaml
sed -e 's/^id: .*/id: city-deid/' -e 's/^use: .*/use: deidentified-row/' "$A" > deid.yaml
"$BRAID" agreement add geo3.yaml >/dev/null
"$BRAID" agreement add deid.yaml >/dev/null
"$BRAID" releases --set-terms city-geo-3 code_5_95 yes >/dev/null
"$BRAID" releases --set-terms city-geo-3 min_denominator 30 >/dev/null
BRAID_USER=lin BRAID_KEY=$lk "$BRAID" link >/dev/null
export BRAID_USER=ann BRAID_KEY=$ak
mkdir q
printf 'index event jail_booking\ncount persons by race, tract\n' > q/jail_race_tract.cohort
printf 'index event benefit_enrollment\ncount persons by race, tract\n' > q/benefits_race_tract.cohort
printf 'index event benefit_enrollment\ncount persons by tract\n' > q/benefits_tract.cohort
printf 'index event jail_booking\ncount persons by tract\n' > q/jail_tract.cohort
printf 'index event jail_booking\ncount persons by race\n' > q/jail_race.cohort
printf 'index event benefit_enrollment\nwhere race = "black"\ncount persons by tract\n' > q/benefits_black_tract.cohort
printf 'index event jail_booking\ncount persons by age, sex, race, zip\n' > q/jail_rows.cohort
i=0
run() { # label agreement cohort [args]
	local label=$1 ag=$2 q=$3; shift 3
	i=$((i + 1))
	local s e
	s=$(date +%s.%N)
	"$BRAID" release "q/$q.cohort" --agreement "$ag" --purpose city-analytics --out "r$i" "$@" >"r$i.txt"
	e=$(date +%s.%N)
	printf '%-44s %-22s %s | %.2f s\n' "$label" "$ag" "$(head -1 "r$i.txt")" "$(echo "$e - $s" | bc)"
}
run "jail: race x tract" city-analytics-2026 jail_race_tract
run "benefits: race x tract" city-geo-3 benefits_race_tract
run "benefits: tract" city-geo-3 benefits_tract
run "jail: tract" city-geo-3 jail_tract
run "jail: race" city-geo-3 jail_race
run "rate: black / all benefits by tract" city-geo-3 benefits_black_tract --per q/benefits_tract.cohort
run "extract: jail rows (age, sex, race, zip)" city-deid jail_rows --extract
python3 -c "import sqlite3; print('ledger: %d bytes' % sqlite3.connect('ws/braid.db').execute('SELECT length(ledger) FROM release_ledger').fetchone()[0])"
cat /proc/loadavg
