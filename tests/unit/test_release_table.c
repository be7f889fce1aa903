/*
 * Release tables: the cell model, primary and complementary suppression,
 * the LP interval audit, planted attacks (a total minus the other cells, a
 * hierarchy, a differencing pair of releases) and the ledger.
 */
#include "test.h"
#include "braid/release.h"

#include <math.h>

/* Every primary cell of cs has an audit interval at least p wide, and no
 * primary cell is shown.  Returns the number of primary cells. */
static size_t assert_protected_f(const struct braid_cellset *cs,
				 const struct braid_ledger *l, int64_t p,
				 unsigned flags)
{
	struct braid_audit a;
	struct braid_err err;
	braid_audit_init(&a);
	ASSERT_EQ(braid_release_audit(cs, l, p, BRAID_AUDIT_EXACT | flags, &a, &err), BRAID_OK);
	size_t prim = 0;
	for (size_t i = 0; i < braid_cellset_count(cs); i++)
		prim += braid_cellset_cell(cs, i)->status == BRAID_CELL_PRIMARY;
	ASSERT(a.n >= prim);
	for (size_t i = 0; i < a.n; i++) {
		if (a.cells[i].hi - a.cells[i].lo < (double)p - 1e-6)
			TEST_FAIL_("cell %s interval [%g, %g] narrower than %lld",
				   a.cells[i].id, a.cells[i].lo, a.cells[i].hi, (long long)p);
		size_t c = a.cells[i].cell;
		if (c != SIZE_MAX) {
			/* the truth lies inside the interval */
			double v = (double)braid_cellset_cell(cs, c)->value;
			ASSERT(v >= a.cells[i].lo - 1e-6 && v <= a.cells[i].hi + 1e-6);
		}
	}
	ASSERT_EQ(a.n_failed, 0);
	ASSERT_EQ(braid_release_verify(cs, l, p, flags, &err), BRAID_OK);
	braid_audit_release(&a);
	return prim;
}

static size_t assert_protected(const struct braid_cellset *cs,
			       const struct braid_ledger *l, int64_t p)
{
	return assert_protected_f(cs, l, p, 0);
}

static void set_status(struct braid_cellset *cs, const char *id, int st)
{
	size_t i = braid_cellset_find(cs, id);
	ASSERT(i != SIZE_MAX);
	/* tests plant patterns by hand; the struct is ours to poke here */
	((struct braid_cell *)braid_cellset_cell(cs, i))->status = (uint8_t)st;
}

static const char *R3[] = {"t1", "t2", "t3"};
static const char *C3[] = {"a", "b", "c"};

TEST(release_table2_adds_margins_and_constraints)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_count(cs), 16);
	ASSERT_EQ(braid_cellset_nconstraints(cs), 8);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|t2|*"))->value, 15);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|*|c"))->value, 18);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|*|*"))->value, 45);
	ASSERT_EQ(braid_cellset_check(cs, 0, &err), BRAID_OK);
	/* a second table may share cells only with the same values */
	ASSERT_EQ(braid_cellset_add(cs, "T|t1|a", 1, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "T|t1|a", 2, NULL, &err), BRAID_EINVAL);
	ASSERT(strstr(err.msg, "T|t1|a"));
	const char *bad[] = {"x|y"};
	ASSERT_EQ(braid_cellset_add_table2(cs, "U", 1, bad, 1, C3, v, &err), BRAID_EINVAL);
	braid_cellset_free(cs);
}

TEST(release_primary_suppresses_small_counts_and_zeros_unless_allowed)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {0, 12, 30, 4, 25, 40, 11, 10, 9};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	ASSERT_EQ(braid_suppress_primary(cs, &o, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|t1|a"))->status, BRAID_CELL_PRIMARY);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|t2|a"))->status, BRAID_CELL_PRIMARY);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|t3|a"))->status, BRAID_CELL_SHOWN);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|t3|b"))->status, BRAID_CELL_PRIMARY);
	o.allow_zero = 1;
	ASSERT_EQ(braid_suppress_primary(cs, &o, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(cs, braid_cellset_find(cs, "T|t1|a"))->status, BRAID_CELL_SHOWN);
	braid_cellset_free(cs);
}

TEST(release_audit_catches_total_minus_other_cells)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	ASSERT_EQ(braid_suppress_primary(cs, &o, NULL, &err), BRAID_OK);
	/* primary suppression alone: 53 - 20 - 30 = 3 */
	struct braid_audit a;
	braid_audit_init(&a);
	ASSERT_EQ(braid_release_audit(cs, NULL, 11, 0, &a, &err), BRAID_OK);
	ASSERT_EQ(a.n, 1);
	ASSERT_STR_EQ(a.cells[0].id, "T|t1|a");
	ASSERT_NEAR(a.cells[0].lo, 3, 1e-9);
	ASSERT_NEAR(a.cells[0].hi, 3, 1e-9);
	ASSERT_EQ(a.n_failed, 1);
	braid_audit_release(&a);
	ASSERT_EQ(braid_release_verify(cs, NULL, 11, 0, &err), BRAID_EDENIED);
	ASSERT(strstr(err.msg, "'T|t1|a'"));
	/* one complement in the row is not enough: the column still gives it */
	set_status(cs, "T|t1|b", BRAID_CELL_COMPLEMENT);
	ASSERT_EQ(braid_release_verify(cs, NULL, 11, 0, &err), BRAID_EDENIED);
	/* protect finds a pattern and the audit proves it */
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	ASSERT_EQ(assert_protected(cs, NULL, 11), 1);
	braid_cellset_free(cs);
}

TEST(release_audit_narrow_interval_from_small_partner_is_refused)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	/* rectangle t1a,t1b,t2a,t2b suppressed, but t1a + t1b = 3 + 1:
	 * t1a lies in [0, 4], narrower than 5 */
	int64_t v[] = {3, 1, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	set_status(cs, "T|t1|a", BRAID_CELL_PRIMARY);
	set_status(cs, "T|t1|b", BRAID_CELL_PRIMARY);
	set_status(cs, "T|t2|a", BRAID_CELL_COMPLEMENT);
	set_status(cs, "T|t2|b", BRAID_CELL_COMPLEMENT);
	ASSERT_EQ(braid_release_verify(cs, NULL, 5, 0, &err), BRAID_EDENIED);
	ASSERT_EQ(braid_release_verify(cs, NULL, 4, 0, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 5};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	assert_protected(cs, NULL, 5);
	braid_cellset_free(cs);
}

/* Tracts t1,t2 in district D, t3,t4 in E; categories a, b. */
static struct braid_cellset *tracts_and_districts(int with_rollup)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	static const char *tr[] = {"t1", "t2", "t3", "t4"};
	static const char *par[] = {"D", "D", "E", "E"};
	static const char *ds[] = {"D", "E"};
	static const char *ab[] = {"a", "b"};
	int64_t tv[] = {2, 40, 30, 50, 35, 45, 60, 70};
	int64_t dv[] = {32, 90, 95, 115};
	ASSERT_EQ(braid_cellset_add_table2(cs, "tract", 4, tr, 2, ab, tv, &err), BRAID_OK);
	if (with_rollup) {
		ASSERT_EQ(braid_cellset_add_table2(cs, "district", 2, ds, 2, ab, dv, &err), BRAID_OK);
		ASSERT_EQ(braid_cellset_add_rollup(cs, "tract", "district", 4, tr, par, 2, ab, &err),
			  BRAID_OK);
		ASSERT_EQ(braid_cellset_check(cs, 0, &err), BRAID_OK);
	}
	return cs;
}

TEST(release_audit_catches_hierarchy_attack)
{
	struct braid_err err;
	/* A rectangle across districts protects t1|a inside the tract table */
	struct braid_cellset *cs = tracts_and_districts(0);
	set_status(cs, "tract|t1|a", BRAID_CELL_PRIMARY);
	set_status(cs, "tract|t1|b", BRAID_CELL_COMPLEMENT);
	set_status(cs, "tract|t3|a", BRAID_CELL_COMPLEMENT);
	set_status(cs, "tract|t3|b", BRAID_CELL_COMPLEMENT);
	ASSERT_EQ(braid_release_verify(cs, NULL, 10, 0, &err), BRAID_OK);
	braid_cellset_free(cs);
	/* ... but district D's count of a minus t2's gives it away */
	cs = tracts_and_districts(1);
	set_status(cs, "tract|t1|a", BRAID_CELL_PRIMARY);
	set_status(cs, "tract|t1|b", BRAID_CELL_COMPLEMENT);
	set_status(cs, "tract|t3|a", BRAID_CELL_COMPLEMENT);
	set_status(cs, "tract|t3|b", BRAID_CELL_COMPLEMENT);
	ASSERT_EQ(braid_release_verify(cs, NULL, 10, 0, &err), BRAID_EDENIED);
	ASSERT(strstr(err.msg, "tract|t1|a"));
	/* protect handles the whole hierarchy */
	struct braid_protect_opts o = {.min_cell = 10};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	ASSERT_EQ(assert_protected(cs, NULL, 10), 1);
	braid_cellset_free(cs);
}

TEST(release_ledger_catches_differencing_pair)
{
	struct braid_err err;
	static const char *rows[] = {"t1", "t2", "t3"};
	static const char *cols[] = {"young", "old"};
	int64_t v[] = {37, 3, 50, 20, 45, 30};
	struct braid_cellset *r1 = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add_table2(r1, "age", 3, rows, 2, cols, v, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	ASSERT_EQ(braid_release_protect(r1, &o, NULL, NULL, &err), BRAID_OK);
	assert_protected(r1, NULL, 11);
	/* make sure the planted attack is meaningful: release 1 hid young */
	ASSERT_NE(braid_cellset_cell(r1, braid_cellset_find(r1, "age|t1|young"))->status,
		  BRAID_CELL_SHOWN);
	ASSERT_EQ(braid_cellset_cell(r1, braid_cellset_find(r1, "age|t1|*"))->status,
		  BRAID_CELL_SHOWN);
	struct braid_ledger *l = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(l, r1, &err), BRAID_OK);

	/* release 2 publishes t1's young count on its own: harmless alone */
	struct braid_cellset *r2 = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add(r2, "age|t1|young", 37, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(r2, "age|t1|*", 40, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_suppress_primary(r2, &o, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_release_verify(r2, NULL, 11, 0, &err), BRAID_OK);
	/* with the ledger: 40 - 37 = 3 */
	ASSERT_EQ(braid_release_verify(r2, l, 11, 0, &err), BRAID_EDENIED);
	ASSERT(strstr(err.msg, "age|t1|old"));
	/* the ledger survives its JSON and never holds a suppressed value */
	char *js = braid_ledger_to_json(l);
	ASSERT(js);
	ASSERT(strstr(js, "{\"id\": \"age|t1|old\", \"status\": \"primary\"}") ||
	       strstr(js, "{\"id\":\"age|t1|old\",\"status\":\"primary\"}"));
	struct braid_ledger *l2 = NULL;
	ASSERT_EQ(braid_ledger_from_json(js, &l2, &err), BRAID_OK);
	ASSERT_EQ(braid_ledger_ncells(l2), braid_ledger_ncells(l));
	ASSERT_EQ(braid_release_verify(r2, l2, 11, 0, &err), BRAID_EDENIED);
	/* protect with the ledger hides the young count again */
	ASSERT_EQ(braid_release_protect(r2, &o, l2, NULL, &err), BRAID_OK);
	ASSERT_NE(braid_cellset_cell(r2, braid_cellset_find(r2, "age|t1|young"))->status,
		  BRAID_CELL_SHOWN);
	assert_protected(r2, l2, 11);
	/* recording the same release twice adds no duplicate constraints */
	char *js2 = NULL;
	ASSERT_EQ(braid_ledger_record(l2, r1, &err), BRAID_OK);
	js2 = braid_ledger_to_json(l2);
	struct braid_ledger *l3 = NULL;
	ASSERT_EQ(braid_ledger_from_json(js2, &l3, &err), BRAID_OK);
	free(js2);
	js2 = braid_ledger_to_json(l3);
	ASSERT(strlen(js2) <= strlen(js) + 64);
	free(js);
	free(js2);
	braid_ledger_free(l);
	braid_ledger_free(l2);
	braid_ledger_free(l3);
	braid_cellset_free(r1);
	braid_cellset_free(r2);
}

TEST(release_cell_published_earlier_cannot_be_protected)
{
	struct braid_err err;
	struct braid_cellset *r1 = braid_cellset_new();
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(r1, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o1 = {.min_cell = 3};
	ASSERT_EQ(braid_release_protect(r1, &o1, NULL, NULL, &err), BRAID_OK);
	struct braid_ledger *l = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(l, r1, &err), BRAID_OK);
	struct braid_protect_opts o2 = {.min_cell = 5};
	ASSERT_EQ(braid_release_protect(r1, &o2, l, NULL, &err), BRAID_EDENIED);
	ASSERT(strstr(err.msg, "'T|t1|a'"));
	/* a contradicting republication is an error, not a silent pass */
	struct braid_cellset *r3 = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add(r3, "T|t2|*", 80, NULL, &err), BRAID_OK);
	ASSERT_EQ(braid_release_verify(r3, l, 5, 0, &err), BRAID_EINVAL);
	braid_ledger_free(l);
	braid_cellset_free(r1);
	braid_cellset_free(r3);
}

TEST(release_tables_sharing_cells_are_protected_together)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	static const char *sex[] = {"f", "m"};
	static const char *age[] = {"young", "old"};
	int64_t s[] = {20, 22, 4, 30, 25, 26};
	int64_t a[] = {40, 2, 28, 6, 30, 21};
	ASSERT_EQ(braid_cellset_add_table2(cs, "sex", 3, R3, 2, sex, s, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add_table2(cs, "age", 3, R3, 2, age, a, &err), BRAID_OK);
	/* the tract totals are the same people in both tables */
	for (size_t r = 0; r <= 3; r++) {
		char x[32], y[32];
		snprintf(x, sizeof x, "sex|%s|*", r < 3 ? R3[r] : "*");
		snprintf(y, sizeof y, "age|%s|*", r < 3 ? R3[r] : "*");
		size_t p = braid_cellset_find(cs, y);
		ASSERT_EQ(braid_cellset_constrain(cs, braid_cellset_find(cs, x), &p, 1, &err), BRAID_OK);
	}
	ASSERT_EQ(braid_cellset_check(cs, 0, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 5};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	ASSERT_EQ(assert_protected(cs, NULL, 5), 2);
	braid_cellset_free(cs);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

TEST(release_random_hierarchies_always_pass_the_audit)
{
	struct braid_err err;
	uint64_t seed = 42;
	for (int trial = 0; trial < 20; trial++) {
		size_t nt = 6 + lcg(&seed) % 10, nc = 2 + lcg(&seed) % 4, nd = 2 + lcg(&seed) % 3;
		char tk[16][8], dk[4][8], ck[6][8];
		const char *tr[16], *par[16], *ds[4], *cols[6];
		int64_t tv[16 * 6], dv[4 * 6] = {0};
		for (size_t d = 0; d < nd; d++) {
			snprintf(dk[d], sizeof dk[d], "d%zu", d);
			ds[d] = dk[d];
		}
		for (size_t c = 0; c < nc; c++) {
			snprintf(ck[c], sizeof ck[c], "c%zu", c);
			cols[c] = ck[c];
		}
		for (size_t t = 0; t < nt; t++) {
			snprintf(tk[t], sizeof tk[t], "t%zu", t);
			tr[t] = tk[t];
			size_t d = t % nd;
			par[t] = ds[d];
			for (size_t c = 0; c < nc; c++) {
				int64_t x = (int64_t)(lcg(&seed) % 4 ? lcg(&seed) % 60 : lcg(&seed) % 6);
				tv[t * nc + c] = x;
				dv[d * nc + c] += x;
			}
		}
		struct braid_cellset *cs = braid_cellset_new();
		ASSERT_EQ(braid_cellset_add_table2(cs, "T", nt, tr, nc, cols, tv, &err), BRAID_OK);
		ASSERT_EQ(braid_cellset_add_table2(cs, "D", nd, ds, nc, cols, dv, &err), BRAID_OK);
		ASSERT_EQ(braid_cellset_add_rollup(cs, "T", "D", nt, tr, par, nc, cols, &err), BRAID_OK);
		struct braid_protect_opts o = {.min_cell = 5, .allow_zero = (int)(trial & 1)};
		ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
		assert_protected_f(cs, NULL, 5, o.allow_zero ? BRAID_AUDIT_ZEROS_SHOWN : 0);
		braid_cellset_free(cs);
	}
}

TEST(release_rates_follow_suppression_and_code_5_95)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	size_t n1, n2, n3, d1, d2;
	ASSERT_EQ(braid_cellset_add(cs, "num1", 3, &n1, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "num2", 40, &n2, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "num3", 999, &n3, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "den1", 1000, &d1, &err), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "den2", 45, &d2, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	ASSERT_EQ(braid_suppress_primary(cs, &o, NULL, &err), BRAID_OK);
	struct braid_rate r;
	char s[32];
	ASSERT_EQ(braid_release_rate(cs, n1, d1, 1, 50, &r, &err), BRAID_OK);
	ASSERT_EQ(r.code, BRAID_RATE_SUPPRESSED);
	braid_rate_format(&r, s, sizeof s);
	ASSERT_STR_EQ(s, "");
	ASSERT_EQ(braid_release_rate(cs, n3, d1, 1, 50, &r, &err), BRAID_OK);
	ASSERT_EQ(r.code, BRAID_RATE_GT95);
	braid_rate_format(&r, s, sizeof s);
	ASSERT_STR_EQ(s, ">95%");
	ASSERT_EQ(braid_release_rate(cs, n3, d1, 0, 50, &r, &err), BRAID_OK);
	ASSERT_EQ(r.code, BRAID_RATE_SHOWN);
	braid_rate_format(&r, s, sizeof s);
	ASSERT_STR_EQ(s, "99.9%");
	/* a small denominator is flagged, not suppressed */
	ASSERT_EQ(braid_release_rate(cs, n2, d2, 1, 50, &r, &err), BRAID_OK);
	ASSERT_EQ(r.code, BRAID_RATE_SHOWN);
	ASSERT_EQ(r.unreliable, 1);
	ASSERT_NEAR(r.pct, 88.888889, 1e-5);
	ASSERT_EQ(braid_release_rate(cs, n2, d1, 1, 50, &r, &err), BRAID_OK);
	ASSERT_EQ(r.code, BRAID_RATE_LT5);
	ASSERT_EQ(r.unreliable, 0);
	braid_cellset_free(cs);
}

TEST(release_csv_leaves_suppressed_values_empty)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_cellset_csv(cs, &b), BRAID_OK);
	ASSERT(strstr(b.data, "\"T|t1|a\",,suppressed\n"));
	ASSERT(strstr(b.data, "\"T|*|*\",179,shown\n"));
	ASSERT(!strstr(b.data, ",3,"));
	braid_buf_release(&b);
	braid_cellset_free(cs);
}

TEST(release_audit_catches_attack_across_tables_of_one_release)
{
	struct braid_err err;
	static const char *sex[] = {"f", "m"};
	static const char *age[] = {"y", "o"};
	int64_t s[] = {3, 30, 25, 22, 40, 41};
	int64_t a[] = {20, 13, 30, 17, 50, 31};
	for (int linked = 0; linked <= 1; linked++) {
		struct braid_cellset *cs = braid_cellset_new();
		ASSERT_EQ(braid_cellset_add_table2(cs, "sex", 3, R3, 2, sex, s, &err), BRAID_OK);
		ASSERT_EQ(braid_cellset_add_table2(cs, "age", 3, R3, 2, age, a, &err), BRAID_OK);
		for (size_t r = 0; linked && r <= 3; r++) {
			char x[32], y[32];
			snprintf(x, sizeof x, "sex|%s|*", r < 3 ? R3[r] : "*");
			snprintf(y, sizeof y, "age|%s|*", r < 3 ? R3[r] : "*");
			size_t p = braid_cellset_find(cs, y);
			ASSERT_EQ(braid_cellset_constrain(cs, braid_cellset_find(cs, x), &p, 1, &err),
				  BRAID_OK);
		}
		ASSERT_EQ(braid_cellset_check(cs, 0, &err), BRAID_OK);
		/* inside the sex table, hiding t1's and t2's totals with their
		 * f cells leaves t1|f anywhere in [0, 28] ... */
		set_status(cs, "sex|t1|f", BRAID_CELL_PRIMARY);
		set_status(cs, "sex|t1|*", BRAID_CELL_COMPLEMENT);
		set_status(cs, "sex|t2|f", BRAID_CELL_COMPLEMENT);
		set_status(cs, "sex|t2|*", BRAID_CELL_COMPLEMENT);
		/* ... but the age table shows t1's total: 33 - 30 = 3 */
		braid_rc rc = braid_release_verify(cs, NULL, 11, 0, &err);
		if (!linked) {
			ASSERT_EQ(rc, BRAID_OK);
		} else {
			ASSERT_EQ(rc, BRAID_EDENIED);
			ASSERT(strstr(err.msg, "sex|t1|f"));
			struct braid_protect_opts o = {.min_cell = 11};
			ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
			assert_protected(cs, NULL, 11);
		}
		braid_cellset_free(cs);
	}
}

TEST(release_cell_primary_earlier_stays_suppressed)
{
	struct braid_err err;
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	struct braid_cellset *r1 = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add_table2(r1, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o1 = {.min_cell = 11};
	ASSERT_EQ(braid_release_protect(r1, &o1, NULL, NULL, &err), BRAID_OK);
	struct braid_ledger *l = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(l, r1, &err), BRAID_OK);
	/* a later agreement with min_cell 2 would show 3, but not here */
	struct braid_cellset *r2 = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add_table2(r2, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o2 = {.min_cell = 2, .protection = 11};
	ASSERT_EQ(braid_release_protect(r2, &o2, l, NULL, &err), BRAID_OK);
	const struct braid_cell *c = braid_cellset_cell(r2, braid_cellset_find(r2, "T|t1|a"));
	ASSERT_EQ(c->status, BRAID_CELL_PRIMARY);
	ASSERT(c->flags & BRAID_CELLF_LEDGER);
	assert_protected(r2, l, 11);
	braid_ledger_free(l);
	braid_cellset_free(r1);
	braid_cellset_free(r2);
}

TEST(release_ledger_json_errors_name_the_place)
{
	struct braid_err err;
	struct braid_ledger *l = NULL;
	ASSERT_EQ(braid_ledger_from_json("{\"cells\": [", &l, &err), BRAID_EPARSE);
	ASSERT(err.line >= 1);
	ASSERT(l == NULL);
	ASSERT_EQ(braid_ledger_from_json("{\"cells\": [{\"id\": \"a\", \"status\": \"shown\"}],"
					 " \"constraints\": []}", &l, &err), BRAID_EPARSE);
	ASSERT(strstr(err.msg, "cells[0]"));
	ASSERT_EQ(braid_ledger_from_json("{\"cells\": [{\"id\": \"a\", \"status\": \"primary\"}],"
					 " \"constraints\": [[\"a\", \"b\"]]}", &l, &err), BRAID_EPARSE);
	ASSERT(strstr(err.msg, "constraints[0][1]"));
	ASSERT_EQ(braid_ledger_from_json("{\"cells\": [{\"id\": \"a\", \"status\": \"primary\"}],"
					 " \"constraints\": [[\"a\", \"a\"]]}", &l, &err), BRAID_EPARSE);
	/* a ledger whose numbers cannot all hold is refused by the audit */
	ASSERT_EQ(braid_ledger_from_json(
			  "{\"cells\": [{\"id\": \"t\", \"status\": \"shown\", \"value\": 3},"
			  " {\"id\": \"a\", \"status\": \"shown\", \"value\": 5},"
			  " {\"id\": \"b\", \"status\": \"primary\"}],"
			  " \"constraints\": [[\"t\", \"a\", \"b\"]]}", &l, &err), BRAID_OK);
	struct braid_cellset *none = braid_cellset_new();
	ASSERT_EQ(braid_release_verify(none, l, 5, 0, &err), BRAID_EINVAL);
	ASSERT(strstr(err.msg, "'b'"));
	braid_cellset_free(none);
	braid_ledger_free(l);
	l = NULL;
	ASSERT_EQ(braid_ledger_from_json("{\"cells\": [], \"constraints\": []}", &l, &err), BRAID_OK);
	ASSERT_EQ(braid_ledger_ncells(l), 0);
	braid_ledger_free(l);
}

TEST(release_audit_knows_hidden_cells_are_not_zero_when_zeros_are_shown)
{
	struct braid_err err;
	static const char *rows[] = {"t1", "t2"};
	static const char *cols[] = {"a", "b"};
	int64_t v[] = {3, 8, 8, 40};
	struct braid_cellset *cs = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 2, rows, 2, cols, v, &err), BRAID_OK);
	set_status(cs, "T|t1|a", BRAID_CELL_PRIMARY);
	set_status(cs, "T|t1|b", BRAID_CELL_COMPLEMENT);
	set_status(cs, "T|t2|a", BRAID_CELL_COMPLEMENT);
	set_status(cs, "T|t2|b", BRAID_CELL_COMPLEMENT);
	/* t1|a in [0, 11] from the sums alone ... */
	ASSERT_EQ(braid_release_verify(cs, NULL, 11, 0, &err), BRAID_OK);
	/* ... but in [1, 10] when every hidden cell must be non-zero */
	struct braid_audit a;
	braid_audit_init(&a);
	ASSERT_EQ(braid_release_audit(cs, NULL, 11, BRAID_AUDIT_EXACT | BRAID_AUDIT_ZEROS_SHOWN,
				      &a, &err), BRAID_OK);
	ASSERT_EQ(a.n, 1);
	ASSERT_NEAR(a.cells[0].lo, 1, 1e-9);
	ASSERT_NEAR(a.cells[0].hi, 10, 1e-9);
	braid_audit_release(&a);
	ASSERT_EQ(braid_release_verify(cs, NULL, 11, BRAID_AUDIT_ZEROS_SHOWN, &err), BRAID_EDENIED);
	/* protect with zeros shown widens it, and never hides a zero */
	braid_cellset_free(cs);
	int64_t w[] = {3, 8, 0, 8, 40, 0, 0, 30, 25};
	cs = braid_cellset_new();
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, w, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11, .allow_zero = 1};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	assert_protected_f(cs, NULL, 11, BRAID_AUDIT_ZEROS_SHOWN);
	for (size_t i = 0; i < braid_cellset_count(cs); i++) {
		const struct braid_cell *c = braid_cellset_cell(cs, i);
		if (c->value == 0)
			ASSERT_EQ(c->status, BRAID_CELL_SHOWN);
	}
	braid_cellset_free(cs);
}

TEST(release_ledger_json_survives_mutations)
{
	struct braid_err err;
	struct braid_cellset *cs = braid_cellset_new();
	int64_t v[] = {3, 20, 30, 14, 25, 40, 11, 17, 19};
	ASSERT_EQ(braid_cellset_add_table2(cs, "T", 3, R3, 3, C3, v, &err), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 11};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &err), BRAID_OK);
	struct braid_ledger *l = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(l, cs, &err), BRAID_OK);
	char *js = braid_ledger_to_json(l);
	size_t n = strlen(js);
	uint64_t seed = 1;
	static const char alphabet[] = "{}[]\",:0123456789-eE.tnfsu \\|*";
	size_t ok = 0;
	for (int i = 0; i < 3000; i++) {
		char *m = malloc(n + 1);
		memcpy(m, js, n + 1);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t at = (size_t)(seed >> 33) % n;
			m[at] = alphabet[(seed >> 13) % (sizeof alphabet - 1)];
		}
		struct braid_ledger *l2 = NULL;
		braid_rc rc = braid_ledger_from_json(m, &l2, &err);
		ASSERT(rc == BRAID_OK || rc == BRAID_EPARSE || rc == BRAID_EINVAL);
		ASSERT((rc == BRAID_OK) == (l2 != NULL));
		if (l2) {
			ok++;
			/* whatever parsed is usable by the audit */
			braid_rc arc = braid_release_verify(cs, l2, 11, 0, &err);
			ASSERT(arc == BRAID_OK || arc == BRAID_EDENIED || arc == BRAID_EINVAL);
		}
		braid_ledger_free(l2);
		free(m);
	}
	ASSERT(ok > 0);
	free(js);
	braid_ledger_free(l);
	braid_cellset_free(cs);
}
