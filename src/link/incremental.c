/*
 * incremental.c — linking with a saved model: new records against all
 * records, and the pairs an earlier run accepted or sent to review scored
 * again, then clustered as a full run clusters.
 *
 * Blocking follows block.c's rules exactly (the saved model names them):
 * for each rule, only the blocks that hold a new record are built, but
 * each of them with all its members, old and new, so that the cap sees
 * the block's true size; a pair is compared under the first rule whose
 * (uncapped) key both records share, as in a full run.  With is_new NULL
 * every record is new and this is a full run with the kept model; the two
 * give the same pairs among old and new records and the same weights, so
 * an incremental run equals a full run with the same model except where
 * (a) a block grew past the cap (the full run drops its pairs, the
 * earlier run's scored pairs are still carried), or (b) a pair among old
 * records that an earlier run scored below the review band is now above
 * the threshold (only term frequencies move between runs, by the share
 * of the new records in a name's count).
 *
 * It does not estimate the model (model.c) and it stores nothing (the
 * caller writes pairs and the person index).
 */
#include "link_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct kv {
	uint64_t k;
	uint32_t i;
};

static int kv_cmp(const void *x, const void *y)
{
	const struct kv *a = x, *b = y;
	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Open-addressing set of the keys of the new records for one rule. */
struct keyset {
	uint64_t *slot; /* 0 = empty (0 is never a key) */
	uint64_t mask;
};

static braid_rc keyset_init(struct keyset *s, size_t n)
{
	uint64_t cap = 64;
	while (cap < 2 * (uint64_t)n)
		cap *= 2;
	s->slot = calloc(cap, sizeof *s->slot);
	s->mask = cap - 1;
	return s->slot ? BRAID_OK : BRAID_ENOMEM;
}

static uint64_t slot_of(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	return k ^ (k >> 33);
}

static void keyset_add(struct keyset *s, uint64_t k)
{
	uint64_t h = slot_of(k) & s->mask;
	while (s->slot[h] && s->slot[h] != k)
		h = (h + 1) & s->mask;
	s->slot[h] = k;
}

static int keyset_has(const struct keyset *s, uint64_t k)
{
	uint64_t h = slot_of(k) & s->mask;
	while (s->slot[h]) {
		if (s->slot[h] == k)
			return 1;
		h = (h + 1) & s->mask;
	}
	return 0;
}

/* The pairs kept for clustering and for the caller (weight >= review_low). */
struct out {
	struct braid__pair *p;
	float *w;
	braid__cvec *v;
	size_t n, cap;
};

static braid_rc out_push(struct out *o, uint32_t a, uint32_t b, double w, braid__cvec v)
{
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 4096;
		struct braid__pair *p = braid_reallocarray(o->p, nc, sizeof *p);
		if (!p)
			return BRAID_ENOMEM;
		o->p = p;
		float *x = braid_reallocarray(o->w, nc, sizeof *x);
		if (!x)
			return BRAID_ENOMEM;
		o->w = x;
		braid__cvec *y = braid_reallocarray(o->v, nc, sizeof *y);
		if (!y)
			return BRAID_ENOMEM;
		o->v = y;
		o->cap = nc;
	}
	o->p[o->n] = (struct braid__pair){a, b, 0};
	o->v[o->n] = v;
	o->w[o->n++] = (float)w;
	return BRAID_OK;
}

static void out_release(struct out *o)
{
	free(o->p);
	free(o->w);
	free(o->v);
	memset(o, 0, sizeof *o);
}

/* The weight of a pair (lo < hi) with vector v: the same sum in the same
 * order as braid__pair_weight, so that the anti-chaining guard and this
 * file agree to the last bit. */
static double weight_of(const struct braid_linker *l, braid__cvec v, uint32_t lo, uint32_t hi)
{
	double w = braid__vec_weight(l, v);
	return w + braid__tf_adjust(l, v, lo, hi, NULL);
}

/* Whether a saved vector may differ from what the records give now.  The
 * records did not change, but two similar names that are both common are
 * compared as two names (compare.c), and how common a name is moves when
 * new records carry it: a near-match level of a name the new records
 * touched is compared again. */
static int stale(const struct braid_linker *l, braid__cvec v, uint32_t a, uint32_t b)
{
	int f = braid__cvec_level(v, BRAID_LC_FIRST), s = braid__cvec_level(v, BRAID_LC_LAST);
	const struct braid__lrec *ra = &l->r[a], *rb = &l->r[b];
	if ((f == FN_JW92 || f == FN_JW88 || f == FN_PHON || f == FN_DIFF) &&
	    (l->name_moved[ra->first] || l->name_moved[rb->first]))
		return 1;
	return (s == LN_JW92 || s == LN_JW88 || s == LN_PHON || s == LN_DIFF) &&
	       (l->name_moved[ra->last] || l->name_moved[rb->last]);
}

struct blocks {
	uint64_t *keys;          /* n * nr, record-major; 0 = no key or capped */
	uint32_t *order[BRAID__MAX_RULES];
	uint32_t *gstart[BRAID__MAX_RULES];
	size_t ngroups[BRAID__MAX_RULES];
};

static void blocks_release(struct blocks *b)
{
	free(b->keys);
	for (int k = 0; k < BRAID__MAX_RULES; k++) {
		free(b->order[k]);
		free(b->gstart[k]);
	}
}

/* Keys of every record for every rule, and per rule the blocks (of 2..cap
 * records) that hold a new record. */
static braid_rc build(struct braid_linker *l, const uint8_t *is_new, struct blocks *b)
{
	size_t n = l->n, nr = (size_t)l->nrules, nnew = 0;
	b->keys = braid_big_alloc((n ? n : 1) * (nr ? nr : 1), sizeof *b->keys);
	struct kv *kv = braid_big_alloc(n ? n : 1, sizeof *kv);
	braid_rc rc = b->keys && kv ? BRAID_OK : BRAID_ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		nnew += !is_new || is_new[i];
		for (size_t k = 0; k < nr; k++)
			b->keys[i * nr + k] = braid__rule_key(l->rules[k], &l->r[i]);
	}
	for (size_t k = 0; k < nr && !rc; k++) {
		struct braid_link_rule_plan *pl = &l->plan[k];
		pl->records = pl->pairs = pl->capped_blocks = pl->capped_pairs = 0;
		struct keyset ks = {0};
		if (is_new && (rc = keyset_init(&ks, nnew)))
			break;
		for (size_t i = 0; is_new && i < n; i++)
			if (is_new[i] && b->keys[i * nr + k])
				keyset_add(&ks, b->keys[i * nr + k]);
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t key = b->keys[i * nr + k];
			if (key && (!is_new || keyset_has(&ks, key)))
				kv[m++] = (struct kv){key, (uint32_t)i};
		}
		free(ks.slot);
		pl->records = m;
		qsort(kv, m, sizeof *kv, kv_cmp);
		b->order[k] = malloc((m ? m : 1) * sizeof *b->order[k]);
		b->gstart[k] = malloc((m / 2 + 2) * sizeof *b->gstart[k]);
		if (!b->order[k] || !b->gstart[k]) {
			rc = BRAID_ENOMEM;
			break;
		}
		size_t o = 0, g = 0;
		for (size_t s = 0; s < m;) {
			size_t e = s + 1;
			while (e < m && kv[e].k == kv[s].k)
				e++;
			uint64_t sz = e - s;
			if (sz > l->opts.max_block) {
				pl->capped_blocks++;
				pl->capped_pairs += sz * (sz - 1) / 2;
				for (size_t j = s; j < e; j++)
					b->keys[(size_t)kv[j].i * nr + k] = 0;
			} else if (sz >= 2) {
				pl->pairs += sz * (sz - 1) / 2;
				b->gstart[k][g++] = (uint32_t)o;
				for (size_t j = s; j < e; j++)
					b->order[k][o++] = kv[j].i;
			}
			s = e;
		}
		b->gstart[k][g] = (uint32_t)o;
		b->ngroups[k] = g;
	}
	free(kv);
	return rc;
}

/* One worker's share: groups g with g % nt == tid of every rule, then the
 * known pairs i with i % nt == tid.  Each has its own output; the order of
 * pairs does not matter (clusters sort their edges totally). */
struct job {
	struct braid_linker *l;
	const uint8_t *is_new;
	const struct blocks *b;
	struct braid_link_known_pair *known;
	size_t nknown;
	int tid, nt;
	struct out o;
	float *rest_w;
	uint64_t compared, rescored, fresh[BRAID__MAX_RULES];
	braid_rc rc;
};

static void *job_run(void *arg)
{
	struct job *jb = arg;
	const struct braid_linker *l = jb->l;
	const struct blocks *b = jb->b;
	const uint8_t *is_new = jb->is_new;
	size_t nr = (size_t)l->nrules;
	double keep = l->stats.review_low;
	for (size_t k = 0; k < nr; k++) {
		for (size_t g = (size_t)jb->tid; g < b->ngroups[k]; g += (size_t)jb->nt) {
			uint32_t s = b->gstart[k][g], e = b->gstart[k][g + 1];
			for (uint32_t i = s; i < e; i++) {
				uint32_t a = b->order[k][i];
				const uint64_t *ka = &b->keys[(size_t)a * nr];
				for (uint32_t j = i + 1; j < e; j++) {
					uint32_t c = b->order[k][j];
					if (is_new && !is_new[a] && !is_new[c])
						continue; /* an earlier run scored it */
					const uint64_t *kc = &b->keys[(size_t)c * nr];
					size_t r;
					for (r = 0; r < k; r++)
						if (ka[r] && ka[r] == kc[r])
							break;
					if (r < k)
						continue; /* an earlier rule compares it */
					uint32_t lo = a < c ? a : c, hi = a < c ? c : a;
					braid__cvec v = braid__compare(&l->cx, lo, hi);
					double w = weight_of(l, v, lo, hi);
					jb->fresh[k]++;
					if (w >= keep && (jb->rc = out_push(&jb->o, lo, hi, w, v)))
						return NULL;
				}
			}
		}
		jb->compared += jb->fresh[k];
	}
	/* a restored linker's kept pairs: scored again from their vectors, in
	 * place (rest_w[i], rest_v[i]; the caller keeps those above the band) */
	for (size_t i = (size_t)jb->tid; i < l->nrest_pairs; i += (size_t)jb->nt) {
		const struct braid__kept *kp = &l->rest_pairs[i];
		braid__cvec v = kp->v;
		if (stale(l, v, kp->a, kp->b)) {
			v = braid__compare(&l->cx, kp->a, kp->b);
			jb->compared++;
		} else {
			jb->rescored++;
		}
		l->rest_pairs[i].v = v; /* this share's alone */
		jb->rest_w[i] = (float)weight_of(l, v, kp->a, kp->b);
	}
	/* pairs among old records: scored again on this linker's records */
	for (size_t i = (size_t)jb->tid; is_new && i < jb->nknown; i += (size_t)jb->nt) {
		struct braid_link_known_pair *kp = &jb->known[i];
		if (kp->a >= l->n || kp->b >= l->n || kp->a == kp->b || is_new[kp->a] ||
		    is_new[kp->b])
			continue;
		uint32_t lo = kp->a < kp->b ? kp->a : kp->b, hi = kp->a < kp->b ? kp->b : kp->a;
		braid__cvec v = braid__compare(&l->cx, lo, hi);
		double w = weight_of(l, v, lo, hi);
		kp->weight = (float)w;
		jb->compared++;
		if (w >= keep && (jb->rc = out_push(&jb->o, lo, hi, w, v)))
			return NULL;
	}
	return NULL;
}

static braid_rc compare_all(struct braid_linker *l, const uint8_t *is_new,
			    const struct blocks *b, struct braid_link_known_pair *known,
			    size_t nknown, struct out *o, uint64_t *compared, uint64_t *rescored)
{
	int nt = l->opts.threads;
	size_t nrest = l->nrest_pairs;
	struct job *jobs = calloc((size_t)nt, sizeof *jobs);
	free(l->rest_w);
	l->rest_w = braid_big_alloc(nrest ? nrest : 1, sizeof *l->rest_w);
	braid_rc rc = jobs && l->rest_w ? BRAID_OK : BRAID_ENOMEM;
	for (int t = 0; t < nt && !rc; t++)
		jobs[t] = (struct job){.l = l, .is_new = is_new, .b = b, .known = known,
				       .nknown = nknown, .tid = t, .nt = nt,
				       .rest_w = l->rest_w};
	if (!rc)
		braid__run_threads(nt, job_run, jobs, sizeof *jobs);
	for (int k = 0; k < l->nrules; k++)
		l->plan[k].new_pairs = 0;
	/* one allocation of the exact size, then copies: pushing millions of
	 * pairs one by one through growing arrays was a third of the run */
	size_t total = 0;
	double keep = l->stats.review_low;
	for (size_t i = 0; !rc && i < nrest; i++)
		total += l->rest_w[i] >= keep;
	for (int t = 0; t < nt && jobs; t++) {
		if (!rc)
			rc = jobs[t].rc;
		total += jobs[t].o.n;
	}
	if (!rc) {
		o->p = braid_big_alloc(total ? total : 1, sizeof *o->p);
		o->w = braid_big_alloc(total ? total : 1, sizeof *o->w);
		o->v = braid_big_alloc(total ? total : 1, sizeof *o->v);
		o->cap = total;
		if (!o->p || !o->w || !o->v)
			rc = BRAID_ENOMEM;
	}
	for (size_t i = 0; !rc && i < nrest; i++) {
		if (l->rest_w[i] < keep)
			continue;
		o->p[o->n] = (struct braid__pair){l->rest_pairs[i].a, l->rest_pairs[i].b, 0};
		o->w[o->n] = l->rest_w[i];
		o->v[o->n++] = l->rest_pairs[i].v;
	}
	for (int t = 0; t < nt && jobs; t++) {
		struct job *jb = &jobs[t];
		for (int k = 0; k < l->nrules; k++)
			l->plan[k].new_pairs += jb->fresh[k];
		*compared += jb->compared;
		*rescored += jb->rescored;
		if (!rc && jb->o.n) { /* an empty share has no arrays */
			memcpy(o->p + o->n, jb->o.p, jb->o.n * sizeof *o->p);
			memcpy(o->w + o->n, jb->o.w, jb->o.n * sizeof *o->w);
			memcpy(o->v + o->n, jb->o.v, jb->o.n * sizeof *o->v);
			o->n += jb->o.n;
		}
		out_release(&jb->o);
	}
	free(jobs);
	return rc;
}

/* The earlier clusters a restored run need not cluster again (keep_rep):
 * clustering is union-find in weight order with a guard, and components
 * of the accepted graph never interact, so an earlier cluster comes out
 * the same whatever the order of its edges when it was a whole component
 * then and still is (no accepted edge into or out of it then or now, none
 * of its edges crossed the threshold), and the guard had nothing to do in
 * it (no two of its records disagree hard; small enough that the guard
 * compares records, not summaries) and no clerical decision names it. */
#define KEEP_MAX 64
static braid_rc mark_untouched(struct braid_linker *l)
{
	size_t nold = l->nrest, ncl = 0;
	for (size_t i = 0; i < nold; i++)
		ncl = l->rest_cluster[i] + 1 > ncl ? l->rest_cluster[i] + 1 : ncl;
	uint8_t *bad = calloc(ncl ? ncl : 1, 1);
	uint32_t *start = calloc(ncl + 1, sizeof *start), *mem = malloc((nold ? nold : 1) * 4);
	l->keep_rep = malloc((nold ? nold : 1) * sizeof *l->keep_rep);
	if (!bad || !start || !mem || !l->keep_rep) {
		free(bad);
		free(start);
		free(mem);
		free(l->keep_rep);
		l->keep_rep = NULL;
		return BRAID_ENOMEM;
	}
	const uint32_t *oc = l->rest_cluster;
	double thr = l->stats.threshold;
	for (size_t i = 0; i < l->nrest_pairs; i++) {
		const struct braid__kept *kp = &l->rest_pairs[i];
		int then = kp->w >= thr, now = l->rest_w[i] >= thr;
		if (then != now || (then && oc[kp->a] != oc[kp->b]))
			bad[oc[kp->a]] = bad[oc[kp->b]] = 1;
	}
	for (size_t i = 0; i < l->npairs; i++) {
		uint32_t a = l->pairs[i].a, b = l->pairs[i].b;
		if (l->pw[i] >= thr && (a >= nold || b >= nold) && (a < nold || b < nold))
			bad[oc[a < nold ? a : b]] = 1;
	}
	for (size_t i = 0; i < l->opts.nlabels; i++) {
		const struct braid_link_label *lb = &l->opts.labels[i];
		if (lb->a < nold)
			bad[oc[lb->a]] = 1;
		if (lb->b < nold)
			bad[oc[lb->b]] = 1;
	}
	/* members by cluster (a counting sort), then size and hard conflicts */
	for (size_t i = 0; i < nold; i++)
		start[oc[i] + 1]++;
	for (size_t c = 0; c < ncl; c++)
		start[c + 1] += start[c];
	for (size_t i = 0; i < nold; i++)
		mem[start[oc[i]]++] = (uint32_t)i;
	for (size_t c = ncl; c > 0; c--)
		start[c] = start[c - 1];
	start[0] = 0;
	for (size_t c = 0; c < ncl; c++) {
		uint32_t s0 = start[c], e0 = start[c + 1];
		if (bad[c] || e0 - s0 > KEEP_MAX) {
			bad[c] = 1;
			continue;
		}
		for (uint32_t x = s0; x < e0 && !bad[c]; x++)
			for (uint32_t y = x + 1; y < e0 && !bad[c]; y++)
				bad[c] = (uint8_t)braid__hard_conflict(l, mem[x], mem[y]);
	}
	/* members were filled in record order: mem[start[c]] is the first */
	for (size_t i = 0; i < nold; i++)
		l->keep_rep[i] = bad[oc[i]] ? UINT32_MAX : mem[start[oc[i]]];
	free(bad);
	free(start);
	free(mem);
	return BRAID_OK;
}

static braid_rc run(struct braid_linker *l, const uint8_t *is_new,
		    struct braid_link_known_pair *known, size_t nknown, struct braid_err *err)
{
	if (l->model_loaded != 1)
		return braid_err_set(err, BRAID_EINVAL,
				     l->model_loaded ? "link: this linker has already run"
						     : "link: load a model before an incremental run");
	double t0 = now_s();
	struct blocks b;
	memset(&b, 0, sizeof b);
	struct out o = {0};
	uint64_t compared = 0, rescored = 0;
	braid_rc rc = build(l, is_new, &b);
	double t1 = now_s();
	if (!rc)
		rc = compare_all(l, is_new, &b, known, nknown, &o, &compared, &rescored);
	blocks_release(&b);
	if (rc) {
		out_release(&o);
		return braid_err_set(err, rc, "link: incremental run failed: %s", braid_strerror(rc));
	}
	free(l->pairs);
	free(l->pw);
	free(l->pv);
	l->pairs = o.p;
	l->pw = o.w;
	l->pv = o.v;
	l->npairs = o.n;
	struct braid_link_stats *s = &l->stats;
	s->records = l->n;
	s->pairs_compared = compared;
	s->pairs_rescored = rescored;
	s->pairs_accepted = s->pairs_review = 0;
	for (size_t i = 0; i < l->npairs; i++) {
		double w = l->pw[i];
		s->pairs_accepted += w >= s->threshold;
		s->pairs_review += w >= s->review_low && w < s->review_high;
	}
	double t2 = now_s();
	if (l->rest_cluster && !l->opts.has_threshold && (rc = mark_untouched(l)))
		return braid_err_set(err, rc, "link: out of memory");
	rc = braid__link_cluster(l, err);
	free(l->keep_rep);
	l->keep_rep = NULL;
	if (rc)
		return rc;
	double t3 = now_s();
	s->seconds_block = t1 - t0;
	s->seconds_model = 0;
	s->seconds_score = t2 - t1;
	s->seconds_cluster = t3 - t2;
	l->planned = 1;
	l->model_loaded = 2;
	return BRAID_OK;
}

braid_rc braid_linker_run_incremental(struct braid_linker *l, const uint8_t *is_new,
				      struct braid_link_known_pair *known, size_t nknown,
				      struct braid_err *err)
{
	if (l->rest_cluster)
		return braid_err_set(err, BRAID_EINVAL,
				     "link: a restored linker runs with braid_linker_run_restored");
	return run(l, is_new, known, nknown, err);
}

braid_rc braid_linker_run_restored(struct braid_linker *l, struct braid_err *err)
{
	if (!l->rest_cluster)
		return braid_err_set(err, BRAID_EINVAL, "link: this linker was not restored");
	uint8_t *is_new = malloc(l->n ? l->n : 1);
	if (!is_new)
		return braid_err_set(err, BRAID_ENOMEM, "link: out of memory");
	for (size_t i = 0; i < l->n; i++)
		is_new[i] = i >= l->nrest;
	braid_rc rc = run(l, is_new, NULL, 0, err);
	free(is_new);
	return rc;
}
