#!/usr/bin/env bash
# braid release end to end on a small workspace built here: a jail source
# of ~280 people with planted names (generated below with known counts by
# race and ZIP, including small cells), ingested, linked by a linker, and
# an aggregate agreement covering a CBO user.  Checks, recomputing from the
# CSV in python3: every published count is the true count of people; every
# suppressed cell is below the minimum cell size or a complement; no row,
# column or grand total minus the published cells gives a suppressed cell
# back (nor the union of two releases: the ledger); the epsilon budget
# refuses once spent; a user without an agreement is denied and audited;
# no planted name appears in the output.
. "$(dirname "$0")/lib.sh"

# Counts of people by race (rows) and ZIP (columns).  19107 has 4 people
# (a small ZIP); several race x ZIP cells are below 11.
gen_people() {
	python3 - <<'PY'
import random
random.seed(7)
zips = ["19101", "19102", "19103", "19104", "19105", "19106", "19107"]
grid = {"W": [15, 14, 13, 20, 12, 3, 2],
        "B": [14, 16, 12, 2, 15, 13, 2],
        "A": [5, 12, 13, 14, 12, 11, 0],
        "O": [12, 12, 4, 11, 13, 12, 0]}
syl = ["zor", "vath", "quil", "mex", "trab", "nold", "fyn", "grish", "pell", "xan", "dru", "kov"]
used = set()
def name():
    while True:
        n = "".join(random.choice(syl) for _ in range(3)).capitalize()
        if n not in used:
            used.add(n); return n
out = open("jail.csv", "w")
names = open("names.txt", "w")
out.write("PID,FIRST,LAST,DOB,SEX,RACE,ZIP,BOOK_DATE\n")
pid = 1000
for race, row in grid.items():
    for z, n in zip(zips, row):
        for _ in range(n):
            pid += 1
            f, l = name(), name()
            dob = "%02d/%02d/%d" % (random.randint(1, 12), random.randint(1, 28), random.randint(1950, 2004))
            out.write("%d,%s,%s,%s,%s,%s,%s,03/%02d/2024\n" % (pid, f, l, dob, random.choice("MF"), race, z, random.randint(1, 28)))
            names.write(f + "\n" + l + "\n")
PY
}

CACHE=$(mktemp -d /tmp/braid-e2e-release-XXXXXX)
trap 'rm -rf "$CACHE"' EXIT
build_cache() {
	cd "$CACHE"
	export BRAID_KEY_FILE="$CACHE/vault.key"
	local out; out=$(BRAID_USER=root "$BRAID" init ws)
	export BRAID_DIR="$CACHE/ws"
	local ak; ak=$(printf '%s\n' "$out" | sed -n 's/^BRAID_KEY=//p')
	export BRAID_USER=root BRAID_KEY=$ak
	local lk ck nk
	lk=$("$BRAID" user add lin --role linker 2>/dev/null)
	ck=$("$BRAID" user add cbo1 --role cbo --org "Kensington Community Board" 2>/dev/null)
	nk=$("$BRAID" user add nobody --role cbo 2>/dev/null)
	gen_people
	cat > jail.yaml <<'YAML'
source: jail
title: County jail bookings (release test)
steward: Department of Prisons
regime: CJIS
kind: person
id: PID
rows: event
fields:
  first_name: FIRST
  last_name: LAST
  dob: {column: DOB, format: "%m/%d/%Y"}
  sex: SEX
  race: {column: RACE, map: {W: white, B: black, A: asian, O: other}}
  zip: ZIP
events:
  - type: jail_booking
    start: {column: BOOK_DATE, format: "%m/%d/%Y"}
YAML
	"$BRAID" source add --spec jail.yaml >/dev/null
	"$BRAID" ingest jail jail.csv >/dev/null
	cat > ag.yaml <<'YAML'
id: kensington-aggregate
title: Jail bookings by neighbourhood for the Kensington community board
status: active
parties: [Department of Prisons, Kensington Community Board]
purposes: [community-report]
legal_basis:
  - regime: CJIS
    citation: "test agreement"
sources:
  jail: [jail_booking, start, race, zip]
use: aggregate
covers:
  users: [cbo1]
min_cell_size: 11
start: 2026-01-01
end: 2027-12-31
destruction:
  what: [exports]
  within_days: 30
summary: >
  Counts of people booked into jail by race and ZIP, cells under 11
  suppressed.
YAML
	"$BRAID" agreement add ag.yaml >/dev/null
	sed -e 's/^id: .*/id: kensington-small3/' -e 's/^min_cell_size: .*/min_cell_size: 3/' ag.yaml > ag3.yaml
	"$BRAID" agreement add ag3.yaml >/dev/null
	BRAID_USER=lin BRAID_KEY=$lk "$BRAID" link >/dev/null
	printf 'index event jail_booking\ncount persons by race, zip\n' > by_race_zip.cohort
	printf '# the same cohort, by ZIP only\nindex event jail_booking\ncount persons by zip\n' > by_zip.cohort
	printf 'index event jail_booking\ncount persons by race\n' > by_race.cohort
	printf 'index event jail_booking\ncount persons\n' > all.cohort
	# the same query with one more filter: everyone but 19107's 4 people
	printf 'index event jail_booking\nwhere zip in ("19101", "19102", "19103", "19104", "19105", "19106")\ncount persons\n' > most.cohort
	printf 'index event jail_booking\nwhere race = "white"\ncount persons by zip\n' > white_by_zip.cohort
	printf 'AK=%s\nCK=%s\nNK=%s\n' "$ak" "$ck" "$nk" > keys
	cd - >/dev/null
}
(build_cache) || { echo "FAIL e2e/release:setup"; exit 0; }

use_ws() { # a copy of the cached workspace, acting as cbo1
	cp -r "$CACHE/ws" ws
	cp "$CACHE/vault.key" "$CACHE"/*.cohort "$CACHE/jail.csv" "$CACHE/names.txt" .
	export BRAID_KEY_FILE="$PWD/vault.key" BRAID_DIR="$PWD/ws"
	. "$CACHE/keys"
	export BRAID_USER=cbo1 BRAID_KEY=$CK
}
release() { "$BRAID" release "$@" --agreement kensington-aggregate --purpose community-report; }

# check.py DIR...: the releases in DIR..., in order, against jail.csv.
# Exits non-zero when a published count is wrong, a suppression has no
# reason, or a cell below its release's minimum can be worked out from
# everything published (all the releases together, peeling every sum
# relation a reader knows).
cat > "$CACHE/check.py" <<'PY'
import csv, json, sys, os
races = {"W": "white", "B": "black", "A": "asian", "O": "other"}
people = list(csv.DictReader(open("jail.csv")))
def true(dims):
    c = {}
    for p in people:
        k = tuple(races[p["RACE"]] if d == "race" else p["ZIP"] for d in dims)
        c[k] = c.get(k, 0) + 1
    return c
def cid(**kw): return tuple(sorted(kw.items()))
zips = sorted({p["ZIP"] for p in people}); rs = sorted(set(races.values()))
value = {}   # true value of every cell a release mentions
known = {}   # published (exact) values, over all releases
targets = set()  # cells suppressed as too small in some release
for d in sys.argv[1:]:
    man = json.load(open(os.path.join(d, "manifest.json")))
    assert man["copy"] == "public"
    MIN = man["methods"]["primary_suppression"]["min_cell"]
    for f in man["files"]:
        if f["name"] == "cells.csv":
            continue
        rows = list(csv.reader(open(os.path.join(d, f["name"]))))
        dims = rows[0][:-2]
        t = true(dims)
        nsup = sum(1 for r in rows[1:] if r[-1] == "suppressed")
        for r in rows[1:]:
            keys = dict(zip(dims, r[:-2]))
            cell = cid(**{k: v for k, v in keys.items() if v != "*"})
            sel = [x for x in dims if keys[x] != "*"]
            want = sum(v for k, v in t.items() if all(k[dims.index(x)] == keys[x] for x in sel))
            value[cell] = want
            if r[-1] == "suppressed":
                assert r[-2] == "", "a suppressed cell has a value: %r" % r
                if want < MIN:
                    targets.add(cell)
                else:  # a complement: it protects another suppressed cell
                    assert nsup >= 2, "%s: suppressed %r (%d) is neither small nor a complement" % (d, cell, want)
            elif "noisy" not in r[-1]:
                assert int(r[-2]) == want, "%s %r: published %s, true %d" % (d, cell, r[-2], want)
                assert want >= MIN, "%s: %r = %d published below min cell %d" % (d, cell, want, MIN)
                known[cell] = want
rels = [((), [cid(race=r) for r in rs]), ((), [cid(zip=z) for z in zips])]
rels += [(cid(race=r), [cid(race=r, zip=z) for z in zips]) for r in rs]
rels += [(cid(zip=z), [cid(race=r, zip=z) for r in rs]) for z in zips]
changed = True
while changed:
    changed = False
    for tot, parts in rels:
        cells = [tot] + parts
        unknown = [c for c in cells if c not in known]
        if len(unknown) == 1 and unknown[0] in value:
            known[unknown[0]] = value[unknown[0]]
            changed = True
bad = sorted(targets & set(known))
assert not bad, "small suppressed cells recoverable: %r" % bad
print("ok", len(known), "known", len(targets), "protected")
PY

test_release_suppresses_and_nothing_is_recoverable() {
	use_ws
	OUT=$(release by_race_zip.cohort --out r1)
	assert_contains "$OUT" "minimum cell size 11"
	for f in manifest.json cells.csv race.csv zip.csv race_zip.csv; do
		[ -f "r1/$f" ] || fail "r1/$f missing"
	done
	python3 "$CACHE/check.py" r1 || fail "check"
	# The planted small cells are hidden (2 white people in 19107).
	grep -q '^white,19107,,suppressed$' r1/race_zip.csv || fail "white,19107 not suppressed: $(grep 19107 r1/race_zip.csv)"
	grep -q '^black,19104,,suppressed$' r1/race_zip.csv || fail "black,19104 not suppressed"
	# A large cell is shown with its true count.
	grep -q '^black,19102,16,$' r1/race_zip.csv || fail "black,19102 not shown as 16"
	# The manifest: agreement, method, content hash of cells.csv.
	python3 - <<'PY' || fail "manifest"
import json, hashlib
m = json.load(open("r1/manifest.json"))
assert m["agreement"] == "kensington-aggregate"
assert m["methods"]["primary_suppression"]["min_cell"] == 11
assert m["methods"]["complementary_suppression"]["audit"]["cells_failed"] == 0
assert "index event jail_booking" in m["query"]
assert m["sources"] == ["jail"]
h = hashlib.blake2b(open("r1/cells.csv", "rb").read(), digest_size=32).hexdigest()
assert m["content_hash"]["hex"] == h, (m["content_hash"], h)
for f in m["files"]:
    assert hashlib.blake2b(open("r1/" + f["name"], "rb").read(), digest_size=32).hexdigest() == f["blake2b_256"]
assert m["suppressed_count"] == len(m["suppressed"]) > 0
assert "primary" not in json.dumps(m["suppressed"])
PY
	OUT=$("$BRAID" releases)
	assert_contains "$OUT" "kensington-aggregate"
	assert_contains "$OUT" "race,zip,race_zip"
}

test_no_planted_identifier_leaves() {
	use_ws
	release by_race_zip.cohort --out r1 >/dev/null
	while read -r n; do
		if grep -rqF "$n" r1; then fail "planted name found in the release"; fi
	done < names.txt
	# nor person ids or dates of birth
	if grep -rqE '[0-9]{2}/[0-9]{2}/[0-9]{4}' r1; then fail "a date in the release"; fi
}

test_differencing_with_an_earlier_release_is_protected() {
	use_ws
	# Release 1 by ZIP at min cell 11: 19107 (4 people) is hidden.
	release by_zip.cohort --out r1 >/dev/null
	grep -q '^19107,,suppressed$' r1/zip.csv || fail "19107 not suppressed in release 1"
	# Release 2 under an agreement with min cell 3, by race and ZIP: on
	# its own it would publish 19107's 4; the ledger keeps it hidden and
	# protected against everything release 1 published.
	cp -r "$CACHE/ws" fresh
	r2() { "$BRAID" release by_race_zip.cohort --agreement kensington-small3 \
		--purpose community-report --out "$1" >/dev/null; }
	BRAID_DIR="$PWD/fresh" r2 r2fresh
	grep -q '^\*,19107,4,$' r2fresh/race_zip.csv || fail "without a ledger 19107 is not shown: the attack is not planted"
	if python3 "$CACHE/check.py" r1 r2fresh >/dev/null 2>&1; then fail "the planted attack went unnoticed by check.py"; fi
	r2 r2
	grep -q '^\*,19107,,suppressed$' r2/race_zip.csv || fail "the ledger did not keep 19107 hidden"
	python3 "$CACHE/check.py" r1 r2 || fail "release 1 + release 2 reveal a cell"
	python3 "$CACHE/check.py" r2 || fail "release 2"
}

test_differencing_between_cohorts_is_caught() {
	use_ws
	release all.cohort --out r1 >/dev/null
	grep -qE '^[0-9]+,$' r1/total.csv || fail "release 1 total not shown: $(cat r1/total.csv)"
	ALL=$(sed -n 2p r1/total.csv | cut -d, -f1)
	# Without the earlier release the subset's total is harmless and shown:
	# the attack is planted (ALL - MOST = 19107's 4 people).
	cp -r "$CACHE/ws" fresh
	BRAID_DIR="$PWD/fresh" release most.cohort --out r2fresh >/dev/null
	MOST=$(sed -n 2p r2fresh/total.csv | cut -d, -f1)
	[ -n "$MOST" ] || fail "the subset is not published on its own"
	assert_eq "$((ALL - MOST))" 4 "(the planted difference)"
	# With the ledger, the subset's total is not published.
	release most.cohort --out r2 >/dev/null
	grep -q '^,suppressed$' r2/total.csv || fail "the subset total was published: $(cat r2/total.csv)"
	# Nothing of the ledger's differencing reasons is in the public files.
	if grep -rq 'diff:' r2; then fail "a difference cell id leaked into the release"; fi
	# a superset by many people is not a small difference: published
	printf 'index event jail_booking\nwhere zip in ("19101", "19102", "19103", "19104", "19105")\ncount persons\n' > fewer.cohort
	release fewer.cohort --out r3 >/dev/null
	grep -qE '^[0-9]+,$' r3/total.csv || fail "an unrelated-size subset was suppressed: $(cat r3/total.csv)"
}

test_rates_follow_suppression_and_flag_reliability_apart() {
	use_ws
	BRAID_USER=root BRAID_KEY=$AK "$BRAID" releases --set-terms kensington-aggregate code_5_95 yes >/dev/null
	BRAID_USER=root BRAID_KEY=$AK "$BRAID" releases --set-terms kensington-aggregate min_denominator 50 >/dev/null
	expect_exit 6 "$BRAID" releases --set-terms kensington-aggregate min_denominator 1
	release white_by_zip.cohort --per by_zip.cohort --out q1 >/dev/null
	[ -f q1/rate_zip.csv ] && [ -f q1/denominator_zip.csv ] || fail "rate files missing: $(ls q1)"
	python3 - <<'PY' || fail "rates"
import csv, json
races = {"W": "white", "B": "black", "A": "asian", "O": "other"}
people = list(csv.DictReader(open("jail.csv")))
num = {r["zip"]: r for r in csv.DictReader(open("q1/zip.csv"))}
den = {r["zip"]: r for r in csv.DictReader(open("q1/denominator_zip.csv"))}
rate = {r["zip"]: r for r in csv.DictReader(open("q1/rate_zip.csv"))}
assert set(rate) == set(num), (rate.keys(), num.keys())
flags = 0
for z, r in rate.items():
    n, d = num[z], den[z]
    tn = sum(1 for p in people if (z == "*" or p["ZIP"] == z) and p["RACE"] == "W")
    td = sum(1 for p in people if z == "*" or p["ZIP"] == z)
    if n["status"] == "suppressed" or d["status"] == "suppressed":
        assert r["status"] == "suppressed" and r["percent"] == "", (z, r)
        continue
    assert int(n["count"]) == tn and int(d["count"]) == td, z
    # the remainder (den - num) is a count too: never a small one
    assert td - tn >= 11, ("a small remainder is published", z)
    pct = 100.0 * tn / td
    want = "<5%" if pct < 5 else ">95%" if pct > 95 else "%.1f%%" % pct
    assert r["percent"] == want and r["status"] == "", (z, r, want)
    assert r["reliability"] == ("unreliable" if td < 50 else ""), (z, r)
    flags += r["reliability"] == "unreliable"
assert flags > 0, ("no unreliable flag exercised", rate, num, den)
# 19107 (4 people) is suppressed, so its rate is
assert rate["19107"]["status"] == "suppressed"
m = json.load(open("q1/manifest.json"))
assert m["rates"]["nested"] is True and m["methods"]["percentages"]["coded_5_95"] is True, m.get("rates")
PY
	# a denominator with another breakdown is refused
	expect_exit 2 release white_by_zip.cohort --per by_race.cohort --out q2
	assert_contains "$OUT" "breakdown"
}

test_noise_budget_refuses_when_spent() {
	use_ws
	OUT=$(release by_race_zip.cohort --out n1 --noise 0.4)
	assert_contains "$OUT" "perturbed"
	python3 "$CACHE/check.py" n1 || fail "noisy release"
	python3 - <<'PY' || fail "noise manifest"
import json
m = json.load(open("n1/manifest.json"))
n = m["methods"]["noise"]
assert n["mechanism"] == "discrete_laplace" and abs(n["epsilon"] - 0.4) < 1e-9
assert m["perturbed_count"] > 0
PY
	release by_race.cohort --out n2 --noise 0.4 --mechanism gaussian >/dev/null
	grep -q "noisy" n2/race.csv || fail "no noisy cell in n2"
	expect_exit 6 release by_race.cohort --out n3 --noise 0.4
	assert_contains "$OUT" "budget"
	[ ! -e n3 ] || fail "a refused release left files or its directory"
	# Only an admin raises the budget; then it goes through.
	expect_exit 6 "$BRAID" releases --set-budget kensington-aggregate 2
	BRAID_USER=root BRAID_KEY=$AK "$BRAID" releases --set-budget kensington-aggregate 2 >/dev/null
	rm -rf n3
	release by_race.cohort --out n3 --noise 0.4 >/dev/null
	OUT=$("$BRAID" releases --format json)
	python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert [round(r['epsilon'],3) for r in d] == [0.4,0.4,0.4], d" "$OUT" ||
		fail "releases list: $OUT"
}

test_user_without_agreement_is_denied_and_audited() {
	use_ws
	expect_exit 6 env BRAID_USER=nobody BRAID_KEY=$NK "$BRAID" release by_race_zip.cohort \
		--agreement kensington-aggregate --purpose community-report --out d1
	assert_contains "$OUT" "no agreement covers user 'nobody'"
	[ ! -e d1 ] || fail "a denied release created its directory"
	# a name that is no agreement
	expect_exit 6 "$BRAID" release by_race_zip.cohort --out d2 --agreement no-such --purpose community-report
	OUT=$(BRAID_USER=root BRAID_KEY=$AK "$BRAID" audit show 2>&1 || true)
	assert_contains "$OUT" "nobody"
	assert_contains "$OUT" "deny"
	expect_exit 0 env BRAID_USER=root BRAID_KEY=$AK "$BRAID" audit verify
	OUT=$("$BRAID" releases)
	assert_contains "$OUT" "no releases"
}

test_refuses_a_non_empty_out_dir() {
	use_ws
	mkdir r1 && echo x > r1/keep
	expect_exit 5 release by_race_zip.cohort --out r1
	assert_contains "$OUT" "not empty"
}

run_tests
