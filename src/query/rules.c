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
 *
 * braid_rules_materialize runs a plan: when the program has no person-
 * attribute conditions it does the grouping in C (the "fast form" below:
 * the same scans and lookups, integer person numbers, the conditions over
 * flag words, latest() looked up only where it can change a row), which
 * gives the rows of the SQL in about half the time; otherwise the SQL.
 * `--explain` shows the SQL, the definition of the answer.
 */
#include "query_int.h"

#include "braid/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MAX_PREDS 62 /* one bit each in a 64-bit flag word */
#define POST_MAX 256 /* postfix steps of one condition */
#define CONSIDERED (1ull << 63) /* a person some predicate looked at */
enum { OP_PAND = -1, OP_POR = -2, OP_PNOT = -3 };

/* latest() in the fast form: per record "date|program" of its latest event
 * (the SQL's lookup, for the records that need it), then per person the greatest;
 * bit set when the program is (or, negated, is not) one of vals. */
struct rlatest {
	const char **seek; /* per atom: rk and its latest event as "date|program" for each
	                    * record key of the JSON array ?1 (one statement for all) */
	const char **recs; /* per atom: the records of the sources producing it */
	size_t natoms;
	int bit, negate;
	const char **vals;
	size_t nvals;
};

/* A rules program in parts: the per-record scans the plan's SQL groups by
 * person, so that C can do that grouping over integer keys. */
struct braid__rfast {
	const char **scans; /* SELECT record_key, k: enrolled() bits */
	int nscans;
	struct rlatest *lat;
	int nlat;
	int *el, nel, *en, nen; /* eligible, enrolled in postfix */
	const char *zips;       /* record_key, zip5 of the records the ZIP is taken from */
};

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
	/* The fast form (braid_rules_materialize): the conditions in postfix
	 * over predicate bits, and latest() per record. */
	int post[POST_MAX], npost, fast_ok;
	struct rlatest lat[MAX_PREDS];
	int nlat;
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
	struct rlatest *l = &r->lat[r->nlat++];
	l->bit = *id;
	l->natoms = n->ev.n;
	l->seek = braid_arena_zalloc(&r->p->arena, (n->ev.n + 1) * sizeof *l->seek);
	l->recs = braid_arena_zalloc(&r->p->arena, (n->ev.n + 1) * sizeof *l->recs);
	if (!l->seek || !l->recs)
		return BRAID_ENOMEM;
	for (size_t i = 0; !rc && i < n->ev.n; i++) {
		const struct q_atom *a = &n->ev.atoms[i];
		const struct q_ctype *t = braid__q_catalog_find(r->cat, a->type);
		if (i)
			rc = braid_buf_puts(b, "\n  UNION ALL");
		if (!rc)
			rc = braid_buf_puts(b, "\n  SELECT r.record_key AS rk, (");
		size_t s0 = b->len, s1 = 0, s2 = 0;
		if (!rc)
			rc = braid_buf_puts(b, "SELECT e.start_date || '|' ||"
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
		s1 = b->len;
		if (!rc)
			rc = braid_buf_puts(b, " AND e.record_key = r.record_key ORDER BY e.start_date DESC"
					    " LIMIT 1) AS dp FROM records r WHERE ");
		s2 = b->len;
		if (!rc)
			rc = braid_buf_puts(b, "r.source_id IN (NULL");
		for (size_t k = 0; !rc && t && k < t->nsources; k++) {
			const struct q_csource *cs = braid__q_catalog_source(r->cat, t->sources[k]);
			if (cs)
				rc = braid_buf_printf(b, ", %lld", (long long)cs->id);
		}
		if (!rc)
			rc = braid_buf_putc(b, ')');
		/* The same lookup one record at a time, and its records. */
		struct braid_buf t1;
		braid_buf_init(&t1, 1u << 20);
		if (!rc)
			rc = braid_buf_printf(&t1, "SELECT j.value, (%.*s AND e.record_key = j.value"
					      " ORDER BY e.start_date DESC LIMIT 1) FROM json_each(?1) j",
					      (int)(s1 - s0), b->data + s0);
		if (!rc && !(l->seek[i] = braid_arena_strdup(&r->p->arena, t1.data)))
			rc = BRAID_ENOMEM;
		braid_buf_reset(&t1);
		if (!rc)
			rc = braid_buf_printf(&t1, "SELECT r.record_key FROM records r WHERE %.*s",
					      (int)(b->len - s2), b->data + s2);
		if (!rc && !(l->recs[i] = braid_arena_strdup(&r->p->arena, t1.data)))
			rc = BRAID_ENOMEM;
		braid_buf_release(&t1);
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

static void post(struct rctx *r, int op)
{
	if (r->npost < POST_MAX)
		r->post[r->npost++] = op;
	else
		r->fast_ok = 0;
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
		post(r, n->kind == R_OR ? OP_POR : OP_PAND);
		return rc ? rc : braid_buf_putc(b, ')');
	case R_NOT:
		rc = braid_buf_puts(b, "(NOT ");
		if (!rc) rc = expr(r, n->a, b);
		post(r, OP_PNOT);
		return rc ? rc : braid_buf_putc(b, ')');
	case R_ENROLLED:
		if ((rc = braid__q_check_evspec(r->q, r->cat, &n->ev, r->err)))
			return rc;
		if ((rc = set_cte(r, n, &id)))
			return rc;
		post(r, id);
		return braid_buf_printf(b, "p%d", id);
	case R_LATEST_IN: {
		if ((rc = braid__q_check_evspec(r->q, r->cat, &n->ev, r->err)))
			return rc;
		if ((rc = set_cte(r, n, &id)))
			return rc;
		post(r, id);
		{
			struct rlatest *l = &r->lat[r->nlat - 1];
			l->negate = n->negate;
			l->nvals = n->nvals;
			l->vals = braid_arena_zalloc(&r->p->arena, (n->nvals + 1) * sizeof *l->vals);
			if (!l->vals)
				return BRAID_ENOMEM;
			for (size_t i = 0; i < n->nvals; i++) {
				if (n->vals[i].kind == V_NUM) /* SQL's text affinity rules: leave to SQL */
					r->fast_ok = 0;
				/* copied: the plan outlives the parsed file */
				l->vals[i] = braid_arena_strdup(&r->p->arena, n->vals[i].text ? n->vals[i].text : "");
				if (!l->vals[i])
					return BRAID_ENOMEM;
			}
		}
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
		r->fast_ok = 0; /* attributes per person: the SQL does those */
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

/* The plan in parts for braid_rules_materialize: the same scans and
 * latest() lookups as the SQL, and the final ZIP by the same SQL. */
static braid_rc fast_form(struct rctx *r, struct braid_qplan *p, size_t qsrc_len, int *pel, int nel)
{
	struct braid__rfast *f = braid_arena_zalloc(&p->arena, sizeof *f);
	if (!f)
		return BRAID_ENOMEM;
	f->el = pel;
	f->nel = nel;
	f->nen = r->npost;
	f->en = braid_arena_alloc(&p->arena, (size_t)(r->npost + 1) * sizeof *f->en);
	f->scans = braid_arena_zalloc(&p->arena, (size_t)(r->nslots + 1) * sizeof *f->scans);
	f->lat = braid_arena_zalloc(&p->arena, (size_t)(r->nlat + 1) * sizeof *f->lat);
	if (!f->en || !f->scans || !f->lat)
		return BRAID_ENOMEM;
	memcpy(f->en, r->post, (size_t)r->npost * sizeof *f->en);
	memcpy(f->lat, r->lat, (size_t)r->nlat * sizeof *f->lat);
	f->nlat = r->nlat;
	struct braid_buf b;
	braid_buf_init(&b, 1u << 20);
	braid_rc rc = BRAID_OK;
	for (int i = 0; !rc && i < r->nslots; i++) {
		struct tslot *sl = &r->slots[i];
		braid_buf_reset(&b);
		rc = braid_buf_printf(&b, "SELECT e.record_key, 0%s AS k FROM events e WHERE e.type = ",
				      sl->bits.data);
		if (!rc)
			rc = braid__q_sql_str(&b, sl->type, strlen(sl->type));
		if (!rc)
			rc = braid_buf_printf(&b, " AND (%s)", sl->ors.data);
		if (!rc && !(f->scans[f->nscans++] = braid_arena_strndup(&p->arena, b.data, b.len)))
			rc = BRAID_ENOMEM;
	}
	if (!rc) {
		/* The records braid__q_sql_mode("zip5") reads: q_src's. */
		braid_buf_reset(&b);
		rc = braid_buf_append(&b, p->sql.data, qsrc_len);
		if (!rc)
			rc = braid_buf_puts(&b, "\nSELECT r.record_key, r.zip5 FROM records r WHERE r.zip5 IS NOT NULL"
					    " AND r.zip5 <> '' AND r.source_id IN (SELECT id FROM q_src)");
		if (!rc && !(f->zips = braid_arena_strndup(&p->arena, b.data, b.len)))
			rc = BRAID_ENOMEM;
	}
	braid_buf_release(&b);
	if (!rc)
		p->fast = f;
	return rc;
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
	struct rctx r = {.q = q, .cat = cat, .p = p, .as_of = as_of, .err = err, .fast_ok = 1};
	braid_buf_init(&r.ctes, 1u << 20);
	braid_buf_init(&r.flags, 1u << 20);
	struct braid_buf el, en;
	braid_buf_init(&el, 1u << 20);
	braid_buf_init(&en, 1u << 20);
	int *pel = NULL, nel = 0;
	rc = expr(&r, pg->eligible, &el);
	if (!rc) {
		nel = r.npost;
		pel = braid_arena_alloc(&p->arena, (size_t)(nel + 1) * sizeof *pel);
		if (!pel)
			rc = BRAID_ENOMEM;
		else
			memcpy(pel, r.post, (size_t)nel * sizeof *pel);
		r.npost = 0;
	}
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
	size_t qsrc_len = b->len;
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
	if (!rc && r.fast_ok)
		rc = fast_form(&r, p, qsrc_len, pel, nel);
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

/* ------------------------------------------------------- the fast form
 * Persons get dense numbers in person-id order from one read of
 * person_record's person-id index; every scan ORs its bits into a flag
 * word per person (integer work, no grouping by text ids); the conditions
 * run over the flag words; the rows kept, with the mode of their records'
 * ZIPs, go straight into the result table in person-id order.  The rows
 * are those of the plan's SQL (tests/unit/test_rules_fast.c checks it on a
 * generated store, bench/query/bench_query.c at a million people). */

struct rrun {
	struct braid_store *s;
	int32_t *person_of; /* record_key -> dense person, -1 none */
	int64_t maxrk;
	uint32_t *pid_at;   /* dense person -> offset in pids */
	int32_t *first, *rks; /* person pn's records: rks[first[pn] .. first[pn + 1]) */
	struct braid_buf pids;
	int64_t np;
	uint64_t *fl;
	struct braid_err *err;
};

static int64_t person_at(const struct rrun *x, int64_t rk)
{
	return rk >= 0 && rk <= x->maxrk ? x->person_of[rk] : -1;
}

static braid_rc load_persons(struct rrun *x)
{
	struct braid_stmt *st;
	int row;
	braid_rc rc = braid_store_prepare(x->s, "SELECT max(record_key), count(*) FROM person_record", &st, x->err);
	if (rc)
		return rc;
	rc = braid_stmt_step(st, &row, x->err);
	int64_t n = 0;
	if (!rc && row) {
		x->maxrk = braid_stmt_int64(st, 0);
		n = braid_stmt_int64(st, 1);
	}
	braid_stmt_finalize(st);
	if (rc)
		return rc;
	if (x->maxrk < 0 || n < 0 || x->maxrk > INT32_MAX || n > INT32_MAX)
		return braid_err_set(x->err, BRAID_ETOOBIG, "person_record: record keys beyond 2^31");
	x->person_of = malloc(((size_t)x->maxrk + 1) * sizeof *x->person_of);
	x->pid_at = malloc(((size_t)n + 1) * sizeof *x->pid_at);
	x->first = malloc(((size_t)n + 1) * sizeof *x->first);
	x->rks = malloc(((size_t)n + 1) * sizeof *x->rks);
	if (!x->person_of || !x->pid_at || !x->first || !x->rks)
		return braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
	memset(x->person_of, 0xff, ((size_t)x->maxrk + 1) * sizeof *x->person_of);
	/* The person-id index covers this (rowid = record_key): no sort. */
	rc = braid_store_prepare(x->s, "SELECT record_key, person_id FROM person_record ORDER BY person_id",
				 &st, x->err);
	if (rc)
		return rc;
	const char *last = NULL;
	int64_t nr = 0;
	while (!(rc = braid_stmt_step(st, &row, x->err)) && row) {
		int64_t rk = braid_stmt_int64(st, 0);
		if (nr >= n) {
			rc = braid_err_set(x->err, BRAID_EINTERNAL, "person_record changed while read");
			break;
		}
		const char *pid = braid_stmt_text(st, 1);
		if (!pid)
			pid = "";
		if (!last || strcmp(pid, last)) {
			if (x->np >= n) {
				rc = braid_err_set(x->err, BRAID_EINTERNAL, "person_record changed while read");
				break;
			}
			if (x->pids.len + strlen(pid) + 1 > UINT32_MAX) {
				rc = braid_err_set(x->err, BRAID_ETOOBIG, "person ids beyond 4 GiB");
				break;
			}
			x->first[x->np] = (int32_t)nr;
			x->pid_at[x->np++] = (uint32_t)x->pids.len;
			if ((rc = braid_buf_append(&x->pids, pid, strlen(pid) + 1))) {
				rc = braid_err_set(x->err, rc, "out of memory");
				break;
			}
		}
		last = x->pids.data + x->pid_at[x->np - 1];
		x->rks[nr++] = (int32_t)rk;
		if (rk >= 0 && rk <= x->maxrk)
			x->person_of[rk] = (int32_t)(x->np - 1);
	}
	x->first[x->np] = (int32_t)nr;
	braid_stmt_finalize(st);
	if (rc)
		return rc;
	x->fl = calloc((size_t)x->np + 1, sizeof *x->fl);
	return x->fl ? BRAID_OK : braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
}

/* The scans' date('YYYY-MM-DD', '-N days') constants computed once by
 * SQLite itself (so the arithmetic is the SQL's): SQLite calls date()
 * again on every row, a fifth of a scan's time. */
static braid_rc fold_dates(struct rrun *x, const char *sql, struct braid_buf *out)
{
	braid_rc rc = BRAID_OK;
	const char *p = sql, *d;
	while (!rc && (d = strstr(p, "date('"))) {
		const char *q1 = strchr(d + 6, '\''), *q2 = q1 && !strncmp(q1, "', '", 4) ? strchr(q1 + 4, '\'') : NULL;
		int ident = d > sql && (d[-1] == '_' || (d[-1] >= 'a' && d[-1] <= 'z'));
		if (!q2 || q2[1] != ')' || ident || q2 - d > 64) {
			rc = braid_buf_append(out, p, (size_t)(d + 6 - p));
			p = d + 6;
			continue;
		}
		char sel[80];
		snprintf(sel, sizeof sel, "SELECT %.*s", (int)(q2 + 2 - d), d);
		struct braid_stmt *st = NULL;
		int row;
		rc = braid_store_prepare(x->s, sel, &st, x->err);
		if (!rc)
			rc = braid_stmt_step(st, &row, x->err);
		const char *v = !rc && row ? braid_stmt_text(st, 0) : NULL;
		if (!rc)
			rc = braid_buf_append(out, p, (size_t)(d - p));
		if (!rc && v && strlen(v) == 10 && !strchr(v, '\''))
			rc = braid_buf_printf(out, "'%s'", v);
		else if (!rc)
			rc = braid_buf_append(out, d, (size_t)(q2 + 2 - d));
		if (st)
			braid_stmt_finalize(st);
		p = q2 + 2;
	}
	if (!rc)
		rc = braid_buf_puts(out, p);
	return rc;
}

static braid_rc run_scan(struct rrun *x, const char *sql0)
{
	struct braid_stmt *st;
	int row;
	struct braid_buf b;
	braid_buf_init(&b, 0);
	braid_rc rc = fold_dates(x, sql0, &b);
	if (rc) {
		braid_buf_release(&b);
		return x->err && x->err->code ? rc : braid_err_set(x->err, rc, "out of memory");
	}
	rc = braid_store_prepare(x->s, b.data, &st, x->err);
	braid_buf_release(&b);
	if (rc)
		return rc;
	while (!(rc = braid_stmt_step(st, &row, x->err)) && row) {
		int64_t pn = person_at(x, braid_stmt_int64(st, 0));
		if (pn >= 0)
			x->fl[pn] |= (uint64_t)braid_stmt_int64(st, 1) | CONSIDERED;
	}
	braid_stmt_finalize(st);
	return rc;
}

static int eval_post(const int *ops, int n, uint64_t fl)
{
	unsigned char st[POST_MAX];
	int sp = 0;
	for (int i = 0; i < n; i++) {
		int op = ops[i];
		if (op > 0)
			st[sp++] = (fl >> (op - 1)) & 1;
		else if (op == OP_PNOT)
			st[sp - 1] = !st[sp - 1];
		else {
			sp--;
			st[sp - 1] = op == OP_PAND ? (st[sp - 1] && st[sp]) : (st[sp - 1] || st[sp]);
		}
	}
	return sp ? st[0] : 0;
}

/* Which persons' latest() values matter: those for whom some outcome of
 * the latest() tests writes a row, and the written row (or, for a person
 * no scan found, whether they are considered at all) depends on it.  The
 * others keep the SQL's answer without a lookup (an account holder with
 * no benefit is neither eligible nor enrolled whatever the account says). */
static void mark_need(const struct rrun *x, const struct braid__rfast *f, unsigned char *need)
{
	uint64_t lbits[8];
	int nl = f->nlat;
	if (nl > 8) {
		memset(need, 1, (size_t)x->np);
		return;
	}
	for (int i = 0; i < nl; i++)
		lbits[i] = 1ull << (f->lat[i].bit - 1);
	uint64_t last = 0;
	int last_need = -1;
	for (int64_t pn = 0; pn < x->np; pn++) {
		uint64_t w = x->fl[pn];
		if (last_need >= 0 && w == last) {
			need[pn] = (unsigned char)last_need;
			continue;
		}
		int any = 0, same = 1, el0 = -1, en0 = -1;
		for (unsigned a = 0; a < 1u << nl; a++) {
			uint64_t v = w;
			for (int i = 0; i < nl; i++)
				if (a & (1u << i))
					v |= lbits[i];
			int el = eval_post(f->el, f->nel, v), en = eval_post(f->en, f->nen, v);
			any |= el || en;
			if (el0 >= 0 && (el != el0 || en != en0))
				same = 0;
			el0 = el;
			en0 = en;
		}
		last = w;
		last_need = any && (!same || !(w & CONSIDERED));
		need[pn] = (unsigned char)last_need;
	}
}

/* latest(): the greatest "date|program" per person over the records of
 * the persons that need it, then the test on the program (what follows
 * the 11 characters "YYYY-MM-DD|"; empty = none). */
static braid_rc run_latest(struct rrun *x, const struct rlatest *l, const unsigned char *need)
{
	const char **best = calloc((size_t)x->np + 1, sizeof *best);
	struct braid_arena a;
	braid_arena_init(&a, 1u << 20);
	if (!best)
		return braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
	braid_rc rc = BRAID_OK;
	struct braid_buf keys;
	braid_buf_init(&keys, 0);
	for (size_t i = 0; !rc && i < l->natoms; i++) {
		struct braid_stmt *rs = NULL, *sk = NULL;
		int row;
		braid_buf_reset(&keys);
		rc = braid_buf_putc(&keys, '[');
		if (!rc)
			rc = braid_store_prepare(x->s, l->recs[i], &rs, x->err);
		while (!rc && !(rc = braid_stmt_step(rs, &row, x->err)) && row) {
			int64_t rk = braid_stmt_int64(rs, 0), pn = person_at(x, rk);
			if (pn >= 0 && need[pn] && braid_buf_printf(&keys, "%s%lld", keys.len > 1 ? "," : "", (long long)rk))
				rc = braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
		}
		if (rs)
			braid_stmt_finalize(rs);
		if (!rc && braid_buf_putc(&keys, ']'))
			rc = braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
		if (!rc)
			rc = braid_store_prepare(x->s, l->seek[i], &sk, x->err);
		if (!rc && braid_stmt_bind_text(sk, 1, keys.data, (long)keys.len))
			rc = braid_err_set(x->err, BRAID_EINTERNAL, "latest: cannot bind the record keys");
		while (!rc && !(rc = braid_stmt_step(sk, &row, x->err)) && row) {
			int64_t pn = person_at(x, braid_stmt_int64(sk, 0));
			/* no event: NULL (which braid_stmt_text would give as "") */
			const char *dp = braid_stmt_is_null(sk, 1) ? NULL : braid_stmt_text(sk, 1);
			if (pn < 0 || !dp || (best[pn] && strcmp(dp, best[pn]) <= 0))
				continue;
			if (!(best[pn] = braid_arena_strdup(&a, dp)))
				rc = braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
		}
		if (sk)
			braid_stmt_finalize(sk);
	}
	braid_buf_release(&keys);
	for (int64_t pn = 0; !rc && pn < x->np; pn++) {
		if (!best[pn])
			continue;
		const char *prog = strlen(best[pn]) > 11 ? best[pn] + 11 : NULL;
		int in = 0;
		for (size_t i = 0; prog && !in && i < l->nvals; i++)
			in = !strcmp(prog, l->vals[i]);
		int holds = l->negate ? !in : (prog && in);
		x->fl[pn] |= CONSIDERED | (holds ? 1ull << (l->bit - 1) : 0);
	}
	free(best);
	braid_arena_release(&a);
	return rc;
}

#define WRITTEN (1ull << 62) /* a person whose row is written (beside the predicate bits) */

/* ZIPs interned: one number per distinct value, so that a record costs an
 * int and the mode a few comparisons. */
struct zipset {
	const char **val;  /* by number */
	int32_t *slot;     /* open addressing: number + 1, 0 empty */
	size_t n, cap;     /* cap: slots, a power of two */
	struct braid_arena a;
};

static int32_t zip_intern(struct zipset *z, const char *s)
{
	if (2 * (z->n + 1) > z->cap) {
		size_t cap = z->cap ? 2 * z->cap : 1024;
		int32_t *slot = calloc(cap, sizeof *slot);
		const char **val = realloc(z->val, cap / 2 * sizeof *val);
		if (!slot || !val) {
			free(slot);
			if (val)
				z->val = val;
			return -1;
		}
		z->val = val;
		for (size_t i = 0; i < z->cap; i++) {
			if (!z->slot[i])
				continue;
			const char *v = z->val[z->slot[i] - 1];
			size_t h = (size_t)braid_hash64(v, strlen(v), 0) & (cap - 1);
			while (slot[h])
				h = (h + 1) & (cap - 1);
			slot[h] = z->slot[i];
		}
		free(z->slot);
		z->slot = slot;
		z->cap = cap;
	}
	size_t h = (size_t)braid_hash64(s, strlen(s), 0) & (z->cap - 1);
	while (z->slot[h]) {
		if (!strcmp(z->val[z->slot[h] - 1], s))
			return z->slot[h] - 1;
		h = (h + 1) & (z->cap - 1);
	}
	const char *v = braid_arena_strdup(&z->a, s);
	if (!v || z->n >= INT32_MAX - 1)
		return -1;
	z->val[z->n] = v;
	z->slot[h] = (int32_t)++z->n;
	return (int32_t)z->n - 1;
}

/* The ZIP of each written person's records (-1 none), for the mode. */
static braid_rc load_zips(struct rrun *x, const struct braid__rfast *f, struct zipset *z, int32_t *zip_of)
{
	struct braid_stmt *st = NULL;
	int row;
	braid_rc rc = braid_store_prepare(x->s, f->zips, &st, x->err);
	while (!rc && !(rc = braid_stmt_step(st, &row, x->err)) && row) {
		int64_t rk = braid_stmt_int64(st, 0), pn = person_at(x, rk);
		const char *v = braid_stmt_text(st, 1);
		if (pn < 0 || !(x->fl[pn] & WRITTEN) || !v)
			continue;
		if ((zip_of[rk] = zip_intern(z, v)) < 0)
			rc = braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
	}
	if (st)
		braid_stmt_finalize(st);
	return rc;
}

/* The most common ZIP over person pn's records, ties to the smallest (as
 * braid__q_sql_mode: GROUP BY zip ORDER BY count(*) DESC, zip). */
static const char *zip_mode(const struct rrun *x, const struct zipset *z, const int32_t *zip_of, int64_t pn)
{
	int32_t best = -1, bestn = 0;
	for (int32_t i = x->first[pn]; i < x->first[pn + 1]; i++) {
		int32_t v = zip_of[x->rks[i]];
		if (v < 0)
			continue;
		int32_t c = 0;
		for (int32_t j = x->first[pn]; j < x->first[pn + 1]; j++)
			c += zip_of[x->rks[j]] == v;
		if (c > bestn || (c == bestn && strcmp(z->val[v], z->val[best]) < 0)) {
			best = v;
			bestn = c;
		}
	}
	return best < 0 ? NULL : z->val[best];
}

/* The rows, in person-id order, straight into the result table. */
static braid_rc write_rows(struct rrun *x, const struct braid__rfast *f, const char *table)
{
	for (int64_t pn = 0; pn < x->np; pn++)
		if ((x->fl[pn] & CONSIDERED) &&
		    (eval_post(f->el, f->nel, x->fl[pn]) || eval_post(f->en, f->nen, x->fl[pn])))
			x->fl[pn] |= WRITTEN;
	struct zipset z = {0};
	braid_arena_init(&z.a, 4096);
	int32_t *zip_of = malloc(((size_t)x->maxrk + 1) * sizeof *zip_of);
	if (!zip_of)
		return braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
	memset(zip_of, 0xff, ((size_t)x->maxrk + 1) * sizeof *zip_of);
	braid_rc rc = load_zips(x, f, &z, zip_of);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	if (!rc && braid_buf_printf(&b, "DROP TABLE IF EXISTS temp.%s; CREATE TEMP TABLE %s(person_id TEXT,"
				    " eligible INTEGER, enrolled INTEGER, zip TEXT); SAVEPOINT q_rf", table, table))
		rc = braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
	if (!rc)
		rc = braid_store_exec(x->s, b.data, x->err);
	int open = !rc;
	struct braid_stmt *st = NULL;
	if (!rc) {
		braid_buf_reset(&b);
		if (braid_buf_printf(&b, "INSERT INTO temp.%s VALUES (?1, ?2, ?3, ?4)", table))
			rc = braid_err_set(x->err, BRAID_ENOMEM, "out of memory");
		else
			rc = braid_store_prepare(x->s, b.data, &st, x->err);
	}
	for (int64_t pn = 0; !rc && pn < x->np; pn++) {
		if (!(x->fl[pn] & WRITTEN))
			continue;
		const char *zip = zip_mode(x, &z, zip_of, pn);
		int row;
		braid_stmt_reset(st);
		rc = braid_stmt_bind_text(st, 1, x->pids.data + x->pid_at[pn], -1);
		if (!rc)
			rc = braid_stmt_bind_int64(st, 2, eval_post(f->el, f->nel, x->fl[pn]));
		if (!rc)
			rc = braid_stmt_bind_int64(st, 3, eval_post(f->en, f->nen, x->fl[pn]));
		if (!rc)
			rc = zip ? braid_stmt_bind_text(st, 4, zip, -1) : braid_stmt_bind_null(st, 4);
		if (rc)
			rc = braid_err_set(x->err, rc, "%s: cannot bind a row", table);
		else
			rc = braid_stmt_step(st, &row, x->err);
	}
	if (st)
		braid_stmt_finalize(st);
	if (open) {
		braid_rc rc2 = braid_store_exec(x->s, rc ? "ROLLBACK TO q_rf; RELEASE q_rf" : "RELEASE q_rf", x->err);
		if (!rc)
			rc = rc2;
	}
	braid_buf_release(&b);
	free(zip_of);
	free(z.val);
	free(z.slot);
	braid_arena_release(&z.a);
	return rc;
}

braid_rc braid_rules_materialize(struct braid_store *s, const struct braid_qplan *p,
				 const char *table, struct braid_err *err)
{
	const struct braid__rfast *f = p ? p->fast : NULL;
	if (!f)
		return braid_qplan_materialize(s, p, table, err);
	struct rrun x = {.s = s, .err = err};
	braid_buf_init(&x.pids, 0);
	braid_rc rc = load_persons(&x);
	for (int i = 0; !rc && i < f->nscans; i++)
		rc = run_scan(&x, f->scans[i]);
	unsigned char *need = NULL;
	if (!rc && f->nlat && !(need = malloc((size_t)x.np + 1)))
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (need)
		mark_need(&x, f, need);
	for (int i = 0; !rc && i < f->nlat; i++)
		rc = run_latest(&x, &f->lat[i], need);
	free(need);
	if (!rc)
		rc = write_rows(&x, f, table);
	free(x.person_of);
	free(x.pid_at);
	free(x.first);
	free(x.rks);
	free(x.fl);
	braid_buf_release(&x.pids);
	return rc;
}
