#!/usr/bin/env bash
# End to end: braid places (load, summary, geocode) through the real
# binary: roles and audit, positioned errors on a bad file, geocoding at
# ingest and afterwards, tract / district in a query, and no address in
# the analytic store.
. "$(dirname "$0")/lib.sh"

PLACES='street,from,to,parity,zip5,tract,district
North Broad Street,1,99,odd,19107,42101000100,Central
N BROAD ST,2,98,even,19107,42101000200,Central
MARKET ST,1,199,all,19139,42101000500,West
'
SPEC='source: visits
kind: person
id: ID
fields:
  sex: SEX
  address: ADDR
  zip: ZIP
events:
  - type: visit
    start: DAY
'
DATA='ID,SEX,ADDR,ZIP,DAY
1,F,15 North Broad Street,19107,2020-01-01
2,M,16 N. Broad St Apt 7,19107,2020-01-02
3,F,50 Market St,19139,2020-01-03
4,M,12 Nowhere Ln,19107,2020-01-04
'

setup() {
	export BRAID_KEY_FILE="$PWD/vault.key"
	local out; out=$(BRAID_USER=root "$BRAID" init ws)
	export BRAID_DIR="$PWD/ws" BRAID_USER=root
	export BRAID_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
	ROOT_KEY=$BRAID_KEY
	LINKER_KEY=$("$BRAID" user add lin --role linker 2>/dev/null)
	ANALYST_KEY=$("$BRAID" user add ann --role analyst 2>/dev/null)
	printf '%s' "$PLACES" > places.csv
	printf '%s' "$SPEC" > visits.yaml
	printf '%s' "$DATA" > visits.csv
	"$BRAID" source add --spec visits.yaml >/dev/null
}

test_load_counts_and_json() {
	setup
	OUT=$("$BRAID" places load places.csv)
	assert_contains "$OUT" "3 segments on 2 streets in 3 tracts and 2 planning districts"
	OUT=$("$BRAID" places --format json)
	assert_eq "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["segments"], d["streets"], d["tracts"], d["districts"])')" "3 2 3 2"
	expect_exit 5 "$BRAID" places load places.csv
	assert_contains "$OUT" "--replace"
	"$BRAID" places load places.csv --replace >/dev/null
}

test_bad_file_is_positioned_and_loads_nothing() {
	setup
	printf 'street,from,to,parity,zip5,tract,district\nN BROAD ST,1,99,odd,19107,421,Central\nN BROAD ST,1,99,oddly,19107,421,Central\n' > bad.csv
	set +e; OUT=$("$BRAID" places load bad.csv 2>&1); set -e
	assert_contains "$OUT" "bad.csv:3:4"
	assert_contains "$OUT" "parity"
	OUT=$("$BRAID" places)
	assert_contains "$OUT" "no places loaded"
}

test_only_admin_or_steward_loads_and_denials_are_audited() {
	setup
	set +e; BRAID_USER=ann BRAID_KEY=$ANALYST_KEY "$BRAID" places load places.csv >/dev/null 2>&1; rc=$?; set -e
	[ "$rc" != 0 ] || fail "an analyst loaded places"
	OUT=$("$BRAID" audit show --user ann)
	assert_contains "$OUT" "places-load"
	assert_contains "$OUT" "deny"
	"$BRAID" places load places.csv >/dev/null
	OUT=$("$BRAID" audit show --user root)
	assert_contains "$OUT" "places-load"
}

test_ingest_geocodes_and_query_breaks_down_by_district() {
	setup
	"$BRAID" places load places.csv >/dev/null
	OUT=$("$BRAID" ingest visits visits.csv)
	assert_contains "$OUT" "geocoded 3 of 4 new records with an address (75.0%)"
	OUT=$("$BRAID" quality visits)
	assert_contains "$OUT" "geocoded: 3 of 4 records with an address (75.0%)"
	assert_eq "$(sqlite3 ws/braid.db 'SELECT group_concat(coalesce(district, "-"), ",") FROM (SELECT district FROM records ORDER BY row_no)')" "Central,Central,West,-"
	# Only geography and a keyed hash: no street in the analytic store.
	assert_eq "$(sqlite3 ws/braid.db "SELECT count(*) FROM records WHERE attrs LIKE '%BROAD%' OR tract LIKE '%BROAD%'")" "0"
	if strings ws/braid.db | grep -qi 'broad st [0-9]\|15 n'; then fail "an address reached braid.db"; fi
	BRAID_USER=lin BRAID_KEY=$LINKER_KEY "$BRAID" link >/dev/null
	sed -e 's/^id: .*/id: geo-check/' -e 's/^purposes: .*/purposes: [geo-check]/' \
	    -e 's/^use: .*/use: aggregate/' -e 's/^min_cell_size: .*/min_cell_size: 1/' \
	    -e 's/^  roles: .*/  users: [ann]/' -e '/^sources:/,/^use:/c\
sources:\
  visits: [visit, start, district, tract]\
use: aggregate' "$BRAID_ROOT/examples/city/queries/analytics-agreement.yaml" > geo.yaml
	"$BRAID" agreement add geo.yaml >/dev/null
	printf 'index event visit\ncount persons by district\n' > q.cohort
	OUT=$(BRAID_USER=ann BRAID_KEY=$ANALYST_KEY "$BRAID" query q.cohort --purpose geo-check --counts --format json)
	assert_eq "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], sorted((c["district"] or "", c["count"]) for c in d["by"]["district"]))')" \
		"4 [('', 1), ('Central', 2), ('West', 1)]"
}

test_geocode_fills_records_loaded_before_the_places() {
	setup
	OUT=$("$BRAID" ingest visits visits.csv)
	assert_not_contains "$OUT" "geocoded"
	"$BRAID" places load places.csv >/dev/null
	set +e; BRAID_USER=ann BRAID_KEY=$ANALYST_KEY "$BRAID" places geocode >/dev/null 2>&1; rc=$?; set -e
	[ "$rc" != 0 ] || fail "an analyst read the vault to geocode"
	OUT=$(BRAID_USER=lin BRAID_KEY=$LINKER_KEY "$BRAID" places geocode)
	assert_contains "$OUT" "4 records, 4 with an address, 3 geocoded"
	OUT=$("$BRAID" places)
	assert_contains "$OUT" "3 geocoded"
}

run_tests
