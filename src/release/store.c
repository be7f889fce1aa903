/*
 * store.c — persistence of releases in the analytic store (braid.db): the
 * list of releases, the workspace's release ledger (one JSON document,
 * braid_ledger_to_json, replaced after each release) and the epsilon budget
 * of each agreement.  Only the portable SQL API of braid/store.h is used,
 * so a PostgreSQL backend gets the same tables.
 *
 * It does not decide anything: protection, noise and the budget check are
 * the pure functions of braid/release.h; `braid release` calls them and
 * hands the results here.  It does not open transactions either: the
 * caller groups the ledger, the budget and the release row in one.
 */
#include "braid/release_store.h"
#include "braid/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS release_list ("
	" id INTEGER PRIMARY KEY,"
	" created TEXT NOT NULL,"
	" user_name TEXT NOT NULL,"
	" agreement TEXT NOT NULL,"
	" purpose TEXT NOT NULL,"
	" query TEXT NOT NULL,"
	" tables TEXT NOT NULL,"
	" out_dir TEXT NOT NULL,"
	" cells INTEGER NOT NULL,"
	" suppressed INTEGER NOT NULL,"
	" perturbed INTEGER NOT NULL,"
	" epsilon REAL NOT NULL,"
	" mechanism TEXT NOT NULL,"
	" content_hash TEXT NOT NULL);"
	/* One row: the ledger of every release of the workspace.  It says
	 * which cells were primary, so it is internal: never published. */
	"CREATE TABLE IF NOT EXISTS release_ledger ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" ledger TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS release_budget ("
	" agreement TEXT PRIMARY KEY,"
	" total REAL NOT NULL,"
	" spent REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS release_terms ("
	" agreement TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" value INTEGER NOT NULL,"
	" PRIMARY KEY (agreement, key));";

braid_rc braid_release_store_init(struct braid_store *s, struct braid_err *err)
{
	return braid_store_exec(s, schema, err);
}

/* ---------------------------------------------------------------- ledger */

braid_rc braid_release_ledger_load(struct braid_store *s, struct braid_ledger **out,
				   struct braid_err *err)
{
	*out = NULL;
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s, "SELECT ledger FROM release_ledger WHERE id = 1", &st, err)))
		return rc;
	int row = 0;
	if (!(rc = braid_stmt_step(st, &row, err))) {
		if (row) {
			rc = braid_ledger_from_json(braid_stmt_text(st, 0), out, err);
		} else {
			*out = braid_ledger_new();
			if (!*out)
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
	}
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_release_ledger_save(struct braid_store *s, const struct braid_ledger *l,
				   struct braid_err *err)
{
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	char *json = braid_ledger_to_json(l);
	if (!json)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	struct braid_stmt *st;
	if (!(rc = braid_store_prepare(s,
				       "INSERT INTO release_ledger (id, ledger) VALUES (1, ?1) "
				       "ON CONFLICT (id) DO UPDATE SET ledger = excluded.ledger",
				       &st, err))) {
		int row;
		if (!(rc = braid_stmt_bind_text(st, 1, json, -1)))
			rc = braid_stmt_step(st, &row, err);
		else
			braid_err_set(err, rc, "release_ledger: cannot bind the ledger");
		braid_stmt_finalize(st);
	}
	free(json);
	return rc;
}

/* ---------------------------------------------------------------- budget */

braid_rc braid_release_budget_load(struct braid_store *s, const char *agreement,
				   struct braid_budget *b, struct braid_err *err)
{
	braid_budget_init(b, agreement, BRAID_RELEASE_BUDGET_DEFAULT);
	if (strlen(agreement) >= sizeof b->agreement)
		return braid_err_set(err, BRAID_EINVAL, "release_budget: agreement id too long");
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s, "SELECT total, spent FROM release_budget WHERE agreement = ?1",
				      &st, err)))
		return rc;
	int row = 0;
	if ((rc = braid_stmt_bind_text(st, 1, agreement, -1)))
		braid_err_set(err, rc, "release_budget: cannot bind the agreement");
	else if (!(rc = braid_stmt_step(st, &row, err)) && row) {
		b->total = braid_stmt_double(st, 0);
		b->spent = braid_stmt_double(st, 1);
	}
	braid_stmt_finalize(st);
	return rc;
}

/* Insert or update one agreement's row; update is our own SET clause: the
 * columns an existing row takes from the arguments. */
static braid_rc budget_upsert(struct braid_store *s, const char *agreement, double total,
			      double spent, const char *update, struct braid_err *err)
{
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	char sql[256];
	snprintf(sql, sizeof sql,
		 "INSERT INTO release_budget (agreement, total, spent) VALUES (?1, ?2, ?3) "
		 "ON CONFLICT (agreement) DO UPDATE SET %s",
		 update);
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s, sql, &st, err)))
		return rc;
	int row;
	if ((rc = braid_stmt_bind_text(st, 1, agreement, -1)) ||
	    (rc = braid_stmt_bind_double(st, 2, total)) || (rc = braid_stmt_bind_double(st, 3, spent)))
		braid_err_set(err, rc, "release_budget: cannot bind");
	else
		rc = braid_stmt_step(st, &row, err);
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_release_budget_set(struct braid_store *s, const char *agreement, double total,
				  struct braid_err *err)
{
	if (!isfinite(total) || total < 0)
		return braid_err_set(err, BRAID_EINVAL,
				     "release budget: epsilon must be a finite number >= 0");
	return budget_upsert(s, agreement, total, 0, "total = excluded.total", err);
}

braid_rc braid_release_budget_save(struct braid_store *s, const struct braid_budget *b,
				   struct braid_err *err)
{
	return budget_upsert(s, b->agreement, b->total, b->spent,
			     "total = excluded.total, spent = excluded.spent", err);
}

/* ---------------------------------------------------------------- list */

braid_rc braid_release_record_add(struct braid_store *s, struct braid_release_rec *r,
				  struct braid_err *err)
{
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(
		     s,
		     "INSERT INTO release_list (created, user_name, agreement, purpose, query, tables,"
		     " out_dir, cells, suppressed, perturbed, epsilon, mechanism, content_hash)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
		     &st, err)))
		return rc;
	const char *txt[] = {r->created, r->user, r->agreement, r->purpose,
			     r->query, r->tables, r->out_dir};
	for (int i = 0; !rc && i < 7; i++)
		rc = braid_stmt_bind_text(st, i + 1, txt[i] ? txt[i] : "", -1);
	if (!rc)
		rc = braid_stmt_bind_int64(st, 8, r->cells);
	if (!rc)
		rc = braid_stmt_bind_int64(st, 9, r->suppressed);
	if (!rc)
		rc = braid_stmt_bind_int64(st, 10, r->perturbed);
	if (!rc)
		rc = braid_stmt_bind_double(st, 11, r->epsilon);
	if (!rc)
		rc = braid_stmt_bind_text(st, 12, r->mechanism ? r->mechanism : "", -1);
	if (!rc)
		rc = braid_stmt_bind_text(st, 13, r->hash ? r->hash : "", -1);
	int row;
	if (rc)
		braid_err_set(err, rc, "release_list: cannot bind");
	else
		rc = braid_stmt_step(st, &row, err);
	braid_stmt_finalize(st);
	if (rc)
		return rc;
	if ((rc = braid_store_prepare(s, "SELECT max(id) FROM release_list", &st, err)))
		return rc;
	if (!(rc = braid_stmt_step(st, &row, err)))
		r->id = row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_release_record_list(struct braid_store *s,
				   int (*cb)(void *ctx, const struct braid_release_rec *r),
				   void *ctx, struct braid_err *err)
{
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s,
				      "SELECT id, created, user_name, agreement, purpose, query, tables,"
				      " out_dir, cells, suppressed, perturbed, epsilon, mechanism,"
				      " content_hash FROM release_list ORDER BY id",
				      &st, err)))
		return rc;
	for (;;) {
		int row = 0;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		struct braid_release_rec r = {
			.id = braid_stmt_int64(st, 0),
			.created = braid_stmt_text(st, 1),
			.user = braid_stmt_text(st, 2),
			.agreement = braid_stmt_text(st, 3),
			.purpose = braid_stmt_text(st, 4),
			.query = braid_stmt_text(st, 5),
			.tables = braid_stmt_text(st, 6),
			.out_dir = braid_stmt_text(st, 7),
			.cells = braid_stmt_int64(st, 8),
			.suppressed = braid_stmt_int64(st, 9),
			.perturbed = braid_stmt_int64(st, 10),
			.epsilon = braid_stmt_double(st, 11),
			.mechanism = braid_stmt_text(st, 12),
			.hash = braid_stmt_text(st, 13),
		};
		if (cb(ctx, &r))
			break;
	}
	braid_stmt_finalize(st);
	return rc;
}

/* ---------------------------------------------------------------- terms */

static const char *const term_keys[] = {"code_5_95", "min_denominator", "k", "l"};

braid_rc braid_release_terms_load(struct braid_store *s, const char *agreement,
				  struct braid_release_terms *t, struct braid_err *err)
{
	memset(t, 0, sizeof *t);
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s, "SELECT key, value FROM release_terms WHERE agreement = ?1",
				      &st, err)))
		return rc;
	if ((rc = braid_stmt_bind_text(st, 1, agreement, -1))) {
		braid_stmt_finalize(st);
		return braid_err_set(err, rc, "release_terms: cannot bind the agreement");
	}
	for (;;) {
		int row = 0;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		const char *k = braid_stmt_text(st, 0);
		long v = (long)braid_stmt_int64(st, 1);
		if (!strcmp(k, "code_5_95"))
			t->code_5_95 = v != 0;
		else if (!strcmp(k, "min_denominator"))
			t->min_denominator = v;
		else if (!strcmp(k, "k"))
			t->k = v;
		else if (!strcmp(k, "l"))
			t->l = v;
	}
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_release_terms_set(struct braid_store *s, const char *agreement, const char *key,
				 long value, struct braid_err *err)
{
	int known = 0;
	for (size_t i = 0; i < sizeof term_keys / sizeof *term_keys; i++)
		known |= !strcmp(key, term_keys[i]);
	if (!known)
		return braid_err_set(err, BRAID_EINVAL,
				     "release_terms: unknown term (expected code_5_95, min_denominator, k or l)");
	if (value < 0 || value > 1000000 || (!strcmp(key, "code_5_95") && value > 1))
		return braid_err_set(err, BRAID_EINVAL, "release_terms: %s out of range", key);
	braid_rc rc = braid_release_store_init(s, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s,
				      "INSERT INTO release_terms (agreement, key, value) VALUES (?1, ?2, ?3) "
				      "ON CONFLICT (agreement, key) DO UPDATE SET value = excluded.value",
				      &st, err)))
		return rc;
	int row;
	if ((rc = braid_stmt_bind_text(st, 1, agreement, -1)) ||
	    (rc = braid_stmt_bind_text(st, 2, key, -1)) ||
	    (rc = braid_stmt_bind_int64(st, 3, value)))
		braid_err_set(err, rc, "release_terms: cannot bind");
	else
		rc = braid_stmt_step(st, &row, err);
	braid_stmt_finalize(st);
	return rc;
}
