/*
 * Where the audit log lives: audit.db, an SQLite file of its own in the
 * workspace beside braid.db, on a connection of its own.
 *
 * Why a file of its own.  The analytic store runs a rollback journal with
 * synchronous=FULL (its commits span braid.db and vault.db atomically), so
 * an entry appended there cost a durable multi-file commit, ~20 ms on the
 * bench disk (49 actions/s).  audit.db runs in WAL mode with
 * synchronous=NORMAL: a commit appends the entry's pages to audit.db-wal
 * with write(2) and no fsync, so an appended entry survives any crash of
 * the process (the kernel has the bytes), and a power loss or kernel crash
 * can lose only the entries appended since the last checkpoint (SQLite
 * checkpoints, with fsync, every ~1000 pages and when the last connection
 * closes).  BRAID_AUDIT_SYNC=full in the environment makes every commit
 * fsync the WAL instead (durable per entry, at fsync's price).
 *
 * A connection of its own also means an entry does not share the fate of
 * the reader's transaction on braid.db: a query or export that rolls back
 * still leaves its allow or deny entry in the log.
 *
 * Cost per append (bench/RESULTS.md, Policy): one transaction writing two
 * pages (the entry's leaf and the head).  seq carries no UNIQUE index,
 * which cost a third page per entry: appends are serialised by the write
 * lock with the head read inside it, and a repeated seq is what `audit
 * verify` reports anyway.  Checkpoints run every 10,000 pages (~40 MB of
 * WAL) rather than 1,000, and not when a connection closes, so a CLI
 * command does not pay a checkpoint's two fsyncs on exit; the WAL file
 * (audit.db-wal) stays beside audit.db between commands.
 *
 * The layout is the one braid.db had (policy_audit with pos in insertion
 * order; policy_audit_head; triggers refusing UPDATE and DELETE), so
 * `braid audit verify` and the tamper tests read it the same way.  This file stores and reads rows only: the chain is audit_log.c's,
 * the locking discipline and migration are policy_store.c's.  It talks to
 * SQLite directly rather than through the store interface: the audit log
 * is a file the policy layer owns, like the key file is the store's, and
 * it must not be inside the store's transactions.
 */
#include "policy_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS policy_audit("
	" pos INTEGER PRIMARY KEY, seq INTEGER NOT NULL, at TEXT NOT NULL, user_name TEXT NOT NULL,"
	" role TEXT NOT NULL, org TEXT NOT NULL, agreement TEXT NOT NULL,"
	" purpose TEXT NOT NULL, action TEXT NOT NULL, sources TEXT NOT NULL,"
	" rows_returned INTEGER NOT NULL, query_hash TEXT NOT NULL,"
	" decision TEXT NOT NULL, reason TEXT NOT NULL, prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS policy_audit_head("
	" id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);"
	"INSERT INTO policy_audit_head(id, seq, hash) SELECT 1, 0, ''"
	" WHERE NOT EXISTS (SELECT 1 FROM policy_audit_head);"
	"CREATE TRIGGER IF NOT EXISTS policy_audit_no_update BEFORE UPDATE ON policy_audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS policy_audit_no_delete BEFORE DELETE ON policy_audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

#define COLS \
	"seq, at, user_name, role, org, agreement, purpose, action, sources, rows_returned," \
	" query_hash, decision, reason, prev_hash, hash"

enum { S_BEGIN, S_COMMIT, S_ROLLBACK, S_INS, S_INS_POS, S_HEAD_GET, S_HEAD_PUT, S__COUNT };
static const char *const stmt_sql[S__COUNT] = {
	"BEGIN IMMEDIATE",
	"COMMIT",
	"ROLLBACK",
	"INSERT INTO policy_audit(" COLS ") VALUES"
	"(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
	"INSERT INTO policy_audit(pos, " COLS ") VALUES"
	"(?16,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
	"SELECT seq, hash FROM policy_audit_head WHERE id = 1",
	"UPDATE policy_audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
};

struct braid__audit_db {
	sqlite3 *db;
	sqlite3_stmt *st[S__COUNT];
	int in_tx;
	char path[4096];
};

static braid_rc db_err(struct braid__audit_db *a, struct braid_err *err, const char *what)
{
	return braid_err_set(err, BRAID_ESTORE, "audit log %s: %s: %s", a->path, what,
			     a->db ? sqlite3_errmsg(a->db) : "cannot open");
}

/* Step a cached statement to completion and reset it. */
static braid_rc run(struct braid__audit_db *a, int k, struct braid_err *err)
{
	sqlite3_stmt *st = a->st[k];
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		;
	braid_rc rc = r == SQLITE_DONE ? BRAID_OK : db_err(a, err, "write");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

braid_rc braid__audit_db_open(const char *path, struct braid__audit_db **out,
			      struct braid_err *err)
{
	*out = NULL;
	struct braid__audit_db *a = calloc(1, sizeof *a);
	if (!a)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (strlen(path) >= sizeof a->path) {
		free(a);
		return braid_err_set(err, BRAID_EINVAL, "audit log path too long");
	}
	memcpy(a->path, path, strlen(path) + 1);
	braid_rc rc = BRAID_OK;
	if (sqlite3_open_v2(path, &a->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = db_err(a, err, "open");
		goto fail;
	}
	/* Appends from other processes (a server and a CLI, two CLIs) wait
	 * for each other's short write transactions. */
	sqlite3_busy_timeout(a->db, 10000);
	const char *sync = getenv("BRAID_AUDIT_SYNC");
	const char *pragmas = sync && !strcmp(sync, "full")
				      ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
				      : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	if (sqlite3_exec(a->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(a->db, "PRAGMA wal_autocheckpoint=10000", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(a->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(a, err, "setup");
		goto fail;
	}
	for (int k = 0; k < S__COUNT; k++)
		if (sqlite3_prepare_v3(a->db, stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT, &a->st[k],
				       NULL) != SQLITE_OK) {
			rc = db_err(a, err, "prepare");
			goto fail;
		}
	*out = a;
	return BRAID_OK;
fail:
	braid__audit_db_close(a);
	return rc;
}

void braid__audit_db_close(struct braid__audit_db *a)
{
	if (!a)
		return;
	if (a->in_tx)
		braid__audit_db_rollback(a);
	for (int k = 0; k < S__COUNT; k++)
		sqlite3_finalize(a->st[k]);
	sqlite3_close(a->db);
	free(a);
}

const char *braid__audit_db_path(const struct braid__audit_db *a)
{
	return a->path;
}

braid_rc braid__audit_db_begin(struct braid__audit_db *a, struct braid_err *err)
{
	if (a->in_tx)
		return braid_err_set(err, BRAID_ESTORE, "audit log: a transaction is already open");
	braid_rc rc = run(a, S_BEGIN, err);
	a->in_tx = !rc;
	return rc;
}

braid_rc braid__audit_db_begin_read(struct braid__audit_db *a, struct braid_err *err)
{
	if (a->in_tx)
		return braid_err_set(err, BRAID_ESTORE, "audit log: a transaction is already open");
	if (sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(a, err, "begin");
	a->in_tx = 1;
	return BRAID_OK;
}

braid_rc braid__audit_db_commit(struct braid__audit_db *a, struct braid_err *err)
{
	braid_rc rc = run(a, S_COMMIT, err);
	if (rc)
		braid__audit_db_rollback(a);
	a->in_tx = 0;
	return rc;
}

void braid__audit_db_rollback(struct braid__audit_db *a)
{
	if (!sqlite3_get_autocommit(a->db))
		run(a, S_ROLLBACK, NULL);
	a->in_tx = 0;
}

braid_rc braid__audit_db_set_full_sync(struct braid__audit_db *a, int full,
				       struct braid_err *err)
{
	const char *sync = getenv("BRAID_AUDIT_SYNC");
	if (!full && sync && !strcmp(sync, "full"))
		return BRAID_OK;
	if (sqlite3_exec(a->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK)
		return db_err(a, err, "pragma");
	return BRAID_OK;
}

braid_rc braid__audit_db_head(struct braid__audit_db *a, int64_t *seq,
			      char hash[BRAID_HASH_HEX], struct braid_err *err)
{
	sqlite3_stmt *st = a->st[S_HEAD_GET];
	int r = sqlite3_step(st);
	*seq = 0;
	hash[0] = 0;
	braid_rc rc = BRAID_OK;
	if (r == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		const unsigned char *h = sqlite3_column_text(st, 1);
		snprintf(hash, BRAID_HASH_HEX, "%s", h ? (const char *)h : "");
	} else if (r != SQLITE_DONE) {
		rc = db_err(a, err, "read head");
	}
	sqlite3_reset(st);
	return rc;
}

braid_rc braid__audit_db_head_put(struct braid__audit_db *a, int64_t seq, const char *hash,
				  struct braid_err *err)
{
	sqlite3_stmt *st = a->st[S_HEAD_PUT];
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	return run(a, S_HEAD_PUT, err);
}

braid_rc braid__audit_db_insert(struct braid__audit_db *a, const struct braid_audit_entry *e,
				int64_t pos, struct braid_err *err)
{
	int k = pos ? S_INS_POS : S_INS;
	sqlite3_stmt *st = a->st[k];
	/* The entry's strings outlive the step: no copy needed. */
	const char *txt[] = {e->time, e->user, e->role, e->org, e->agreement, e->purpose,
			     e->action, e->sources};
	sqlite3_bind_int64(st, 1, e->seq);
	for (int i = 0; i < 8; i++)
		sqlite3_bind_text(st, i + 2, txt[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, e->rows);
	const char *txt2[] = {e->query_hash, e->decision, e->reason, e->prev_hash, e->hash};
	for (int i = 0; i < 5; i++)
		sqlite3_bind_text(st, i + 11, txt2[i], -1, SQLITE_STATIC);
	if (pos)
		sqlite3_bind_int64(st, 16, pos);
	return run(a, k, err);
}

/* The text columns of an entry in AUDIT_COLS order, read through TEXT
 * (NULL read as ""); one table of columns for every reader of the log,
 * whether it reads audit.db or a pre-move log in braid.db. */
void braid__audit_entry_fill(struct braid_audit_entry *e, const char *(*text)(void *st, int col),
			     void *st)
{
	struct { char *dst; size_t n; int col; } t[] = {
		{e->time, sizeof e->time, 1}, {e->user, sizeof e->user, 2},
		{e->role, sizeof e->role, 3}, {e->org, sizeof e->org, 4},
		{e->agreement, sizeof e->agreement, 5}, {e->purpose, sizeof e->purpose, 6},
		{e->action, sizeof e->action, 7}, {e->sources, sizeof e->sources, 8},
		{e->query_hash, sizeof e->query_hash, 10}, {e->decision, sizeof e->decision, 11},
		{e->reason, sizeof e->reason, 12}, {e->prev_hash, sizeof e->prev_hash, 13},
		{e->hash, sizeof e->hash, 14},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *v = text(st, t[i].col);
		snprintf(t[i].dst, t[i].n, "%s", v ? v : "");
	}
}

static const char *sq_text(void *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

braid_rc braid__audit_db_scan(struct braid__audit_db *a, const char *user, const char *since,
			      int by_pos,
			      int (*cb)(void *ctx, const struct braid_audit_entry *e, int64_t pos),
			      void *ctx, struct braid_err *err)
{
	sqlite3_stmt *st;
	/* Verification reads in stored order (pos): sorting by seq would hide
	 * a reordering.  Listing reads in seq order. */
	const char *sql = by_pos ? "SELECT " COLS ", pos FROM policy_audit ORDER BY pos"
				 : "SELECT " COLS ", pos FROM policy_audit"
				   " WHERE (?1 IS NULL OR user_name = ?1)"
				   " AND (?2 IS NULL OR at >= ?2) ORDER BY seq";
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(a, err, "read");
	if (!by_pos) {
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, since, -1, SQLITE_STATIC);
	}
	int r;
	braid_rc rc = BRAID_OK;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct braid_audit_entry e;
		memset(&e, 0, sizeof e);
		e.seq = sqlite3_column_int64(st, 0);
		braid__audit_entry_fill(&e, sq_text, st);
		e.rows = sqlite3_column_int64(st, 9);
		if (cb(ctx, &e, sqlite3_column_int64(st, 15)))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = db_err(a, err, "read");
	sqlite3_finalize(st);
	return rc;
}

braid_rc braid__audit_db_count(struct braid__audit_db *a, int64_t *n, struct braid_err *err)
{
	sqlite3_stmt *st;
	*n = 0;
	if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM policy_audit", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(a, err, "read");
	braid_rc rc = BRAID_OK;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = db_err(a, err, "read");
	sqlite3_finalize(st);
	return rc;
}

braid_rc braid__audit_db_has(struct braid__audit_db *a, int64_t seq, const char *hash,
			     int *found, struct braid_err *err)
{
	sqlite3_stmt *st;
	*found = 0;
	if (sqlite3_prepare_v2(a->db, "SELECT 1 FROM policy_audit WHERE seq = ?1 AND hash = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(a, err, "read");
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	*found = r == SQLITE_ROW;
	braid_rc rc = r == SQLITE_ROW || r == SQLITE_DONE ? BRAID_OK : db_err(a, err, "read");
	sqlite3_finalize(st);
	return rc;
}
