/*
 * eval.c — evaluation against ground truth: pairwise precision, recall and
 * F1 (a pair of records is predicted linked when they share a cluster, and
 * truly linked when they share an entity), and cluster-level counts:
 * predicted clusters that merge several true people, and true people split
 * over several clusters.
 *
 * Works by sorting record indexes, so it needs no hash tables and takes
 * O(n log n) whatever the cluster sizes.
 */
#include "link_int.h"

#include <stdlib.h>

struct ev {
	uint32_t p, t;
};

static int by_pt(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return a->t < b->t ? -1 : a->t > b->t;
}

static int by_tp(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->p < b->p ? -1 : a->p > b->p;
}

static uint64_t c2(uint64_t k)
{
	return k * (k - 1) / 2;
}

braid_rc braid_link_evaluate(const uint32_t *pred, const uint32_t *truth, size_t n,
			     struct braid_link_eval *out, struct braid_err *err)
{
	struct braid_link_eval r = {0};
	struct ev *e = malloc((n ? n : 1) * sizeof *e);
	if (!e)
		return braid_err_set(err, BRAID_ENOMEM, "eval: out of memory");
	for (size_t i = 0; i < n; i++)
		e[i] = (struct ev){pred[i], truth[i]};
	/* by (pred, truth): predicted pairs, true positives, over-merged */
	qsort(e, n, sizeof *e, by_pt);
	for (size_t s = 0; s < n;) {
		size_t t = s;
		uint64_t kinds = 0;
		while (t < n && e[t].p == e[s].p) {
			size_t u = t;
			while (u < n && e[u].p == e[s].p && e[u].t == e[t].t)
				u++;
			r.tp_pairs += c2(u - t);
			kinds++;
			t = u;
		}
		r.predicted_pairs += c2(t - s);
		r.predicted_clusters++;
		r.over_merged += kinds > 1;
		s = t;
	}
	/* by (truth, pred): true pairs, split entities */
	qsort(e, n, sizeof *e, by_tp);
	for (size_t s = 0; s < n;) {
		size_t t = s;
		uint64_t kinds = 0;
		while (t < n && e[t].t == e[s].t) {
			size_t u = t;
			while (u < n && e[u].t == e[s].t && e[u].p == e[t].p)
				u++;
			kinds++;
			t = u;
		}
		r.true_pairs += c2(t - s);
		r.truth_entities++;
		r.split += kinds > 1;
		s = t;
	}
	free(e);
	r.precision = r.predicted_pairs ? (double)r.tp_pairs / (double)r.predicted_pairs : 1.0;
	r.recall = r.true_pairs ? (double)r.tp_pairs / (double)r.true_pairs : 1.0;
	r.f1 = r.precision + r.recall > 0
		       ? 2 * r.precision * r.recall / (r.precision + r.recall)
		       : 0.0;
	*out = r;
	return BRAID_OK;
}
