/*
 * Geocoding by address ranges: the places table in memory (segments
 * sorted by street and range, strings interned once), a lookup of a
 * standardised house number and street, and the pass that gives records
 * their tract, planning district and household key from their identities.
 *
 * The lookup takes the house number's leading digits ("1234A" and
 * "1234-36" are on the 1234 lot), keeps the segments of the street whose
 * range holds it with the right parity, and prefers one in the record's
 * ZIP (a long street crosses several; a wrong ZIP on the record still
 * geocodes by range).  It does not guess misspelt streets or interpolate
 * positions.
 *
 * The household key is braid_store_addr_key over number, street, the
 * unit's own identifier and ZIP: the unit designator is dropped ("APT 7",
 * "UNIT 7" and "7" are the same flat), because agencies write it
 * differently or put it in a column of its own.  Records without a street
 * get no key.  Nothing here writes an address: only tract, district and
 * the keyed hash reach the analytic store.
 */
#include "braid/geo.h"
#include "braid/record.h"
#include "geo_int.h"

#include <stdlib.h>
#include <string.h>

struct seg {
	const char *street, *zip, *tract, *district;
	long from, to;
	char parity; /* 'o', 'e', 'a' */
};

struct braid_gazetteer {
	struct braid_arena arena;
	struct seg *segs;
	size_t n;
	/* Interned strings: tracts and districts repeat thousands of times. */
	const char **pool;
	size_t npool, cappool;
};

void braid_gazetteer_free(struct braid_gazetteer *g)
{
	if (!g)
		return;
	braid_arena_release(&g->arena);
	free(g->segs);
	free(g->pool);
	free(g);
}

/* The interned copy of s (open addressing over a power-of-two table). */
static const char *intern(struct braid_gazetteer *g, const char *s)
{
	if (g->npool * 2 >= g->cappool) {
		size_t cap = g->cappool ? g->cappool * 2 : 1024;
		const char **np = calloc(cap, sizeof *np);
		if (!np)
			return NULL;
		for (size_t i = 0; i < g->cappool; i++) {
			if (!g->pool[i])
				continue;
			size_t h = braid_hash64(g->pool[i], strlen(g->pool[i]), 7) & (cap - 1);
			while (np[h])
				h = (h + 1) & (cap - 1);
			np[h] = g->pool[i];
		}
		free(g->pool);
		g->pool = np;
		g->cappool = cap;
	}
	size_t h = braid_hash64(s, strlen(s), 7) & (g->cappool - 1);
	while (g->pool[h]) {
		if (!strcmp(g->pool[h], s))
			return g->pool[h];
		h = (h + 1) & (g->cappool - 1);
	}
	const char *c = braid_arena_strdup(&g->arena, s);
	if (c) {
		g->pool[h] = c;
		g->npool++;
	}
	return c;
}

braid_rc braid_gazetteer_load(struct braid_store *s, struct braid_gazetteer **out,
			      struct braid_err *err)
{
	*out = NULL;
	braid_rc rc = braid_places_prepare(s, err);
	if (rc)
		return rc;
	struct braid_gazetteer *g = calloc(1, sizeof *g);
	if (!g)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	braid_arena_init(&g->arena, 1 << 20);
	struct braid_stmt *q = NULL;
	/* Sorted here, so lookups are a binary search on the street. */
	rc = braid_store_prepare(s, "SELECT street, from_no, to_no, parity, zip5, tract, district"
				 " FROM places ORDER BY street, from_no, to_no", &q, err);
	size_t cap = 0;
	int row = 0;
	while (!rc && !(rc = braid_stmt_step(q, &row, err)) && row) {
		if (g->n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct seg *ns = braid_reallocarray(g->segs, cap, sizeof *ns);
			if (!ns) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			g->segs = ns;
		}
		struct seg *sg = &g->segs[g->n];
		sg->street = intern(g, braid_stmt_text(q, 0));
		sg->from = (long)braid_stmt_int64(q, 1);
		sg->to = (long)braid_stmt_int64(q, 2);
		const char *p = braid_stmt_text(q, 3);
		sg->parity = p[0] == 'o' ? 'o' : p[0] == 'e' ? 'e' : 'a';
		sg->zip = intern(g, braid_stmt_text(q, 4));
		sg->tract = intern(g, braid_stmt_text(q, 5));
		sg->district = intern(g, braid_stmt_text(q, 6));
		if (!sg->street || !sg->zip || !sg->tract || !sg->district) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			break;
		}
		g->n++;
	}
	braid_stmt_finalize(q);
	if (rc || !g->n) {
		braid_gazetteer_free(g);
		return rc;
	}
	*out = g;
	return BRAID_OK;
}

int braid_gazetteer_find(const struct braid_gazetteer *g, const char *number,
			 const char *street, const char *zip5, const char **tract,
			 const char **district)
{
	if (!g || !number || !street || !*street)
		return 0;
	long n = 0;
	int digits = 0;
	for (const char *p = number; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
		n = n * 10 + (*p - '0');
	if (!digits)
		return 0;
	/* First segment of the street. */
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(g->segs[mid].street, street) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct seg *best = NULL;
	for (size_t i = lo; i < g->n && !strcmp(g->segs[i].street, street); i++) {
		const struct seg *sg = &g->segs[i];
		if (sg->from > n)
			break; /* sorted by from: no later segment holds n */
		if (n > sg->to || (sg->parity == 'o' && !(n & 1)) || (sg->parity == 'e' && (n & 1)))
			continue;
		if (!best || (zip5 && *zip5 && !strcmp(sg->zip, zip5) && strcmp(best->zip, zip5)))
			best = sg;
	}
	if (!best)
		return 0;
	*tract = best->tract;
	*district = best->district;
	return 1;
}

/* ------------------------------------------------------------ the pass */
struct fill {
	struct braid_store *s;
	struct braid_gazetteer *g;
	struct braid_stmt *upd;
	struct braid_geo_stats *st;
	struct braid_err *err;
	braid_rc rc;
};

/* The unit's own identifier: its last word ("APT 7" -> "7"). */
static const char *unit_id(const char *u)
{
	const char *sp = strrchr(u, ' ');
	return sp ? sp + 1 : u;
}

int braid_geo_identity(struct braid_store *s, const struct braid_gazetteer *g,
		       const struct braid_identity *id, const char **tract,
		       const char **district, int64_t *key, struct braid_err *err)
{
	*tract = *district = NULL;
	*key = 0;
	const char *num = id->v[BRAID_F_STREET_NUMBER], *street = id->v[BRAID_F_STREET_NAME];
	const char *zip = id->v[BRAID_F_ZIP];
	if (!street || !*street)
		return 0;
	if (g && !braid_gazetteer_find(g, num, street, zip, tract, district))
		*tract = *district = NULL;
	char z5[6] = "";
	if (zip && strlen(zip) >= 5) {
		memcpy(z5, zip, 5);
		z5[5] = 0;
	}
	const char *unit = id->v[BRAID_F_UNIT] ? id->v[BRAID_F_UNIT] : "";
	if (braid_store_addr_key(s, num, street, unit_id(unit), z5, key, err))
		*key = 0;
	return 1;
}

static int fill_cb(void *ctx, const struct braid_identity *id)
{
	struct fill *F = ctx;
	F->st->records++;
	const char *tract = NULL, *district = NULL;
	int64_t key = 0;
	if (braid_geo_identity(F->s, F->g, id, &tract, &district, &key, F->err)) {
		F->st->with_address++;
		F->st->geocoded += tract != NULL;
		if (!key) {
			F->rc = F->err && F->err->code ? F->err->code : BRAID_ECRYPTO;
			return 1;
		}
		F->st->keyed++;
	}
	if (!tract && !key)
		return 0; /* nothing to write: the columns stay NULL */
	braid_stmt_bind_text(F->upd, 1, tract, -1);
	braid_stmt_bind_text(F->upd, 2, district, -1);
	if (key)
		braid_stmt_bind_int64(F->upd, 3, key);
	else
		braid_stmt_bind_null(F->upd, 3);
	braid_stmt_bind_int64(F->upd, 4, id->record_key);
	int row;
	F->rc = braid_stmt_step(F->upd, &row, F->err);
	braid_stmt_reset(F->upd);
	return F->rc ? 1 : 0;
}

braid_rc braid_geo_fill(struct braid_store *s, int64_t source_id, int64_t after_batch,
			struct braid_geo_stats *st, struct braid_err *err)
{
	memset(st, 0, sizeof *st);
	struct fill F = {.s = s, .st = st, .err = err};
	braid_rc rc = braid_gazetteer_load(s, &F.g, err);
	if (!rc)
		rc = braid_store_prepare(s, "UPDATE records SET tract = ?1, district = ?2,"
					 " addr_key = ?3 WHERE record_key = ?4", &F.upd, err);
	if (!rc)
		rc = braid_store_identity_iter(s, source_id, after_batch, fill_cb, &F, err);
	if (!rc)
		rc = F.rc;
	braid_stmt_finalize(F.upd);
	braid_gazetteer_free(F.g);
	return rc;
}

braid_rc braid_geo_rate(struct braid_store *s, int64_t source_id, int64_t *records,
			int64_t *keyed, int64_t *geocoded, struct braid_err *err)
{
	*records = *keyed = *geocoded = 0;
	struct braid_stmt *q = NULL;
	braid_rc rc = braid_store_prepare(s, "SELECT count(*), count(addr_key), count(tract)"
					  " FROM records WHERE ?1 = 0 OR source_id = ?1", &q, err);
	int row = 0;
	if (!rc) {
		braid_stmt_bind_int64(q, 1, source_id);
		rc = braid_stmt_step(q, &row, err);
	}
	if (!rc && row) {
		*records = braid_stmt_int64(q, 0);
		*keyed = braid_stmt_int64(q, 1);
		*geocoded = braid_stmt_int64(q, 2);
	}
	braid_stmt_finalize(q);
	return rc;
}
