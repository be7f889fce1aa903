/*
 * explain.c — the waterfall: for a pair of records, each comparison's level,
 * its m, u and weight log2(m/u), any term-frequency adjustment, the prior,
 * and (a model with match classes) one interaction term, what the levels
 * weigh together beyond their own weights; they add up to exactly the
 * weight the pair was scored with.
 *
 * It prints nothing itself (the CLI does) and shows levels, never the
 * identifier values behind them.
 */
#include "link_int.h"

#include <math.h>
#include <string.h>

braid_rc braid_linker_explain(const struct braid_linker *l, uint32_t a, uint32_t b,
			      struct braid_link_explanation *out,
			      struct braid_err *err)
{
	memset(out, 0, sizeof *out);
	if (!l->ran)
		return braid_err_set(err, BRAID_EINVAL, "link: run the linker before explaining");
	if (a >= l->n || b >= l->n)
		return braid_err_set(err, BRAID_EINVAL, "link: record index out of range");
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	const struct braid__model *md = &l->model;
	braid__cvec v = braid__compare(&l->cx, lo, hi);
	double tf[BRAID_LC__COUNT];
	braid__tf_adjust(l, v, lo, hi, tf);
	out->prior = md->prior;
	double w = md->prior, sum = 0;
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		if (!(l->cx.active & (1u << c)))
			continue;
		struct braid_link_term *t = &out->terms[out->nterms++];
		int lv = braid__cvec_level(v, c);
		t->cmp = (enum braid_link_cmp)c;
		t->level = lv;
		t->m = md->m[c][lv];
		t->u = md->u[c][lv];
		t->weight = md->w[c][lv];
		t->tf = tf[c];
		sum += t->weight + t->tf;
	}
	/* the pair's weight as every scorer computes it (model.c); with match
	 * classes it is not the sum of the per-comparison weights (those are
	 * the classes' marginal), and the difference is shown as one term */
	w = braid__vec_weight(l, v) + braid__tf_adjust(l, v, lo, hi, NULL);
	out->interaction = md->nclass ? w - (md->prior + sum) : 0;
	out->weight = w;
	out->probability = 1.0 / (1.0 + exp2(-w));
	return BRAID_OK;
}

braid_rc braid_link_explanation_format(const struct braid_link_explanation *e,
				       struct braid_buf *b)
{
	braid_rc rc = braid_buf_printf(b, "  %-12s %-28s %8s\n", "comparison", "level", "weight");
	rc = rc ? rc : braid_buf_printf(b, "  %-12s %-28s %+8.2f\n", "prior", "", e->prior);
	for (int i = 0; i < e->nterms && !rc; i++) {
		const struct braid_link_term *t = &e->terms[i];
		rc = braid_buf_printf(b, "  %-12s %-28s %+8.2f", braid_link_cmp_name(t->cmp),
				      braid_link_level_name(t->cmp, t->level), t->weight);
		if (!rc && t->tf != 0)
			rc = braid_buf_printf(b, "  (term frequency %+.2f)", t->tf);
		rc = rc ? rc : braid_buf_putc(b, '\n');
	}
	if (!rc && e->interaction != 0)
		rc = braid_buf_printf(b, "  %-12s %-28s %+8.2f\n", "interaction",
				      "(levels seen together)", e->interaction);
	rc = rc ? rc : braid_buf_printf(b, "  %-12s %-28s %+8.2f  (probability %.4f)\n", "total",
					"", e->weight, e->probability);
	return rc;
}
