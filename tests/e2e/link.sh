#!/usr/bin/env bash
# End to end: ingest a public linkage test set, link it, and check the person
# index: accuracy against its truth, ids stable across re-links, history,
# export, and that only a linker may run it.
. "$(dirname "$0")/lib.sh"

FEBRL="$BRAID_SHARED_DATA/linkage/febrl/dataset1.csv"

# setup: workspace ws with admin root and linker lin (exports BRAID_USER=lin)
setup() {
	export BRAID_KEY_FILE="$PWD/vault.key"
	local out; out=$(BRAID_USER=root "$BRAID" init ws)
	export BRAID_DIR="$PWD/ws"
	ADMIN_KEY=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
	LINKER_KEY=$(BRAID_USER=root BRAID_KEY=$ADMIN_KEY "$BRAID" user add lin --role linker 2>/dev/null)
	ANALYST_KEY=$(BRAID_USER=root BRAID_KEY=$ADMIN_KEY "$BRAID" user add ann --role analyst 2>/dev/null)
	export BRAID_USER=root BRAID_KEY=$ADMIN_KEY
	"$BRAID" source add febrl --id rec_id --field first_name=given_name --field last_name=surname \
		--field street_number=street_number --field street_name=address_1 --field city=suburb \
		--field zip=postcode --field state=state --field dob=date_of_birth:%Y%m%d \
		--field other_id=soc_sec_id >/dev/null
	python3 - "$FEBRL" > head.csv <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
print("\n".join(lines[:601]))
PY
	python3 - "$FEBRL" > tail.csv <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
print("\n".join([lines[0]] + lines[601:]))
PY
	python3 - "$FEBRL" > truth.csv <<'PY'
import csv, sys
r = csv.reader(open(sys.argv[1])); next(r)
print("source,record_id,entity")
for row in r:
    rid = row[0].strip(); print("febrl,%s,%s" % (rid, rid.split("-")[1]))
PY
	export BRAID_USER=lin BRAID_KEY=$LINKER_KEY
}

test_link_febrl1_matches_truth() {
	setup
	"$BRAID" ingest febrl "$FEBRL" >/dev/null
	OUT=$("$BRAID" link)
	assert_contains "$OUT" "linked 1000 records"
	OUT=$("$BRAID" eval --truth truth.csv --format json)
	f1=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["f1"])')
	python3 -c "import sys; sys.exit(0 if $f1 >= 0.99 else 1)" || fail "F1 $f1 < 0.99"
}

test_person_ids_survive_a_relink() {
	setup
	"$BRAID" ingest febrl "$FEBRL" >/dev/null
	"$BRAID" link >/dev/null
	"$BRAID" export persons --out before.csv 2>/dev/null
	OUT=$("$BRAID" link --format json)
	unchanged=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["unchanged"] == d["persons"] and d["created"] == 0)')
	assert_eq "$unchanged" "True" "(every person unchanged after an identical re-link)"
	"$BRAID" export persons --out after.csv 2>/dev/null
	cmp -s before.csv after.csv || fail "person ids changed across an identical re-link"
	assert_eq "$(wc -l < after.csv)" "1001"
}

test_new_records_keep_earlier_ids() {
	setup
	"$BRAID" ingest febrl head.csv >/dev/null
	"$BRAID" link >/dev/null
	"$BRAID" export persons --out first.csv 2>/dev/null
	"$BRAID" ingest febrl tail.csv >/dev/null
	"$BRAID" link >/dev/null
	"$BRAID" export persons --out second.csv 2>/dev/null
	# every record of the first load whose person gained no record from the
	# second load keeps its id; and all records of a true person share one id
	python3 - first.csv second.csv <<'PY' || exit 1
import csv, sys
a = {r["record_id"]: r["person_id"] for r in csv.DictReader(open(sys.argv[1]))}
b = {r["record_id"]: r["person_id"] for r in csv.DictReader(open(sys.argv[2]))}
kept = sum(1 for k in a if a[k] == b[k])
assert kept >= 0.98 * len(a), "only %d of %d kept their id" % (kept, len(a))
ent = {}
for k, p in b.items():
    ent.setdefault(k.split("-")[1], set()).add(p)
split = sum(1 for s in ent.values() if len(s) > 1)
assert split <= 5, "%d true persons split" % split
PY
	pid=$(sed -n 2p second.csv | cut -d, -f3)
	OUT=$("$BRAID" person history "$pid")
	assert_contains "$OUT" "created"
}

test_only_a_linker_may_link() {
	setup
	"$BRAID" ingest febrl "$FEBRL" >/dev/null
	expect_exit 6 env BRAID_USER=ann BRAID_KEY="$ANALYST_KEY" "$BRAID" link
	assert_contains "$OUT" "may not read identifiers"
	expect_exit 6 env BRAID_USER=ann BRAID_KEY="$ANALYST_KEY" "$BRAID" export persons
	OUT=$(BRAID_USER=root BRAID_KEY=$ADMIN_KEY "$BRAID" audit show)
	assert_contains "$OUT" "link"
}

test_plan_lists_rules_before_running() {
	setup
	"$BRAID" ingest febrl "$FEBRL" >/dev/null
	OUT=$("$BRAID" link --plan)
	assert_contains "$OUT" "dob"
	assert_contains "$OUT" "estimated pairs"
	expect_exit 4 "$BRAID" model show
	assert_contains "$OUT" "no model yet"
}

test_eval_rejects_a_malformed_truth_file() {
	setup
	printf 'a,b\n1,2\n' > bad.csv
	expect_exit 3 "$BRAID" eval --truth bad.csv
	assert_contains "$OUT" "bad.csv:1:1"
}

run_tests
