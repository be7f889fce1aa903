/*
 * cells.c — the release's table model: cells with stable ids and the
 * additive constraints between them (margins, hierarchies, cells shared by
 * several tables), helpers that build a two-way table with margins and a
 * roll-up between two tables, the consistency check and the canonical CSV
 * whose bytes the manifest hashes.
 *
 * It does not aggregate records into counts (the query layer does) nor
 * decide what is published (suppress.c, noise.c do).
 */
#include "release_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ID 512

struct braid_cellset *braid_cellset_new(void)
{
	struct braid_cellset *cs = calloc(1, sizeof *cs);
	if (!cs)
		return NULL;
	braid_arena_init(&cs->arena, 64 * 1024);
	cs->con_off = malloc(sizeof *cs->con_off);
	if (!cs->con_off) {
		free(cs);
		return NULL;
	}
	cs->con_off[0] = 0;
	return cs;
}

void braid_cellset_free(struct braid_cellset *cs)
{
	if (!cs)
		return;
	free(cs->cells);
	free(cs->con_total);
	free(cs->con_off);
	free(cs->parts);
	free(cs->slots);
	free(cs->fp);
	free(cs->has_fp);
	braid_arena_release(&cs->arena);
	free(cs);
}

size_t braid_cellset_count(const struct braid_cellset *cs) { return cs->n; }
size_t braid_cellset_nconstraints(const struct braid_cellset *cs) { return cs->ncon; }

const struct braid_cell *braid_cellset_cell(const struct braid_cellset *cs,
					    size_t idx)
{
	return idx < cs->n ? &cs->cells[idx] : NULL;
}

size_t braid__cellset_findn(const struct braid_cellset *cs, const char *id,
			    size_t len)
{
	if (!cs->nslots)
		return SIZE_MAX;
	size_t mask = cs->nslots - 1;
	size_t h = (size_t)braid_hash64(id, len, 0x5eed) & mask;
	for (;;) {
		size_t i = cs->slots[h];
		if (i == SIZE_MAX)
			return SIZE_MAX;
		const char *c = cs->cells[i].id;
		if (strncmp(c, id, len) == 0 && c[len] == 0)
			return i;
		h = (h + 1) & mask;
	}
}

size_t braid_cellset_find(const struct braid_cellset *cs, const char *id)
{
	return braid__cellset_findn(cs, id, strlen(id));
}

static void slot_put(size_t *slots, size_t nslots, const char *id, size_t i)
{
	size_t mask = nslots - 1;
	size_t h = (size_t)braid_hash64(id, strlen(id), 0x5eed) & mask;
	while (slots[h] != SIZE_MAX)
		h = (h + 1) & mask;
	slots[h] = i;
}

static braid_rc rehash(struct braid_cellset *cs)
{
	size_t ns = cs->nslots ? cs->nslots * 2 : 64;
	size_t *s = braid_reallocarray(NULL, ns, sizeof *s);
	if (!s)
		return BRAID_ENOMEM;
	for (size_t i = 0; i < ns; i++)
		s[i] = SIZE_MAX;
	for (size_t i = 0; i < cs->n; i++)
		slot_put(s, ns, cs->cells[i].id, i);
	free(cs->slots);
	cs->slots = s;
	cs->nslots = ns;
	return BRAID_OK;
}

braid_rc braid_cellset_add(struct braid_cellset *cs, const char *id,
			   int64_t value, size_t *idx, struct braid_err *err)
{
	size_t len = strlen(id);
	if (len == 0 || len >= MAX_ID)
		return braid_err_set(err, BRAID_EINVAL,
				     "cell id must have 1 to %d bytes", MAX_ID - 1);
	if (value < 0)
		return braid_err_set(err, BRAID_EINVAL,
				     "cell '%s': a count cannot be negative", id);
	size_t i = braid__cellset_findn(cs, id, len);
	if (i != SIZE_MAX) {
		if (cs->cells[i].value != value)
			return braid_err_set(err, BRAID_EINVAL,
					     "cell '%s' added twice with different values", id);
		if (idx)
			*idx = i;
		return BRAID_OK;
	}
	if (cs->n == cs->cap) {
		size_t nc = cs->cap ? cs->cap * 2 : 64;
		struct braid_cell *c = braid_reallocarray(cs->cells, nc, sizeof *c);
		if (!c)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		cs->cells = c;
		cs->cap = nc;
	}
	if ((cs->n + 1) * 2 > cs->nslots && rehash(cs))
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	char *copy = braid_arena_strndup(&cs->arena, id, len);
	if (!copy)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	struct braid_cell *c = &cs->cells[cs->n];
	c->id = copy;
	c->value = value;
	c->shown = value;
	c->status = BRAID_CELL_SHOWN;
	c->flags = 0;
	slot_put(cs->slots, cs->nslots, copy, cs->n);
	if (idx)
		*idx = cs->n;
	cs->n++;
	return BRAID_OK;
}

braid_rc braid__cellset_constrain(struct braid_cellset *cs, size_t total,
				  const size_t *parts, size_t n)
{
	if (cs->ncon == cs->capcon) {
		size_t nc = cs->capcon ? cs->capcon * 2 : 64;
		size_t *t = braid_reallocarray(cs->con_total, nc, sizeof *t);
		if (!t)
			return BRAID_ENOMEM;
		cs->con_total = t;
		size_t *o = braid_reallocarray(cs->con_off, nc + 1, sizeof *o);
		if (!o)
			return BRAID_ENOMEM;
		cs->con_off = o;
		cs->capcon = nc;
	}
	if (cs->nparts + n > cs->capparts) {
		size_t nc = cs->capparts ? cs->capparts : 256;
		while (nc < cs->nparts + n)
			nc *= 2;
		size_t *p = braid_reallocarray(cs->parts, nc, sizeof *p);
		if (!p)
			return BRAID_ENOMEM;
		cs->parts = p;
		cs->capparts = nc;
	}
	memcpy(cs->parts + cs->nparts, parts, n * sizeof *parts);
	cs->nparts += n;
	cs->con_total[cs->ncon] = total;
	cs->ncon++;
	cs->con_off[cs->ncon] = cs->nparts;
	return BRAID_OK;
}

braid_rc braid_cellset_constrain(struct braid_cellset *cs, size_t total,
				 const size_t *parts, size_t n,
				 struct braid_err *err)
{
	if (total >= cs->n || n == 0)
		return braid_err_set(err, BRAID_EINVAL,
				     "constraint needs an existing total and at least one part");
	for (size_t i = 0; i < n; i++)
		if (parts[i] >= cs->n || parts[i] == total)
			return braid_err_set(err, BRAID_EINVAL,
					     "constraint on '%s': part %zu is not another existing cell",
					     cs->cells[total].id, i);
	if (braid__cellset_constrain(cs, total, parts, n))
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	return BRAID_OK;
}

/* ---------------------------------------------------------------- builders */

static braid_rc key_ok(const char *k, struct braid_err *err)
{
	if (!k || !*k || strchr(k, '|') || strcmp(k, "*") == 0)
		return braid_err_set(err, BRAID_EINVAL,
				     "table key '%s' is empty, '*' or contains '|'",
				     k ? k : "");
	return BRAID_OK;
}

static braid_rc make_id(char *out, size_t n, const char *t, const char *r,
			const char *c, struct braid_err *err)
{
	struct braid_buf b;
	braid_buf_init(&b, n - 1);
	braid_rc rc = braid_buf_printf(&b, "%s|%s|%s", t, r, c);
	if (rc == BRAID_OK)
		memcpy(out, b.data, b.len + 1);
	braid_buf_release(&b);
	if (rc)
		return braid_err_set(err, BRAID_ETOOBIG, "cell id of table '%s' too long", t);
	return BRAID_OK;
}

static braid_rc find_id(const struct braid_cellset *cs, const char *t,
			const char *r, const char *c, size_t *idx,
			struct braid_err *err)
{
	char id[MAX_ID];
	braid_rc rc = make_id(id, sizeof id, t, r, c, err);
	if (rc)
		return rc;
	*idx = braid_cellset_find(cs, id);
	if (*idx == SIZE_MAX)
		return braid_err_set(err, BRAID_ENOTFOUND, "no cell '%s'", id);
	return BRAID_OK;
}

braid_rc braid_cellset_add_table2(struct braid_cellset *cs, const char *name,
				  size_t nrows, const char *const *row_keys,
				  size_t ncols, const char *const *col_keys,
				  const int64_t *values, struct braid_err *err)
{
	braid_rc rc;
	if ((rc = key_ok(name, err)))
		return rc;
	if (nrows == 0 || ncols == 0)
		return braid_err_set(err, BRAID_EINVAL, "table '%s' is empty", name);
	for (size_t r = 0; r < nrows; r++)
		if ((rc = key_ok(row_keys[r], err)))
			return rc;
	for (size_t c = 0; c < ncols; c++)
		if ((rc = key_ok(col_keys[c], err)))
			return rc;
	size_t *idx = braid_reallocarray(NULL, nrows * ncols, sizeof *idx);
	size_t *rowm = braid_reallocarray(NULL, nrows, sizeof *rowm);
	size_t *colm = braid_reallocarray(NULL, ncols, sizeof *colm);
	size_t *tmp = braid_reallocarray(NULL, nrows > ncols ? nrows : ncols, sizeof *tmp);
	if (!idx || !rowm || !colm || !tmp) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	char id[MAX_ID];
	int64_t grand = 0;
	for (size_t r = 0; r < nrows; r++) {
		int64_t rs = 0;
		for (size_t c = 0; c < ncols; c++) {
			int64_t v = values[r * ncols + c];
			if ((rc = make_id(id, sizeof id, name, row_keys[r], col_keys[c], err)) ||
			    (rc = braid_cellset_add(cs, id, v, &idx[r * ncols + c], err)))
				goto out;
			rs += v;
		}
		if ((rc = make_id(id, sizeof id, name, row_keys[r], "*", err)) ||
		    (rc = braid_cellset_add(cs, id, rs, &rowm[r], err)))
			goto out;
		grand += rs;
	}
	for (size_t c = 0; c < ncols; c++) {
		int64_t cs_ = 0;
		for (size_t r = 0; r < nrows; r++)
			cs_ += values[r * ncols + c];
		if ((rc = make_id(id, sizeof id, name, "*", col_keys[c], err)) ||
		    (rc = braid_cellset_add(cs, id, cs_, &colm[c], err)))
			goto out;
	}
	size_t g;
	if ((rc = make_id(id, sizeof id, name, "*", "*", err)) ||
	    (rc = braid_cellset_add(cs, id, grand, &g, err)))
		goto out;
	for (size_t r = 0; r < nrows; r++)
		if ((rc = braid_cellset_constrain(cs, rowm[r], idx + r * ncols, ncols, err)))
			goto out;
	for (size_t c = 0; c < ncols; c++) {
		for (size_t r = 0; r < nrows; r++)
			tmp[r] = idx[r * ncols + c];
		if ((rc = braid_cellset_constrain(cs, colm[c], tmp, nrows, err)))
			goto out;
	}
	/* The grand total both ways: either one alone leaves the other margin
	 * free in the audit only if the reader could not add it up, and she
	 * can. */
	if ((rc = braid_cellset_constrain(cs, g, rowm, nrows, err)) ||
	    (rc = braid_cellset_constrain(cs, g, colm, ncols, err)))
		goto out;
out:
	free(idx);
	free(rowm);
	free(colm);
	free(tmp);
	return rc;
}

braid_rc braid_cellset_add_rollup(struct braid_cellset *cs, const char *child,
				  const char *parent, size_t nchild_rows,
				  const char *const *child_rows,
				  const char *const *parent_of_row,
				  size_t ncols, const char *const *col_keys,
				  struct braid_err *err)
{
	braid_rc rc = BRAID_OK;
	size_t *parts = braid_reallocarray(NULL, nchild_rows + 1, sizeof *parts);
	unsigned char *done = calloc(nchild_rows + 1, 1);
	if (!parts || !done) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t c = 0; c <= ncols; c++) {
		const char *ck = c < ncols ? col_keys[c] : "*";
		memset(done, 0, nchild_rows);
		for (size_t r = 0; r < nchild_rows; r++) {
			if (done[r])
				continue;
			const char *p = parent_of_row[r];
			size_t np = 0, tot;
			for (size_t q = r; q < nchild_rows; q++) {
				if (done[q] || strcmp(parent_of_row[q], p))
					continue;
				done[q] = 1;
				if ((rc = find_id(cs, child, child_rows[q], ck, &parts[np], err)))
					goto out;
				np++;
			}
			if ((rc = find_id(cs, parent, p, ck, &tot, err)) ||
			    (rc = braid_cellset_constrain(cs, tot, parts, np, err)))
				goto out;
		}
		size_t pt, ct;
		if ((rc = find_id(cs, parent, "*", ck, &pt, err)) ||
		    (rc = find_id(cs, child, "*", ck, &ct, err)))
			goto out;
		if (pt != ct && (rc = braid_cellset_constrain(cs, pt, &ct, 1, err)))
			goto out;
	}
out:
	free(parts);
	free(done);
	return rc;
}

braid_rc braid_cellset_check(const struct braid_cellset *cs, int use_shown,
			     struct braid_err *err)
{
	for (size_t k = 0; k < cs->ncon; k++) {
		int64_t s = 0;
		for (size_t j = cs->con_off[k]; j < cs->con_off[k + 1]; j++) {
			const struct braid_cell *c = &cs->cells[cs->parts[j]];
			s += use_shown ? c->shown : c->value;
		}
		const struct braid_cell *t = &cs->cells[cs->con_total[k]];
		if (s != (use_shown ? t->shown : t->value))
			return braid_err_set(err, BRAID_EINVAL,
					     "cell '%s' is not the sum of its %zu parts",
					     t->id, cs->con_off[k + 1] - cs->con_off[k]);
	}
	return BRAID_OK;
}

braid_rc braid_cellset_csv(const struct braid_cellset *cs,
			   struct braid_buf *out)
{
	static const char *st[] = {"shown", "suppressed", "suppressed"};
	braid_rc rc = braid_buf_puts(out, "cell,value,status\n");
	for (size_t i = 0; i < cs->n && !rc; i++) {
		const struct braid_cell *c = &cs->cells[i];
		/* ids are ours (table keys), but quote them anyway: a key may
		 * hold a comma or a quote. */
		rc = braid_buf_putc(out, '"');
		for (const char *p = c->id; *p && !rc; p++)
			rc = *p == '"' ? braid_buf_puts(out, "\"\"") : braid_buf_putc(out, *p);
		if (rc)
			break;
		if (c->status == BRAID_CELL_SHOWN)
			rc = braid_buf_printf(out, "\",%lld,%s%s\n", (long long)c->shown,
					      c->flags & BRAID_CELLF_NOISE ? "noisy" : st[0],
					      c->flags & BRAID_CELLF_UNRELIABLE ? " unreliable" : "");
		else
			rc = braid_buf_printf(out, "\",,%s\n", st[c->status]);
	}
	return rc;
}
