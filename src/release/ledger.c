/*
 * ledger.c — memory of earlier releases: which cell ids were published with
 * which value, which were primary-suppressed (their values are never kept:
 * the ledger is persisted and must not become a leak), and the additive
 * constraints between ids.  The audit and the suppression merge it with a
 * new release so that differencing across releases is caught.
 *
 * It does not persist itself (the caller stores the JSON) and does not
 * expire entries: a published number stays known forever.
 */
#include "release_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct braid_ledger *braid_ledger_new(void)
{
	struct braid_ledger *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->cs = braid_cellset_new();
	if (!l->cs) {
		free(l);
		return NULL;
	}
	return l;
}

void braid_ledger_free(struct braid_ledger *l)
{
	if (!l)
		return;
	braid_cellset_free(l->cs);
	free(l->chash);
	free(l);
}

size_t braid_ledger_ncells(const struct braid_ledger *l) { return l->cs->n; }

/* Put a cell by id with the merged status: shown wins (a published number
 * stays known), then primary (a sensitive cell stays sensitive). */
static braid_rc put_cell(struct braid_ledger *l, const char *id, int status,
			 int64_t shown, size_t *idx, struct braid_err *err)
{
	size_t i = braid_cellset_find(l->cs, id);
	if (i == SIZE_MAX) {
		braid_rc rc = braid_cellset_add(l->cs, id,
						status == BRAID_CELL_SHOWN ? shown : 0,
						&i, err);
		if (rc)
			return rc;
		l->cs->cells[i].status = (uint8_t)status;
		l->cs->cells[i].shown = l->cs->cells[i].value;
	} else {
		struct braid_cell *c = &l->cs->cells[i];
		if (c->status == BRAID_CELL_SHOWN)
			;
		else if (status == BRAID_CELL_SHOWN) {
			c->status = BRAID_CELL_SHOWN;
			c->value = c->shown = shown;
		} else if (status == BRAID_CELL_PRIMARY)
			c->status = BRAID_CELL_PRIMARY;
	}
	*idx = i;
	return BRAID_OK;
}

static uint64_t con_hash(size_t total, const size_t *p, size_t n)
{
	uint64_t h = braid_hash64(&total, sizeof total, 7);
	return braid_hash64(p, n * sizeof *p, h) | 1; /* 0 marks empty */
}

static int con_equal(const struct braid_cellset *cs, size_t k, size_t total,
		     const size_t *p, size_t n)
{
	if (cs->con_total[k] != total || cs->con_off[k + 1] - cs->con_off[k] != n)
		return 0;
	return memcmp(cs->parts + cs->con_off[k], p, n * sizeof *p) == 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Add a constraint unless the same one (parts as a set) is there already;
 * the table of hashes stores constraint index + 1 beside the hash. */
static braid_rc add_con(struct braid_ledger *l, size_t total, size_t *p,
			size_t n)
{
	qsort(p, n, sizeof *p, cmp_size);
	struct braid_cellset *cs = l->cs;
	if ((cs->ncon + 1) * 2 > l->nchash / 2) {
		size_t ns = l->nchash ? l->nchash * 2 : 256; /* pairs: hash, k+1 */
		uint64_t *t = calloc(ns, sizeof *t);
		if (!t)
			return BRAID_ENOMEM;
		size_t mask = ns / 2 - 1;
		for (size_t k = 0; k < cs->ncon; k++) {
			uint64_t h = con_hash(cs->con_total[k], cs->parts + cs->con_off[k],
					      cs->con_off[k + 1] - cs->con_off[k]);
			size_t s = (size_t)h & mask;
			while (t[2 * s])
				s = (s + 1) & mask;
			t[2 * s] = h;
			t[2 * s + 1] = k + 1;
		}
		free(l->chash);
		l->chash = t;
		l->nchash = ns;
	}
	uint64_t h = con_hash(total, p, n);
	size_t mask = l->nchash / 2 - 1, s = (size_t)h & mask;
	while (l->chash[2 * s]) {
		if (l->chash[2 * s] == h &&
		    con_equal(cs, (size_t)l->chash[2 * s + 1] - 1, total, p, n))
			return BRAID_OK;
		s = (s + 1) & mask;
	}
	braid_rc rc = braid__cellset_constrain(cs, total, p, n);
	if (rc)
		return rc;
	l->chash[2 * s] = h;
	l->chash[2 * s + 1] = cs->ncon;
	return BRAID_OK;
}

braid_rc braid_ledger_record(struct braid_ledger *l,
			     const struct braid_cellset *cs,
			     struct braid_err *err)
{
	size_t *map = braid_reallocarray(NULL, cs->n ? cs->n : 1, sizeof *map);
	size_t *p = braid_reallocarray(NULL, cs->nparts ? cs->nparts : 1, sizeof *p);
	braid_rc rc = BRAID_OK;
	if (!map || !p) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cs->n && !rc; i++) {
		const struct braid_cell *c = &cs->cells[i];
		int st = c->status;
		/* A noisy number is not the count: to the audit it is as
		 * unknown as a complement (DP accounting covers it). */
		if (st == BRAID_CELL_SHOWN && (c->flags & BRAID_CELLF_NOISE))
			st = BRAID_CELL_COMPLEMENT;
		rc = put_cell(l, c->id, st, c->shown, &map[i], err);
		if (!rc && braid__fp_copy(l->cs, map[i], cs, i))
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < cs->ncon && !rc; k++) {
		size_t n = cs->con_off[k + 1] - cs->con_off[k];
		for (size_t j = 0; j < n; j++)
			p[j] = map[cs->parts[cs->con_off[k] + j]];
		if (add_con(l, map[cs->con_total[k]], p, n))
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
out:
	free(map);
	free(p);
	return rc;
}

braid_rc braid__ledger_put(struct braid_ledger *l, const char *id, int status,
			   int64_t shown, size_t *idx, struct braid_err *err)
{
	return put_cell(l, id, status, shown, idx, err);
}

braid_rc braid__ledger_con(struct braid_ledger *l, size_t total, size_t *parts, size_t n)
{
	return add_con(l, total, parts, n);
}

/* ---------------------------------------------------------------- JSON */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_fp(const char *s, struct braid_fp *f)
{
	if (strlen(s) != BRAID_FP_TERMS * 16)
		return -1;
	for (size_t k = 0; k < BRAID_FP_TERMS; k++) {
		uint64_t v = 0;
		for (size_t j = 0; j < 16; j++) {
			int h = hexval(s[16 * k + j]);
			if (h < 0)
				return -1;
			v = v << 4 | (uint64_t)h;
		}
		f->p[k] = v;
	}
	return 0;
}

static const char *status_name(int s)
{
	return s == BRAID_CELL_SHOWN ? "shown" : s == BRAID_CELL_PRIMARY ? "primary" : "complement";
}

char *braid_ledger_to_json(const struct braid_ledger *l)
{
	const struct braid_cellset *cs = l->cs;
	json_t *root = json_object(), *cells = json_array(), *cons = json_array();
	char *out = NULL;
	if (!root || !cells || !cons)
		goto out;
	json_object_set_new(root, "cells", cells);
	json_object_set_new(root, "constraints", cons);
	for (size_t i = 0; i < cs->n; i++) {
		const struct braid_cell *c = &cs->cells[i];
		json_t *o = json_pack("{s:s,s:s}", "id", c->id, "status", status_name(c->status));
		if (!o)
			goto out;
		if (c->status == BRAID_CELL_SHOWN)
			json_object_set_new(o, "value", json_integer(c->shown));
		const struct braid_fp *f = braid_cellset_fp(cs, i);
		int empty = 1;
		for (size_t k = 0; f && k < BRAID_FP_TERMS; k++)
			empty &= f->p[k] == 0;
		if (f && !empty) { /* nobody: nothing to relate, nothing kept */
			char hex[BRAID_FP_TERMS * 16 + 1];
			for (size_t k = 0; k < BRAID_FP_TERMS; k++)
				snprintf(hex + 16 * k, 17, "%016llx", (unsigned long long)f->p[k]);
			json_object_set_new(o, "fp", json_string(hex));
		}
		json_array_append_new(cells, o);
	}
	for (size_t k = 0; k < cs->ncon; k++) {
		json_t *a = json_array();
		if (!a)
			goto out;
		json_array_append_new(a, json_string(cs->cells[cs->con_total[k]].id));
		for (size_t j = cs->con_off[k]; j < cs->con_off[k + 1]; j++)
			json_array_append_new(a, json_string(cs->cells[cs->parts[j]].id));
		json_array_append_new(cons, a);
	}
	out = json_dumps(root, JSON_COMPACT);
out:
	json_decref(root);
	if (!root) {
		json_decref(cells);
		json_decref(cons);
	}
	return out;
}

braid_rc braid_ledger_from_json(const char *json, struct braid_ledger **out,
				struct braid_err *err)
{
	json_error_t je;
	*out = NULL;
	json_t *root = json_loads(json, 0, &je);
	if (!root)
		return braid_err_at(err, BRAID_EPARSE, "ledger", je.line, je.column,
				    "%s", je.text);
	braid_rc rc = BRAID_OK;
	size_t *p = NULL;
	struct braid_ledger *l = braid_ledger_new();
	json_t *cells = json_object_get(root, "cells");
	json_t *cons = json_object_get(root, "constraints");
	if (!l) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	if (!json_is_array(cells) || !json_is_array(cons)) {
		rc = braid_err_set(err, BRAID_EPARSE,
				   "ledger: expected arrays \"cells\" and \"constraints\"");
		goto out;
	}
	size_t i;
	json_t *v;
	json_array_foreach(cells, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *st = json_string_value(json_object_get(v, "status"));
		json_t *val = json_object_get(v, "value");
		int s = !st ? -1 : !strcmp(st, "shown") ? BRAID_CELL_SHOWN
			: !strcmp(st, "primary") ? BRAID_CELL_PRIMARY
			: !strcmp(st, "complement") ? BRAID_CELL_COMPLEMENT : -1;
		if (!id || s < 0 || (s == BRAID_CELL_SHOWN && !json_is_integer(val))) {
			rc = braid_err_set(err, BRAID_EPARSE,
					   "ledger: cells[%zu]: expected id, status and (when shown) an integer value", i);
			goto out;
		}
		size_t idx;
		if ((rc = put_cell(l, id, s, s == BRAID_CELL_SHOWN ? json_integer_value(val) : 0,
				   &idx, err)))
			goto out;
		const char *fps = json_string_value(json_object_get(v, "fp"));
		if (fps) {
			struct braid_fp f;
			if (parse_fp(fps, &f)) {
				rc = braid_err_set(err, BRAID_EPARSE,
						   "ledger: cells[%zu]: fp must be %d hex digits", i,
						   BRAID_FP_TERMS * 16);
				goto out;
			}
			if ((rc = braid_cellset_set_fp(l->cs, idx, &f, err)))
				goto out;
		}
	}
	json_array_foreach(cons, i, v) {
		size_t n = json_array_size(v);
		if (n < 2) {
			rc = braid_err_set(err, BRAID_EPARSE,
					   "ledger: constraints[%zu]: expected [total, part, ...]", i);
			goto out;
		}
		free(p);
		p = braid_reallocarray(NULL, n, sizeof *p);
		if (!p) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t j = 0; j < n; j++) {
			const char *id = json_string_value(json_array_get(v, j));
			p[j] = id ? braid_cellset_find(l->cs, id) : SIZE_MAX;
			if (p[j] == SIZE_MAX) {
				rc = braid_err_set(err, BRAID_EPARSE,
						   "ledger: constraints[%zu][%zu]: not a cell of the ledger", i, j);
				goto out;
			}
		}
		for (size_t j = 1; j < n; j++)
			if (p[j] == p[0]) {
				rc = braid_err_set(err, BRAID_EPARSE,
						   "ledger: constraints[%zu]: the total is one of its parts", i);
				goto out;
			}
		if (add_con(l, p[0], p + 1, n - 1)) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = l;
	l = NULL;
out:
	free(p);
	braid_ledger_free(l);
	json_decref(root);
	return rc;
}
