/* Release persistence (src/release/store.c): the ledger, the epsilon budget
 * per agreement and the list of releases survive closing the store. */
#include "test.h"
#include "braid/release.h"
#include "braid/release_store.h"
#include "braid/store.h"

#include <stdint.h>

static const char *ws_dir(const char *sub)
{
	static char dir[512];
	snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), sub);
	return dir;
}

static struct braid_store *open_ws(const char *dir, int create)
{
	struct braid_err e;
	braid_err_clear(&e);
	if (create && braid_workspace_init(dir, &e))
		TEST_FAIL_("init: %s", e.msg);
	struct braid_store *s = NULL;
	if (braid_store_open(dir, &s, &e))
		TEST_FAIL_("open: %s", e.msg);
	return s;
}

TEST(release_store_empty_ledger_and_default_budget)
{
	const char *dir = ws_dir("a");
	struct braid_store *s = open_ws(dir, 1);
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_ledger *l = NULL;
	ASSERT_EQ(braid_release_ledger_load(s, &l, &e), BRAID_OK);
	ASSERT(l != NULL);
	ASSERT_EQ(braid_ledger_ncells(l), 0);
	braid_ledger_free(l);
	struct braid_budget b;
	ASSERT_EQ(braid_release_budget_load(s, "ag-1", &b, &e), BRAID_OK);
	ASSERT_NEAR(b.total, BRAID_RELEASE_BUDGET_DEFAULT, 1e-12);
	ASSERT_NEAR(b.spent, 0, 1e-12);
	ASSERT_STR_EQ(b.agreement, "ag-1");
	braid_store_close(s);
}

TEST(release_store_ledger_round_trips_through_the_store)
{
	const char *dir = ws_dir("b");
	struct braid_store *s = open_ws(dir, 1);
	struct braid_err e;
	braid_err_clear(&e);
	/* A table t with a row total: a=3 (primary at 5), b=20, total 23. */
	struct braid_cellset *cs = braid_cellset_new();
	size_t ia, ib, it;
	ASSERT_EQ(braid_cellset_add(cs, "t|a", 3, &ia, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "t|b", 20, &ib, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(cs, "t", 23, &it, &e), BRAID_OK);
	size_t parts[2] = {ia, ib};
	ASSERT_EQ(braid_cellset_constrain(cs, it, parts, 2, &e), BRAID_OK);
	struct braid_protect_opts o = {.min_cell = 5, .allow_zero = 1};
	ASSERT_EQ(braid_release_protect(cs, &o, NULL, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(cs, ia)->status, BRAID_CELL_PRIMARY);
	struct braid_ledger *l = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(l, cs, &e), BRAID_OK);
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	ASSERT_EQ(braid_release_ledger_save(s, l, &e), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &e), BRAID_OK);
	char *want = braid_ledger_to_json(l);
	braid_ledger_free(l);
	braid_store_close(s);

	s = open_ws(dir, 0);
	struct braid_ledger *back = NULL;
	ASSERT_EQ(braid_release_ledger_load(s, &back, &e), BRAID_OK);
	char *got = braid_ledger_to_json(back);
	ASSERT_STR_EQ(got, want);
	ASSERT_EQ(braid_ledger_ncells(back), 3);
	/* The stored ledger still protects: a new release of the same cells
	 * must keep t|a suppressed as primary even at min_cell 1. */
	struct braid_protect_opts o1 = {.min_cell = 1, .allow_zero = 1};
	ASSERT_EQ(braid_suppress_primary(cs, &o1, back, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(cs, ia)->status, BRAID_CELL_PRIMARY);
	/* Saving again replaces, never appends a second ledger. */
	ASSERT_EQ(braid_release_ledger_save(s, back, &e), BRAID_OK);
	struct braid_stmt *st;
	int row = 0;
	ASSERT_EQ(braid_store_prepare(s, "SELECT count(*) FROM release_ledger", &st, &e), BRAID_OK);
	ASSERT_EQ(braid_stmt_step(st, &row, &e), BRAID_OK);
	ASSERT_EQ(braid_stmt_int64(st, 0), 1);
	braid_stmt_finalize(st);
	free(got);
	free(want);
	braid_ledger_free(back);
	braid_cellset_free(cs);
	braid_store_close(s);
}

TEST(release_store_budget_spend_persists_and_refuses_when_spent)
{
	const char *dir = ws_dir("c");
	struct braid_store *s = open_ws(dir, 1);
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_release_budget_set(s, "ag-1", 1.0, &e), BRAID_OK);
	struct braid_budget b;
	ASSERT_EQ(braid_release_budget_load(s, "ag-1", &b, &e), BRAID_OK);
	ASSERT_EQ(braid_budget_spend(&b, 0.6, &e), BRAID_OK);
	ASSERT_EQ(braid_release_budget_save(s, &b, &e), BRAID_OK);
	braid_store_close(s);

	s = open_ws(dir, 0);
	ASSERT_EQ(braid_release_budget_load(s, "ag-1", &b, &e), BRAID_OK);
	ASSERT_NEAR(b.total, 1.0, 1e-12);
	ASSERT_NEAR(b.spent, 0.6, 1e-12);
	ASSERT_EQ(braid_budget_spend(&b, 0.6, &e), BRAID_EDENIED);
	/* Other agreements have their own budget. */
	struct braid_budget o;
	ASSERT_EQ(braid_release_budget_load(s, "ag-2", &o, &e), BRAID_OK);
	ASSERT_NEAR(o.spent, 0, 1e-12);
	/* Raising the total keeps what was spent. */
	ASSERT_EQ(braid_release_budget_set(s, "ag-1", 2.0, &e), BRAID_OK);
	ASSERT_EQ(braid_release_budget_load(s, "ag-1", &b, &e), BRAID_OK);
	ASSERT_NEAR(b.total, 2.0, 1e-12);
	ASSERT_NEAR(b.spent, 0.6, 1e-12);
	ASSERT_EQ(braid_release_budget_set(s, "ag-1", -1, &e), BRAID_EINVAL);
	braid_store_close(s);
}

struct listed {
	int n;
	int64_t ids[4];
	char hash[4][80];
	int64_t suppressed[4];
	double eps[4];
};

static int collect(void *ctx, const struct braid_release_rec *r)
{
	struct listed *l = ctx;
	if (l->n < 4) {
		l->ids[l->n] = r->id;
		snprintf(l->hash[l->n], sizeof l->hash[0], "%s", r->hash);
		l->suppressed[l->n] = r->suppressed;
		l->eps[l->n] = r->epsilon;
	}
	l->n++;
	return 0;
}

TEST(release_store_lists_releases_in_order)
{
	const char *dir = ws_dir("d");
	struct braid_store *s = open_ws(dir, 1);
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_release_rec r = {
		.created = "2026-11-25T10:00:00Z", .user = "ann", .agreement = "ag-1",
		.purpose = "p", .query = "index event x\ncount persons by race\n",
		.tables = "race", .out_dir = "/tmp/r1", .cells = 5, .suppressed = 2,
		.hash = "aa"};
	ASSERT_EQ(braid_release_record_add(s, &r, &e), BRAID_OK);
	ASSERT_EQ(r.id, 1);
	r.hash = "bb";
	r.suppressed = 0;
	r.epsilon = 0.5;
	r.mechanism = "discrete_laplace";
	ASSERT_EQ(braid_release_record_add(s, &r, &e), BRAID_OK);
	ASSERT_EQ(r.id, 2);
	braid_store_close(s);
	s = open_ws(dir, 0);
	struct listed l = {0};
	ASSERT_EQ(braid_release_record_list(s, collect, &l, &e), BRAID_OK);
	ASSERT_EQ(l.n, 2);
	ASSERT_EQ(l.ids[0], 1);
	ASSERT_EQ(l.ids[1], 2);
	ASSERT_STR_EQ(l.hash[0], "aa");
	ASSERT_STR_EQ(l.hash[1], "bb");
	ASSERT_EQ(l.suppressed[0], 2);
	ASSERT_NEAR(l.eps[1], 0.5, 1e-12);
	braid_store_close(s);
}
