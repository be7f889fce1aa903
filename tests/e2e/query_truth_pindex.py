"""Test helper: rewrite person_record of a braid workspace so that person ids
follow the city's ground truth (truth/persons.csv) instead of linkage, to
measure how much of a query's difference from the facts linkage causes.
Record keys are mapped to source record ids through records.row_no (the
data row number of the record's first row in its file)."""
import csv, sqlite3, sys, re
db, city = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
truth = {}
for r in csv.DictReader(open(f"{city}/truth/persons.csv")):
    truth[(r["source"], r["record_id"])] = r["entity"]
out = []
for sid, name in con.execute("SELECT id, name FROM sources"):
    spec = open(f"{city}/specs/{name}.yaml").read()
    m = re.search(r"^id:\s*(\S+)", spec, re.M)
    rows = list(csv.reader(open(f"{city}/sources/{name}.csv", encoding="utf-8", errors="replace")))
    hdr = rows[0]
    idcol = hdr.index(m.group(1)) if m else None
    for key, row_no in con.execute("SELECT record_key, row_no FROM records WHERE source_id=?", (sid,)):
        rid = rows[row_no][idcol] if idcol is not None else str(row_no)
        ent = truth.get((name, rid))
        if ent:
            out.append((key, "T" + ent))
con.execute("DELETE FROM person_record")
con.executemany("INSERT INTO person_record(record_key, person_id) VALUES(?,?)", out)
con.commit()
print(len(out))
