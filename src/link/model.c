/*
 * model.c — the Fellegi–Sunter model: u probabilities from random pairs,
 * m probabilities by EM over the blocked pairs, labels, the prior, term
 * frequencies, and the model's JSON and text forms.
 *
 * How m is estimated (as Splink does, for the same reason): blocked pairs
 * agree on their blocking key by construction, so a comparison that a rule
 * fixes says nothing about matches inside that rule's blocks.  EM runs once
 * per blocking rule over the pattern histogram of the pairs sharing that
 * rule's key, with the comparisons the rule fixes left out; each
 * comparison's m is the mean of the rules that could estimate it.
 *
 * Those per-rule answers are conditional on the rule's key agreeing: in
 * data whose duplicates carry one error each, the matches inside a
 * date-of-birth block are exactly those whose error is in a name, so the
 * dob rule alone puts m(first name exact) at 0.44 where it is 0.66 over all
 * matches.  They are therefore only the starting point of a last, global
 * EM over every compared pair against the non-match model the scorer uses
 * (random-pair u with the household adjustment), with the prior counted
 * over all pairs (pairs that were never compared are taken as
 * non-matches): a pair's blocking depends only on its own values, so
 * among compared pairs the match posterior is the one over all pairs.
 * The same EM removes the matches from u: random pairs include the true
 * matches (a share lambda of them), which in small data with many
 * duplicates make most of u(dob exact); u is the random-pair frequency
 * minus lambda*m, rescaled.
 *
 * Fellegi–Sunter multiplies the comparisons' m as if a duplicate's errors
 * fell independently; when each duplicate carries one error (RLdata), a
 * pair with exact names and a wrong date is a far better match than the
 * product says.  So m is then fitted once more as a mixture of latent
 * match classes, "the error is in comparison c" for each c and "clean",
 * the clean distributions shared by all classes (mixture_start), and the
 * mixture is kept only when the data support it (braid__mixture_fit: ICL).
 * m is then the classes' marginal, and a vector's weight the sum of its
 * per-comparison weights plus the classes' interaction (pattern_weight):
 * uncapped, log2 P(v|M)/P(v|U).  The prior is then found once more by iterating
 * expected matches over all compared pairs.
 *
 * It does not choose thresholds or clusters (score.c, cluster.c).
 */
#include "link_int.h"

#include <jansson.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void tally(uint64_t cnt[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS], braid__cvec v)
{
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		cnt[c][braid__cvec_level(v, c)]++;
}

/* u: level frequencies among random pairs (all pairs when few), drawn on
 * the linker's threads, each with its own stream of the seeded generator
 * (so the result depends on the thread count, never on timing). */
struct usample {
	const struct braid_linker *l;
	int tid, nt, all;
	uint64_t draws;
	uint64_t cnt[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	/* the same, over the pairs whose surnames agree exactly */
	uint64_t cnt_sl[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
};

/* Surnames agree, first names plainly do not: how family members at one
 * home compare (and hardly ever two records of one person, which a shared
 * surname alone would let in: in data with many duplicates they are a good
 * share of the random pairs sharing a surname). */
static int family_like(braid__cvec v)
{
	int f = braid__cvec_level(v, BRAID_LC_FIRST);
	return braid__cvec_level(v, BRAID_LC_LAST) == LN_EXACT && (f == FN_ELSE || f == FN_DIFF);
}

static void tally2(struct usample *u, braid__cvec v)
{
	tally(u->cnt, v);
	if (family_like(v))
		tally(u->cnt_sl, v);
}

static void *usample_run(void *arg)
{
	struct usample *u = arg;
	const struct braid_linker *l = u->l;
	uint64_t n = l->n;
	if (u->all) {
		for (uint64_t a = (uint64_t)u->tid; a < n; a += (uint64_t)u->nt)
			for (uint64_t b = a + 1; b < n; b++)
				tally2(u, braid__compare(&l->cx, (uint32_t)a, (uint32_t)b));
		return NULL;
	}
	uint64_t s = l->opts.seed + 0x1000193ULL * (uint64_t)(u->tid + 1);
	for (uint64_t i = 0; i < u->draws; i++) {
		uint32_t a = (uint32_t)(splitmix(&s) % n);
		uint32_t b = (uint32_t)(splitmix(&s) % (n - 1));
		if (b >= a)
			b++;
		tally2(u, braid__compare(&l->cx, a, b));
	}
	return NULL;
}

static braid_rc estimate_u(struct braid_linker *l)
{
	uint64_t n = l->n, all = n > 1 ? n * (n - 1) / 2 : 0;
	int nt = l->opts.threads;
	struct usample *us = calloc((size_t)nt, sizeof *us);
	pthread_t *th = calloc((size_t)nt, sizeof *th);
	char *started = calloc((size_t)nt, 1);
	if (!us || !th || !started) {
		free(us);
		free(th);
		free(started);
		return BRAID_ENOMEM;
	}
	int use_all = all <= l->opts.u_samples;
	for (int t = 0; t < nt; t++) {
		us[t] = (struct usample){.l = l, .tid = t, .nt = nt, .all = use_all};
		us[t].draws = l->opts.u_samples / (uint64_t)nt +
			      (t < (int)(l->opts.u_samples % (uint64_t)nt));
	}
	if (n >= 2) {
		for (int t = 1; t < nt; t++)
			started[t] = pthread_create(&th[t], NULL, usample_run, &us[t]) == 0;
		usample_run(&us[0]);
		for (int t = 1; t < nt; t++) {
			if (started[t])
				pthread_join(th[t], NULL);
			else
				usample_run(&us[t]);
		}
	}
	static uint64_t cnt[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	static uint64_t csl[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	memset(cnt, 0, sizeof cnt);
	memset(csl, 0, sizeof csl);
	for (int t = 0; t < nt; t++)
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			for (int k = 0; k < BRAID_LINK_MAX_LEVELS; k++) {
				cnt[c][k] += us[t].cnt[c][k];
				csl[c][k] += us[t].cnt_sl[c][k];
			}
	free(us);
	free(th);
	free(started);
	struct braid__model *md = &l->model;
	md->u_pairs = n < 2 ? 0 : use_all ? all : l->opts.u_samples;
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		uint64_t tot = 0;
		for (int k = 1; k < nl; k++)
			tot += cnt[c][k];
		/* a half pseudo-count: a level never seen among random pairs is
		 * rare, not impossible */
		for (int k = 1; k < nl; k++)
			md->u[c][k] = ((double)cnt[c][k] + 0.5) / ((double)tot + 0.5 * (nl - 1));
		md->u[c][0] = 1.0;
	}
	/* u among family-like pairs (same surname, different first name), for
	 * the household comparisons, when enough sampled pairs are like that */
	md->has_uc = 0;
	uint64_t nsl = 0;
	for (int k = 1; k < braid_link_cmp_nlevels(BRAID_LC_LAST); k++)
		nsl += csl[BRAID_LC_LAST][k];
	if (nsl >= 200) {
		md->has_uc = 1;
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			uint64_t tot = 0;
			for (int k = 1; k < nl; k++)
				tot += csl[c][k];
			md->uc[c][0] = 1.0;
			for (int k = 1; k < nl; k++)
				md->uc[c][k] = ((double)csl[c][k] + 0.5) / ((double)tot + 0.5 * (nl - 1));
		}
	}
	return BRAID_OK;
}

static void prior_m(double m[BRAID_LINK_MAX_LEVELS], int nl)
{
	m[0] = 1.0;
	if (nl == 3) {
		m[1] = 0.95;
		m[2] = 0.05;
		return;
	}
	m[1] = 0.75;
	m[nl - 1] = 0.05;
	for (int k = 2; k < nl - 1; k++)
		m[k] = 0.20 / (nl - 3);
}

/* EM for one rule: fills m (for the comparisons in est) and returns the
 * expected number of matching pairs among the rule's pairs.
 *
 * Comparisons in inb (those the rule fixes) take part too, with their u
 * estimated inside the block (non-matches in a surname block agree on the
 * surname far more often than random pairs do) and their m free: they say
 * little, but without them a rule that leaves one comparison free (names
 * blocked, only the date left) is a one-variable mixture whose match share
 * EM cannot find (any share above the true one fits the levels exactly,
 * and EM stays wherever it starts).  Only est's m is the rule's answer. */
double braid__em_rule_inb(const struct braid_linker *l, uint32_t bit, uint32_t est,
			  uint32_t inb, double m[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS],
			  int *iters)
{
	const struct braid__model *md = &l->model;
	double lam = 0.1, em_matches = 0;
	double acc[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double accu[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double u[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	uint32_t use = est | inb;
	memcpy(u, md->u, sizeof u);
	if (inb) {
		/* start the in-block u at the block's own level frequencies
		 * (matches are a small share of most blocks) */
		memset(accu, 0, sizeof accu);
		for (uint32_t p = 0; p < l->pats.n; p++) {
			const struct braid__pattern *pt = &l->pats.p[p];
			if (!(pt->rules & bit))
				continue;
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				if (inb & (1u << c))
					accu[c][braid__cvec_level(pt->v, c)] += (double)pt->count;
		}
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			if (!(inb & (1u << c)))
				continue;
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			double tot = 0;
			for (int k = 1; k < nl; k++)
				tot += accu[c][k];
			for (int k = 1; k < nl; k++)
				u[c][k] = (accu[c][k] + 0.5) / (tot + 0.5 * (nl - 1));
		}
	}
	int it;
	for (it = 0; it < l->opts.em_iterations; it++) {
		memset(acc, 0, sizeof acc);
		memset(accu, 0, sizeof accu);
		double am = 0, all = 0;
		for (uint32_t p = 0; p < l->pats.n; p++) {
			const struct braid__pattern *pt = &l->pats.p[p];
			if (!(pt->rules & bit))
				continue;
			double lm = log(lam), lu = log1p(-lam);
			for (int c = 0; c < BRAID_LC__COUNT; c++) {
				if (!(use & (1u << c)))
					continue;
				int lv = braid__cvec_level(pt->v, c);
				if (!lv)
					continue;
				lm += log(m[c][lv]);
				lu += log(u[c][lv]);
			}
			double d = lu - lm;
			double post = d > 700 ? 0.0 : 1.0 / (1.0 + exp(d));
			double w = (double)pt->count * post;
			am += w;
			all += (double)pt->count;
			for (int c = 0; c < BRAID_LC__COUNT; c++) {
				int lv = braid__cvec_level(pt->v, c);
				if (!lv || !(use & (1u << c)))
					continue;
				acc[c][lv] += w;
				accu[c][lv] += (double)pt->count - w;
			}
		}
		if (all <= 0)
			return 0;
		double nlam = am / all;
		if (nlam < 1e-9)
			nlam = 1e-9;
		if (nlam > 1 - 1e-9)
			nlam = 1 - 1e-9;
		double delta = fabs(nlam - lam);
		lam = nlam;
		em_matches = am;
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			if (!(use & (1u << c)))
				continue;
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			double tot = 0, totu = 0;
			for (int k = 1; k < nl; k++) {
				tot += acc[c][k];
				totu += accu[c][k];
			}
			for (int k = 1; k < nl; k++) {
				/* half a pseudo-match per level: a level no
				 * match showed in this sample is rare, and
				 * must not veto a pair on its own */
				double v = (acc[c][k] + 0.5) / (tot + 0.5 * (nl - 1));
				delta = fmax(delta, fabs(v - m[c][k]));
				m[c][k] = v;
				if (inb & (1u << c))
					u[c][k] = (accu[c][k] + 0.5) / (totu + 0.5 * (nl - 1));
			}
		}
		if (delta < 1e-6)
			break;
	}
	*iters += it;
	return em_matches;
}

double braid__em_rule(const struct braid_linker *l, uint32_t bit, uint32_t est,
		      double m[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS], int *iters)
{
	return braid__em_rule_inb(l, bit, est, 0, m, iters);
}

void braid__model_weights(struct braid__model *md)
{
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		md->w[c][0] = 0;
		for (int k = 1; k < nl; k++) {
			md->w[c][k] = log2(md->m[c][k] / md->u[c][k]);
			/* no partial agreement outweighs exact agreement (a
			 * level hardly ever seen among random pairs would
			 * otherwise weigh absurdly much on a few pseudo-counts).
			 * m is lowered to match, so weight = log2(m/u) holds. */
			if (k > 1 && k < nl - 1 && md->w[c][k] > md->w[c][1]) {
				md->w[c][k] = md->w[c][1];
				md->m[c][k] = md->u[c][k] * exp2(md->w[c][k]);
			}
		}
	}
	md->prior = log2(md->lambda / (1 - md->lambda));
}

static double household_adjust(const struct braid__model *md, braid__cvec v,
			       double out_tf[BRAID_LC__COUNT]);

/* How much more (bits) the classes make a vector likely among matches
 * than the product of their marginal m does: log2 P(v|M) - sum over c of
 * log2 m(c, level).  0 for a single class. */
static double interaction(const struct braid__model *md, braid__cvec v)
{
	double pm = 0, lm = 0;
	for (int k = 0; k < md->nclass; k++) {
		double p = md->pi[k];
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			p *= md->mk[k][c][braid__cvec_level(v, c)];
		pm += p;
	}
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		int lv = braid__cvec_level(v, c);
		if (!lv)
			continue;
		double mc = 0;
		for (int k = 0; k < md->nclass; k++)
			mc += md->pi[k] * md->mk[k][c][lv];
		lm += log2(mc);
	}
	return log2(pm) - lm;
}

/* A vector's weight without the prior: the per-comparison weights (of
 * the marginal m, with braid__model_weights' cap on partial levels) plus,
 * with match classes, their interaction.  Uncapped, this is exactly
 * log2 P(v|M)/P(v|U) of the mixture; the cap stays on the marginal part,
 * where it was meant (a level rarely seen among random pairs weighing
 * absurdly much on a few pseudo-counts): capping the whole vector against
 * its exact-agreement twin would compare with a vector the classes find
 * implausible (a different address with the same ZIP, when matches move
 * house with both). */
static double pattern_weight(const struct braid__model *md, braid__cvec v)
{
	double w = 0;
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		w += md->w[c][braid__cvec_level(v, c)];
	return md->nclass < 1 ? w : w + interaction(md, v);
}

double braid__vec_weight(const struct braid_linker *l, braid__cvec v)
{
	return l->model.prior + pattern_weight(&l->model, v);
}


/* u of comparison c with the matches taken out of the random-pair
 * frequencies f0: u = (f0 - lambda m) / (1 - lambda), floored, then
 * normalised (both the global EM and the classes' EM update it so). */
static void u_without_matches(struct braid__model *md, int c, int nl, const double *f0,
			      const double *m, double floor_u)
{
	double tot = 0;
	for (int k = 1; k < nl; k++) {
		double uu = (f0[k] - md->lambda * m[k]) / (1 - md->lambda);
		md->u[c][k] = uu < floor_u ? floor_u : uu;
		tot += md->u[c][k];
	}
	for (int k = 1; k < nl; k++)
		md->u[c][k] /= tot;
}

/* The global EM (see the top of the file): m of every active comparison,
 * u with the matches among random pairs removed, and lambda, from all
 * compared patterns.  md->m holds the per-rule estimates on entry and
 * md->lambda a first prior; md->u the random-pair frequencies. */
double braid__em_global(const struct braid_linker *l, struct braid__model *md,
			 uint32_t active, int max_iters, int *iters)
{
	double nall = l->n > 1 ? (double)l->n * (double)(l->n - 1) / 2.0 : 1.0;
	double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double mraw[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double acc[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	memcpy(f0, md->u, sizeof f0);
	memcpy(mraw, md->m, sizeof mraw);
	/* a level u never saw keeps the sampler's half pseudo-count */
	double floor_u = 0.5 / (double)(md->u_pairs ? md->u_pairs : 1);
	double ne = 0;
	int it;
	for (it = 0; it < max_iters; it++) {
		if (md->lambda > 0.5)
			md->lambda = 0.5;
		if (md->lambda < 1e-12)
			md->lambda = 1e-12;
		/* the E-step weighs with the uncapped log2(m/u): the cap in
		 * braid__model_weights is for scoring on few counts, and would
		 * bias m here; household_adjust reads the capped md->w */
		memcpy(md->m, mraw, sizeof mraw);
		braid__model_weights(md);
		double wraw[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			wraw[c][0] = 0;
			for (int k = 1; k < BRAID_LINK_MAX_LEVELS; k++)
				wraw[c][k] = mraw[c][k] > 0 && md->u[c][k] > 0
						     ? log2(mraw[c][k] / md->u[c][k])
						     : 0;
		}
		memset(acc, 0, sizeof acc);
		ne = 0;
		for (uint32_t p = 0; p < l->pats.n; p++) {
			const struct braid__pattern *pt = &l->pats.p[p];
			double w = md->prior + household_adjust(md, pt->v, NULL);
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				if (active & (1u << c))
					w += wraw[c][braid__cvec_level(pt->v, c)];
			double post = (double)pt->count / (1.0 + exp2(-w));
			ne += post;
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				acc[c][braid__cvec_level(pt->v, c)] += post;
		}
		double nlam = ne / nall;
		double delta = fabs(nlam - md->lambda) / md->lambda;
		md->lambda = nlam < 1e-12 ? 1e-12 : nlam;
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			if (!(active & (1u << c)))
				continue;
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			double tot = 0;
			for (int k = 1; k < nl; k++)
				tot += acc[c][k];
			if (tot <= 0)
				continue; /* never observed: keep the start */
			for (int k = 1; k < nl; k++) {
				double v = (acc[c][k] + 0.5) / (tot + 0.5 * (nl - 1));
				delta = fmax(delta, fabs(v - mraw[c][k]));
				mraw[c][k] = v;
			}
			u_without_matches(md, c, nl, f0[c], mraw[c], floor_u);
		}
		if (delta < 1e-6)
			break;
	}
	memcpy(md->m, mraw, sizeof mraw);
	*iters += it;
	return ne;
}

/* Log-likelihood (nats) of the compared patterns under md: each
 * pattern's count times log(lambda P(v|M) + (1 - lambda) P(v|U)); and in
 * *ent the entropy of the match classes, each pattern's expected matches
 * times the entropy of its class posterior (0 for a single class).  md->w
 * must be set (household_adjust reads it). */
static double model_loglik(const struct braid_linker *l, const struct braid__model *md,
			   double *ent)
{
	double ll = 0;
	*ent = 0;
	for (uint32_t p = 0; p < l->pats.n; p++) {
		const struct braid__pattern *pt = &l->pats.p[p];
		double lu = 0, pm = 0, pk[BRAID__MAX_CLASSES];
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			lu += log2(md->u[c][braid__cvec_level(pt->v, c)]);
		lu -= household_adjust(md, pt->v, NULL);
		if (md->nclass < 1) {
			double lm = 0;
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				lm += log2(md->m[c][braid__cvec_level(pt->v, c)]);
			pm = exp2(lm);
		}
		for (int k = 0; k < md->nclass; k++) {
			double q = md->pi[k];
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				q *= md->mk[k][c][braid__cvec_level(pt->v, c)];
			pk[k] = q;
			pm += q;
		}
		double pu = exp2(lu), x = md->lambda * pm + (1 - md->lambda) * pu;
		if (!(x > 0) || !(pm > 0))
			continue;
		ll += (double)pt->count * log(x);
		double post = (double)pt->count * md->lambda * pm / x;
		for (int k = 0; k < md->nclass; k++)
			if (pk[k] > 0)
				*ent -= post * (pk[k] / pm) * log(pk[k] / pm);
	}
	return ll;
}

/* The comparisons of a place (address, ZIP, city, phone) get no class and
 * take the same m in every class: they depend on each other among
 * non-matches too (one address has one ZIP and city, a household one
 * phone), which u, conditionally independent, does not represent; a
 * class that made them agree together among matches only would weigh a
 * shared home twice.  The classes are about the person's own values. */
#define BRAID__PLACE_CMPS ((1u << BRAID_LC_ADDRESS) | (1u << BRAID_LC_ZIP) | (1u << BRAID_LC_CITY) | (1u << BRAID_LC_PHONE))

/* The classes: one per active comparison c of the person, "the error is
 * in c": c has a distribution of its own and every other comparison the
 * clean one; and one class that is clean everywhere (cls -1).  The clean
 * distributions are shared by all classes (one set of parameters), so
 * a class cannot describe two comparisons failing together (a household:
 * different first names and dates of birth at one address) any better
 * than the single class does: only "one comparison fails, the rest look
 * like a duplicate" is new.  Returns the number of classes; cls[k] is
 * the comparison of class k. */
static int mixture_start(struct braid__model *md, uint32_t active, int cls[BRAID__MAX_CLASSES])
{
	const double s = 0.2;
	int K = 0;
	cls[K++] = -1;
	for (int c = 0; c < BRAID_LC__COUNT && K < BRAID__MAX_CLASSES; c++)
		if (active & ~BRAID__PLACE_CMPS & (1u << c))
			cls[K++] = c;
	for (int k = 0; k < K; k++) {
		md->pi[k] = 1.0 / K;
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			for (int lv = 0; lv < BRAID_LINK_MAX_LEVELS; lv++)
				md->mk[k][c][lv] = lv < nl ? md->m[c][lv] : 0;
			md->mk[k][c][0] = 1.0;
			double e = md->m[c][1];
			if (!(active & ~BRAID__PLACE_CMPS & (1u << c)) || e <= 0 || e >= 1)
				continue;
			/* from the single class: exact agreement more likely
			 * where the class is clean, less where it fails */
			double ne = c == cls[k] ? e * s : 1 - (1 - e) * s;
			for (int lv = 2; lv < nl; lv++)
				md->mk[k][c][lv] *= (1 - ne) / (1 - e);
			md->mk[k][c][1] = ne;
		}
	}
	return K;
}

static void marginal_m(const struct braid__model *md,
		       double mm[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS])
{
	memset(mm, 0, sizeof(double) * BRAID_LC__COUNT * BRAID_LINK_MAX_LEVELS);
	for (int k = 0; k < md->nclass; k++)
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			for (int lv = 0; lv < BRAID_LINK_MAX_LEVELS; lv++)
				mm[c][lv] += md->pi[k] * md->mk[k][c][lv];
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		mm[c][0] = 1.0;
}

/* EM of the match classes (see the top of the file), after the global EM:
 * pi, the clean and the failing distribution of every comparison, from
 * every compared pattern; u with the matches removed from the random-pair
 * frequencies f0, lambda over all pairs, as in the global EM.  On return
 * md->m is the classes' marginal (uncapped). */
static void mixture_em(const struct braid_linker *l, struct braid__model *md, uint32_t active,
		       double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS],
		       const int cls[BRAID__MAX_CLASSES], int max_iters, int *iters)
{
	double acc[BRAID__MAX_CLASSES][BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double nall = l->n > 1 ? (double)l->n * (double)(l->n - 1) / 2.0 : 1.0;
	double floor_u = 0.5 / (double)(md->u_pairs ? md->u_pairs : 1);
	double mm[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	const int K = md->nclass;
	/* the single-class m (smoothed by the global EM) as the prior of
	 * every class's distributions, worth one match */
	double m1[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	memcpy(m1, md->m, sizeof m1);
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		double t = 0;
		for (int lv = 1; lv < nl; lv++)
			t += m1[c][lv];
		for (int lv = 1; lv < nl; lv++)
			m1[c][lv] = t > 0 ? m1[c][lv] / t : 1.0 / (nl - 1);
	}
	int it;
	for (it = 0; it < max_iters; it++) {
		if (md->lambda > 0.5)
			md->lambda = 0.5;
		if (md->lambda < 1e-12)
			md->lambda = 1e-12;
		/* prior and the capped marginal w (household_adjust reads
		 * it), as in the global EM */
		marginal_m(md, mm);
		memcpy(md->m, mm, sizeof mm);
		braid__model_weights(md);
		memset(acc, 0, sizeof acc);
		double accpi[BRAID__MAX_CLASSES] = {0};
		double ne = 0;
		for (uint32_t p = 0; p < l->pats.n; p++) {
			const struct braid__pattern *pt = &l->pats.p[p];
			double pk[BRAID__MAX_CLASSES], pm = 0, lu = 0;
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				lu += log2(md->u[c][braid__cvec_level(pt->v, c)]);
			for (int k = 0; k < K; k++) {
				double q = md->pi[k];
				for (int c = 0; c < BRAID_LC__COUNT; c++)
					q *= md->mk[k][c][braid__cvec_level(pt->v, c)];
				pk[k] = q;
				pm += q;
			}
			if (pm <= 0)
				continue;
			double w = md->prior + household_adjust(md, pt->v, NULL) + log2(pm) - lu;
			double post = (double)pt->count / (1.0 + exp2(-w));
			ne += post;
			for (int k = 0; k < K; k++) {
				double r = post * pk[k] / pm;
				accpi[k] += r;
				for (int c = 0; c < BRAID_LC__COUNT; c++)
					acc[k][c][braid__cvec_level(pt->v, c)] += r;
			}
		}
		if (ne <= 0)
			break;
		double nlam = ne / nall;
		double delta = fabs(nlam - md->lambda) / md->lambda;
		md->lambda = nlam;
		for (int k = 0; k < K; k++) {
			double npi = accpi[k] / ne;
			delta = fmax(delta, fabs(npi - md->pi[k]));
			md->pi[k] = npi;
		}
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			if (!(active & (1u << c)))
				continue;
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			/* the clean distribution from every class clean on c,
			 * the failing one from c's own class; each with the
			 * single-class m as a prior worth one match (so that a
			 * level no match of a class showed keeps some mass).
			 * Not half a pseudo-match per level as in the single
			 * class: on planted classes that biased the clean
			 * distributions by 0.03, 25 non-matches in 2,000
			 * matches drawn into a class by the mass it gave to
			 * its levels of disagreement. */
			double cl[BRAID_LINK_MAX_LEVELS] = {0}, fl[BRAID_LINK_MAX_LEVELS] = {0};
			double tc = 0, tf = 0;
			for (int k = 0; k < K; k++)
				for (int lv = 1; lv < nl; lv++) {
					if (cls[k] == c) {
						fl[lv] += acc[k][c][lv];
						tf += acc[k][c][lv];
					} else {
						cl[lv] += acc[k][c][lv];
						tc += acc[k][c][lv];
					}
				}
			for (int lv = 1; lv < nl; lv++) {
				cl[lv] = (cl[lv] + m1[c][lv]) / (tc + 1);
				fl[lv] = (fl[lv] + m1[c][lv]) / (tf + 1);
			}
			for (int k = 0; k < K; k++)
				for (int lv = 1; lv < nl; lv++) {
					double v = cls[k] == c ? fl[lv] : cl[lv];
					delta = fmax(delta, fabs(v - md->mk[k][c][lv]) * md->pi[k]);
					md->mk[k][c][lv] = v;
				}
		}
		marginal_m(md, mm);
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			if (!(active & (1u << c)))
				continue;
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			u_without_matches(md, c, nl, f0[c], mm[c], floor_u);
		}
		if (delta < 1e-6)
			break;
	}
	marginal_m(md, mm);
	memcpy(md->m, mm, sizeof mm);
	*iters += it;
}

static double loglik_of(const struct braid_linker *l, struct braid__model *tmp,
			const struct braid__model *md, double *ent)
{
	*tmp = *md;
	braid__model_weights(tmp); /* household_adjust reads w */
	memcpy(tmp->m, md->m, sizeof tmp->m);
	return model_loglik(l, tmp, ent);
}

/* The mixture is kept only when the data support it, by the integrated
 * completed likelihood (ICL: Biernacki, Celeux and Govaert, 2000): its
 * log-likelihood gain over the single class must exceed BIC's penalty
 * for the added parameters (per failing class kept, its share and its
 * comparison's failing distribution: half their number times the log of
 * the compared pairs) plus the entropy of the classes given the patterns.
 * The entropy term keeps the classes only when they are told apart: data
 * whose duplicates do not fail one comparison at a time, or too few
 * matches to tell, keep the single class.  md holds the global EM's
 * single-class model on entry and the chosen one on return. */
braid_rc braid__mixture_fit(const struct braid_linker *l, struct braid__model *md,
			   uint32_t active, double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS])
{
	struct braid__model *one = malloc(sizeof *one), *tmp = malloc(sizeof *tmp);
	if (!one || !tmp) {
		free(one);
		free(tmp);
		return BRAID_ENOMEM;
	}
	*one = *md;
	double ent1, ent2;
	double ll1 = loglik_of(l, tmp, one, &ent1);
	int cls[BRAID__MAX_CLASSES], iters = 0;
	md->nclass = mixture_start(md, active, cls);
	mixture_em(l, md, active, f0, cls, 4 * l->opts.em_iterations, &iters);
	/* classes the data left (almost) empty are not parameters it
	 * supports: drop them */
	int K = 0;
	double pt = 0, npar = 0, nobs = 0;
	for (int k = 0; k < md->nclass; k++) {
		if (md->pi[k] < 0.005)
			continue;
		md->pi[K] = md->pi[k];
		memmove(md->mk[K], md->mk[k], sizeof md->mk[k]);
		if (cls[k] >= 0)
			npar += braid_link_cmp_nlevels((enum braid_link_cmp)cls[k]) - 1;
		pt += md->pi[K++];
	}
	md->nclass = K;
	for (int k = 0; k < K; k++)
		md->pi[k] /= pt;
	marginal_m(md, md->m);
	for (uint32_t p = 0; p < l->pats.n; p++)
		nobs += (double)l->pats.p[p].count;
	int keep = 0;
	if (K > 1) {
		double ll2 = loglik_of(l, tmp, md, &ent2);
		keep = ll2 - ll1 > 0.5 * npar * log(nobs > 1 ? nobs : 1) + ent2;
	}
	if (!keep) {
		*md = *one;
		md->nclass = 0;
	}
	md->em_iters_run += iters;
	free(one);
	free(tmp);
	return BRAID_OK;
}

braid_rc braid__link_fit(struct braid_linker *l, struct braid_err *err)
{
	struct braid__model *md = &l->model;
	uint32_t active = l->cx.active;
	if (estimate_u(l))
		return braid_err_set(err, BRAID_ENOMEM, "link: out of memory sampling pairs");
	double msum[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	memset(msum, 0, sizeof msum);
	int mcount[BRAID_LC__COUNT] = {0};
	double best_matches = 0;
	for (int k = 0; k < l->nrules; k++) {
		uint32_t est = active & ~braid__rule_covers(l->rules[k]);
		double m[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			prior_m(m[c], braid_link_cmp_nlevels((enum braid_link_cmp)c));
		uint32_t inb = active & braid__rule_covers(l->rules[k]);
		double em = braid__em_rule_inb(l, 1u << k, est, inb, m, &md->em_iters_run);
		if (em > best_matches)
			best_matches = em;
		/* a rule that finds almost no matches estimates m from noise */
		if (em < 2.0)
			continue;
		for (int c = 0; c < BRAID_LC__COUNT; c++) {
			if (!(est & (1u << c)))
				continue;
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			for (int lv = 1; lv < nl; lv++)
				msum[c][lv] += m[c][lv];
			mcount[c]++;
		}
	}
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		prior_m(md->m[c], nl);
		md->m_source[c] = mcount[c];
		if (mcount[c])
			for (int lv = 1; lv < nl; lv++)
				md->m[c][lv] = msum[c][lv] / mcount[c];
	}
	/* the global EM, from the per-rule m and the largest rule's matches */
	{
		double nall = l->n > 1 ? (double)l->n * (double)(l->n - 1) / 2.0 : 1.0;
		md->lambda = (best_matches > 1 ? best_matches : 1) / nall;
		double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
		memcpy(f0, md->u, sizeof f0);
		double ne = braid__em_global(l, md, active, l->opts.em_iterations, &md->em_iters_run);
		if (ne > 1)
			best_matches = ne;
		md->nclass = 0;
		if (ne > 1) {
			if (braid__mixture_fit(l, md, active, f0))
				return braid_err_set(err, BRAID_ENOMEM, "link: out of memory fitting the model");
			if (md->nclass)
				best_matches = md->lambda * nall;
		}
	}
	/* clerical labels: matches refine m, as a blend in which EM counts as
	 * twenty labelled pairs */
	if (l->opts.nlabels) {
		static uint64_t cnt[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
		memset(cnt, 0, sizeof cnt);
		for (size_t i = 0; i < l->opts.nlabels; i++) {
			const struct braid_link_label *lb = &l->opts.labels[i];
			if (!lb->match || lb->a >= l->n || lb->b >= l->n || lb->a == lb->b)
				continue;
			tally(cnt, braid__compare(&l->cx, lb->a, lb->b));
			md->labelled_matches++;
		}
		for (int c = 0; c < BRAID_LC__COUNT && md->labelled_matches; c++) {
			int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
			double tot = 0;
			for (int lv = 1; lv < nl; lv++)
				tot += (double)cnt[c][lv];
			for (int lv = 1; lv < nl; lv++) {
				double v = (20.0 * md->m[c][lv] + (double)cnt[c][lv]) / (20.0 + tot);
				md->m[c][lv] = v < 1e-6 ? 1e-6 : v;
				/* the same blend in every class keeps m their marginal */
				for (int k = 0; k < md->nclass; k++) {
					v = (20.0 * md->mk[k][c][lv] + (double)cnt[c][lv]) / (20.0 + tot);
					md->mk[k][c][lv] = v < 1e-6 ? 1e-6 : v;
				}
			}
		}
	}
	/* the prior: expected matches over all compared pairs, iterated */
	double nall = l->n > 1 ? (double)l->n * (double)(l->n - 1) / 2.0 : 1.0;
	double e = best_matches > 1 ? best_matches : 1;
	md->lambda = e / nall;
	for (int it = 0; it < 50; it++) {
		if (md->lambda > 0.5)
			md->lambda = 0.5;
		if (md->lambda < 1e-12)
			md->lambda = 1e-12;
		braid__model_weights(md);
		double ne = 0;
		for (uint32_t p = 0; p < l->pats.n; p++) {
			double w = md->prior + pattern_weight(md, l->pats.p[p].v);
			ne += (double)l->pats.p[p].count / (1.0 + exp2(-w));
		}
		double nl = ne / nall;
		if (fabs(nl - md->lambda) <= 1e-4 * md->lambda) {
			md->lambda = nl;
			break;
		}
		md->lambda = nl;
	}
	if (md->lambda < 1e-12)
		md->lambda = 1e-12;
	braid__model_weights(md);
	for (uint32_t p = 0; p < l->pats.n; p++)
		l->pats.p[p].weight = pattern_weight(md, l->pats.p[p].v);
	l->stats.lambda = md->lambda;
	return BRAID_OK;
}

/* The household adjustment: with surnames agreeing exactly and first
 * names not, a household comparison's u is its u among random pairs like
 * that (see struct braid__model).  Family members share surname, address, phone and
 * ZIP, so without this a parent and child with different first names
 * would link on the strength of their shared home. */
static double household_adjust(const struct braid__model *md, braid__cvec v,
			       double out_tf[BRAID_LC__COUNT])
{
	if (!md->has_uc || !family_like(v))
		return 0;
	double adj = 0;
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		if (!(BRAID__HOUSEHOLD_CMPS & (1u << c)))
			continue;
		int lv = braid__cvec_level(v, c);
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		/* agreeing levels only: the adjustment takes weight away
		 * from a shared home, it never adds any */
		if (!lv || lv == nl - 1 || md->uc[c][lv] <= md->u[c][lv])
			continue;
		double d = log2(md->u[c][lv] / md->uc[c][lv]);
		/* never below no evidence at all */
		if (md->w[c][lv] + d < 0)
			d = -md->w[c][lv];
		if (md->w[c][lv] <= 0)
			continue;
		adj += d;
		if (out_tf)
			out_tf[c] += d;
	}
	return adj;
}

double braid__tf_adjust(const struct braid_linker *l, braid__cvec v, uint32_t a,
			uint32_t b, double out_tf[BRAID_LC__COUNT])
{
	(void)b;
	if (out_tf)
		memset(out_tf, 0, sizeof(double) * BRAID_LC__COUNT);
	const struct braid__model *md = &l->model;
	double adj = household_adjust(md, v, out_tf);
	if (l->opts.no_tf)
		return adj;
	const struct braid__lrec *r = &l->r[a];
	/* an exact agreement on value x is as likely among non-matches as x
	 * is frequent: replace the average u by x's frequency */
	if (braid__cvec_level(v, BRAID_LC_FIRST) == FN_EXACT && l->nf_first) {
		double tf = (double)l->tf_first[r->first] / (double)l->nf_first;
		double d = log2(md->u[BRAID_LC_FIRST][FN_EXACT] / tf);
		adj += d;
		if (out_tf)
			out_tf[BRAID_LC_FIRST] = d;
	}
	if (braid__cvec_level(v, BRAID_LC_LAST) == LN_EXACT && l->nf_last) {
		double tf = (double)l->tf_last[r->last] / (double)l->nf_last;
		double d = log2(md->u[BRAID_LC_LAST][LN_EXACT] / tf);
		adj += d;
		if (out_tf)
			out_tf[BRAID_LC_LAST] = d;
	}
	if (braid__cvec_level(v, BRAID_LC_CITY) == CT_EXACT && l->nf_city) {
		double tf = (double)l->tf_city[r->city] / (double)l->nf_city;
		double d = log2(md->u[BRAID_LC_CITY][CT_EXACT] / tf);
		adj += d;
		if (out_tf)
			out_tf[BRAID_LC_CITY] = d;
	}
	return adj;
}

/* ================================================================ output */

char *braid_linker_model_json(const struct braid_linker *l)
{
	const struct braid__model *md = &l->model;
	json_t *root = json_object(), *cmps = json_array();
	if (!root || !cmps) {
		json_decref(root);
		json_decref(cmps);
		return NULL;
	}
	json_object_set_new(root, "lambda", json_real(md->lambda));
	json_object_set_new(root, "prior_weight", json_real(md->prior));
	json_object_set_new(root, "u_pairs_sampled", json_integer((json_int_t)md->u_pairs));
	json_object_set_new(root, "em_iterations", json_integer(md->em_iters_run));
	json_object_set_new(root, "labelled_matches", json_integer((json_int_t)md->labelled_matches));
	json_object_set_new(root, "threshold", json_real(l->stats.threshold));
	json_object_set_new(root, "review_low", json_real(l->stats.review_low));
	json_object_set_new(root, "review_high", json_real(l->stats.review_high));
	json_object_set_new(root, "tf_adjustment", json_boolean(!l->opts.no_tf));
	json_t *rules = json_array();
	for (int k = 0; k < l->nrules; k++)
		json_array_append_new(rules, json_string(braid__rule_name(l->rules[k])));
	json_object_set_new(root, "blocking_rules", rules);
	if (md->nclass) {
		json_t *pi = json_array();
		for (int k = 0; k < md->nclass; k++)
			json_array_append_new(pi, json_real(md->pi[k]));
		json_object_set_new(root, "match_classes", pi);
	}
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		if (!(l->cx.active & (1u << c)))
			continue;
		json_t *o = json_object(), *lv = json_array();
		json_object_set_new(o, "name", json_string(braid_link_cmp_name((enum braid_link_cmp)c)));
		json_object_set_new(o, "m_from_rules", json_integer(md->m_source[c]));
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		for (int k = 1; k < nl; k++) {
			json_t *e = json_object();
			json_object_set_new(e, "level", json_string(braid_link_level_name((enum braid_link_cmp)c, k)));
			json_object_set_new(e, "m", json_real(md->m[c][k]));
			json_object_set_new(e, "u", json_real(md->u[c][k]));
			json_object_set_new(e, "weight", json_real(md->w[c][k]));
			if (md->has_uc && (BRAID__HOUSEHOLD_CMPS & (1u << c)))
				json_object_set_new(e, "u_same_surname", json_real(md->uc[c][k]));
			if (md->nclass) {
				json_t *mb = json_array();
				for (int q = 0; q < md->nclass; q++)
					json_array_append_new(mb, json_real(md->mk[q][c][k]));
				json_object_set_new(e, "m_by_class", mb);
			}
			json_array_append_new(lv, e);
		}
		json_object_set_new(o, "levels", lv);
		json_array_append_new(cmps, o);
	}
	json_object_set_new(root, "comparisons", cmps);
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

char *braid_linker_model_text(const struct braid_linker *l)
{
	const struct braid__model *md = &l->model;
	struct braid_buf b;
	braid_buf_init(&b, 0);
	braid_rc rc = braid_buf_printf(&b, "prior: lambda %.3g (%.2f bits); u from %llu random pairs\n",
				       md->lambda, md->prior, (unsigned long long)md->u_pairs);
	rc = rc ? rc : braid_buf_printf(&b, "threshold %.2f bits; review band [%.2f, %.2f)\n",
					l->stats.threshold, l->stats.review_low, l->stats.review_high);
	for (int k = 0; k < md->nclass && !rc; k++) {
		rc = braid_buf_printf(&b, "match class %d (share %.3f): m of exact agreement", k + 1,
				      md->pi[k]);
		for (int c = 0; c < BRAID_LC__COUNT && !rc; c++)
			if (l->cx.active & (1u << c))
				rc = braid_buf_printf(&b, " %s %.3f",
						      braid_link_cmp_name((enum braid_link_cmp)c),
						      md->mk[k][c][1]);
		rc = rc ? rc : braid_buf_putc(&b, '\n');
	}
	for (int c = 0; c < BRAID_LC__COUNT && !rc; c++) {
		if (!(l->cx.active & (1u << c)))
			continue;
		rc = braid_buf_printf(&b, "%s (m from %d rule%s)\n",
				      braid_link_cmp_name((enum braid_link_cmp)c), md->m_source[c],
				      md->m_source[c] == 1 ? "" : "s");
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		for (int k = 1; k < nl && !rc; k++) {
			rc = braid_buf_printf(&b, "  %-28s m %.4f  u %.6f  weight %+7.2f",
					      braid_link_level_name((enum braid_link_cmp)c, k),
					      md->m[c][k], md->u[c][k], md->w[c][k]);
			if (!rc && md->has_uc && (BRAID__HOUSEHOLD_CMPS & (1u << c)))
				rc = braid_buf_printf(&b, "  u among family-like pairs %.6f", md->uc[c][k]);
			rc = rc ? rc : braid_buf_putc(&b, '\n');
		}
	}
	if (rc) {
		braid_buf_release(&b);
		return NULL;
	}
	return braid_buf_detach(&b);
}
