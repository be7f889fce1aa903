/*
 * The catalog of a query: which event types exist, which sources produce
 * them, whether they are spells (an end column) or point events, and which
 * person attributes each source maps.  It is read from the specs of the
 * registered sources (every row of the events table comes from one of
 * them), which costs a few YAML parses instead of a scan of the events.
 *
 * Also here: the indexes the query layer needs, created on first use, and
 * the "did you mean" suggestion for an unknown event type.
 */
#include "query_int.h"
#include "braid/ingest.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct load_ctx {
	struct braid_qcatalog *c;
	struct braid_err *err;
	braid_rc rc;
};

static struct q_ctype *type_get(struct braid_qcatalog *c, const char *type)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (!strcmp(c->types[i].type, type))
			return &c->types[i];
	struct q_ctype *p = braid_reallocarray(c->types, c->ntypes + 1, sizeof *p);
	if (!p)
		return NULL;
	c->types = p;
	struct q_ctype *t = &p[c->ntypes];
	memset(t, 0, sizeof *t);
	t->type = braid_strdup(type);
	if (!t->type)
		return NULL;
	c->ntypes++;
	return t;
}

static int on_source(void *ctx, const struct braid_source_info *si)
{
	struct load_ctx *lc = ctx;
	struct braid_spec *sp = NULL;
	struct braid_err e2;
	if (braid_spec_parse(si->spec_text, strlen(si->spec_text), si->name, &sp, &e2)) {
		lc->rc = braid_err_set(lc->err, BRAID_EINTERNAL,
				       "stored spec of source '%s' does not parse: %s", si->name, e2.msg);
		return 1;
	}
	struct braid_qcatalog *c = lc->c;
	struct q_csource *ns = braid_reallocarray(c->sources, c->nsources + 1, sizeof *ns);
	if (!ns)
		goto oom;
	c->sources = ns;
	struct q_csource *src = &ns[c->nsources];
	memset(src, 0, sizeof *src);
	src->name = braid_strdup(si->name);
	if (!src->name)
		goto oom;
	c->nsources++;
	src->id = si->id;
	src->kind = (int)sp->kind;
	if (sp->fields[BRAID_F_SEX].column)
		src->person_fields |= 1u << PA_SEX;
	if (sp->fields[BRAID_F_RACE].column)
		src->person_fields |= 1u << PA_RACE;
	if (sp->fields[BRAID_F_ETHNICITY].column)
		src->person_fields |= 1u << PA_ETHNICITY;
	if (sp->fields[BRAID_F_ZIP].column)
		src->person_fields |= 1u << PA_ZIP;
	/* Tract and planning district: geocoded from the address (src/geo). */
	if (sp->fields[BRAID_F_ADDRESS].column || sp->fields[BRAID_F_STREET_NAME].column)
		src->person_fields |= 1u << PA_TRACT | 1u << PA_DISTRICT;
	if (sp->fields[BRAID_F_DOB].column || sp->fields[BRAID_F_BIRTH_YEAR].column)
		src->person_fields |= 1u << PA_AGE | 1u << PA_AGE_BAND;
	for (size_t i = 0; i < sp->nevents; i++) {
		const struct braid_event_spec *ev = &sp->events[i];
		struct q_ctype *t = type_get(c, ev->type);
		if (!t)
			goto oom;
		t->has_end |= ev->end.column != NULL;
		t->fields |= (ev->program.column ? 1u : 0) | (ev->provider.column ? 2u : 0) |
			     (ev->amount.column ? 4u : 0);
		char **s2 = braid_reallocarray(t->sources, t->nsources + 1, sizeof *s2);
		if (!s2)
			goto oom;
		t->sources = s2;
		if (!(s2[t->nsources] = braid_strdup(si->name)))
			goto oom;
		t->nsources++;
	}
	braid_spec_free(sp);
	return 0;
oom:
	braid_spec_free(sp);
	lc->rc = braid_err_set(lc->err, BRAID_ENOMEM, "out of memory");
	return 1;
}

static int cmp_type(const void *a, const void *b)
{
	return strcmp(((const struct q_ctype *)a)->type, ((const struct q_ctype *)b)->type);
}

braid_rc braid_qcatalog_load(struct braid_store *s, struct braid_qcatalog **out,
			     struct braid_err *err)
{
	*out = NULL;
	struct braid_qcatalog *c = calloc(1, sizeof *c);
	if (!c)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	struct load_ctx lc = {c, err, BRAID_OK};
	braid_rc rc = braid_store_source_specs(s, on_source, &lc, err);
	if (!rc)
		rc = lc.rc;
	if (rc) {
		braid_qcatalog_free(c);
		return rc;
	}
	if (c->ntypes)
		qsort(c->types, c->ntypes, sizeof *c->types, cmp_type);
	*out = c;
	return BRAID_OK;
}

braid_rc braid_qcatalog_from_types(const char *const *types, const int *has_end, size_t n,
				   struct braid_qcatalog **out, struct braid_err *err)
{
	*out = NULL;
	struct braid_qcatalog *c = calloc(1, sizeof *c);
	if (!c)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	c->sources = calloc(1, sizeof *c->sources);
	if (!c->sources || !(c->sources[0].name = braid_strdup("src")))
		goto oom;
	c->nsources = 1;
	c->sources[0].id = 1;
	for (size_t i = 0; i < n; i++) {
		struct q_ctype *t = type_get(c, types[i]);
		if (!t)
			goto oom;
		t->has_end |= has_end && has_end[i];
		if (!t->nsources) {
			if (!(t->sources = calloc(1, sizeof *t->sources)) ||
			    !(t->sources[0] = braid_strdup("src")))
				goto oom;
			t->nsources = 1;
		}
	}
	if (c->ntypes)
		qsort(c->types, c->ntypes, sizeof *c->types, cmp_type);
	*out = c;
	return BRAID_OK;
oom:
	braid_qcatalog_free(c);
	return braid_err_set(err, BRAID_ENOMEM, "out of memory");
}

void braid_qcatalog_free(struct braid_qcatalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntypes; i++) {
		for (size_t j = 0; j < c->types[i].nsources; j++)
			free(c->types[i].sources[j]);
		free(c->types[i].sources);
		free(c->types[i].type);
	}
	for (size_t i = 0; i < c->nsources; i++)
		free(c->sources[i].name);
	free(c->types);
	free(c->sources);
	free(c);
}

size_t braid_qcatalog_count(const struct braid_qcatalog *c)
{
	return c ? c->ntypes : 0;
}

const char *braid_qcatalog_type(const struct braid_qcatalog *c, size_t i)
{
	return c && i < c->ntypes ? c->types[i].type : NULL;
}

const struct q_ctype *braid__q_catalog_find(const struct braid_qcatalog *c, const char *type)
{
	for (size_t i = 0; c && i < c->ntypes; i++)
		if (!strcmp(c->types[i].type, type))
			return &c->types[i];
	return NULL;
}

const struct q_csource *braid__q_catalog_source(const struct braid_qcatalog *c, const char *name)
{
	for (size_t i = 0; c && i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	return NULL;
}

braid_rc braid__q_check_evspec(const struct braid_query *q, const struct braid_qcatalog *c,
			       const struct q_evspec *ev, struct braid_err *err)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct q_atom *a = &ev->atoms[i];
		if (braid__q_catalog_find(c, a->type))
			continue;
		/* The nearest known type, or definition name, within a
		 * distance that still looks like a typo. */
		const char *best = NULL;
		size_t bd = strlen(a->type) / 3 + 2;
		for (size_t j = 0; c && j < c->ntypes; j++) {
			size_t d = braid_edit_distance(a->type, c->types[j].type, bd);
			if (d < bd) {
				bd = d;
				best = c->types[j].type;
			}
		}
		for (size_t j = 0; q && j < q->ndefs; j++) {
			size_t d = braid_edit_distance(a->type, q->defs[j].name, bd);
			if (d < bd) {
				bd = d;
				best = q->defs[j].name;
			}
		}
		if (best)
			return braid_err_at(err, BRAID_EPARSE, q ? q->file : NULL, a->line, a->col,
					    "unknown event type '%s' (did you mean '%s'?)", a->type, best);
		if (!c || !c->ntypes)
			return braid_err_at(err, BRAID_EPARSE, q ? q->file : NULL, a->line, a->col,
					    "unknown event type '%s' (no source declares any event type yet)",
					    a->type);
		return braid_err_at(err, BRAID_EPARSE, q ? q->file : NULL, a->line, a->col,
				    "unknown event type '%s' (known: %s%s%s%s)", a->type,
				    c->types[0].type, c->ntypes > 1 ? ", " : "",
				    c->ntypes > 1 ? c->types[1].type : "", c->ntypes > 2 ? ", ..." : "");
	}
	return BRAID_OK;
}

braid_rc braid_query_prepare_store(struct braid_store *s, struct braid_err *err)
{
	/* Correlated windows look up one person's events of one type in a
	 * date range, and set predicates scan one type: (type, record_key,
	 * start_date) orders both, and end_date and program make it covering
	 * (no row lookups at all).  person_record(person_id) comes with the
	 * person index.  An earlier, narrower version is replaced. */
	return braid_store_exec(s,
				"DROP INDEX IF EXISTS events_type_rec_start;"
				"CREATE INDEX IF NOT EXISTS events_query"
				" ON events(type, record_key, start_date, end_date, program);",
				err);
}
