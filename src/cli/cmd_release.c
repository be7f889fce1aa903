/*
 * braid release QUERY.cohort and braid releases: a release under one named
 * agreement, made safe by the disclosure-control library (braid/release.h)
 * and remembered in the store (braid/release_store.h).
 *
 *   braid release FILE --agreement ID --purpose P --out DIR
 *                 [--noise EPSILON [--mechanism laplace|gaussian] [--delta D]]
 *                 [--per DENOMINATOR.cohort]
 *                 [--format text|json]
 *   braid release FILE --extract --agreement ID --purpose P --out DIR
 *                 [--quasi COLS] [--sensitive COL] [--zip3-population CSV]
 *   braid releases [--format text|json]
 *   braid releases --set-budget AGREEMENT EPSILON      (admin)
 *   braid releases --set-terms AGREEMENT KEY VALUE     (admin)
 *
 * Tables, in this order: authorise BRAID_ACT_RELEASE under the named
 * agreement only (a denial is audited); count distinct people with the
 * query layer; build one cell set (a two-way breakdown as a table with
 * row, column and grand margins; a one-way breakdown with its total; the
 * overall total shared by all; a breakdown by tract rolled up to planning
 * districts and the city, each level a sum of the one below; with --per,
 * the denominator cohort's cells beside the numerator's and, when its
 * people contain the numerator's cell by cell, the remainder cells
 * den = num + rest); fingerprint each cell's people from the cohort rows
 * (checked against the counts); relate them to the ledger's cells of
 * other cohorts (a nested difference of a few people becomes a small
 * cell of the ledger); optional discrete noise charged to the agreement's
 * epsilon budget; primary and complementary suppression at the
 * agreement's minimum cell size against the ledger; the interval audit
 * once more on the final table.  Any refusal writes nothing.  Then, in
 * one store transaction, the ledger, the budget and the release row; then
 * the audit entry (braid_policy_commit); only then the files: DIR/TABLE.csv
 * per table, DIR/rate_TABLE.csv with --per, DIR/cells.csv (the bytes the
 * manifest's content hash covers) and DIR/manifest.json.  A crash after
 * the store commit leaves the ledger knowing a release that never went out
 * (conservative), never a published table the ledger does not know.
 *
 * Extracts (--extract, agreements permitting deidentified-row use): the
 * cohort's rows without person ids, index date to year, ZIP to 3 digits
 * only where the ZIP3 has more than 20,000 people (census file, else the
 * person index: a lower bound), tract to planning district, then
 * k-anonymity (k from the agreement's terms, else its minimum cell size)
 * and l-diversity of --sensitive with local suppression, recounted on the
 * rows as written; DIR/extract.csv and DIR/manifest.json with the risk
 * report.
 *
 * Cell ids are canonical so that the ledger sees the same cell whatever the
 * breakdown: "<cohort>|dim=value[|dim=value]" with dimensions in name
 * order, where <cohort> is a hash of the query text without its `count`
 * line and comments.  A release by zip and a later one by race and zip
 * thus share their zip cells; different cohorts are related by the
 * fingerprints instead.  What it does not do: tables of three or more
 * dimensions; overlaps between cohorts that are not nestings, and nested
 * differences above BRAID_FP_MAX_DIFF people; noise together with rates.
 */
#include "cli.h"
#include "braid/csv.h"
#include "braid/policy.h"
#include "braid/query.h"
#include "braid/release.h"
#include "braid/release_store.h"
#include "braid/store.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_MAX 512
#define MISSING_KEY "(missing)"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: braid release FILE --agreement ID --purpose P --out DIR\n"
		"                     [--noise EPSILON [--mechanism laplace|gaussian] [--delta D]]\n"
		"                     [--per DENOMINATOR.cohort] [--format text|json]\n"
		"       braid release FILE --extract --agreement ID --purpose P --out DIR\n"
		"                     [--quasi COL,...] [--sensitive COL] [--zip3-population CSV]\n\n"
		"Release the counts of people of a cohort file (docs/query-language.md) under\n"
		"agreement ID: cells below the agreement's minimum cell size are suppressed,\n"
		"complementary cells too so that no suppressed cell can be worked out from\n"
		"totals or earlier releases (checked by a linear-programming audit), and\n"
		"--noise adds discrete differential-privacy noise charged to the agreement's\n"
		"epsilon budget.  A breakdown by tract is rolled up to planning districts.\n"
		"--per publishes rates numerator/denominator (rate_TABLE.csv; 5/95 coding and\n"
		"the minimum denominator from the agreement's release terms).  --extract writes\n"
		"de-identified rows (agreements permitting deidentified-row use) with\n"
		"k-anonymity over --quasi (default: every column) and l-diversity of\n"
		"--sensitive.  Writes DIR/TABLE.csv (or extract.csv), DIR/cells.csv and\n"
		"DIR/manifest.json (docs/releases.md).  Nothing is written when the release\n"
		"is refused.\n");
}

static void usage_list(FILE *f)
{
	fprintf(f, "usage: braid releases [--format text|json]\n"
		   "       braid releases --set-budget AGREEMENT EPSILON   (admin)\n"
		   "       braid releases --set-terms AGREEMENT KEY VALUE  (admin; KEY: code_5_95 yes|no,\n"
		   "                      min_denominator N, k N, l N)\n\n"
		   "List the releases of this workspace (id, time, agreement, query, tables,\n"
		   "cells suppressed, epsilon, content hash) and the epsilon budgets.\n");
}

static int parse_double(const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || !end || end == s || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ cell ids */

/* "c" + 16 hex of BLAKE2b over the query's lines other than comments,
 * blank lines and `count ...`, whitespace collapsed: the cohort's identity
 * whatever breakdown is asked. */
static void cohort_key(const char *text, size_t len, char out[18])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 8);
	size_t i = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t a = i, b = e;
		for (size_t k = a; k < b; k++)
			if (text[k] == '#') {
				b = k;
				break;
			}
		while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
			a++;
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
			b--;
		int is_count = b - a >= 5 && !strncmp(text + a, "count", 5) &&
			       (b - a == 5 || text[a + 5] == ' ' || text[a + 5] == '\t');
		if (b > a && !is_count) {
			int sp = 0;
			for (size_t k = a; k < b; k++) {
				int ws = text[k] == ' ' || text[k] == '\t';
				if (ws) {
					sp = 1;
					continue;
				}
				if (sp)
					crypto_generichash_update(&st, (const unsigned char *)" ", 1);
				sp = 0;
				crypto_generichash_update(&st, (const unsigned char *)&text[k], 1);
			}
			crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
		}
		i = e + 1;
	}
	unsigned char h[8];
	crypto_generichash_final(&st, h, sizeof h);
	out[0] = 'c';
	sodium_bin2hex(out + 1, 17, h, sizeof h);
}

static const char *key_or_missing(const char *k)
{
	return k && *k ? k : MISSING_KEY;
}

/* The canonical id of a cell: cohort, then (dim=value) pairs in dimension
 * name order; da == NULL for the total, db == NULL for one dimension. */
static braid_rc cell_id(char out[ID_MAX], const char *cohort, const char *da, const char *va,
			const char *db, const char *vb, struct braid_err *err)
{
	if (da && db && strcmp(da, db) > 0) {
		const char *t = da;
		da = db;
		db = t;
		t = va;
		va = vb;
		vb = t;
	}
	int n;
	if (!da)
		n = snprintf(out, ID_MAX, "%s", cohort);
	else if (!db)
		n = snprintf(out, ID_MAX, "%s|%s=%s", cohort, da, va);
	else
		n = snprintf(out, ID_MAX, "%s|%s=%s|%s=%s", cohort, da, va, db, vb);
	if (n < 0 || n >= ID_MAX)
		return braid_err_set(err, BRAID_ETOOBIG, "release: a category of '%s' is too long for a cell id",
				     db ? db : da);
	return BRAID_OK;
}

static braid_rc check_key(const char *dim, const char *k, struct braid_err *err)
{
	if (strchr(k, '|') || !strcmp(k, "*"))
		return braid_err_set(err, BRAID_EINVAL,
				     "release: a category of '%s' contains '|' or is '*', which cell ids cannot hold",
				     dim);
	return BRAID_OK;
}

/* ------------------------------------------------------------ the tables */

/* One published table: its dimensions and, per row of the CSV, the keys
 * ("*" = summed over) and the cell index. */
struct out_table {
	const char *name;
	const char *dims[2];
	size_t ndims;
	size_t nrows;
	const char *(*keys)[2];
	size_t *cell;
};

#define MAX_TABS 10 /* numerator's and denominator's tables, with districts */

struct rel {
	char cohort[18];
	const char *prefix; /* table name prefix ("" or "denominator_") */
	struct braid_cellset *cs;
	struct out_table tabs[MAX_TABS];
	size_t ntabs;
	struct braid_arena arena;
};

static const struct braid_qtable *find_table(const struct braid_qcounts *c, size_t ndims,
					      const char *d0, const char *d1)
{
	for (size_t i = 0; i < c->ntables; i++) {
		const struct braid_qtable *t = &c->tables[i];
		if (t->ndims == ndims && !strcmp(t->dims[0], d0) && (ndims < 2 || !strcmp(t->dims[1], d1)))
			return t;
	}
	return NULL;
}

static braid_rc add_cell(struct rel *r, const char *da, const char *va, const char *db,
			 const char *vb, int64_t v, size_t *idx, struct braid_err *err)
{
	char id[ID_MAX];
	braid_rc rc = cell_id(id, r->cohort, da, va, db, vb, err);
	if (!rc)
		rc = braid_cellset_add(r->cs, id, v, idx, err);
	return rc;
}

static braid_rc table_alloc(struct rel *r, struct out_table *t, const char *name, size_t nrows,
			    struct braid_err *err)
{
	char full[256];
	snprintf(full, sizeof full, "%s%s", r->prefix ? r->prefix : "", name);
	t->name = braid_arena_strdup(&r->arena, full);
	t->nrows = 0;
	t->keys = braid_arena_zalloc(&r->arena, (nrows ? nrows : 1) * sizeof *t->keys);
	t->cell = braid_arena_zalloc(&r->arena, (nrows ? nrows : 1) * sizeof *t->cell);
	if (!t->name || !t->keys || !t->cell)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	return BRAID_OK;
}

/* A one-way table of dimension d (its categories and the total). */
static braid_rc build_1d(struct rel *r, const struct braid_qtable *qt, size_t total_idx,
			 struct braid_err *err)
{
	const char *d = qt->dims[0];
	struct out_table *t = &r->tabs[r->ntabs++];
	braid_rc rc = table_alloc(r, t, qt->name, qt->ncells + 1, err);
	if (rc)
		return rc;
	t->dims[0] = d;
	t->ndims = 1;
	size_t *parts = calloc(qt->ncells ? qt->ncells : 1, sizeof *parts);
	if (!parts)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < qt->ncells; i++) {
		const char *k = key_or_missing(qt->cells[i].keys[0]);
		if (!(rc = check_key(d, k, err)) &&
		    !(rc = add_cell(r, d, k, NULL, NULL, qt->cells[i].count, &parts[i], err))) {
			t->keys[t->nrows][0] = k;
			t->cell[t->nrows++] = parts[i];
		}
	}
	if (!rc && qt->ncells)
		rc = braid_cellset_constrain(r->cs, total_idx, parts, qt->ncells, err);
	free(parts);
	if (!rc) {
		t->keys[t->nrows][0] = "*";
		t->cell[t->nrows++] = total_idx;
	}
	return rc;
}

/* The two-way table a x b over the categories of the one-way tables
 * (dense: a combination nobody has is a 0), with its margins: the cells of
 * the one-way tables, shared by id. */
static braid_rc build_2d(struct rel *r, const struct braid_qtable *ta, const struct braid_qtable *tb,
			 const struct braid_qtable *cross, size_t total_idx, struct braid_err *err)
{
	const char *da = ta->dims[0], *db = tb->dims[0];
	size_t na = ta->ncells, nb = tb->ncells;
	struct out_table *t = &r->tabs[r->ntabs++];
	braid_rc rc = table_alloc(r, t, cross->name, (na + 1) * (nb + 1), err);
	if (rc)
		return rc;
	t->dims[0] = da;
	t->dims[1] = db;
	t->ndims = 2;
	size_t nleaf = na * nb > 0 ? na * nb : 1;
	int64_t *v = calloc(nleaf, sizeof *v);
	size_t *leaf = calloc(nleaf, sizeof *leaf);
	size_t *parts = calloc((na > nb ? na : nb) + 1, sizeof *parts);
	if (!v || !leaf || !parts) {
		free(v);
		free(leaf);
		free(parts);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cross->ncells; i++) {
		const char *ka = key_or_missing(cross->cells[i].keys[0]);
		const char *kb = key_or_missing(cross->cells[i].keys[1]);
		size_t x = SIZE_MAX, y = SIZE_MAX;
		for (size_t j = 0; j < na; j++)
			if (!strcmp(key_or_missing(ta->cells[j].keys[0]), ka))
				x = j;
		for (size_t j = 0; j < nb; j++)
			if (!strcmp(key_or_missing(tb->cells[j].keys[0]), kb))
				y = j;
		if (x == SIZE_MAX || y == SIZE_MAX) {
			rc = braid_err_set(err, BRAID_EINTERNAL,
					   "release: table '%s' has a category its margins lack", cross->name);
			break;
		}
		v[x * nb + y] = cross->cells[i].count;
	}
	for (size_t x = 0; !rc && x < na; x++)
		for (size_t y = 0; !rc && y < nb; y++) {
			const char *ka = key_or_missing(ta->cells[x].keys[0]);
			const char *kb = key_or_missing(tb->cells[y].keys[0]);
			if (!(rc = add_cell(r, da, ka, db, kb, v[x * nb + y], &leaf[x * nb + y], err))) {
				t->keys[t->nrows][0] = ka;
				t->keys[t->nrows][1] = kb;
				t->cell[t->nrows++] = leaf[x * nb + y];
			}
		}
	/* row margins a=x (shared with the one-way table of a) */
	for (size_t x = 0; !rc && x < na; x++) {
		const char *ka = key_or_missing(ta->cells[x].keys[0]);
		size_t m;
		if ((rc = add_cell(r, da, ka, NULL, NULL, ta->cells[x].count, &m, err)))
			break;
		for (size_t y = 0; y < nb; y++)
			parts[y] = leaf[x * nb + y];
		if ((rc = braid_cellset_constrain(r->cs, m, parts, nb, err)))
			break;
		t->keys[t->nrows][0] = ka;
		t->keys[t->nrows][1] = "*";
		t->cell[t->nrows++] = m;
	}
	for (size_t y = 0; !rc && y < nb; y++) {
		const char *kb = key_or_missing(tb->cells[y].keys[0]);
		size_t m;
		if ((rc = add_cell(r, db, kb, NULL, NULL, tb->cells[y].count, &m, err)))
			break;
		for (size_t x = 0; x < na; x++)
			parts[x] = leaf[x * nb + y];
		if ((rc = braid_cellset_constrain(r->cs, m, parts, na, err)))
			break;
		t->keys[t->nrows][0] = "*";
		t->keys[t->nrows][1] = kb;
		t->cell[t->nrows++] = m;
	}
	if (!rc) {
		t->keys[t->nrows][0] = "*";
		t->keys[t->nrows][1] = "*";
		t->cell[t->nrows++] = total_idx;
	}
	free(v);
	free(leaf);
	free(parts);
	return rc;
}

/* The cell set of a release: every table of the query's counts. */
static braid_rc build_cells(struct rel *r, const struct braid_qcounts *c, const char *const *dims,
			    size_t nd, struct braid_err *err)
{
	if (nd > 2)
		return braid_err_set(err, BRAID_EINVAL,
				     "release: at most two breakdown dimensions (the query has %zu)", nd);
	int64_t total = -1;
	for (size_t i = 0; i < c->nscalars; i++)
		if (!strcmp(c->scalars[i].name, "total"))
			total = c->scalars[i].count;
	if (total < 0)
		return braid_err_set(err, BRAID_EINTERNAL, "release: the counts have no total");
	size_t ti;
	braid_rc rc = add_cell(r, NULL, NULL, NULL, NULL, total, &ti, err);
	if (rc)
		return rc;
	if (nd == 0) {
		struct out_table *t = &r->tabs[r->ntabs++];
		if ((rc = table_alloc(r, t, "total", 1, err)))
			return rc;
		t->ndims = 0;
		t->cell[t->nrows++] = ti;
		return BRAID_OK;
	}
	const struct braid_qtable *one[2] = {NULL, NULL};
	for (size_t i = 0; i < nd; i++) {
		one[i] = find_table(c, 1, dims[i], NULL);
		if (!one[i])
			return braid_err_set(err, BRAID_EINTERNAL, "release: no table by '%s'", dims[i]);
		if ((rc = build_1d(r, one[i], ti, err)))
			return rc;
	}
	if (nd == 2) {
		const struct braid_qtable *x = find_table(c, 2, dims[0], dims[1]);
		if (!x)
			return braid_err_set(err, BRAID_EINTERNAL, "release: no cross table");
		if ((rc = build_2d(r, one[0], one[1], x, ti, err)))
			return rc;
	}
	return braid_cellset_check(r->cs, 0, err);
}

/* ------------------------------------------------------------ geography */

/* Tract -> planning district as the store knows it (records geocoded by
 * src/geo carry both; a tract lies in one district). */
struct tract_map {
	const char **tract, **district;
	size_t n, cap;
};

static const char *district_of(const struct tract_map *tm, const char *tract)
{
	for (size_t i = 0; tm && i < tm->n; i++)
		if (!strcmp(tm->tract[i], tract))
			return tm->district[i];
	return MISSING_KEY;
}

/* The hierarchy tract -> planning district -> city of a breakdown by
 * tract: district cells are the sums of their tracts' cells (constraints
 * district = sum of tracts, city total = sum of districts; with a second
 * dimension b, district x b = sum of tract x b with its margins), so that
 * protection and the audit see every level at once.  Tables "district"
 * and the cross table with "tract" renamed. */
static braid_rc add_districts(struct rel *r, const struct tract_map *tm, size_t first_tab,
			      struct braid_err *err)
{
	size_t ntabs = r->ntabs;
	braid_rc rc = BRAID_OK;
	/* districts in first-seen order, from the 1-d tract table */
	const struct out_table *t1 = NULL;
	for (size_t k = first_tab; k < ntabs; k++)
		if (r->tabs[k].ndims == 1 && !strcmp(r->tabs[k].dims[0], "tract"))
			t1 = &r->tabs[k];
	if (!t1)
		return BRAID_OK;
	size_t total_idx = t1->cell[t1->nrows - 1];
	const char **dist = braid_arena_zalloc(&r->arena, (t1->nrows + 1) * sizeof *dist);
	size_t *didx = braid_arena_zalloc(&r->arena, (t1->nrows + 1) * sizeof *didx);
	size_t *parts = calloc(t1->nrows + 1, sizeof *parts);
	if (!dist || !didx || !parts) {
		free(parts);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	size_t nd = 0;
	for (size_t i = 0; i + 1 < t1->nrows; i++) {
		const char *dname = district_of(tm, t1->keys[i][0]);
		size_t j = 0;
		while (j < nd && strcmp(dist[j], dname))
			j++;
		if (j == nd)
			dist[nd++] = dname;
	}
	struct out_table *td = &r->tabs[r->ntabs++];
	if ((rc = table_alloc(r, td, "district", nd + 1, err)))
		goto out;
	td->dims[0] = "district";
	td->ndims = 1;
	for (size_t j = 0; !rc && j < nd; j++) {
		int64_t v = 0;
		size_t np = 0;
		for (size_t i = 0; i + 1 < t1->nrows; i++)
			if (!strcmp(district_of(tm, t1->keys[i][0]), dist[j])) {
				v += braid_cellset_cell(r->cs, t1->cell[i])->value;
				parts[np++] = t1->cell[i];
			}
		if (!(rc = check_key("district", dist[j], err)) &&
		    !(rc = add_cell(r, "district", dist[j], NULL, NULL, v, &didx[j], err)) &&
		    !(rc = braid_cellset_constrain(r->cs, didx[j], parts, np, err))) {
			td->keys[td->nrows][0] = dist[j];
			td->cell[td->nrows++] = didx[j];
		}
	}
	if (!rc)
		rc = braid_cellset_constrain(r->cs, total_idx, didx, nd, err);
	if (rc)
		goto out;
	td->keys[td->nrows][0] = "*";
	td->cell[td->nrows++] = total_idx;

	/* the cross table, if any */
	const struct out_table *t2 = NULL;
	for (size_t k = first_tab; k < ntabs; k++)
		if (r->tabs[k].ndims == 2)
			t2 = &r->tabs[k];
	if (!t2)
		goto out;
	size_t ta = !strcmp(t2->dims[0], "tract") ? 0 : 1, tb = 1 - ta;
	const char *db = t2->dims[tb];
	/* b's categories: rows (*, kb) other than the grand total */
	size_t nb = 0;
	const char **bk = braid_arena_zalloc(&r->arena, (t2->nrows + 1) * sizeof *bk);
	size_t *bmargin = braid_arena_zalloc(&r->arena, (t2->nrows + 1) * sizeof *bmargin);
	size_t *cross = calloc((nd + 1) * (t2->nrows + 1), sizeof *cross);
	size_t *cp = calloc(t2->nrows + nd + 1, sizeof *cp);
	if (!bk || !bmargin || !cross || !cp) {
		free(cross);
		free(cp);
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t2->nrows; i++)
		if (!strcmp(t2->keys[i][ta], "*") && strcmp(t2->keys[i][tb], "*")) {
			bk[nb] = t2->keys[i][tb];
			bmargin[nb++] = t2->cell[i];
		}
	char name[256];
	const char *base = t2->name;
	if (r->prefix && !strncmp(base, r->prefix, strlen(r->prefix)))
		base += strlen(r->prefix); /* table_alloc adds it back */
	snprintf(name, sizeof name, "%s_by_district", base);
	struct out_table *tx = &r->tabs[r->ntabs++];
	if ((rc = table_alloc(r, tx, name, (nd + 1) * (nb + 1), err)))
		goto out2;
	tx->dims[ta] = "district";
	tx->dims[tb] = db;
	tx->ndims = 2;
	for (size_t j = 0; !rc && j < nd; j++)
		for (size_t y = 0; !rc && y < nb; y++) {
			int64_t v = 0;
			size_t np = 0;
			for (size_t i = 0; i < t2->nrows; i++) {
				const char *kt = t2->keys[i][ta], *kb = t2->keys[i][tb];
				if (strcmp(kt, "*") && !strcmp(kb, bk[y]) &&
				    !strcmp(district_of(tm, kt), dist[j])) {
					v += braid_cellset_cell(r->cs, t2->cell[i])->value;
					cp[np++] = t2->cell[i];
				}
			}
			size_t ci;
			if ((rc = add_cell(r, "district", dist[j], db, bk[y], v, &ci, err)) ||
			    (rc = braid_cellset_constrain(r->cs, ci, cp, np, err)))
				break;
			cross[j * nb + y] = ci;
			tx->keys[tx->nrows][ta] = dist[j];
			tx->keys[tx->nrows][tb] = bk[y];
			tx->cell[tx->nrows++] = ci;
		}
	for (size_t j = 0; !rc && j < nd; j++) { /* district margins */
		if ((rc = braid_cellset_constrain(r->cs, didx[j], &cross[j * nb], nb, err)))
			break;
		tx->keys[tx->nrows][ta] = dist[j];
		tx->keys[tx->nrows][tb] = "*";
		tx->cell[tx->nrows++] = didx[j];
	}
	for (size_t y = 0; !rc && y < nb; y++) { /* b margins */
		for (size_t j = 0; j < nd; j++)
			cp[j] = cross[j * nb + y];
		if ((rc = braid_cellset_constrain(r->cs, bmargin[y], cp, nd, err)))
			break;
		tx->keys[tx->nrows][ta] = "*";
		tx->keys[tx->nrows][tb] = bk[y];
		tx->cell[tx->nrows++] = bmargin[y];
	}
	if (!rc) {
		tx->keys[tx->nrows][0] = "*";
		tx->keys[tx->nrows][1] = "*";
		tx->cell[tx->nrows++] = total_idx;
	}
out2:
	free(cross);
	free(cp);
out:
	free(parts);
	return rc;
}

/* ------------------------------------------------------------ output */

static const char *status_word(const struct braid_cell *c)
{
	if (c->status != BRAID_CELL_SHOWN)
		return "suppressed";
	if ((c->flags & BRAID_CELLF_NOISE) && (c->flags & BRAID_CELLF_UNRELIABLE))
		return "noisy unreliable";
	if (c->flags & BRAID_CELLF_NOISE)
		return "noisy";
	return "";
}

/* Quote a CSV field when it needs it. */
static braid_rc csv_field(struct braid_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\n\r"))
		return braid_buf_puts(b, s);
	braid_rc rc = braid_buf_putc(b, '"');
	for (const char *p = s; !rc && *p; p++)
		rc = *p == '"' ? braid_buf_puts(b, "\"\"") : braid_buf_putc(b, *p);
	return rc ? rc : braid_buf_putc(b, '"');
}

static braid_rc table_csv(const struct rel *r, const struct out_table *t, struct braid_buf *b)
{
	braid_rc rc = BRAID_OK;
	for (size_t d = 0; !rc && d < t->ndims; d++)
		rc = braid_buf_printf(b, "%s,", t->dims[d]);
	if (!rc)
		rc = braid_buf_puts(b, "count,status\n");
	for (size_t i = 0; !rc && i < t->nrows; i++) {
		const struct braid_cell *c = braid_cellset_cell(r->cs, t->cell[i]);
		for (size_t d = 0; !rc && d < t->ndims; d++)
			if (!(rc = csv_field(b, t->keys[i][d])))
				rc = braid_buf_putc(b, ',');
		if (!rc && c->status == BRAID_CELL_SHOWN)
			rc = braid_buf_printf(b, "%lld", (long long)c->shown);
		if (!rc)
			rc = braid_buf_printf(b, ",%s\n", status_word(c));
	}
	return rc;
}

/* ------------------------------------------------------------ people sets */

/* The keyed hash of a person for fingerprints and nesting: SipHash under a
 * key derived from the vault key (braid_store_rid_hash), domain-separated,
 * so that fingerprints say nothing to anyone without the workspace key. */
static uint64_t person_hash(struct braid_store *s, const char *pid)
{
	char buf[320];
	int k = snprintf(buf, sizeof buf, "release-person\x1f%s", pid);
	if (k < 0)
		k = 0;
	if ((size_t)k >= sizeof buf)
		k = (int)sizeof buf - 1;
	return (uint64_t)braid_store_rid_hash(s, buf, (size_t)k);
}

/* (person, cell keys) of one row, for the nesting check of a rate. */
struct pk {
	uint64_t person, keys;
};

struct fp_ctx {
	struct braid_store *s;
	const struct braid_cellset *cs;
	const char *cohort;
	const char *const *dims;
	size_t nd;
	struct braid_fp *fp; /* per cell of cs */
	int64_t *n;          /* per cell: people seen */
	const struct tract_map *tm; /* breakdown by tract: districts too */
	struct pk *pk;       /* one per row, when wanted */
	size_t npk, cappk;
	int want_pk;
	struct braid_err *err;
	braid_rc rc;
};

static void fp_touch(struct fp_ctx *c, const char *da, const char *va, const char *db, const char *vb,
		     uint64_t h)
{
	char id[ID_MAX];
	if (cell_id(id, c->cohort, da, va, db, vb, c->err)) {
		c->rc = c->err->code;
		return;
	}
	size_t i = braid_cellset_find(c->cs, id);
	if (i == SIZE_MAX) {
		c->rc = braid_err_set(c->err, BRAID_EINTERNAL,
				      "release: a row of the cohort falls in no cell of its tables");
		return;
	}
	braid_fp_add(&c->fp[i], h);
	c->n[i]++;
}

static int fp_row(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	(void)names;
	struct fp_ctx *c = ctx;
	if (ncols < 2 + (int)c->nd) {
		c->rc = braid_err_set(c->err, BRAID_EINTERNAL, "release: cohort rows lack a dimension");
		return 1;
	}
	uint64_t h = person_hash(c->s, vals[0]);
	fp_touch(c, NULL, NULL, NULL, NULL, h);
	for (size_t i = 0; !c->rc && i < c->nd; i++)
		fp_touch(c, c->dims[i], key_or_missing(vals[2 + i]), NULL, NULL, h);
	if (!c->rc && c->nd == 2)
		fp_touch(c, c->dims[0], key_or_missing(vals[2]), c->dims[1], key_or_missing(vals[3]), h);
	for (size_t i = 0; !c->rc && c->tm && i < c->nd; i++) {
		if (strcmp(c->dims[i], "tract"))
			continue;
		const char *dn = district_of(c->tm, key_or_missing(vals[2 + i]));
		fp_touch(c, "district", dn, NULL, NULL, h);
		if (!c->rc && c->nd == 2)
			fp_touch(c, "district", dn, c->dims[1 - i], key_or_missing(vals[2 + (1 - i)]), h);
	}
	if (!c->rc && c->want_pk) {
		if (c->npk == c->cappk) {
			size_t nc = c->cappk ? 2 * c->cappk : 1024;
			struct pk *p = braid_reallocarray(c->pk, nc, sizeof *p);
			if (!p) {
				c->rc = braid_err_set(c->err, BRAID_ENOMEM, "out of memory");
				return 1;
			}
			c->pk = p;
			c->cappk = nc;
		}
		uint64_t kh = 0x6b657973;
		for (size_t i = 0; i < c->nd; i++) {
			const char *v = key_or_missing(vals[2 + i]);
			kh = braid_hash64(v, strlen(v) + 1, kh);
		}
		c->pk[c->npk++] = (struct pk){h, kh};
	}
	return c->rc ? 1 : 0;
}

static int pk_cmp(const void *a, const void *b)
{
	const struct pk *x = a, *y = b;
	if (x->person != y->person)
		return x->person < y->person ? -1 : 1;
	return x->keys < y->keys ? -1 : x->keys > y->keys;
}

/* Fingerprint the cells [first, end) of r->cs (those of cohort r->cohort)
 * from the plan's rows, and check that the rows add up to the counts.
 * With pk, the (person, keys) pairs are handed out sorted. */
static braid_rc fingerprint(struct braid_store *s, const struct braid_qplan *plan, struct rel *r,
			    const char *const *dims, size_t nd, const struct tract_map *tm, size_t first,
			    size_t end, struct pk **pk, size_t *npk, struct braid_err *err)
{
	size_t n = braid_cellset_count(r->cs);
	struct fp_ctx c = {.s = s, .cs = r->cs, .cohort = r->cohort, .dims = dims, .nd = nd,
			   .tm = tm, .want_pk = pk != NULL, .err = err};
	c.fp = calloc(n ? n : 1, sizeof *c.fp);
	c.n = calloc(n ? n : 1, sizeof *c.n);
	braid_rc rc = BRAID_OK;
	if (!c.fp || !c.n)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	int64_t nrows = 0;
	if (!rc)
		rc = braid_qplan_rows(s, plan, fp_row, &c, &nrows, err);
	if (!rc)
		rc = c.rc;
	for (size_t i = first; !rc && i < end; i++) {
		if (c.n[i] != braid_cellset_cell(r->cs, i)->value)
			rc = braid_err_set(err, BRAID_EINTERNAL,
					   "release: the cohort's rows do not add up to its counts (cell '%s')",
					   braid_cellset_cell(r->cs, i)->id);
		else
			rc = braid_cellset_set_fp(r->cs, i, &c.fp[i], err);
	}
	if (!rc && pk) {
		qsort(c.pk, c.npk, sizeof *c.pk, pk_cmp);
		*pk = c.pk;
		*npk = c.npk;
		c.pk = NULL;
	}
	free(c.pk);
	free(c.fp);
	free(c.n);
	return rc;
}

/* Whether every (person, keys) of num is in den: the numerator's people
 * are among the denominator's, in the same cell. */
static int nested(const struct pk *num, size_t nn, const struct pk *den, size_t nd)
{
	for (size_t i = 0; i < nn; i++)
		if (!bsearch(&num[i], den, nd, sizeof *den, pk_cmp))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ rates */

/* The denominator's cell of a numerator cell: same dimensions and keys
 * under the denominator's cohort. */
static size_t den_cell(const struct rel *r, const char *den_cohort, const struct out_table *t,
		       size_t row, struct braid_err *err)
{
	const char *da = NULL, *va = NULL, *db = NULL, *vb = NULL;
	for (size_t d = 0; d < t->ndims; d++) {
		if (!strcmp(t->keys[row][d], "*"))
			continue;
		if (!da) {
			da = t->dims[d];
			va = t->keys[row][d];
		} else {
			db = t->dims[d];
			vb = t->keys[row][d];
		}
	}
	char id[ID_MAX];
	if (cell_id(id, den_cohort, da, va, db, vb, err))
		return SIZE_MAX;
	return braid_cellset_find(r->cs, id);
}

/* For nested cohorts, the people of each denominator cell who are not in
 * the numerator are a cell of their own that a reader gets by subtraction:
 * "<num>~<den>|...", value den - num, with den = num + rest, so that a
 * small remainder is protected like any small count. */
static braid_rc add_rest_cells(struct rel *r, size_t num_first, size_t num_end, const char *den_cohort,
			       struct braid_err *err)
{
	size_t cl = strlen(r->cohort);
	for (size_t i = num_first; i < num_end; i++) {
		const struct braid_cell *c = braid_cellset_cell(r->cs, i);
		char did[ID_MAX], rid[ID_MAX];
		int k = snprintf(did, sizeof did, "%s%s", den_cohort, c->id + cl);
		int k2 = snprintf(rid, sizeof rid, "%s~%s%s", r->cohort, den_cohort, c->id + cl);
		if (k < 0 || (size_t)k >= sizeof did || k2 < 0 || (size_t)k2 >= sizeof rid)
			return braid_err_set(err, BRAID_ETOOBIG, "release: a cell id is too long");
		size_t d = braid_cellset_find(r->cs, did);
		if (d == SIZE_MAX)
			return braid_err_set(err, BRAID_EINVAL,
					     "release: the denominator has no cell for '%s' (a category of the "
					     "numerator nobody in the denominator has)", c->id);
		int64_t nv = c->value, dv = braid_cellset_cell(r->cs, d)->value;
		size_t ri;
		braid_rc rc = braid_cellset_add(r->cs, rid, dv - nv, &ri, err);
		if (rc)
			return rc;
		size_t parts[2] = {i, ri};
		if ((rc = braid_cellset_constrain(r->cs, d, parts, 2, err)))
			return rc;
	}
	return BRAID_OK;
}

struct rate_stats {
	size_t shown, suppressed, unreliable;
};

/* rate_TABLE.csv: dims..., percent, status ("suppressed" when the
 * numerator or the denominator is), reliability ("unreliable" when the
 * denominator is below min_denominator): confidentiality and reliability
 * in separate columns. */
static braid_rc rate_csv(const struct rel *r, const struct out_table *t, const char *den_cohort,
			 int code_5_95, long min_den, struct braid_buf *b, struct rate_stats *st,
			 struct braid_err *err)
{
	braid_rc rc = BRAID_OK;
	for (size_t d = 0; !rc && d < t->ndims; d++)
		rc = braid_buf_printf(b, "%s,", t->dims[d]);
	if (!rc)
		rc = braid_buf_puts(b, "percent,status,reliability\n");
	for (size_t i = 0; !rc && i < t->nrows; i++) {
		size_t den = den_cell(r, den_cohort, t, i, err);
		if (den == SIZE_MAX)
			return err->code ? err->code
					 : braid_err_set(err, BRAID_EINVAL,
							 "release: the denominator has no cell for '%s'",
							 braid_cellset_cell(r->cs, t->cell[i])->id);
		struct braid_rate rt;
		if ((rc = braid_release_rate(r->cs, t->cell[i], den, code_5_95, min_den, &rt, err)))
			return rc;
		char pct[32];
		braid_rate_format(&rt, pct, sizeof pct);
		for (size_t d = 0; !rc && d < t->ndims; d++)
			if (!(rc = csv_field(b, t->keys[i][d])))
				rc = braid_buf_putc(b, ',');
		if (!rc)
			rc = braid_buf_printf(b, "%s,%s,%s\n", pct,
					      rt.code == BRAID_RATE_SUPPRESSED ? "suppressed" : "",
					      rt.unreliable ? "unreliable" : "");
		if (rt.code == BRAID_RATE_SUPPRESSED)
			st->suppressed++;
		else
			st->shown++;
		st->unreliable += rt.unreliable != 0;
	}
	if (rc && !err->code)
		braid_err_set(err, BRAID_ENOMEM, "out of memory");
	return rc;
}

static void hex_hash(const void *p, size_t n, char out[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, p, n, NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof h);
}

static braid_rc write_file(const char *dir, const char *name, const void *p, size_t n,
			   struct braid_err *err)
{
	char path[4096];
	int k = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (k < 0 || (size_t)k >= sizeof path)
		return braid_err_set(err, BRAID_ETOOBIG, "release: output path too long");
	FILE *f = fopen(path, "wb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot write '%s': %s", path, strerror(errno));
	int bad = n && fwrite(p, 1, n, f) != n;
	bad |= fclose(f) != 0;
	if (bad)
		return braid_err_set(err, BRAID_EIO, "cannot write '%s'", path);
	return BRAID_OK;
}

/* DIR must be new or an empty directory: a release never mixes with or
 * overwrites the files of another. */
static braid_rc prepare_dir(const char *dir, int *created, struct braid_err *err)
{
	*created = 0;
	if (mkdir(dir, 0750) == 0) {
		*created = 1;
		return BRAID_OK;
	}
	if (errno != EEXIST)
		return braid_err_set(err, BRAID_EIO, "cannot create '%s': %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return braid_err_set(err, BRAID_EIO, "'%s' exists and is not a directory", dir);
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty)
		return braid_err_set(err, BRAID_EEXIST,
				     "'%s' is not empty: give a new directory for each release", dir);
	return BRAID_OK;
}

/* ------------------------------------------------------------ authorise */

/* The policy check against the named agreement only (another agreement
 * covering the user does not make this release allowed); a denial is
 * written to the audit log like braid_policy_authorize does. */
static braid_rc authorize_named(struct braid_policy *p, const struct braid_user *u,
				const char *agreement, const struct braid_request *req,
				struct braid_decision *d, struct braid_err *err)
{
	struct braid_agreement *const *ags;
	size_t n = braid_policy_agreements(p, &ags);
	struct braid_agreement *ag = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ags[i]->id, agreement))
			ag = ags[i];
	braid_rc rc;
	if (ag) {
		rc = braid_policy_check(u, &ag, 1, req, d, err);
		if (rc != BRAID_EDENIED)
			return rc;
	} else {
		memset(d, 0, sizeof *d);
		snprintf(d->reason, sizeof d->reason, "no agreement '%s' in this workspace",
			 strlen(agreement) <= BRAID_NAME_MAX ? agreement : "(too long)");
		braid_err_set(err, BRAID_EDENIED, "%s", d->reason);
	}
	struct braid_audit_entry e;
	braid_audit_fill(&e, u, req, d, -1);
	struct braid_err aerr;
	braid_err_clear(&aerr);
	if (braid_policy_audit_append(p, &e, &aerr)) {
		*err = aerr;
		return aerr.code ? aerr.code : BRAID_ESTORE;
	}
	return BRAID_EDENIED;
}

/* ------------------------------------------------------------ braid release */

struct opts {
	const char *file, *agreement, *purpose, *out;
	const char *per;       /* denominator cohort: rates */
	int extract;           /* de-identified rows */
	const char *quasi;     /* extract: quasi-identifier columns (comma list) */
	const char *sensitive; /* extract: l-diversity column */
	const char *zip3_file; /* extract: census ZIP3 populations */
	int json;
	int noise;
	double epsilon, delta;
	enum braid_noise_mech mech;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->mech = BRAID_NOISE_DLAPLACE;
	o->delta = 1e-6;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (!strcmp(a, "--agreement") && has)
			o->agreement = argv[++i];
		else if (!strcmp(a, "--purpose") && has)
			o->purpose = argv[++i];
		else if (!strcmp(a, "--out") && has)
			o->out = argv[++i];
		else if (!strcmp(a, "--per") && has)
			o->per = argv[++i];
		else if (!strcmp(a, "--extract"))
			o->extract = 1;
		else if (!strcmp(a, "--quasi") && has)
			o->quasi = argv[++i];
		else if (!strcmp(a, "--sensitive") && has)
			o->sensitive = argv[++i];
		else if (!strcmp(a, "--zip3-population") && has)
			o->zip3_file = argv[++i];
		else if (!strcmp(a, "--format") && has) {
			const char *f = argv[++i];
			if (!strcmp(f, "json"))
				o->json = 1;
			else if (strcmp(f, "text"))
				return cli_usage_error("release: --format must be text or json");
		} else if (!strcmp(a, "--noise") && has) {
			if (parse_double(argv[++i], &o->epsilon) || o->epsilon <= 0)
				return cli_usage_error("release: --noise needs an epsilon > 0");
			o->noise = 1;
		} else if (!strcmp(a, "--delta") && has) {
			if (parse_double(argv[++i], &o->delta) || o->delta <= 0 || o->delta >= 1)
				return cli_usage_error("release: --delta must be in (0, 1)");
		} else if (!strcmp(a, "--mechanism") && has) {
			const char *m = argv[++i];
			if (!strcmp(m, "laplace"))
				o->mech = BRAID_NOISE_DLAPLACE;
			else if (!strcmp(m, "gaussian"))
				o->mech = BRAID_NOISE_DGAUSS;
			else
				return cli_usage_error("release: --mechanism must be laplace or gaussian");
		} else if (a[0] == '-')
			return cli_usage_error("release: unknown option '%s' (see braid release --help)", a);
		else if (!o->file)
			o->file = a;
		else
			return cli_usage_error("release: one FILE only");
	}
	if (!o->file)
		return cli_usage_error("release: missing FILE (see braid release --help)");
	if (!o->agreement)
		return cli_usage_error("release: --agreement ID is required");
	if (!o->purpose)
		return cli_usage_error("release: --purpose P is required (the purpose the agreement permits)");
	if (!o->out)
		return cli_usage_error("release: --out DIR is required");
	if (o->per && (o->noise || o->extract))
		return cli_usage_error("release: --per (rates) goes with neither --noise nor --extract");
	if (o->extract && o->noise)
		return cli_usage_error("release: --extract takes no --noise");
	if (!o->extract && (o->quasi || o->sensitive || o->zip3_file))
		return cli_usage_error("release: --quasi, --sensitive and --zip3-population go with --extract");
	return 0;
}

/* ------------------------------------------------------------ row extracts */

/* Rows of the cohort: index_date then the dimensions, strings kept in an
 * arena (NULL = missing); person ids are never read into the extract. */
struct rows_ctx {
	struct braid_arena *a;
	size_t ncols;
	const char **v;
	size_t n, cap;
	int oom;
};

static int rows_row(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	(void)names;
	struct rows_ctx *c = ctx;
	if ((size_t)ncols < 1 + c->ncols)
		return 1;
	if (c->n + c->ncols > c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 4096;
		while (nc < c->n + c->ncols)
			nc *= 2;
		const char **p = braid_reallocarray(c->v, nc, sizeof *p);
		if (!p) {
			c->oom = 1;
			return 1;
		}
		c->v = p;
		c->cap = nc;
	}
	for (size_t j = 0; j < c->ncols; j++) {
		const char *x = vals[1 + j];
		c->v[c->n++] = x && *x ? braid_arena_strdup(c->a, x) : NULL;
	}
	return 0;
}

/* ZIP3 populations: from a census file (CSV "zip3,population" with a
 * header), or else the people of the person index by the first three
 * digits of their records' ZIPs — a lower bound of the true population,
 * so it errs on the side of "000". */
struct zip3_pop {
	const char **z;
	long *pop;
	size_t n, cap;
	const char *source;
};

static braid_rc zip3_push(struct zip3_pop *zp, struct braid_arena *a, const char *z, long pop)
{
	if (zp->n == zp->cap) {
		size_t nc = zp->cap ? 2 * zp->cap : 64;
		const char **nz = braid_reallocarray(zp->z, nc, sizeof *nz);
		if (!nz)
			return BRAID_ENOMEM;
		zp->z = nz;
		long *np = braid_reallocarray(zp->pop, nc, sizeof *np);
		if (!np)
			return BRAID_ENOMEM;
		zp->pop = np;
		zp->cap = nc;
	}
	zp->z[zp->n] = braid_arena_strdup(a, z);
	zp->pop[zp->n++] = pop;
	return zp->z[zp->n - 1] ? BRAID_OK : BRAID_ENOMEM;
}

static braid_rc zip3_load(struct braid_store *s, const char *file, struct braid_arena *a,
			  struct zip3_pop *zp, struct braid_err *err)
{
	braid_rc rc = BRAID_OK;
	if (file) {
		zp->source = "census file";
		FILE *f = fopen(file, "rb");
		if (!f)
			return braid_err_set(err, BRAID_EIO, "cannot read '%s': %s", file, strerror(errno));
		struct braid_csv *r = braid_csv_new(f, file, NULL);
		if (!r) {
			fclose(f);
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
		char **fl;
		size_t nf;
		int first = 1;
		while (!rc && !(rc = braid_csv_next(r, &fl, &nf, err))) {
			if (first) {
				first = 0;
				continue; /* header */
			}
			long pop;
			if (nf < 2 || strlen(fl[0]) != 3 || strspn(fl[0], "0123456789") != 3 ||
			    braid_parse_long(fl[1], &pop) || pop < 0) {
				rc = braid_err_at(err, BRAID_EPARSE, file, braid_csv_record_line(r), 1,
						  "expected zip3 (3 digits),population (a whole number)");
				break;
			}
			if (zip3_push(zp, a, fl[0], pop))
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
		if (rc == BRAID_ENOTFOUND)
			rc = BRAID_OK;
		braid_csv_free(r);
		fclose(f);
		return rc;
	}
	zp->source = "store: distinct people of the person index by the ZIP3 of their records "
		     "(a lower bound of the census population)";
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s,
				      "SELECT substr(r.zip5, 1, 3), COUNT(DISTINCT pr.person_id)"
				      " FROM records r JOIN person_record pr ON pr.record_key = r.record_key"
				      " WHERE length(r.zip5) >= 5 GROUP BY 1",
				      &st, err)))
		return rc;
	for (;;) {
		int row = 0;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (zip3_push(zp, a, braid_stmt_text(st, 0), (long)braid_stmt_int64(st, 1))) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			break;
		}
	}
	braid_stmt_finalize(st);
	return rc;
}


static braid_rc tract_load(struct braid_store *s, struct braid_arena *a, struct tract_map *tm,
			   struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s,
					  "SELECT DISTINCT tract, district FROM records"
					  " WHERE tract IS NOT NULL AND district IS NOT NULL ORDER BY 1",
					  &st, err);
	if (rc)
		return rc;
	for (;;) {
		int row = 0;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (tm->n == tm->cap) {
			size_t nc = tm->cap ? 2 * tm->cap : 256;
			const char **t = braid_reallocarray(tm->tract, nc, sizeof *t);
			const char **d = t ? braid_reallocarray(tm->district, nc, sizeof *d) : NULL;
			if (t)
				tm->tract = t;
			if (!t || !d) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			tm->district = d;
			tm->cap = nc;
		}
		tm->tract[tm->n] = braid_arena_strdup(a, braid_stmt_text(st, 0));
		tm->district[tm->n++] = braid_arena_strdup(a, braid_stmt_text(st, 1));
	}
	braid_stmt_finalize(st);
	return rc;
}

/* Whether name is in the comma list (NULL list = every name). */
static int in_list(const char *list, const char *name)
{
	if (!list)
		return 1;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == n && !strncmp(p, name, n))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

struct extract_out {
	struct braid_buf csv;
	char *manifest;
	size_t rows_out, suppressed;
	struct braid_risk_report risk;
	size_t k, l;
};

/* The de-identified extract of a cohort: Safe-Harbor-style generalisation
 * per column, k-anonymity over the quasi-identifiers (all columns unless
 * --quasi), l-diversity of --sensitive, local suppression (library), then
 * an independent recount of the smallest class on the written rows. */
static braid_rc build_extract(struct braid_store *s, const struct braid_qplan *plan,
			      const char *const *dims, size_t nd, const struct opts *o,
			      long min_cell, const struct braid_release_terms *terms,
			      struct braid_arena *a, struct braid_extract *x,
			      struct braid_deid_opts *dopt, struct zip3_pop *zp,
			      struct tract_map *tm, struct extract_out *eo, struct braid_err *err)
{
	size_t nc = 1 + nd;
	struct braid_deid_column *cols = braid_arena_zalloc(a, nc * sizeof *cols);
	if (!cols)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	cols[0] = (struct braid_deid_column){"index_year", BRAID_DEID_DATE_YEAR, 0, 0};
	int want_tracts = 0, has_district = 0;
	for (size_t i = 0; i < nd; i++)
		has_district |= !strcmp(dims[i], "district");
	for (size_t i = 0; i < nd; i++) {
		enum braid_deid_rule rule = BRAID_DEID_KEEP;
		const char *name = dims[i];
		if (!strcmp(dims[i], "age"))
			rule = BRAID_DEID_AGE_90;
		else if (!strcmp(dims[i], "zip"))
			rule = BRAID_DEID_ZIP3;
		else if (!strcmp(dims[i], "tract")) {
			rule = BRAID_DEID_TRACT_DISTRICT;
			want_tracts = 1;
			if (!has_district)
				name = "district"; /* what the column holds once generalised */
		}
		cols[1 + i] = (struct braid_deid_column){name, rule, 0, 0};
	}
	size_t nq = 0;
	for (size_t i = 0; i < nc; i++) {
		int sens = o->sensitive && !strcmp(cols[i].name, o->sensitive);
		cols[i].sensitive = sens;
		cols[i].quasi = !sens && in_list(o->quasi, cols[i].name);
		nq += (size_t)cols[i].quasi;
	}
	/* every name given must be a column */
	const char *lists[2] = {o->quasi, o->sensitive};
	for (int li = 0; li < 2; li++)
		for (const char *p = lists[li]; p && *p;) {
			const char *e = strchr(p, ',');
			size_t k = e ? (size_t)(e - p) : strlen(p);
			int found = 0;
			for (size_t i = 0; i < nc; i++)
				found |= strlen(cols[i].name) == k && !strncmp(cols[i].name, p, k);
			if (!found)
				return braid_err_set(err, BRAID_EINVAL,
						     "release: %s names a column the extract does not have "
						     "(columns: index_year and the query's `count persons by` dimensions)",
						     li ? "--sensitive" : "--quasi");
			if (!e)
				break;
			p = e + 1;
		}
	if (!nq)
		return braid_err_set(err, BRAID_EINVAL, "release: no quasi-identifier left for k-anonymity");
	braid_rc rc = zip3_load(s, o->zip3_file, a, zp, err);
	if (!rc && want_tracts)
		rc = tract_load(s, a, tm, err);
	if (rc)
		return rc;
	struct rows_ctx rc_ = {.a = a, .ncols = nc};
	int64_t nrows = 0;
	rc = braid_qplan_rows(s, plan, rows_row, &rc_, &nrows, err);
	if (!rc && rc_.oom)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (rc) {
		free(rc_.v);
		return rc;
	}
	memset(dopt, 0, sizeof *dopt);
	dopt->cols = cols;
	dopt->ncols = nc;
	dopt->k = (size_t)(terms->k > 0 ? terms->k : min_cell);
	dopt->l = (size_t)(terms->l > 0 ? terms->l : o->sensitive ? 2 : 0);
	dopt->zip3 = zp->z;
	dopt->zip3_pop = zp->pop;
	dopt->nzip3 = zp->n;
	dopt->tracts = tm->tract;
	dopt->districts = tm->district;
	dopt->ntracts = tm->n;
	rc = braid_deid_extract(rc_.v, rc_.n / nc, dopt, x, &eo->risk, err);
	free(rc_.v);
	if (rc)
		return rc;
	/* Independent check on the rows as they will be written. */
	size_t qcols[8], sc = SIZE_MAX, kq = 0;
	for (size_t j = 0; j < x->ncols; j++)
		for (size_t i = 0; i < nc; i++)
			if (!strcmp(x->names[j], cols[i].name)) {
				if (cols[i].quasi && kq < 8)
					qcols[kq++] = j;
				if (cols[i].sensitive)
					sc = j;
			}
	size_t min_l = SIZE_MAX;
	size_t minc = braid_extract_min_class(x, qcols, kq, sc, &min_l);
	if (x->nrows && (minc < dopt->k || (dopt->l && sc != SIZE_MAX && min_l < dopt->l)))
		return braid_err_set(err, BRAID_EINTERNAL,
				     "release: the extract fails its own k-anonymity / l-diversity recount");
	eo->k = dopt->k;
	eo->l = dopt->l;
	eo->rows_out = x->nrows;
	eo->suppressed = eo->risk.values_suppressed;
	for (size_t j = 0; !rc && j < x->ncols; j++)
		if (!(rc = csv_field(&eo->csv, x->names[j])))
			rc = braid_buf_putc(&eo->csv, j + 1 < x->ncols ? ',' : '\n');
	for (size_t i = 0; !rc && i < x->nrows; i++)
		for (size_t j = 0; !rc && j < x->ncols; j++)
			if (!(rc = csv_field(&eo->csv, x->cells[i * x->ncols + j])))
				rc = braid_buf_putc(&eo->csv, j + 1 < x->ncols ? ',' : '\n');
	if (rc)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	return BRAID_OK;
}

static void iso_now(time_t t, char out[32])
{
	struct tm tm;
	out[0] = 0;
	if (gmtime_r(&t, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The manifest with what the library writes plus the release id, the
 * cohort key and each file's hash. */
struct rate_info {
	const char *den_query; /* NULL: no rates */
	const char *den_cohort;
	int nested;
	size_t ntabs;
	const struct braid_buf *rtabs;
	const struct rate_stats *st;
};

static braid_rc manifest(const struct braid_manifest *m, const struct rel *r, struct braid_buf *cells,
			 struct braid_buf *tabs, const struct rate_info *ri, int64_t release_id, char **out,
			 struct braid_err *err)
{
	char *base = NULL;
	braid_rc rc = braid_manifest_json(m, r->cs, cells->data, cells->len, &base, err);
	if (rc)
		return rc;
	json_error_t je;
	json_t *root = json_loads(base, 0, &je);
	free(base);
	if (!root)
		return braid_err_set(err, BRAID_EINTERNAL, "manifest: not JSON");
	json_object_set_new(root, "release_id", json_integer((json_int_t)release_id));
	json_object_set_new(root, "cohort", json_string(r->cohort));
	json_t *files = json_array();
	char hex[65];
	hex_hash(cells->data, cells->len, hex);
	json_array_append_new(files, json_pack("{s:s,s:s,s:s}", "name", "cells.csv", "blake2b_256", hex,
					       "content", "every cell: cell,value,status"));
	for (size_t i = 0; i < r->ntabs; i++) {
		char name[256];
		snprintf(name, sizeof name, "%s.csv", r->tabs[i].name);
		hex_hash(tabs[i].data, tabs[i].len, hex);
		json_array_append_new(files, json_pack("{s:s,s:s,s:s}", "name", name, "blake2b_256", hex,
						       "content", "the table; '*' = all, empty count = suppressed"));
	}
	for (size_t i = 0; ri->den_query && i < ri->ntabs; i++) {
		char name[300];
		snprintf(name, sizeof name, "rate_%s.csv", r->tabs[i].name);
		hex_hash(ri->rtabs[i].data, ri->rtabs[i].len, hex);
		json_array_append_new(files, json_pack("{s:s,s:s,s:s}", "name", name, "blake2b_256", hex,
						       "content", "percent = numerator / denominator; status "
						       "'suppressed' when either count is; reliability "
						       "'unreliable' below the minimum denominator"));
	}
	json_object_set_new(root, "files", files);
	if (ri->den_query)
		json_object_set_new(
			root, "rates",
			json_pack("{s:s,s:s,s:b,s:I,s:I,s:I}", "denominator_query", ri->den_query,
				  "denominator_cohort", ri->den_cohort, "nested", ri->nested, "shown",
				  (json_int_t)ri->st->shown, "suppressed", (json_int_t)ri->st->suppressed,
				  "unreliable", (json_int_t)ri->st->unreliable));
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!*out)
		return braid_err_set(err, BRAID_ENOMEM, "manifest: out of memory");
	return BRAID_OK;
}

/* A de-identified row extract: build, record (release list, audit
 * entry), then write DIR/extract.csv and DIR/manifest.json. */
static braid_rc run_extract(struct braid_store *s, struct braid_policy *p, const struct braid_user *u,
			    const struct braid_request *req, const struct braid_decision *d,
			    const struct braid_qplan *plan, const char *text, const char *const *dims,
			    size_t nd, const struct opts *o, const struct braid_release_terms *terms,
			    struct braid_err *err)
{
	struct braid_arena a;
	braid_arena_init(&a, 0);
	struct braid_extract x;
	memset(&x, 0, sizeof x);
	struct braid_deid_opts dopt;
	struct zip3_pop zp = {0};
	struct tract_map tm = {0};
	struct extract_out eo;
	memset(&eo, 0, sizeof eo);
	braid_buf_init(&eo.csv, 0);
	char *man = NULL;
	braid_rc rc = build_extract(s, plan, dims, nd, o, d->min_cell_size, terms, &a, &x, &dopt, &zp,
				    &tm, &eo, err);
	char hash[65] = "";
	time_t now = time(NULL);
	char when[32];
	iso_now(now, when);
	struct braid_release_rec rec = {
		.created = when, .user = u->name, .agreement = d->agreement, .purpose = o->purpose,
		.query = text, .tables = "extract", .out_dir = o->out, .cells = (int64_t)eo.rows_out,
		.suppressed = (int64_t)eo.suppressed, .perturbed = 0, .epsilon = 0, .mechanism = "",
		.hash = hash};
	if (!rc) {
		hex_hash(eo.csv.data, eo.csv.len, hash);
		if (!(rc = braid_store_begin(s, err))) {
			if ((rc = braid_release_record_add(s, &rec, err)) ||
			    (rc = braid_store_commit(s, err)))
				braid_store_rollback(s);
		}
	}
	if (!rc)
		rc = braid_policy_commit(p, u, req, d, (long)eo.rows_out, err);
	if (!rc) {
		const char *const *srcs;
		size_t ns = braid_qplan_sources(plan, &srcs);
		struct braid_manifest m = {.query = text, .sources = srcs, .nsources = ns,
					   .agreement = d->agreement, .created = now, .deid = &dopt,
					   .risk = &eo.risk};
		char *base = NULL;
		if (!(rc = braid_manifest_json(&m, NULL, eo.csv.data, eo.csv.len, &base, err))) {
			json_error_t je;
			json_t *root = json_loads(base, 0, &je);
			if (!root)
				rc = braid_err_set(err, BRAID_EINTERNAL, "manifest: not JSON");
			else {
				json_object_set_new(root, "release_id", json_integer((json_int_t)rec.id));
				json_object_set_new(root, "use", json_string("deidentified-row"));
				json_object_set_new(root, "person_ids", json_string("none: dropped"));
				json_object_set_new(root, "zip3_population_source", json_string(zp.source));
				json_object_set_new(root, "files",
						    json_pack("[{s:s,s:s,s:s}]", "name", "extract.csv",
							      "blake2b_256", hash, "content",
							      "one row per person of the cohort, generalised; "
							      "'*' = suppressed value"));
				man = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
				json_decref(root);
				if (!man)
					rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			}
			free(base);
		}
	}
	if (!rc)
		rc = write_file(o->out, "extract.csv", eo.csv.data, eo.csv.len, err);
	if (!rc)
		rc = write_file(o->out, "manifest.json", man, strlen(man), err);
	if (!rc) {
		if (o->json) {
			json_t *j = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "release_id",
					      (json_int_t)rec.id, "out", o->out, "agreement", d->agreement,
					      "k", (json_int_t)eo.k, "l", (json_int_t)eo.l, "rows",
					      (json_int_t)eo.rows_out, "rows_dropped",
					      (json_int_t)eo.risk.rows_dropped, "values_suppressed",
					      (json_int_t)eo.suppressed, "content_hash", hash);
			char *js = j ? json_dumps(j, JSON_PRESERVE_ORDER) : NULL;
			if (js)
				printf("%s\n", js);
			free(js);
			json_decref(j);
		} else {
			printf("release %lld: de-identified extract, %zu rows (%zu dropped), %zu values "
			       "suppressed\nagreement %s, k = %zu, l = %zu; smallest class %zu\n"
			       "written to %s (extract.csv, manifest.json, content hash %.16s...)\n",
			       (long long)rec.id, eo.rows_out, eo.risk.rows_dropped, eo.suppressed,
			       d->agreement, eo.k, eo.l, eo.risk.min_class, o->out, hash);
		}
	}
	free(man);
	braid_buf_release(&eo.csv);
	braid_extract_release(&x);
	free(zp.z);
	free(zp.pop);
	free(tm.tract);
	free(tm.district);
	braid_arena_release(&a);
	return rc;
}

int cmd_release(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	struct opts o;
	int code = parse_args(argc, argv, &o);
	if (code)
		return code;
	if (sodium_init() < 0) {
		fprintf(stderr, "braid: error: libsodium failed to initialise\n");
		return 1;
	}
	struct braid_err err;
	braid_err_clear(&err);
	char *text = NULL;
	size_t len = 0;
	if (braid_query_read_file(o.file, &text, &len, &err))
		return cli_fail(&err);
	struct braid_query *q = NULL;
	if (braid_query_parse(text, len, o.file, &q, &err)) {
		free(text);
		return cli_fail(&err);
	}
	struct braid_store *s = NULL;
	struct braid_policy *p = NULL;
	struct braid_user u;
	if ((code = cli_login(cli, &s, &p, &u))) {
		braid_query_free(q);
		free(text);
		return code;
	}
	struct braid_qcatalog *cat = NULL;
	struct braid_qplan *plan = NULL;
	struct braid_qcounts *counts = NULL;
	struct braid_ledger *ledger = NULL;
	struct braid_audit audit;
	braid_audit_init(&audit);
	struct rel r;
	memset(&r, 0, sizeof r);
	braid_arena_init(&r.arena, 0);
	struct braid_buf cells, tabs[MAX_TABS], rtabs[MAX_TABS];
	braid_buf_init(&cells, 0);
	for (int i = 0; i < MAX_TABS; i++) {
		braid_buf_init(&tabs[i], 0);
		braid_buf_init(&rtabs[i], 0);
	}
	char *man = NULL;
	int in_txn = 0, made_dir = 0;
	/* rates: the denominator cohort */
	char *dtext = NULL;
	size_t dlen = 0;
	struct braid_query *dq = NULL;
	struct braid_qplan *dplan = NULL;
	struct braid_qcounts *dcounts = NULL;
	struct pk *npk = NULL, *dpk = NULL;
	size_t nnpk = 0, ndpk = 0, ntabs_num = 0;
	int is_nested = 0;
	char den_cohort[18] = "";
	struct rate_stats rst = {0, 0, 0};
	struct tract_map tmap = {0};
	struct braid_release_terms terms;
	memset(&terms, 0, sizeof terms);

	if (braid_query_prepare_store(s, &err) || braid_qcatalog_load(s, &cat, &err) ||
	    braid_query_compile(q, cat, &plan, &err))
		goto fail;
	const char *const *dims;
	size_t nd = braid_qplan_dims(plan, &dims);
	if (nd > 2 && !o.extract) {
		braid_err_set(&err, BRAID_EINVAL,
			      "release: at most two breakdown dimensions (the query has %zu)", nd);
		goto fail;
	}
	if (o.per) {
		/* the denominator: same breakdown, read under the same agreement */
		const char *const *ddims;
		size_t ndd;
		if (braid_query_read_file(o.per, &dtext, &dlen, &err) ||
		    braid_query_parse(dtext, dlen, o.per, &dq, &err) ||
		    braid_query_compile(dq, cat, &dplan, &err))
			goto fail;
		ndd = braid_qplan_dims(dplan, &ddims);
		int same = ndd == nd;
		for (size_t i = 0; same && i < nd; i++)
			same = !strcmp(dims[i], ddims[i]);
		if (!same) {
			braid_err_set(&err, BRAID_EINVAL,
				      "release: --per: the denominator must have the numerator's breakdown "
				      "(the same `count persons by` dimensions in the same order)");
			goto fail;
		}
		if (braid_qplan_merge(plan, dplan)) {
			braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			goto fail;
		}
	}
	struct braid_request req;
	braid_qplan_request(plan, BRAID_ACT_RELEASE, o.purpose, text, &req);
	if (o.extract)
		req.use = BRAID_USE_DEIDENTIFIED; /* refused under aggregate-only agreements */
	struct braid_decision d;
	if (authorize_named(p, &u, o.agreement, &req, &d, &err))
		goto fail;
	if (prepare_dir(o.out, &made_dir, &err))
		goto fail;
	if (braid_release_terms_load(s, d.agreement, &terms, &err))
		goto fail;
	if (o.extract) {
		if (run_extract(s, p, &u, &req, &d, plan, text, dims, nd, &o, &terms, &err))
			goto fail;
		code = 0;
		goto done;
	}
	/* Exact counts of people (min cell 1: nothing hidden yet); the
	 * release decides what to hide, knowing all of the tables. */
	if (braid_qplan_counts(s, plan, 1, &counts, &err))
		goto fail;
	cohort_key(text, len, r.cohort);
	if (!(r.cs = braid_cellset_new())) {
		braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		goto fail;
	}
	int by_tract = 0, by_district = 0;
	for (size_t i = 0; i < nd; i++) {
		by_tract |= !strcmp(dims[i], "tract");
		by_district |= !strcmp(dims[i], "district");
	}
	by_tract &= !by_district; /* tract x district: the table is the hierarchy */
	if (by_tract && tract_load(s, &r.arena, &tmap, &err))
		goto fail;
	if (build_cells(&r, counts, dims, nd, &err) || (by_tract && add_districts(&r, &tmap, 0, &err)) ||
	    (by_tract && braid_cellset_check(r.cs, 0, &err)))
		goto fail;
	ntabs_num = r.ntabs;
	size_t num_end = braid_cellset_count(r.cs);
	if (fingerprint(s, plan, &r, dims, nd, by_tract ? &tmap : NULL, 0, num_end,
			o.per ? &npk : NULL, &nnpk, &err))
		goto fail;
	if (o.per) {
		char num_cohort[18];
		memcpy(num_cohort, r.cohort, sizeof num_cohort);
		cohort_key(dtext, dlen, den_cohort);
		if (!strcmp(den_cohort, num_cohort)) {
			braid_err_set(&err, BRAID_EINVAL, "release: --per names the numerator's own cohort");
			goto fail;
		}
		if (braid_qplan_counts(s, dplan, 1, &dcounts, &err))
			goto fail;
		memcpy(r.cohort, den_cohort, sizeof r.cohort);
		r.prefix = "denominator_";
		size_t den_first = braid_cellset_count(r.cs), den_tab = r.ntabs;
		if (build_cells(&r, dcounts, dims, nd, &err) ||
		    (by_tract && add_districts(&r, &tmap, den_tab, &err)) ||
		    (by_tract && braid_cellset_check(r.cs, 0, &err)) ||
		    fingerprint(s, dplan, &r, dims, nd, by_tract ? &tmap : NULL, den_first,
				braid_cellset_count(r.cs), &dpk, &ndpk, &err))
			goto fail;
		memcpy(r.cohort, num_cohort, sizeof r.cohort);
		r.prefix = NULL;
		is_nested = nested(npk, nnpk, dpk, ndpk);
		if (is_nested && add_rest_cells(&r, 0, num_end, den_cohort, &err))
			goto fail;
	}

	/* Noise first, then suppression: the audit reasons about the numbers
	 * a reader will hold, which are the noisy ones, so protect must
	 * search its pattern against them (protecting first and noising after
	 * can leave an interval narrower than the protection). */
	struct braid_protect_opts po = {.min_cell = d.min_cell_size, .allow_zero = 0,
					.audit_flags = BRAID_AUDIT_SKIP_OLD};
	struct braid_noise_opts no = {.mech = o.mech, .epsilon = o.epsilon, .delta = o.delta,
				      .sensitivity = 1};
	struct braid_budget budget;
	double scale = 0;
	if (o.noise) {
		struct braid_rng rng;
		if (braid_release_budget_load(s, d.agreement, &budget, &err) ||
		    braid_rng_init_secure(&rng, &err) ||
		    braid_release_add_noise(r.cs, &no, &budget, &rng, &scale, &err))
			goto fail;
		sodium_memzero(&rng, sizeof rng);
	}
	/* Differencing with earlier releases of other cohorts: nested people
	 * sets differing by a few people become small cells of the ledger. */
	if (braid_release_ledger_load(s, &ledger, &err) ||
	    braid_ledger_relate(ledger, r.cs, d.min_cell_size, NULL, &err))
		goto fail;
	if (braid_release_protect(r.cs, &po, ledger, &audit, &err))
		goto noise_conflict;
	/* The proof on the table as it will go out. */
	if (braid_release_verify(r.cs, ledger, d.min_cell_size, BRAID_AUDIT_SKIP_OLD, &err)) {
noise_conflict:
		if (o.noise && err.code == BRAID_EINVAL) {
			/* noise cannot take back what was published exactly */
			char msg[sizeof err.msg];
			snprintf(msg, sizeof msg, "%s", err.msg);
			braid_err_set(&err, BRAID_EDENIED,
				      "%s: an earlier release published it exactly, so a noisy release of "
				      "the same cohort would contradict it (nothing spent)", msg);
		}
		goto fail;
	}

	/* Bytes first (their hash goes into the store), files last. */
	if (braid_cellset_csv(r.cs, &cells)) {
		braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < r.ntabs; i++)
		if (table_csv(&r, &r.tabs[i], &tabs[i])) {
			braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			goto fail;
		}
	if (o.per)
		for (size_t i = 0; i < ntabs_num; i++)
			if (rate_csv(&r, &r.tabs[i], den_cohort, terms.code_5_95, terms.min_denominator,
				     &rtabs[i], &rst, &err))
				goto fail;
	char content_hash[65];
	hex_hash(cells.data, cells.len, content_hash);
	int64_t nsup = 0, nper = 0, nshown = 0, ncells = (int64_t)braid_cellset_count(r.cs);
	for (size_t i = 0; i < (size_t)ncells; i++) {
		const struct braid_cell *c = braid_cellset_cell(r.cs, i);
		if (c->status != BRAID_CELL_SHOWN)
			nsup++;
		else {
			nshown++;
			if (c->flags & BRAID_CELLF_NOISE)
				nper++;
		}
	}
	struct braid_buf tnames;
	braid_buf_init(&tnames, 0);
	for (size_t i = 0; i < r.ntabs; i++)
		braid_buf_printf(&tnames, "%s%s", i ? "," : "", r.tabs[i].name);
	for (size_t i = 0; o.per && i < ntabs_num; i++)
		braid_buf_printf(&tnames, ",rate_%s", r.tabs[i].name);
	time_t now = time(NULL);
	char when[32];
	iso_now(now, when);
	struct braid_release_rec rec = {
		.created = when, .user = u.name, .agreement = d.agreement, .purpose = o.purpose,
		.query = text, .tables = tnames.data ? tnames.data : "", .out_dir = o.out,
		.cells = ncells, .suppressed = nsup, .perturbed = nper,
		.epsilon = o.noise ? o.epsilon : 0,
		.mechanism = o.noise ? (o.mech == BRAID_NOISE_DGAUSS ? "discrete_gaussian" : "discrete_laplace") : "",
		.hash = content_hash};
	braid_rc rc = braid_store_begin(s, &err);
	in_txn = !rc;
	if (!rc)
		rc = braid_ledger_record(ledger, r.cs, &err);
	if (!rc)
		rc = braid_release_ledger_save(s, ledger, &err);
	if (!rc && o.noise)
		rc = braid_release_budget_save(s, &budget, &err);
	if (!rc)
		rc = braid_release_record_add(s, &rec, &err);
	if (!rc)
		rc = braid_store_commit(s, &err);
	braid_buf_release(&tnames);
	if (rc)
		goto fail;
	in_txn = 0;
	/* The release goes out only once its audit entry is written. */
	if (braid_policy_commit(p, &u, &req, &d, nshown, &err))
		goto fail;

	const char *const *srcs;
	size_t ns = braid_qplan_sources(plan, &srcs);
	struct braid_manifest m = {.query = text, .sources = srcs, .nsources = ns,
				   .agreement = d.agreement, .created = now, .protect = &po,
				   .audit = &audit, .noise = o.noise ? &no : NULL,
				   .noise_scale = scale, .code_5_95 = o.per ? terms.code_5_95 : 0,
				   .min_denominator = o.per ? terms.min_denominator : 0};
	struct rate_info ri = {o.per ? dtext : NULL, den_cohort, is_nested, ntabs_num, rtabs, &rst};
	if (manifest(&m, &r, &cells, tabs, &ri, rec.id, &man, &err))
		goto fail;
	if (write_file(o.out, "cells.csv", cells.data, cells.len, &err))
		goto fail;
	for (size_t i = 0; i < r.ntabs; i++) {
		char name[256];
		snprintf(name, sizeof name, "%s.csv", r.tabs[i].name);
		if (write_file(o.out, name, tabs[i].data, tabs[i].len, &err))
			goto fail;
	}
	for (size_t i = 0; o.per && i < ntabs_num; i++) {
		char name[300];
		snprintf(name, sizeof name, "rate_%s.csv", r.tabs[i].name);
		if (write_file(o.out, name, rtabs[i].data, rtabs[i].len, &err))
			goto fail;
	}
	if (write_file(o.out, "manifest.json", man, strlen(man), &err))
		goto fail;

	if (o.json) {
		json_t *j = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:s}", "release_id",
				      (json_int_t)rec.id, "out", o.out, "agreement", d.agreement,
				      "min_cell_size", (json_int_t)d.min_cell_size, "cells",
				      (json_int_t)ncells, "suppressed", (json_int_t)nsup, "perturbed",
				      (json_int_t)nper, "epsilon", rec.epsilon, "content_hash", content_hash);
		char *js = j ? json_dumps(j, JSON_PRESERVE_ORDER) : NULL;
		if (js)
			printf("%s\n", js);
		free(js);
		json_decref(j);
	} else {
		printf("release %lld: %zu table(s), %lld cells, %lld suppressed", (long long)rec.id,
		       r.ntabs, (long long)ncells, (long long)nsup);
		if (o.noise)
			printf(", %lld perturbed (epsilon %g, %g of %g spent)", (long long)nper, o.epsilon,
			       budget.spent, budget.total);
		printf("\nagreement %s, minimum cell size %ld; audit: %zu suppressed cell(s) checked, "
		       "none narrower than %ld\nwritten to %s (manifest.json, content hash %.16s...)\n",
		       d.agreement, d.min_cell_size, audit.n, d.min_cell_size, o.out, content_hash);
	}
	code = 0;
	goto done;
fail:
	if (in_txn)
		braid_store_rollback(s);
	code = cli_fail(&err);
	/* a refused release leaves nothing behind (the directory is empty:
	 * files are written last, after every check) */
	if (made_dir)
		rmdir(o.out);
	if (err.line > 0 && err.code == BRAID_EPARSE) {
		struct braid_buf b;
		braid_buf_init(&b, 4096);
		if (!braid_query_caret(text, len, err.line, err.column, &b) && b.data)
			fputs(b.data, stderr);
		braid_buf_release(&b);
	}
done:
	free(man);
	braid_buf_release(&cells);
	for (int i = 0; i < MAX_TABS; i++) {
		braid_buf_release(&tabs[i]);
		braid_buf_release(&rtabs[i]);
	}
	free(npk);
	free(dpk);
	free(tmap.tract);
	free(tmap.district);
	braid_qcounts_free(dcounts);
	braid_qplan_free(dplan);
	braid_query_free(dq);
	free(dtext);
	braid_cellset_free(r.cs);
	braid_arena_release(&r.arena);
	braid_audit_release(&audit);
	braid_ledger_free(ledger);
	braid_qcounts_free(counts);
	braid_qplan_free(plan);
	braid_qcatalog_free(cat);
	cli_logout(s, p);
	braid_query_free(q);
	free(text);
	return code;
}

/* ------------------------------------------------------------ braid releases */

struct list_ctx {
	int json;
	json_t *arr;
	int n;
};

static int list_one(void *ctx, const struct braid_release_rec *r)
{
	struct list_ctx *c = ctx;
	c->n++;
	if (c->json) {
		json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:f,s:s,s:s}", "id",
				      (json_int_t)r->id, "created", r->created, "user", r->user,
				      "agreement", r->agreement, "purpose", r->purpose, "query", r->query,
				      "tables", r->tables, "cells", (json_int_t)r->cells, "suppressed",
				      (json_int_t)r->suppressed, "perturbed", (json_int_t)r->perturbed,
				      "epsilon", r->epsilon, "mechanism", r->mechanism, "content_hash",
				      r->hash);
		if (o)
			json_array_append_new(c->arr, o);
		return 0;
	}
	/* The query's first line that is not a comment stands for it. */
	const char *qs = r->query;
	size_t ql = 0;
	for (const char *l = r->query; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		size_t k = 0;
		while (k < n && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (k < n && l[k] != '#' && l[k] != '\r') {
			qs = l + k;
			ql = n - k;
			break;
		}
		if (!e)
			break;
		l = e + 1;
	}
	if (ql > 40)
		ql = 40;
	printf("%-4lld %-20s %-22s %-40.*s %-18s %5lld %5lld %7.3g %.16s\n", (long long)r->id,
	       r->created, r->agreement, (int)ql, qs, r->tables, (long long)r->cells,
	       (long long)r->suppressed, r->epsilon, r->hash);
	return 0;
}

int cmd_releases(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage_list(stdout);
		return 0;
	}
	int json = 0;
	const char *set_ag = NULL, *term_key = NULL;
	double set_eps = 0;
	long term_val = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			const char *f = argv[++i];
			if (!strcmp(f, "json"))
				json = 1;
			else if (strcmp(f, "text"))
				return cli_usage_error("releases: --format must be text or json");
		} else if (!strcmp(argv[i], "--set-terms") && i + 3 < argc) {
			set_ag = argv[++i];
			term_key = argv[++i];
			const char *v = argv[++i];
			double x;
			if (!strcmp(v, "yes") || !strcmp(v, "true"))
				x = 1;
			else if (!strcmp(v, "no") || !strcmp(v, "false"))
				x = 0;
			else if (parse_double(v, &x) || x < 0 || x != floor(x) || x > 1e6)
				return cli_usage_error("releases: --set-terms needs AGREEMENT KEY VALUE "
						       "(a whole number >= 0, or yes/no)");
			term_val = (long)x;
		} else if (!strcmp(argv[i], "--set-budget") && i + 2 < argc) {
			set_ag = argv[++i];
			if (parse_double(argv[++i], &set_eps) || set_eps < 0)
				return cli_usage_error("releases: --set-budget needs AGREEMENT and an epsilon >= 0");
		} else
			return cli_usage_error("releases: unknown argument '%s' (see braid releases --help)",
					       argv[i]);
	}
	struct braid_store *s = NULL;
	struct braid_policy *p = NULL;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	if (set_ag && term_key) {
		if (u.role != BRAID_ROLE_ADMIN) {
			braid_policy_audit_admin(p, &u, "release-terms", "", 0,
						 "only an admin sets release terms", &err);
			braid_err_set(&err, BRAID_EDENIED, "only an admin sets release terms");
			code = cli_fail(&err);
		} else if (braid_release_terms_set(s, set_ag, term_key, term_val, &err) ||
			   braid_policy_audit_admin(p, &u, "release-terms", set_ag, 1, "", &err)) {
			code = cli_fail(&err);
		} else {
			printf("release terms of %s: %s = %ld\n", set_ag, term_key, term_val);
		}
		cli_logout(s, p);
		return code;
	}
	if (set_ag) {
		if (u.role != BRAID_ROLE_ADMIN) {
			braid_policy_audit_admin(p, &u, "release-budget", "", 0,
						 "only an admin sets a release budget", &err);
			braid_err_set(&err, BRAID_EDENIED, "only an admin sets a release budget");
			code = cli_fail(&err);
		} else if (braid_release_budget_set(s, set_ag, set_eps, &err) ||
			   braid_policy_audit_admin(p, &u, "release-budget", set_ag, 1, "", &err)) {
			code = cli_fail(&err);
		} else {
			printf("release budget of %s: epsilon %g\n", set_ag, set_eps);
		}
		cli_logout(s, p);
		return code;
	}
	struct list_ctx c = {.json = json, .arr = json ? json_array() : NULL};
	if (!json)
		printf("%-4s %-20s %-22s %-40s %-18s %5s %5s %7s %s\n", "id", "time", "agreement", "query",
		       "tables", "cells", "supp", "epsilon", "hash");
	if (braid_release_record_list(s, list_one, &c, &err)) {
		code = cli_fail(&err);
	} else if (json) {
		char *js = json_dumps(c.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (js)
			printf("%s\n", js);
		free(js);
	} else if (!c.n) {
		printf("(no releases yet)\n");
	}
	json_decref(c.arr);
	cli_logout(s, p);
	return code;
}
