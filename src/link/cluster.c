/*
 * cluster.c — clusters: connected components over accepted pairs, with a
 * guard against chaining.
 *
 * Plain connected components let a chain of individually plausible links
 * (A~B, B~C, C~D) glue together people who plainly differ (A and D with
 * different valid SSNs, or births years apart).  So the components are
 * built strongest link first (Kruskal order) and a link is refused when it
 * would join two groups that disagree hard: a component that would contain
 * a hard disagreement is thereby split on its weakest links.  Each group
 * keeps a small summary of its distinct SSNs and dates of birth, so the
 * check costs a few comparisons, not one per member pair.  Clerical
 * decisions are honoured: a labelled match is linked first and
 * unconditionally, a labelled non-match is never joined.
 *
 * It does not assign stable person ids (the person index does).
 */
#include "link_int.h"

#include <stdlib.h>
#include <string.h>

#define SUMK 4

struct uf {
	uint32_t *parent, *size, *next, *tail;
	uint32_t *ssn;   /* SUMK per root, 0 = empty slot */
	uint32_t *dob;   /* SUMK per root, y*10000+m*100+d, 0 = empty */
};

static uint32_t find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

int braid__hard_conflict(const struct braid_linker *l, uint32_t a, uint32_t b)
{
	const struct braid__lrec *x = &l->r[a], *y = &l->r[b];
	if ((l->cx.active & (1u << BRAID_LC_SSN)) && x->ssn && y->ssn && x->ssn != y->ssn &&
	    braid__cmp_digits(braid__str(&l->st, x->ssn), l->st.info[x->ssn].len,
			      braid__str(&l->st, y->ssn), l->st.info[y->ssn].len) == SS_ELSE)
		return 1;
	if ((l->cx.active & (1u << BRAID_LC_DOB)) && x->y && y->y && x->m && y->m &&
	    braid__cmp_dob(x, y) == DB_ELSE && abs(x->y - y->y) >= 15)
		return 1; /* a generation: closer dates may be one shifted date */
	return 0;
}

static int ssn_hard(const struct braid_linker *l, uint32_t s, uint32_t t)
{
	return s != t && braid__cmp_digits(braid__str(&l->st, s), l->st.info[s].len,
					   braid__str(&l->st, t), l->st.info[t].len) == SS_ELSE;
}

static int dob_hard(uint32_t p, uint32_t q)
{
	struct braid__lrec x = {0}, y = {0};
	x.y = (int16_t)(p / 10000);
	x.m = (uint8_t)(p / 100 % 100);
	x.d = (uint8_t)(p % 100);
	y.y = (int16_t)(q / 10000);
	y.m = (uint8_t)(q / 100 % 100);
	y.d = (uint8_t)(q % 100);
	return braid__cmp_dob(&x, &y) == DB_ELSE && abs(x.y - y.y) >= 15;
}

/* Would joining groups ra and rb put two records that disagree hard, and
 * that the model would not link on their own, into one cluster?  Small
 * groups are checked record by record (a duplicate whose SSN was mistyped
 * beyond recognition still links when everything else agrees); large ones
 * by their value summaries, which is stricter but bounded. */
static int groups_conflict(const struct braid_linker *l, const struct uf *u,
			   uint32_t ra, uint32_t rb, const uint32_t *cl_off,
			   const uint32_t *cl_to)
{
	if ((uint64_t)u->size[ra] * u->size[rb] <= 4096) {
		for (uint32_t x = ra; x != UINT32_MAX; x = u->next[x])
			for (uint32_t y = rb; y != UINT32_MAX; y = u->next[y])
				if (braid__hard_conflict(l, x, y) &&
				    braid__pair_weight(l, x, y) < l->stats.threshold)
					return 1;
	} else {
		const uint32_t *sa = &u->ssn[(size_t)ra * SUMK], *sb = &u->ssn[(size_t)rb * SUMK];
		for (int i = 0; i < SUMK && sa[i]; i++)
			for (int j = 0; j < SUMK && sb[j]; j++)
				if (ssn_hard(l, sa[i], sb[j]))
					return 1;
		const uint32_t *da = &u->dob[(size_t)ra * SUMK], *db = &u->dob[(size_t)rb * SUMK];
		for (int i = 0; i < SUMK && da[i]; i++)
			for (int j = 0; j < SUMK && db[j]; j++)
				if (da[i] != db[j] && dob_hard(da[i], db[j]))
					return 1;
	}
	if (cl_off) {
		/* labelled non-matches: walk the smaller group's members */
		uint32_t small = u->size[ra] <= u->size[rb] ? ra : rb;
		uint32_t other = small == ra ? rb : ra;
		for (uint32_t x = small; x != UINT32_MAX; x = u->next[x])
			for (uint32_t k = cl_off[x]; k < cl_off[x + 1]; k++)
				if (find(u->parent, cl_to[k]) == other)
					return 1;
	}
	return 0;
}

static void sum_merge(uint32_t *into, const uint32_t *from)
{
	for (int j = 0; j < SUMK && from[j]; j++) {
		int i;
		for (i = 0; i < SUMK && into[i]; i++)
			if (into[i] == from[j])
				break;
		if (i < SUMK && !into[i])
			into[i] = from[j];
	}
}

static void unite(struct uf *u, uint32_t ra, uint32_t rb)
{
	if (u->size[ra] < u->size[rb]) {
		uint32_t t = ra;
		ra = rb;
		rb = t;
	}
	u->parent[rb] = ra;
	u->size[ra] += u->size[rb];
	u->next[u->tail[ra]] = rb;
	u->tail[ra] = u->tail[rb];
	sum_merge(&u->ssn[(size_t)ra * SUMK], &u->ssn[(size_t)rb * SUMK]);
	sum_merge(&u->dob[(size_t)ra * SUMK], &u->dob[(size_t)rb * SUMK]);
}

struct edge {
	float w;
	uint32_t a, b;
};

/* The digit of an edge for a pass: 16 bits of (weight descending, then a,
 * then b ascending).  Weights are finite floats; their bits, with the sign
 * folded, order as the floats do. */
static uint32_t edge_digit(const struct edge *e, int pass)
{
	uint32_t v;
	switch (pass >> 1) {
	case 0: v = e->b; break;
	case 1: v = e->a; break;
	default: {
		uint32_t f;
		memcpy(&f, &e->w, sizeof f);
		if (f == 0x80000000u)
			f = 0; /* -0 is 0 */
		f = f & 0x80000000u ? ~f : f | 0x80000000u; /* ascending */
		v = ~f;                                        /* descending */
	}
	}
	return pass & 1 ? v >> 16 : v & 0xffff;
}

/* Edges in total order (weight descending, then a, then b): an LSD radix
 * sort, six passes of 16 bits.  A comparison sort of millions of edges was
 * most of the clustering time of an incremental run. */
static int sort_edges(struct edge *e, size_t n)
{
	struct edge *tmp = braid_big_alloc(n ? n : 1, sizeof *tmp);
	size_t *cnt = malloc(65536 * sizeof *cnt);
	if (!tmp || !cnt) {
		free(tmp);
		free(cnt);
		return -1;
	}
	struct edge *src = e, *dst = tmp;
	for (int pass = 0; pass < 6; pass++) {
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (size_t i = 0; i < n; i++)
			cnt[edge_digit(&src[i], pass)]++;
		if (n && cnt[edge_digit(&src[0], pass)] == n)
			continue; /* every edge has this digit: nothing to reorder */
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[edge_digit(&src[i], pass)]++] = src[i];
		struct edge *t = src;
		src = dst;
		dst = t;
	}
	if (src != e)
		memcpy(e, src, n * sizeof *e);
	free(tmp);
	free(cnt);
	return 0;
}

/* An edge inside an earlier cluster that a restored run keeps whole
 * (incremental.c marks them): neither sorted nor checked. */
static int kept_edge(const struct braid_linker *l, size_t i)
{
	return l->keep_rep && l->pairs[i].a < l->nrest && l->keep_rep[l->pairs[i].a] != UINT32_MAX;
}

braid_rc braid__link_cluster(struct braid_linker *l, struct braid_err *err)
{
	size_t n = l->n ? l->n : 1;
	struct uf u = {0};
	uint32_t *plain = braid_big_alloc(n, sizeof *plain);
	u.parent = braid_big_alloc(n, sizeof *u.parent);
	u.size = braid_big_alloc(n, sizeof *u.size);
	u.next = braid_big_alloc(n, sizeof *u.next);
	u.tail = braid_big_alloc(n, sizeof *u.tail);
	u.ssn = braid_big_zalloc(n * SUMK, sizeof *u.ssn);
	u.dob = braid_big_zalloc(n * SUMK, sizeof *u.dob);
	free(l->cluster);
	l->cluster = braid_big_alloc(n, sizeof *l->cluster);
	size_t ne = 0, nlab = l->opts.nlabels;
	for (size_t i = 0; i < l->npairs; i++)
		ne += l->pw[i] >= l->stats.threshold && !kept_edge(l, i);
	struct edge *e = braid_big_alloc(ne + nlab + 1, sizeof *e);
	uint32_t *cl_off = NULL, *cl_to = NULL;
	braid_rc rc = BRAID_OK;
	if (!plain || !u.parent || !u.size || !u.next || !u.tail || !u.ssn || !u.dob ||
	    !l->cluster || !e) {
		rc = BRAID_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct braid__lrec *r = &l->r[i];
		u.parent[i] = plain[i] = (uint32_t)i;
		u.size[i] = 1;
		u.next[i] = UINT32_MAX;
		u.tail[i] = (uint32_t)i;
		if (r->ssn && (l->cx.active & (1u << BRAID_LC_SSN)))
			u.ssn[i * SUMK] = r->ssn;
		if (r->y && r->m && (l->cx.active & (1u << BRAID_LC_DOB)))
			u.dob[i * SUMK] = (uint32_t)r->y * 10000u + r->m * 100u + r->d;
	}
	/* A restored run names, for the records of earlier clusters that
	 * nothing touched, the cluster's first record (incremental.c): each
	 * such cluster is one again, and none of its edges needs sorting or
	 * checking.  The first record is its own representative, so it stays
	 * a root. */
	for (size_t i = 0; l->keep_rep && i < l->nrest; i++) {
		uint32_t r = l->keep_rep[i];
		if (r == UINT32_MAX || r == i)
			continue;
		plain[i] = u.parent[i] = r;
		u.size[r]++;
	}
	ne = 0;
	for (size_t i = 0; i < l->npairs; i++)
		if (l->pw[i] >= l->stats.threshold && !kept_edge(l, i))
			e[ne++] = (struct edge){l->pw[i], l->pairs[i].a, l->pairs[i].b};
	/* labels: matches become edges stronger than any weight; non-matches
	 * become cannot-link lists (CSR by record) */
	size_t ncl = 0;
	for (size_t i = 0; i < nlab; i++) {
		const struct braid_link_label *lb = &l->opts.labels[i];
		if (lb->a >= l->n || lb->b >= l->n || lb->a == lb->b)
			continue;
		if (lb->match)
			e[ne++] = (struct edge){1e30f, lb->a, lb->b};
		else
			ncl++;
	}
	if (ncl) {
		cl_off = calloc(n + 1, sizeof *cl_off);
		cl_to = malloc(2 * ncl * sizeof *cl_to);
		if (!cl_off || !cl_to) {
			rc = BRAID_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nlab; i++) {
			const struct braid_link_label *lb = &l->opts.labels[i];
			if (lb->match || lb->a >= l->n || lb->b >= l->n || lb->a == lb->b)
				continue;
			cl_off[lb->a + 1]++;
			cl_off[lb->b + 1]++;
		}
		for (size_t i = 0; i < l->n; i++)
			cl_off[i + 1] += cl_off[i];
		uint32_t *fill = malloc(n * sizeof *fill);
		if (!fill) {
			rc = BRAID_ENOMEM;
			goto out;
		}
		memcpy(fill, cl_off, n * sizeof *fill);
		for (size_t i = 0; i < nlab; i++) {
			const struct braid_link_label *lb = &l->opts.labels[i];
			if (lb->match || lb->a >= l->n || lb->b >= l->n || lb->a == lb->b)
				continue;
			cl_to[fill[lb->a]++] = lb->b;
			cl_to[fill[lb->b]++] = lb->a;
		}
		free(fill);
	}
	if (sort_edges(e, ne)) {
		rc = BRAID_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ne; i++) {
		uint32_t pa = find(plain, e[i].a), pb = find(plain, e[i].b);
		if (pa != pb)
			plain[pa] = pb;
		uint32_t ra = find(u.parent, e[i].a), rb = find(u.parent, e[i].b);
		if (ra == rb)
			continue;
		if (e[i].w < 1e30f && groups_conflict(l, &u, ra, rb, cl_off, cl_to))
			continue;
		unite(&u, ra, rb);
	}
	/* dense cluster numbers in record order; count plain components that
	 * the guard split */
	uint32_t *dense = u.size; /* reuse: sizes are no longer needed */
	for (size_t i = 0; i < l->n; i++)
		dense[i] = UINT32_MAX;
	uint32_t nc = 0;
	for (size_t i = 0; i < l->n; i++) {
		uint32_t r = find(u.parent, (uint32_t)i);
		if (dense[r] == UINT32_MAX)
			dense[r] = nc++;
		l->cluster[i] = dense[r];
	}
	l->stats.clusters = nc;
	/* a plain component is split when its records carry more than one
	 * cluster: mark the first cluster seen per component in tail[] */
	uint64_t split = 0;
	for (size_t i = 0; i < l->n; i++)
		u.tail[i] = UINT32_MAX;
	for (size_t i = 0; i < l->n; i++) {
		uint32_t p = find(plain, (uint32_t)i);
		if (u.tail[p] == UINT32_MAX)
			u.tail[p] = l->cluster[i];
		else if (u.tail[p] != l->cluster[i] && u.tail[p] != UINT32_MAX - 1) {
			u.tail[p] = UINT32_MAX - 1; /* counted */
			split++;
		}
	}
	l->stats.clusters_split = split;
out:
	free(plain);
	free(u.parent);
	free(u.size);
	free(u.next);
	free(u.tail);
	free(u.ssn);
	free(u.dob);
	free(e);
	free(cl_off);
	free(cl_to);
	if (rc)
		return braid_err_set(err, rc, "link: out of memory while clustering");
	return BRAID_OK;
}
