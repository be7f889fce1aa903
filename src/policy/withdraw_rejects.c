/*
 * Rejected rows of withdrawn people.  A row that failed to load (wrong
 * number of columns, no record id, a duplicate id, ...) has no record and
 * is not in the person index; its raw bytes sit sealed in the vault's
 * reject log.  When a person withdraws, those rows must go too: each raw
 * row is decrypted and tested against every withdrawal token in the vault
 * with the keyed-token computation ingest uses to leave out a withdrawn
 * person's later rows (braid_store_person_tokens: name + dob, and SSN).
 *
 * Matching is by value, not by column position: a rejected row is by
 * definition one whose layout may be wrong (a stray delimiter shifts every
 * cell after it), and the reject log does not keep the file's header.  So
 * every cell that reads as an SSN under the source's spec is tried as the
 * SSN; every cell that reads as a date under the spec's dob format as the
 * dob, with every ordered pair of name-like cells (letters, no digits) as
 * (last, first) cleaned as ingest cleans them (braid_name_clean; or
 * braid_name_parse_full of one cell when the spec maps a full name).  A
 * different person matches only if their row holds the withdrawn person's
 * name and dob, or SSN, as values — that is, a row about the withdrawn
 * person.  Rows of withdrawn sources are removed by withdraw.c with the
 * source.
 *
 * This file reaches into the ingest layer (specs, value checks) and
 * normalize (name cleaning), above policy's usual store + core: the
 * token of a row is defined there and must be computed the same way.  It
 * never prints a value; messages name sources and reject ids only.
 */
#include "policy_int.h"
#include "braid/csv.h"
#include "braid/ingest.h"
#include "braid/normalize.h"
#include "braid/store.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CELL_MAX 256 /* longer cells are not names, dates or SSNs */
#define CELLS_MAX 64 /* name pairs tried over at most this many cells */

struct spec_ent {
	int64_t id;
	struct braid_spec *spec;
};

struct sweep {
	struct braid_store *s;
	const unsigned char *toks;
	size_t ntoks;
	struct spec_ent *specs;
	size_t nspecs;
	int64_t *hits;
	size_t nhits, cap;
	braid_rc rc;
	struct braid_err *err;
	/* the row being tested */
	const struct braid_spec *cur;
	char **cells;
	size_t ncells;
	int row_hit;
};

static int add_spec(void *ctx, const struct braid_source_info *si)
{
	struct sweep *w = ctx;
	struct braid_spec *sp;
	struct braid_err e;
	/* A stored spec that no longer parses: its rejects cannot be read
	 * as fields, and are left alone (nothing matches). */
	if (braid_spec_parse(si->spec_text, strlen(si->spec_text), si->name, &sp, &e))
		return 0;
	struct spec_ent *n = braid_reallocarray(w->specs, w->nspecs + 1, sizeof *n);
	if (!n) {
		braid_spec_free(sp);
		w->rc = braid_err_set(w->err, BRAID_ENOMEM, "out of memory");
		return 1;
	}
	w->specs = n;
	w->specs[w->nspecs].id = si->id;
	w->specs[w->nspecs++].spec = sp;
	return 0;
}

static const struct braid_spec *spec_of(const struct sweep *w, int64_t source_id)
{
	for (size_t i = 0; i < w->nspecs; i++)
		if (w->specs[i].id == source_id)
			return w->specs[i].spec;
	return NULL;
}

/* The cell after the column's missing-value list and value map, as
 * ingest's cell() reads it, into out. */
static void mapped(const char *v, const struct braid_colspec *cs, char *out, size_t n)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	for (size_t i = 0; i < cs->nmissing; i++)
		if (strlen(cs->missing[i]) == vl && !strncasecmp(v, cs->missing[i], vl)) {
			out[0] = 0;
			return;
		}
	for (size_t i = 0; i < cs->nmap; i++)
		if (strlen(cs->map[i].key) == vl && !strncasecmp(v, cs->map[i].key, vl)) {
			snprintf(out, n, "%s", cs->map[i].value);
			return;
		}
	snprintf(out, n, "%.*s", (int)(vl < n ? vl : n - 1), v);
}

static int name_like(const char *s)
{
	int letters = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isdigit(*p))
			return 0;
		if (isalpha(*p) || *p >= 0x80)
			letters = 1;
	}
	return letters;
}

static int token_known(const struct sweep *w, const struct braid_identity *id)
{
	unsigned char tok[2][BRAID_TOKEN_LEN];
	int nt = braid_store_person_tokens(w->s, id, tok), hit = 0;
	for (int t = 0; t < nt && !hit; t++)
		hit = braid_token_find(w->toks, w->ntoks, tok[t]);
	sodium_memzero(tok, sizeof tok);
	return hit;
}

/* 1 when the row in w->cells carries a withdrawal token of spec sp. */
static int row_matches(const struct sweep *w, const struct braid_spec *sp)
{
	struct braid_identity id;
	memset(&id, 0, sizeof id);
	for (int f = 0; f < BRAID_F__COUNT; f++)
		id.v[f] = "";
	char raw[CELL_MAX], buf[CELL_MAX];
	int hit = 0;
	size_t nc = w->ncells < CELLS_MAX ? w->ncells : CELLS_MAX;
	/* SSN: any cell. */
	const struct braid_colspec *cs = &sp->fields[BRAID_F_SSN];
	for (size_t i = 0; i < w->ncells && !hit; i++) {
		mapped(w->cells[i], cs, raw, sizeof raw);
		if (!raw[0] || braid_ingest_check_value(BRAID_F_SSN, raw, cs, buf, sizeof buf) ||
		    !buf[0])
			continue;
		id.v[BRAID_F_SSN] = buf;
		hit = token_known(w, &id);
	}
	id.v[BRAID_F_SSN] = "";
	/* Name + dob: every date cell with every name pair. */
	cs = &sp->fields[BRAID_F_DOB];
	const struct braid_colspec *fcs = &sp->fields[BRAID_F_FIRST_NAME],
				   *lcs = &sp->fields[BRAID_F_LAST_NAME],
				   *ncs = &sp->fields[BRAID_F_FULL_NAME];
	int full = ncs->column && !fcs->column && !lcs->column;
	char dob[CELL_MAX], a[CELL_MAX], b[CELL_MAX];
	for (size_t d = 0; d < w->ncells && !hit; d++) {
		mapped(w->cells[d], cs, raw, sizeof raw);
		if (!raw[0] || braid_ingest_check_value(BRAID_F_DOB, raw, cs, dob, sizeof dob) ||
		    !dob[0])
			continue;
		id.v[BRAID_F_DOB] = dob;
		for (size_t i = 0; i < nc && !hit; i++) {
			mapped(w->cells[i], full ? ncs : lcs, a, sizeof a);
			if (i == d || !name_like(a))
				continue;
			struct braid_name nm;
			if (full) {
				if (braid_name_parse_full(a, &nm))
					continue;
				id.v[BRAID_F_LAST_NAME] = nm.last;
				id.v[BRAID_F_FIRST_NAME] = nm.first;
				hit = token_known(w, &id);
				continue;
			}
			for (size_t j = 0; j < nc && !hit; j++) {
				mapped(w->cells[j], fcs, b, sizeof b);
				if (j == i || j == d || !name_like(b) ||
				    braid_name_clean(b, NULL, a, NULL, &nm))
					continue;
				id.v[BRAID_F_LAST_NAME] = nm.last;
				id.v[BRAID_F_FIRST_NAME] = nm.first;
				hit = token_known(w, &id);
			}
		}
	}
	sodium_memzero(dob, sizeof dob);
	sodium_memzero(a, sizeof a);
	sodium_memzero(b, sizeof b);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(buf, sizeof buf);
	return hit;
}

/* The reader's fields are borrowed for the callback only, so the row is
 * tested here. */
static int on_record(void *ctx, char **fields, size_t n, const struct braid_err *err)
{
	struct sweep *w = ctx;
	if (fields && !err) {
		w->cells = fields;
		w->ncells = n;
		w->row_hit = row_matches(w, w->cur);
	}
	return 1; /* a reject is one record */
}

static int on_reject(void *ctx, const struct braid_reject *r)
{
	struct sweep *w = ctx;
	w->cur = spec_of(w, r->source_id);
	if (!w->cur || !r->raw || !r->raw_len)
		return 0;
	struct braid_csv_opts co = {
		.delimiter = w->cur->delimiter,
		.encoding = w->cur->latin1 ? BRAID_CSV_LATIN1 : BRAID_CSV_UTF8,
	};
	w->row_hit = 0;
	braid_csv_parse_buffer(r->raw, r->raw_len, &co, on_record, w);
	if (!w->row_hit)
		return 0;
	if (w->nhits == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		int64_t *h = braid_reallocarray(w->hits, cap, sizeof *h);
		if (!h) {
			w->rc = braid_err_set(w->err, BRAID_ENOMEM, "out of memory");
			return 1;
		}
		w->hits = h;
		w->cap = cap;
	}
	w->hits[w->nhits++] = r->id;
	return 0;
}

braid_rc braid__withdraw_rejects(struct braid_store *s, int64_t *removed, struct braid_err *err)
{
	*removed = 0;
	struct sweep w = {.s = s, .err = err};
	unsigned char *toks = NULL;
	size_t ntoks = 0;
	braid_rc rc = braid_store_withdrawn_tokens(s, &toks, &ntoks, err);
	if (rc || !ntoks) {
		free(toks);
		return rc;
	}
	w.toks = toks;
	w.ntoks = ntoks;
	rc = braid_store_source_specs(s, add_spec, &w, err);
	if (!rc)
		rc = w.rc;
	for (size_t i = 0; i < w.nspecs && !rc; i++) {
		rc = braid_store_reject_iter(s, w.specs[i].id, 1, on_reject, &w, err);
		if (!rc)
			rc = w.rc;
	}
	static const char *const del[] = {"DELETE FROM vault.reject_raw WHERE reject_id = ?1",
					  "DELETE FROM rejects WHERE id = ?1"};
	for (int k = 0; k < 2 && !rc && w.nhits; k++) {
		struct braid_stmt *st;
		if ((rc = braid_store_prepare(s, del[k], &st, err)))
			break;
		for (size_t i = 0; i < w.nhits && !rc; i++) {
			int row;
			braid_stmt_reset(st);
			rc = braid_stmt_bind_int64(st, 1, w.hits[i]);
			if (!rc)
				rc = braid_stmt_step(st, &row, err);
		}
		braid_stmt_finalize(st);
	}
	if (!rc)
		*removed = (int64_t)w.nhits;
	for (size_t i = 0; i < w.nspecs; i++)
		braid_spec_free(w.specs[i].spec);
	free(w.specs);
	free(w.hits);
	free(toks);
	return rc;
}
