/*
 * score.c — decisions: each compared pair's match weight (prior + the
 * vector's log2 Bayes factor + term-frequency adjustments), the
 * threshold, and the review band.
 *
 * The threshold, unless given, is the weight at which the model's own
 * expected F1 is highest: with P(match) for every pair, expected true
 * positives above a cut t are the sum of P above t, false positives the
 * sum of 1-P above t, false negatives the sum of P below t.  F1 is what
 * braid is judged on, and the cut adapts to how many matches the data
 * holds (a probability-0.5 rule ignores that missing a match and accepting
 * a wrong one cost differently in F1).  It is bounded to probabilities
 * between 0.2 and 0.9 so that a badly fitted model cannot push it to an
 * absurd place.  The review band is the pairs the model is unsure of:
 * probability between 0.05 and 0.95 (widened to include the threshold).
 */
#include "link_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WMIN (-80.0)
#define WMAX (80.0)
#define WSTEP (0.05)
#define NBINS ((int)((WMAX - WMIN) / WSTEP) + 1)

static double w_of_p(double p)
{
	return log2(p / (1 - p));
}

double braid__pair_weight(const struct braid_linker *l, uint32_t a, uint32_t b)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
	braid__cvec v = braid__compare(&l->cx, lo, hi);
	double w = braid__vec_weight(l, v);
	return w + braid__tf_adjust(l, v, lo, hi, NULL);
}

braid_rc braid__link_score(struct braid_linker *l, struct braid_err *err)
{
	free(l->pw);
	l->pw = malloc((l->npairs ? l->npairs : 1) * sizeof *l->pw);
	double *bin_n = calloc(NBINS, sizeof *bin_n), *bin_p = calloc(NBINS, sizeof *bin_p);
	if (!l->pw || !bin_n || !bin_p) {
		free(bin_n);
		free(bin_p);
		return braid_err_set(err, BRAID_ENOMEM, "link: out of memory for pair weights");
	}
	/* prior + pattern weight: braid__vec_weight's sum, bit for bit, with
	 * the pattern's part computed once per pattern (model.c) */
	const double prior = l->model.prior;
	double etot = 0;
	for (size_t i = 0; i < l->npairs; i++) {
		const struct braid__pair *pr = &l->pairs[i];
		const struct braid__pattern *pt = &l->pats.p[pr->pat];
		double w = prior + pt->weight + braid__tf_adjust(l, pt->v, pr->a, pr->b, NULL);
		l->pw[i] = (float)w;
		double p = 1.0 / (1.0 + exp2(-w));
		int bi = (int)floor((w - WMIN) / WSTEP);
		bi = bi < 0 ? 0 : bi >= NBINS ? NBINS - 1 : bi;
		bin_n[bi] += 1;
		bin_p[bi] += p;
		etot += p;
	}
	struct braid_link_stats *s = &l->stats;
	double lo = w_of_p(0.2), hi = w_of_p(0.9);
	double best_f1 = -1, best_t = 0, tp = 0, fp = 0;
	for (int bi = NBINS - 1; bi >= 0; bi--) {
		tp += bin_p[bi];
		fp += bin_n[bi] - bin_p[bi];
		double t = WMIN + WSTEP * bi;
		if (t > hi || t < lo)
			continue;
		double fn = etot - tp;
		double den = 2 * tp + fp + fn;
		double f1 = den > 0 ? 2 * tp / den : 0;
		if (f1 > best_f1) {
			best_f1 = f1;
			best_t = t;
		}
	}
	free(bin_n);
	free(bin_p);
	s->threshold = l->opts.has_threshold ? l->opts.threshold : best_t;
	s->expected_f1 = best_f1 < 0 ? 0 : best_f1;
	s->review_low = fmin(w_of_p(0.05), s->threshold);
	s->review_high = fmax(w_of_p(0.95), s->threshold);
	s->pairs_accepted = s->pairs_review = 0;
	for (size_t i = 0; i < l->npairs; i++) {
		double w = l->pw[i];
		s->pairs_accepted += w >= s->threshold;
		s->pairs_review += w >= s->review_low && w < s->review_high;
	}
	return BRAID_OK;
}
