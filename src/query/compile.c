/*
 * The planner: a cohort's syntax tree becomes one SQL SELECT over the
 * person index (person_record) and the events, plus the list of sources
 * and fields it reads (for the policy request).
 *
 * Shape of the SQL (docs/query-language.md explains each rule):
 *   ix   — every index event, with the person of its record;
 *   hit  — persons with an index event for which every `require` window
 *          holds and no `exclude` window does (EXISTS subqueries joined
 *          through person_record, so events of any of a person's records
 *          count), with the date of the first such event;
 *   per  — the person attributes at that date (the most common
 *          non-missing value over the person's records in the sources the
 *          query reads);
 *   then the person conditions, and the breakdown columns.
 * Date arithmetic uses SQLite's date(); a PostgreSQL backend would render
 * the same windows with interval arithmetic.  It does not run anything.
 */
#include "query_int.h"
#include "braid/ingest.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ plans */

braid_rc braid__q_plan_new(struct braid_qplan **out, struct braid_err *err)
{
	struct braid_qplan *p = calloc(1, sizeof *p);
	if (!p)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	braid_buf_init(&p->sql, 1u << 20);
	braid_arena_init(&p->arena, 4096);
	*out = p;
	return BRAID_OK;
}

void braid_qplan_free(struct braid_qplan *p)
{
	if (!p)
		return;
	braid_buf_release(&p->sql);
	braid_arena_release(&p->arena);
	free(p->fields);
	free(p->sources);
	free(p);
}

braid_rc braid__q_plan_touch(struct braid_qplan *p, const char *source, const char *field)
{
	if (p->nfields == p->capfields) {
		size_t cap = p->capfields ? p->capfields * 2 : 16;
		struct braid_field_ref *f = braid_reallocarray(p->fields, cap, sizeof *f);
		if (!f)
			return BRAID_ENOMEM;
		p->fields = f;
		p->capfields = cap;
	}
	const char *s = braid_arena_strdup(&p->arena, source);
	const char *f = braid_arena_strdup(&p->arena, field);
	if (!s || !f)
		return BRAID_ENOMEM;
	p->fields[p->nfields++] = (struct braid_field_ref){s, f};
	return BRAID_OK;
}

braid_rc braid__q_plan_touch_type(struct braid_qplan *p, const struct braid_qcatalog *c,
				  const char *type, const char *field)
{
	const struct q_ctype *t = braid__q_catalog_find(c, type);
	for (size_t i = 0; t && i < t->nsources; i++) {
		braid_rc rc = braid__q_plan_touch(p, t->sources[i], field ? field : type);
		if (rc)
			return rc;
	}
	return BRAID_OK;
}

static int cmp_field(const void *a, const void *b)
{
	const struct braid_field_ref *x = a, *y = b;
	int c = strcmp(x->source, y->source);
	return c ? c : strcmp(x->field, y->field);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void braid__q_plan_finish(struct braid_qplan *p)
{
	if (p->nfields)
		qsort(p->fields, p->nfields, sizeof *p->fields, cmp_field);
	size_t k = 0;
	for (size_t i = 0; i < p->nfields; i++)
		if (!k || cmp_field(&p->fields[k - 1], &p->fields[i]))
			p->fields[k++] = p->fields[i];
	p->nfields = k;
	free(p->sources);
	p->sources = calloc(k ? k : 1, sizeof *p->sources);
	p->nsources = 0;
	if (!p->sources)
		return;
	for (size_t i = 0; i < k; i++)
		if (!p->nsources || strcmp(p->sources[p->nsources - 1], p->fields[i].source))
			p->sources[p->nsources++] = p->fields[i].source;
	if (p->nsources)
		qsort(p->sources, p->nsources, sizeof *p->sources, cmp_str);
}

const char *braid_qplan_sql(const struct braid_qplan *p)
{
	return p && p->sql.data ? p->sql.data : "";
}

size_t braid_qplan_sources(const struct braid_qplan *p, const char *const **out)
{
	*out = p->sources;
	return p->nsources;
}

size_t braid_qplan_fields(const struct braid_qplan *p, const struct braid_field_ref **out)
{
	*out = p->fields;
	return p->nfields;
}

size_t braid_qplan_dims(const struct braid_qplan *p, const char *const **out)
{
	*out = p->dims;
	return p->ndims;
}

void braid_qplan_request(const struct braid_qplan *p, enum braid_action action,
			 const char *purpose, const char *query_text, struct braid_request *req)
{
	memset(req, 0, sizeof *req);
	req->action = action;
	req->purpose = purpose;
	req->sources = (const char *const *)p->sources;
	req->nsources = p->nsources;
	req->fields = p->fields;
	req->nfields = p->nfields;
	req->query = query_text;
}

/* ------------------------------------------------------------ SQL pieces */

braid_rc braid__q_sql_str(struct braid_buf *b, const char *s, size_t n)
{
	braid_rc rc = braid_buf_putc(b, '\'');
	for (size_t i = 0; !rc && i < n; i++)
		rc = s[i] == '\'' ? braid_buf_puts(b, "''") : braid_buf_putc(b, s[i]);
	return rc ? rc : braid_buf_putc(b, '\'');
}

braid_rc braid__q_sql_value(struct braid_buf *b, const struct q_value *v)
{
	if (v->kind == V_NUM)
		return braid_buf_printf(b, "%.17g", v->num);
	return braid__q_sql_str(b, v->text, strlen(v->text));
}

static braid_rc sql_values(struct braid_buf *b, const struct q_cond *c)
{
	braid_rc rc = braid_buf_putc(b, '(');
	for (size_t i = 0; !rc && i < c->nvals; i++) {
		if (i)
			rc = braid_buf_puts(b, ", ");
		if (!rc)
			rc = braid__q_sql_value(b, &c->vals[i]);
	}
	return rc ? rc : braid_buf_putc(b, ')');
}

/* expr OP values, with NULL-safe negations: a missing value is "not in"
 * and "!=" anything. */
static braid_rc sql_compare(struct braid_buf *b, const char *expr, const struct q_cond *c)
{
	static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
	braid_rc rc;
	switch (c->op) {
	case OP_IN:
		rc = braid_buf_printf(b, "%s IN ", expr);
		return rc ? rc : sql_values(b, c);
	case OP_NOT_IN:
		rc = braid_buf_printf(b, "(%s IS NULL OR %s NOT IN ", expr, expr);
		if (!rc)
			rc = sql_values(b, c);
		return rc ? rc : braid_buf_putc(b, ')');
	case OP_BETWEEN:
		rc = braid_buf_printf(b, "%s BETWEEN ", expr);
		if (!rc)
			rc = braid__q_sql_value(b, &c->vals[0]);
		if (!rc)
			rc = braid_buf_puts(b, " AND ");
		return rc ? rc : braid__q_sql_value(b, &c->vals[1]);
	case OP_NE:
		rc = braid_buf_printf(b, "(%s IS NULL OR %s <> ", expr, expr);
		if (!rc)
			rc = braid__q_sql_value(b, &c->vals[0]);
		return rc ? rc : braid_buf_putc(b, ')');
	default:
		rc = braid_buf_printf(b, "%s %s ", expr, ops[c->op]);
		return rc ? rc : braid__q_sql_value(b, &c->vals[0]);
	}
}

braid_rc braid__q_sql_conds(struct braid_buf *b, const char *al, const struct q_atom *a,
			    struct braid_qplan *p, const struct braid_qcatalog *c)
{
	static const char *const cols[] = {"program", "provider", "amount", "start_date", "end_date"};
	static const char *const fnames[] = {"program", "provider", "amount", "start", "end"};
	braid_rc rc = BRAID_OK;
	for (size_t i = 0; !rc && i < a->nconds; i++) {
		const struct q_cond *k = &a->conds[i];
		char expr[160];
		if (k->field == EF_ATTR) {
			snprintf(expr, sizeof expr, "json_extract(%s.attrs, '$.%s')", al, k->attr);
			rc = braid__q_plan_touch_type(p, c, a->type, k->attr);
		} else {
			snprintf(expr, sizeof expr, "%s.%s", al, cols[k->field]);
			rc = braid__q_plan_touch_type(p, c, a->type, fnames[k->field]);
		}
		if (!rc)
			rc = braid_buf_puts(b, " AND ");
		if (!rc)
			rc = sql_compare(b, expr, k);
	}
	return rc;
}

braid_rc braid__q_sql_shift(struct braid_buf *b, const struct q_window *w, int sign)
{
	const char *u = w->unit == 'm' ? "months" : w->unit == 'y' ? "years" : "days";
	return braid_buf_printf(b, "'%c%ld %s'", sign < 0 ? '-' : '+', w->n, u);
}

braid_rc braid__q_sql_end(struct braid_buf *b, const char *al, const struct q_ctype *t)
{
	/* A spell without an end is still open; a point event ends the day
	 * it starts. */
	if (t && t->has_end)
		return braid_buf_printf(b, "coalesce(%s.end_date, '9999-12-31')", al);
	return braid_buf_printf(b, "%s.start_date", al);
}

braid_rc braid__q_sql_mode(struct braid_buf *b, const char *col, const char *pid_expr,
			   const struct braid_qplan *p)
{
	(void)p;
	return braid_buf_printf(b,
				"(SELECT r.%s FROM person_record pm JOIN records r ON r.record_key = pm.record_key"
				" WHERE pm.person_id = %s AND r.%s IS NOT NULL AND r.%s <> ''%s"
				" GROUP BY r.%s ORDER BY count(*) DESC, r.%s LIMIT 1)",
				col, pid_expr, col, col, p && p->kind >= 0 ? " AND r.source_id IN (SELECT id FROM q_src)" : "",
				col, col);
}

/* Geography "of the address then": the value on the person's record with
 * an event nearest DATE (each record keeps the address it was filed
 * with), so a person who moved is counted where they lived at the index
 * date; records without dated events come last, ties go to the smaller
 * value so the answer is deterministic. */
static braid_rc sql_at_date(struct braid_buf *b, const char *col, const char *pid_expr,
			    const char *date, const struct braid_qplan *p)
{
	/* min() over "distance (fixed width) || value" rather than ORDER BY
	 * ... LIMIT 1: SQLite does not resolve the outer date inside a
	 * subquery's ORDER BY, and one pass needs no sort anyway. */
	return braid_buf_printf(b,
				"(SELECT substr(min(printf('%%014.3f', coalesce(abs(julianday(ev.start_date)"
				" - julianday(%s)), 1e9)) || r.%s), 15)"
				" FROM person_record pm JOIN records r ON r.record_key = pm.record_key"
				" LEFT JOIN events ev ON ev.record_key = r.record_key"
				" WHERE pm.person_id = %s AND r.%s IS NOT NULL AND r.%s <> ''%s)",
				date, col, pid_expr, col, col,
				p && p->kind >= 0 ? " AND r.source_id IN (SELECT id FROM q_src)" : "");
}

/* ------------------------------------------------------------ cohorts */

/* The window test of other event o against index event ix (d0 start, d1
 * end). */
static braid_rc sql_window(struct braid_buf *b, const struct q_window *w, const struct q_ctype *t)
{
	braid_rc rc = BRAID_OK;
	struct braid_buf oe;
	braid_buf_init(&oe, 256);
	if ((rc = braid__q_sql_end(&oe, "o", t)))
		goto out;
	switch (w->kind) {
	case W_WITHIN_BEFORE:
		rc = braid_buf_printf(b, " AND o.start_date <= ix.d0 AND %s >= date(ix.d0, ", oe.data);
		if (!rc) rc = braid__q_sql_shift(b, w, -1);
		if (!rc) rc = braid_buf_putc(b, ')');
		break;
	case W_WITHIN_AFTER:
		rc = braid_buf_puts(b, " AND o.start_date <= date(ix.d0, ");
		if (!rc) rc = braid__q_sql_shift(b, w, +1);
		if (!rc) rc = braid_buf_printf(b, ") AND %s >= ix.d0", oe.data);
		break;
	case W_WITHIN_AROUND:
		rc = braid_buf_puts(b, " AND o.start_date <= date(ix.d0, ");
		if (!rc) rc = braid__q_sql_shift(b, w, +1);
		if (!rc) rc = braid_buf_printf(b, ") AND %s >= date(ix.d0, ", oe.data);
		if (!rc) rc = braid__q_sql_shift(b, w, -1);
		if (!rc) rc = braid_buf_putc(b, ')');
		break;
	case W_DURING:
		rc = braid_buf_printf(b, " AND o.start_date <= ix.d1 AND %s >= ix.d0", oe.data);
		break;
	case W_BEFORE:
		rc = braid_buf_puts(b, " AND o.start_date <= ix.d0");
		break;
	case W_AFTER:
		rc = braid_buf_puts(b, " AND o.start_date >= ix.d0");
		break;
	case W_EVER:
	case W_AT:
		break;
	}
out:
	braid_buf_release(&oe);
	return rc;
}

static const char *window_fields(const struct q_window *w, const struct q_ctype *t)
{
	/* Which event columns a window reads besides start. */
	return w->kind != W_EVER && w->kind != W_BEFORE && w->kind != W_AFTER && t && t->has_end
		       ? "end" : NULL;
}

static braid_rc sql_clause(struct braid_buf *b, const struct q_clause *cl, struct braid_qplan *p,
			   const struct braid_qcatalog *c)
{
	braid_rc rc = braid_buf_puts(b, cl->exclude ? "\n  AND NOT (" : "\n  AND (");
	for (size_t i = 0; !rc && i < cl->ev.n; i++) {
		const struct q_atom *a = &cl->ev.atoms[i];
		const struct q_ctype *t = braid__q_catalog_find(c, a->type);
		if (i)
			rc = braid_buf_puts(b, "\n    OR ");
		if (!rc)
			/* CROSS JOIN fixes the order: the person's few records
			 * first, then their events of one type by index;
			 * left to itself SQLite may scan every event of the
			 * type for each index event. */
			rc = braid_buf_puts(b, "EXISTS (SELECT 1 FROM person_record p2"
					       " CROSS JOIN events o ON o.record_key = p2.record_key"
					       " WHERE p2.person_id = ix.pid AND o.type = ");
		if (!rc)
			rc = braid__q_sql_str(b, a->type, strlen(a->type));
		if (!rc)
			rc = braid_buf_puts(b, " AND o.id <> ix.eid");
		if (!rc)
			rc = sql_window(b, &cl->w, t);
		if (!rc)
			rc = braid__q_sql_conds(b, "o", a, p, c);
		if (!rc)
			rc = braid_buf_putc(b, ')');
		if (!rc)
			rc = braid__q_plan_touch_type(p, c, a->type, NULL);
		if (!rc)
			rc = braid__q_plan_touch_type(p, c, a->type, "start");
		const char *f = window_fields(&cl->w, t);
		if (!rc && f)
			rc = braid__q_plan_touch_type(p, c, a->type, f);
	}
	return rc ? rc : braid_buf_putc(b, ')');
}

/* The SQL expression of person attribute pa over the columns of `per`. */
static const char *attr_expr(int pa)
{
	switch (pa) {
	case PA_AGE: return "age";
	case PA_AGE_BAND:
		return "CASE WHEN age IS NULL THEN NULL WHEN age < 18 THEN '0-17'"
		       " WHEN age < 25 THEN '18-24' WHEN age < 35 THEN '25-34'"
		       " WHEN age < 45 THEN '35-44' WHEN age < 55 THEN '45-54'"
		       " WHEN age < 65 THEN '55-64' ELSE '65+' END";
	case PA_SEX: return "sex";
	case PA_RACE: return "race";
	case PA_ETHNICITY: return "ethnicity";
	case PA_ZIP: return "zip";
	case PA_TRACT: return "tract";
	case PA_DISTRICT: return "district";
	case PA_YEAR: return "CAST(substr(index_date, 1, 4) AS INTEGER)";
	default: return "NULL";
	}
}

static const char *pattr_field(int pa)
{
	switch (pa) {
	case PA_AGE: case PA_AGE_BAND: return "birth_year";
	case PA_SEX: return "sex";
	case PA_RACE: return "race";
	case PA_ETHNICITY: return "ethnicity";
	case PA_ZIP: return "zip";
	case PA_TRACT: return "tract";
	case PA_DISTRICT: return "district";
	default: return NULL;
	}
}

/* Note that attribute pa is read from every source of the plan that maps
 * it. */
static braid_rc touch_attr(struct braid_qplan *p, const struct braid_qcatalog *c,
			   const char *const *srcs, size_t nsrcs, int pa)
{
	const char *f = pattr_field(pa);
	for (size_t i = 0; f && i < nsrcs; i++) {
		const struct q_csource *s = braid__q_catalog_source(c, srcs[i]);
		if (s && (s->person_fields & (1u << pa))) {
			braid_rc rc = braid__q_plan_touch(p, srcs[i], f);
			if (rc)
				return rc;
		}
	}
	return BRAID_OK;
}

/* "q_src": the ids of the sources the plan reads, as a CTE, so that
 * person attributes come only from records the agreement covers. */
static braid_rc sql_src_cte(struct braid_buf *b, const struct braid_qplan *p,
			    const struct braid_qcatalog *c)
{
	braid_rc rc = braid_buf_puts(b, "q_src(id) AS (VALUES ");
	int any = 0;
	for (size_t i = 0; !rc && i < p->nsources; i++) {
		const struct q_csource *s = braid__q_catalog_source(c, p->sources[i]);
		if (!s)
			continue;
		rc = braid_buf_printf(b, "%s(%lld)", any ? ", " : "", (long long)s->id);
		any = 1;
	}
	if (!rc && !any)
		rc = braid_buf_puts(b, "(NULL)");
	return rc ? rc : braid_buf_puts(b, ")");
}

braid_rc braid__q_sql_attrs(struct braid_buf *b, unsigned need, const char *pid, const char *date,
			    const struct braid_qplan *p)
{
	braid_rc rc = BRAID_OK;
	static const int cols[] = {PA_SEX, PA_RACE, PA_ETHNICITY, PA_ZIP, PA_TRACT, PA_DISTRICT};
	static const char *const names[] = {"sex", "race", "ethnicity", "zip5", "tract", "district"};
	static const char *const as[] = {"sex", "race", "ethnicity", "zip", "tract", "district"};
	for (size_t i = 0; !rc && i < 6; i++) {
		if (!(need & (1u << cols[i])))
			continue;
		rc = braid_buf_puts(b, ",\n    ");
		/* sex, race and ethnicity: the person's most frequent value;
		 * ZIP, tract and district: where they lived at the date */
		if (!rc)
			rc = cols[i] == PA_ZIP || cols[i] == PA_TRACT || cols[i] == PA_DISTRICT
				     ? sql_at_date(b, names[i], pid, date, p)
				     : braid__q_sql_mode(b, names[i], pid, p);
		if (!rc)
			rc = braid_buf_printf(b, " AS %s", as[i]);
	}
	if (!rc && (need & (1u << PA_AGE | 1u << PA_AGE_BAND))) {
		rc = braid_buf_printf(b, ",\n    CAST(substr(%s, 1, 4) AS INTEGER) - ", date);
		if (!rc)
			rc = braid__q_sql_mode(b, "birth_year", pid, p);
		if (!rc)
			rc = braid_buf_puts(b, " AS age");
	}
	return rc;
}

braid_rc braid_query_compile(const struct braid_query *q, const struct braid_qcatalog *cat,
			     struct braid_qplan **out, struct braid_err *err)
{
	*out = NULL;
	if (!q || q->is_rules)
		return braid_err_set(err, BRAID_EINVAL, "not a cohort query");
	braid_rc rc = braid__q_check_evspec(q, cat, &q->index, err);
	for (size_t i = 0; !rc && i < q->nclauses; i++)
		rc = braid__q_check_evspec(q, cat, &q->clauses[i].ev, err);
	if (rc)
		return rc;
	struct braid_qplan *p = NULL;
	if ((rc = braid__q_plan_new(&p, err)))
		return rc;
	p->kind = 0;

	/* The body first (it records what is read), then the source list. */
	struct braid_buf body;
	braid_buf_init(&body, 1u << 20);
	rc = braid_buf_puts(&body, "ix AS (");
	for (size_t i = 0; !rc && i < q->index.n; i++) {
		const struct q_atom *a = &q->index.atoms[i];
		const struct q_ctype *t = braid__q_catalog_find(cat, a->type);
		if (i)
			rc = braid_buf_puts(&body, "\n  UNION ALL ");
		if (!rc)
			rc = braid_buf_puts(&body, "\n  SELECT pr.person_id AS pid, e.id AS eid,"
					    " e.start_date AS d0, ");
		if (!rc)
			rc = braid__q_sql_end(&body, "e", t);
		if (!rc)
			rc = braid_buf_puts(&body, " AS d1\n  FROM events e JOIN person_record pr"
					    " ON pr.record_key = e.record_key\n  WHERE e.type = ");
		if (!rc)
			rc = braid__q_sql_str(&body, a->type, strlen(a->type));
		if (!rc)
			rc = braid_buf_puts(&body, " AND e.start_date IS NOT NULL");
		if (!rc)
			rc = braid__q_sql_conds(&body, "e", a, p, cat);
		if (!rc)
			rc = braid__q_plan_touch_type(p, cat, a->type, NULL);
		if (!rc)
			rc = braid__q_plan_touch_type(p, cat, a->type, "start");
		int uses_end = 0;
		for (size_t k = 0; k < q->nclauses; k++)
			uses_end |= q->clauses[k].w.kind == W_DURING;
		if (!rc && uses_end && t && t->has_end)
			rc = braid__q_plan_touch_type(p, cat, a->type, "end");
	}
	if (!rc)
		rc = braid_buf_puts(&body, "),\nhit AS (\n  SELECT pid, min(d0) AS index_date FROM ix\n  WHERE 1");
	for (size_t i = 0; !rc && i < q->nclauses; i++)
		rc = sql_clause(&body, &q->clauses[i], p, cat);
	if (!rc)
		rc = braid_buf_puts(&body, "\n  GROUP BY pid)");

	/* Attributes needed by conditions and breakdowns. */
	unsigned need = 0;
	for (size_t i = 0; i < q->npconds; i++)
		need |= 1u << q->pconds[i].field;
	for (size_t i = 0; i < q->ndims; i++)
		need |= 1u << q->dims[i];
	braid__q_plan_finish(p); /* sources of the events, for attributes */
	const char **evsrc = NULL;
	size_t nev = p->nsources;
	if (nev) {
		evsrc = braid_arena_alloc(&p->arena, nev * sizeof *evsrc);
		if (!evsrc)
			rc = BRAID_ENOMEM;
		else
			memcpy(evsrc, p->sources, nev * sizeof *evsrc);
	}
	for (int pa = 0; !rc && pa < PA__COUNT; pa++)
		if (need & (1u << pa))
			rc = touch_attr(p, cat, evsrc, nev, pa);
	braid__q_plan_finish(p);

	if (!rc)
		rc = braid_buf_puts(&p->sql, "WITH ");
	if (!rc)
		rc = sql_src_cte(&p->sql, p, cat);
	if (!rc)
		rc = braid_buf_puts(&p->sql, ",\n");
	if (!rc)
		rc = braid_buf_append(&p->sql, body.data, body.len);
	if (!rc)
		rc = braid_buf_puts(&p->sql, ",\nper AS (\n  SELECT pid, index_date");
	if (!rc)
		rc = braid__q_sql_attrs(&p->sql, need, "hit.pid", "hit.index_date", p);
	if (!rc)
		rc = braid_buf_puts(&p->sql, "\n  FROM hit)\nSELECT pid AS person_id, index_date");
	p->dims = braid_arena_zalloc(&p->arena, (q->ndims + 1) * sizeof *p->dims);
	if (!p->dims)
		rc = BRAID_ENOMEM;
	for (size_t i = 0; !rc && i < q->ndims; i++) {
		const char *name = braid__q_pattr_names[q->dims[i]];
		p->dims[p->ndims++] = name;
		rc = braid_buf_printf(&p->sql, ", %s AS %s", attr_expr(q->dims[i]), name);
	}
	if (!rc)
		rc = braid_buf_puts(&p->sql, "\nFROM per WHERE 1");
	for (size_t i = 0; !rc && i < q->npconds; i++) {
		rc = braid_buf_puts(&p->sql, "\n  AND ");
		if (!rc)
			rc = sql_compare(&p->sql, attr_expr(q->pconds[i].field), &q->pconds[i]);
	}
	if (!rc)
		rc = braid_buf_puts(&p->sql, "\nORDER BY person_id");
	braid_buf_release(&body);
	if (rc) {
		braid_qplan_free(p);
		return rc == BRAID_ENOMEM ? braid_err_set(err, rc, "out of memory")
					  : braid_err_set(err, rc, "query too large to compile");
	}
	*out = p;
	return BRAID_OK;
}

/* ------------------------------------------------------------ by hand */

braid_rc braid_qplan_new_sql(const char *sql, struct braid_qplan **out, struct braid_err *err)
{
	braid_rc rc = braid__q_plan_new(out, err);
	if (rc)
		return rc;
	(*out)->kind = 2;
	if (braid_buf_puts(&(*out)->sql, sql)) {
		braid_qplan_free(*out);
		*out = NULL;
		return braid_err_set(err, BRAID_ETOOBIG, "SQL too large");
	}
	return BRAID_OK;
}

braid_rc braid_qplan_touch(struct braid_qplan *p, const char *source, const char *field)
{
	braid_rc rc = braid__q_plan_touch(p, source, field);
	if (!rc)
		braid__q_plan_finish(p);
	return rc;
}

braid_rc braid_qplan_touch_type(struct braid_qplan *p, const struct braid_qcatalog *c,
				const char *type, const char *field)
{
	braid_rc rc = braid__q_plan_touch_type(p, c, type, field);
	if (!rc)
		braid__q_plan_finish(p);
	return rc;
}

braid_rc braid_qplan_merge(struct braid_qplan *p, const struct braid_qplan *other)
{
	for (size_t i = 0; i < other->nfields; i++) {
		braid_rc rc = braid__q_plan_touch(p, other->fields[i].source, other->fields[i].field);
		if (rc)
			return rc;
	}
	braid__q_plan_finish(p);
	return BRAID_OK;
}

int braid_qcatalog_source_maps(const struct braid_qcatalog *c, const char *source,
			       const char *field)
{
	const struct q_csource *s = braid__q_catalog_source(c, source);
	if (!s)
		return 0;
	for (int pa = 0; pa < PA__COUNT; pa++) {
		const char *f = pattr_field(pa);
		if (f && !strcmp(f, field) && (s->person_fields & (1u << pa)))
			return 1;
	}
	return 0;
}
