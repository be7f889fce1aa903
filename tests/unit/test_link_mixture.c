/* The match classes of the model (src/link/model.c, braid__mixture_fit):
 * EM recovers a planted mixture of "the error is in the first name" and
 * "the error is in the date" matches (shares and m per class), keeps a
 * single class when the data came from one, and a linker whose data
 * hold one-error duplicates scores, explains and saves its classes
 * consistently: explain's terms plus the interaction add up to the
 * pair's weight, and a model read back from JSON weighs every pair the
 * same to the bit. */
#include "test.h"
#include "../../src/link/link_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- planted
 * Three comparisons, three levels each (exact, near, else). */
static const int cmpx[3] = {BRAID_LC_FIRST, BRAID_LC_LAST, BRAID_LC_DOB};
static const int levx[3][3] = {{FN_EXACT, FN_JW92, FN_ELSE},
			       {LN_EXACT, LN_JW92, LN_ELSE},
			       {DB_EXACT, DB_ONE, DB_ELSE}};
static const double u_true[3][3] = {{0.01, 0.002, 0.988}, {0.005, 0.002, 0.993},
				    {0.0001, 0.001, 0.9989}};
/* clean and failing distributions of each comparison: a failing
 * comparison hardly ever agrees exactly (a duplicate's error is an error),
 * so that the classes can be told apart from the levels */
static const double m_clean[3][3] = {{0.97, 0.02, 0.01}, {0.96, 0.03, 0.01}, {0.98, 0.015, 0.005}};
static const double m_fail[3][3] = {{0.005, 0.85, 0.145}, {0.005, 0.85, 0.145}, {0.005, 0.80, 0.195}};

/* P(levels k | match) for class shares pi_first (first name fails),
 * pi_dob (date fails), the rest (if any) clean everywhere */
static double p_match(const int k[3], double pi_first, double pi_dob)
{
	double clean = 1, first = 1, dob = 1;
	for (int j = 0; j < 3; j++) {
		clean *= m_clean[j][k[j]];
		first *= j == 0 ? m_fail[j][k[j]] : m_clean[j][k[j]];
		dob *= j == 2 ? m_fail[j][k[j]] : m_clean[j][k[j]];
	}
	return pi_first * first + pi_dob * dob + (1 - pi_first - pi_dob) * clean;
}

/* A linker holding only the pattern table of all pairs among nrec records
 * with nmatch matches, and the single-class model the global EM gives. */
static struct braid_linker *planted(double pi_first, double pi_dob, double nrec, double nmatch,
				    double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS])
{
	const double nall = nrec * (nrec - 1) / 2;
	struct braid_linker *l = calloc(1, sizeof *l);
	ASSERT(l != NULL);
	l->n = (size_t)nrec;
	l->opts.em_iterations = 100;
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			for (int c = 0; c < 3; c++) {
				int k[3] = {a, b, c};
				double pu = u_true[0][a] * u_true[1][b] * u_true[2][c];
				double cnt = nmatch * p_match(k, pi_first, pi_dob) + (nall - nmatch) * pu;
				if (llround(cnt) < 1)
					continue;
				braid__cvec v = 0;
				for (int j = 0; j < 3; j++)
					v |= (braid__cvec)levx[j][k[j]] << (4 * cmpx[j]);
				uint32_t id;
				ASSERT_EQ(braid__pattab_add(&l->pats, v, 1, (uint64_t)llround(cnt), &id),
					  BRAID_OK);
			}
	struct braid__model *md = &l->model;
	double lam = nmatch / nall;
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		for (int k = 0; k < BRAID_LINK_MAX_LEVELS; k++)
			md->m[c][k] = md->u[c][k] = k ? 1e-9 : 1.0;
	for (int j = 0; j < 3; j++) {
		/* the marginal m as a start, u as random pairs show it */
		for (int k = 0; k < 3; k++) {
			double mm = pi_first * (j == 0 ? m_fail[j][k] : m_clean[j][k]) +
				    pi_dob * (j == 2 ? m_fail[j][k] : m_clean[j][k]) +
				    (1 - pi_first - pi_dob) * m_clean[j][k];
			md->u[cmpx[j]][levx[j][k]] = (1 - lam) * u_true[j][k] + lam * mm;
			md->m[cmpx[j]][levx[j][k]] = 0.8 * mm + 0.2 / 3;
		}
	}
	memcpy(f0, md->u, sizeof(double) * BRAID_LC__COUNT * BRAID_LINK_MAX_LEVELS);
	md->u_pairs = 1000000;
	md->lambda = 0.5 * lam;
	int iters = 0;
	uint32_t active = (1u << BRAID_LC_FIRST) | (1u << BRAID_LC_LAST) | (1u << BRAID_LC_DOB);
	braid__em_global(l, md, active, 200, &iters);
	return l;
}

/* m of level k of comparison j in class q, renormalised over the three
 * levels used */
static double class_m(const struct braid__model *md, int q, int j, int k)
{
	double t = 0;
	for (int i = 0; i < 3; i++)
		t += md->mk[q][cmpx[j]][levx[j][i]];
	return md->mk[q][cmpx[j]][levx[j][k]] / t;
}

TEST(link_mixture_em_recovers_planted_classes)
{
	double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	struct braid_linker *l = planted(0.45, 0.55, 20000, 2000, f0);
	struct braid__model *md = &l->model;
	uint32_t active = (1u << BRAID_LC_FIRST) | (1u << BRAID_LC_LAST) | (1u << BRAID_LC_DOB);
	ASSERT_EQ(braid__mixture_fit(l, md, active, f0), BRAID_OK);
	ASSERT(md->nclass >= 2);
	/* the class whose date fails and the one whose first name fails */
	int qd = -1, qf = -1;
	double other = 0;
	for (int q = 0; q < md->nclass; q++) {
		if (class_m(md, q, 2, 0) < 0.5)
			qd = q;
		else if (class_m(md, q, 0, 0) < 0.5)
			qf = q;
		else
			other += md->pi[q];
	}
	ASSERT(qd >= 0 && qf >= 0);
	ASSERT_NEAR(md->pi[qd], 0.55, 0.05);
	ASSERT_NEAR(md->pi[qf], 0.45, 0.05);
	ASSERT(other < 0.03);
	for (int k = 0; k < 3; k++) {
		ASSERT_NEAR(class_m(md, qd, 2, k), m_fail[2][k], 0.03);
		ASSERT_NEAR(class_m(md, qd, 0, k), m_clean[0][k], 0.03);
		ASSERT_NEAR(class_m(md, qd, 1, k), m_clean[1][k], 0.03);
		ASSERT_NEAR(class_m(md, qf, 0, k), m_fail[0][k], 0.03);
		ASSERT_NEAR(class_m(md, qf, 1, k), m_clean[1][k], 0.03);
		ASSERT_NEAR(class_m(md, qf, 2, k), m_clean[2][k], 0.03);
	}
	/* the marginal m is the classes' mix */
	double mm = 0;
	for (int q = 0; q < md->nclass; q++)
		mm += md->pi[q] * md->mk[q][BRAID_LC_DOB][DB_EXACT];
	ASSERT_NEAR(md->m[BRAID_LC_DOB][DB_EXACT], mm, 1e-12);
	/* names exact with a different date: the single class multiplies
	 * marginals (first name exact 0.53: half the matches have it wrong);
	 * the classes know that a wrong date comes with clean names, and
	 * weigh the pattern more */
	braid__cvec v = ((braid__cvec)FN_EXACT << (4 * BRAID_LC_FIRST)) |
			((braid__cvec)LN_EXACT << (4 * BRAID_LC_LAST)) |
			((braid__cvec)DB_ELSE << (4 * BRAID_LC_DOB));
	braid__model_weights(md);
	double wmix = braid__vec_weight(l, v) - md->prior;
	double wsum = md->w[BRAID_LC_FIRST][FN_EXACT] + md->w[BRAID_LC_LAST][LN_EXACT] +
		      md->w[BRAID_LC_DOB][DB_ELSE];
	ASSERT(wmix > wsum + 0.5);
	braid__pattab_release(&l->pats);
	free(l);
}

TEST(link_mixture_not_kept_when_matches_fail_independently)
{
	/* every match from one class in which each comparison fails on its
	 * own (no class structure): the single class is kept */
	double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	struct braid_linker *l = planted(0, 0, 20000, 2000, f0);
	struct braid__model *md = &l->model;
	double m0 = md->m[BRAID_LC_FIRST][FN_EXACT];
	uint32_t active = (1u << BRAID_LC_FIRST) | (1u << BRAID_LC_LAST) | (1u << BRAID_LC_DOB);
	ASSERT_EQ(braid__mixture_fit(l, md, active, f0), BRAID_OK);
	ASSERT_EQ(md->nclass, 0);
	ASSERT(md->m[BRAID_LC_FIRST][FN_EXACT] == m0);
	braid__pattab_release(&l->pats);
	free(l);
}

/* ---------------------------------------------------------------- linker
 * People with names from small lists (many strangers share both names)
 * and a second record for a third of them carrying exactly one error: a
 * letter of the first name, of the surname, or one part of the date. */
#define NPEOPLE 2400
#define MAXR (NPEOPLE * 2)
static struct braid_identity R[MAXR];
static char B[MAXR][3][16];
static size_t NR;

static uint32_t xs(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void name_of(char *out, size_t cap, uint32_t i, const char *const *syl, size_t ns)
{
	snprintf(out, cap, "%s%s%s", syl[i % ns], syl[(i / ns) % ns], syl[(i / ns / ns) % ns]);
}

static void make_people(void)
{
	static const char *const syl[] = {"KAR", "MEL", "TOR", "BEN", "LIS", "DAN", "ROS", "WIL"};
	uint32_t x = 2463534242u;
	NR = 0;
	for (int p = 0; p < NPEOPLE; p++) {
		uint32_t f = xs(&x) % 90, s = 100 + xs(&x) % 70;
		int y = 1930 + (int)(xs(&x) % 70), mo = 1 + (int)(xs(&x) % 12), d = 1 + (int)(xs(&x) % 28);
		int copies = p % 3 == 0 ? 2 : 1;
		for (int c = 0; c < copies; c++) {
			size_t i = NR++;
			name_of(B[i][0], sizeof B[i][0], f, syl, 8);
			name_of(B[i][1], sizeof B[i][1], s, syl, 8);
			int yy = y, mm = mo, dd = d;
			if (c == 1) {
				switch ((p / 3) % 3) {
				case 0: /* one letter of the first name */
				case 1: {
					char *nm = B[i][(p / 3) % 3];
					size_t at = 1 + xs(&x) % (strlen(nm) - 1);
					nm[at] = nm[at] == 'Q' ? 'X' : 'Q';
					break;
				}
				default: /* one part of the date */
					switch (xs(&x) % 3) {
					case 0:
						yy = 1930 + (y - 1930 + 1 + (int)(xs(&x) % 69)) % 70;
						break;
					case 1:
						mm = 1 + mo % 12;
						break;
					default:
						dd = 1 + d % 28;
					}
				}
			}
			snprintf(B[i][2], sizeof B[i][2], "%04d-%02d-%02d", yy, mm, dd);
			memset(&R[i], 0, sizeof R[i]);
			R[i].record_key = (int64_t)i + 1;
			R[i].source_id = 1;
			R[i].v[BRAID_F_FIRST_NAME] = B[i][0];
			R[i].v[BRAID_F_LAST_NAME] = B[i][1];
			R[i].v[BRAID_F_DOB] = B[i][2];
		}
	}
}

TEST(link_mixture_linker_explains_scores_and_saves_its_classes)
{
	make_people();
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_new(R, NR, NULL, &err);
	ASSERT(l != NULL);
	ASSERT_EQ(braid_linker_run(l, &err), BRAID_OK);
	ASSERT(l->model.nclass >= 2);
	struct braid_link_pair *pairs;
	size_t np;
	ASSERT_EQ(braid_linker_pairs(l, -1e9, &pairs, &np, &err), BRAID_OK);
	ASSERT(np > 200);
	size_t nonzero = 0;
	for (size_t i = 0; i < np; i++) {
		struct braid_link_explanation e;
		ASSERT_EQ(braid_linker_explain(l, pairs[i].a, pairs[i].b, &e, &err), BRAID_OK);
		double sum = e.prior + e.interaction;
		for (int t = 0; t < e.nterms; t++) {
			sum += e.terms[t].weight + e.terms[t].tf;
			if (e.terms[t].level)
				ASSERT_NEAR(e.terms[t].weight, log2(e.terms[t].m / e.terms[t].u), 1e-9);
		}
		ASSERT_NEAR(sum, e.weight, 1e-9);
		/* explain, any pair's weight and the run's scores agree */
		ASSERT(e.weight == braid__pair_weight(l, pairs[i].a, pairs[i].b));
		ASSERT(pairs[i].weight == (float)e.weight);
		nonzero += fabs(e.interaction) > 0.01;
	}
	ASSERT(nonzero > np / 10);
	/* the waterfall shows the interaction as a term of its own */
	struct braid_link_explanation e;
	size_t at = 0;
	for (size_t i = 0; i < np; i++) {
		ASSERT_EQ(braid_linker_explain(l, pairs[i].a, pairs[i].b, &e, &err), BRAID_OK);
		if (fabs(e.interaction) > 0.01) {
			at = i;
			break;
		}
	}
	ASSERT_EQ(braid_linker_explain(l, pairs[at].a, pairs[at].b, &e, &err), BRAID_OK);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_link_explanation_format(&e, &b), BRAID_OK);
	ASSERT(strstr(b.data, "interaction") && strstr(b.data, "total"));
	braid_buf_release(&b);

	/* saved and read back: the same classes, the same weights to the bit */
	char *j1 = braid_linker_model_json(l);
	ASSERT(j1 != NULL && strstr(j1, "match_classes") && strstr(j1, "m_by_class"));
	struct braid_linker *r = braid_linker_new(R, NR, NULL, &err);
	ASSERT(r != NULL);
	ASSERT_EQ(braid_linker_load_model(r, j1, &err), BRAID_OK);
	ASSERT_EQ(r->model.nclass, l->model.nclass);
	char *j2 = braid_linker_model_json(r);
	ASSERT_STR_EQ(j2, j1);
	for (size_t i = 0; i < np; i++)
		ASSERT(braid__pair_weight(r, pairs[i].a, pairs[i].b) ==
		       braid__pair_weight(l, pairs[i].a, pairs[i].b));
	/* the model text names the classes */
	char *txt = braid_linker_model_text(l);
	ASSERT(txt && strstr(txt, "match class 1"));
	free(txt);

	/* a class's m that is not a probability is refused, naming it */
	char *bad = strdup(j1);
	char *p = strstr(bad, "\"m_by_class\"");
	ASSERT(p != NULL);
	p = strchr(p, '[');
	ASSERT(p != NULL);
	p = p + 1 + strspn(p + 1, " \n\t");
	ASSERT(p[0] == '0' && p[1] == '.');
	*p = '7'; /* 0.x becomes 7.x: valid JSON, not a probability */
	struct braid_linker *d = braid_linker_new(R, NR, NULL, &err);
	ASSERT(d != NULL);
	ASSERT_EQ(braid_linker_load_model(d, bad, &err), BRAID_EPARSE);
	ASSERT(strstr(err.msg, "m_by_class") != NULL);
	braid_linker_free(d);
	free(bad);
	free(j1);
	free(j2);
	free(pairs);
	braid_linker_free(r);
	braid_linker_free(l);
}

TEST(link_mixture_model_saved_without_classes_loads_as_one_class)
{
	/* a model saved before the classes existed: its weights are the sum
	 * of its per-comparison weights */
	make_people();
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_new(R, NR, NULL, &err);
	ASSERT(l != NULL);
	ASSERT_EQ(braid_linker_run(l, &err), BRAID_OK);
	ASSERT(l->model.nclass >= 2);
	struct braid__model keep = l->model;
	l->model.nclass = 0;
	char *j = braid_linker_model_json(l);
	l->model = keep;
	ASSERT(j != NULL && !strstr(j, "match_classes") && !strstr(j, "m_by_class"));
	struct braid_linker *r = braid_linker_new(R, NR, NULL, &err);
	ASSERT(r != NULL);
	ASSERT_EQ(braid_linker_load_model(r, j, &err), BRAID_OK);
	ASSERT_EQ(r->model.nclass, 0);
	size_t differ = 0;
	for (uint32_t a = 0; a < 300; a += 3) {
		braid__cvec v = braid__compare(&r->cx, a, a + 1);
		double w = 0;
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			w += r->model.w[c][braid__cvec_level(v, c)];
		ASSERT(braid__vec_weight(r, v) == r->model.prior + w);
		differ += braid__vec_weight(r, v) != braid__vec_weight(l, v);
	}
	/* and they are not the classes' weights */
	ASSERT(differ > 0);
	free(j);
	braid_linker_free(r);
	braid_linker_free(l);
}
