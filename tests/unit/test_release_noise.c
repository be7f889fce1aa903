/*
 * Differential-privacy noise: the samplers' distributions against their
 * exact pmf (fixed seed: mean, variance, chi-square goodness of fit), the
 * budget's refusal, and noisy tables that stay non-negative and consistent.
 */
#include "test.h"
#include "braid/release.h"

#include <math.h>

#define NS 200000
#define KMAX 200

typedef int64_t (*sampler)(struct braid_rng *, double);
typedef double (*pmf_fn)(int64_t, double);

/* Chi-square statistic of samples against pmf(k, param) over the bins
 * |k| <= K (expected count >= 5 each) plus the two merged tails; *df gets
 * the degrees of freedom. */
static double chi_square(const int64_t *x, size_t n, pmf_fn pmf, double param,
			 int *df)
{
	static long cnt[2 * KMAX + 3];
	memset(cnt, 0, sizeof cnt);
	long K = 0;
	while (K < KMAX && pmf(K + 1, param) * (double)n >= 5)
		K++;
	for (size_t i = 0; i < n; i++) {
		long k = (long)x[i];
		if (k < -K)
			cnt[0]++;
		else if (k > K)
			cnt[2 * K + 2]++;
		else
			cnt[k + K + 1]++;
	}
	double chi = 0, inside = 0;
	for (long k = -K; k <= K; k++) {
		double e = pmf(k, param) * (double)n;
		inside += pmf(k, param);
		double d = (double)cnt[k + K + 1] - e;
		chi += d * d / e;
	}
	double tail = (1 - inside) / 2 * (double)n;
	if (tail >= 1) {
		for (int s = 0; s < 2; s++) {
			double d = (double)cnt[s ? 2 * K + 2 : 0] - tail;
			chi += d * d / tail;
		}
		*df = (int)(2 * K + 2);
	} else {
		*df = (int)(2 * K);
	}
	return chi;
}

/* Upper 0.1 % point of chi-square(df), Wilson-Hilferty. */
static double chi_crit(int df)
{
	double z = 3.0902, a = 2.0 / (9.0 * df);
	return df * pow(1 - a + z * sqrt(a), 3);
}

static void check_sampler(sampler f, pmf_fn pmf, double param, uint64_t seed)
{
	struct braid_rng r;
	braid_rng_init_seeded(&r, seed);
	int64_t *x = malloc(NS * sizeof *x);
	ASSERT(x);
	double mean = 0, m2 = 0;
	for (size_t i = 0; i < NS; i++) {
		x[i] = f(&r, param);
		mean += (double)x[i];
	}
	mean /= NS;
	for (size_t i = 0; i < NS; i++)
		m2 += ((double)x[i] - mean) * ((double)x[i] - mean);
	double var = m2 / (NS - 1);
	double tvar = 0;
	for (long k = -2000; k <= 2000; k++)
		tvar += (double)k * (double)k * pmf(k, param);
	/* mean within 5 standard errors; variance within 3 % */
	ASSERT(fabs(mean) < 5 * sqrt(tvar / NS));
	ASSERT_NEAR(var / tvar, 1.0, 0.03);
	int df;
	double chi = chi_square(x, NS, pmf, param, &df);
	if (!(chi < chi_crit(df)))
		TEST_FAIL_("chi-square %.1f >= %.1f (df %d)", chi, chi_crit(df), df);
	free(x);
}

TEST(release_rng_seeded_is_deterministic)
{
	struct braid_rng a, b, c;
	braid_rng_init_seeded(&a, 1);
	braid_rng_init_seeded(&b, 1);
	braid_rng_init_seeded(&c, 2);
	int same_c = 1;
	for (int i = 0; i < 100; i++) {
		uint64_t x = braid_rng_u64(&a);
		ASSERT(x == braid_rng_u64(&b));
		same_c &= x == braid_rng_u64(&c);
	}
	ASSERT(!same_c);
	struct braid_err err;
	struct braid_rng s;
	ASSERT_EQ(braid_rng_init_secure(&s, &err), BRAID_OK);
	double u = braid_rng_unit(&s);
	ASSERT(u > 0 && u <= 1);
	ASSERT(braid_rng_u64(&s) != braid_rng_u64(&s));
}

TEST(release_dlaplace_matches_its_pmf)
{
	check_sampler(braid_noise_dlaplace, braid_noise_dlaplace_pmf, 2.0, 11);
	check_sampler(braid_noise_dlaplace, braid_noise_dlaplace_pmf, 0.5, 12);
	/* the exact variance 2q/(1-q)^2 */
	double q = exp(-1 / 2.0), v = 0;
	for (long k = -500; k <= 500; k++)
		v += (double)k * (double)k * braid_noise_dlaplace_pmf(k, 2.0);
	ASSERT_NEAR(v, 2 * q / ((1 - q) * (1 - q)), 1e-6);
}

TEST(release_dgauss_matches_its_pmf)
{
	check_sampler(braid_noise_dgauss, braid_noise_dgauss_pmf, 3.0, 21);
	check_sampler(braid_noise_dgauss, braid_noise_dgauss_pmf, 0.8, 22);
}

TEST(release_chi_square_rejects_the_wrong_distribution)
{
	/* the test has power: samples at t = 2 fail against t = 2.4 */
	struct braid_rng r;
	braid_rng_init_seeded(&r, 5);
	int64_t *x = malloc(NS * sizeof *x);
	ASSERT(x);
	for (size_t i = 0; i < NS; i++)
		x[i] = braid_noise_dlaplace(&r, 2.0);
	int df;
	double chi = chi_square(x, NS, braid_noise_dlaplace_pmf, 2.4, &df);
	ASSERT(chi > chi_crit(df));
	free(x);
}

TEST(release_budget_refuses_once_spent)
{
	struct braid_err err;
	struct braid_budget b;
	braid_budget_init(&b, "dsa-2026-004", 1.0);
	ASSERT_EQ(braid_budget_spend(&b, 0.3, &err), BRAID_OK);
	ASSERT_EQ(braid_budget_spend(&b, 0.4, &err), BRAID_OK);
	ASSERT_EQ(braid_budget_spend(&b, 0.4, &err), BRAID_EDENIED);
	ASSERT(strstr(err.msg, "dsa-2026-004"));
	ASSERT_NEAR(b.spent, 0.7, 1e-12);
	ASSERT_EQ(braid_budget_spend(&b, 0.1, &err), BRAID_OK);
	ASSERT_EQ(braid_budget_spend(&b, 0.2, &err), BRAID_OK); /* exactly 1.0 */
	ASSERT_EQ(braid_budget_spend(&b, 1e-6, &err), BRAID_EDENIED);
	ASSERT_EQ(braid_budget_spend(&b, 0, &err), BRAID_EINVAL);
	ASSERT_EQ(braid_budget_spend(&b, -1, &err), BRAID_EINVAL);
}

static struct braid_cellset *hier(void)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	static const char *tr[] = {"t1", "t2", "t3", "t4", "t5"};
	static const char *par[] = {"D", "D", "E", "E", "E"};
	static const char *ds[] = {"D", "E"};
	static const char *cols[] = {"a", "b", "c"};
	int64_t tv[] = {0, 1, 40, 2, 0, 33, 5, 60, 0, 1, 1, 1, 0, 0, 90};
	int64_t dv[] = {2, 1, 73, 6, 61, 91};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 5, tr, 3, cols, tv, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add_table2(cs, "D", 2, ds, 3, cols, dv, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add_rollup(cs, "T", "D", 5, tr, par, 3, cols, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_check(cs, 0, &err), BRAID_OK);
	return cs;
}

TEST(release_noisy_table_is_nonnegative_and_consistent)
{
	struct braid_err err;
	struct braid_rng r;
	struct braid_budget b;
	braid_rng_init_seeded(&r, 99);
	braid_budget_init(&b, "A1", 1.0);
	for (int mech = 1; mech <= 2; mech++) {
		struct braid_cellset *cs = hier();
		struct braid_noise_opts o = {.mech = (enum braid_noise_mech)mech,
					     .epsilon = 0.5, .delta = 1e-6};
		double scale = 0;
		ASSERT_EQ(braid_release_add_noise(cs, &o, &b, &r, &scale, &err), BRAID_OK);
		ASSERT(scale > 0);
		ASSERT_EQ(braid_cellset_check(cs, 1, &err), BRAID_OK);
		size_t changed = 0;
		for (size_t i = 0; i < braid_cellset_count(cs); i++) {
			const struct braid_cell *c = braid_cellset_cell(cs, i);
			ASSERT(c->shown >= 0);
			ASSERT(c->flags & BRAID_CELLF_NOISE);
			changed += c->shown != c->value;
		}
		ASSERT(changed > braid_cellset_count(cs) / 3);
		braid_cellset_free(cs);
	}
	ASSERT_NEAR(b.spent, 1.0, 1e-12);
	/* the budget is spent: the table is left as it was */
	struct braid_cellset *cs = hier();
	struct braid_noise_opts o = {.mech = BRAID_NOISE_DLAPLACE, .epsilon = 0.1};
	ASSERT_EQ(braid_release_add_noise(cs, &o, &b, &r, NULL, &err), BRAID_EDENIED);
	for (size_t i = 0; i < braid_cellset_count(cs); i++) {
		ASSERT_EQ(braid_cellset_cell(cs, i)->shown, braid_cellset_cell(cs, i)->value);
		ASSERT_EQ(braid_cellset_cell(cs, i)->flags, 0);
	}
	braid_cellset_free(cs);
}

TEST(release_noise_refuses_two_breakdowns_of_one_total_without_spending)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	static const char *rows[] = {"t1", "t2"};
	static const char *sex[] = {"f", "m"};
	static const char *age[] = {"y", "o"};
	int64_t s[] = {20, 22, 14, 30};
	int64_t a[] = {40, 2, 28, 16};
	ASSERT_EQ(braid_cellset_add_table2(cs, "sex", 2, rows, 2, sex, s, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add_table2(cs, "age", 2, rows, 2, age, a, &err), BRAID_OK);
	size_t p = braid_cellset_find(cs, "age|*|*");
	ASSERT_EQ(braid_cellset_constrain(cs, braid_cellset_find(cs, "sex|*|*"), &p, 1, &err),
		  BRAID_OK);
	struct braid_rng r;
	struct braid_budget b;
	braid_rng_init_seeded(&r, 3);
	braid_budget_init(&b, "A1", 1.0);
	struct braid_noise_opts o = {.mech = BRAID_NOISE_DLAPLACE, .epsilon = 0.5};
	ASSERT_EQ(braid_release_add_noise(cs, &o, &b, &r, NULL, &err), BRAID_EINVAL);
	ASSERT_NEAR(b.spent, 0, 1e-12);
	braid_cellset_free(cs);
}

TEST(release_ledger_does_not_take_noisy_numbers_for_counts)
{
	struct braid_err err;
	struct braid_rng r;
	struct braid_budget b;
	braid_rng_init_seeded(&r, 8);
	braid_budget_init(&b, "A1", 1.0);
	struct braid_cellset *cs = hier();
	struct braid_noise_opts o = {.mech = BRAID_NOISE_DLAPLACE, .epsilon = 0.5};
	ASSERT_EQ(braid_release_add_noise(cs, &o, &b, &r, NULL, &err), BRAID_OK);
	struct braid_ledger *l = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(l, cs, &err), BRAID_OK);
	char *js = braid_ledger_to_json(l);
	ASSERT(js && !strstr(js, "\"value\""));
	/* the exact table may follow a noisy one without a contradiction */
	struct braid_cellset *exact = hier();
	struct braid_protect_opts po = {.min_cell = 3};
	ASSERT_EQ(braid_release_protect(exact, &po, l, NULL, &err), BRAID_OK);
	free(js);
	braid_ledger_free(l);
	braid_cellset_free(cs);
	braid_cellset_free(exact);
}

TEST(release_noisy_small_cells_are_flagged_unreliable_not_hidden)
{
	struct braid_err err;
	struct braid_rng r;
	struct braid_budget b;
	braid_rng_init_seeded(&r, 4);
	braid_budget_init(&b, "A1", 1.0);
	struct braid_cellset *cs = hier();
	/* t = 2: noise sd 2.8, so shown values under ~9 are flagged */
	struct braid_noise_opts o = {.mech = BRAID_NOISE_DLAPLACE, .epsilon = 0.5};
	ASSERT_EQ(braid_release_add_noise(cs, &o, &b, &r, NULL, &err), BRAID_OK);
	size_t flagged = 0;
	for (size_t i = 0; i < braid_cellset_count(cs); i++) {
		const struct braid_cell *c = braid_cellset_cell(cs, i);
		ASSERT_EQ(c->status, BRAID_CELL_SHOWN);
		if (c->shown <= 5)
			ASSERT(c->flags & BRAID_CELLF_UNRELIABLE);
		flagged += (c->flags & BRAID_CELLF_UNRELIABLE) != 0;
	}
	ASSERT(flagged > 0);
	/* the grand total (sd ~ 2.8 * sqrt(15)) of ~230 is fine */
	ASSERT(!(braid_cellset_cell(cs, braid_cellset_find(cs, "T|*|*"))->flags &
		 BRAID_CELLF_UNRELIABLE));
	struct braid_buf csv;
	braid_buf_init(&csv, 0);
	ASSERT_EQ(braid_cellset_csv(cs, &csv), BRAID_OK);
	ASSERT(strstr(csv.data, ",noisy unreliable\n"));
	struct braid_manifest m = {.query = "q", .agreement = "A1", .noise = &o};
	char *js = NULL;
	ASSERT_EQ(braid_manifest_json(&m, cs, csv.data, csv.len, &js, &err), BRAID_OK);
	ASSERT(strstr(js, "\"unreliable\": [\n    \""));
	free(js);
	braid_buf_release(&csv);
	braid_cellset_free(cs);
}
