/*
 * deid.c — de-identified row extracts: Safe-Harbor-style generalisation
 * (dates to year, ages 90 and over collapsed, ZIP to its first three
 * digits only where the caller's ZIP3 population exceeds 20,000 else
 * "000", tract to planning district, direct identifiers dropped), then
 * k-anonymity over the chosen quasi-identifiers by local suppression
 * (outliers' quasi-identifier values become "*", the most varied column
 * first; rows still alone after every column are dropped), l-diversity by
 * dropping classes with too few distinct sensitive values, and a risk
 * report.
 *
 * It does not decide which columns are identifiers (the agreement and the
 * caller do), does not find free-text identifiers, and is not the HIPAA
 * Expert Determination method: docs/releases.md says what is left.
 */
#include "release_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void braid_extract_release(struct braid_extract *x)
{
	if (!x)
		return;
	free(x->cells);
	free(x->names);
	braid_arena_release(&x->arena);
	memset(x, 0, sizeof *x);
}

/* A hash index over the caller's key lists (ZIP3s, tracts): extracts can
 * have a million rows and a city a few thousand keys. */
struct index {
	const char *const *keys;
	size_t *slot; /* key index, SIZE_MAX empty */
	size_t mask;
};

static braid_rc index_build(struct index *ix, const char *const *keys, size_t n)
{
	size_t ns = 16;
	while (ns < 2 * n)
		ns *= 2;
	ix->keys = keys;
	ix->mask = ns - 1;
	ix->slot = malloc(ns * sizeof *ix->slot);
	if (!ix->slot)
		return BRAID_ENOMEM;
	for (size_t i = 0; i < ns; i++)
		ix->slot[i] = SIZE_MAX;
	for (size_t i = 0; keys && i < n; i++) {
		size_t h = (size_t)braid_hash64(keys[i], strlen(keys[i]), 3) & ix->mask;
		while (ix->slot[h] != SIZE_MAX)
			h = (h + 1) & ix->mask;
		ix->slot[h] = i; /* a duplicate key: the first one wins */
	}
	return BRAID_OK;
}

/* Index of k in the keys, SIZE_MAX if absent. */
static size_t lookup(const struct index *ix, const char *k)
{
	size_t h = (size_t)braid_hash64(k, strlen(k), 3) & ix->mask;
	for (; ix->slot[h] != SIZE_MAX; h = (h + 1) & ix->mask)
		if (strcmp(ix->keys[ix->slot[h]], k) == 0)
			break;
	/* the first equal key in probe order is the first inserted */
	return ix->slot[h];
}

struct ctx {
	const struct braid_deid_opts *o;
	long cut_year; /* births in or before it are 90+ */
	struct index zip3, tracts;
};

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int ref_year(const struct braid_deid_opts *o)
{
	if (o->reference_year)
		return o->reference_year;
	time_t now = time(NULL);
	struct tm tm;
	return gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 1970;
}

/* The generalised form of v under rule (arena or a literal). */
static const char *generalise(struct braid_arena *a, const char *v,
			      enum braid_deid_rule rule, const struct ctx *cx)
{
	const struct braid_deid_opts *o = cx->o;
	if (!v)
		return "";
	switch (rule) {
	case BRAID_DEID_DATE_YEAR:
		/* ISO dates only: normalisation upstream writes them so */
		if (strlen(v) >= 4 && digits(v, 4) && (v[4] == 0 || v[4] == '-'))
			return braid_arena_strndup(a, v, 4);
		return "*";
	case BRAID_DEID_BIRTH_YEAR: {
		/* Safe Harbor: years "indicative of" an age over 89 are
		 * aggregated too, or 90+ ages would be undone by the year. */
		if (!(strlen(v) >= 4 && digits(v, 4) && (v[4] == 0 || v[4] == '-')))
			return "*";
		long y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
		long cut = cx->cut_year;
		if (y > cut)
			return braid_arena_strndup(a, v, 4);
		char buf[32];
		snprintf(buf, sizeof buf, "<=%ld", cut);
		return braid_arena_strdup(a, buf);
	}
	case BRAID_DEID_AGE_90: {
		long age;
		if (braid_parse_long(v, &age) || age < 0 || age > 150)
			return "*";
		if (age >= 90)
			return "90+";
		return v;
	}
	case BRAID_DEID_ZIP3: {
		if (strlen(v) < 5 || !digits(v, 5) || (v[5] && v[5] != '-'))
			return "000";
		char z3[4] = {v[0], v[1], v[2], 0};
		size_t i = lookup(&cx->zip3, z3);
		long min = o->zip3_min_pop ? o->zip3_min_pop : 20000;
		if (i == SIZE_MAX || o->zip3_pop[i] <= min)
			return "000";
		return braid_arena_strdup(a, z3);
	}
	case BRAID_DEID_TRACT_DISTRICT: {
		size_t i = lookup(&cx->tracts, v);
		return i == SIZE_MAX ? "*" : o->districts[i];
	}
	default:
		return v;
	}
}

/* ---------------------------------------------------------------- classes */

/* Equivalence classes over columns q of x's rows where alive: class_of
 * per row, returns the number of classes (sizes in *size, malloc'd). */
static size_t classify(const struct braid_extract *x, const size_t *q,
		       size_t nq, const unsigned char *alive, size_t *class_of,
		       size_t **size)
{
	size_t ns = 16;
	while (ns < 2 * x->nrows)
		ns *= 2;
	size_t *slot = malloc(ns * sizeof *slot); /* representative row */
	*size = calloc(x->nrows + 1, sizeof **size);
	if (!slot || !*size) {
		free(slot);
		free(*size);
		*size = NULL;
		return SIZE_MAX;
	}
	for (size_t i = 0; i < ns; i++)
		slot[i] = SIZE_MAX;
	size_t ncls = 0;
	for (size_t r = 0; r < x->nrows; r++) {
		class_of[r] = SIZE_MAX;
		if (alive && !alive[r])
			continue;
		uint64_t h = 1469598103934665603ULL;
		for (size_t j = 0; j < nq; j++) {
			const char *v = x->cells[r * x->ncols + q[j]];
			h = braid_hash64(v, strlen(v) + 1, h);
		}
		size_t s = (size_t)h & (ns - 1);
		for (;;) {
			size_t rep = slot[s];
			if (rep == SIZE_MAX) {
				slot[s] = r;
				class_of[r] = ncls++;
				break;
			}
			size_t j = 0;
			while (j < nq && !strcmp(x->cells[r * x->ncols + q[j]],
						 x->cells[rep * x->ncols + q[j]]))
				j++;
			if (j == nq) {
				class_of[r] = class_of[rep];
				break;
			}
			s = (s + 1) & (ns - 1);
		}
		(*size)[class_of[r]]++;
	}
	free(slot);
	return ncls;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Number of distinct strings among v[0..n-1] (hash set; SIZE_MAX on
 * OOM): sorting them was the extract's hot spot. */
static size_t count_distinct(const char **v, size_t n)
{
	size_t ns = 16;
	while (ns < 2 * n)
		ns *= 2;
	const char **set = calloc(ns, sizeof *set);
	if (!set)
		return SIZE_MAX;
	size_t d = 0;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)braid_hash64(v[i], strlen(v[i]), 5) & (ns - 1);
		while (set[h] && strcmp(set[h], v[i]))
			h = (h + 1) & (ns - 1);
		if (!set[h]) {
			set[h] = v[i];
			d++;
		}
	}
	free(set);
	return d;
}

/* Distinct values of column sc in each class (rows grouped by counting
 * sort, each group's values sorted): malloc'd array of ncls, NULL on OOM. */
static size_t *class_distinct(const struct braid_extract *x,
			      const size_t *class_of, size_t ncls, size_t sc)
{
	size_t *start = calloc(ncls + 1, sizeof *start);
	size_t *fill = calloc(ncls + 1, sizeof *fill);
	size_t *d = calloc(ncls + 1, sizeof *d);
	const char **v = malloc((x->nrows ? x->nrows : 1) * sizeof *v);
	if (!start || !fill || !d || !v) {
		free(d);
		d = NULL;
		goto out;
	}
	for (size_t r = 0; r < x->nrows; r++)
		if (class_of[r] != SIZE_MAX)
			start[class_of[r] + 1]++;
	for (size_t c = 0; c < ncls; c++)
		start[c + 1] += start[c];
	for (size_t r = 0; r < x->nrows; r++)
		if (class_of[r] != SIZE_MAX) {
			size_t c = class_of[r];
			v[start[c] + fill[c]++] = x->cells[r * x->ncols + sc];
		}
	for (size_t c = 0; c < ncls; c++) {
		size_t n = start[c + 1] - start[c];
		if (!n)
			continue;
		qsort(v + start[c], n, sizeof *v, cmp_str);
		d[c] = 1;
		for (size_t i = start[c] + 1; i < start[c + 1]; i++)
			d[c] += strcmp(v[i - 1], v[i]) != 0;
	}
out:
	free(start);
	free(fill);
	free(v);
	return d;
}

/* Fewest distinct values of column sc within a class (SIZE_MAX if none). */
static size_t min_distinct(const struct braid_extract *x, const size_t *class_of,
			   size_t ncls, size_t sc)
{
	size_t *d = class_distinct(x, class_of, ncls, sc), best = SIZE_MAX;
	for (size_t c = 0; d && c < ncls; c++)
		if (d[c] && d[c] < best)
			best = d[c];
	free(d);
	return best;
}

size_t braid_extract_min_class(const struct braid_extract *x,
			       const size_t *qcols, size_t nq,
			       size_t sensitive, size_t *min_l)
{
	if (min_l)
		*min_l = SIZE_MAX;
	if (!x->nrows)
		return 0;
	size_t *class_of = malloc(x->nrows * sizeof *class_of), *size = NULL;
	if (!class_of)
		return 0;
	size_t ncls = classify(x, qcols, nq, NULL, class_of, &size), m = SIZE_MAX;
	if (ncls == SIZE_MAX) {
		free(class_of);
		return 0;
	}
	for (size_t c = 0; c < ncls; c++)
		if (size[c] < m)
			m = size[c];
	if (min_l && sensitive != SIZE_MAX)
		*min_l = min_distinct(x, class_of, ncls, sensitive);
	free(class_of);
	free(size);
	return m;
}

/* ---------------------------------------------------------------- extract */

braid_rc braid_deid_extract(const char *const *rows, size_t nrows,
			    const struct braid_deid_opts *o,
			    struct braid_extract *x,
			    struct braid_risk_report *rep,
			    struct braid_err *err)
{
	memset(x, 0, sizeof *x);
	memset(rep, 0, sizeof *rep);
	braid_arena_init(&x->arena, 64 * 1024);
	if (o->k < 1)
		return braid_err_set(err, BRAID_EINVAL, "k must be at least 1");
	size_t nout = 0, nq = 0, ns = 0;
	for (size_t c = 0; c < o->ncols; c++) {
		if (o->cols[c].rule == BRAID_DEID_DROP)
			continue;
		nout++;
		nq += o->cols[c].quasi != 0;
		ns += o->cols[c].sensitive != 0;
	}
	if (o->l > 1 && ns == 0)
		return braid_err_set(err, BRAID_EINVAL,
				     "l-diversity needs a sensitive column");
	braid_rc rc = BRAID_OK;
	size_t *q = calloc(nq + 1, sizeof *q), *sc = calloc(ns + 1, sizeof *sc);
	size_t *class_of = calloc(nrows + 1, sizeof *class_of), *size = NULL;
	unsigned char *alive = malloc(nrows + 1);
	struct ctx cx = {o, (long)ref_year(o) - 90, {NULL, NULL, 0}, {NULL, NULL, 0}};
	const char **vals = malloc((nrows + 1) * sizeof *vals);
	x->names = calloc(nout + 1, sizeof *x->names);
	x->cells = braid_reallocarray(NULL, nrows * nout + 1, sizeof *x->cells);
	if (!q || !sc || !class_of || !alive || !vals || !x->names || !x->cells) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	x->nrows = nrows;
	x->ncols = nout;
	memset(alive, 1, nrows + 1);
	if (index_build(&cx.zip3, o->zip3, o->zip3 ? o->nzip3 : 0) ||
	    index_build(&cx.tracts, o->tracts, o->tracts ? o->ntracts : 0)) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	/* 1. generalise */
	size_t j = 0;
	nq = ns = 0;
	for (size_t c = 0; c < o->ncols; c++) {
		const struct braid_deid_column *col = &o->cols[c];
		if (col->rule == BRAID_DEID_DROP)
			continue;
		x->names[j] = col->name;
		if (col->quasi)
			q[nq++] = j;
		if (col->sensitive)
			sc[ns++] = j;
		for (size_t r = 0; r < nrows; r++) {
			const char *v = rows[r * o->ncols + c];
			const char *g = generalise(&x->arena, v, col->rule, &cx);
			if (!g) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				goto out;
			}
			rep->values_generalised += v && strcmp(g, v) != 0;
			/* values stay borrowed from rows unless rewritten: copy
			 * so the extract outlives its input */
			x->cells[r * nout + j] = g == v ? braid_arena_strdup(&x->arena, v) : (char *)g;
			if (!x->cells[r * nout + j]) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				goto out;
			}
		}
		j++;
	}
	rep->rows_in = nrows;
	/* 2. k-anonymity by local suppression, most varied column first */
	unsigned char *done_col = calloc(nq + 1, 1);
	if (!done_col) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t round = 0; nrows; round++) {
		free(size);
		size = NULL;
		size_t ncls = classify(x, q, nq, alive, class_of, &size);
		if (ncls == SIZE_MAX) {
			free(done_col);
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		size_t small = 0;
		for (size_t r = 0; r < nrows; r++)
			small += class_of[r] != SIZE_MAX && size[class_of[r]] < o->k;
		if (round == 0)
			rep->rows_below_k_before = small;
		if (!small)
			break;
		size_t best = SIZE_MAX, bd = 0;
		for (size_t i = 0; i < nq; i++) {
			if (done_col[i])
				continue;
			size_t n = 0;
			for (size_t r = 0; r < nrows; r++)
				if (class_of[r] != SIZE_MAX && size[class_of[r]] < o->k)
					vals[n++] = x->cells[r * nout + q[i]];
			size_t d = count_distinct(vals, n);
			if (d == SIZE_MAX) {
				free(done_col);
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				goto out;
			}
			if (best == SIZE_MAX || d > bd) {
				best = i;
				bd = d;
			}
		}
		if (best == SIZE_MAX) {
			/* every column suppressed for them: still too few */
			for (size_t r = 0; r < nrows; r++)
				if (class_of[r] != SIZE_MAX && size[class_of[r]] < o->k)
					alive[r] = 0;
			break;
		}
		done_col[best] = 1;
		for (size_t r = 0; r < nrows; r++)
			if (class_of[r] != SIZE_MAX && size[class_of[r]] < o->k) {
				char **cell = &x->cells[r * nout + q[best]];
				if (strcmp(*cell, "*")) {
					*cell = (char *)"*";
					rep->values_suppressed++;
				}
			}
	}
	free(done_col);
	/* 3. l-diversity: drop classes with too few distinct sensitive values */
	free(size);
	size = NULL;
	size_t ncls = classify(x, q, nq, alive, class_of, &size);
	if (ncls == SIZE_MAX) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	if (o->l > 1) {
		for (size_t s = 0; s < ns; s++) {
			size_t *d = class_distinct(x, class_of, ncls, sc[s]);
			if (!d) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				goto out;
			}
			for (size_t r = 0; r < nrows; r++)
				if (class_of[r] != SIZE_MAX && d[class_of[r]] < o->l)
					alive[r] = 0;
			free(d);
		}
	}
	/* 4. compact and report */
	size_t w = 0;
	for (size_t r = 0; r < nrows; r++) {
		if (!alive[r])
			continue;
		if (w != r)
			memmove(&x->cells[w * nout], &x->cells[r * nout], nout * sizeof *x->cells);
		w++;
	}
	x->nrows = w;
	rep->rows_out = w;
	rep->rows_dropped = nrows - w;
	rep->min_class = braid_extract_min_class(x, q, nq, ns ? sc[0] : SIZE_MAX, &rep->min_l);
	for (size_t s = 1; s < ns; s++) {
		size_t l;
		braid_extract_min_class(x, q, nq, sc[s], &l);
		if (l < rep->min_l)
			rep->min_l = l;
	}
	if (rep->min_l == SIZE_MAX)
		rep->min_l = 0;
	free(size);
	size = NULL;
	ncls = w ? classify(x, q, nq, NULL, class_of, &size) : 0;
	rep->classes = ncls == SIZE_MAX ? 0 : ncls;
	rep->max_risk = rep->min_class ? 1.0 / (double)rep->min_class : 0;
	rep->mean_risk = w ? (double)rep->classes / (double)w : 0;
out:
	free(cx.zip3.slot);
	free(cx.tracts.slot);
	free(q);
	free(sc);
	free(class_of);
	free(size);
	free(alive);
	free(vals);
	if (rc)
		braid_extract_release(x);
	return rc;
}
