/*
 * bench_relate — the cost of relating a new release's cells to the
 * ledger's cells of other cohorts through people-set fingerprints
 * (braid_ledger_relate): an earlier release of N cells and a new one of N
 * cells over a synthetic population, the new cohort a subset of the old
 * one (a few people filtered out of some cells).  Worst case for time: the
 * earlier cells are all suppressed, so no published value rules a pair
 * out and every pair gets the full Newton test; typical case: they were
 * published.
 *
 *   bench/release/run_relate.sh [BUILD] [N] [shown 0|1]
 */
#include "braid/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Cell i holds people [i * 50, i * 50 + 40 + i % 30); the new cohort
 * drops `drop` of them in every 10th cell. */
static struct braid_cellset *release(const char *cohort, size_t n, size_t drop, int shown)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_cellset *cs = braid_cellset_new();
	for (size_t i = 0; i < n; i++) {
		char id[64];
		snprintf(id, sizeof id, "%s|cell=%zu", cohort, i);
		uint64_t a = (uint64_t)i * 50, b = a + 40 + i % 30;
		uint64_t from = (i % 10 == 0) ? a + drop : a;
		struct braid_fp f;
		braid_fp_init(&f);
		for (uint64_t p = from; p < b; p++)
			braid_fp_add(&f, mix(p));
		size_t idx;
		if (braid_cellset_add(cs, id, (int64_t)(b - from), &idx, &e) ||
		    braid_cellset_set_fp(cs, idx, &f, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			exit(1);
		}
	}
	(void)shown;
	return cs;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	int shown = argc > 2 ? atoi(argv[2]) != 0 : 0;
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_cellset *r1 = release("cOLD", n, 0, shown);
	/* record release 1: shown, or every cell suppressed (no values) */
	struct braid_cellset *tmp = braid_cellset_new();
	struct braid_protect_opts po = {.min_cell = shown ? 1 : 1000000};
	if (braid_suppress_primary(r1, &po, NULL, &e))
		return 1;
	struct braid_ledger *l = braid_ledger_new();
	if (braid_ledger_record(l, r1, &e))
		return 1;
	struct braid_cellset *r2 = release("cNEW", n, 3, shown);
	double t0 = now();
	size_t found = 0;
	if (braid_ledger_relate(l, r2, 11, &found, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	double t1 = now();
	printf("cells %zu x %zu, earlier cells %s: %zu nested pairs found (expected %zu), %.3f s, "
	       "%.2f us per pair\n",
	       n, n, shown ? "published" : "suppressed", found, n,
	       t1 - t0, (t1 - t0) * 1e6 / ((double)n * (double)n));
	braid_cellset_free(tmp);
	braid_cellset_free(r1);
	braid_cellset_free(r2);
	braid_ledger_free(l);
	return 0;
}
