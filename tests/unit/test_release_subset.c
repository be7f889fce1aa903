/* Differencing between different cohorts (src/release/fingerprint.c): the
 * power-sum fingerprints recognise nested sets of people and their
 * difference, and the ledger relation makes a release of a subset cohort
 * that differs from an earlier release by a few people suppress (or the
 * audit refuse) what would give the difference away. */
#include "test.h"
#include "braid/release.h"

#include <stdint.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* people [from, to) by their "keyed hash" */
static void fp_range(struct braid_fp *f, uint64_t from, uint64_t to)
{
	braid_fp_init(f);
	for (uint64_t i = from; i < to; i++)
		braid_fp_add(f, mix(i));
}

TEST(release_fp_recognises_nested_sets_and_their_difference)
{
	struct braid_fp a, b, c;
	size_t d = 99;
	fp_range(&a, 0, 500);
	fp_range(&b, 3, 500);
	ASSERT_EQ(braid_fp_relate(&a, &b, &d), BRAID_FP_A_SUPER);
	ASSERT_EQ(d, 3);
	ASSERT_EQ(braid_fp_relate(&b, &a, &d), BRAID_FP_B_SUPER);
	ASSERT_EQ(d, 3);
	fp_range(&c, 0, 500);
	ASSERT_EQ(braid_fp_relate(&a, &c, &d), BRAID_FP_EQUAL);
	ASSERT_EQ(d, 0);
	/* every difference up to the maximum, people taken out anywhere */
	for (uint64_t k = 1; k <= BRAID_FP_MAX_DIFF; k++) {
		braid_fp_init(&b);
		for (uint64_t i = 0; i < 500; i++)
			if (i % 23 != 0 || i / 23 >= k)
				braid_fp_add(&b, mix(i));
		ASSERT_EQ(braid_fp_relate(&a, &b, &d), BRAID_FP_A_SUPER);
		ASSERT_EQ(d, k);
	}
	/* too large a difference, and overlaps that are not nestings */
	fp_range(&b, BRAID_FP_MAX_DIFF + 1, 500);
	ASSERT_EQ(braid_fp_relate(&a, &b, &d), BRAID_FP_UNRELATED);
	fp_range(&b, 2, 502); /* 2 out, 2 in: same size, not nested */
	ASSERT_EQ(braid_fp_relate(&a, &b, &d), BRAID_FP_UNRELATED);
	fp_range(&b, 1, 505);
	ASSERT_EQ(braid_fp_relate(&a, &b, &d), BRAID_FP_UNRELATED);
	/* no false nesting among many unrelated random pairs */
	for (uint64_t t = 0; t < 2000; t++) {
		fp_range(&b, 1000 + t * 7, 1000 + t * 7 + (t % 15) + 1);
		fp_range(&c, 500000 + t * 11, 500000 + t * 11 + (t % 13) + 1);
		ASSERT_EQ(braid_fp_relate(&b, &c, &d), BRAID_FP_UNRELATED);
	}
}

/* One release: a cohort total (one cell) with the fingerprint of people
 * [from, to), protected against the ledger with or without the relation. */
static struct braid_cellset *total_release(const char *id, uint64_t from, uint64_t to)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_cellset *cs = braid_cellset_new();
	size_t i;
	if (braid_cellset_add(cs, id, (int64_t)(to - from), &i, &e))
		TEST_FAIL_("add: %s", e.msg);
	struct braid_fp f;
	fp_range(&f, from, to);
	if (braid_cellset_set_fp(cs, i, &f, &e))
		TEST_FAIL_("fp: %s", e.msg);
	return cs;
}

TEST(release_ledger_catches_differencing_between_cohorts)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_protect_opts po = {.min_cell = 11};
	struct braid_ledger *l = braid_ledger_new();
	/* release 1: "booked in 2024" total of 240 people, published */
	struct braid_cellset *r1 = total_release("cA", 0, 240);
	ASSERT_EQ(braid_ledger_relate(l, r1, 11, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_release_protect(r1, &po, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r1, 0)->status, BRAID_CELL_SHOWN);
	ASSERT_EQ(braid_ledger_record(l, r1, &e), BRAID_OK);
	/* through JSON, as the store keeps it */
	char *js = braid_ledger_to_json(l);
	ASSERT(js && strstr(js, "\"fp\""));
	braid_ledger_free(l);
	l = NULL;
	ASSERT_EQ(braid_ledger_from_json(js, &l, &e), BRAID_OK);
	free(js);

	/* release 2: the same query with one more filter: 236 of them.
	 * Alone 236 is harmless; with release 1, 240 - 236 = 4 people. */
	struct braid_cellset *r2 = total_release("cB", 4, 240);
	struct braid_ledger *plain = braid_ledger_new();
	ASSERT_EQ(braid_ledger_record(plain, r1, &e), BRAID_OK);
	ASSERT_EQ(braid_release_protect(r2, &po, plain, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r2, 0)->status, BRAID_CELL_SHOWN); /* ids alone miss it */
	braid_ledger_free(plain);

	size_t found = 0;
	ASSERT_EQ(braid_ledger_relate(l, r2, 11, &found, &e), BRAID_OK);
	ASSERT_EQ(found, 1);
	struct braid_audit a;
	braid_audit_init(&a);
	ASSERT_EQ(braid_release_protect(r2, &po, l, &a, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r2, 0)->status, BRAID_CELL_COMPLEMENT);
	ASSERT_EQ(a.n_failed, 0);
	/* forcing the total out is refused by the audit */
	struct braid_cellset *r2b = total_release("cB", 4, 240);
	ASSERT_EQ(braid_release_verify(r2b, l, 11, 0, &e), BRAID_EDENIED);
	/* the same when the ledger's own, untouched parts are skipped */
	ASSERT_EQ(braid_release_verify(r2b, l, 11, BRAID_AUDIT_SKIP_OLD, &e), BRAID_EDENIED);
	braid_cellset_free(r2b);
	braid_audit_release(&a);
	ASSERT_EQ(braid_ledger_record(l, r2, &e), BRAID_OK);

	/* release 3: a superset by 30 people is not a small difference */
	struct braid_cellset *r3 = total_release("cC", 0, 270);
	ASSERT_EQ(braid_ledger_relate(l, r3, 11, &found, &e), BRAID_OK);
	ASSERT_EQ(found, 0);
	ASSERT_EQ(braid_release_protect(r3, &po, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r3, 0)->status, BRAID_CELL_SHOWN);

	/* release 4: the same 240 people under another query text: equal
	 * sets, so its cell is the published 240 and must agree with it
	 * (and it contains release 2's 236, by 4 people: a second relation) */
	struct braid_cellset *r4 = total_release("cD", 0, 240);
	ASSERT_EQ(braid_ledger_relate(l, r4, 11, &found, &e), BRAID_OK);
	ASSERT_EQ(found, 2);
	ASSERT_EQ(braid_release_protect(r4, &po, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r4, 0)->status, BRAID_CELL_SHOWN);
	braid_cellset_free(r1);
	braid_cellset_free(r2);
	braid_cellset_free(r3);
	braid_cellset_free(r4);
	braid_ledger_free(l);
}

TEST(release_ledger_difference_stays_sensitive_in_later_releases)
{
	/* After release 2 (the subset, suppressed), release 3 publishes the
	 * subset's total by the same id under a smaller minimum: still
	 * refused, because the difference cell is in the ledger. */
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_protect_opts po = {.min_cell = 11};
	struct braid_ledger *l = braid_ledger_new();
	struct braid_cellset *r1 = total_release("cA", 0, 100);
	ASSERT_EQ(braid_release_protect(r1, &po, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_ledger_record(l, r1, &e), BRAID_OK);
	struct braid_cellset *r2 = total_release("cB", 0, 98);
	ASSERT_EQ(braid_ledger_relate(l, r2, 11, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_release_protect(r2, &po, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_ledger_record(l, r2, &e), BRAID_OK);
	char *js = braid_ledger_to_json(l);
	struct braid_ledger *l2 = NULL;
	ASSERT_EQ(braid_ledger_from_json(js, &l2, &e), BRAID_OK);
	free(js);
	struct braid_cellset *r3 = total_release("cB", 0, 98);
	ASSERT_EQ(braid_release_verify(r3, l2, 3, 0, &e), BRAID_EDENIED);
	braid_cellset_free(r1);
	braid_cellset_free(r2);
	braid_cellset_free(r3);
	braid_ledger_free(l);
	braid_ledger_free(l2);
}

TEST(release_same_people_as_an_earlier_small_cell_stay_suppressed)
{
	/* Release 1 (minimum 11) hid a cell of 5 people; release 2, another
	 * query text under a minimum of 3, has a cell with exactly those 5:
	 * it is suppressed too, by the ledger. */
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_protect_opts p11 = {.min_cell = 11}, p3 = {.min_cell = 3};
	struct braid_ledger *l = braid_ledger_new();
	struct braid_cellset *r1 = braid_cellset_new();
	size_t it, ia, ib;
	struct braid_fp f;
	ASSERT_EQ(braid_cellset_add(r1, "old", 105, &it, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(r1, "old|x=a", 5, &ia, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_add(r1, "old|x=b", 100, &ib, &e), BRAID_OK);
	size_t parts[2] = {ia, ib};
	ASSERT_EQ(braid_cellset_constrain(r1, it, parts, 2, &e), BRAID_OK);
	fp_range(&f, 0, 105);
	ASSERT_EQ(braid_cellset_set_fp(r1, it, &f, &e), BRAID_OK);
	fp_range(&f, 0, 5);
	ASSERT_EQ(braid_cellset_set_fp(r1, ia, &f, &e), BRAID_OK);
	fp_range(&f, 5, 105);
	ASSERT_EQ(braid_cellset_set_fp(r1, ib, &f, &e), BRAID_OK);
	ASSERT_EQ(braid_release_protect(r1, &p11, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r1, ia)->status, BRAID_CELL_PRIMARY);
	ASSERT_EQ(braid_ledger_record(l, r1, &e), BRAID_OK);
	struct braid_cellset *r2 = total_release("new", 0, 5);
	struct braid_cellset *r2b = total_release("new", 0, 5);
	ASSERT_EQ(braid_release_protect(r2b, &p3, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r2b, 0)->status, BRAID_CELL_SHOWN); /* ids alone */
	ASSERT_EQ(braid_ledger_relate(l, r2, 3, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_release_protect(r2, &p3, l, NULL, &e), BRAID_OK);
	ASSERT_EQ(braid_cellset_cell(r2, 0)->status, BRAID_CELL_PRIMARY);
	braid_cellset_free(r1);
	braid_cellset_free(r2);
	braid_cellset_free(r2b);
	braid_ledger_free(l);
}
