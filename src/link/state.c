/*
 * state.c — a linker's state after a run, written out and read back
 * (braid/link.h, "saved state"), so that an incremental run prepares only
 * its new records and scores the earlier run's kept pairs from their saved
 * comparison vectors.  Reading everything from the vault, preparing it and
 * comparing the kept pairs again is what made an incremental run cost
 * about as much as a full one.
 *
 * The layout is this build's memory layout (prepared records, interned
 * strings, term-frequency counts, kept pairs), behind a header with the
 * sizes it depends on: a state from a build whose structures differ is
 * refused, never misread.  It does not seal or store the bytes, and it
 * does not know whether a state is current (the caller does both).
 */
#include "link_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC 0x3130545354534c42ULL /* "BLSTST01" */

enum {
	H_MAGIC, H_LAYOUT, H_N, H_STN, H_POOL, H_SLOTS, H_NTF, H_KEPT,
	H_NF_FIRST, H_NF_LAST, H_NF_CITY, H__COUNT
};

static uint64_t layout(void)
{
	return (uint64_t)sizeof(struct braid__lrec) | (uint64_t)sizeof(struct braid__strinfo) << 12 |
	       (uint64_t)sizeof(struct braid__kept) << 24 | (uint64_t)BRAID_LC__COUNT << 36 |
	       (uint64_t)R__COUNT << 44;
}

/* The vector of kept pair i as an incremental run computes it (records in
 * index order): incremental runs keep it; a full run's pattern may have
 * been compared the other way round, and a few comparisons are not
 * symmetric (which name's frequency decides a near match), so it is
 * compared again. */
static braid__cvec vec_of(const struct braid_linker *l, size_t i, uint32_t lo, uint32_t hi)
{
	return l->pv ? l->pv[i] : braid__compare(&l->cx, lo, hi);
}

braid_rc braid_linker_state_write(const struct braid_linker *l, braid_link_put_fn put,
				  void *ctx, struct braid_err *err)
{
	if (!l->cluster)
		return braid_err_set(err, BRAID_EINVAL, "link: save the state of a linker that has run");
	double keep = l->stats.review_low;
	uint64_t nkept = 0;
	for (size_t i = 0; i < l->npairs; i++)
		nkept += l->pw[i] >= keep;
	uint64_t h[H__COUNT] = {
		[H_MAGIC] = STATE_MAGIC, [H_LAYOUT] = layout(), [H_N] = l->n,
		[H_STN] = l->st.n, [H_POOL] = l->st.pool_len, [H_SLOTS] = l->st.nslots,
		[H_NTF] = l->ntf, [H_KEPT] = nkept, [H_NF_FIRST] = l->nf_first,
		[H_NF_LAST] = l->nf_last, [H_NF_CITY] = l->nf_city,
	};
	braid_rc rc;
	if ((rc = put(ctx, h, sizeof h, err)) ||
	    (rc = put(ctx, l->keys, l->n * sizeof *l->keys, err)) ||
	    (rc = put(ctx, l->cluster, l->n * sizeof *l->cluster, err)) ||
	    (rc = put(ctx, l->r, l->n * sizeof *l->r, err)) ||
	    (rc = put(ctx, l->st.pool, l->st.pool_len, err)) ||
	    (rc = put(ctx, l->st.info, l->st.n * sizeof *l->st.info, err)) ||
	    (rc = put(ctx, l->st.slots, l->st.nslots * sizeof *l->st.slots, err)) ||
	    (rc = put(ctx, l->tf_first, l->ntf * sizeof *l->tf_first, err)) ||
	    (rc = put(ctx, l->tf_last, l->ntf * sizeof *l->tf_last, err)) ||
	    (rc = put(ctx, l->tf_city, l->ntf * sizeof *l->tf_city, err)))
		return rc;
	struct braid__kept buf[4096];
	size_t nb = 0;
	for (size_t i = 0; i < l->npairs && !rc; i++) {
		if (l->pw[i] < keep)
			continue;
		uint32_t a = l->pairs[i].a, b = l->pairs[i].b;
		uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
		buf[nb++] = (struct braid__kept){lo, hi, vec_of(l, i, lo, hi), l->pw[i], 0};
		if (nb == sizeof buf / sizeof *buf) {
			rc = put(ctx, buf, sizeof buf, err);
			nb = 0;
		}
	}
	if (!rc && nb)
		rc = put(ctx, buf, nb * sizeof *buf, err);
	return rc;
}

/* n elements of size sz into a new array of at least min elements.  When
 * the bytes left (*left, an upper bound) can hold them, the array is made
 * at once; otherwise (an unknown or damaged count) it grows as the bytes
 * arrive, 64 MiB at a time, so a bad count runs out of input before it
 * can ask for absurd memory.  (Growing an array of a million records by
 * realloc cost more than reading it.) */
static braid_rc get_array(braid_link_get_fn get, void *ctx, uint64_t *left, void **out,
			  uint64_t n, size_t sz, uint64_t min, struct braid_err *err)
{
	uint64_t cap = n > min ? n : min, step = ((uint64_t)64 << 20) / sz + 1;
	if (n <= *left / sz) {
		step = cap;
		*left -= n * sz;
	}
	if (!cap)
		cap = 1;
	if (cap > SIZE_MAX / sz)
		return braid_err_set(err, BRAID_ETOOBIG, "link state: too large");
	uint64_t have = 0, room = cap < step ? cap : step;
	unsigned char *p = braid_big_alloc((size_t)room, sz);
	braid_rc rc = p ? BRAID_OK : braid_err_set(err, BRAID_ENOMEM, "link state: out of memory");
	while (!rc && have < n) {
		uint64_t k = n - have < step ? n - have : step;
		if (have + k > room) {
			room = have + k;
			unsigned char *q = braid_reallocarray(p, (size_t)room, sz);
			if (!q) {
				rc = braid_err_set(err, BRAID_ENOMEM, "link state: out of memory");
				break;
			}
			p = q;
		}
		rc = get(ctx, p + have * sz, (size_t)(k * sz), err);
		have += k;
	}
	if (!rc && room < cap) {
		unsigned char *q = braid_reallocarray(p, (size_t)cap, sz);
		if (!q)
			rc = braid_err_set(err, BRAID_ENOMEM, "link state: out of memory");
		else
			p = q;
	}
	if (rc) {
		free(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

struct braid_linker *braid_linker_state_read(braid_link_get_fn get, void *ctx, uint64_t size,
					     const struct braid_identity *more, size_t nmore,
					     const struct braid_link_opts *opts,
					     struct braid_err *err)
{
	uint64_t left = size;
	uint64_t h[H__COUNT];
	braid_rc rc = get(ctx, h, sizeof h, err);
	if (rc)
		return NULL;
	if (h[H_MAGIC] != STATE_MAGIC || h[H_LAYOUT] != layout() || h[H_STN] < 1 ||
	    h[H_STN] >= UINT32_MAX || h[H_POOL] < 1 || h[H_POOL] > UINT32_MAX ||
	    h[H_SLOTS] < 2 * h[H_STN] || (h[H_SLOTS] & (h[H_SLOTS] - 1)) || h[H_NTF] > h[H_STN] ||
	    h[H_N] + nmore >= UINT32_MAX) {
		braid_err_set(err, BRAID_EINVAL, "link state: written by another version of braid");
		return NULL;
	}
	struct braid_linker *l = braid__linker_alloc(opts, err);
	if (!l)
		return NULL;
	size_t nold = (size_t)h[H_N], n = nold + nmore;
	void *p;
	l->n = n;
	l->nrest = nold;
	l->recs = more;
	if ((rc = get_array(get, ctx, &left, &p, nold, sizeof *l->keys, n, err)))
		goto fail;
	l->keys = p;
	if ((rc = get_array(get, ctx, &left, &p, nold, sizeof *l->rest_cluster, 1, err)))
		goto fail;
	l->rest_cluster = p;
	if ((rc = get_array(get, ctx, &left, &p, nold, sizeof *l->r, n, err)))
		goto fail;
	l->r = p;
	l->st.pool_len = (size_t)h[H_POOL];
	l->st.pool_cap = l->st.pool_len > 4096 ? l->st.pool_len : 4096;
	if ((rc = get_array(get, ctx, &left, &p, h[H_POOL], 1, l->st.pool_cap, err)))
		goto fail;
	l->st.pool = p;
	l->st.n = (uint32_t)h[H_STN];
	l->st.cap = l->st.n > 256 ? l->st.n : 256;
	if ((rc = get_array(get, ctx, &left, &p, h[H_STN], sizeof *l->st.info, l->st.cap, err)))
		goto fail;
	l->st.info = p;
	l->st.nslots = h[H_SLOTS];
	if ((rc = get_array(get, ctx, &left, &p, h[H_SLOTS], sizeof *l->st.slots, 1, err)))
		goto fail;
	l->st.slots = p;
	uint32_t **tf[3] = {&l->tf_first, &l->tf_last, &l->tf_city};
	for (int k = 0; k < 3; k++) {
		if ((rc = get_array(get, ctx, &left, &p, h[H_NTF], sizeof **tf[k], 1, err)))
			goto fail;
		*tf[k] = p;
	}
	l->ntf = (uint32_t)h[H_NTF];
	l->nf_first = h[H_NF_FIRST];
	l->nf_last = h[H_NF_LAST];
	l->nf_city = h[H_NF_CITY];
	if ((rc = get_array(get, ctx, &left, &p, h[H_KEPT], sizeof *l->rest_pairs, 1, err)))
		goto fail;
	l->rest_pairs = p;
	l->nrest_pairs = (size_t)h[H_KEPT];
	/* what the comparisons index must be in range, whatever the bytes
	 * (branch-free maxima: these loops run over millions of entries) */
	uint64_t end = 0;
	for (size_t i = 0; i < l->st.n; i++) {
		uint64_t e = (uint64_t)l->st.info[i].off + l->st.info[i].len;
		end = e > end ? e : end;
	}
	uint32_t top = 0;
	for (uint64_t i = 0; i < l->st.nslots; i++)
		top = l->st.slots[i] > top ? l->st.slots[i] : top;
	if (end >= l->st.pool_len || top > l->st.n)
		goto corrupt;
	top = 0;
	for (size_t i = 0; i < nold; i++) {
		const struct braid__lrec *r = &l->r[i];
		const uint32_t ids[] = {r->first, r->last, r->middle, r->first_ph, r->first_ph2,
					r->last_ph, r->last_ph2, r->first_nick, r->ssn, r->number,
					r->street, r->unit, r->zip, r->city, r->phone, r->email,
					r->email_local, r->other};
		for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
			top = ids[k] > top ? ids[k] : top;
	}
	if (top >= l->st.n)
		goto corrupt;
	uint32_t pmax = 0;
	for (size_t i = 0; i < l->nrest_pairs; i++) {
		uint32_t m = l->rest_pairs[i].a > l->rest_pairs[i].b ? l->rest_pairs[i].a
								     : l->rest_pairs[i].b;
		pmax = m > pmax ? m : pmax;
	}
	if (l->nrest_pairs && pmax >= nold)
		goto corrupt;
	if (braid__link_prepare(l, nold, err))
		goto fail;
	/* the names whose counts the new records moved (incremental.c) */
	if (!(l->name_moved = calloc(l->st.n, 1))) {
		braid_err_set(err, BRAID_ENOMEM, "link state: out of memory");
		goto fail;
	}
	for (size_t i = nold; i < n; i++) {
		l->name_moved[l->r[i].first] = 1;
		l->name_moved[l->r[i].last] = 1;
	}
	return l;
corrupt:
	braid_err_set(err, BRAID_EINVAL, "link state: an index is out of range");
	goto fail;
fail:
	braid_linker_free(l);
	return NULL;
}

size_t braid_linker_restored(const struct braid_linker *l)
{
	return l->nrest;
}

const uint32_t *braid_linker_restored_clusters(const struct braid_linker *l)
{
	return l->rest_cluster;
}

const int64_t *braid_linker_keys(const struct braid_linker *l)
{
	return l->keys;
}

int braid_link_band(const struct braid_link_stats *st, double w)
{
	return w >= st->review_high ? 0 : w >= st->threshold ? 2 : w >= st->review_low ? 1 : 0;
}

braid_rc braid_linker_band_pairs(const struct braid_linker *l, size_t from,
				 struct braid_link_pair **out, size_t *n, struct braid_err *err)
{
	*out = NULL;
	*n = 0;
	if (!l->ran || !l->cluster)
		return braid_err_set(err, BRAID_EINVAL, "link: run the linker first");
	size_t k = 0, cap = 0;
	struct braid_link_pair *p = NULL;
	for (size_t i = 0; i < l->npairs; i++) {
		double w = l->pw[i];
		if (!braid_link_band(&l->stats, w) || (l->pairs[i].a < from && l->pairs[i].b < from))
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 1024;
			struct braid_link_pair *q = braid_reallocarray(p, cap, sizeof *q);
			if (!q) {
				free(p);
				return braid_err_set(err, BRAID_ENOMEM, "link: out of memory");
			}
			p = q;
		}
		p[k++] = (struct braid_link_pair){l->pairs[i].a, l->pairs[i].b, (float)w,
						  (float)(1.0 / (1.0 + exp2(-w)))};
	}
	*out = p;
	*n = k;
	return BRAID_OK;
}

braid_rc braid_linker_band_changes(const struct braid_linker *l,
				   struct braid_link_rescored **out, size_t *n,
				   struct braid_err *err)
{
	*out = NULL;
	*n = 0;
	if (!l->rest_w)
		return braid_err_set(err, BRAID_EINVAL, "link: run the restored linker first");
	size_t k = 0, cap = 0;
	struct braid_link_rescored *p = NULL;
	for (size_t i = 0; i < l->nrest_pairs; i++) {
		const struct braid__kept *kp = &l->rest_pairs[i];
		if (braid_link_band(&l->stats, kp->w) == braid_link_band(&l->stats, l->rest_w[i]))
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 1024;
			struct braid_link_rescored *q = braid_reallocarray(p, cap, sizeof *q);
			if (!q) {
				free(p);
				return braid_err_set(err, BRAID_ENOMEM, "link: out of memory");
			}
			p = q;
		}
		p[k++] = (struct braid_link_rescored){kp->a, kp->b, kp->w, l->rest_w[i]};
	}
	*out = p;
	*n = k;
	return BRAID_OK;
}
