/* link_town.h — the deterministic test town that the linkage tests share
 * (persisted models, incremental runs, saved states), and a partition
 * comparison.  Static functions: each test file that includes it gets its
 * own copy. */
#ifndef BRAID_TEST_LINK_TOWN_H
#define BRAID_TEST_LINK_TOWN_H

#include "braid/record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- records
 * A deterministic town: people recorded one to three times, with typos in
 * names, transposed dates and missing SSNs, records in shuffled order so
 * that any prefix holds whole people, parts of people and strangers. */
#define MAXREC 4000
struct town {
	struct braid_identity r[MAXREC];
	char buf[MAXREC][6][24];
	size_t n;
};

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void make_town(struct town *t, int npeople)
{
	static const char *const fn[] = {"JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN",
		"JENNIFER", "MICHAEL", "LINDA", "DAVID", "ELIZABETH", "WILLIAM", "BARBARA",
		"RICHARD", "SUSAN", "JOSEPH", "JESSICA", "THOMAS", "SARAH", "CHARLES", "KAREN",
		"ZEBULON", "OTTILIE", "AMBROSE", "PHILIPPA", "CORNELIUS", "HORTENSE"};
	static const char *const ln[] = {"JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA",
		"MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ",
		"WILSON", "ANDERSON", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ",
		"THOMPSON", "WHITE", "HARRIS", "CLARK", "LEWIS", "ROBINSON", "WALKER",
		"QUARTERMAIN", "VANDERBILT", "OKONKWO", "FITZWILLIAM", "DELACROIX"};
	static const char *const st[] = {"MARKET ST", "BROAD ST", "WALNUT ST", "PINE ST",
		"SPRUCE ST", "CHESTNUT ST", "LOCUST ST", "ARCH ST", "VINE ST", "RACE ST"};
	uint32_t x = 2463534242u;
	t->n = 0;
	for (int p = 0; p < npeople && t->n + 3 <= MAXREC; p++) {
		const char *f = fn[rnd(&x) % 26], *l = ln[rnd(&x) % 32], *s = st[rnd(&x) % 10];
		unsigned y = 1930 + rnd(&x) % 75, mo = 1 + rnd(&x) % 12, d = 1 + rnd(&x) % 28;
		unsigned ssn = 100000000u + rnd(&x) % 800000000u, zip = rnd(&x) % 30;
		unsigned num = 1 + rnd(&x) % 3000;
		int copies = 1 + (rnd(&x) % 10 < 4) + (rnd(&x) % 10 < 2);
		for (int c = 0; c < copies; c++) {
			struct braid_identity *r = &t->r[t->n];
			char (*b)[24] = t->buf[t->n];
			memset(r, 0, sizeof *r);
			for (int k = 0; k < BRAID_F__COUNT; k++)
				r->v[k] = "";
			snprintf(b[0], 24, "%s", f);
			snprintf(b[1], 24, "%s", l);
			snprintf(b[2], 24, "%04u-%02u-%02u", y, mo, d);
			snprintf(b[3], 24, "%09u", ssn);
			snprintf(b[4], 24, "191%02u", zip);
			snprintf(b[5], 24, "%u", num);
			if (c) { /* a later record of the same person, with one error */
				switch (rnd(&x) % 5) {
				case 0: b[1][2] = b[1][2] == 'X' ? 'Y' : 'X'; break;
				case 1: snprintf(b[2], 24, "%04u-%02u-%02u", y, d <= 12 ? d : mo,
						 d <= 12 ? mo : d); break;
				case 2: b[3][0] = 0; break;
				case 3: b[0][1] = b[0][1] == 'Q' ? 'Z' : 'Q'; break;
				default: snprintf(b[4], 24, "191%02u", (zip + 7) % 30); break;
				}
			}
			r->v[BRAID_F_FIRST_NAME] = b[0];
			r->v[BRAID_F_LAST_NAME] = b[1];
			r->v[BRAID_F_DOB] = b[2];
			r->v[BRAID_F_SSN] = b[3];
			r->v[BRAID_F_ZIP] = b[4];
			r->v[BRAID_F_STREET_NUMBER] = b[5];
			r->v[BRAID_F_STREET_NAME] = s;
			t->n++;
		}
	}
	/* shuffle (the strings move with their records) */
	for (size_t i = t->n; i > 1; i--) {
		size_t j = rnd(&x) % i;
		struct braid_identity tmp = t->r[i - 1];
		t->r[i - 1] = t->r[j];
		t->r[j] = tmp;
	}
	for (size_t i = 0; i < t->n; i++)
		t->r[i].record_key = (int64_t)i + 1;
}


/* Two partitions are equal when every record's cluster maps one to one. */
static int same_partition(const uint32_t *a, const uint32_t *b, size_t n)
{
	uint32_t *ab = malloc(n * sizeof *ab), *ba = malloc(n * sizeof *ba);
	int same = ab && ba;
	for (size_t i = 0; same && i < n; i++)
		ab[i] = ba[i] = UINT32_MAX;
	for (size_t i = 0; same && i < n; i++) {
		if (ab[a[i]] == UINT32_MAX && ba[b[i]] == UINT32_MAX) {
			ab[a[i]] = b[i];
			ba[b[i]] = a[i];
		} else if (ab[a[i]] != b[i] || ba[b[i]] != a[i]) {
			same = 0;
		}
	}
	free(ab);
	free(ba);
	return same;
}

#endif
