/*
 * bench_deid — a de-identified row extract of N synthetic rows (default
 * 200,000): name and SSN dropped, birth date to year (90+ aggregated), age
 * 90+, ZIP to ZIP3 (60 ZIP3s, caller populations), tract (400) to
 * planning district (18), sex; k-anonymity (k = 5) over those five
 * quasi-identifiers, l-diversity (l = 2) on a diagnosis.
 *
 *   cc ... bench/release/bench_deid.c src/core/... src/release/... (see
 *   bench/RESULTS.md, "Releases") && ./bench_deid [rows] [k] [l]
 */
#include "braid/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t st = 11;
static uint64_t rnd(void)
{
	st = st * 6364136223846793005ULL + 1442695040888963407ULL;
	return st >> 33;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	size_t k = argc > 2 ? strtoul(argv[2], NULL, 10) : 5;
	size_t l = argc > 3 ? strtoul(argv[3], NULL, 10) : 2;
	static const struct braid_deid_column cols[] = {
		{"name", BRAID_DEID_DROP, 0, 0},
		{"ssn", BRAID_DEID_DROP, 0, 0},
		{"dob", BRAID_DEID_BIRTH_YEAR, 1, 0},
		{"age", BRAID_DEID_AGE_90, 1, 0},
		{"zip", BRAID_DEID_ZIP3, 1, 0},
		{"tract", BRAID_DEID_TRACT_DISTRICT, 1, 0},
		{"sex", BRAID_DEID_KEEP, 1, 0},
		{"diagnosis", BRAID_DEID_KEEP, 0, 1},
	};
	enum { NC = 8, NZ = 60, NT = 400 };
	static char zk[NZ][4], tk[NT][8], dk[18][8];
	static const char *zip3[NZ], *tracts[NT], *dists[NT];
	static long pop[NZ];
	for (int i = 0; i < NZ; i++) {
		snprintf(zk[i], sizeof zk[i], "%03d", 100 + i);
		zip3[i] = zk[i];
		pop[i] = i % 5 ? 50000 + (long)(rnd() % 400000) : (long)(rnd() % 20000);
	}
	for (int d = 0; d < 18; d++)
		snprintf(dk[d], sizeof dk[d], "pd%02d", d);
	for (int t = 0; t < NT; t++) {
		snprintf(tk[t], sizeof tk[t], "t%03d", t);
		tracts[t] = tk[t];
		dists[t] = dk[t * 18 / NT];
	}
	static const char *diag[] = {"flu", "cold", "asthma", "diabetes", "copd"};
	char *buf = malloc(n * 48);
	const char **rows = malloc(n * NC * sizeof *rows);
	if (!buf || !rows)
		return 1;
	for (size_t r = 0; r < n; r++) {
		char *b = buf + r * 48;
		int y = 1925 + (int)(rnd() % 100);
		snprintf(b, 12, "%04d-%02d-%02d", y, 1 + (int)(rnd() % 12), 1 + (int)(rnd() % 28));
		snprintf(b + 12, 4, "%d", 2026 - y);
		snprintf(b + 16, 6, "%s%02d", zip3[rnd() % NZ], (int)(rnd() % 100));
		snprintf(b + 24, 12, "P%07u", (unsigned)(r % 10000000u));
		const char **row = rows + r * NC;
		row[0] = b + 24;
		row[1] = b + 24;
		row[2] = b;
		row[3] = b + 12;
		row[4] = b + 16;
		row[5] = tracts[rnd() % NT];
		row[6] = rnd() % 2 ? "F" : "M";
		row[7] = diag[rnd() % 5];
	}
	struct braid_deid_opts o = {.cols = cols, .ncols = NC, .k = k, .l = l,
				    .zip3 = zip3, .zip3_pop = pop, .nzip3 = NZ,
				    .tracts = tracts, .districts = dists, .ntracts = NT,
				    .reference_year = 2026};
	struct braid_extract x;
	struct braid_risk_report rep;
	struct braid_err err;
	double t0 = now();
	if (braid_deid_extract(rows, n, &o, &x, &rep, &err)) {
		fprintf(stderr, "bench_deid: %s\n", err.msg);
		return 1;
	}
	double t1 = now();
	size_t q[] = {0, 1, 2, 3, 4};
	size_t ml, m = braid_extract_min_class(&x, q, 5, 5, &ml);
	printf("rows %zu k %zu l %zu: out %zu dropped %zu, values generalised %zu suppressed %zu\n",
	       n, k, l, rep.rows_out, rep.rows_dropped, rep.values_generalised,
	       rep.values_suppressed);
	printf("classes %zu, rows below k before suppression %zu, min class %zu (check %zu), min l %zu\n",
	       rep.classes, rep.rows_below_k_before, rep.min_class, m, ml);
	printf("extract %.3f s\n", t1 - t0);
	braid_extract_release(&x);
	free(rows);
	free(buf);
	return 0;
}
