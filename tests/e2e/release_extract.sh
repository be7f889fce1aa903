#!/usr/bin/env bash
# braid release --extract end to end on the demo city (examples/city):
# a de-identified row extract of the people booked into jail, under an
# agreement permitting deidentified-row use.  Checked independently in
# python3 on the written file: k-anonymity over the quasi-identifiers,
# l-diversity of the sensitive column, no person ids, ZIP3 shown only where
# the population exceeds 20,000 (from the store, recounted here with
# sqlite3, or from a census file), years only; refused, leaving nothing,
# under an aggregate-only agreement.
. "$(dirname "$0")/lib.sh"

CITY="$BRAID_ROOT/examples/city"
CACHE=$(mktemp -d /tmp/braid-e2e-release-extract-XXXXXX)
trap 'rm -rf "$CACHE"' EXIT
build_cache() {
	cd "$CACHE"
	export BRAID_KEY_FILE="$CACHE/vault.key"
	local out; out=$(BRAID_USER=root "$BRAID" init ws)
	export BRAID_DIR="$CACHE/ws"
	local ak; ak=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
	export BRAID_USER=root BRAID_KEY=$ak
	local lk nk
	lk=$("$BRAID" user add lin --role linker 2>/dev/null)
	nk=$("$BRAID" user add ann --role analyst 2>/dev/null)
	for spec in "$CITY"/specs/*.yaml; do
		local name; name=$(basename "$spec" .yaml)
		"$BRAID" source add --spec "$spec" >/dev/null
		"$BRAID" ingest "$name" "$CITY/sources/$name.csv" >/dev/null
	done
	sed -e 's/^id: .*/id: city-deid-2026/' -e 's/^use: .*/use: deidentified-row/' \
		"$CITY/queries/analytics-agreement.yaml" > deid.yaml
	sed -e 's/^id: .*/id: city-agg-2026/' -e 's/^use: .*/use: aggregate/' \
		"$CITY/queries/analytics-agreement.yaml" > agg.yaml
	"$BRAID" agreement add deid.yaml >/dev/null
	"$BRAID" agreement add agg.yaml >/dev/null
	BRAID_USER=lin BRAID_KEY=$lk "$BRAID" link >/dev/null
	printf 'index event jail_booking\ncount persons by age, sex, race, zip\n' > booked.cohort
	printf 'AK=%s\nNK=%s\n' "$ak" "$nk" > keys
	cd - >/dev/null
}
(build_cache) || { echo "FAIL e2e/release_extract:setup"; exit 0; }

use_ws() {
	cp -r "$CACHE/ws" ws
	cp "$CACHE/vault.key" "$CACHE/booked.cohort" .
	export BRAID_KEY_FILE="$PWD/vault.key" BRAID_DIR="$PWD/ws"
	. "$CACHE/keys"
	export BRAID_USER=ann BRAID_KEY=$NK
}
extract() { "$BRAID" release booked.cohort --extract --purpose city-analytics "$@"; }

# check.py DIR K L QUASI SENSITIVE: k and l recounted on DIR/extract.csv;
# the manifest's risk report agrees with the file.
cat > "$CACHE/check.py" <<'PY'
import csv, json, re, sys, os
d, k, l = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
quasi = sys.argv[4].split(",")
sens = sys.argv[5] if len(sys.argv) > 5 else ""
rows = list(csv.DictReader(open(os.path.join(d, "extract.csv"))))
assert rows, "empty extract"
assert "person_id" not in rows[0], "person ids in the extract"
classes = {}
for r in rows:
    classes.setdefault(tuple(r[q] for q in quasi), []).append(r)
small = [len(v) for v in classes.values() if len(v) < k]
assert not small, "k-anonymity broken: classes of %s" % small
if sens:
    worst = min(len({r[sens] for r in v}) for v in classes.values())
    assert worst >= l, "l-diversity broken: a class with %d values of %s" % (worst, sens)
for r in rows:
    assert re.fullmatch(r"\d{4}|\*", r["index_year"]), r["index_year"]
    assert not re.search(r"\d{4}-\d\d-\d\d", ",".join(r.values())), "a full date"
    assert re.fullmatch(r"\d{3}|\*", r["zip"]), "ZIP not cut to 3 digits: " + r["zip"]
man = json.load(open(os.path.join(d, "manifest.json")))
x = man["methods"]["row_extract"]
assert x["k"] == k and x["l"] == l, x
assert x["risk"]["rows_out"] == len(rows), (x["risk"], len(rows))
assert x["risk"]["min_class"] == min(len(v) for v in classes.values()), x["risk"]
assert man["use"] == "deidentified-row" and man["copy"] == "public"
print("classes", len(classes), "smallest", min(len(v) for v in classes.values()))
PY

test_extract_is_k_anonymous_on_the_written_file() {
	use_ws
	OUT=$(extract --agreement city-deid-2026 --out x1)
	assert_contains "$OUT" "k = 11"
	python3 "$CACHE/check.py" x1 11 0 index_year,age_band,sex,race,zip || fail "check x1"
	# no pseudonymous person id of the store is in the file
	python3 - <<'PY' || fail "a person id leaked"
import sqlite3
ids = [r[0] for r in sqlite3.connect("ws/braid.db").execute("SELECT person_id FROM person")]
text = open("x1/extract.csv").read()
assert ids and not any(i in text for i in ids)
PY
	# The store's people by ZIP3 (recounted here) are all <= 20,000: the
	# demo city is small, so every ZIP3 is "000" (or suppressed).
	python3 - <<'PY' || fail "zip3 from the store"
import csv, sqlite3
db = sqlite3.connect("ws/braid.db")
pop = dict(db.execute("SELECT substr(r.zip5,1,3), COUNT(DISTINCT p.person_id) FROM records r "
                      "JOIN person_record p ON p.record_key = r.record_key WHERE length(r.zip5) >= 5 GROUP BY 1"))
assert pop and max(pop.values()) <= 20000, pop
for r in csv.DictReader(open("x1/extract.csv")):
    assert r["zip"] in ("000", "*"), r["zip"]
PY
}

test_census_zip3_and_l_diversity() {
	use_ws
	printf 'zip3,population\n191,1526006\n190,20000\n' > zip3.csv
	extract --agreement city-deid-2026 --out x2 --zip3-population zip3.csv \
		--quasi index_year,age_band,sex,zip --sensitive race >/dev/null
	python3 "$CACHE/check.py" x2 11 2 index_year,age_band,sex,zip race || fail "check x2"
	grep -q ',191$' x2/extract.csv || fail "ZIP3 191 (1.5 M people) not kept"
	grep -q '"zip3_population_source": "census file"' x2/manifest.json || fail "population source not named"
	# the agreement's terms raise k
	BRAID_USER=root BRAID_KEY=$AK "$BRAID" releases --set-terms city-deid-2026 k 25 >/dev/null
	extract --agreement city-deid-2026 --out x3 --zip3-population zip3.csv >/dev/null
	python3 "$CACHE/check.py" x3 25 0 index_year,age_band,sex,race,zip || fail "check x3"
}

test_extract_refused_without_deidentified_row_use() {
	use_ws
	expect_exit 6 extract --agreement city-agg-2026 --out x4
	assert_contains "$OUT" "deidentified-row"
	[ ! -e x4 ] || fail "a refused extract left its directory"
	expect_exit 2 extract --agreement city-deid-2026 --out x5 --quasi nosuch
	assert_contains "$OUT" "--quasi"
	[ ! -e x5 ] || fail "a failed extract left its directory"
}

run_tests
