/* The model's global EM (src/link/model.c, braid__em_global): from the
 * biased m a single blocking rule gives, it must come back to the m of all
 * compared matches, and it must take the matches out of u (random pairs
 * include them: in small data with many duplicates they are most of
 * u(dob exact)). */
#include "test.h"
#include "../../src/link/link_int.h"

#include <math.h>

/* Three comparisons, three levels each (exact, near, else). */
static const int cmp3[3] = {BRAID_LC_FIRST, BRAID_LC_LAST, BRAID_LC_DOB};
static const int lev3[3][3] = {{FN_EXACT, FN_JW92, FN_ELSE},
			       {LN_EXACT, LN_JW92, LN_ELSE},
			       {DB_EXACT, DB_ONE, DB_ELSE}};
static const double m3[3][3] = {{0.85, 0.10, 0.05}, {0.80, 0.15, 0.05}, {0.75, 0.20, 0.05}};
static const double u3[3][3] = {{0.01, 0.002, 0.988}, {0.005, 0.002, 0.993},
				{0.0001, 0.001, 0.9989}};

/* Blocking that depends on the pair's own values only: surnames or dates
 * of birth agree exactly. */
static int compared(const int k[3])
{
	return k[1] == 0 || k[2] == 0;
}

TEST(model_global_em_recovers_m_and_removes_matches_from_u)
{
	/* 2,000 records, 1,000 matching pairs (lambda 5e-4): the random-pair
	 * frequency of an exact date is 4.7 times the non-matches' u */
	const double nrec = 2000, nmatch = 1000;
	const double nall = nrec * (nrec - 1) / 2;
	struct braid_linker *l = calloc(1, sizeof *l);
	ASSERT(l != NULL);
	l->n = (size_t)nrec;
	l->opts.em_iterations = 200;
	/* the compared patterns with their expected counts (rounded) */
	double true_m[3][3] = {{0}}, cm = 0;
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			for (int c = 0; c < 3; c++) {
				int k[3] = {a, b, c};
				if (!compared(k))
					continue;
				double pm = m3[0][a] * m3[1][b] * m3[2][c];
				double pu = u3[0][a] * u3[1][b] * u3[2][c];
				uint64_t cnt = (uint64_t)llround(nmatch * pm + (nall - nmatch) * pu);
				if (!cnt)
					continue;
				braid__cvec v = 0;
				for (int j = 0; j < 3; j++) {
					v |= (braid__cvec)lev3[j][k[j]] << (4 * cmp3[j]);
					true_m[j][k[j]] += nmatch * pm;
				}
				cm += nmatch * pm;
				uint32_t id;
				ASSERT_EQ(braid__pattab_add(&l->pats, v, 1, cnt, &id), BRAID_OK);
			}
	struct braid__model *md = &l->model;
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		for (int k = 0; k < BRAID_LINK_MAX_LEVELS; k++)
			md->m[c][k] = md->u[c][k] = 0.1;
	/* u as sampled from random pairs (matches included), and a start
	 * for m as biased as one rule's answer can be */
	static const double start[3][3] = {{0.44, 0.50, 0.06}, {0.50, 0.40, 0.10}, {0.40, 0.30, 0.30}};
	double lam = nmatch / nall;
	for (int j = 0; j < 3; j++) {
		for (int k = 0; k < BRAID_LINK_MAX_LEVELS; k++)
			md->m[cmp3[j]][k] = md->u[cmp3[j]][k] = 1e-9;
		for (int k = 0; k < 3; k++) {
			md->u[cmp3[j]][lev3[j][k]] = (1 - lam) * u3[j][k] + lam * m3[j][k];
			md->m[cmp3[j]][lev3[j][k]] = start[j][k];
		}
	}
	md->u_pairs = 1000000;
	md->lambda = 300 / nall;
	uint32_t active = (1u << BRAID_LC_FIRST) | (1u << BRAID_LC_LAST) | (1u << BRAID_LC_DOB);
	int iters = 0;
	double ne = braid__em_global(l, md, active, l->opts.em_iterations, &iters);
	ASSERT(iters > 0);
	/* the compared matches (950 here), near: the few whose dates differ
	 * hide among 10,000 non-matches sharing a surname, and EM gives them
	 * less than their share (m of a different date 0.02 for 0.04) */
	ASSERT_NEAR(ne, cm, 0.05 * cm);
	ASSERT_NEAR(md->lambda, cm / nall, 0.05 * cm / nall);
	for (int j = 0; j < 3; j++) {
		/* m: the share among the compared matches, whatever the start
		 * (the levels nobody uses hold a pseudo-count each) */
		double tot = 0;
		for (int k = 0; k < 3; k++)
			tot += md->m[cmp3[j]][lev3[j][k]];
		for (int k = 0; k < 3; k++)
			ASSERT_NEAR(md->m[cmp3[j]][lev3[j][k]] / tot, true_m[j][k] / cm, 0.03);
	ASSERT_NEAR(md->m[BRAID_LC_FIRST][FN_EXACT], 0.85, 0.01);
	}
	/* u of an exact date: the non-matches' 1e-4, not the 4.7e-4 that the
	 * random pairs show */
	double ud = md->u[BRAID_LC_DOB][DB_EXACT];
	ASSERT(ud > 0.8e-4 && ud < 1.25e-4);
	ASSERT_NEAR(md->u[BRAID_LC_FIRST][FN_EXACT], 0.01, 0.001);
	braid__pattab_release(&l->pats);
	free(l);
}
