/*
 * linker.c — the linker handle: prepares every record once (interned
 * strings, phonetic codes and nickname classes per distinct name, parsed
 * dates, term-frequency counts), decides which comparisons the data can
 * support, and runs the stages (block.c, model.c, score.c, cluster.c) in
 * order.
 *
 * It does not normalise: records arrive folded and standardised (ingest's
 * job); this file only derives comparison-ready forms from them.
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

static int two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYY-MM-DD" (canonical) or "YYYY" in birth_year. */
static void parse_dob(const char *dob, const char *by, struct braid__lrec *r)
{
	if (dob && strlen(dob) == 10 && dob[4] == '-' && dob[7] == '-') {
		int c = two_digits(dob), yy = two_digits(dob + 2);
		int m = two_digits(dob + 5), d = two_digits(dob + 8);
		/* a month or day out of range is kept: it is compared digit
		 * by digit, and 1949-15-25 is one typo away from 1949-11-25 */
		if (c >= 0 && yy >= 0 && m >= 1 && d >= 1) {
			r->y = (int16_t)(c * 100 + yy);
			r->m = (uint8_t)m;
			r->d = (uint8_t)d;
			return;
		}
	}
	if (by && strlen(by) == 4) {
		int c = two_digits(by), yy = two_digits(by + 2);
		if (c >= 0 && yy >= 0 && c * 100 + yy > 0)
			r->y = (int16_t)(c * 100 + yy);
	}
}

static braid_rc intern_s(struct braid_linker *l, const char *s, uint32_t *id)
{
	return braid__strtab_intern(&l->st, s ? s : "", s ? strlen(s) : 0, id);
}

/* Phonetic codes and nickname classes are computed once per distinct name
 * (a city has far fewer distinct names than records). */
struct name_cache {
	uint32_t *ph1, *ph2, *nick;
	uint8_t *done, *in_nick;
	uint32_t cap;
};

static braid_rc cache_fit(struct name_cache *c, uint32_t n)
{
	if (n <= c->cap)
		return BRAID_OK;
	uint32_t nc = c->cap ? c->cap : 1024;
	while (nc < n)
		nc *= 2;
	uint32_t *a = braid_reallocarray(c->ph1, nc, 4);
	if (!a)
		return BRAID_ENOMEM;
	c->ph1 = a;
	if (!(a = braid_reallocarray(c->ph2, nc, 4)))
		return BRAID_ENOMEM;
	c->ph2 = a;
	if (!(a = braid_reallocarray(c->nick, nc, 4)))
		return BRAID_ENOMEM;
	c->nick = a;
	uint8_t *d = realloc(c->done, nc);
	if (!d)
		return BRAID_ENOMEM;
	c->done = d;
	if (!(d = realloc(c->in_nick, nc)))
		return BRAID_ENOMEM;
	c->in_nick = d;
	memset(c->done + c->cap, 0, nc - c->cap);
	c->cap = nc;
	return BRAID_OK;
}

static braid_rc name_codes(struct braid_linker *l, struct name_cache *c, uint32_t id,
			   int want_nick)
{
	braid_rc rc = cache_fit(c, l->st.n);
	if (rc)
		return rc;
	if (c->done[id] & (want_nick ? 2 : 1))
		return BRAID_OK;
	char name[256];
	memcpy(name, braid__str(&l->st, id), l->st.info[id].len + 1u);
	if (!(c->done[id] & 1)) {
		char p1[8], p2[8];
		uint32_t a, b;
		braid_double_metaphone(name, p1, p2);
		if ((rc = intern_s(l, p1, &a)) || (rc = intern_s(l, p2, &b)))
			return rc;
		if ((rc = cache_fit(c, l->st.n)))
			return rc;
		c->ph1[id] = a;
		c->ph2[id] = b == a ? 0 : b;
		c->done[id] |= 1;
	}
	if (want_nick && !(c->done[id] & 2)) {
		uint32_t nid = 0;
		c->in_nick[id] = 0;
		if (l->cx.nk) {
			const char *canon = braid_nickname_canon(l->cx.nk, name);
			if (canon && canon != name) {
				if ((rc = intern_s(l, canon, &nid)))
					return rc;
				if ((rc = cache_fit(c, l->st.n)))
					return rc;
				c->in_nick[id] = 1;
			}
		}
		c->nick[id] = nid;
		c->done[id] |= 2;
	}
	return BRAID_OK;
}

/* Term-frequency counts of records from..n-1 added to the tables, which
 * grow to the string table's size (a restored linker adds its new records
 * to the counts it saved). */
static braid_rc count_tf(struct braid_linker *l, size_t from)
{
	if (l->st.n > l->ntf) {
		uint32_t **t[3] = {&l->tf_first, &l->tf_last, &l->tf_city};
		for (int k = 0; k < 3; k++) {
			uint32_t *p = braid_reallocarray(*t[k], l->st.n, sizeof *p);
			if (!p)
				return BRAID_ENOMEM;
			memset(p + l->ntf, 0, (l->st.n - l->ntf) * sizeof *p);
			*t[k] = p;
		}
		l->ntf = l->st.n;
	}
	for (size_t i = from; i < l->n; i++) {
		const struct braid__lrec *r = &l->r[i];
		if (r->first) {
			l->tf_first[r->first]++;
			l->nf_first++;
		}
		if (r->last) {
			l->tf_last[r->last]++;
			l->nf_last++;
		}
		if (r->city) {
			l->tf_city[r->city]++;
			l->nf_city++;
		}
	}
	l->cx.cnt_first = l->tf_first;
	l->cx.cnt_last = l->tf_last;
	return BRAID_OK;
}

/* Records from..n-1 (their identities are l->recs[i - from]), and which
 * comparisons the data can support when from is 0 (a restored linker
 * takes them from the model it loads). */
braid_rc braid__link_prepare(struct braid_linker *l, size_t from, struct braid_err *err)
{
	struct name_cache nc = {0};
	braid_rc rc = BRAID_OK;
	uint64_t present[BRAID_LC__COUNT] = {0};
	for (size_t i = from; i < l->n && !rc; i++) {
		const char *const *v = l->recs[i - from].v;
		struct braid__lrec *r = &l->r[i];
		l->keys[i] = l->recs[i - from].record_key;
		memset(r, 0, sizeof *r);
		const char *street = v[BRAID_F_STREET_NAME];
		if ((!street || !*street) && v[BRAID_F_ADDRESS])
			street = v[BRAID_F_ADDRESS];
		if ((rc = intern_s(l, v[BRAID_F_FIRST_NAME], &r->first)) ||
		    (rc = intern_s(l, v[BRAID_F_LAST_NAME], &r->last)) ||
		    (rc = intern_s(l, v[BRAID_F_MIDDLE_NAME], &r->middle)) ||
		    (rc = intern_s(l, v[BRAID_F_SSN], &r->ssn)) ||
		    (rc = intern_s(l, v[BRAID_F_STREET_NUMBER], &r->number)) ||
		    (rc = intern_s(l, street, &r->street)) ||
		    (rc = intern_s(l, v[BRAID_F_UNIT], &r->unit)) ||
		    (rc = intern_s(l, v[BRAID_F_ZIP], &r->zip)) ||
		    (rc = intern_s(l, v[BRAID_F_CITY], &r->city)) ||
		    (rc = intern_s(l, v[BRAID_F_PHONE], &r->phone)) ||
		    (rc = intern_s(l, v[BRAID_F_EMAIL], &r->email)) ||
		    (rc = intern_s(l, v[BRAID_F_OTHER_ID], &r->other)))
			break;
		const char *em = v[BRAID_F_EMAIL];
		const char *at = em ? strchr(em, '@') : NULL;
		if (at && at > em &&
		    (rc = braid__strtab_intern(&l->st, em, (size_t)(at - em), &r->email_local)))
			break;
		parse_dob(v[BRAID_F_DOB], v[BRAID_F_BIRTH_YEAR], r);
		const char *sx = v[BRAID_F_SEX];
		if (sx && (sx[0] == 'M' || sx[0] == 'F'))
			r->sex = sx[0];
		if (r->first) {
			r->fi = braid__str(&l->st, r->first)[0];
			if ((rc = name_codes(l, &nc, r->first, 1)))
				break;
			r->first_ph = nc.ph1[r->first];
			r->first_ph2 = nc.ph2[r->first];
			r->first_nick = nc.nick[r->first];
			r->first_in_nick = nc.in_nick[r->first];
		}
		if (r->last) {
			r->li = braid__str(&l->st, r->last)[0];
			if ((rc = name_codes(l, &nc, r->last, 0)))
				break;
			r->last_ph = nc.ph1[r->last];
			r->last_ph2 = nc.ph2[r->last];
		}
		present[BRAID_LC_FIRST] += r->first != 0;
		present[BRAID_LC_LAST] += r->last != 0;
		present[BRAID_LC_MIDDLE] += r->middle != 0;
		present[BRAID_LC_DOB] += r->y != 0;
		present[BRAID_LC_SEX] += r->sex != 0;
		present[BRAID_LC_SSN] += r->ssn != 0;
		present[BRAID_LC_ADDRESS] += r->street != 0;
		present[BRAID_LC_ZIP] += r->zip != 0;
		present[BRAID_LC_CITY] += r->city != 0;
		present[BRAID_LC_PHONE] += r->phone != 0;
		present[BRAID_LC_EMAIL] += r->email != 0;
		present[BRAID_LC_OTHER_ID] += r->other != 0;
	}
	free(nc.ph1);
	free(nc.ph2);
	free(nc.nick);
	free(nc.done);
	free(nc.in_nick);
	if (rc)
		return braid_err_set(err, rc, "link: cannot prepare records: %s",
				     braid_strerror(rc));
	/* A comparison the data barely has would be estimated from noise. */
	uint64_t need = l->n / 100 > 2 ? l->n / 100 : 2;
	if (!from) {
		l->cx.active = 0;
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			if (present[c] >= need)
				l->cx.active |= 1u << c;
	}
	if (count_tf(l, from))
		return braid_err_set(err, BRAID_ENOMEM, "link: out of memory for term frequencies");
	l->cx.r = l->r;
	l->cx.st = &l->st;
	return BRAID_OK;
}

struct braid_linker *braid_linker_new(const struct braid_identity *recs, size_t n,
				      const struct braid_link_opts *opts,
				      struct braid_err *err)
{
	if (n >= UINT32_MAX) {
		braid_err_set(err, BRAID_ETOOBIG, "link: too many records (%zu)", n);
		return NULL;
	}
	struct braid_linker *l = braid__linker_alloc(opts, err);
	if (!l)
		return NULL;
	l->recs = recs;
	l->n = n;
	l->r = braid_big_zalloc(n ? n : 1, sizeof *l->r);
	l->keys = braid_big_zalloc(n ? n : 1, sizeof *l->keys);
	if (!l->r || !l->keys) {
		braid_err_set(err, BRAID_ENOMEM, "link: out of memory for %zu records", n);
		braid_linker_free(l);
		return NULL;
	}
	if (braid__strtab_init(&l->st)) {
		braid_err_set(err, BRAID_ENOMEM, "link: out of memory");
		braid_linker_free(l);
		return NULL;
	}
	if (braid__link_prepare(l, 0, err)) {
		braid_linker_free(l);
		return NULL;
	}
	return l;
}

struct braid_linker *braid__linker_alloc(const struct braid_link_opts *opts,
					 struct braid_err *err)
{
	struct braid_linker *l = calloc(1, sizeof *l);
	if (!l) {
		braid_err_set(err, BRAID_ENOMEM, "link: out of memory");
		return NULL;
	}
	if (opts)
		l->opts = *opts;
	if (!l->opts.max_block)
		l->opts.max_block = 1000;
	if (!l->opts.u_samples)
		l->opts.u_samples = 1000000;
	if (l->opts.em_iterations <= 0)
		l->opts.em_iterations = 25;
	if (l->opts.threads <= 0)
		l->opts.threads = 2;
	if (l->opts.threads > 64)
		l->opts.threads = 64;
	if (!l->opts.seed)
		l->opts.seed = 0x6272616964ULL; /* "braid" */
	l->cx.nk = l->opts.nicknames;
	if (!l->cx.nk) {
		/* Linking without nicknames is worse but still sound: a missing
		 * table is not an error. */
		l->own_nk = braid_nicknames_load(NULL, NULL);
		l->cx.nk = l->own_nk;
	}
	if (l->cx.nk)
		l->cx.related = braid_nicknames_related;
	return l;
}

void braid_linker_free(struct braid_linker *l)
{
	if (!l)
		return;
	braid_nicknames_free(l->own_nk);
	braid__strtab_release(&l->st);
	free(l->r);
	free(l->keys);
	free(l->rest_cluster);
	free(l->rest_pairs);
	free(l->rest_w);
	free(l->name_moved);
	free(l->pv);
	free(l->tf_first);
	free(l->tf_last);
	free(l->tf_city);
	braid__pattab_release(&l->pats);
	free(l->pairs);
	free(l->pw);
	free(l->cluster);
	free(l);
}

braid_rc braid_linker_plan(struct braid_linker *l,
			   const struct braid_link_rule_plan **rules, size_t *nrules,
			   struct braid_err *err)
{
	if (!l->planned) {
		braid_rc rc = braid__link_plan(l, err);
		if (rc)
			return rc;
	}
	*rules = l->plan;
	*nrules = (size_t)l->nrules;
	return BRAID_OK;
}

braid_rc braid_linker_run(struct braid_linker *l, struct braid_err *err)
{
	if (l->ran)
		return braid_err_set(err, BRAID_EINVAL, "link: this linker has already run");
	braid_rc rc;
	double t0 = now_s();
	if ((rc = braid__link_block(l, err)))
		return rc;
	double t1 = now_s();
	if ((rc = braid__link_fit(l, err)))
		return rc;
	double t2 = now_s();
	if ((rc = braid__link_score(l, err)))
		return rc;
	double t3 = now_s();
	if ((rc = braid__link_cluster(l, err)))
		return rc;
	double t4 = now_s();
	l->stats.records = l->n;
	l->stats.seconds_block = t1 - t0;
	l->stats.seconds_model = t2 - t1;
	l->stats.seconds_score = t3 - t2;
	l->stats.seconds_cluster = t4 - t3;
	l->ran = 1;
	return BRAID_OK;
}

void braid_linker_set_labels(struct braid_linker *l, const struct braid_link_label *labels,
			     size_t n)
{
	l->opts.labels = labels;
	l->opts.nlabels = n;
}

const struct braid_link_stats *braid_linker_stats(const struct braid_linker *l)
{
	return &l->stats;
}

const uint32_t *braid_linker_clusters(const struct braid_linker *l)
{
	return l->cluster;
}

braid_rc braid_linker_pairs(const struct braid_linker *l, double min_weight,
			    struct braid_link_pair **out, size_t *n,
			    struct braid_err *err)
{
	*out = NULL;
	*n = 0;
	if (!l->ran)
		return braid_err_set(err, BRAID_EINVAL, "link: run the linker first");
	size_t k = 0;
	for (size_t i = 0; i < l->npairs; i++)
		k += l->pw[i] >= min_weight;
	struct braid_link_pair *p = braid_big_alloc(k ? k : 1, sizeof *p);
	if (!p)
		return braid_err_set(err, BRAID_ENOMEM, "link: out of memory");
	k = 0;
	for (size_t i = 0; i < l->npairs; i++) {
		if (l->pw[i] < min_weight)
			continue;
		double w = l->pw[i];
		p[k].a = l->pairs[i].a;
		p[k].b = l->pairs[i].b;
		p[k].weight = (float)w;
		p[k].probability = (float)(1.0 / (1.0 + exp2(-w)));
		k++;
	}
	*out = p;
	*n = k;
	return BRAID_OK;
}
