/*
 * The gazetteer table: loading a places CSV (one row per side of a street
 * segment: street, house-number range, parity, ZIP, 2010 tract, planning
 * district) into braid.db's places table, and its summary.
 *
 * Street names are standardised with braid's own address normaliser (the
 * same tables ingest uses), so that "NORTH BROAD STREET" in a places file
 * and "N. Broad St" in an agency file meet as "N BROAD ST".  Every row is
 * checked (range, parity, ZIP, tract, district) and the first bad one
 * stops the load with file:line:column; places hold no identifiers, so a
 * message may quote what it expected but still never echoes a value.
 * What it does not do: it does not open or commit transactions (the caller
 * does: one per load) and does not audit (the CLI does).
 */
#include "braid/geo.h"
#include "braid/csv.h"
#include "braid/normalize.h"
#include "geo_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char places_sql[] =
	"CREATE TABLE IF NOT EXISTS places(street TEXT NOT NULL, from_no INTEGER NOT NULL,"
	" to_no INTEGER NOT NULL, parity TEXT NOT NULL, zip5 TEXT, tract TEXT NOT NULL,"
	" district TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS places_street ON places(street, from_no);";

braid_rc braid_places_prepare(struct braid_store *s, struct braid_err *err)
{
	return braid_store_exec(s, places_sql, err);
}

braid_rc braid__geo_street(const struct braid_address_tables *t, const char *in, char *out,
			   size_t n)
{
	out[0] = 0;
	struct braid_address a;
	char line[256];
	/* The parser wants a whole line: a house number in front. */
	int k = snprintf(line, sizeof line, "1 %s", in);
	if (k < 0 || (size_t)k >= sizeof line)
		return BRAID_ETOOBIG;
	if (!t || braid_address_parse(t, line, &a) != BRAID_OK || !a.street[0]) {
		/* No tables: folded text. */
		if (braid_text_fold(in, out, n))
			return BRAID_EPARSE;
		return out[0] ? BRAID_OK : BRAID_EPARSE;
	}
	return braid__geo_join(&a, out, n);
}

braid_rc braid__geo_join(const struct braid_address *a, char *out, size_t n)
{
	size_t k = 0;
	const char *parts[] = {a->predir, a->street, a->suffix, a->postdir};
	out[0] = 0;
	for (int i = 0; i < 4; i++) {
		if (!parts[i][0])
			continue;
		int w = snprintf(out + k, n - k, "%s%s", k ? " " : "", parts[i]);
		if (w < 0 || (size_t)w >= n - k)
			return BRAID_ETOOBIG;
		k += (size_t)w;
	}
	return k ? BRAID_OK : BRAID_EPARSE;
}

enum { C_STREET, C_FROM, C_TO, C_PARITY, C_ZIP, C_TRACT, C_DISTRICT, C__N };
static const char *const colnames[C__N] = {"street", "from", "to", "parity", "zip5", "tract",
					    "district"};

static int all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

braid_rc braid_places_summary(struct braid_store *s, struct braid_places_stats *st,
			      struct braid_err *err)
{
	memset(st, 0, sizeof *st);
	braid_rc rc = braid_places_prepare(s, err);
	struct braid_stmt *q = NULL;
	if (!rc)
		rc = braid_store_prepare(s, "SELECT count(*), count(DISTINCT street),"
					 " count(DISTINCT tract), count(DISTINCT district) FROM places",
					 &q, err);
	int row = 0;
	if (!rc)
		rc = braid_stmt_step(q, &row, err);
	if (!rc && row) {
		st->segments = braid_stmt_int64(q, 0);
		st->streets = braid_stmt_int64(q, 1);
		st->tracts = braid_stmt_int64(q, 2);
		st->districts = braid_stmt_int64(q, 3);
	}
	braid_stmt_finalize(q);
	return rc;
}

braid_rc braid_places_load(struct braid_store *s, const char *path, int replace,
			   struct braid_places_stats *st, struct braid_err *err)
{
	struct braid_places_stats have;
	braid_rc rc = braid_places_summary(s, &have, err);
	if (rc)
		return rc;
	if (have.segments && !replace)
		return braid_err_set(err, BRAID_EEXIST,
				     "places are already loaded (%lld segments); use --replace",
				     (long long)have.segments);
	if (have.segments && (rc = braid_store_exec(s, "DELETE FROM places", err)))
		return rc;
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot open '%s': %s", path, strerror(errno));
	struct braid_csv_opts co = {0};
	struct braid_csv *r = braid_csv_new(f, path, &co);
	struct braid_address_tables *t = braid_address_tables_load(NULL, NULL);
	struct braid_stmt *ins = NULL;
	if (!r)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (!rc)
		rc = braid_store_prepare(s, "INSERT INTO places(street,from_no,to_no,parity,zip5,"
					 "tract,district) VALUES(?1,?2,?3,?4,?5,?6,?7)", &ins, err);
	int col[C__N];
	for (int c = 0; c < C__N; c++)
		col[c] = -1;
	char **fv;
	size_t nf, ncols = 0;
	int64_t rows = 0;
	/* Header. */
	if (!rc) {
		rc = braid_csv_next(r, &fv, &nf, err);
		if (rc == BRAID_ENOTFOUND)
			rc = braid_err_at(err, BRAID_EPARSE, path, 1, 1,
					  "empty file: expected a header street,from,to,parity,"
					  "zip5,tract,district");
	}
	if (!rc) {
		ncols = nf;
		for (size_t i = 0; i < nf; i++) {
			char h[32];
			if (braid_text_fold(fv[i], h, sizeof h))
				continue;
			braid_ascii_lower(h);
			for (int c = 0; c < C__N; c++)
				if (!strcmp(h, colnames[c]) || (c == C_ZIP && !strcmp(h, "zip")))
					col[c] = (int)i;
		}
		for (int c = 0; !rc && c < C__N; c++)
			if (col[c] < 0)
				rc = braid_err_at(err, BRAID_EPARSE, path, 1, 1,
						  "header has no '%s' column (expected street,from,"
						  "to,parity,zip5,tract,district)", colnames[c]);
	}
	while (!rc) {
		rc = braid_csv_next(r, &fv, &nf, err);
		if (rc == BRAID_ENOTFOUND) {
			rc = BRAID_OK;
			break;
		}
		if (rc)
			break;
		long line = braid_csv_record_line(r);
		if (nf != ncols) {
			rc = braid_err_at(err, BRAID_EPARSE, path, line, 1,
					  "wrong number of columns: expected %zu, got %zu", ncols, nf);
			break;
		}
		if (++rows > BRAID_PLACES_MAX_ROWS) {
			rc = braid_err_at(err, BRAID_ETOOBIG, path, line, 1,
					  "more than %d places rows", BRAID_PLACES_MAX_ROWS);
			break;
		}
		char street[128];
		long from = 0, to = 0;
		const char *par = fv[col[C_PARITY]], *zip = fv[col[C_ZIP]];
		const char *tract = fv[col[C_TRACT]], *dist = fv[col[C_DISTRICT]];
		int bad = -1;
		const char *want = NULL;
		if (braid__geo_street(t, fv[col[C_STREET]], street, sizeof street))
			bad = C_STREET, want = "a street name";
		else if (braid_parse_long(fv[col[C_FROM]], &from) || from < 0)
			bad = C_FROM, want = "a house number (0 or more)";
		else if (braid_parse_long(fv[col[C_TO]], &to) || to < from)
			bad = C_TO, want = "a house number not below 'from'";
		else if (strcmp(par, "odd") && strcmp(par, "even") && strcmp(par, "all"))
			bad = C_PARITY, want = "odd, even or all";
		else if (*zip && !all_digits(zip, 5))
			bad = C_ZIP, want = "a 5-digit ZIP or nothing";
		else if (!*tract || strlen(tract) > 20)
			bad = C_TRACT, want = "a census tract GEOID";
		else if (!*dist || strlen(dist) > 100)
			bad = C_DISTRICT, want = "a planning district name";
		if (bad >= 0) {
			rc = braid_err_at(err, BRAID_EPARSE, path, line, col[bad] + 1,
					  "field '%s': expected %s", colnames[bad], want);
			break;
		}
		braid_stmt_bind_text(ins, 1, street, -1);
		braid_stmt_bind_int64(ins, 2, from);
		braid_stmt_bind_int64(ins, 3, to);
		braid_stmt_bind_text(ins, 4, par, -1);
		braid_stmt_bind_text(ins, 5, *zip ? zip : NULL, -1);
		braid_stmt_bind_text(ins, 6, tract, -1);
		braid_stmt_bind_text(ins, 7, dist, -1);
		int row;
		rc = braid_stmt_step(ins, &row, err);
		braid_stmt_reset(ins);
	}
	if (!rc && !rows)
		rc = braid_err_at(err, BRAID_EPARSE, path, 2, 1, "no places rows after the header");
	braid_stmt_finalize(ins);
	braid_address_tables_free(t);
	braid_csv_free(r);
	fclose(f);
	if (!rc && st)
		rc = braid_places_summary(s, st, err);
	return rc;
}
