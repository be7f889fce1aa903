/*
 * The SQLite backend of the store: braid.db holds the analytic tables,
 * vault.db (attached as schema "vault") holds identities and raw reject
 * rows, each sealed with the vault key (see vault.c).  One connection, so
 * one transaction covers both files; both use a rollback journal (never
 * WAL, whose commits are atomic per file only) and synchronous=FULL, so a
 * commit is durable and a crash at any point leaves the previous state.
 *
 * Record keys are the rowids of records, handed out in increasing order;
 * nothing here uses identifier values except to seal them.  This backend
 * does not validate or interpret data: ingest does.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cache per schema, in KiB: bounded so that a load's memory does not grow
 * with its size (dirty pages spill to the database file). */
#define CACHE_KIB 8192

enum {
	Q_RECORD_ADD, Q_EVENT_ADD, Q_IDENTITY_PUT, Q_REJECT_ADD,
	Q_REJECT_RAW, Q__COUNT
};

static const char *const qsql[Q__COUNT] = {
	"INSERT INTO records(source_id,batch_id,row_no,sex,race,ethnicity,birth_year,"
	"zip5,present,invalid,rid_hash,record_key,attrs,tract,district,addr_key)"
	" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
	"INSERT INTO events(record_key,batch_id,type,start_date,end_date,program,"
	"provider,amount,attrs,invalid) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
	"INSERT INTO vault.identities(record_key,source_id,batch_id,sealed)"
	" VALUES(?1,?2,?3,?4)",
	"INSERT INTO rejects(source_id,batch_id,file,line,col,reason,id)"
	" VALUES(?1,?2,?3,?4,?5,?6,?7)",
	"INSERT INTO vault.reject_raw(reject_id,sealed) VALUES(?1,?2)",
};

struct sq_store {
	struct braid_store base;
	sqlite3 *db;
	int in_tx;
	sqlite3_stmt *q[Q__COUNT];
	struct braid_buf tmp; /* identity encoding, reused per row */
	unsigned char *sealed;
	size_t sealed_cap;
};

struct sq_stmt {
	struct braid_stmt base;
	sqlite3_stmt *st;
};

static const char main_schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta VALUES('format','1');"
	"CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" spec TEXT NOT NULL, created TEXT NOT NULL);"
	"CREATE TABLE batches(id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL,"
	" file TEXT NOT NULL, content_hash TEXT NOT NULL, quick_hash TEXT,"
	" loaded_at TEXT NOT NULL,"
	" rows_read INTEGER DEFAULT 0, rows_loaded INTEGER DEFAULT 0,"
	" rows_rejected INTEGER DEFAULT 0, values_flagged INTEGER DEFAULT 0);"
	"CREATE INDEX batches_hash ON batches(source_id, content_hash);"
	"CREATE INDEX batches_quick ON batches(source_id, quick_hash);"
	/* present/invalid: bit sets over enum braid_field.  rid_hash: keyed
	 * hash of the source record id (meaningless without the vault key),
	 * for duplicate detection.  No secondary index: maintaining one cost
	 * a third of the writer's time at load, and what reads records by
	 * source or batch (quality, duplicate checks, replace) scans anyway;
	 * upper layers index what they query. */
	"CREATE TABLE records(record_key INTEGER PRIMARY KEY, source_id INTEGER NOT NULL,"
	" batch_id INTEGER NOT NULL, row_no INTEGER, sex TEXT, race TEXT,"
	" ethnicity TEXT, birth_year INTEGER, zip5 TEXT, present INTEGER NOT NULL,"
	" invalid INTEGER NOT NULL, rid_hash INTEGER NOT NULL, attrs TEXT,"
	/* Geography (src/geo): the 2010 tract and planning district of the
	 * record's address, and the household key (braid_store_addr_key);
	 * NULL until geocoded. */
	" tract TEXT, district TEXT, addr_key INTEGER);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY, record_key INTEGER NOT NULL,"
	" batch_id INTEGER NOT NULL, type TEXT NOT NULL, start_date TEXT,"
	" end_date TEXT, program TEXT, provider TEXT, amount REAL, attrs TEXT,"
	" invalid INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX events_record ON events(record_key);"
	"CREATE INDEX events_batch ON events(batch_id);"
	"CREATE TABLE rejects(id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL,"
	" batch_id INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER, col INTEGER,"
	" reason TEXT NOT NULL);"
	"CREATE INDEX rejects_source ON rejects(source_id);"
	"CREATE INDEX rejects_batch ON rejects(batch_id);";

static const char vault_schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta VALUES('format','1');"
	/* sealed = nonce || secretbox(record_key || encoded identity). */
	"CREATE TABLE identities(record_key INTEGER PRIMARY KEY,"
	" source_id INTEGER NOT NULL, batch_id INTEGER NOT NULL, sealed BLOB NOT NULL);"
	"CREATE INDEX identities_batch ON identities(batch_id);"
	"CREATE TABLE reject_raw(reject_id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);";

static braid_rc sq_err(sqlite3 *db, struct braid_err *err, const char *what)
{
	return braid_err_set(err, BRAID_ESTORE, "sqlite: %s: %s", what,
			     db ? sqlite3_errmsg(db) : "cannot allocate");
}

static braid_rc path_join(char *out, size_t n, const char *dir, const char *name)
{
	int k = snprintf(out, n, "%s/%s", dir, name);
	return k < 0 || (size_t)k >= n ? BRAID_ETOOBIG : BRAID_OK;
}

static braid_rc create_db(const char *path, const char *schema, struct braid_err *err)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
		braid_rc rc = sq_err(db, err, path);
		sqlite3_close(db);
		return rc;
	}
	char *msg = NULL;
	/* Large pages: loads append long runs of rows, and every page is one
	 * write when the bounded cache spills. */
	int r = sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=DELETE; BEGIN;",
			     NULL, NULL, &msg);
	if (!r)
		r = sqlite3_exec(db, schema, NULL, NULL, &msg);
	if (!r)
		r = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
	braid_rc rc = BRAID_OK;
	if (r)
		rc = braid_err_set(err, BRAID_ESTORE, "sqlite: creating %s: %s", path,
				   msg ? msg : "error");
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

braid_rc braid__sqlite_create(const char *dir, struct braid_err *err)
{
	char p[4096];
	if (path_join(p, sizeof p, dir, "braid.db"))
		return braid_err_set(err, BRAID_ETOOBIG, "workspace path too long");
	braid_rc rc = create_db(p, main_schema, err);
	if (rc)
		return rc;
	if (path_join(p, sizeof p, dir, "vault.db"))
		return braid_err_set(err, BRAID_ETOOBIG, "workspace path too long");
	return create_db(p, vault_schema, err);
}

/* ------------------------------------------------------------ generic */
static void sq_close(struct braid_store *bs)
{
	struct sq_store *s = (struct sq_store *)bs;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(s->q[i]);
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	braid_buf_release(&s->tmp);
	if (s->sealed)
		sodium_memzero(s->sealed, s->sealed_cap);
	free(s->sealed);
	sodium_memzero(&s->base.keys, sizeof s->base.keys);
	free(s);
}

static braid_rc sq_exec(struct braid_store *bs, const char *sql, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg)) {
		braid_rc rc = braid_err_set(err, BRAID_ESTORE, "sqlite: %s",
					    msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return rc;
	}
	return BRAID_OK;
}

static braid_rc sq_begin(struct braid_store *bs, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	if (s->in_tx)
		return braid_err_set(err, BRAID_ESTORE, "a transaction is already open");
	/* IMMEDIATE: take the write lock now rather than fail half-way. */
	braid_rc rc = sq_exec(bs, "BEGIN IMMEDIATE", err);
	if (!rc)
		s->in_tx = 1;
	return rc;
}

static braid_rc sq_commit(struct braid_store *bs, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	if (!s->in_tx)
		return braid_err_set(err, BRAID_ESTORE, "no transaction is open");
	braid_rc rc = sq_exec(bs, "COMMIT", err);
	if (rc) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	s->in_tx = 0;
	return rc;
}

static void sq_rollback(struct braid_store *bs)
{
	struct sq_store *s = (struct sq_store *)bs;
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
}

static braid_rc sq_prepare(struct braid_store *bs, const char *sql,
			   struct braid_stmt **out, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	*out = NULL;
	struct sq_stmt *st = calloc(1, sizeof *st);
	if (!st)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st->st, NULL)) {
		free(st);
		return sq_err(s->db, err, "prepare");
	}
	st->base.store = bs;
	*out = &st->base;
	return BRAID_OK;
}

#define SQ(st) (((struct sq_stmt *)(st))->st)
static braid_rc bind_rc(int r)
{
	return r == SQLITE_OK ? BRAID_OK : r == SQLITE_NOMEM ? BRAID_ENOMEM : BRAID_EINVAL;
}
static braid_rc sq_bind_int64(struct braid_stmt *st, int i, int64_t v)
{ return bind_rc(sqlite3_bind_int64(SQ(st), i, v)); }
static braid_rc sq_bind_double(struct braid_stmt *st, int i, double v)
{ return bind_rc(sqlite3_bind_double(SQ(st), i, v)); }
static braid_rc sq_bind_text(struct braid_stmt *st, int i, const char *v, long n)
{
	if (!v)
		return bind_rc(sqlite3_bind_null(SQ(st), i));
	return bind_rc(sqlite3_bind_text(SQ(st), i, v, n < 0 ? -1 : (int)n, SQLITE_TRANSIENT));
}
static braid_rc sq_bind_null(struct braid_stmt *st, int i)
{ return bind_rc(sqlite3_bind_null(SQ(st), i)); }

static braid_rc sq_step(struct braid_stmt *st, int *row, struct braid_err *err)
{
	int r = sqlite3_step(SQ(st));
	*row = r == SQLITE_ROW;
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		return BRAID_OK;
	struct sq_store *s = (struct sq_store *)st->store;
	return sq_err(s->db, err, "step");
}
static int sq_column_count(struct braid_stmt *st)
{ return sqlite3_column_count(SQ(st)); }
static int sq_is_null(struct braid_stmt *st, int c)
{ return sqlite3_column_type(SQ(st), c) == SQLITE_NULL; }
static int64_t sq_int64(struct braid_stmt *st, int c)
{ return sqlite3_column_int64(SQ(st), c); }
static double sq_double(struct braid_stmt *st, int c)
{ return sqlite3_column_double(SQ(st), c); }
static const char *sq_text(struct braid_stmt *st, int c)
{
	const unsigned char *t = sqlite3_column_text(SQ(st), c);
	return t ? (const char *)t : "";
}
static void sq_reset(struct braid_stmt *st)
{
	sqlite3_reset(SQ(st));
	sqlite3_clear_bindings(SQ(st));
}
static void sq_finalize(struct braid_stmt *st)
{
	sqlite3_finalize(SQ(st));
	free(st);
}

/* ------------------------------------------------------------ helpers */
static braid_rc q_get(struct sq_store *s, int q, sqlite3_stmt **out, struct braid_err *err)
{
	if (!s->q[q] && sqlite3_prepare_v3(s->db, qsql[q], -1, SQLITE_PREPARE_PERSISTENT,
					   &s->q[q], NULL))
		return sq_err(s->db, err, "prepare");
	*out = s->q[q];
	return BRAID_OK;
}

/* Run a prepared insert/update to completion and reset it. */
static braid_rc run_done(struct sq_store *s, sqlite3_stmt *st, struct braid_err *err)
{
	int r = sqlite3_step(st);
	braid_rc rc = BRAID_OK;
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = sq_err(s->db, err, "write");
	sqlite3_reset(st);
	return rc;
}

static braid_rc prep(struct sq_store *s, const char *sql, sqlite3_stmt **st,
		     struct braid_err *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL))
		return sq_err(s->db, err, "prepare");
	return BRAID_OK;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static braid_rc seal_buf(struct sq_store *s, size_t n, struct braid_err *err)
{
	size_t need = braid__vault_sealed_len(n);
	if (need > s->sealed_cap) {
		size_t cap = need * 2;
		unsigned char *p = realloc(s->sealed, cap);
		if (!p)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		s->sealed = p;
		s->sealed_cap = cap;
	}
	return BRAID_OK;
}

/* ------------------------------------------------------------ sources */
static braid_rc sq_source_add(struct braid_store *bs, const char *name, const char *spec,
			      int64_t *id, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "INSERT INTO sources(name,spec,created)"
			      " VALUES(?1,?2,strftime('%Y-%m-%dT%H:%M:%SZ','now'))", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, spec, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_CONSTRAINT)
		rc = braid_err_set(err, BRAID_EEXIST, "source '%s' already exists", name);
	else if (r != SQLITE_DONE)
		rc = sq_err(s->db, err, "adding source");
	else if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_source_get(struct braid_store *bs, const char *name, int64_t *id,
			      char **spec, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "SELECT id, spec FROM sources WHERE name=?1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(st, 0);
		if (spec) {
			*spec = braid_strdup((const char *)sqlite3_column_text(st, 1));
			if (!*spec)
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
	} else if (r == SQLITE_DONE) {
		rc = braid_err_set(err, BRAID_ENOTFOUND,
				   "no source named '%s' (see 'braid sources')", name);
	} else {
		rc = sq_err(s->db, err, "reading source");
	}
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_source_list(struct braid_store *bs, int counts,
			       int (*cb)(void *, const struct braid_source_info *),
			       void *ctx, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, counts
		? "SELECT s.id, s.name, s.spec, s.created,"
		  " (SELECT count(*) FROM batches b WHERE b.source_id=s.id),"
		  " (SELECT count(*) FROM records r WHERE r.source_id=s.id),"
		  " (SELECT count(*) FROM rejects j WHERE j.source_id=s.id)"
		  " FROM sources s ORDER BY s.name"
		: "SELECT s.id, s.name, s.spec, s.created, 0, 0, 0"
		  " FROM sources s ORDER BY s.name", &st, err);
	if (rc)
		return rc;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct braid_source_info in = {
			.id = sqlite3_column_int64(st, 0),
			.name = (const char *)sqlite3_column_text(st, 1),
			.spec_text = (const char *)sqlite3_column_text(st, 2),
			.created = (const char *)sqlite3_column_text(st, 3),
			.batches = sqlite3_column_int64(st, 4),
			.records = sqlite3_column_int64(st, 5),
			.rejects = sqlite3_column_int64(st, 6),
		};
		if (cb(ctx, &in))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_err(s->db, err, "listing sources");
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------ batches */
static braid_rc sq_batch_find(struct braid_store *bs, int64_t source_id, const char *hash,
			      int64_t *id, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "SELECT id FROM batches WHERE source_id=?1 AND content_hash=?2"
			      " ORDER BY id LIMIT 1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (r == SQLITE_DONE)
		rc = BRAID_ENOTFOUND; /* not an error worth a message */
	else
		rc = sq_err(s->db, err, "finding batch");
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_batch_find_quick(struct braid_store *bs, int64_t source_id,
				    const char *quick, int64_t *id, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "SELECT id FROM batches WHERE source_id=?1 AND quick_hash=?2"
			      " ORDER BY id LIMIT 1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_text(st, 2, quick, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (r == SQLITE_DONE)
		rc = BRAID_ENOTFOUND;
	else
		rc = sq_err(s->db, err, "finding batch");
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_batch_begin(struct braid_store *bs, struct braid_batch *b,
			       struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "INSERT INTO batches(source_id,file,content_hash,quick_hash,"
			      "loaded_at) VALUES(?1,?2,?3,?4,strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
			   &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, b->source_id);
	sqlite3_bind_text(st, 2, b->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->content_hash, -1, SQLITE_STATIC);
	bind_opt_text(st, 4, b->quick_hash);
	rc = run_done(s, st, err);
	if (!rc)
		b->id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_batch_finish(struct braid_store *bs, const struct braid_batch *b,
				struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "UPDATE batches SET rows_read=?2, rows_loaded=?3,"
			      " rows_rejected=?4, values_flagged=?5,"
			      " content_hash=coalesce(?6, content_hash) WHERE id=?1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, b->id);
	sqlite3_bind_int64(st, 2, b->rows_read);
	sqlite3_bind_int64(st, 3, b->rows_loaded);
	sqlite3_bind_int64(st, 4, b->rows_rejected);
	sqlite3_bind_int64(st, 5, b->values_flagged);
	bind_opt_text(st, 6, b->content_hash);
	rc = run_done(s, st, err);
	sqlite3_finalize(st);
	return rc;
}

static braid_rc exec_id(struct sq_store *s, const char *sql, int64_t id,
			struct braid_err *err)
{
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = run_done(s, st, err);
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_batch_delete(struct braid_store *bs, int64_t id, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	static const char *const del[] = {
		"DELETE FROM events WHERE batch_id=?1",
		"DELETE FROM events WHERE record_key IN"
		" (SELECT record_key FROM records WHERE source_id=(SELECT source_id FROM batches"
		" WHERE id=?1) AND batch_id=?1)",
		"DELETE FROM vault.identities WHERE record_key IN"
		" (SELECT record_key FROM records WHERE source_id=(SELECT source_id FROM batches"
		" WHERE id=?1) AND batch_id=?1)",
		"DELETE FROM records WHERE source_id=(SELECT source_id FROM batches WHERE id=?1)"
		" AND batch_id=?1",
		"DELETE FROM vault.reject_raw WHERE reject_id IN"
		" (SELECT id FROM rejects WHERE batch_id=?1)",
		"DELETE FROM rejects WHERE batch_id=?1",
		"DELETE FROM batches WHERE id=?1",
	};
	for (size_t i = 0; i < sizeof del / sizeof del[0]; i++) {
		braid_rc rc = exec_id(s, del[i], id, err);
		if (rc)
			return rc;
	}
	return BRAID_OK;
}

/* ------------------------------------------------------------ records */
static braid_rc sq_record_add(struct braid_store *bs, const struct braid_record_row *r,
			      int64_t *key, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = q_get(s, Q_RECORD_ADD, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, r->source_id);
	sqlite3_bind_int64(st, 2, r->batch_id);
	sqlite3_bind_int64(st, 3, r->row);
	bind_opt_text(st, 4, r->sex);
	bind_opt_text(st, 5, r->race);
	bind_opt_text(st, 6, r->ethnicity);
	if (r->birth_year)
		sqlite3_bind_int(st, 7, r->birth_year);
	else
		sqlite3_bind_null(st, 7);
	bind_opt_text(st, 8, r->zip5);
	sqlite3_bind_int64(st, 9, r->present);
	sqlite3_bind_int64(st, 10, r->invalid);
	sqlite3_bind_int64(st, 11, r->rid_hash);
	if (r->record_key)
		sqlite3_bind_int64(st, 12, r->record_key);
	else
		sqlite3_bind_null(st, 12);
	bind_opt_text(st, 13, r->attrs_json);
	bind_opt_text(st, 14, r->tract);
	bind_opt_text(st, 15, r->district);
	if (r->addr_key)
		sqlite3_bind_int64(st, 16, r->addr_key);
	else
		sqlite3_bind_null(st, 16);
	rc = run_done(s, st, err);
	if (!rc)
		*key = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static braid_rc sq_record_delete(struct braid_store *bs, int64_t key, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	static const char *const del[] = {
		"DELETE FROM events WHERE record_key=?1",
		"DELETE FROM vault.identities WHERE record_key=?1",
		"DELETE FROM records WHERE record_key=?1",
	};
	for (size_t i = 0; i < sizeof del / sizeof del[0]; i++) {
		braid_rc rc = exec_id(s, del[i], key, err);
		if (rc)
			return rc;
	}
	return BRAID_OK;
}

static braid_rc sq_event_add(struct braid_store *bs, const struct braid_event_row *e,
			     struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = q_get(s, Q_EVENT_ADD, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, e->record_key);
	sqlite3_bind_int64(st, 2, e->batch_id);
	sqlite3_bind_text(st, 3, e->type, -1, SQLITE_STATIC);
	bind_opt_text(st, 4, e->start);
	bind_opt_text(st, 5, e->end);
	bind_opt_text(st, 6, e->program);
	bind_opt_text(st, 7, e->provider);
	if (e->has_amount)
		sqlite3_bind_double(st, 8, e->amount);
	else
		sqlite3_bind_null(st, 8);
	bind_opt_text(st, 9, e->attrs_json);
	sqlite3_bind_int64(st, 10, e->invalid);
	return run_done(s, st, err);
}

/* ------------------------------------------------------------ vault */
static braid_rc sq_identity_put(struct braid_store *bs, const struct braid_identity *id,
				int64_t batch_id, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	braid_rc rc = braid__identity_encode(id, &s->tmp);
	if (rc)
		return braid_err_set(err, rc, "identity of record %lld is too large",
				     (long long)id->record_key);
	if ((rc = seal_buf(s, s->tmp.len, err)))
		return rc;
	braid__vault_seal(&s->base.keys, id->record_key, s->tmp.data, s->tmp.len, s->sealed);
	sodium_memzero(s->tmp.data, s->tmp.len);
	sqlite3_stmt *st = NULL;
	if ((rc = q_get(s, Q_IDENTITY_PUT, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, id->record_key);
	sqlite3_bind_int64(st, 2, id->source_id);
	sqlite3_bind_int64(st, 3, batch_id);
	sqlite3_bind_blob(st, 4, s->sealed, (int)braid__vault_sealed_len(s->tmp.len),
			  SQLITE_STATIC);
	return run_done(s, st, err);
}

static braid_rc sq_identity_put_sealed(struct braid_store *bs, int64_t key,
				       int64_t source_id, int64_t batch_id,
				       const unsigned char *sealed, size_t n,
				       struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = q_get(s, Q_IDENTITY_PUT, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, source_id);
	sqlite3_bind_int64(st, 3, batch_id);
	sqlite3_bind_blob(st, 4, sealed, (int)n, SQLITE_STATIC);
	return run_done(s, st, err);
}

static braid_rc sq_next_id(struct braid_store *bs, const char *what, int64_t *out,
			   struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	const char *sql = !strcmp(what, "records") ?
		"SELECT coalesce(max(record_key),0)+1 FROM records" :
		!strcmp(what, "rejects") ? "SELECT coalesce(max(id),0)+1 FROM rejects" : NULL;
	if (!sql)
		return braid_err_set(err, BRAID_EINVAL, "next_id: unknown table '%s'", what);
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, sql, &st, err);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = sq_err(s->db, err, "next id");
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_identity_iter(struct braid_store *bs, int64_t source_id,
				 int64_t after_batch,
				 int (*cb)(void *, const struct braid_identity *),
				 void *ctx, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	/* Later batches have higher keys: with the batch index the range
	 * starts at the first of them instead of scanning every row (an
	 * incremental link reads thousands of a million). */
	braid_rc rc = prep(s, "SELECT record_key, source_id, sealed FROM vault.identities"
			      " WHERE (?1=0 OR source_id=?1) AND batch_id>?2 AND record_key >="
			      " (CASE WHEN ?2=0 THEN 0 ELSE coalesce((SELECT min(record_key)"
			      " FROM vault.identities WHERE batch_id>?2), 0) END)"
			      " ORDER BY record_key", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, after_batch);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t key = sqlite3_column_int64(st, 0);
		unsigned char *m;
		size_t n;
		rc = braid__vault_open(&s->base.keys, key, sqlite3_column_blob(st, 2),
				       (size_t)sqlite3_column_bytes(st, 2), &m, &n);
		if (rc) {
			rc = braid_err_set(err, rc, "vault: record %lld does not decrypt"
				      " (wrong key or damaged row)", (long long)key);
			break;
		}
		struct braid_identity id = {.record_key = key,
					    .source_id = (int32_t)sqlite3_column_int64(st, 1)};
		rc = braid__identity_decode(m, n, &id);
		int stop = 0;
		if (!rc)
			stop = cb(ctx, &id);
		else
			braid_err_set(err, rc, "vault: record %lld is damaged", (long long)key);
		sodium_memzero(m, n);
		free(m);
		if (rc || stop)
			break;
	}
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_err(s->db, err, "reading vault");
	sqlite3_finalize(st);
	return rc;
}

static braid_rc sq_identity_delete(struct braid_store *bs, int64_t key,
				   struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	return exec_id(s, "DELETE FROM vault.identities WHERE record_key=?1", key, err);
}

static braid_rc sq_rid_scan(struct braid_store *bs, int64_t source_id,
			    int (*cb)(void *, int64_t, int64_t), void *ctx,
			    struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, "SELECT record_key, rid_hash FROM records"
			      " WHERE source_id=?1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, source_id);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)))
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_err(s->db, err, "reading vault");
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------ rejects */
static braid_rc sq_reject_add(struct braid_store *bs, const struct braid_reject *j,
			      struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = q_get(s, Q_REJECT_ADD, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, j->source_id);
	sqlite3_bind_int64(st, 2, j->batch_id);
	sqlite3_bind_text(st, 3, j->file ? j->file : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, j->line);
	sqlite3_bind_int64(st, 5, j->column);
	sqlite3_bind_text(st, 6, j->reason, -1, SQLITE_STATIC);
	if (j->id)
		sqlite3_bind_int64(st, 7, j->id);
	else
		sqlite3_bind_null(st, 7);
	if ((rc = run_done(s, st, err)))
		return rc;
	int64_t id = sqlite3_last_insert_rowid(s->db);
	const unsigned char *blob = j->sealed;
	size_t blen = j->sealed_len;
	if (!blob) {
		size_t n = j->raw ? j->raw_len : 0;
		if ((rc = seal_buf(s, n, err)))
			return rc;
		braid__vault_seal(&s->base.keys, id, j->raw ? j->raw : "", n, s->sealed);
		blob = s->sealed;
		blen = braid__vault_sealed_len(n);
	}
	if ((rc = q_get(s, Q_REJECT_RAW, &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, blob, (int)blen, SQLITE_STATIC);
	return run_done(s, st, err);
}

static braid_rc sq_reject_iter(struct braid_store *bs, int64_t source_id, int with_raw,
			       int (*cb)(void *, const struct braid_reject *), void *ctx,
			       struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	sqlite3_stmt *st = NULL;
	braid_rc rc = prep(s, with_raw ?
		"SELECT j.id, j.source_id, j.batch_id, j.file, j.line, j.col, j.reason, v.sealed"
		" FROM rejects j LEFT JOIN vault.reject_raw v ON v.reject_id=j.id"
		" WHERE j.source_id=?1 ORDER BY j.id" :
		"SELECT j.id, j.source_id, j.batch_id, j.file, j.line, j.col, j.reason, NULL"
		" FROM rejects j WHERE j.source_id=?1 ORDER BY j.id", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, source_id);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct braid_reject j = {
			.id = sqlite3_column_int64(st, 0),
			.source_id = sqlite3_column_int64(st, 1),
			.batch_id = sqlite3_column_int64(st, 2),
			.file = (const char *)sqlite3_column_text(st, 3),
			.line = (long)sqlite3_column_int64(st, 4),
			.column = (long)sqlite3_column_int64(st, 5),
			.reason = (const char *)sqlite3_column_text(st, 6),
		};
		unsigned char *m = NULL;
		size_t n = 0;
		if (with_raw && sqlite3_column_type(st, 7) == SQLITE_BLOB) {
			rc = braid__vault_open(&s->base.keys, j.id, sqlite3_column_blob(st, 7),
					       (size_t)sqlite3_column_bytes(st, 7), &m, &n);
			if (rc) {
				braid_err_set(err, rc, "vault: reject %lld does not decrypt",
					      (long long)j.id);
				break;
			}
			j.raw = (const char *)m;
			j.raw_len = n;
		}
		int stop = cb(ctx, &j);
		if (m) {
			sodium_memzero(m, n);
			free(m);
		}
		if (stop)
			break;
	}
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_err(s->db, err, "reading rejects");
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------ vault guard
 * For sessions whose user may not read identifiers: SQLite asks this for
 * every table, column, pragma and attachment a statement touches while it
 * is prepared, so a statement naming the vault schema in any way fails to
 * prepare, whatever layer builds it.  Detaching or attaching is denied too
 * (the vault could be attached again under another name). */
static int vault_guard(void *ctx, int op, const char *a1, const char *a2, const char *db,
		       const char *trigger)
{
	(void)ctx;
	(void)a1;
	(void)a2;
	(void)trigger;
	if (op == SQLITE_ATTACH || op == SQLITE_DETACH)
		return SQLITE_DENY;
	if (db && !sqlite3_stricmp(db, "vault"))
		return SQLITE_DENY;
	return SQLITE_OK;
}

static braid_rc sq_restrict_vault(struct braid_store *bs, struct braid_err *err)
{
	struct sq_store *s = (struct sq_store *)bs;
	/* Statements prepared before (the store's own) were authorised
	 * already; drop them so that none is reused past the guard. */
	for (int i = 0; i < Q__COUNT; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
	if (sqlite3_set_authorizer(s->db, vault_guard, NULL) != SQLITE_OK)
		return sq_err(s->db, err, "set authorizer");
	return BRAID_OK;
}

static const struct braid_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close, .begin = sq_begin, .commit = sq_commit,
	.rollback = sq_rollback, .exec = sq_exec, .prepare = sq_prepare,
	.bind_int64 = sq_bind_int64, .bind_double = sq_bind_double,
	.bind_text = sq_bind_text, .bind_null = sq_bind_null, .step = sq_step,
	.column_count = sq_column_count, .is_null = sq_is_null,
	.col_int64 = sq_int64, .col_double = sq_double, .col_text = sq_text,
	.reset = sq_reset, .finalize = sq_finalize,
	.source_add = sq_source_add, .source_get = sq_source_get,
	.source_list = sq_source_list, .batch_find = sq_batch_find,
	.batch_begin = sq_batch_begin, .batch_find_quick = sq_batch_find_quick, .batch_finish = sq_batch_finish,
	.batch_delete = sq_batch_delete, .record_add = sq_record_add,
	.record_delete = sq_record_delete, .event_add = sq_event_add,
	.identity_put = sq_identity_put, .identity_iter = sq_identity_iter,
	.identity_delete = sq_identity_delete, .rid_scan = sq_rid_scan,
	.reject_add = sq_reject_add, .reject_iter = sq_reject_iter,
	.identity_put_sealed = sq_identity_put_sealed, .next_id = sq_next_id,
	.restrict_vault = sq_restrict_vault,
};

/* Add records.tract, district and addr_key when missing; 0 on success. */
static int add_geo_columns(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('records')"
			       " WHERE name = 'addr_key'", -1, &st, NULL))
		return 1;
	int have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (have)
		return 0;
	return sqlite3_exec(db, "BEGIN; ALTER TABLE records ADD COLUMN tract TEXT;"
			    " ALTER TABLE records ADD COLUMN district TEXT;"
			    " ALTER TABLE records ADD COLUMN addr_key INTEGER; COMMIT;",
			    NULL, NULL, NULL) != SQLITE_OK &&
	       (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), 1);
}

braid_rc braid__sqlite_open(const char *dir, const struct braid__vault_keys *keys,
			    struct braid_store **out, struct braid_err *err)
{
	char p[4096], v[4096];
	if (path_join(p, sizeof p, dir, "braid.db") || path_join(v, sizeof v, dir, "vault.db"))
		return braid_err_set(err, BRAID_ETOOBIG, "workspace path too long");
	struct sq_store *s = calloc(1, sizeof *s);
	if (!s)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	s->base.ops = &sqlite_ops;
	s->base.keys = *keys;
	braid_buf_init(&s->tmp, 1 << 22);
	/* No CREATE: a missing file means a broken workspace, not a new one. */
	if (sqlite3_open_v2(p, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)) {
		braid_rc rc = braid_err_set(err, BRAID_ESTORE, "cannot open '%s': %s", p,
					    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return rc;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS vault", -1, &st, NULL);
	if (!r) {
		sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
		r = sqlite3_step(st) != SQLITE_DONE;
	}
	sqlite3_finalize(st);
	char pragmas[512];
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA main.journal_mode=DELETE; PRAGMA vault.journal_mode=DELETE;"
		 "PRAGMA main.synchronous=FULL; PRAGMA vault.synchronous=FULL;"
		 "PRAGMA main.cache_size=-%d; PRAGMA vault.cache_size=-%d;"
		 "PRAGMA temp_store=FILE; PRAGMA vault.secure_delete=ON;"
		 "SELECT count(*) FROM vault.identities;", CACHE_KIB, CACHE_KIB);
	if (r || sqlite3_exec(s->db, pragmas, NULL, NULL, NULL)) {
		braid_rc rc = braid_err_set(err, BRAID_ESTORE, "cannot open vault '%s': %s", v,
					    sqlite3_errmsg(s->db));
		sq_close(&s->base);
		return rc;
	}
	/* Workspaces made before geography: add its columns (src/geo). */
	if (add_geo_columns(s->db)) {
		braid_rc rc = braid_err_set(err, BRAID_ESTORE, "cannot upgrade '%s': %s", p,
					    sqlite3_errmsg(s->db));
		sq_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return BRAID_OK;
}
