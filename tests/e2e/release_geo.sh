#!/usr/bin/env bash
# braid release by tract on the demo city (examples/city, geocoded against
# examples/city/reference/places.csv): the release is rolled up tract ->
# planning district -> city and protected across the levels.  Checked
# independently in python3 with the tract -> district mapping read from
# places.csv and the exact counts from `braid query` under an agreement
# with minimum cell 1: every published count is right, every level adds
# up, and peeling every sum relation (tract/district/city, and district x
# race) recovers no suppressed cell; the attack is planted (with the true
# district totals beside the published tract table, some tract would be
# recoverable).
. "$(dirname "$0")/lib.sh"

CITY="$BRAID_ROOT/examples/city"
CACHE=$(mktemp -d /tmp/braid-e2e-release-geo-XXXXXX)
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
	"$BRAID" places load "$CITY/reference/places.csv" >/dev/null
	for spec in "$CITY"/specs/*.yaml; do
		local name; name=$(basename "$spec" .yaml)
		"$BRAID" source add --spec "$spec" >/dev/null
		"$BRAID" ingest "$name" "$CITY/sources/$name.csv" >/dev/null
	done
	# the analytics agreement (it names the jail's tract and district) and
	# an exact one (cells >= 1) for the check
	cp "$CITY/queries/analytics-agreement.yaml" geo.yaml
	grep -q '^  jail: .*tract, district' geo.yaml
	sed -e 's/^id: .*/id: exact-check/' -e 's/^purposes: .*/purposes: [exact-check]/' \
	    -e 's/^use: .*/use: aggregate/' -e 's/^min_cell_size: .*/min_cell_size: 1/' geo.yaml > exact.yaml
	# cells >= 3: the demo city has too few people per tract for 11
	sed -e 's/^id: .*/id: city-geo-3/' -e 's/^min_cell_size: .*/min_cell_size: 3/' geo.yaml > geo3.yaml
	sed -e 's/^id: .*/id: city-deid/' -e 's/^use: .*/use: deidentified-row/' geo.yaml > deid.yaml
	"$BRAID" agreement add geo.yaml >/dev/null
	"$BRAID" agreement add geo3.yaml >/dev/null
	"$BRAID" agreement add deid.yaml >/dev/null
	"$BRAID" agreement add exact.yaml >/dev/null
	BRAID_USER=lin BRAID_KEY=$lk "$BRAID" link >/dev/null
	printf 'index event jail_booking\ncount persons by tract\n' > by_tract.cohort
	printf 'index event jail_booking\ncount persons by race, tract\n' > by_race_tract.cohort
	printf 'index event benefit_enrollment\ncount persons by tract\n' > benefits_by_tract.cohort
	printf 'index event benefit_enrollment\ncount persons by race, tract\n' > benefits_by_race_tract.cohort
	printf 'AK=%s\nNK=%s\n' "$ak" "$nk" > keys
	cd - >/dev/null
}
(build_cache) || { echo "FAIL e2e/release_geo:setup"; exit 0; }

use_ws() {
	cp -r "$CACHE/ws" ws
	cp "$CACHE/vault.key" "$CACHE"/*.cohort .
	export BRAID_KEY_FILE="$PWD/vault.key" BRAID_DIR="$PWD/ws"
	. "$CACHE/keys"
	export BRAID_USER=ann BRAID_KEY=$NK
}
release() { "$BRAID" release "$@" --purpose city-analytics; }
exact() { "$BRAID" query "$1" --purpose exact-check --counts --format json; }

# check.py DIR EXACT.json DIM2: published tables of DIR against the exact
# counts; every sum relation of the hierarchy; peeling.
cat > "$CACHE/check.py" <<'PY'
import csv, json, os, sys
d, exact_file = sys.argv[1], sys.argv[2]
dim2 = sys.argv[3] if len(sys.argv) > 3 else ""
MISSING = "(missing)"
places = csv.DictReader(open(os.environ["PLACES"]))
t2d = {}
for p in places:
    t2d.setdefault(p["tract"], p["district"])
ex = json.load(open(exact_file))
def key(v): return v if v else MISSING
def load(name, dims):
    out = {}
    for r in csv.DictReader(open(os.path.join(d, name))):
        out[tuple(r[x] for x in dims)] = None if r["status"] == "suppressed" else int(r["count"])
    return out
man = json.load(open(os.path.join(d, "manifest.json")))
MIN = man["methods"]["primary_suppression"]["min_cell"]
tr = load("tract.csv", ["tract"])
di = load("district.csv", ["district"])
dist_of = lambda t: t2d.get(t, MISSING)
# exact counts: tracts, districts (recomputed from tracts via places.csv)
true_t = {(key(c["tract"]),): c["count"] for c in ex["by"]["tract"]}
true_t[("*",)] = ex["total"]
true_d = {}
for (t,), n in true_t.items():
    if t != "*":
        true_d[(dist_of(t),)] = true_d.get((dist_of(t),), 0) + n
true_d[("*",)] = ex["total"]
for k, v in tr.items():
    assert v is None or v == true_t[k], ("wrong tract count", k)
for k, v in di.items():
    assert v is None or v == true_d[k], ("wrong district count", k)
assert set(di) == set(true_d), "district table rows differ from the mapping"
# sum relations of the hierarchy, as a reader would write them
val = {("t",) + k: v for k, v in tr.items()}
val.update({("d",) + k: v for k, v in di.items()})
truth = {("t",) + k: v for k, v in true_t.items()}
truth.update({("d",) + k: v for k, v in true_d.items()})
cons = []
for (D,) in true_d:
    if D != "*":
        cons.append((("d", D), [("t", t) for (t,) in true_t if t != "*" and dist_of(t) == D]))
cons.append((("d", "*"), [("d", D) for (D,) in true_d if D != "*"]))
cons.append((("t", "*"), [("t", t) for (t,) in true_t if t != "*"]))
if dim2:
    x = load("%s_tract.csv" % dim2 if os.path.exists(os.path.join(d, "%s_tract.csv" % dim2)) else "tract_%s.csv" % dim2, [dim2, "tract"])
    xd = load("%s_tract_by_district.csv" % dim2 if os.path.exists(os.path.join(d, "%s_tract_by_district.csv" % dim2)) else "tract_%s_by_district.csv" % dim2, [dim2, "district"])
    cats = sorted({k[0] for k in x if k[0] != "*"})
    val.update({("x",) + k: v for k, v in x.items()})
    val.update({("xd",) + k: v for k, v in xd.items()})
    for c in cats:
        for (D,) in true_d:
            if D != "*":
                cons.append((("xd", c, D), [("x", c, t) for (t,) in true_t if t != "*" and dist_of(t) == D]))
        cons.append((("xd", c, "*"), [("xd", c, D) for (D,) in true_d if D != "*"]))
    for (D,) in true_d:
        cons.append((("xd", "*", D), [("xd", c, D) for c in cats]))
# every shown relation adds up
for tot, parts in cons:
    vs = [val.get(p) for p in parts]
    if val.get(tot) is not None and all(v is not None for v in vs):
        assert val[tot] == sum(vs), ("does not add up", tot)
# peel: solve every relation with one unknown, repeatedly
known = {k: v for k, v in val.items() if v is not None}
changed = True
while changed:
    changed = False
    for tot, parts in cons:
        unk = [p for p in parts + [tot] if p not in known]
        if len(unk) == 1:
            u = unk[0]
            s = sum(known[p] for p in parts if p in known)
            known[u] = known[tot] - s if u != tot else s
            changed = True
leaked = [k for k in known if val.get(k) is None and k in truth and 0 < truth[k] < MIN]
assert not leaked, ("small cells recovered by peeling", len(leaked))
nsup = sum(1 for v in val.values() if v is None)
print("cells", len(val), "suppressed", nsup, "relations", len(cons))
PY

test_tract_release_is_protected_along_the_hierarchy() {
	use_ws
	export PLACES="$CITY/reference/places.csv"
	release benefits_by_tract.cohort --agreement city-geo-3 --out r1 >/dev/null
	[ -f r1/district.csv ] || fail "no district table: $(ls r1)"
	exact benefits_by_tract.cohort > exact.json
	python3 "$CACHE/check.py" r1 exact.json || fail "check r1"
	# The attack is planted: protecting the tract table on its own (its
	# small cells and one complement for the total) and publishing the
	# true district totals beside it would give some tract back.
	python3 - <<'PY' || fail "the hierarchy attack is not planted"
import csv, json, os
t2d = {}
for p in csv.DictReader(open(os.environ["PLACES"])):
    t2d.setdefault(p["tract"], p["district"])
ex = json.load(open("exact.json"))
counts = {c["tract"] or "(missing)": c["count"] for c in ex["by"]["tract"]}
sup = {t for t, n in counts.items() if 0 < n < 3}
if len(sup) == 1:
    sup.add(min((t for t in counts if t not in sup), key=lambda t: counts[t]))
per = {}
for t in counts:
    per.setdefault(t2d.get(t, "(missing)"), []).append(t in sup)
assert any(sum(v) == 1 for v in per.values()), "no district with a single suppressed tract"
PY
	# district cells are cells of the release (cells.csv, content hash)
	grep -q '|district=' r1/cells.csv || fail "cells.csv lacks the district cells"
}

test_two_way_tract_release_rolls_up_too() {
	use_ws
	export PLACES="$CITY/reference/places.csv"
	release by_race_tract.cohort --agreement city-analytics-2026 --out r2 >/dev/null
	ls r2 | grep -q '_by_district.csv$' || fail "no district x race table: $(ls r2)"
	exact by_tract.cohort > exact.json
	python3 "$CACHE/check.py" r2 exact.json race || fail "check r2"
	release benefits_by_race_tract.cohort --agreement city-geo-3 --out r3 >/dev/null
	exact benefits_by_tract.cohort > exact3.json
	python3 "$CACHE/check.py" r3 exact3.json race || fail "check r3"
}

test_extract_generalises_tract_to_district() {
	use_ws
	export PLACES="$CITY/reference/places.csv"
	release benefits_by_race_tract.cohort --extract --agreement city-deid --out x1 \
		--quasi index_year,district --sensitive race >/dev/null
	python3 - <<'PY' || fail "extract by tract"
import csv, os
districts = {p["district"] for p in csv.DictReader(open(os.environ["PLACES"]))}
tracts = {p["tract"] for p in csv.DictReader(open(os.environ["PLACES"]))}
rows = list(csv.DictReader(open("x1/extract.csv")))
assert rows and set(rows[0]) == {"index_year", "race", "district"}, rows[0].keys()
classes = {}
for r in rows:
    assert r["district"] in districts or r["district"] in ("*", "(missing)"), r["district"]
    assert r["district"] not in tracts
    classes.setdefault((r["index_year"], r["district"]), set()).add(r["race"])
    classes.setdefault(("n", r["index_year"], r["district"]), []).append(1)
sizes = [len(v) for k, v in classes.items() if k[0] == "n"]
assert min(sizes) >= 11, min(sizes)
assert min(len(v) for k, v in classes.items() if k[0] != "n") >= 2
assert any(r["district"] in districts for r in rows), "every district suppressed"
PY
}

run_tests
