/*
 * Running plans and counting: person-level rows through a callback, or
 * counts with primary suppression (a cell of 1 .. min_cell-1 people is
 * reported as suppressed and its value is dropped at once, so it cannot
 * leak through any output format), and the three renderings of counts
 * (aligned table, CSV, JSON).
 *
 * Counts are computed by materialising the plan's rows into a temporary
 * table (one evaluation of the cohort) and grouping it once per
 * breakdown.  This file does not decide whether the caller may see rows
 * or counts, nor does it do complementary suppression (src/release).
 */
#include "query_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

braid_rc braid_qplan_rows(struct braid_store *s, const struct braid_qplan *p,
			  int (*cb)(void *ctx, int ncols, const char *const *names,
				    const char *const *vals),
			  void *ctx, int64_t *nrows, struct braid_err *err)
{
	*nrows = 0;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, braid_qplan_sql(p), &st, err);
	if (rc)
		return rc;
	int nc = braid_stmt_column_count(st);
	if (nc > 16)
		nc = 16;
	const char *names[16], *vals[16];
	/* Column names: person_id, then the plan's own. */
	names[0] = "person_id";
	names[1] = p->kind ? "eligible" : "index_date";
	for (int i = 2; i < nc; i++)
		names[i] = p->kind ? (i == 2 ? "enrolled" : "zip")
				   : ((size_t)(i - 2) < p->ndims ? p->dims[i - 2] : "");
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		char *copies[16] = {0};
		for (int i = 0; i < nc; i++) {
			copies[i] = braid_strdup(braid_stmt_text(st, i));
			vals[i] = copies[i] ? copies[i] : "";
		}
		(*nrows)++;
		int stop = cb(ctx, nc, names, vals);
		for (int i = 0; i < nc; i++)
			free(copies[i]);
		if (stop)
			break;
	}
	braid_stmt_finalize(st);
	return rc;
}

/* ------------------------------------------------------------ counts */

struct braid_qcounts *braid_qcounts_new(long min_cell)
{
	struct braid_qcounts *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->min_cell = min_cell < 1 ? 1 : min_cell;
	braid_arena_init(&c->arena, 8192);
	return c;
}

void braid_qcounts_free(struct braid_qcounts *c)
{
	if (!c)
		return;
	free(c->scalars);
	for (size_t i = 0; i < c->ntables; i++)
		free(c->tables[i].cells);
	free(c->tables);
	braid_arena_release(&c->arena);
	free(c);
}

static int64_t suppress(struct braid_qcounts *c, int64_t n)
{
	if (n > 0 && n < c->min_cell) {
		c->cells_suppressed++;
		return -1;
	}
	return n;
}

static braid_rc add_scalar(struct braid_qcounts *c, const char *name, int64_t n, int is_rate,
			   double rate)
{
	struct braid_qscalar *s = braid_reallocarray(c->scalars, c->nscalars + 1, sizeof *s);
	if (!s)
		return BRAID_ENOMEM;
	c->scalars = s;
	const char *nm = braid_arena_strdup(&c->arena, name);
	if (!nm)
		return BRAID_ENOMEM;
	s[c->nscalars++] = (struct braid_qscalar){nm, n, is_rate, rate};
	return BRAID_OK;
}

braid_rc braid_qcounts_scalar(struct braid_qcounts *c, const char *name, int64_t n)
{
	return add_scalar(c, name, suppress(c, n), 0, 0);
}

braid_rc braid_qcounts_rate(struct braid_qcounts *c, const char *name, int64_t num, int64_t den)
{
	int small = (num > 0 && num < c->min_cell) || (den > 0 && den < c->min_cell) || den <= 0;
	return add_scalar(c, name, -1, 1, small ? NAN : (double)num / (double)den);
}

braid_rc braid_qcounts_table_sql(struct braid_qcounts *c, struct braid_store *s, const char *name,
				 const char *const *dims, size_t ndims, const char *sql,
				 struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	if (rc)
		return rc;
	int nc = braid_stmt_column_count(st);
	if (nc < 2 || nc > 9 || (size_t)nc != ndims + 1) {
		braid_stmt_finalize(st);
		return braid_err_set(err, BRAID_EINTERNAL, "count table needs 1..8 dimensions");
	}
	struct braid_qtable *tabs = braid_reallocarray(c->tables, c->ntables + 1, sizeof *tabs);
	if (!tabs) {
		braid_stmt_finalize(st);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	c->tables = tabs;
	struct braid_qtable *t = &tabs[c->ntables++];
	memset(t, 0, sizeof *t);
	t->name = braid_arena_strdup(&c->arena, name);
	t->ndims = (size_t)nc - 1;
	t->dims = braid_arena_zalloc(&c->arena, t->ndims * sizeof *t->dims);
	if (!t->name || !t->dims)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < t->ndims; i++)
		if (!(t->dims[i] = braid_arena_strdup(&c->arena, dims[i])))
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	size_t cap = 0;
	for (;;) {
		int row;
		if (rc || (rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (t->ncells == cap) {
			cap = cap ? cap * 2 : 16;
			struct braid_qcell *cl = braid_reallocarray(t->cells, cap, sizeof *cl);
			if (!cl) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			t->cells = cl;
		}
		struct braid_qcell *cell = &t->cells[t->ncells];
		cell->keys = braid_arena_zalloc(&c->arena, t->ndims * sizeof *cell->keys);
		if (!cell->keys) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			break;
		}
		for (size_t i = 0; i < t->ndims; i++) {
			cell->keys[i] = braid_arena_strdup(&c->arena, braid_stmt_text(st, (int)i));
			if (!cell->keys[i])
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
		cell->count = suppress(c, braid_stmt_int64(st, nc - 1));
		t->ncells++;
	}
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_qplan_materialize(struct braid_store *s, const struct braid_qplan *p,
				 const char *table, struct braid_err *err)
{
	return braid__q_materialize(s, p, table, err);
}

braid_rc braid__q_materialize(struct braid_store *s, const struct braid_qplan *p,
			      const char *table, struct braid_err *err)
{
	struct braid_buf b;
	braid_buf_init(&b, 0);
	braid_rc rc = braid_buf_printf(&b, "DROP TABLE IF EXISTS temp.%s; CREATE TEMP TABLE %s AS ",
				       table, table);
	if (!rc)
		rc = braid_buf_puts(&b, braid_qplan_sql(p));
	if (rc) {
		braid_buf_release(&b);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	rc = braid_store_exec(s, b.data, err);
	braid_buf_release(&b);
	return rc;
}

braid_rc braid_qplan_counts(struct braid_store *s, const struct braid_qplan *p, long min_cell,
			    struct braid_qcounts **out, struct braid_err *err)
{
	*out = NULL;
	braid_rc rc = braid__q_materialize(s, p, "q_cohort", err);
	if (rc)
		return rc;
	struct braid_qcounts *c = braid_qcounts_new(min_cell);
	if (!c)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	struct braid_stmt *st;
	if (!(rc = braid_store_prepare(s, "SELECT count(*) FROM q_cohort", &st, err))) {
		int row;
		if (!(rc = braid_stmt_step(st, &row, err)))
			rc = braid_qcounts_scalar(c, "total", row ? braid_stmt_int64(st, 0) : 0);
		braid_stmt_finalize(st);
	}
	struct braid_buf sql;
	braid_buf_init(&sql, 0);
	for (size_t i = 0; !rc && i < p->ndims; i++) {
		braid_buf_reset(&sql);
		rc = braid_buf_printf(&sql, "SELECT %s, count(*) FROM q_cohort GROUP BY 1 ORDER BY 1",
				      p->dims[i]);
		if (!rc)
			rc = braid_qcounts_table_sql(c, s, p->dims[i], &p->dims[i], 1, sql.data, err);
	}
	if (!rc && p->ndims > 1) {
		braid_buf_reset(&sql);
		struct braid_buf name;
		braid_buf_init(&name, 0);
		rc = braid_buf_puts(&sql, "SELECT ");
		for (size_t i = 0; !rc && i < p->ndims; i++) {
			rc = braid_buf_printf(&sql, "%s, ", p->dims[i]);
			if (!rc)
				rc = braid_buf_printf(&name, "%s%s", i ? "_" : "", p->dims[i]);
		}
		if (!rc)
			rc = braid_buf_puts(&sql, "count(*) FROM q_cohort GROUP BY ");
		for (size_t i = 0; !rc && i < p->ndims; i++)
			rc = braid_buf_printf(&sql, "%s%zu", i ? ", " : "", i + 1);
		if (!rc)
			rc = braid_buf_puts(&sql, " ORDER BY ");
		for (size_t i = 0; !rc && i < p->ndims; i++)
			rc = braid_buf_printf(&sql, "%s%zu", i ? ", " : "", i + 1);
		if (!rc)
			rc = braid_qcounts_table_sql(c, s, name.data, p->dims, p->ndims, sql.data, err);
		braid_buf_release(&name);
	}
	braid_buf_release(&sql);
	braid_store_exec(s, "DROP TABLE IF EXISTS temp.q_cohort", NULL);
	if (rc) {
		braid_qcounts_free(c);
		if (rc == BRAID_ENOMEM && (!err || !err->code))
			braid_err_set(err, rc, "out of memory");
		return rc;
	}
	*out = c;
	return BRAID_OK;
}

/* ------------------------------------------------------------ rendering */

int braid_qformat_by_name(const char *name)
{
	if (!strcmp(name, "table")) return BRAID_QFMT_TABLE;
	if (!strcmp(name, "csv")) return BRAID_QFMT_CSV;
	if (!strcmp(name, "json")) return BRAID_QFMT_JSON;
	return -1;
}

static braid_rc csv_field(struct braid_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\n\r"))
		return braid_buf_puts(b, s);
	braid_rc rc = braid_buf_putc(b, '"');
	for (; !rc && *s; s++)
		rc = *s == '"' ? braid_buf_puts(b, "\"\"") : braid_buf_putc(b, *s);
	return rc ? rc : braid_buf_putc(b, '"');
}

static void count_text(const struct braid_qcounts *c, int64_t n, char *out, size_t sz)
{
	if (n < 0)
		snprintf(out, sz, "<%ld", c->min_cell);
	else
		snprintf(out, sz, "%lld", (long long)n);
}

static void scalar_text(const struct braid_qcounts *c, const struct braid_qscalar *s, char *out,
			size_t sz)
{
	if (s->is_rate) {
		if (isnan(s->rate))
			snprintf(out, sz, "suppressed");
		else
			snprintf(out, sz, "%.4f", s->rate);
	} else {
		count_text(c, s->count, out, sz);
	}
}

static braid_rc render_json(const struct braid_qcounts *c, struct braid_buf *out)
{
	json_t *o = json_object();
	if (!o)
		return BRAID_ENOMEM;
	for (size_t i = 0; i < c->nscalars; i++) {
		const struct braid_qscalar *s = &c->scalars[i];
		json_t *v = s->is_rate ? (isnan(s->rate) ? json_null() : json_real(s->rate))
				       : (s->count < 0 ? json_null() : json_integer(s->count));
		json_object_set_new(o, s->name, v);
	}
	json_object_set_new(o, "min_cell_size", json_integer(c->min_cell));
	json_object_set_new(o, "cells_suppressed", json_integer(c->cells_suppressed));
	json_t *by = json_object();
	for (size_t i = 0; i < c->ntables; i++) {
		const struct braid_qtable *t = &c->tables[i];
		json_t *arr = json_array();
		for (size_t j = 0; j < t->ncells; j++) {
			json_t *cell = json_object();
			for (size_t k = 0; k < t->ndims; k++)
				json_object_set_new(cell, t->dims[k] ? t->dims[k] : "key",
						    t->cells[j].keys[k][0] ? json_string(t->cells[j].keys[k])
									   : json_null());
			json_object_set_new(cell, "count", t->cells[j].count < 0
								  ? json_null()
								  : json_integer(t->cells[j].count));
			json_array_append_new(arr, cell);
		}
		json_object_set_new(by, t->name, arr);
	}
	json_object_set_new(o, "by", by);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return BRAID_ENOMEM;
	braid_rc rc = braid_buf_puts(out, s);
	if (!rc)
		rc = braid_buf_putc(out, '\n');
	free(s);
	return rc;
}

static braid_rc render_csv(const struct braid_qcounts *c, struct braid_buf *out)
{
	char v[64];
	braid_rc rc = braid_buf_puts(out, "measure,value\n");
	for (size_t i = 0; !rc && i < c->nscalars; i++) {
		scalar_text(c, &c->scalars[i], v, sizeof v);
		rc = braid_buf_printf(out, "%s,%s\n", c->scalars[i].name, v);
	}
	for (size_t i = 0; !rc && i < c->ntables; i++) {
		const struct braid_qtable *t = &c->tables[i];
		rc = braid_buf_puts(out, "\ntable");
		for (size_t k = 0; !rc && k < t->ndims; k++)
			rc = braid_buf_printf(out, ",%s", t->dims[k] ? t->dims[k] : "key");
		if (!rc)
			rc = braid_buf_puts(out, ",count\n");
		for (size_t j = 0; !rc && j < t->ncells; j++) {
			rc = braid_buf_puts(out, t->name);
			for (size_t k = 0; !rc && k < t->ndims; k++) {
				rc = braid_buf_putc(out, ',');
				if (!rc)
					rc = csv_field(out, t->cells[j].keys[k]);
			}
			count_text(c, t->cells[j].count, v, sizeof v);
			if (!rc)
				rc = braid_buf_printf(out, ",%s\n", v);
		}
	}
	return rc;
}

static braid_rc render_table(const struct braid_qcounts *c, struct braid_buf *out)
{
	char v[64];
	braid_rc rc = BRAID_OK;
	for (size_t i = 0; !rc && i < c->nscalars; i++) {
		scalar_text(c, &c->scalars[i], v, sizeof v);
		rc = braid_buf_printf(out, "%-28s %s\n", c->scalars[i].name, v);
	}
	if (!rc && c->cells_suppressed)
		rc = braid_buf_printf(out, "(%lld cells below %ld suppressed)\n",
				      (long long)c->cells_suppressed, c->min_cell);
	for (size_t i = 0; !rc && i < c->ntables; i++) {
		const struct braid_qtable *t = &c->tables[i];
		size_t w[9] = {0};
		for (size_t k = 0; k < t->ndims; k++) {
			w[k] = strlen(t->dims[k] ? t->dims[k] : "key");
			for (size_t j = 0; j < t->ncells; j++) {
				size_t n = strlen(t->cells[j].keys[k][0] ? t->cells[j].keys[k] : "(missing)");
				if (n > w[k])
					w[k] = n > 40 ? 40 : n;
			}
		}
		rc = braid_buf_printf(out, "\nby %s\n", t->name);
		for (size_t k = 0; !rc && k < t->ndims; k++)
			rc = braid_buf_printf(out, "  %-*s", (int)w[k], t->dims[k] ? t->dims[k] : "key");
		if (!rc)
			rc = braid_buf_puts(out, "  count\n");
		for (size_t j = 0; !rc && j < t->ncells; j++) {
			for (size_t k = 0; !rc && k < t->ndims; k++)
				rc = braid_buf_printf(out, "  %-*.40s", (int)w[k],
						      t->cells[j].keys[k][0] ? t->cells[j].keys[k] : "(missing)");
			count_text(c, t->cells[j].count, v, sizeof v);
			if (!rc)
				rc = braid_buf_printf(out, "  %s\n", v);
		}
	}
	return rc;
}

braid_rc braid_qcounts_render(const struct braid_qcounts *c, enum braid_qformat f,
			      struct braid_buf *out)
{
	switch (f) {
	case BRAID_QFMT_JSON: return render_json(c, out);
	case BRAID_QFMT_CSV: return render_csv(c, out);
	default: return render_table(c, out);
	}
}

/* ------------------------------------------------------------ rows */

braid_rc braid_query_rows_render(struct braid_store *s, const char *sql,
				 const char *const *names, int ncols, enum braid_qformat f,
				 struct braid_buf *out, int64_t *nrows, struct braid_err *err)
{
	*nrows = 0;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	if (rc)
		return rc;
	if (braid_stmt_column_count(st) < ncols)
		ncols = braid_stmt_column_count(st);
	if (f == BRAID_QFMT_JSON)
		rc = braid_buf_puts(out, "[");
	else {
		for (int i = 0; !rc && i < ncols; i++)
			rc = braid_buf_printf(out, f == BRAID_QFMT_CSV ? "%s%s" : "%s%-14s",
					      i ? (f == BRAID_QFMT_CSV ? "," : "  ") : "", names[i]);
		if (!rc)
			rc = braid_buf_putc(out, '\n');
	}
	for (;;) {
		int row;
		if (rc || (rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (f == BRAID_QFMT_JSON) {
			json_t *o = json_object();
			for (int i = 0; o && i < ncols; i++)
				json_object_set_new(o, names[i], braid_stmt_is_null(st, i)
									 ? json_null()
									 : json_string(braid_stmt_text(st, i)));
			char *js = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
			json_decref(o);
			if (!js)
				rc = BRAID_ENOMEM;
			if (!rc)
				rc = braid_buf_printf(out, "%s\n  %s", *nrows ? "," : "", js);
			free(js);
		} else {
			for (int i = 0; !rc && i < ncols; i++) {
				if (i)
					rc = braid_buf_puts(out, f == BRAID_QFMT_CSV ? "," : "  ");
				if (!rc)
					rc = f == BRAID_QFMT_CSV
						     ? csv_field(out, braid_stmt_text(st, i))
						     : braid_buf_printf(out, "%-14s", braid_stmt_text(st, i));
			}
			if (!rc)
				rc = braid_buf_putc(out, '\n');
		}
		(*nrows)++;
	}
	braid_stmt_finalize(st);
	if (!rc && f == BRAID_QFMT_JSON)
		rc = braid_buf_puts(out, *nrows ? "\n]\n" : "]\n");
	if (rc && (!err || !err->code))
		braid_err_set(err, rc, "%s", rc == BRAID_ETOOBIG ? "result too large" : "out of memory");
	return rc;
}

braid_rc braid_query_read_file(const char *path, char **text, size_t *len, struct braid_err *err)
{
	*text = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot open '%s'", path);
	struct braid_buf b;
	braid_buf_init(&b, BRAID_QUERY_MAX);
	char chunk[8192];
	size_t n;
	braid_rc rc = BRAID_OK;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (braid_buf_append(&b, chunk, n))
			rc = braid_err_set(err, BRAID_ETOOBIG, "'%s' is larger than %u bytes", path,
					   BRAID_QUERY_MAX);
	if (!rc && ferror(f))
		rc = braid_err_set(err, BRAID_EIO, "cannot read '%s'", path);
	fclose(f);
	if (!rc && !b.data && braid_buf_puts(&b, ""))
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (rc) {
		braid_buf_release(&b);
		return rc;
	}
	*len = b.len;
	*text = braid_buf_detach(&b);
	return BRAID_OK;
}
