/*
 * The quality report of a source: per mapped field completeness, validity,
 * distinct values and the most common values; rejects by reason; events by
 * type; load counts.  Built as JSON (jansson) so the CLI can print it as a
 * table or hand it on.
 *
 * Identifier fields never show values, only counts: their distinct counts
 * are computed over keyed hashes (the vault's id-hash key), in a temporary
 * table, so no identifier is written anywhere in clear.  Attributes (sex,
 * race, ethnicity, birth year, ZIP, city, state) show their top values.
 */
#include "ingest_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct qctx {
	struct braid_store *s;
	struct braid_stmt *ins;
	const struct braid_spec *spec;
	struct braid_err *err;
	braid_rc rc;
};

static int q_cb(void *ctx, const struct braid_identity *id)
{
	struct qctx *q = ctx;
	for (int f = 0; f < BRAID_F__COUNT; f++) {
		if (!q->spec->fields[f].column && f != BRAID_F_BIRTH_YEAR)
			continue;
		const char *v = id->v[f];
		if (!v || !*v)
			continue;
		braid_stmt_reset(q->ins);
		braid_stmt_bind_int64(q->ins, 1, f);
		if (braid_field_is_identifier((enum braid_field)f))
			braid_stmt_bind_text(q->ins, 2, NULL, 0),
			braid_stmt_bind_int64(q->ins, 3, braid_store_rid_hash(q->s, v, strlen(v)));
		else
			braid_stmt_bind_text(q->ins, 2, v, -1),
			braid_stmt_bind_int64(q->ins, 3, 0);
		int row;
		if ((q->rc = braid_stmt_step(q->ins, &row, q->err)))
			return 1;
	}
	return 0;
}

static braid_rc one_int(struct braid_store *s, const char *sql, int64_t a, int64_t *out,
			struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	if (rc)
		return rc;
	braid_stmt_bind_int64(st, 1, a);
	int row = 0;
	rc = braid_stmt_step(st, &row, err);
	*out = row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	return rc;
}

static json_t *counts_by(struct braid_store *s, const char *sql, int64_t a, int64_t b,
			 const char *kname, braid_rc *rc, struct braid_err *err)
{
	json_t *arr = json_array();
	struct braid_stmt *st;
	if ((*rc = braid_store_prepare(s, sql, &st, err)))
		return arr;
	braid_stmt_bind_int64(st, 1, a);
	braid_stmt_bind_int64(st, 2, b);
	int row;
	while (!(*rc = braid_stmt_step(st, &row, err)) && row) {
		json_t *o = json_object();
		json_object_set_new(o, kname, json_string(braid_stmt_text(st, 0)));
		json_object_set_new(o, "count", json_integer(braid_stmt_int64(st, 1)));
		if (braid_stmt_column_count(st) > 2)
			json_object_set_new(o, "invalid", json_integer(braid_stmt_int64(st, 2)));
		json_array_append_new(arr, o);
	}
	braid_stmt_finalize(st);
	return arr;
}

braid_rc braid_quality_report(struct braid_store *s, const char *name, int top_n,
			      char **json, struct braid_err *err)
{
	*json = NULL;
	int64_t sid;
	char *text = NULL;
	struct braid_spec *spec = NULL;
	braid_rc rc = braid_store_source_get(s, name, &sid, &text, err);
	if (rc)
		return rc;
	rc = braid_spec_parse(text, strlen(text), name, &spec, err);
	free(text);
	if (rc)
		return rc;
	json_t *out = json_object();
	json_object_set_new(out, "source", json_string(name));
	int64_t records = 0, v = 0;
	rc = one_int(s, "SELECT count(*) FROM records WHERE source_id=?1", sid, &records, err);
	json_object_set_new(out, "records", json_integer(records));
	static const char *const sums[] = {"batches", "rows_read", "rows_loaded",
					   "rows_rejected", "values_flagged"};
	static const char *const sum_sql[] = {
		"SELECT count(*) FROM batches WHERE source_id=?1",
		"SELECT coalesce(sum(rows_read),0) FROM batches WHERE source_id=?1",
		"SELECT coalesce(sum(rows_loaded),0) FROM batches WHERE source_id=?1",
		"SELECT coalesce(sum(rows_rejected),0) FROM batches WHERE source_id=?1",
		"SELECT coalesce(sum(values_flagged),0) FROM batches WHERE source_id=?1"};
	for (int i = 0; !rc && i < 5; i++) {
		rc = one_int(s, sum_sql[i], sid, &v, err);
		json_object_set_new(out, sums[i], json_integer(v));
	}
	/* Geocoding (src/geo): records with an address (a household key) and
	 * those placed in a tract. */
	int64_t keyed = 0, geocoded = 0;
	if (!rc)
		rc = one_int(s, "SELECT count(addr_key) FROM records WHERE source_id=?1", sid, &keyed, err);
	if (!rc)
		rc = one_int(s, "SELECT count(tract) FROM records WHERE source_id=?1", sid, &geocoded, err);
	json_object_set_new(out, "with_address", json_integer(keyed));
	json_object_set_new(out, "geocoded", json_integer(geocoded));
	json_object_set_new(out, "geocode_rate",
			    keyed ? json_real((double)geocoded / (double)keyed) : json_null());
	/* Values of every record, identifiers as keyed hashes. */
	if (!rc)
		rc = braid_store_exec(s, "DROP TABLE IF EXISTS temp.braid_q;"
				      "CREATE TEMP TABLE braid_q(f INTEGER, v TEXT, h INTEGER)", err);
	struct qctx q = {.s = s, .spec = spec, .err = err};
	if (!rc)
		rc = braid_store_prepare(s, "INSERT INTO temp.braid_q VALUES(?1,?2,?3)", &q.ins, err);
	if (!rc)
		rc = braid_store_begin(s, err);
	if (!rc) {
		rc = braid_store_identity_iter(s, sid, 0, q_cb, &q, err);
		if (!rc)
			rc = q.rc;
		if (rc)
			braid_store_rollback(s);
		else
			rc = braid_store_commit(s, err);
	}
	braid_stmt_finalize(q.ins);
	json_t *fields = json_array();
	for (int f = 0; !rc && f < BRAID_F__COUNT; f++) {
		if (!spec->fields[f].column)
			continue;
		int ident = braid_field_is_identifier((enum braid_field)f);
		json_t *o = json_object();
		json_object_set_new(o, "field", json_string(braid_field_name((enum braid_field)f)));
		json_object_set_new(o, "column", json_string(spec->fields[f].column));
		json_object_set_new(o, "identifier", json_boolean(ident));
		int64_t present = 0, invalid = 0, distinct = 0;
		struct braid_stmt *st;
		rc = braid_store_prepare(s, "SELECT coalesce(sum((present>>?2)&1),0),"
					 " coalesce(sum((invalid>>?2)&1),0) FROM records"
					 " WHERE source_id=?1", &st, err);
		if (!rc) {
			braid_stmt_bind_int64(st, 1, sid);
			braid_stmt_bind_int64(st, 2, f);
			int row;
			rc = braid_stmt_step(st, &row, err);
			if (row) {
				present = braid_stmt_int64(st, 0);
				invalid = braid_stmt_int64(st, 1);
			}
			braid_stmt_finalize(st);
		}
		if (!rc)
			rc = braid_store_prepare(s, "SELECT count(DISTINCT coalesce(v, h)) FROM"
						 " temp.braid_q WHERE f=?1", &st, err);
		if (!rc) {
			braid_stmt_bind_int64(st, 1, f);
			int row;
			rc = braid_stmt_step(st, &row, err);
			distinct = row ? braid_stmt_int64(st, 0) : 0;
			braid_stmt_finalize(st);
		}
		json_object_set_new(o, "present", json_integer(present));
		json_object_set_new(o, "invalid", json_integer(invalid));
		json_object_set_new(o, "valid", json_integer(present - invalid));
		json_object_set_new(o, "completeness",
				    json_real(records ? (double)(present - invalid) / records : 0));
		json_object_set_new(o, "validity",
				    json_real(present ? (double)(present - invalid) / present : 1));
		json_object_set_new(o, "distinct", json_integer(distinct));
		if (!ident && !rc)
			json_object_set_new(o, "top", counts_by(s,
				"SELECT v, count(*) c FROM temp.braid_q WHERE f=?1 GROUP BY v"
				" ORDER BY c DESC, v LIMIT ?2", f, top_n > 0 ? top_n : 5, "value",
				&rc, err));
		json_array_append_new(fields, o);
	}
	json_object_set_new(out, "fields", fields);
	if (!rc)
		json_object_set_new(out, "rejects", counts_by(s,
			"SELECT reason, count(*) c FROM rejects WHERE source_id=?1 AND ?2=?2"
			" GROUP BY reason ORDER BY c DESC, reason", sid, 0, "reason", &rc, err));
	if (!rc)
		json_object_set_new(out, "events", counts_by(s,
			"SELECT e.type, count(*) c, coalesce(sum(e.invalid<>0),0) FROM events e"
			" JOIN records r ON r.record_key=e.record_key WHERE r.source_id=?1"
			" AND ?2=?2 GROUP BY e.type ORDER BY e.type", sid, 0, "type", &rc, err));
	braid_store_exec(s, "DROP TABLE IF EXISTS temp.braid_q", NULL);
	if (!rc) {
		*json = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
		if (!*json)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	json_decref(out);
	braid_spec_free(spec);
	return rc;
}
