#!/usr/bin/env bash
# End to end: braid init → source add (spec and inline) → ingest a file with
# planted bad rows and values → rejects and quality say exactly what was
# planted; duplicate loads refused, --replace; kill -9 mid-load leaves the
# store as it was; no planted identifier in the store files or the output.
. "$(dirname "$0")/lib.sh"
FIX="$BRAID_ROOT/tests/e2e/fixtures"
export BRAID_TODAY=2024-06-30 BRAID_NO_PROGRESS=1
unset BRAID_DIR BRAID_KEY_FILE

setup() {
	"$BRAID" init ws >/dev/null
	"$BRAID" -C ws source add --spec "$FIX/people.yaml" >/dev/null
}

test_init_creates_workspace_and_refuses_reinit() {
	expect_exit 0 "$BRAID" init ws
	assert_contains "$OUT" "initialised braid workspace in ws"
	for f in braid.conf braid.db vault.db vault.key; do [ -f "ws/$f" ] || fail "no ws/$f"; done
	assert_eq "$(stat -c %a ws/vault.key)" 600
	assert_eq "$(stat -c %s ws/vault.key)" 32
	expect_exit 5 "$BRAID" init ws
	assert_contains "$OUT" "already a braid workspace"
	expect_exit 5 "$BRAID" -C ws init
}

test_key_file_from_environment() {
	BRAID_KEY_FILE="$PWD/elsewhere.key" "$BRAID" init ws >/dev/null
	[ -f elsewhere.key ] && [ ! -f ws/vault.key ] || fail "key not at BRAID_KEY_FILE"
	"$BRAID" -C ws sources >/dev/null   # braid.conf names the key's path
	mv elsewhere.key moved.key
	expect_exit 1 "$BRAID" -C ws sources
	assert_contains "$OUT" "cannot open vault key"
}

test_commands_outside_a_workspace_say_run_init() {
	for cmd in "sources" "source show x" "ingest x f.csv" "rejects x" "quality x"; do
		# shellcheck disable=SC2086
		expect_exit 4 "$BRAID" $cmd
		assert_contains "$OUT" "not a braid workspace: . (run 'braid init')"
	done
	mkdir d; BRAID_DIR=d expect_exit 4 "$BRAID" sources
	assert_contains "$OUT" "not a braid workspace: d"
}

test_every_command_has_help() {
	for cmd in init source sources ingest rejects quality; do
		expect_exit 0 "$BRAID" "$cmd" --help
		assert_contains "$OUT" "usage: braid $cmd"
	done
}

test_source_add_spec_show_and_list() {
	setup
	expect_exit 5 "$BRAID" -C ws source add --spec "$FIX/people.yaml"
	assert_contains "$OUT" "source 'people' already exists"
	expect_exit 0 "$BRAID" -C ws source show people
	assert_contains "$OUT" "regime: HIPAA"
	assert_contains "$OUT" 'dob: {column: "DOB", format: "%m/%d/%Y", missing: ["", "99/99/9999"]}'
	# What show prints is a spec that can be added again under another name.
	printf '%s\n' "$OUT" | sed 's/^source: people$/source: people_copy/' > copy.yaml
	expect_exit 0 "$BRAID" -C ws source add --spec copy.yaml
	expect_exit 0 "$BRAID" -C ws sources
	assert_contains "$OUT" "people_copy"
	expect_exit 0 "$BRAID" -C ws sources --format json
	assert_contains "$OUT" '"name": "people"'
	expect_exit 4 "$BRAID" -C ws source show nope
	assert_contains "$OUT" "no source named 'nope'"
}

test_source_add_inline() {
	"$BRAID" init ws >/dev/null
	expect_exit 0 "$BRAID" -C ws source add shelter --id CID --field full_name=NAME \
		--field dob=DOB:%m/%d/%Y --rows event --event shelter_stay --start IN:%m/%d/%Y \
		--end OUT:%m/%d/%Y --attr bed=BED
	expect_exit 0 "$BRAID" -C ws source show shelter
	assert_contains "$OUT" 'start: {column: "IN", format: "%m/%d/%Y"}'
	assert_contains "$OUT" '"bed": "BED"'
	printf 'CID,NAME,DOB,IN,OUT,BED\nA1,"Garcia, Jose",05/06/1970,01/02/2020,01/05/2020,4\nA1,"Garcia, Jose",05/06/1970,03/02/2020,,5\nB2,Ann Lee,,13/45/2020,,\n' > s.csv
	expect_exit 0 "$BRAID" -C ws ingest shelter s.csv
	assert_contains "$OUT" "3 rows read = 3 loaded + 0 rejected; 1 values flagged; 2 new records, 3 events"
	expect_exit 0 "$BRAID" -C ws quality shelter
	assert_contains "$OUT" "shelter_stay"
	expect_exit 2 "$BRAID" -C ws source add x --field fist_name=F
	assert_contains "$OUT" "unknown standard field 'fist_name' (did you mean 'first_name'?)"
}

test_spec_errors_name_file_line_column() {
	"$BRAID" init ws >/dev/null
	expect_exit 3 "$BRAID" -C ws source add --spec "$FIX/bad_spec.yaml"
	assert_contains "$OUT" "bad_spec.yaml:5:3: unknown standard field 'lastname' (did you mean 'last_name'?)"
	printf 'source: a\nfields:\n  dob: {column: D\n' > broken.yaml
	expect_exit 3 "$BRAID" -C ws source add --spec broken.yaml
	assert_contains "$OUT" "broken.yaml:"
	assert_contains "$OUT" "YAML:"
}

test_ingest_planted_rows_rejects_and_quality_exact() {
	setup
	cp "$FIX/people.csv" p.csv
	expect_exit 0 "$BRAID" -C ws ingest people p.csv
	assert_eq "$OUT" "people: 1 file, 10 rows read = 5 loaded + 5 rejected; 8 values flagged; 5 new records, 0 events"
	expect_exit 0 "$BRAID" -C ws rejects people
	assert_eq "$OUT" "p.csv:5:1: missing record id
p.csv:6: wrong number of columns: expected 10, got 3
p.csv:10:16: malformed CSV: text after the closing quote; expected the delimiter or the end of the line
p.csv:11:10: invalid UTF-8
p.csv:7:1: duplicate record id"
	expect_exit 0 "$BRAID" -C ws rejects people --format json
	assert_contains "$OUT" '"reason": "duplicate record id"'
	assert_not_contains "$OUT" "Duplicate"
	expect_exit 0 "$BRAID" -C ws rejects people --raw
	assert_contains "$OUT" "P001, Duplicate, Personwicz"
	expect_exit 0 "$BRAID" -C ws quality people --json
	q=$OUT
	python3 - "$q" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
f = {x["field"]: x for x in r["fields"]}
def eq(a, b, what):
    if a != b:
        sys.exit("%s: got %r, expected %r" % (what, a, b))
eq((r["rows_read"], r["rows_loaded"], r["rows_rejected"], r["values_flagged"]), (10, 5, 5, 8), "counts")
eq(r["rows_read"], r["rows_loaded"] + r["rows_rejected"], "read = loaded + rejected")
eq({k: (v["present"], v["invalid"]) for k, v in f.items()},
   {"first_name": (5, 0), "last_name": (5, 0), "dob": (4, 3), "sex": (5, 0), "ssn": (5, 2),
    "city": (5, 0), "zip": (5, 1), "phone": (5, 1), "race": (5, 1)}, "present/invalid")
eq(sum(v["invalid"] for v in f.values()), r["values_flagged"], "flags add up")
eq(f["race"]["top"], [{"value": "white", "count": 2}, {"value": "asian", "count": 1},
                      {"value": "black", "count": 1}], "race top")
eq(f["zip"]["distinct"], 2, "zip distinct")
eq(f["ssn"]["distinct"], 3, "ssn distinct")
for k in ("first_name", "last_name", "dob", "ssn", "phone"):
    if "top" in f[k]:
        sys.exit("identifier field %s shows values" % k)
eq(sorted((x["reason"], x["count"]) for x in r["rejects"]),
   [("duplicate record id", 1), ("invalid UTF-8", 1),
    ("malformed CSV: text after the closing quote; expected the delimiter or the end of the line", 1),
    ("missing record id", 1), ("wrong number of columns: expected 10, got 3", 1)], "rejects")
PY
	expect_exit 0 "$BRAID" -C ws quality people
	assert_contains "$OUT" "(identifier: values not shown)"
}

test_second_load_refused_and_replace_works() {
	setup
	cp "$FIX/people.csv" p.csv
	"$BRAID" -C ws ingest people p.csv >/dev/null
	cp p.csv same-content.csv
	expect_exit 5 "$BRAID" -C ws ingest people same-content.csv
	assert_contains "$OUT" "already loaded into 'people'"
	assert_contains "$OUT" "--replace"
	expect_exit 0 "$BRAID" -C ws ingest people same-content.csv --replace
	assert_contains "$OUT" "10 rows read = 5 loaded + 5 rejected"
	assert_contains "$OUT" "replaced an earlier load"
	expect_exit 0 "$BRAID" -C ws sources --format json
	python3 -c 'import json,sys; s=json.loads(sys.argv[1])[0]; assert (s["records"],s["batches"],s["rejects"])==(5,1,5), s' "$OUT" || fail "counts after replace: $OUT"
}

test_missing_column_names_column_and_file() {
	setup
	printf 'CLIENT_ID, FIRST, LAST, DOB, SEX, SSN, PHONE, RACE, CITY\nX1,a,b,,,,,,\n' > nozip.csv
	expect_exit 3 "$BRAID" -C ws ingest people nozip.csv
	assert_contains "$OUT" "nozip.csv:1: column 'ZIP' (for zip) is not in the header"
	expect_exit 0 "$BRAID" -C ws sources
	assert_contains "$OUT" "people                        0        0        0"
}

test_delimiter_and_no_trim() {
	setup
	sed 's/, /;/g' "$FIX/people.csv" | head -4 > semi.csv
	expect_exit 0 "$BRAID" -C ws ingest people semi.csv --delimiter ';'
	assert_contains "$OUT" "3 rows read = 3 loaded + 0 rejected"
	head -3 "$FIX/people.csv" > spaced.csv
	expect_exit 3 "$BRAID" -C ws ingest people spaced.csv --no-trim
	assert_contains "$OUT" "column 'FIRST' (for first_name) is not in the header"
}

test_no_planted_identifier_in_store_files_or_output() {
	setup
	cp "$FIX/people.csv" p.csv
	log=$("$BRAID" -C ws ingest people p.csv 2>&1; "$BRAID" -C ws rejects people 2>&1;
	      "$BRAID" -C ws quality people 2>&1; "$BRAID" -C ws quality people --json 2>&1;
	      "$BRAID" -C ws sources 2>&1; "$BRAID" -C ws ingest people p.csv 2>&1 || true)
	for v in Quentin QUENTIN Xylophonewicz XYLOPHONEWICZ Quartermaine QUARTERMAINE \
		 Vandersnoot VANDERSNOOT Noidentifier Personwicz PERSONWICZ Brumblebee \
		 219-44-7788 219447788 219447790 215-555-0100 2155550100 1980-03-04 03/04/1980 P001 P007; do
		assert_not_contains "$log" "$v"
		if grep -aqi -- "$v" ws/braid.db ws/vault.db; then fail "'$v' in store files"; fi
	done
	ls ws | grep -q journal && fail "journal left behind" || true
}

test_kill_9_mid_load_leaves_store_as_it_was() {
	"$BRAID" init ws >/dev/null
	"$BRAID" -C ws source add --spec "$BRAID_ROOT/bench/people.yaml" >/dev/null
	python3 "$BRAID_ROOT/bench/gen_people.py" 400000 big.csv 7
	head -101 big.csv > first.csv
	"$BRAID" -C ws ingest people first.csv >/dev/null
	before=$("$BRAID" -C ws sources --format json)
	"$BRAID" -C ws ingest people big.csv >/dev/null 2>&1 &
	pid=$!
	# Wait until the load has spilled rows into both files, then kill it.
	for _ in $(seq 1 600); do
		[ -e ws/braid.db-journal ] && [ "$(stat -c %s ws/vault.db)" -gt 4000000 ] && break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null || fail "the load finished before it could be killed"
	[ "$(stat -c %s ws/vault.db)" -gt 4000000 ] || fail "the load never reached the files"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	after=$("$BRAID" -C ws sources --format json)
	assert_eq "$after" "$before"
	assert_eq "$(sqlite3 ws/braid.db 'PRAGMA integrity_check')" ok
	assert_eq "$(sqlite3 ws/vault.db 'PRAGMA integrity_check')" ok
	assert_eq "$(sqlite3 ws/vault.db 'SELECT count(*) FROM identities')" 100
	assert_eq "$(sqlite3 ws/braid.db 'SELECT count(*) FROM records')" 100
	# The store still works: a part of the killed file loads now.
	{ head -1 big.csv; sed -n 1002,2001p big.csv; } > second.csv
	expect_exit 0 "$BRAID" -C ws ingest people second.csv
	assert_contains "$OUT" "1000 rows read"
}

run_tests
