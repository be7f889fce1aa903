/*
 * Record sets: the vault's identities in memory for the linker's commands
 * (link, eval, export, explain).  Strings are copied into one arena; the
 * empty string is shared, so sparse records cost little.
 *
 * Records of sources whose spec says `kind: site` (childcare providers:
 * places, not people) are left out: they are never linked as people, so
 * they never enter the person index, pairs, eval or export.  The kind is
 * read from the stored spec (ingest's parser: the one definition of a
 * spec), the only use of the ingest layer here.
 */
#include "braid/ingest.h"
#include "braid/pindex.h"

#include <stdlib.h>
#include <string.h>

struct load_ctx {
	struct braid_recset *rs;
	size_t cap;
	braid_rc rc;
	const unsigned char *site; /* by source id: 1 = kind site (skipped) */
	size_t nsite;
};

static const char *keep(struct braid_arena *a, const char *s)
{
	if (!s || !*s)
		return "";
	return braid_arena_strdup(a, s);
}

static int on_identity(void *ctx, const struct braid_identity *id)
{
	struct load_ctx *c = ctx;
	struct braid_recset *rs = c->rs;
	if (id->source_id >= 0 && (size_t)id->source_id < c->nsite && c->site[id->source_id])
		return 0;
	if (rs->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct braid_identity *p = braid_reallocarray(rs->recs, cap, sizeof *p);
		if (!p) {
			c->rc = BRAID_ENOMEM;
			return 1;
		}
		rs->recs = p;
		c->cap = cap;
	}
	struct braid_identity *r = &rs->recs[rs->n];
	*r = *id;
	r->source_record_id = keep(&rs->arena, id->source_record_id);
	for (int f = 0; f < BRAID_F__COUNT; f++) {
		r->v[f] = keep(&rs->arena, id->v[f]);
		if (!r->v[f] || !r->source_record_id) {
			c->rc = BRAID_ENOMEM;
			return 1;
		}
	}
	rs->n++;
	return 0;
}

struct src_ctx {
	struct braid_recset *rs;
	braid_rc rc;
	unsigned char *site; /* by source id, nsource_names long */
	struct braid_err *err;
};

/* Whether a stored spec declares a site source.  A spec that does not
 * parse is an error (it parsed when the source was added). */
static braid_rc spec_is_site(const struct braid_source_info *si, int *site,
			     struct braid_err *err)
{
	struct braid_spec *sp = NULL;
	struct braid_err e2;
	*site = 0;
	if (!si->spec_text)
		return BRAID_OK;
	if (braid_spec_parse(si->spec_text, strlen(si->spec_text), si->name, &sp, &e2))
		return braid_err_set(err, BRAID_EINTERNAL,
				     "stored spec of source '%s' does not parse: %s", si->name,
				     e2.msg);
	*site = sp->kind == BRAID_KIND_SITE;
	braid_spec_free(sp);
	return BRAID_OK;
}

static int on_source(void *ctx, const struct braid_source_info *si)
{
	struct src_ctx *c = ctx;
	struct braid_recset *rs = c->rs;
	if (si->id < 0 || si->id > 1000000)
		return 0;
	if ((size_t)si->id >= rs->nsource_names) {
		size_t n = (size_t)si->id + 1;
		char **p = braid_reallocarray(rs->source_names, n, sizeof *p);
		if (!p) {
			c->rc = BRAID_ENOMEM;
			return 1;
		}
		for (size_t i = rs->nsource_names; i < n; i++)
			p[i] = NULL;
		rs->source_names = p;
		unsigned char *q = realloc(c->site, n);
		if (!q) {
			c->rc = BRAID_ENOMEM;
			return 1;
		}
		memset(q + rs->nsource_names, 0, n - rs->nsource_names);
		c->site = q;
		rs->nsource_names = n;
	}
	rs->source_names[si->id] = braid_arena_strdup(&rs->arena, si->name);
	int site;
	braid_rc rc = spec_is_site(si, &site, c->err);
	if (rc) {
		c->rc = rc;
		return 1;
	}
	c->site[si->id] = (unsigned char)site;
	return 0;
}

braid_rc braid_recset_load(struct braid_store *s, int64_t after_batch,
			   struct braid_recset *rs, struct braid_err *err)
{
	memset(rs, 0, sizeof *rs);
	braid_arena_init(&rs->arena, 1 << 20);
	struct src_ctx sc = {rs, BRAID_OK, NULL, err};
	braid_rc rc = braid_store_source_specs(s, on_source, &sc, err);
	if (!rc && sc.rc == BRAID_ENOMEM)
		rc = braid_err_set(err, sc.rc, "loading records: out of memory");
	else if (!rc && sc.rc)
		rc = sc.rc; /* detail already in err */
	struct load_ctx c = {rs, 0, BRAID_OK, sc.site, rs->nsource_names};
	if (!rc)
		rc = braid_store_identity_iter(s, 0, after_batch, on_identity, &c, err);
	if (!rc && c.rc)
		rc = braid_err_set(err, c.rc, "loading records: out of memory");
	free(sc.site);
	if (rc)
		braid_recset_release(rs);
	return rc;
}

void braid_recset_release(struct braid_recset *rs)
{
	free(rs->recs);
	free(rs->source_names);
	braid_arena_release(&rs->arena);
	memset(rs, 0, sizeof *rs);
}

long braid_recset_find(const struct braid_recset *rs, int64_t record_key)
{
	size_t lo = 0, hi = rs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->recs[mid].record_key < record_key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rs->n && rs->recs[lo].record_key == record_key ? (long)lo : -1;
}

const char *braid_recset_source(const struct braid_recset *rs, int64_t source_id)
{
	if (source_id < 0 || (size_t)source_id >= rs->nsource_names ||
	    !rs->source_names[source_id])
		return "";
	return rs->source_names[source_id];
}

braid_rc braid_recset_lookup(const struct braid_recset *rs, const char *source,
			     const char *record_id, int64_t *record_key,
			     struct braid_err *err)
{
	int64_t sid = -1;
	for (size_t i = 0; i < rs->nsource_names; i++)
		if (rs->source_names[i] && !strcmp(rs->source_names[i], source))
			sid = (int64_t)i;
	if (sid < 0)
		return braid_err_set(err, BRAID_ENOTFOUND, "no source '%s'", source);
	for (size_t i = 0; i < rs->n; i++)
		if (rs->recs[i].source_id == sid &&
		    !strcmp(rs->recs[i].source_record_id, record_id)) {
			*record_key = rs->recs[i].record_key;
			return BRAID_OK;
		}
	/* The id itself is an identifier: not repeated in the message. */
	return braid_err_set(err, BRAID_ENOTFOUND, "source '%s' has no record with that id",
			     source);
}
