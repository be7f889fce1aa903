/*
 * nickname.c — nickname equivalence classes for first-name comparison.
 *
 * Loaded once from nicknames_carltonnorthern.csv (name1,relationship,name2;
 * rows "has_nickname").  Every formal name (name1) opens a class holding
 * itself and its nicknames; a name may sit in several classes (BILL is a
 * nickname of both WILLIAM and ROBERT, RON of AARON, RONALD and VERONICA).
 * Class ids are given in alphabetical order of the formal names, so "the
 * first class" of a name is the one with the alphabetically first formal.
 * Lookups go through an open-addressing hash table of folded names, each
 * pointing at a sorted run of class ids in one flat array:
 * braid_nicknames_related() hashes two strings and merges two short sorted
 * lists — no allocation, safe to call from many threads.
 *
 * It does not chain classes (BILL~ROBERT and BILL~WILLIAM does not make
 * ROBERT~WILLIAM), does not guess nicknames from spelling (that is the
 * string comparators' job) and does not fold its arguments: callers pass
 * names already folded with braid_text_fold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "braid/normalize.h"

struct braid_nicknames {
	char *pool;          /* NUL-terminated folded names */
	size_t pool_len, pool_cap;
	uint32_t *name_off;  /* name id → offset in pool */
	uint32_t *cls_start; /* name id → first index in cls (n_names+1 entries) */
	uint32_t *cls;       /* sorted class ids per name, back to back */
	uint32_t *cls_formal;/* class id → name id of its formal name */
	uint32_t *canon;     /* name id → name id of its blocking canon */
	uint32_t n_names, cap_names;
	uint32_t *slots;     /* hash table of name id + 1; 0 = empty */
	uint32_t mask;
};

#define NK_MAX_NAMES (1u << 20)

static uint64_t nk_hash(const char *s, size_t n)
{
	return braid_hash64(s, n, 0x6e69636bULL);
}

static const char *nk_name(const struct braid_nicknames *nk, uint32_t id)
{
	return nk->pool + nk->name_off[id];
}

/* Name id of s (length n), or UINT32_MAX. */
static uint32_t nk_find(const struct braid_nicknames *nk, const char *s, size_t n)
{
	if (!nk->slots)
		return UINT32_MAX;
	uint64_t h = nk_hash(s, n);
	for (uint32_t i = (uint32_t)h & nk->mask;; i = (i + 1) & nk->mask) {
		uint32_t v = nk->slots[i];
		if (v == 0)
			return UINT32_MAX;
		const char *t = nk_name(nk, v - 1);
		if (strncmp(t, s, n) == 0 && t[n] == '\0')
			return v - 1;
	}
}

static braid_rc nk_rehash(struct braid_nicknames *nk, uint32_t cap)
{
	uint32_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return BRAID_ENOMEM;
	free(nk->slots);
	nk->slots = slots;
	nk->mask = cap - 1;
	for (uint32_t id = 0; id < nk->n_names; id++) {
		const char *t = nk_name(nk, id);
		uint64_t h = nk_hash(t, strlen(t));
		uint32_t i = (uint32_t)h & nk->mask;
		while (slots[i])
			i = (i + 1) & nk->mask;
		slots[i] = id + 1;
	}
	return BRAID_OK;
}

static braid_rc nk_intern(struct braid_nicknames *nk, const char *s, uint32_t *id)
{
	size_t n = strlen(s);
	uint32_t found = nk_find(nk, s, n);
	if (found != UINT32_MAX) {
		*id = found;
		return BRAID_OK;
	}
	if (nk->n_names >= NK_MAX_NAMES)
		return BRAID_ETOOBIG;
	if (nk->n_names == nk->cap_names) {
		uint32_t c = nk->cap_names ? nk->cap_names * 2 : 1024;
		uint32_t *p = braid_reallocarray(nk->name_off, c, sizeof *p);
		if (!p)
			return BRAID_ENOMEM;
		nk->name_off = p;
		nk->cap_names = c;
	}
	if (nk->pool_len + n + 1 > nk->pool_cap) {
		size_t c = nk->pool_cap ? nk->pool_cap * 2 : 16384;
		while (c < nk->pool_len + n + 1)
			c *= 2;
		char *p = realloc(nk->pool, c);
		if (!p)
			return BRAID_ENOMEM;
		nk->pool = p;
		nk->pool_cap = c;
	}
	memcpy(nk->pool + nk->pool_len, s, n + 1);
	nk->name_off[nk->n_names] = (uint32_t)nk->pool_len;
	nk->pool_len += n + 1;
	*id = nk->n_names++;
	/* keep the table at most half full */
	if ((uint64_t)nk->n_names * 2 > (uint64_t)nk->mask + 1 || !nk->slots)
		return nk_rehash(nk, nk->slots ? (nk->mask + 1) * 2 : 4096);
	uint64_t h = nk_hash(s, n);
	uint32_t i = (uint32_t)h & nk->mask;
	while (nk->slots[i])
		i = (i + 1) & nk->mask;
	nk->slots[i] = *id + 1;
	return BRAID_OK;
}

void braid_nicknames_free(struct braid_nicknames *nk)
{
	if (!nk)
		return;
	free(nk->pool);
	free(nk->name_off);
	free(nk->cls_start);
	free(nk->cls);
	free(nk->cls_formal);
	free(nk->canon);
	free(nk->slots);
	free(nk);
}

/* Split a CSV line of plain fields (the file has no quoted commas) into up
 * to 3 fields, trimming spaces and quotes; returns the field count. */
static int split3(char *line, char *f[3])
{
	int k = 0;
	char *p = line;
	while (k < 3) {
		f[k++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	for (int i = 0; i < k; i++) {
		char *s = f[i];
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
			     s[n - 1] == '"'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '"')
			s++;
		f[i] = s;
	}
	return k;
}

struct pair { uint32_t name, cls; };

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/* qsort has no context argument: formal names are sorted as (name, id)
 * pairs rather than through a global, so concurrent loads are safe. */
struct named { const char *name; uint32_t id; };
static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

struct braid_nicknames *braid_nicknames_load(const char *path, struct braid_err *err)
{
	char def[4096];
	if (!path) {
		if (braid_data_path("names/nicknames_carltonnorthern.csv", def, sizeof def)) {
			braid_err_set(err, BRAID_ETOOBIG, "nickname table path too long");
			return NULL;
		}
		path = def;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		braid_err_at(err, BRAID_EIO, path, 0, 0, "cannot open nickname table");
		return NULL;
	}
	struct braid_nicknames *nk = calloc(1, sizeof *nk);
	struct pair *rows = NULL;   /* (formal, nick) name ids per row */
	size_t nrows = 0, caprows = 0;
	uint32_t *formals = NULL, *cls_of = NULL;
	struct pair *pairs = NULL;
	braid_rc rc = nk ? BRAID_OK : BRAID_ENOMEM;
	char line[1024];
	long lineno = 0;
	while (rc == BRAID_OK && fgets(line, sizeof line, f)) {
		lineno++;
		char *l = line;
		if (lineno == 1 && (unsigned char)l[0] == 0xEF &&
		    (unsigned char)l[1] == 0xBB && (unsigned char)l[2] == 0xBF)
			l += 3;
		static char empty[1];
		char *fld[3] = { empty, empty, empty };
		int nfld = split3(l, fld);
		if (lineno == 1 && strcmp(fld[0], "name1") == 0)
			continue; /* header */
		if (nfld == 1 && fld[0][0] == '\0')
			continue; /* blank line */
		if (nfld < 3) {
			rc = braid_err_at(err, BRAID_EPARSE, path, lineno, 0,
					  "expected name1,relationship,name2");
			break;
		}
		if (strcmp(fld[1], "has_nickname") != 0)
			continue; /* other relationships are not used */
		char a[128], b[128];
		if (braid_text_fold(fld[0], a, sizeof a) || braid_text_fold(fld[2], b, sizeof b)) {
			rc = braid_err_at(err, BRAID_EPARSE, path, lineno, 0,
					  "name not valid UTF-8 or longer than 127 bytes");
			break;
		}
		if (!a[0] || !b[0])
			continue;
		uint32_t ia, ib;
		if ((rc = nk_intern(nk, a, &ia)) || (rc = nk_intern(nk, b, &ib))) {
			braid_err_at(err, rc, path, lineno, 0, "cannot store nickname");
			break;
		}
		if (nrows == caprows) {
			size_t c = caprows ? caprows * 2 : 4096;
			struct pair *p = braid_reallocarray(rows, c, sizeof *p);
			if (!p) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			rows = p;
			caprows = c;
		}
		rows[nrows].name = ia; /* formal */
		rows[nrows].cls = ib;  /* nickname (a name id for now) */
		nrows++;
	}
	if (rc == BRAID_OK && ferror(f))
		rc = braid_err_at(err, BRAID_EIO, path, lineno, 0, "read error");
	fclose(f);
	if (rc)
		goto fail;

	/* The table lists many pairs both ways (ROBERT→BILL and BILL→ROBERT,
	 * WILLIAM→BILL and BILL→WILLIAM); taken literally, BILL's class would
	 * make ROBERT and WILLIAM nicknames of each other.  Of a two-way pair
	 * keep only the direction from the name with more nicknames (the
	 * formal one; ties: the alphabetically first). */
	uint32_t nn = nk->n_names, nf = 0;
	{
		uint32_t *outdeg = calloc((size_t)nn + 1, sizeof *outdeg);
		struct pair *sorted = braid_reallocarray(NULL, nrows + 1, sizeof *sorted);
		if (!outdeg || !sorted) {
			free(outdeg);
			free(sorted);
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t r = 0; r < nrows; r++)
			outdeg[rows[r].name]++;
		memcpy(sorted, rows, nrows * sizeof *rows);
		qsort(sorted, nrows, sizeof *sorted, pair_cmp);
		size_t w = 0;
		for (size_t r = 0; r < nrows; r++) {
			uint32_t a = rows[r].name, b = rows[r].cls;
			struct pair rev = { b, a };
			int two_way = bsearch(&rev, sorted, nrows, sizeof *sorted, pair_cmp) != NULL;
			if (two_way && (outdeg[b] > outdeg[a] ||
					(outdeg[b] == outdeg[a] &&
					 strcmp(nk_name(nk, b), nk_name(nk, a)) < 0)))
				continue;
			rows[w++] = rows[r];
		}
		nrows = w;
		free(outdeg);
		free(sorted);
	}
	/* Class ids: formal names in alphabetical order. */
	cls_of = malloc(((size_t)nn + 1) * sizeof *cls_of);
	formals = malloc(((size_t)nn + 1) * sizeof *formals);
	pairs = braid_reallocarray(NULL, nrows * 2 + 1, sizeof *pairs);
	if (!cls_of || !formals || !pairs) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < nn; i++)
		cls_of[i] = UINT32_MAX;
	for (size_t r = 0; r < nrows; r++) {
		if (cls_of[rows[r].name] == UINT32_MAX) {
			cls_of[rows[r].name] = 0;
			formals[nf++] = rows[r].name;
		}
	}
	{
		struct named *tmp = braid_reallocarray(NULL, (size_t)nf + 1, sizeof *tmp);
		if (!tmp) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto fail;
		}
		for (uint32_t c = 0; c < nf; c++)
			tmp[c] = (struct named){ nk_name(nk, formals[c]), formals[c] };
		qsort(tmp, nf, sizeof *tmp, named_cmp);
		for (uint32_t c = 0; c < nf; c++)
			formals[c] = tmp[c].id;
		free(tmp);
	}
	for (uint32_t c = 0; c < nf; c++)
		cls_of[formals[c]] = c;
	size_t np = 0;
	for (size_t r = 0; r < nrows; r++) {
		uint32_t c = cls_of[rows[r].name];
		pairs[np++] = (struct pair){ rows[r].name, c };
		pairs[np++] = (struct pair){ rows[r].cls, c };
	}
	qsort(pairs, np, sizeof *pairs, pair_cmp);
	nk->cls = braid_reallocarray(NULL, np + 1, sizeof *nk->cls);
	nk->cls_start = malloc(((size_t)nn + 1) * sizeof *nk->cls_start);
	if (!nk->cls || !nk->cls_start) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto fail;
	}
	size_t k = 0, p = 0;
	for (uint32_t id = 0; id < nn; id++) {
		nk->cls_start[id] = (uint32_t)k;
		for (; p < np && pairs[p].name == id; p++)
			if (k == nk->cls_start[id] || nk->cls[k - 1] != pairs[p].cls)
				nk->cls[k++] = pairs[p].cls;
	}
	nk->cls_start[nn] = (uint32_t)k;
	nk->cls_formal = formals;
	formals = NULL;
	/* Blocking canon: of the classes a name is in, the formal name with
	 * most members (MARGARET for PEGGY, although PEGGY has a class of its
	 * own for PEG); ties go to the alphabetically first (lower class id).
	 * cls_of is reused as the class sizes. */
	nk->canon = malloc(((size_t)nn + 1) * sizeof *nk->canon);
	if (!nk->canon) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t c = 0; c < nf; c++)
		cls_of[c] = 0;
	for (size_t i = 0; i < k; i++)
		cls_of[nk->cls[i]]++;
	for (uint32_t id = 0; id < nn; id++) {
		uint32_t best = UINT32_MAX;
		for (uint32_t i = nk->cls_start[id]; i < nk->cls_start[id + 1]; i++) {
			uint32_t c = nk->cls[i];
			if (best == UINT32_MAX || cls_of[c] > cls_of[best])
				best = c;
		}
		nk->canon[id] = best == UINT32_MAX ? UINT32_MAX : nk->cls_formal[best];
	}
	free(cls_of);
	free(pairs);
	free(rows);
	return nk;
fail:
	free(cls_of);
	free(formals);
	free(pairs);
	free(rows);
	braid_nicknames_free(nk);
	if (err && err->code == BRAID_OK)
		braid_err_set(err, rc, "cannot load nickname table");
	return NULL;
}

int braid_nicknames_related(const struct braid_nicknames *nk, const char *a,
			    const char *b)
{
	if (!a || !b || !a[0] || !b[0])
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	if (!nk)
		return 0;
	uint32_t ia = nk_find(nk, a, strlen(a));
	if (ia == UINT32_MAX)
		return 0;
	uint32_t ib = nk_find(nk, b, strlen(b));
	if (ib == UINT32_MAX)
		return 0;
	/* merge two sorted class lists */
	uint32_t i = nk->cls_start[ia], ie = nk->cls_start[ia + 1];
	uint32_t j = nk->cls_start[ib], je = nk->cls_start[ib + 1];
	while (i < ie && j < je) {
		if (nk->cls[i] == nk->cls[j])
			return 1;
		if (nk->cls[i] < nk->cls[j])
			i++;
		else
			j++;
	}
	return 0;
}

const char *braid_nickname_canon(const struct braid_nicknames *nk, const char *a)
{
	if (!nk || !a)
		return a;
	uint32_t id = nk_find(nk, a, strlen(a));
	if (id == UINT32_MAX || nk->canon[id] == UINT32_MAX)
		return a;
	return nk_name(nk, nk->canon[id]);
}
