/*
 * Eligibility rules: a program's `eligible if` and `enrolled if`
 * conditions become one SQL SELECT with a row per person who is eligible
 * or enrolled at the as-of date.
 *
 * Nothing is looked up person by person (a million people cost one scan
 * of each event type): enrolled() predicates on one type share a scan
 * that sets a bit per predicate an event satisfies, latest() takes one
 * index seek per record, and everything is grouped once by person into a
 * 0/1 flag per predicate.  The predicates:
 *   enrolled(x)                 a spell of x covering the date (a point
 *                               event on or before it: point events have
 *                               no duration to cover);
 *   enrolled(x, within N days)  an event of x overlapping the N days up
 *                               to and including the date;
 *   enrolled(x, ever)           any event of x on or before the date;
 *   latest(x) in (...)          the program value of the person's latest
 *                               event of x on or before the date;
 *   age/sex/race/... op value   the person's attributes (as in cohorts).
 * The people considered are those with an event that some predicate of
 * the program looks at; `not` is evaluated among them.  It does not
 * decide who may see the result (the caller asks the policy layer).
 */
#include "query_int.h"

#include <stdio.h>
#include <string.h>


#define MAX_PREDS 62 /* one bit each in a 64-bit flag word */

struct rctx {
	const struct braid_query *q;
	const struct braid_qcatalog *cat;
	struct braid_qplan *p;
	const char *as_of;
	struct braid_buf ctes; /* s1 AS (...), s2 AS (...) */
	struct braid_buf flags; /* SELECT pid, k FROM s1 UNION ALL ... */
	int nsets;
	/* enrolled() predicates share one scan per event type: per type, the
	 * OR of their conditions and the bit set of those that hold. */
	struct tslot {
		const char *type;
		struct braid_buf ors, bits;
	} slots[MAX_PREDS];
	int nslots;
	unsigned need;         /* person attributes */
	struct braid_err *err;
};

/* The condition of predicate n on an event e of atom a (its type
 * tested by the caller): dates against the as-of date, then the atom's
 * own conditions.  Records the fields read. */
static braid_rc enrolled_cond(struct rctx *r, const struct r_node *n, const struct q_atom *a,
			      struct braid_buf *b)
{
	const struct q_ctype *t = braid__q_catalog_find(r->cat, a->type);
	braid_rc rc = braid_buf_puts(b, "e.start_date <= ");
	if (!rc)
		rc = braid__q_sql_str(b, r->as_of, strlen(r->as_of));
	if (!rc && n->w.kind != W_EVER && !(n->w.kind == W_AT && !(t && t->has_end))) {
		rc = braid_buf_puts(b, " AND ");
		if (!rc)
			rc = braid__q_sql_end(b, "e", t);
		if (!rc && n->w.kind == W_AT)
			rc = braid_buf_printf(b, " >= '%s'", r->as_of);
		else if (!rc) {
			rc = braid_buf_printf(b, " >= date('%s', ", r->as_of);
			if (!rc)
				rc = braid__q_sql_shift(b, &n->w, -1);
			if (!rc)
				rc = braid_buf_putc(b, ')');
		}
		if (!rc && t && t->has_end)
			rc = braid__q_plan_touch_type(r->p, r->cat, a->type, "end");
	}
	if (!rc)
		rc = braid__q_sql_conds(b, "e", a, r->p, r->cat);
	if (!rc)
		rc = braid__q_plan_touch_type(r->p, r->cat, a->type, NULL);
	if (!rc)
		rc = braid__q_plan_touch_type(r->p, r->cat, a->type, "start");
	return rc;
}

/* Add enrolled() predicate number id to the scans of its atoms' types. */
static braid_rc slot_add(struct rctx *r, const struct r_node *n, int id)
{
	braid_rc rc = BRAID_OK;
	for (size_t i = 0; !rc && i < n->ev.n; i++) {
		const struct q_atom *a = &n->ev.atoms[i];
		struct tslot *sl = NULL;
		for (int k = 0; k < r->nslots; k++)
			if (!strcmp(r->slots[k].type, a->type))
				sl = &r->slots[k];
		if (!sl) {
			if (r->nslots >= MAX_PREDS)
				return braid_err_at(r->err, BRAID_ETOOBIG, r->q->file, a->line, a->col,
						    "too many event types in one program");
			sl = &r->slots[r->nslots++];
			sl->type = a->type;
			braid_buf_init(&sl->ors, 1u << 20);
			braid_buf_init(&sl->bits, 1u << 20);
		}
		struct braid_buf c;
		braid_buf_init(&c, 1u << 20);
		rc = enrolled_cond(r, n, a, &c);
		if (!rc)
			rc = braid_buf_printf(&sl->ors, "%s(%s)", sl->ors.len ? "\n      OR " : "", c.data);
		if (!rc)
			rc = braid_buf_printf(&sl->bits, " | (CASE WHEN %s THEN %lld ELSE 0 END)", c.data,
					      1LL << (id - 1));
		braid_buf_release(&c);
	}
	return rc;
}

/* A set CTE for a latest() predicate (enrolled() ones go to the shared
 * scans); returns its number. */
static braid_rc set_cte(struct rctx *r, const struct r_node *n, int *id)
{
	braid_rc rc = BRAID_OK;
	struct braid_buf *b = &r->ctes;
	*id = ++r->nsets;
	if (*id > MAX_PREDS)
		return braid_err_at(r->err, BRAID_ETOOBIG, r->q->file, n->line, n->col,
				    "more than %d enrolled()/latest() conditions in one program", MAX_PREDS);
	if (n->kind == R_ENROLLED)
		return slot_add(r, n, *id);
	rc = braid_buf_printf(b, ",\ns%d(pid, program) AS (", *id);
	/* latest(): for each record of the sources producing the type, its
	 * latest event by one index seek (type, record_key, start_date
	 * descending), as "date|program"; then per person the greatest of
	 * those strings (the latest of their records), program after the
	 * '|'.  Ties on one date go to the index order. */
	if (!rc)
		rc = braid_buf_puts(b, "\n  SELECT pr.person_id AS pid, nullif(substr(max(l.dp), 12), '') AS program"
				    " FROM (");
	for (size_t i = 0; !rc && i < n->ev.n; i++) {
		const struct q_atom *a = &n->ev.atoms[i];
		const struct q_ctype *t = braid__q_catalog_find(r->cat, a->type);
		if (i)
			rc = braid_buf_puts(b, "\n  UNION ALL");
		if (!rc)
			rc = braid_buf_puts(b, "\n  SELECT r.record_key AS rk, (SELECT e.start_date || '|' ||"
					    " coalesce(e.program, '') FROM events e WHERE e.type = ");
		if (!rc)
			rc = braid__q_sql_str(b, a->type, strlen(a->type));
		if (!rc)
			rc = braid_buf_puts(b, " AND e.start_date <= ");
		if (!rc)
			rc = braid__q_sql_str(b, r->as_of, strlen(r->as_of));
		if (!rc)
			rc = braid__q_sql_conds(b, "e", a, r->p, r->cat);
		if (!rc)
			rc = braid__q_plan_touch_type(r->p, r->cat, a->type, NULL);
		if (!rc)
			rc = braid__q_plan_touch_type(r->p, r->cat, a->type, "start");
		if (!rc)
			rc = braid__q_plan_touch_type(r->p, r->cat, a->type, "program");
		if (!rc)
			rc = braid_buf_puts(b, " AND e.record_key = r.record_key ORDER BY e.start_date DESC"
					    " LIMIT 1) AS dp FROM records r WHERE r.source_id IN (NULL");
		for (size_t k = 0; !rc && t && k < t->nsources; k++) {
			const struct q_csource *cs = braid__q_catalog_source(r->cat, t->sources[k]);
			if (cs)
				rc = braid_buf_printf(b, ", %lld", (long long)cs->id);
		}
		if (!rc)
			rc = braid_buf_putc(b, ')');
	}
	if (!rc)
		rc = braid_buf_puts(b, ") l JOIN person_record pr ON pr.record_key = l.rk"
				    " WHERE l.dp IS NOT NULL GROUP BY pr.person_id");
	return rc ? rc : braid_buf_puts(b, ")");
}

static const char *pexpr(int pa)
{
	switch (pa) {
	case PA_AGE: return "age";
	case PA_SEX: return "sex";
	case PA_RACE: return "race";
	case PA_ETHNICITY: return "ethnicity";
	case PA_ZIP: return "zip";
	case PA_TRACT: return "tract";
	case PA_DISTRICT: return "district";
	default: return "NULL";
	}
}

static braid_rc expr(struct rctx *r, const struct r_node *n, struct braid_buf *b)
{
	braid_rc rc;
	int id;
	switch (n->kind) {
	case R_OR:
	case R_AND:
		rc = braid_buf_putc(b, '(');
		if (!rc) rc = expr(r, n->a, b);
		if (!rc) rc = braid_buf_puts(b, n->kind == R_OR ? " OR " : " AND ");
		if (!rc) rc = expr(r, n->b, b);
		return rc ? rc : braid_buf_putc(b, ')');
	case R_NOT:
		rc = braid_buf_puts(b, "(NOT ");
		if (!rc) rc = expr(r, n->a, b);
		return rc ? rc : braid_buf_putc(b, ')');
	case R_ENROLLED:
		if ((rc = braid__q_check_evspec(r->q, r->cat, &n->ev, r->err)))
			return rc;
		if ((rc = set_cte(r, n, &id)))
			return rc;
		return braid_buf_printf(b, "p%d", id);
	case R_LATEST_IN: {
		if ((rc = braid__q_check_evspec(r->q, r->cat, &n->ev, r->err)))
			return rc;
		if ((rc = set_cte(r, n, &id)))
			return rc;
		struct q_cond c = {.op = n->negate ? OP_NOT_IN : OP_IN, .vals = n->vals, .nvals = n->nvals};
		/* One row per person with the latest value: k when the test
		 * holds, 0 when not (the person is still considered). */
		struct braid_buf *fb = &r->flags;
		rc = braid_buf_printf(fb, "%sSELECT pid, CASE WHEN ", fb->len ? "\n  UNION ALL " : "");
		/* program NOT IN / IN over the latest value, NULL-safe. */
		if (!rc && c.op == OP_IN)
			rc = braid_buf_puts(fb, "program IN (");
		else if (!rc)
			rc = braid_buf_puts(fb, "(program IS NULL OR program NOT IN (");
		for (size_t i = 0; !rc && i < c.nvals; i++) {
			if (i)
				rc = braid_buf_puts(fb, ", ");
			if (!rc)
				rc = braid__q_sql_value(fb, &c.vals[i]);
		}
		if (!rc)
			rc = braid_buf_printf(fb, "%s THEN %lld ELSE 0 END AS k FROM s%d",
					      c.op == OP_IN ? ")" : "))", 1LL << (id - 1), id);
		return rc ? rc : braid_buf_printf(b, "p%d", id);
	}
	case R_PERSON: {
		r->need |= 1u << n->pc.field;
		if (n->pc.field == PA_AGE)
			r->need |= 1u << PA_AGE_BAND;
		/* coalesce: an unknown attribute fails the test (two-valued). */
		rc = braid_buf_puts(b, "coalesce((");
		const struct q_cond *c = &n->pc;
		static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
		const char *e = pexpr(c->field);
		if (c->op == OP_IN || c->op == OP_NOT_IN) {
			if (!rc) rc = braid_buf_printf(b, "%s %sIN (", e, c->op == OP_NOT_IN ? "NOT " : "");
			for (size_t i = 0; !rc && i < c->nvals; i++) {
				if (i)
					rc = braid_buf_puts(b, ", ");
				if (!rc)
					rc = braid__q_sql_value(b, &c->vals[i]);
			}
			if (!rc) rc = braid_buf_putc(b, ')');
		} else if (c->op == OP_BETWEEN) {
			if (!rc) rc = braid_buf_printf(b, "%s BETWEEN ", e);
			if (!rc) rc = braid__q_sql_value(b, &c->vals[0]);
			if (!rc) rc = braid_buf_puts(b, " AND ");
			if (!rc) rc = braid__q_sql_value(b, &c->vals[1]);
		} else {
			if (!rc) rc = braid_buf_printf(b, "%s %s ", e, ops[c->op]);
			if (!rc) rc = braid__q_sql_value(b, &c->vals[0]);
		}
		return rc ? rc : braid_buf_puts(b, "), 0)");
	}
	}
	return BRAID_EINTERNAL;
}

static const char *field_of(int pa)
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

braid_rc braid_rules_compile(const struct braid_query *q, const struct braid_qcatalog *cat,
			     const char *program, const char *as_of,
			     struct braid_qplan **out, struct braid_err *err)
{
	*out = NULL;
	if (!q || !q->is_rules)
		return braid_err_set(err, BRAID_EINVAL, "not a rules file");
	if (!as_of || !braid_iso_date_valid(as_of))
		return braid_err_set(err, BRAID_EINVAL, "as-of date must be YYYY-MM-DD");
	const struct r_program *pg = NULL;
	for (size_t i = 0; i < q->nprogs; i++)
		if (!strcmp(q->progs[i].name, program))
			pg = &q->progs[i];
	if (!pg) {
		const char *best = NULL;
		size_t bd = 4;
		for (size_t i = 0; i < q->nprogs; i++) {
			size_t d = braid_edit_distance(program, q->progs[i].name, 3);
			if (d < bd) {
				bd = d;
				best = q->progs[i].name;
			}
		}
		if (best)
			return braid_err_set(err, BRAID_ENOTFOUND,
					     "no program '%s' in the rules file (did you mean '%s'?)",
					     program, best);
		return braid_err_set(err, BRAID_ENOTFOUND, "no program '%s' in the rules file", program);
	}
	struct braid_qplan *p = NULL;
	braid_rc rc = braid__q_plan_new(&p, err);
	if (rc)
		return rc;
	p->kind = 1;
	struct rctx r = {.q = q, .cat = cat, .p = p, .as_of = as_of, .err = err};
	braid_buf_init(&r.ctes, 1u << 20);
	braid_buf_init(&r.flags, 1u << 20);
	struct braid_buf el, en;
	braid_buf_init(&el, 1u << 20);
	braid_buf_init(&en, 1u << 20);
	rc = expr(&r, pg->eligible, &el);
	if (!rc)
		rc = expr(&r, pg->enrolled, &en);
	/* Attributes the conditions test are computed for everyone
	 * considered; the ZIP of the outreach list only for the rows kept. */
	unsigned pred_need = r.need;
	r.need |= 1u << PA_ZIP;
	braid__q_plan_finish(p);
	const char **evsrc = NULL;
	size_t nev = p->nsources;
	if (!rc && nev) {
		evsrc = braid_arena_alloc(&p->arena, nev * sizeof *evsrc);
		if (!evsrc)
			rc = BRAID_ENOMEM;
		else
			memcpy(evsrc, p->sources, nev * sizeof *evsrc);
	}
	for (int pa = 0; !rc && pa < PA__COUNT; pa++) {
		const char *f = field_of(pa);
		if (!f || !(r.need & (1u << pa)))
			continue;
		for (size_t i = 0; !rc && i < nev; i++) {
			const struct q_csource *s = braid__q_catalog_source(cat, evsrc[i]);
			if (s && (s->person_fields & (1u << pa)))
				rc = braid__q_plan_touch(p, evsrc[i], f);
		}
	}
	braid__q_plan_finish(p);
	struct braid_buf *b = &p->sql;
	if (!rc)
		rc = braid_buf_puts(b, "WITH q_src(id) AS (VALUES ");
	int any = 0;
	for (size_t i = 0; !rc && i < p->nsources; i++) {
		const struct q_csource *s = braid__q_catalog_source(cat, p->sources[i]);
		if (s) {
			rc = braid_buf_printf(b, "%s(%lld)", any ? ", " : "", (long long)s->id);
			any = 1;
		}
	}
	if (!rc && !any)
		rc = braid_buf_puts(b, "(NULL)");
	if (!rc)
		rc = braid_buf_putc(b, ')');
	if (!rc && r.ctes.len)
		rc = braid_buf_append(b, r.ctes.data, r.ctes.len);
	/* One row per person considered, a 0/1 flag per predicate: one
	 * grouping of all the sets instead of a lookup per person and set. */
	if (!rc)
		rc = braid_buf_puts(b, ",\nfl AS (SELECT pid");
	for (int i = 1; !rc && i <= r.nsets; i++)
		rc = braid_buf_printf(b, ", max((k >> %d) & 1) AS p%d", i - 1, i);
	if (!rc)
		rc = braid_buf_puts(b, " FROM (");
	for (int i = 0; !rc && i < r.nslots; i++) {
		struct tslot *sl = &r.slots[i];
		rc = braid_buf_printf(b, "%s\n  SELECT pr.person_id AS pid, 0%s AS k FROM events e"
				      " JOIN person_record pr ON pr.record_key = e.record_key WHERE e.type = ",
				      i ? "\n  UNION ALL" : "", sl->bits.data);
		if (!rc)
			rc = braid__q_sql_str(b, sl->type, strlen(sl->type));
		if (!rc)
			rc = braid_buf_printf(b, "\n    AND (%s)", sl->ors.data);
	}
	if (!rc && r.flags.len)
		rc = braid_buf_printf(b, "%s%s", r.nslots ? "\n  UNION ALL " : "", r.flags.data);
	if (!rc && !r.nslots && !r.flags.len)
		rc = braid_buf_puts(b, "SELECT NULL AS pid, 0 AS k WHERE 0");
	if (!rc)
		rc = braid_buf_puts(b, ") GROUP BY pid),\nu AS (SELECT fl.*");
	char dexpr[16]; /* ages at the as-of date */
	snprintf(dexpr, sizeof dexpr, "'%s'", as_of);
	if (!rc)
		rc = braid__q_sql_attrs(b, pred_need, "fl.pid", dexpr, p);
	if (!rc)
		rc = braid_buf_puts(b, pred_need & (1u << PA_ZIP) ? " FROM fl),\nf AS (SELECT u.pid, zip, "
								  : " FROM fl),\nf AS (SELECT u.pid, ");
	if (!rc)
		rc = braid_buf_append(b, el.data, el.len);
	if (!rc)
		rc = braid_buf_puts(b, " AS eligible,\n  ");
	if (!rc)
		rc = braid_buf_append(b, en.data, en.len);
	if (!rc)
		rc = braid_buf_puts(b, " AS enrolled FROM u)\nSELECT pid AS person_id, eligible, enrolled, ");
	if (!rc && (pred_need & (1u << PA_ZIP)))
		rc = braid_buf_puts(b, "zip");
	else if (!rc)
		rc = braid__q_sql_mode(b, "zip5", "f.pid", p);
	if (!rc)
		rc = braid_buf_puts(b, " AS zip FROM f WHERE eligible OR enrolled ORDER BY person_id");
	braid_buf_release(&r.ctes);
	braid_buf_release(&r.flags);
	for (int i = 0; i < r.nslots; i++) {
		braid_buf_release(&r.slots[i].ors);
		braid_buf_release(&r.slots[i].bits);
	}
	braid_buf_release(&el);
	braid_buf_release(&en);
	if (rc) {
		braid_qplan_free(p);
		if (err && err->code && rc == err->code)
			return rc;
		return braid_err_set(err, rc, "%s", rc == BRAID_ENOMEM ? "out of memory"
									 : "rules too large to compile");
	}
	static const char *const dims[] = {"eligible", "enrolled", "zip"};
	p->dims = braid_arena_alloc(&p->arena, sizeof dims);
	if (p->dims) {
		memcpy(p->dims, dims, sizeof dims);
		p->ndims = 3;
	}
	*out = p;
	return BRAID_OK;
}
