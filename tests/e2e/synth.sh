#!/usr/bin/env bash
# braid synth end to end: options, determinism (same seed = same bytes),
# the committed example city is what the binary generates, and the
# independent checker (synth_check.py) agrees with the truth files, the
# configured error rates and duplicate counts, and every planted fact.
. "$(dirname "$0")/lib.sh"
CHECK="$BRAID_ROOT/tests/e2e/synth_check.py"

city_sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum; }

test_help_lists_options() {
	expect_exit 0 "$BRAID" synth --help
	assert_contains "$OUT" "--people N"
	assert_contains "$OUT" "--error-scale X"
}

test_usage_errors_exit_2() {
	expect_exit 2 "$BRAID" synth --people 100
	assert_contains "$OUT" "--out DIR is required"
	expect_exit 2 "$BRAID" synth --out x --years 2016
	expect_exit 2 "$BRAID" synth --out x --people many
	expect_exit 2 "$BRAID" synth --out x --frobnicate 1
	expect_exit 2 "$BRAID" synth --out x --people 5
}

test_same_seed_same_bytes() {
	"$BRAID" synth --people 1500 --seed 11 --out a >/dev/null
	"$BRAID" synth --people 1500 --seed 11 --out b >/dev/null
	"$BRAID" synth --people 1500 --seed 12 --out c >/dev/null
	assert_eq "$(city_sum a)" "$(city_sum b)" "(same seed)"
	[ "$(city_sum a)" != "$(city_sum c)" ] || fail "another seed gave the same city"
}

test_writes_every_source_spec_and_truth() {
	OUT=$("$BRAID" synth --people 800 --out d)
	assert_contains "$OUT" "13 sources"
	for s in jail hmis bh_claims school dhs liheap water tap child_welfare births wages cbo childcare; do
		[ -s "d/sources/$s.csv" ] || fail "no sources/$s.csv"
		[ -s "d/specs/$s.yaml" ] || fail "no specs/$s.yaml"
	done
	for t in persons.csv households.csv people.csv addresses.csv facts.json errors.json; do
		[ -s "d/truth/$t" ] || fail "no truth/$t"
	done
	assert_eq "$(head -1 d/reference/places.csv)" "street,from,to,parity,zip5,tract,district"
	[ -s d/README.md ] || fail "no README.md"
	assert_eq "$(head -1 d/truth/persons.csv)" "source,record_id,entity"
	grep -q '^kind: site' d/specs/childcare.yaml || fail "childcare is not a site"
	grep -q '^kind: account' d/specs/water.yaml || fail "water is not an account source"
	# piped: no progress escapes on stderr
	"$BRAID" synth --people 300 --out e 2>err >/dev/null
	[ ! -s err ] || fail "progress written while piped: $(head -c 100 err)"
}

test_json_summary() {
	OUT=$("$BRAID" synth --people 500 --out j --format json)
	printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["people"]>=500 and d["sources"]["water"]["records"]>0' ||
		fail "bad json summary: $OUT"
}

test_example_city_is_what_the_binary_generates() {
	"$BRAID" synth --people 3000 --seed 1 --out ex >/dev/null
	# examples/city also holds other people's queries and rules: compare
	# only what synth writes.
	for p in sources specs truth reference README.md; do
		diff -r "ex/$p" "$BRAID_ROOT/examples/city/$p" >/dev/null ||
			fail "examples/city/$p differs from 'braid synth --people 3000 --seed 1 --out examples/city': regenerate it (without deleting the folder)"
	done
}

test_example_city_passes_the_independent_check() {
	OUT=$(python3 "$CHECK" "$BRAID_ROOT/examples/city") || fail "$(printf '%s\n' "$OUT" | grep FAIL)"
	assert_contains "$OUT" "ok   facts: allegheny_cohort"
	assert_contains "$OUT" "ok   facts: water_assistance_gap"
	assert_contains "$OUT" "ok   places: water:"
	assert_not_contains "$OUT" "FAIL"
}

test_error_scale_moves_the_rates_within_bounds() {
	"$BRAID" synth --people 4000 --seed 3 --error-scale 2.5 --out hi >/dev/null
	OUT=$(python3 "$CHECK" hi) || fail "$(printf '%s\n' "$OUT" | grep FAIL)"
	"$BRAID" synth --people 2000 --seed 3 --error-scale 0 --out clean >/dev/null
	OUT=$(python3 "$CHECK" clean) || fail "$(printf '%s\n' "$OUT" | grep FAIL)"
	assert_contains "$OUT" "errors: jail.first_name: 0.0000"
	assert_contains "$OUT" "duplicates: dhs: 0 of"
}

test_reentry_evaluation_recovers_the_planted_effect() {
	"$BRAID" synth --people 25000 --seed 5 --out big >/dev/null
	OUT=$(python3 "$CHECK" big --effect-tolerance 0.07) || fail "$(printf '%s\n' "$OUT" | grep FAIL)"
	assert_contains "$OUT" "recovers the planted effect"
}

test_specs_register_and_load_without_rejects() {
	"$BRAID" --help 2>&1 | grep -q '^  ingest ' || { echo "  (no ingest command yet)"; return 0; }
	"$BRAID" synth --people 600 --seed 2 --out city >/dev/null
	mkdir ws && cd ws
	"$BRAID" init >/dev/null 2>&1
	for s in ../city/specs/*.yaml; do
		expect_exit 0 "$BRAID" source add --spec "$s"
	done
	for f in ../city/sources/*.csv; do
		expect_exit 0 "$BRAID" ingest "$(basename "$f" .csv)" "$f"
		assert_contains "$OUT" "+ 0 rejected"
	done
}

run_tests
