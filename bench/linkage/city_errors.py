#!/usr/bin/env python3
"""bench/linkage/city_errors.py — why the demo city's clusters over-merge:
the wrongly joined record pairs of `braid export persons` grouped by how the
two true persons relate (truth/people.csv of the synthetic city): same
household, twins, Jr/Sr (same name, births 15+ years apart), same name,
other.  For tuning; prints counts and a few synthetic examples.

    python3 bench/linkage/city_errors.py PERSONS.csv CITY/truth
"""
import csv, sys, collections, itertools

pred_path, truth_dir = sys.argv[1], sys.argv[2]
truth = {}
with open(f"{truth_dir}/persons.csv", newline="") as f:
    for r in csv.DictReader(f):
        truth[(r["source"], r["record_id"])] = r["entity"]
people = {}
with open(f"{truth_dir}/people.csv", newline="") as f:
    for r in csv.DictReader(f):
        people[r["entity"]] = r
clusters = collections.defaultdict(list)
with open(pred_path, newline="") as f:
    for r in csv.DictReader(f):
        e = truth.get((r["source"], r["record_id"]))
        if e:
            clusters[r["person_id"]].append((r["source"], e))

def relation(a, b):
    p, q = people.get(a, {}), people.get(b, {})
    if not p or not q:
        return "unknown"
    same_name = p["first_name"].lower() == q["first_name"].lower() and \
        p["last_name"].lower() == q["last_name"].lower()
    yp, yq = p["dob"][:4], q["dob"][:4]
    gap = abs(int(yp) - int(yq)) if yp.isdigit() and yq.isdigit() else 0
    hh = p["household"] == q["household"]
    if same_name and gap >= 15:
        return "jr/sr (same name, 15+ years)" + (" same household" if hh else "")
    if p["dob"] == q["dob"] and hh:
        return "twins (same dob, household)"
    if same_name:
        return "same name" + (" same household" if hh else "")
    if hh:
        return "same household, different name" + (" same sex" if p["sex"] == q["sex"] else "")
    if p["dob"] == q["dob"]:
        return "same dob, other household"
    if p["last_name"].lower() == q["last_name"].lower():
        return "same surname, other household"
    return "other"

cats = collections.Counter()
ents = collections.Counter()
examples = collections.defaultdict(list)
for pid, recs in clusters.items():
    byent = collections.Counter(e for _, e in recs)
    if len(byent) < 2:
        continue
    for (a, na), (b, nb) in itertools.combinations(sorted(byent.items()), 2):
        rel = relation(a, b)
        cats[rel] += na * nb
        ents[rel] += 1
        if len(examples[rel]) < 3:
            p, q = people.get(a, {}), people.get(b, {})
            examples[rel].append(f"{a} {p.get('first_name')} {p.get('last_name')} {p.get('suffix')} {p.get('dob')} {p.get('sex')} / "
                                 f"{b} {q.get('first_name')} {q.get('last_name')} {q.get('suffix')} {q.get('dob')} {q.get('sex')}")
print("wrong pairs by relation of the two true persons (record pairs, person pairs):")
for rel, n in cats.most_common():
    print(f"  {n:6d} {ents[rel]:5d}  {rel}")
    for e in examples[rel]:
        print(f"           e.g. {e}")
