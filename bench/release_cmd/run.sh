#!/usr/bin/env bash
# braid release end to end on the demo city (examples/city): build a
# workspace (ingest every source, link), then time `braid release` of the
# example cohorts (counts of people by race and ZIP) under the city's
# analytics agreement: query, cell set, suppression against the ledger,
# the LP audit, store transaction, audit entry and files.  Each release is
# made twice (the second against the ledger of the first).
#
#   bench/release_cmd/run.sh [BUILD_DIR]      (default build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BRAID="$ROOT/${1:-build}/braid"
CITY="$ROOT/examples/city"
W=$(mktemp -d /tmp/braid-bench-release-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
export BRAID_KEY_FILE="$W/vault.key"
out=$(BRAID_USER=root "$BRAID" init ws)
export BRAID_DIR="$W/ws" BRAID_USER=root
BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p'); export BRAID_KEY
lk=$("$BRAID" user add lin --role linker 2>/dev/null)
ak=$("$BRAID" user add ann --role analyst 2>/dev/null)
for spec in "$CITY"/specs/*.yaml; do
	name=$(basename "$spec" .yaml)
	"$BRAID" source add --spec "$spec" >/dev/null
	"$BRAID" ingest "$name" "$CITY/sources/$name.csv" >/dev/null
done
"$BRAID" agreement add "$CITY/queries/analytics-agreement.yaml" >/dev/null
BRAID_USER=lin BRAID_KEY=$lk "$BRAID" link >/dev/null
export BRAID_USER=ann BRAID_KEY=$ak
# Larger cohorts than the example questions (which are small: nearly every
# cell is below 11): everyone booked, everyone with a shelter stay.
mkdir q
cp "$CITY/queries/allegheny.cohort" "$CITY/queries/water-shutoff.cohort" q/
printf 'index event jail_booking\ncount persons by race, zip\n' > q/jail.cohort
printf 'index event shelter_stay\ncount persons by race, zip\n' > q/shelter.cohort
printf 'index event benefit_enrollment\ncount persons by zip\n' > q/benefits.cohort
i=0
for q in allegheny water-shutoff jail shelter benefits jail; do
	i=$((i + 1))
	s=$(date +%s.%N)
	res=$("$BRAID" release "q/$q.cohort" --agreement city-analytics-2026 \
		--purpose city-analytics --out "r$i" --format json)
	e=$(date +%s.%N)
	python3 - "$q" "$res" "$s" "$e" <<'PY'
import json, sys
q, r, s, e = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print("%-14s release %d: %4d cells, %4d suppressed, %.3f s" % (q, r["release_id"], r["cells"], r["suppressed"], e - s))
PY
done
