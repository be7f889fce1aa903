#include "test.h"
#include "braid/pindex.h"

#include <stdio.h>

static struct braid_store *open_ws(void)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	struct braid_err err;
	setenv("BRAID_KEY_FILE", "", 1);
	unsetenv("BRAID_KEY_FILE");
	if (braid_workspace_init(dir, &err))
		TEST_FAIL_("init: %s", err.msg);
	struct braid_store *s;
	if (braid_store_open(dir, &s, &err))
		TEST_FAIL_("open: %s", err.msg);
	return s;
}

static void apply(struct braid_store *s, const int64_t *keys, const uint32_t *cl, size_t n,
		  struct braid_pindex_stats *st)
{
	struct braid_err err;
	if (braid_store_begin(s, &err) || braid_pindex_apply(s, keys, cl, n, "test", st, &err) ||
	    braid_store_commit(s, &err))
		TEST_FAIL_("apply: %s", err.msg);
}

static void pid(struct braid_store *s, int64_t key, char *out)
{
	struct braid_err err;
	if (braid_pindex_person_of(s, key, out, &err))
		TEST_FAIL_("person_of %lld: %s", (long long)key, err.msg);
}

struct hist { int merged_into, absorbed, split_from, split, created, retired; };
static int on_event(void *ctx, const struct braid_pindex_event *e)
{
	struct hist *h = ctx;
	if (!strcmp(e->event, "merged_into")) h->merged_into++;
	if (!strcmp(e->event, "absorbed")) h->absorbed++;
	if (!strcmp(e->event, "split_from")) h->split_from++;
	if (!strcmp(e->event, "split")) h->split++;
	if (!strcmp(e->event, "created")) h->created++;
	if (!strcmp(e->event, "retired")) h->retired++;
	return 0;
}

TEST(pindex_same_clusters_renumbered_keep_every_id)
{
	struct braid_store *s = open_ws();
	int64_t keys[] = {1, 2, 3, 4, 5};
	uint32_t a[] = {0, 0, 1, 2, 2}, b[] = {2, 2, 0, 1, 1};
	struct braid_pindex_stats st;
	apply(s, keys, a, 5, &st);
	ASSERT_EQ(st.created, 3);
	ASSERT_EQ(st.persons, 3);
	char p1[16], p2[16], p3[16], q1[16], q3[16], q5[16];
	pid(s, 1, p1); pid(s, 2, p2); pid(s, 3, p3);
	ASSERT_STR_EQ(p1, p2);
	ASSERT(strcmp(p1, p3) != 0);
	ASSERT_EQ(strlen(p1), BRAID_PERSON_ID_LEN);
	apply(s, keys, b, 5, &st);
	ASSERT_EQ(st.unchanged, 3);
	ASSERT_EQ(st.created, 0);
	ASSERT_EQ(st.records_moved, 0);
	pid(s, 1, q1); pid(s, 3, q3); pid(s, 5, q5);
	ASSERT_STR_EQ(q1, p1);
	ASSERT_STR_EQ(q3, p3);
	braid_store_close(s);
}

TEST(pindex_merge_keeps_the_larger_id_and_records_why)
{
	struct braid_store *s = open_ws();
	int64_t keys[] = {1, 2, 3, 4};
	uint32_t a[] = {0, 0, 0, 1}, b[] = {0, 0, 0, 0};
	struct braid_pindex_stats st;
	apply(s, keys, a, 4, &st);
	char big[16], small[16], after[16];
	pid(s, 1, big); pid(s, 4, small);
	apply(s, keys, b, 4, &st);
	ASSERT_EQ(st.merged, 1);
	ASSERT_EQ(st.persons, 1);
	pid(s, 4, after);
	ASSERT_STR_EQ(after, big);
	struct hist h = {0};
	struct braid_err err;
	ASSERT_EQ(braid_pindex_history(s, small, on_event, &h, &err), BRAID_OK);
	ASSERT_EQ(h.merged_into, 1);
	memset(&h, 0, sizeof h);
	ASSERT_EQ(braid_pindex_history(s, big, on_event, &h, &err), BRAID_OK);
	ASSERT_EQ(h.absorbed, 1);
	braid_store_close(s);
}

TEST(pindex_split_keeps_the_id_on_the_larger_piece)
{
	struct braid_store *s = open_ws();
	int64_t keys[] = {1, 2, 3, 4};
	uint32_t a[] = {0, 0, 0, 0}, b[] = {1, 1, 1, 0};
	struct braid_pindex_stats st;
	apply(s, keys, a, 4, &st);
	char before[16], big[16], piece[16];
	pid(s, 1, before);
	apply(s, keys, b, 4, &st);
	ASSERT_EQ(st.split, 1);
	ASSERT_EQ(st.kept, 1);
	pid(s, 2, big); pid(s, 4, piece);
	ASSERT_STR_EQ(big, before);
	ASSERT(strcmp(piece, before) != 0);
	struct hist h = {0};
	struct braid_err err;
	ASSERT_EQ(braid_pindex_history(s, piece, on_event, &h, &err), BRAID_OK);
	ASSERT_EQ(h.split_from, 1);
	braid_store_close(s);
}

TEST(pindex_new_records_join_and_removed_persons_retire)
{
	struct braid_store *s = open_ws();
	int64_t k1[] = {1, 2, 3};
	uint32_t a[] = {0, 0, 1};
	struct braid_pindex_stats st;
	apply(s, k1, a, 3, &st);
	char p1[16], p3[16], p9[16], after[16];
	pid(s, 1, p1); pid(s, 3, p3);
	/* record 3 withdrawn; record 9 is new and joins person of 1 */
	int64_t k2[] = {1, 2, 9};
	uint32_t b[] = {0, 0, 0};
	apply(s, k2, b, 3, &st);
	ASSERT_EQ(st.retired, 1);
	pid(s, 9, p9);
	ASSERT_STR_EQ(p9, p1);
	struct braid_err err;
	ASSERT_EQ(braid_pindex_person_of(s, 3, after, &err), BRAID_ENOTFOUND);
	struct hist h = {0};
	ASSERT_EQ(braid_pindex_history(s, p3, on_event, &h, &err), BRAID_OK);
	ASSERT_EQ(h.retired, 1);
	ASSERT_EQ(braid_pindex_history(s, "PNOSUCHPERSON", on_event, &h, &err), BRAID_ENOTFOUND);
	braid_store_close(s);
}
