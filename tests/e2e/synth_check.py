#!/usr/bin/env python3
"""Independent check of a city written by `braid synth`.

Reads only the generated files (sources/*.csv, specs/*.yaml, truth/*.csv,
truth/*.json) and verifies, without any of the generator's code:

  truth     every record of every person source is in truth/persons.csv
            exactly once and nothing else is;
  errors    per source, the share of records whose first name, last name,
            date of birth or SSN differs from the true value (after folding
            case, accents and punctuation) is within the configured bound,
            and so is the share of people with a duplicate record;
  places    reference/places.csv is well formed, and a sample of every
            source's addresses (and every truth/addresses.csv line) falls in
            exactly one tract/ZIP of it: the row's ZIP and the truth's tract;
  facts     each planted fact in truth/facts.json is reproduced by counting
            over the CSVs (dates parsed with each source's own format).

Usage: synth_check.py CITY_DIR [--effect-tolerance X]
Prints one line per check; exits 1 on the first failure of any check.
"""
import csv
import datetime as dt
import json
import math
import sys
import unicodedata
from collections import defaultdict

import yaml

FAILS = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILS.append(what)


def fold(s):
    s = unicodedata.normalize("NFKD", s or "")
    return "".join(c for c in s.upper() if "A" <= c <= "Z")


def col(spec_field):
    if spec_field is None:
        return None, None
    if isinstance(spec_field, str):
        return spec_field, None
    return spec_field.get("column"), spec_field.get("format")


AUTO = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%d-%b-%Y", "%Y/%m/%d")


def parse_date(s, fmt):
    s = (s or "").strip()
    if not s:
        return None
    for f in (AUTO if fmt in (None, "auto") else (fmt,)):
        try:
            return dt.datetime.strptime(s, f).date()
        except ValueError:
            pass
    return "invalid"


def rows_of(city, name):
    with open(f"{city}/sources/{name}.csv", newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


# USPS abbreviation -> the spelled-out word the sources also use
FULL = {"ST": "STREET", "AVE": "AVENUE", "RD": "ROAD", "LN": "LANE", "BLVD": "BOULEVARD",
        "DR": "DRIVE", "PL": "PLACE", "TER": "TERRACE", "CT": "COURT", "TRL": "TRAIL",
        "CIR": "CIRCLE", "PKWY": "PARKWAY", "SQ": "SQUARE", "HWY": "HIGHWAY", "ALY": "ALLEY",
        "N": "NORTH", "S": "SOUTH", "E": "EAST", "W": "WEST"}
ADDR_COLS = {"jail": "ADDRESS", "dhs": "ADDR_LINE1", "school": "HOME_ADDRESS", "liheap": "ADDRESS",
             "water": "SERVICE_ADDRESS", "tap": "ADDRESS", "child_welfare": "ADDRESS",
             "births": "RES_ADDRESS", "childcare": "ADDRESS"}
ZIP_COLS = {"births": "RES_ZIP"}


def check_places(city, truth, hh_of):
    """reference/places.csv against the sources and the truth: every sampled
    address of every source falls in exactly one tract/ZIP of places.csv,
    that ZIP is the row's ZIP and that tract is the one truth/addresses.csv
    gives the address for the record's household."""
    by_street = defaultdict(list)   # street (abbreviated) -> [(from, to, parity, zip, tract, district)]
    spelled = {}                    # a spelled-out street -> its abbreviated form
    nrows = 0
    with open(f"{city}/reference/places.csv", newline="") as f:
        rd = csv.reader(f)
        check(next(rd) == ["street", "from", "to", "parity", "zip5", "tract", "district"],
              "places: header street,from,to,parity,zip5,tract,district")
        bad = 0
        for st, lo, hi, par, z, tr, di in rd:
            nrows += 1
            lo, hi = int(lo), int(hi)
            bad += not (0 < lo <= hi and par in ("odd", "even", "all") and len(z) == 5 and len(tr) == 11
                        and di and st == " ".join(st.split()) and st == st.upper()
                        and (par == "all" or lo % 2 == hi % 2 == (par == "odd")))
            by_street[st].append((lo, hi, par, z, tr, di))
            # every spelling with some words spelled out (the places file has
            # no components, and a word like E may be a name, not a direction)
            words = st.split()
            for mask in range(1 << len(words)):
                v = " ".join(FULL.get(w, w) if mask >> i & 1 else w for i, w in enumerate(words))
                spelled.setdefault(v, set()).add(st)
    check(nrows > 1000 and bad == 0, f"places: {nrows} rows, {bad} malformed")

    def lookup(addr):
        a = addr.split()
        for k in range(len(a) - 1, 1, -1):  # drop a trailing unit ("APT 2", "APARTMENT 4B")
            if a[k - 1] in ("APT", "APARTMENT"):
                a = a[:k - 1]
                break
        if not a or not a[0].isdigit():
            return None, None
        num, st = int(a[0]), " ".join(a[1:])
        cands = {st} if st in by_street else spelled.get(st, set())
        found = [(c, {(z, tr) for lo, hi, par, z, tr, di in by_street[c]
                      if lo <= num <= hi and (par == "all" or (num % 2 == 1) == (par == "odd"))})
                 for c in sorted(cands)]
        found = [(c, h) for c, h in found if h]
        if len(found) != 1:
            return None, None
        return found[0]

    home = defaultdict(dict)  # household -> {address: tract}
    for r in csv.DictReader(open(f"{city}/truth/addresses.csv", newline="")):
        home[r["household"]][r["address"]] = (r["zip"], r["tract"])
        st, hits = lookup(r["address"])
        if hits != {(r["zip"], r["tract"])}:
            check(False, f"places: truth address of {r['household']} resolves to {hits}, truth {r['zip']} {r['tract']}")
            return
    for name, acol in ADDR_COLS.items():
        spec = yaml.safe_load(open(f"{city}/specs/{name}.yaml"))
        idcol = spec.get("id")
        zcol = ZIP_COLS.get(name, "ZIP")
        rows = list(rows_of(city, name))
        step = max(1, len(rows) // 3000)  # a sample of at most ~3000 rows per source
        n = miss = wrong = 0
        for i in range(0, len(rows), step):
            r = rows[i]
            n += 1
            st, hits = lookup(r[acol])
            if not hits or len(hits) != 1:
                miss += 1
                continue
            z, tr = next(iter(hits))
            if z != r[zcol]:
                wrong += 1
                continue
            if name == "childcare":
                continue
            hh = hh_of[truth[(name, r[idcol])]]
            # the household's address, spelled the way truth/addresses.csv spells it
            canon = f"{r[acol].split()[0]} {st}"
            if home[hh].get(canon, (z, tr)) != (z, tr) or canon not in home[hh]:
                wrong += 1
        check(n > 0 and miss == 0 and wrong == 0,
              f"places: {name}: {n} sampled addresses, {miss} not in exactly one places.csv tract, "
              f"{wrong} with another ZIP or tract than the truth")


def main():
    city = sys.argv[1]
    eff_tol = None
    if "--effect-tolerance" in sys.argv:
        eff_tol = float(sys.argv[sys.argv.index("--effect-tolerance") + 1])
    facts = json.load(open(f"{city}/truth/facts.json"))
    errs = json.load(open(f"{city}/truth/errors.json"))
    A = dt.date.fromisoformat(facts["analysis_date"])

    truth = {}  # (source, record_id) -> entity
    repeated = 0
    for r in csv.DictReader(open(f"{city}/truth/persons.csv", newline="")):
        key = (r["source"], r["record_id"])
        repeated += key in truth
        truth[key] = r["entity"]
    check(repeated == 0, f"truth: each record listed once in persons.csv ({repeated} repeated)")
    people = {r["entity"]: r for r in csv.DictReader(open(f"{city}/truth/people.csv", newline="", encoding="utf-8"))}
    hh_of = {}
    members = defaultdict(list)
    for r in csv.DictReader(open(f"{city}/truth/households.csv", newline="")):
        hh_of[r["entity"]] = r["household"]
        members[r["household"]].append(r["entity"])

    # ------------------------------------------------------------ per source
    rows = {}      # source -> list of (record_id, row)
    for name in errs["sources"]:
        spec = yaml.safe_load(open(f"{city}/specs/{name}.yaml"))
        idcol = spec.get("id")
        recs = []
        for i, r in enumerate(rows_of(city, name), start=1):
            recs.append((r[idcol] if idcol else str(i), r))
        rows[name] = recs
        ids = {rid for rid, _ in recs}
        listed = {rid for (s, rid) in truth if s == name}
        check(ids == listed, f"truth: {name}: {len(ids)} records in the CSV = {len(listed)} in persons.csv")

        fields = spec.get("fields", {})
        first = {}
        for rid, r in recs:
            first.setdefault(rid, r)
        n = len(first)
        e = errs["sources"][name]
        exp = e["expected_mismatch"]
        checks = []
        if "first_name" in fields and "last_name" in fields:
            fc, _ = col(fields["first_name"])
            lc, _ = col(fields["last_name"])
            checks.append(("first_name", lambda r, p, fc=fc: fold(r[fc]) != fold(p["first_name"])))
            checks.append(("last_name", lambda r, p, lc=lc: fold(r[lc]) not in
                           {fold(p["last_name"]), fold(p["former_last_name"])}))
        if "dob" in fields:
            dc, fmt = col(fields["dob"])
            checks.append(("dob", lambda r, p, dc=dc, fmt=fmt:
                           parse_date(r[dc], fmt) != dt.date.fromisoformat(p["dob"])))
        if "ssn" in fields:
            sc, _ = col(fields["ssn"])
            checks.append(("ssn", lambda r, p, sc=sc: r[sc].replace("-", "") != p["ssn"]))
        for fname, bad in checks:
            if fname not in exp:
                continue
            k = sum(1 for rid, r in first.items() if bad(r, people[truth[(name, rid)]]))
            p = exp[fname]
            obs = k / n if n else 0
            tol = 4 * math.sqrt(max(p * (1 - p), 1e-4) / max(n, 1)) + 0.01
            check(abs(obs - p) <= tol,
                  f"errors: {name}.{fname}: {obs:.4f} of {n} records differ, configured {p:.4f} (+-{tol:.4f})")
        # duplicates
        if not e["natural_multiple"] and n:
            # the unit a duplicate copies: the person, or (person, the
            # dup_unit columns) where people naturally have several records
            # (dhs cases, wage jobs, cbo sign-ups)
            ucols = e.get("dup_unit", [])
            recs_of = defaultdict(set)
            nrows = defaultdict(int)
            for rid, r in recs:
                unit = (truth[(name, rid)],) + tuple(r[c] for c in ucols)
                recs_of[unit].add(rid)
                nrows[unit] += 1
            base = [x for x in recs_of if nrows[x] >= 2] if "2+ rows" in e["dup_base"] else list(recs_of)
            d = sum(1 for x in base if len(recs_of[x]) > 1)
            p = e["dup_rate"]
            obs = d / len(base) if base else 0
            tol = 4 * math.sqrt(max(p * (1 - p), 1e-4) / max(len(base), 1)) + 0.01
            check(abs(obs - p) <= tol,
                  f"duplicates: {name}: {d} of {len(base)} units split, {obs:.4f} vs configured {p:.4f}")

    check_places(city, truth, hh_of)

    # ------------------------------------------------------------ facts
    def dcol(name, field):
        spec = yaml.safe_load(open(f"{city}/specs/{name}.yaml"))
        c, fmt = col(spec["events"][0][field])
        return c, fmt

    def events(name):
        sc, sf = dcol(name, "start")
        spec = yaml.safe_load(open(f"{city}/specs/{name}.yaml"))
        ec, ef = col(spec["events"][0].get("end"))
        for rid, r in rows[name]:
            yield truth[(name, rid)], parse_date(r[sc], sf), (parse_date(r[ec], ef) if ec else None), r

    jail = defaultdict(list)
    for ent, s, e, r in events("jail"):
        jail[ent].append((s, e, r["RELEASE_PROGRAM"] == "REENTRY"))
    stays = defaultdict(list)
    for ent, s, e, r in events("hmis"):
        stays[ent].append((s, e or dt.date.max))
    claims = defaultdict(list)
    for ent, s, e, r in events("bh_claims"):
        claims[ent].append(s)

    def in180(ent, b):
        lo = b - dt.timedelta(days=180)
        sh = any(s <= b and e >= lo for s, e in stays.get(ent, []))
        mh = any(lo <= d <= b for d in claims.get(ent, []))
        return sh, mh

    cohort = sum(1 for ent, bk in jail.items() if any(all(in180(ent, s)) for s, _, _ in bk))
    check(cohort == facts["allegheny_cohort"]["value"],
          f"facts: allegheny_cohort {cohort} == {facts['allegheny_cohort']['value']}")

    lo = A - dt.timedelta(days=365)
    low_people = set()
    for ent, s, e, r in events("dhs"):
        if s <= A and (e is None or e >= lo):
            low_people.add(ent)
    for ent, s, e, r in events("liheap"):
        if lo <= s <= A:
            low_people.add(ent)
    low_hh = {hh_of[x] for x in low_people}
    accounts = {}
    for ent, s, e, r in events("water"):
        acct = r["ACCOUNT_NO"]
        accounts[acct] = (ent, r["STATUS"])  # rows are in date order per account
    tap_now = set()
    for ent, s, e, r in events("tap"):
        if s <= A and (e is None or e > A):
            tap_now.add(ent)
    active = {a: v for a, v in accounts.items() if v[1] != "CLOSED"}
    low_acc = {a for a, (ent, st) in active.items() if hh_of[ent] in low_hh}
    at_risk = {a for a, (ent, st) in active.items() if st == "SHUTOFF_NOTICE"}
    gap = {active[a][0] for a in low_acc if active[a][0] not in tap_now}
    for key, val in (("water_low_income_accounts", len(low_acc)), ("water_at_risk", len(at_risk)),
                     ("water_at_risk_protected", len(at_risk & low_acc)), ("water_assistance_gap", len(gap))):
        check(val == facts[key]["value"], f"facts: {key} {val} == {facts[key]['value']}")

    # re-entry: naive difference and a stratified estimate from the files
    n = defaultdict(lambda: [0, 0])
    k = defaultdict(lambda: [0, 0])
    for ent, bk in jail.items():
        dob = dt.date.fromisoformat(people[ent]["dob"])
        for s, rel, treated in bk:
            if rel is None or rel > A - dt.timedelta(days=365):
                continue
            reb = any(rel < s2 <= rel + dt.timedelta(days=365) for s2, _, _ in bk)
            age = s.year - dob.year - ((s.month, s.day) < (dob.month, dob.day))
            sh, mh = in180(ent, s)
            stratum = (age < 30, any(s2 < s for s2, _, _ in bk), mh, sh)
            n[stratum][treated] += 1
            k[stratum][treated] += reb
    re = facts["reentry_effect"]
    nt = sum(v[1] for v in n.values())
    nu = sum(v[0] for v in n.values())
    naive = (sum(v[1] for v in k.values()) / nt if nt else 0) - (sum(v[0] for v in k.values()) / nu if nu else 0)
    num = sum((k[s][1] / n[s][1] - k[s][0] / n[s][0]) * n[s][1] for s in n if n[s][0] and n[s][1])
    den = sum(n[s][1] for s in n if n[s][0] and n[s][1])
    strat = num / den if den else 0
    check(nt + nu == re["eligible_releases"], f"facts: reentry eligible releases {nt + nu} == {re['eligible_releases']}")
    check(abs(naive - re["naive_difference"]) < 1e-4, f"facts: reentry naive difference {naive:.5f} == {re['naive_difference']:.5f}")
    check(abs(strat - re["stratified_estimate"]) < 1e-4,
          f"facts: reentry stratified estimate {strat:.5f} == {re['stratified_estimate']:.5f}")
    if eff_tol is not None:
        check(abs(strat - re["value"]) <= eff_tol,
              f"facts: stratified estimate {strat:.4f} recovers the planted effect {re['value']} (+-{eff_tol})")
        check(abs(naive - re["value"]) > abs(strat - re["value"]),
              f"facts: the naive difference {naive:.4f} is further from the planted effect than the stratified one")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
