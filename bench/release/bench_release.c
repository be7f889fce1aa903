/*
 * bench_release — protect and audit a 400-tract x 12-category table with
 * row, column and grand margins and an 18-district hierarchy (tract ->
 * planning district -> city), the size of a city's neighbourhood release.
 * Counts are synthetic (fixed seed): tract sizes vary, categories are
 * skewed so that rare ones produce many small cells.
 *
 *   bench/release/run.sh            (builds and runs it)
 *   build/bench_release [min_cell] [seed]
 */
#include "braid/release.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NT 400
#define NC 12
#define ND 18

static uint64_t st;
static double unit(void)
{
	st = st * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(st >> 11) / 9007199254740992.0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long min_cell = argc > 1 ? strtol(argv[1], NULL, 10) : 11;
	st = argc > 2 ? strtoull(argv[2], NULL, 10) : 7;
	static char tk[NT][8], dk[ND][8], ck[NC][8];
	static const char *tr[NT], *par[NT], *ds[ND], *cols[NC];
	static int64_t tv[NT * NC], dv[ND * NC];
	/* category shares: a few common, several rare */
	double share[NC], sum = 0;
	for (int c = 0; c < NC; c++)
		sum += share[c] = 1.0 / ((c + 1) * (c + 1) * 0.5 + 1);
	for (int d = 0; d < ND; d++) {
		snprintf(dk[d], sizeof dk[d], "pd%02d", d);
		ds[d] = dk[d];
	}
	for (int c = 0; c < NC; c++) {
		snprintf(ck[c], sizeof ck[c], "cat%02d", c);
		cols[c] = ck[c];
	}
	for (int t = 0; t < NT; t++) {
		snprintf(tk[t], sizeof tk[t], "t%03d", t);
		tr[t] = tk[t];
		int d = t * ND / NT;
		par[t] = ds[d];
		/* people in the tract counted by this indicator: 300..3000 */
		double pop = 300 + 2700 * unit() * unit();
		for (int c = 0; c < NC; c++) {
			double mean = pop * share[c] / sum;
			/* Poisson-ish: mean plus spread */
			double x = mean + sqrt(mean + 1) * (unit() + unit() + unit() - 1.5) * 2;
			int64_t v = x < 0 ? 0 : (int64_t)llround(x);
			tv[t * NC + c] = v;
			dv[d * NC + c] += v;
		}
	}
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	double t0 = now();
	if (braid_cellset_add_table2(cs, "tract", NT, tr, NC, cols, tv, &err) ||
	    braid_cellset_add_table2(cs, "district", ND, ds, NC, cols, dv, &err) ||
	    braid_cellset_add_rollup(cs, "tract", "district", NT, tr, par, NC, cols, &err) ||
	    braid_cellset_check(cs, 0, &err)) {
		fprintf(stderr, "bench_release: %s\n", err.msg);
		return 1;
	}
	double t1 = now();
	struct braid_protect_opts o = {.min_cell = min_cell};
	struct braid_audit a;
	braid_audit_init(&a);
	if (braid_release_protect(cs, &o, NULL, &a, &err)) {
		fprintf(stderr, "bench_release: %s\n", err.msg);
		return 1;
	}
	double t2 = now();
	/* the independent final audit a publisher would run */
	size_t lp_protect = a.n_lp;
	if (braid_release_verify(cs, NULL, min_cell, 0, &err)) {
		fprintf(stderr, "bench_release: %s\n", err.msg);
		return 1;
	}
	double t3 = now();
	/* exact LP bounds for every suppressed cell, for comparison */
	struct braid_audit ex;
	braid_audit_init(&ex);
	if (braid_release_audit(cs, NULL, min_cell, BRAID_AUDIT_EXACT, &ex, &err)) {
		fprintf(stderr, "bench_release: %s\n", err.msg);
		return 1;
	}
	double t4 = now();
	size_t prim = 0, comp = 0, small = 0;
	for (size_t i = 0; i < braid_cellset_count(cs); i++) {
		const struct braid_cell *c = braid_cellset_cell(cs, i);
		prim += c->status == BRAID_CELL_PRIMARY;
		comp += c->status == BRAID_CELL_COMPLEMENT;
		small += c->value < min_cell;
	}
	printf("cells %zu constraints %zu min_cell %ld\n", braid_cellset_count(cs),
	       braid_cellset_nconstraints(cs), min_cell);
	printf("primary %zu complementary %zu (cells below min %zu)\n", prim, comp, small);
	printf("audited cells %zu, rounds %u, LPs in last round %zu, narrowest interval %.1f\n", a.n,
	       a.rounds, lp_protect, a.min_width);
	printf("build %.3f s, protect (incl. audits) %.3f s, final audit %.3f s, total %.3f s\n",
	       t1 - t0, t2 - t1, t3 - t2, t3 - t0);
	printf("exact audit (LP bounds of every cell): %zu LPs, %.3f s, failed %zu, narrowest %.1f\n",
	       ex.n_lp, t4 - t3, ex.n_failed, ex.min_width);
	braid_audit_release(&ex);
	braid_audit_release(&a);
	braid_cellset_free(cs);
	return 0;
}
