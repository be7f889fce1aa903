/* Saved models and incremental linking: a model read back from its JSON
 * gives the same weights to the bit, and linking new records against an
 * earlier run gives the same persons as a full run with the same model. */
#include "test.h"
#include "../../src/link/link_int.h"

#include <math.h>
#include <stdint.h>

#include "link_town.h"

static struct town T;

static struct braid_linker *fitted(size_t n, char **json)
{
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_new(T.r, n, NULL, &err);
	ASSERT(l != NULL);
	ASSERT_EQ(braid_linker_run(l, &err), BRAID_OK);
	*json = braid_linker_model_json(l);
	ASSERT(*json != NULL);
	return l;
}

static struct braid_linker *loaded(size_t n, const char *json,
				   const struct braid_link_opts *o)
{
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_new(T.r, n, o, &err);
	ASSERT(l != NULL);
	braid_rc rc = braid_linker_load_model(l, json, &err);
	if (rc)
		TEST_FAIL_("load_model: %s", err.msg);
	return l;
}

/* ---------------------------------------------------------------- tests */

TEST(link_model_json_round_trip_gives_identical_weights)
{
	make_town(&T, 1500);
	char *j1;
	struct braid_linker *a = fitted(T.n, &j1);
	struct braid_linker *b = loaded(T.n, j1, NULL);
	char *j2 = braid_linker_model_json(b);
	ASSERT_STR_EQ(j2, j1);
	ASSERT(braid_linker_stats(b)->threshold == braid_linker_stats(a)->threshold);
	ASSERT(braid_linker_stats(b)->review_low == braid_linker_stats(a)->review_low);
	ASSERT_EQ(b->nrules, a->nrules);
	ASSERT_EQ(b->cx.active, a->cx.active);
	size_t differ = 0, checked = 0;
	for (uint32_t i = 0; i < 400; i++)
		for (uint32_t k = i + 1; k < 400; k++, checked++)
			differ += braid__pair_weight(a, i, k) != braid__pair_weight(b, i, k);
	ASSERT_EQ(differ, 0);
	ASSERT(checked > 70000);
	/* the scored pairs of the fitted run weigh the same under the loaded model */
	struct braid_link_pair *pp;
	size_t np;
	struct braid_err err = {0};
	ASSERT_EQ(braid_linker_pairs(a, -1e9, &pp, &np, &err), BRAID_OK);
	ASSERT(np > 500);
	for (size_t i = 0; i < np; i++) {
		struct braid_link_explanation ea, eb;
		ASSERT_EQ(braid_linker_explain(a, pp[i].a, pp[i].b, &ea, &err), BRAID_OK);
		ASSERT_EQ(braid_linker_explain(b, pp[i].a, pp[i].b, &eb, &err), BRAID_OK);
		ASSERT(ea.weight == eb.weight);
		ASSERT(fabsf((float)eb.weight - pp[i].weight) < 1e-3f);
	}
	free(pp);
	/* a loaded model is not estimated again */
	ASSERT_EQ(braid_linker_run(b, &err), BRAID_EINVAL);
	free(j1);
	free(j2);
	braid_linker_free(a);
	braid_linker_free(b);
}

TEST(link_model_load_rejects_damaged_json_naming_the_field)
{
	make_town(&T, 200);
	char *j;
	struct braid_linker *a = fitted(T.n, &j);
	struct braid_err err = {0};
	struct braid_linker *b = braid_linker_new(T.r, T.n, NULL, &err);
	ASSERT_EQ(braid_linker_load_model(b, "{\"lambda\": 0.01", &err), BRAID_EPARSE);
	char *bad = strdup(j);
	char *p = strstr(bad, "\"threshold\"");
	ASSERT(p != NULL);
	memcpy(p, "\"threshXld\"", 11);
	ASSERT_EQ(braid_linker_load_model(b, bad, &err), BRAID_EPARSE);
	ASSERT(strstr(err.msg, "threshold") != NULL);
	strcpy(bad, j); /* same length */
	p = strstr(bad, "\"name\": \"dob\"");
	ASSERT(p != NULL);
	memcpy(p + 8, "\"dox\"", 5);
	ASSERT_EQ(braid_linker_load_model(b, bad, &err), BRAID_EPARSE);
	if (!strstr(err.msg, "comparisons["))
		TEST_FAIL_("message: %s", err.msg);
	/* nothing was half-loaded: the good model still loads */
	ASSERT_EQ(braid_linker_load_model(b, j, &err), BRAID_OK);
	free(bad);
	free(j);
	braid_linker_free(a);
	braid_linker_free(b);
}

TEST(link_incremental_needs_a_loaded_model)
{
	make_town(&T, 100);
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_new(T.r, T.n, NULL, &err);
	ASSERT_EQ(braid_linker_run_incremental(l, NULL, NULL, 0, &err), BRAID_EINVAL);
	braid_linker_free(l);
}

/* Link the first half, then the rest incrementally; compare with a full
 * run of everything under the same model. */
static void incremental_vs_full(const struct braid_link_opts *o, uint32_t **inc_cl,
				uint32_t **full_cl, struct braid_linker **li,
				struct braid_linker **lf)
{
	size_t half = T.n / 2;
	char *json;
	struct braid_linker *first = fitted(half, &json);
	struct braid_link_pair *pp;
	size_t np;
	struct braid_err err = {0};
	const struct braid_link_stats *fs = braid_linker_stats(first);
	ASSERT_EQ(braid_linker_pairs(first, fs->review_low, &pp, &np, &err), BRAID_OK);
	struct braid_link_known_pair *known = calloc(np ? np : 1, sizeof *known);
	for (size_t i = 0; i < np; i++)
		known[i] = (struct braid_link_known_pair){pp[i].a, pp[i].b, pp[i].weight};
	uint8_t *is_new = calloc(T.n, 1);
	for (size_t i = half; i < T.n; i++)
		is_new[i] = 1;
	*li = loaded(T.n, json, o);
	ASSERT_EQ(braid_linker_run_incremental(*li, is_new, known, np, &err), BRAID_OK);
	*lf = loaded(T.n, json, o);
	ASSERT_EQ(braid_linker_run_incremental(*lf, NULL, NULL, 0, &err), BRAID_OK);
	*inc_cl = (uint32_t *)braid_linker_clusters(*li);
	*full_cl = (uint32_t *)braid_linker_clusters(*lf);
	/* the incremental run compared far fewer pairs than the full one */
	ASSERT(braid_linker_stats(*li)->pairs_compared < braid_linker_stats(*lf)->pairs_compared);
	free(pp);
	free(known);
	free(is_new);
	free(json);
	braid_linker_free(first);
}

TEST(link_incremental_equals_full_run_with_the_same_model)
{
	make_town(&T, 1800);
	ASSERT(T.n > 2500);
	uint32_t *ci, *cf;
	struct braid_linker *li, *lf;
	incremental_vs_full(NULL, &ci, &cf, &li, &lf);
	ASSERT(same_partition(ci, cf, T.n));
	ASSERT_EQ(braid_linker_stats(li)->clusters, braid_linker_stats(lf)->clusters);
	/* people were found across the two halves (else equality is cheap) */
	size_t half = T.n / 2, across = 0;
	for (size_t i = half; i < T.n; i++)
		for (size_t k = 0; k < half && !across; k++)
			across += ci[i] == ci[k];
	ASSERT(across > 0);
	ASSERT(braid_linker_stats(lf)->clusters < T.n * 9 / 10);
	braid_linker_free(li);
	braid_linker_free(lf);
}

TEST(link_incremental_without_the_earlier_pairs_differs)
{
	/* the earlier run's pairs carry the old records' links: without them
	 * old duplicates stay apart (shows that the equality above is earned) */
	make_town(&T, 1800);
	size_t half = T.n / 2;
	char *json;
	struct braid_linker *first = fitted(half, &json);
	uint8_t *is_new = calloc(T.n, 1);
	for (size_t i = half; i < T.n; i++)
		is_new[i] = 1;
	struct braid_err err = {0};
	struct braid_linker *li = loaded(T.n, json, NULL), *lf = loaded(T.n, json, NULL);
	ASSERT_EQ(braid_linker_run_incremental(li, is_new, NULL, 0, &err), BRAID_OK);
	ASSERT_EQ(braid_linker_run_incremental(lf, NULL, NULL, 0, &err), BRAID_OK);
	ASSERT(braid_linker_stats(li)->clusters > braid_linker_stats(lf)->clusters);
	free(is_new);
	free(json);
	braid_linker_free(first);
	braid_linker_free(li);
	braid_linker_free(lf);
}

TEST(link_incremental_honours_a_nonmatch_decision)
{
	make_town(&T, 1800);
	/* find two linked records of the full run, one old and one new */
	uint32_t *ci, *cf;
	struct braid_linker *li, *lf;
	incremental_vs_full(NULL, &ci, &cf, &li, &lf);
	size_t half = T.n / 2;
	uint32_t a = UINT32_MAX, b = 0;
	for (size_t i = half; i < T.n && a == UINT32_MAX; i++)
		for (size_t k = 0; k < half; k++)
			if (ci[i] == ci[k]) {
				a = (uint32_t)k;
				b = (uint32_t)i;
				break;
			}
	ASSERT(a != UINT32_MAX);
	braid_linker_free(li);
	braid_linker_free(lf);
	struct braid_link_label lab = {a, b, 0};
	struct braid_link_opts o;
	memset(&o, 0, sizeof o);
	o.labels = &lab;
	o.nlabels = 1;
	incremental_vs_full(&o, &ci, &cf, &li, &lf);
	ASSERT_NE(ci[a], ci[b]);
	ASSERT_NE(cf[a], cf[b]);
	ASSERT(same_partition(ci, cf, T.n));
	braid_linker_free(li);
	braid_linker_free(lf);
}
