/*
 * The parser of cohort files and rules files (one recursive-descent parser
 * with one token of lookahead; grammar in docs/query-language.md).
 *
 * It builds the syntax tree in the query's arena and resolves names given
 * by `define` as it goes (a definition must come before its use, so a file
 * reads top to bottom).  A name that is not a definition is taken as an
 * event type; whether that type exists is checked later against the
 * catalog of the store (braid__q_check_evspec), because parsing needs no
 * store.  Errors stop at the first problem with its line:column.
 */
#include "query_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

const char *const braid__q_pattr_names[PA__COUNT] = {
	"age", "age_band", "sex", "race", "ethnicity", "zip", "year", "tract", "district"};

static const char *const efield_names[] = {"program", "provider", "amount", "start", "end", "attr"};

#define MAX_ITEMS 256 /* atoms, clauses, conditions, values, definitions */
#define MAX_DEPTH 64  /* nesting of rule conditions */

struct parser {
	struct q_lexer lx;
	struct q_token t;   /* current */
	struct braid_query *q;
	struct braid_err *err;
	const char *file;
	int depth;
};

static braid_rc next(struct parser *ps)
{
	return braid__q_lex_next(&ps->lx, &ps->t, ps->err);
}

static int is_word(const struct q_token *t, const char *w)
{
	return t->kind == T_IDENT && !strcmp(t->str, w);
}

static braid_rc fail_at(struct parser *ps, const struct q_token *t, const char *expected)
{
	char got[80];
	if (t->kind == T_IDENT || t->kind == T_NUMBER || t->kind == T_DATE)
		snprintf(got, sizeof got, "'%.60s'", t->str);
	else if (t->kind == T_STRING)
		snprintf(got, sizeof got, "a string");
	else
		snprintf(got, sizeof got, "%s", braid__q_tok_name(t->kind));
	return braid_err_at(ps->err, BRAID_EPARSE, ps->file, t->line, t->col,
			    "expected %s, found %s", expected, got);
}

static braid_rc expect_word(struct parser *ps, const char *w)
{
	if (!is_word(&ps->t, w)) {
		char e[80];
		snprintf(e, sizeof e, "'%s'", w);
		return fail_at(ps, &ps->t, e);
	}
	return next(ps);
}

static braid_rc expect(struct parser *ps, enum q_tok k)
{
	if (ps->t.kind != k)
		return fail_at(ps, &ps->t, braid__q_tok_name(k));
	return next(ps);
}

/* Grow an arena array by one: arrays here are short, so a copy per growth
 * at powers of two keeps it simple. */
static void *grow(struct parser *ps, void *arr, size_t n, size_t size)
{
	if (n >= MAX_ITEMS) {
		braid_err_at(ps->err, BRAID_ETOOBIG, ps->file, ps->t.line, ps->t.col,
			     "more than %d items in one list", MAX_ITEMS);
		return NULL;
	}
	if (n && (n & (n - 1)))
		return arr; /* capacity is the next power of two */
	size_t cap = n ? n * 2 : 1;
	void *p = braid_arena_zalloc(&ps->q->arena, cap * size);
	if (!p) {
		braid_err_set(ps->err, BRAID_ENOMEM, "out of memory");
		return NULL;
	}
	if (n)
		memcpy(p, arr, n * size);
	return p;
}
#define PUSH(ps, arr, n) \
	((arr) = grow((ps), (arr), (n), sizeof *(arr)), (arr) ? &(arr)[(n)++] : NULL)

static int pattr_of(const char *w)
{
	for (int i = 0; i < PA__COUNT; i++)
		if (!strcmp(w, braid__q_pattr_names[i]))
			return i;
	return -1;
}

static int efield_of(const char *w)
{
	for (int i = 0; i < (int)(sizeof efield_names / sizeof efield_names[0]); i++)
		if (!strcmp(w, efield_names[i]))
			return i;
	return -1;
}

/* ------------------------------------------------------------ values */

static braid_rc parse_value(struct parser *ps, struct q_value *v)
{
	switch (ps->t.kind) {
	case T_STRING: v->kind = V_STR; break;
	case T_IDENT: v->kind = V_STR; break; /* bare words are strings: race = black */
	case T_NUMBER: v->kind = V_NUM; v->num = ps->t.num; break;
	case T_DATE:
		v->kind = V_DATE;
		if (!braid_iso_date_valid(ps->t.str))
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, ps->t.line, ps->t.col,
					    "'%s' is not a calendar date", ps->t.str);
		break;
	default:
		return fail_at(ps, &ps->t, "a value (string, number or date)");
	}
	v->text = ps->t.str;
	return next(ps);
}

/* op value | in (v, ...) | not in (v, ...) | between v and v */
static braid_rc parse_cond_rest(struct parser *ps, struct q_cond *c)
{
	braid_rc rc;
	int neg = 0;
	if (is_word(&ps->t, "not")) {
		neg = 1;
		if ((rc = next(ps)))
			return rc;
		if (!is_word(&ps->t, "in"))
			return fail_at(ps, &ps->t, "'in' after 'not'");
	}
	if (is_word(&ps->t, "in")) {
		c->op = neg ? OP_NOT_IN : OP_IN;
		if ((rc = next(ps)) || (rc = expect(ps, T_LPAREN)))
			return rc;
		for (;;) {
			struct q_value *v = PUSH(ps, c->vals, c->nvals);
			if (!v)
				return ps->err ? ps->err->code : BRAID_ENOMEM;
			if ((rc = parse_value(ps, v)))
				return rc;
			if (ps->t.kind == T_COMMA) {
				if ((rc = next(ps)))
					return rc;
				continue;
			}
			return expect(ps, T_RPAREN);
		}
	}
	if (is_word(&ps->t, "between")) {
		c->op = OP_BETWEEN;
		c->vals = braid_arena_zalloc(&ps->q->arena, 2 * sizeof *c->vals);
		if (!c->vals)
			return braid_err_set(ps->err, BRAID_ENOMEM, "out of memory");
		c->nvals = 2;
		if ((rc = next(ps)) || (rc = parse_value(ps, &c->vals[0])) ||
		    (rc = expect_word(ps, "and")) || (rc = parse_value(ps, &c->vals[1])))
			return rc;
		return BRAID_OK;
	}
	switch (ps->t.kind) {
	case T_EQ: c->op = OP_EQ; break;
	case T_NE: c->op = OP_NE; break;
	case T_LT: c->op = OP_LT; break;
	case T_LE: c->op = OP_LE; break;
	case T_GT: c->op = OP_GT; break;
	case T_GE: c->op = OP_GE; break;
	default:
		return fail_at(ps, &ps->t, "a comparison (=, !=, <, <=, >, >=, in, not in, between)");
	}
	c->vals = braid_arena_zalloc(&ps->q->arena, sizeof *c->vals);
	if (!c->vals)
		return braid_err_set(ps->err, BRAID_ENOMEM, "out of memory");
	c->nvals = 1;
	if ((rc = next(ps)))
		return rc;
	return parse_value(ps, &c->vals[0]);
}

static braid_rc check_person_value(struct parser *ps, const struct q_cond *c)
{
	int numeric = c->field == PA_AGE || c->field == PA_YEAR;
	for (size_t i = 0; i < c->nvals; i++)
		if (numeric && c->vals[i].kind != V_NUM)
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, c->line, c->col,
					    "%s compares with numbers", braid__q_pattr_names[c->field]);
	return BRAID_OK;
}

/* ------------------------------------------------------------ events */

/* Conditions after 'where' on an event.  Person attributes are allowed
 * only when pconds is given (the index event: `index event x where age >=
 * 18` reads naturally) and go there. */
static braid_rc parse_where(struct parser *ps, struct q_atom *a, int person_ok)
{
	braid_rc rc;
	for (;;) {
		struct q_token f = ps->t;
		if (f.kind != T_IDENT)
			return fail_at(ps, &f, "an event field (program, provider, amount, start, end, attr.NAME)");
		int ef = efield_of(f.str), pa = pattr_of(f.str);
		struct q_cond *c;
		if (ef < 0 && pa >= 0 && person_ok) {
			c = PUSH(ps, ps->q->pconds, ps->q->npconds);
			if (!c)
				return ps->err->code;
			c->field = pa;
		} else if (ef < 0) {
			/* Suggest the nearest field name. */
			const char *best = NULL;
			size_t bd = 3;
			for (size_t i = 0; i < sizeof efield_names / sizeof efield_names[0]; i++) {
				size_t d = braid_edit_distance(f.str, efield_names[i], 2);
				if (d < bd) {
					bd = d;
					best = efield_names[i];
				}
			}
			if (pa >= 0)
				return braid_err_at(ps->err, BRAID_EPARSE, ps->file, f.line, f.col,
						    "'%s' is a person attribute: put it on the index event or "
						    "in a 'where' statement", f.str);
			if (best)
				return braid_err_at(ps->err, BRAID_EPARSE, ps->file, f.line, f.col,
						    "unknown event field '%s' (did you mean '%s'?)", f.str, best);
			return fail_at(ps, &f, "an event field (program, provider, amount, start, end, attr.NAME)");
		} else {
			c = PUSH(ps, a->conds, a->nconds);
			if (!c)
				return ps->err->code;
			c->field = ef;
		}
		c->line = f.line;
		c->col = f.col;
		if ((rc = next(ps)))
			return rc;
		if (ef == EF_ATTR) {
			if ((rc = expect(ps, T_DOT)))
				return rc;
			if (ps->t.kind != T_IDENT)
				return fail_at(ps, &ps->t, "an attribute name after 'attr.'");
			c->attr = ps->t.str;
			if ((rc = next(ps)))
				return rc;
		}
		if ((rc = parse_cond_rest(ps, c)))
			return rc;
		if (ef < 0 && (rc = check_person_value(ps, c)))
			return rc;
		if (ef == EF_START || ef == EF_END)
			for (size_t i = 0; i < c->nvals; i++)
				if (c->vals[i].kind != V_DATE)
					return braid_err_at(ps->err, BRAID_EPARSE, ps->file, c->line, c->col,
							    "%s compares with dates (YYYY-MM-DD)", f.str);
		if (!is_word(&ps->t, "and"))
			return BRAID_OK;
		if ((rc = next(ps)))
			return rc;
	}
}

static const struct q_define *find_def(const struct braid_query *q, const char *name)
{
	for (size_t i = 0; i < q->ndefs; i++)
		if (!strcmp(q->defs[i].name, name))
			return &q->defs[i];
	return NULL;
}

static int reserved(const char *w)
{
	static const char *const kw[] = {"define", "index", "require", "exclude", "where", "count",
					 "event", "within", "during", "ever", "before", "after",
					 "around", "and", "or", "not", "in", "between", "by",
					 "program", "eligible", "enrolled", "if", "latest", NULL};
	for (int i = 0; kw[i]; i++)
		if (!strcmp(w, kw[i]))
			return 1;
	return 0;
}

/* evspec := atom { "or" atom };  atom := "event" TYPE [where] | NAME [where] */
static braid_rc parse_evspec(struct parser *ps, struct q_evspec *ev, int person_ok)
{
	braid_rc rc;
	memset(ev, 0, sizeof *ev);
	for (;;) {
		struct q_token t = ps->t;
		int explicit = is_word(&t, "event");
		if (explicit) {
			if ((rc = next(ps)))
				return rc;
			t = ps->t;
		}
		if (t.kind != T_IDENT || (reserved(t.str) && !explicit))
			return fail_at(ps, &t, explicit ? "an event type" : "'event TYPE' or a defined name");
		if ((rc = next(ps)))
			return rc;
		const struct q_define *d = explicit ? NULL : find_def(ps->q, t.str);
		size_t first = ev->n;
		if (d) {
			for (size_t i = 0; i < d->ev.n; i++) {
				struct q_atom *a = PUSH(ps, ev->atoms, ev->n);
				if (!a)
					return ps->err->code;
				*a = d->ev.atoms[i];
			}
		} else {
			struct q_atom *a = PUSH(ps, ev->atoms, ev->n);
			if (!a)
				return ps->err->code;
			a->type = t.str;
			a->line = t.line;
			a->col = t.col;
		}
		if (is_word(&ps->t, "where")) {
			if ((rc = next(ps)))
				return rc;
			/* Extra conditions apply to each alternative of a
			 * definition: parse once, then append to each. */
			struct q_atom extra = {0};
			size_t before = ps->q->npconds;
			if ((rc = parse_where(ps, &extra, person_ok)))
				return rc;
			(void)before;
			for (size_t i = first; i < ev->n; i++) {
				struct q_atom *a = &ev->atoms[i];
				size_t n = a->nconds + extra.nconds;
				struct q_cond *cs = braid_arena_zalloc(&ps->q->arena, (n ? n : 1) * sizeof *cs);
				if (!cs)
					return braid_err_set(ps->err, BRAID_ENOMEM, "out of memory");
				if (a->nconds)
					memcpy(cs, a->conds, a->nconds * sizeof *cs);
				if (extra.nconds)
					memcpy(cs + a->nconds, extra.conds, extra.nconds * sizeof *cs);
				a->conds = cs;
				a->nconds = n;
			}
		}
		if (!is_word(&ps->t, "or"))
			return BRAID_OK;
		if ((rc = next(ps)))
			return rc;
	}
}

static braid_rc parse_unit(struct parser *ps, struct q_window *w)
{
	const char *u = ps->t.kind == T_IDENT ? ps->t.str : "";
	if (!strcmp(u, "day") || !strcmp(u, "days"))
		w->unit = 'd';
	else if (!strcmp(u, "week") || !strcmp(u, "weeks")) {
		w->unit = 'd';
		w->n *= 7;
	} else if (!strcmp(u, "month") || !strcmp(u, "months"))
		w->unit = 'm';
	else if (!strcmp(u, "year") || !strcmp(u, "years"))
		w->unit = 'y';
	else
		return fail_at(ps, &ps->t, "a unit (days, weeks, months, years)");
	return next(ps);
}

static braid_rc parse_count(struct parser *ps, struct q_window *w)
{
	if (ps->t.kind != T_NUMBER || ps->t.num != (double)(long)ps->t.num || ps->t.num < 0 ||
	    ps->t.num > 36500)
		return fail_at(ps, &ps->t, "a whole number of days, weeks, months or years (0..36500)");
	w->n = (long)ps->t.num;
	return next(ps);
}

/* within N unit (before|after|around) | during | ever | before | after */
static braid_rc parse_window(struct parser *ps, struct q_window *w)
{
	braid_rc rc;
	memset(w, 0, sizeof *w);
	if (is_word(&ps->t, "within")) {
		if ((rc = next(ps)) || (rc = parse_count(ps, w)) || (rc = parse_unit(ps, w)))
			return rc;
		if (is_word(&ps->t, "before"))
			w->kind = W_WITHIN_BEFORE;
		else if (is_word(&ps->t, "after"))
			w->kind = W_WITHIN_AFTER;
		else if (is_word(&ps->t, "around"))
			w->kind = W_WITHIN_AROUND;
		else
			return fail_at(ps, &ps->t, "'before', 'after' or 'around'");
		return next(ps);
	}
	if (is_word(&ps->t, "during"))
		w->kind = W_DURING;
	else if (is_word(&ps->t, "ever"))
		w->kind = W_EVER;
	else if (is_word(&ps->t, "before"))
		w->kind = W_BEFORE;
	else if (is_word(&ps->t, "after"))
		w->kind = W_AFTER;
	else
		return fail_at(ps, &ps->t, "a time window ('within N days before', 'during', 'ever', ...)");
	return next(ps);
}

static braid_rc parse_define(struct parser *ps)
{
	braid_rc rc;
	if ((rc = next(ps)))
		return rc;
	struct q_token name = ps->t;
	if (name.kind != T_IDENT || reserved(name.str))
		return fail_at(ps, &name, "a name to define");
	if (find_def(ps->q, name.str))
		return braid_err_at(ps->err, BRAID_EPARSE, ps->file, name.line, name.col,
				    "'%s' is already defined", name.str);
	if ((rc = next(ps)) || (rc = expect(ps, T_EQ)))
		return rc;
	struct q_evspec ev;
	if ((rc = parse_evspec(ps, &ev, 0)))
		return rc;
	struct q_define *d = PUSH(ps, ps->q->defs, ps->q->ndefs);
	if (!d)
		return ps->err->code;
	d->name = name.str;
	d->ev = ev;
	d->line = name.line;
	d->col = name.col;
	return BRAID_OK;
}

/* ------------------------------------------------------------ cohorts */

static braid_rc parse_dim(struct parser *ps)
{
	struct q_token t = ps->t;
	int pa = t.kind == T_IDENT ? pattr_of(t.str) : -1;
	if (pa < 0) {
		if (t.kind == T_IDENT) {
			const char *best = NULL;
			size_t bd = 3;
			for (int i = 0; i < PA__COUNT; i++) {
				size_t d = braid_edit_distance(t.str, braid__q_pattr_names[i], 2);
				if (d < bd) {
					bd = d;
					best = braid__q_pattr_names[i];
				}
			}
			if (best)
				return braid_err_at(ps->err, BRAID_EPARSE, ps->file, t.line, t.col,
						    "unknown breakdown '%s' (did you mean '%s'?)", t.str, best);
		}
		return fail_at(ps, &t, "a breakdown (age_band, sex, race, ethnicity, zip, tract, district, year)");
	}
	if (pa == PA_AGE)
		pa = PA_AGE_BAND; /* ages are shown in bands, never single years */
	for (size_t i = 0; i < ps->q->ndims; i++)
		if (ps->q->dims[i] == pa)
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, t.line, t.col,
					    "'%s' is already a breakdown", t.str);
	if (ps->q->ndims >= 4)
		return braid_err_at(ps->err, BRAID_EPARSE, ps->file, t.line, t.col,
				    "at most 4 breakdowns");
	int *d = PUSH(ps, ps->q->dims, ps->q->ndims);
	if (!d)
		return ps->err->code;
	*d = pa;
	return next(ps);
}

static braid_rc parse_cohort_stmt(struct parser *ps)
{
	braid_rc rc;
	struct braid_query *q = ps->q;
	struct q_token t = ps->t;
	if (is_word(&t, "define"))
		return parse_define(ps);
	if (is_word(&t, "index")) {
		if (q->has_index)
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, t.line, t.col,
					    "a cohort has one index event");
		if ((rc = next(ps)) || (rc = parse_evspec(ps, &q->index, 1)))
			return rc;
		q->has_index = 1;
		q->index_line = t.line;
		q->index_col = t.col;
		return BRAID_OK;
	}
	if (is_word(&t, "require") || is_word(&t, "exclude")) {
		struct q_clause *c = PUSH(ps, q->clauses, q->nclauses);
		if (!c)
			return ps->err->code;
		c->exclude = is_word(&t, "exclude");
		c->line = t.line;
		c->col = t.col;
		if ((rc = next(ps)) || (rc = parse_evspec(ps, &c->ev, 0)))
			return rc;
		return parse_window(ps, &c->w);
	}
	if (is_word(&t, "where")) {
		if ((rc = next(ps)))
			return rc;
		for (;;) {
			struct q_token f = ps->t;
			int pa = f.kind == T_IDENT ? pattr_of(f.str) : -1;
			if (pa < 0 || pa == PA_AGE_BAND)
				return fail_at(ps, &f, "a person attribute (age, sex, race, ethnicity, zip, year)");
			struct q_cond *c = PUSH(ps, q->pconds, q->npconds);
			if (!c)
				return ps->err->code;
			c->field = pa;
			c->line = f.line;
			c->col = f.col;
			if ((rc = next(ps)) || (rc = parse_cond_rest(ps, c)) ||
			    (rc = check_person_value(ps, c)))
				return rc;
			if (!is_word(&ps->t, "and"))
				return BRAID_OK;
			if ((rc = next(ps)))
				return rc;
		}
	}
	if (is_word(&t, "count")) {
		if ((rc = next(ps)))
			return rc;
		if (!is_word(&ps->t, "persons") && !is_word(&ps->t, "people"))
			return fail_at(ps, &ps->t, "'persons'");
		if ((rc = next(ps)))
			return rc;
		if (!is_word(&ps->t, "by"))
			return BRAID_OK;
		if ((rc = next(ps)))
			return rc;
		for (;;) {
			if ((rc = parse_dim(ps)))
				return rc;
			if (ps->t.kind != T_COMMA)
				return BRAID_OK;
			if ((rc = next(ps)))
				return rc;
		}
	}
	return fail_at(ps, &t, "a statement (define, index, require, exclude, where, count)");
}

/* ------------------------------------------------------------ rules */

static braid_rc parse_or(struct parser *ps, struct r_node **out);

static struct r_node *node(struct parser *ps, enum r_kind k, const struct q_token *t)
{
	struct r_node *n = braid_arena_zalloc(&ps->q->arena, sizeof *n);
	if (!n) {
		braid_err_set(ps->err, BRAID_ENOMEM, "out of memory");
		return NULL;
	}
	n->kind = k;
	n->line = t->line;
	n->col = t->col;
	return n;
}

/* factor := not factor | ( or ) | enrolled(ev [, window]) | has(...)
 *         | latest(ev) [not] in (values) | person-attribute op value */
static braid_rc parse_factor(struct parser *ps, struct r_node **out)
{
	braid_rc rc;
	struct q_token t = ps->t;
	if (++ps->depth > MAX_DEPTH)
		return braid_err_at(ps->err, BRAID_ETOOBIG, ps->file, t.line, t.col,
				    "conditions nested deeper than %d", MAX_DEPTH);
	if (is_word(&t, "not")) {
		struct r_node *n = node(ps, R_NOT, &t);
		if (!n)
			return BRAID_ENOMEM;
		if ((rc = next(ps)) || (rc = parse_factor(ps, &n->a)))
			return rc;
		*out = n;
	} else if (t.kind == T_LPAREN) {
		if ((rc = next(ps)) || (rc = parse_or(ps, out)) || (rc = expect(ps, T_RPAREN)))
			return rc;
	} else if (is_word(&t, "enrolled") || is_word(&t, "has")) {
		struct r_node *n = node(ps, R_ENROLLED, &t);
		if (!n)
			return BRAID_ENOMEM;
		if ((rc = next(ps)) || (rc = expect(ps, T_LPAREN)) ||
		    (rc = parse_evspec(ps, &n->ev, 0)))
			return rc;
		n->w.kind = W_AT;
		if (ps->t.kind == T_COMMA) {
			if ((rc = next(ps)))
				return rc;
			if (is_word(&ps->t, "ever")) {
				n->w.kind = W_EVER;
				if ((rc = next(ps)))
					return rc;
			} else {
				if ((rc = expect_word(ps, "within")) || (rc = parse_count(ps, &n->w)) ||
				    (rc = parse_unit(ps, &n->w)))
					return rc;
				n->w.kind = W_WITHIN_BEFORE;
			}
		}
		if ((rc = expect(ps, T_RPAREN)))
			return rc;
		*out = n;
	} else if (is_word(&t, "latest")) {
		struct r_node *n = node(ps, R_LATEST_IN, &t);
		if (!n)
			return BRAID_ENOMEM;
		if ((rc = next(ps)) || (rc = expect(ps, T_LPAREN)) ||
		    (rc = parse_evspec(ps, &n->ev, 0)) || (rc = expect(ps, T_RPAREN)))
			return rc;
		struct q_cond c = {0};
		if ((rc = parse_cond_rest(ps, &c)))
			return rc;
		if (c.op != OP_IN && c.op != OP_NOT_IN && c.op != OP_EQ && c.op != OP_NE)
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, t.line, t.col,
					    "latest(...) compares with =, !=, in or not in");
		n->negate = c.op == OP_NOT_IN || c.op == OP_NE;
		n->vals = c.vals;
		n->nvals = c.nvals;
		*out = n;
	} else if (t.kind == T_IDENT && pattr_of(t.str) >= 0 && pattr_of(t.str) != PA_AGE_BAND &&
		   pattr_of(t.str) != PA_YEAR) {
		struct r_node *n = node(ps, R_PERSON, &t);
		if (!n)
			return BRAID_ENOMEM;
		n->pc.field = pattr_of(t.str);
		n->pc.line = t.line;
		n->pc.col = t.col;
		if ((rc = next(ps)) || (rc = parse_cond_rest(ps, &n->pc)) ||
		    (rc = check_person_value(ps, &n->pc)))
			return rc;
		*out = n;
	} else {
		return fail_at(ps, &t, "a condition (enrolled(...), latest(...), not, '(' or a person attribute)");
	}
	ps->depth--;
	return BRAID_OK;
}

static braid_rc parse_and(struct parser *ps, struct r_node **out)
{
	braid_rc rc = parse_factor(ps, out);
	while (!rc && is_word(&ps->t, "and")) {
		struct r_node *n = node(ps, R_AND, &ps->t);
		if (!n)
			return BRAID_ENOMEM;
		n->a = *out;
		if ((rc = next(ps)) || (rc = parse_factor(ps, &n->b)))
			return rc;
		*out = n;
	}
	return rc;
}

static braid_rc parse_or(struct parser *ps, struct r_node **out)
{
	braid_rc rc = parse_and(ps, out);
	while (!rc && is_word(&ps->t, "or")) {
		struct r_node *n = node(ps, R_OR, &ps->t);
		if (!n)
			return BRAID_ENOMEM;
		n->a = *out;
		if ((rc = next(ps)) || (rc = parse_and(ps, &n->b)))
			return rc;
		*out = n;
	}
	return rc;
}

static braid_rc parse_program(struct parser *ps)
{
	braid_rc rc;
	struct q_token t = ps->t;
	if ((rc = next(ps)))
		return rc;
	struct q_token name = ps->t;
	if (name.kind != T_IDENT || reserved(name.str))
		return fail_at(ps, &name, "a program name");
	for (size_t i = 0; i < ps->q->nprogs; i++)
		if (!strcmp(ps->q->progs[i].name, name.str))
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, name.line, name.col,
					    "program '%s' is already defined", name.str);
	if ((rc = next(ps)) || (rc = expect(ps, T_COLON)))
		return rc;
	struct r_program *p = PUSH(ps, ps->q->progs, ps->q->nprogs);
	if (!p)
		return ps->err->code;
	p->name = name.str;
	p->line = t.line;
	p->col = t.col;
	while (is_word(&ps->t, "eligible") || is_word(&ps->t, "enrolled")) {
		struct q_token k = ps->t;
		struct r_node **slot = is_word(&k, "eligible") ? &p->eligible : &p->enrolled;
		if (*slot)
			return braid_err_at(ps->err, BRAID_EPARSE, ps->file, k.line, k.col,
					    "program '%s' already says who is %s", p->name, k.str);
		if ((rc = next(ps)) || (rc = expect_word(ps, "if")))
			return rc;
		ps->depth = 0;
		if ((rc = parse_or(ps, slot)))
			return rc;
		if (ps->t.kind == T_SEMI && (rc = next(ps)))
			return rc;
	}
	if (!p->eligible || !p->enrolled)
		return braid_err_at(ps->err, BRAID_EPARSE, ps->file, ps->t.line, ps->t.col,
				    "program '%s' needs both 'eligible if ...' and 'enrolled if ...' "
				    "(found %s)", p->name,
				    ps->t.kind == T_EOF ? "end of file" : "something else");
	return BRAID_OK;
}

/* ------------------------------------------------------------ entry */

static braid_rc parse_file(const char *text, size_t len, const char *file, int rules,
			   struct braid_query **out, struct braid_err *err)
{
	*out = NULL;
	if (!text && len)
		return braid_err_set(err, BRAID_EINVAL, "no text");
	if (len > BRAID_QUERY_MAX)
		return braid_err_at(err, BRAID_ETOOBIG, file, 0, 0, "query file larger than %u bytes",
				    BRAID_QUERY_MAX);
	if (memchr(text ? text : "", 0, len))
		return braid_err_at(err, BRAID_EPARSE, file, 0, 0, "NUL byte in a query file");
	struct braid_query *q = calloc(1, sizeof *q);
	if (!q)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	q->is_rules = rules;
	braid_arena_init(&q->arena, 16384);
	q->file = braid_arena_strdup(&q->arena, file ? file : "");
	if (!q->file) {
		braid_query_free(q);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	struct parser ps = {.q = q, .err = err, .file = q->file};
	struct braid_err local;
	if (!err)
		ps.err = err = &local;
	braid__q_lex_init(&ps.lx, text ? text : "", len, ps.file, &q->arena);
	braid_rc rc = next(&ps);
	while (!rc && ps.t.kind != T_EOF) {
		if (rules) {
			if (is_word(&ps.t, "define"))
				rc = parse_define(&ps);
			else if (is_word(&ps.t, "program"))
				rc = parse_program(&ps);
			else
				rc = fail_at(&ps, &ps.t, "'define' or 'program'");
		} else {
			rc = parse_cohort_stmt(&ps);
		}
		if (!rc && ps.t.kind == T_SEMI)
			rc = next(&ps);
	}
	if (!rc && !rules && !q->has_index)
		rc = braid_err_at(err, BRAID_EPARSE, ps.file, ps.t.line, ps.t.col,
				  "a cohort needs an index event ('index event TYPE')");
	if (!rc && rules && !q->nprogs)
		rc = braid_err_at(err, BRAID_EPARSE, ps.file, ps.t.line, ps.t.col,
				  "a rules file needs at least one 'program NAME:'");
	if (!rc && rules) {
		q->prog_names = braid_arena_zalloc(&q->arena, (q->nprogs + 1) * sizeof *q->prog_names);
		if (!q->prog_names)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		for (size_t i = 0; !rc && i < q->nprogs; i++)
			q->prog_names[i] = q->progs[i].name;
	}
	if (rc) {
		if (err->code == BRAID_OK)
			braid_err_set(err, rc, "%s", braid_strerror(rc));
		braid_query_free(q);
		return rc;
	}
	*out = q;
	return BRAID_OK;
}

braid_rc braid_query_parse(const char *text, size_t len, const char *file,
			   struct braid_query **out, struct braid_err *err)
{
	return parse_file(text, len, file, 0, out, err);
}

braid_rc braid_rules_parse(const char *text, size_t len, const char *file,
			   struct braid_query **out, struct braid_err *err)
{
	return parse_file(text, len, file, 1, out, err);
}

void braid_query_free(struct braid_query *q)
{
	if (!q)
		return;
	braid_arena_release(&q->arena);
	free(q);
}

size_t braid_rules_programs(const struct braid_query *q, const char *const **names)
{
	*names = q ? q->prog_names : NULL;
	return q && q->is_rules ? q->nprogs : 0;
}
