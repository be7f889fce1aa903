/*
 * city_int.h — the demo city's people, households and per-source error
 * profiles, shared by city.c (the simulation and the writers) and spec.c
 * (the source specs, README and errors.json).  Private to src/synth.
 */
#ifndef BRAID_CITY_INT_H
#define BRAID_CITY_INT_H

#include "synth_int.h"

#include <stdio.h>

enum src {
	S_JAIL, S_HMIS, S_BH, S_SCHOOL, S_DHS, S_LIHEAP, S_WATER, S_TAP,
	S_CW, S_BIRTHS, S_WAGES, S_CBO, S_CHILDCARE, S__N
};

/* Error rates of one source, before --error-scale.  Name errors are drawn
 * once per field and are mutually exclusive; swap applies to both names. */
struct src_profile {
	const char *name;
	int natural_multiple; /* a person naturally has several records (applications, accounts) */
	int multi_row;        /* rows: event */
	double typo, phon, nick, swap, mif, marks, hyphen;
	double dm, ydig, miss_first, miss_dob, miss_ssn, ssn_typo, ssn_ph;
	double stale, abbr_flip, space, dup;
	/* formats (not errors): */
	int upper;            /* names upper-cased */
	int ascii;            /* the system cannot store accents/apostrophes */
	int abbr;             /* 1 = USPS abbreviations (ST, N), 0 = spelled out */
	int has_first, has_dob, has_ssn, has_middle;
	double datefmt;       /* share of records whose dates use another format (spec: auto) */
};
extern const struct src_profile braid__src[S__N];

/* Counters of applied errors per source (for truth/errors.json). */
enum { E_FIRST, E_LAST, E_DOB, E_SSN, E_NICK, E_SWAP, E_MIF, E_MARKS, E_HYPHEN,
       E_STALE, E_ABBR, E_SPACE, E_DUP, E_DATEFMT, E__N };
struct src_stats {
	long long rows, records;
	long long err[E__N];
	long long with_field[4]; /* records whose source has first/last/dob/ssn */
};

#define MAXM 12
struct person {
	uint32_t id;
	int role;           /* 0 head, 1 spouse, 2 child, 3 relative */
	char sex;           /* 'F' / 'M' */
	int group;          /* RACE_* */
	int omb;            /* 0 white 1 black 2 asian 3 aian 4 nhpi 5 other 6 multiple */
	int hisp;
	char first[48], middle[48], last[96], former[96], suffix[4];
	int32_t dob, death, marriage; /* INT32_MAX: none */
	uint32_t ssn;
	char phone[12];
	int mh;
	uint32_t mother;
	char recip[12];
	int twin;
};
struct addr {
	int street, num;
	char unit[10];
	int32_t from;
};
struct household {
	uint32_t id;
	int tract, poor, n, naddr;
	struct person p[MAXM];
	struct addr a[5];
};

/* spec.c */
braid_rc braid__write_specs(const char *dir, struct braid_err *err);
braid_rc braid__write_readme(const char *dir, const struct braid_synth_opts *o,
			     const struct braid_synth_stats *st, struct braid_err *err);
braid_rc braid__write_errors_json(const char *dir, double scale,
				  const struct src_stats *ss, struct braid_err *err);
double braid__rate(double base, double scale);

#endif
