#!/usr/bin/env python3
"""Synthetic 15-column person file for the ingest benchmark.

usage: gen_people.py ROWS OUT.csv [SEED]

Columns: ID FIRST MIDDLE LAST SUFFIX DOB SEX SSN ADDRESS CITY STATE ZIP PHONE
EMAIL RACE.  About 2 % of values are planted bad (impossible dates, invalid
SSNs, malformed ZIPs, unknown race codes) and about 0.1 % of rows are bad rows
(duplicate ids, short rows), so the loader's slow paths are exercised too.
Deterministic for a given seed.  Values are random, not real people.
"""
import random
import sys

FIRST = ["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL",
         "LINDA", "DAVID", "ELIZABETH", "José", "María", "Nguyễn", "AISHA",
         "DESHAWN", "KEISHA", "Zoë", "LUIS", "ANA", "WEI"]
LAST = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER",
        "DAVIS", "RODRIGUEZ", "MARTINEZ", "O'BRIEN", "DE LA CRUZ", "NGUYEN",
        "GARCIA-LOPEZ", "WASHINGTON", "LEE", "KIM", "PATEL", "JACKSON", "WHITE"]
STREETS = ["N BROAD ST", "MARKET STREET", "S 52ND ST", "GERMANTOWN AVE",
           "FRANKFORD AVENUE", "W LEHIGH AVE", "CHESTNUT ST", "E ALLEGHENY AVE"]
RACE = ["W", "B", "A", "I", "P", "O", "M"]


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("ID,FIRST,MIDDLE,LAST,SUFFIX,DOB,SEX,SSN,ADDRESS,CITY,STATE,ZIP,"
                "PHONE,EMAIL,RACE\n")
        w = f.write
        for i in range(1, n + 1):
            r = rnd.random()
            if r < 0.0005:
                w("%d,SHORT,ROW\n" % i)
                continue
            rid = i - 1 if r < 0.001 and i > 1 else i
            fn = rnd.choice(FIRST)
            ln = rnd.choice(LAST)
            y, m, d = rnd.randint(1930, 2015), rnd.randint(1, 12), rnd.randint(1, 28)
            dob = "%02d/%02d/%04d" % (m, d, y)
            if rnd.random() < 0.02:
                dob = "02/30/%04d" % y
            ssn = "%03d-%02d-%04d" % (rnd.randint(1, 665), rnd.randint(1, 99),
                                      rnd.randint(1, 9999))
            if rnd.random() < 0.02:
                ssn = "123-45-6789"
            zipc = "191%02d" % rnd.randint(2, 54)
            if rnd.random() < 0.02:
                zipc = "ABCDE"
            race = rnd.choice(RACE) if rnd.random() > 0.02 else "Q"
            addr = "%d %s" % (rnd.randint(1, 9999), rnd.choice(STREETS))
            if rnd.random() < 0.3:
                addr = '"%s APT %d"' % (addr, rnd.randint(1, 40))
            phone = "215-%03d-%04d" % (rnd.randint(200, 999), rnd.randint(0, 9999))
            email = "%s.%s%d@example.org" % (fn.lower(), ln.lower().replace(" ", ""), i)
            w("%d,%s,%s,%s,%s,%s,%s,%s,%s,PHILADELPHIA,PA,%s,%s,%s,%s\n" % (
                rid, fn, rnd.choice(["", "A", "LEE", "MARIE"]), ln,
                "JR" if rnd.random() < 0.03 else "", dob, rnd.choice("MF"), ssn,
                addr, zipc, phone, email, race))


if __name__ == "__main__":
    main()
