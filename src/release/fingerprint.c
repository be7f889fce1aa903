/*
 * fingerprint.c — differencing between different cohorts.  A cell may
 * carry the power sums of a keyed hash of its people (release.h, "subsets");
 * two such fingerprints tell whether one set of people contains the other
 * and by how many people they differ, when that is at most
 * BRAID_FP_MAX_DIFF, without any list of people being kept.  The ledger
 * relation turns each small nested difference into a sensitive cell with a
 * sum constraint, so that suppression and the interval audit protect it
 * like any other small cell.
 *
 * It does not hash person ids (the caller does, with a workspace secret),
 * see overlaps that are not nestings, nor differences above
 * BRAID_FP_MAX_DIFF.
 */
#include "release_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FP_P ((uint64_t)0x1fffffffffffffffULL) /* 2^61 - 1, prime */

static uint64_t mred(unsigned __int128 x)
{
	uint64_t lo = (uint64_t)(x & FP_P), hi = (uint64_t)(x >> 61);
	uint64_t r = lo + hi;
	while (r >= FP_P)
		r -= FP_P;
	return r;
}

static uint64_t mmul(uint64_t a, uint64_t b) { return mred((unsigned __int128)a * b); }
static uint64_t madd(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;
	return r >= FP_P ? r - FP_P : r;
}
static uint64_t msub(uint64_t a, uint64_t b) { return a >= b ? a - b : a + FP_P - b; }

void braid_fp_init(struct braid_fp *f) { memset(f, 0, sizeof *f); }

void braid_fp_add(struct braid_fp *f, uint64_t h)
{
	uint64_t x = mred(h);
	if (!x)
		x = 1; /* 0 would add nothing to any power sum */
	uint64_t pw = x;
	for (size_t k = 0; k < BRAID_FP_TERMS; k++) {
		f->p[k] = madd(f->p[k], pw);
		pw = mmul(pw, x);
	}
}

static int fp_empty(const struct braid_fp *f)
{
	for (size_t k = 0; k < BRAID_FP_TERMS; k++)
		if (f->p[k])
			return 0;
	return 1;
}

/* Size of the set whose power sums are P[0..m-1] (P[k-1] = p_k), when
 * those are the power sums of a set of at most maxd elements (maxd + 4 <=
 * m): the elementary symmetric functions e_k (Newton: k e_k = sum_{i=1..k}
 * (-1)^(i-1) e_{k-i} p_i) then vanish above the size, and at least four
 * of them are checked to.  -1 otherwise. */
static int set_size(const uint64_t *P, size_t m, size_t maxd)
{
	uint64_t e[BRAID_FP_TERMS + 1], inv[BRAID_FP_TERMS + 1];
	/* inverses of 1..m: inv[k] = -(p / k) * inv[p mod k] */
	inv[1] = 1;
	for (uint64_t k = 2; k <= m; k++)
		inv[k] = msub(0, mmul(FP_P / k, inv[FP_P % k]));
	e[0] = 1;
	size_t last = 0;
	for (size_t k = 1; k <= m; k++) {
		uint64_t s = 0;
		for (size_t i = 1; i <= k; i++) {
			uint64_t t = mmul(e[k - i], P[i - 1]);
			s = (i & 1) ? madd(s, t) : msub(s, t);
		}
		e[k] = mmul(s, inv[k]);
		if (e[k]) {
			last = k;
			if (last > maxd)
				return -1; /* already too large: stop early */
		}
	}
	return (int)last;
}

/* braid_fp_relate for differences of at most maxd people (<=
 * BRAID_FP_MAX_DIFF), using only the terms that needs. */
static int relate_upto(const struct braid_fp *a, const struct braid_fp *b, size_t maxd, size_t *d)
{
	*d = 0;
	if (!memcmp(a->p, b->p, sizeof a->p))
		return BRAID_FP_EQUAL;
	if (maxd > BRAID_FP_MAX_DIFF)
		maxd = BRAID_FP_MAX_DIFF;
	size_t m = maxd + (BRAID_FP_TERMS - BRAID_FP_MAX_DIFF);
	uint64_t P[BRAID_FP_TERMS];
	for (size_t k = 0; k < m; k++)
		P[k] = msub(a->p[k], b->p[k]);
	int n = set_size(P, m, maxd);
	if (n > 0) {
		*d = (size_t)n;
		return BRAID_FP_A_SUPER;
	}
	for (size_t k = 0; k < m; k++)
		P[k] = msub(b->p[k], a->p[k]);
	n = set_size(P, m, maxd);
	if (n > 0) {
		*d = (size_t)n;
		return BRAID_FP_B_SUPER;
	}
	return BRAID_FP_UNRELATED;
}

int braid_fp_relate(const struct braid_fp *a, const struct braid_fp *b, size_t *d)
{
	return relate_upto(a, b, BRAID_FP_MAX_DIFF, d);
}

braid_rc braid_cellset_set_fp(struct braid_cellset *cs, size_t idx, const struct braid_fp *f,
			      struct braid_err *err)
{
	if (idx >= cs->n)
		return braid_err_set(err, BRAID_EINVAL, "fingerprint: no cell %zu", idx);
	if (idx >= cs->fpcap) {
		size_t nc = cs->cap > idx ? cs->cap : idx + 1;
		struct braid_fp *fp = braid_reallocarray(cs->fp, nc, sizeof *fp);
		if (!fp)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		cs->fp = fp;
		unsigned char *h = realloc(cs->has_fp, nc);
		if (!h)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		memset(h + cs->fpcap, 0, nc - cs->fpcap);
		cs->has_fp = h;
		cs->fpcap = nc;
	}
	cs->fp[idx] = *f;
	cs->has_fp[idx] = 1;
	return BRAID_OK;
}

const struct braid_fp *braid_cellset_fp(const struct braid_cellset *cs, size_t idx)
{
	return idx < cs->fpcap && idx < cs->n && cs->has_fp[idx] ? &cs->fp[idx] : NULL;
}

braid_rc braid__fp_copy(struct braid_cellset *to, size_t dst, const struct braid_cellset *cs,
			size_t src)
{
	const struct braid_fp *f = braid_cellset_fp(cs, src);
	if (!f || braid_cellset_fp(to, dst))
		return BRAID_OK;
	struct braid_err e;
	return braid_cellset_set_fp(to, dst, f, &e);
}

/* Distinct cohort prefixes (the part of an id before the first '|') of
 * the cells of cs, at most n of them; SIZE_MAX when there are more. */
static size_t cohorts_of(const struct braid_cellset *cs, const char **pre, size_t *len, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const char *id = cs->cells[i].id;
		size_t l = strcspn(id, "|"), j = 0;
		while (j < k && !(len[j] == l && !strncmp(pre[j], id, l)))
			j++;
		if (j < k)
			continue;
		if (k == n)
			return SIZE_MAX;
		pre[k] = id;
		len[k++] = l;
	}
	return k;
}

/* Relate new cell a (index ia of cs) to ledger cell j; see release.h. */
static braid_rc relate_pair(struct braid_ledger *l, const struct braid_cellset *cs, size_t i,
			    size_t j, int rel, size_t d, struct braid_err *err)
{
	struct braid_cellset *lc = l->cs;
	const struct braid_cell *a = &cs->cells[i];
	const struct braid_cell *b = &lc->cells[j];
	/* The new cell joins the ledger (unknown until it is recorded as
	 * published) so that a constraint can name it.  The same people as
	 * an earlier small cell: small too (the ledger marks it primary,
	 * without the equation, which would pin every other cell of its sums
	 * — e.g. force the zeros beside it — on a coincidence the reader
	 * cannot know). */
	int same_small = rel == BRAID_FP_EQUAL && b->status == BRAID_CELL_PRIMARY;
	size_t ia;
	braid_rc rc = braid__ledger_put(l, a->id, same_small ? BRAID_CELL_PRIMARY : BRAID_CELL_COMPLEMENT,
					0, &ia, err);
	if (rc)
		return rc;
	if ((rc = braid__fp_copy(lc, ia, cs, i)))
		return braid_err_set(err, rc, "out of memory");
	b = &lc->cells[j]; /* the cell array may have moved */
	if (same_small)
		return BRAID_OK;
	if (rel == BRAID_FP_EQUAL) {
		size_t part = j;
		if ((rc = braid__ledger_con(l, ia, &part, 1)))
			return braid_err_set(err, rc, "out of memory");
		return BRAID_OK;
	}
	const char *big = rel == BRAID_FP_A_SUPER ? a->id : b->id;
	const char *small = rel == BRAID_FP_A_SUPER ? b->id : a->id;
	uint64_t h = braid_hash64(big, strlen(big), 0xd1ff);
	h = braid_hash64(small, strlen(small), h);
	char id[40];
	snprintf(id, sizeof id, "diff:%016llx", (unsigned long long)h);
	(void)d;
	size_t id_d;
	if ((rc = braid__ledger_put(l, id, BRAID_CELL_PRIMARY, 0, &id_d, err)))
		return rc;
	size_t tot = rel == BRAID_FP_A_SUPER ? ia : j;
	size_t parts[2] = {rel == BRAID_FP_A_SUPER ? j : ia, id_d};
	if ((rc = braid__ledger_con(l, tot, parts, 2)))
		return braid_err_set(err, rc, "out of memory");
	return BRAID_OK;
}

braid_rc braid_ledger_relate(struct braid_ledger *l, const struct braid_cellset *cs,
			     int64_t min_cell, size_t *found, struct braid_err *err)
{
	if (found)
		*found = 0;
	struct braid_cellset *lc = l->cs;
	size_t nl = lc->n; /* only the cells of earlier releases */
	/* The earlier cells worth comparing: with people, not cells of this
	 * release (related by id), not of a cohort of this release — ids
	 * sharing the part before the first '|' are one cohort's, whose
	 * cells are related by their sum constraints already (comparing them
	 * would only add sums of cells to protect). */
	const char *pre[8];
	size_t plen[8];
	size_t np = cohorts_of(cs, pre, plen, 8);
	size_t *cand = braid_reallocarray(NULL, nl ? nl : 1, sizeof *cand);
	if (!cand)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	size_t nc = 0;
	for (size_t j = 0; j < nl; j++) {
		const struct braid_fp *fb = braid_cellset_fp(lc, j);
		const char *id = lc->cells[j].id;
		if (!fb || fp_empty(fb) || braid_cellset_find(cs, id) != SIZE_MAX)
			continue;
		size_t ln = strcspn(id, "|");
		int same = 0;
		for (size_t k = 0; np != SIZE_MAX && k < np && !same; k++)
			same = plen[k] == ln && !strncmp(pre[k], id, ln);
		if (!same)
			cand[nc++] = j;
	}
	size_t maxd = (size_t)(min_cell > 1 ? min_cell - 1 : 1);
	braid_rc rc = BRAID_OK;
	for (size_t i = 0; !rc && i < cs->n; i++) {
		const struct braid_fp *fa = braid_cellset_fp(cs, i);
		if (!fa || fp_empty(fa))
			continue;
		int64_t av = cs->cells[i].value;
		for (size_t jj = 0; !rc && jj < nc; jj++) {
			size_t j = cand[jj];
			const struct braid_cell *b = &lc->cells[j];
			/* A published exact count bounds the difference at once. */
			if (b->status == BRAID_CELL_SHOWN) {
				int64_t diff = av - b->shown;
				if (diff < 0)
					diff = -diff;
				if (diff >= min_cell || diff > BRAID_FP_MAX_DIFF)
					continue;
			}
			size_t d;
			int rel = relate_upto(fa, braid_cellset_fp(lc, j), maxd, &d);
			if (rel == BRAID_FP_UNRELATED || (int64_t)d >= min_cell)
				continue;
			rc = relate_pair(l, cs, i, j, rel, d, err);
			if (!rc && found)
				(*found)++;
		}
	}
	free(cand);
	return rc;
}
