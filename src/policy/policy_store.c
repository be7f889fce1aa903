/*
 * The policy layer on a store: users and agreements kept in braid.db
 * through the store's portable SQL API, in tables of their own created on
 * first use; the audit log in audit.db beside it (audit_db.c: WAL, its own
 * connection, so appending is cheap and independent of the reader's
 * transaction); and the enforcement point that checks a request against
 * the stored agreements and appends the decision to the log.
 *
 * Appends take audit.db's write lock (BEGIN IMMEDIATE), read the head,
 * insert the entry and move the head in one transaction, so concurrent
 * processes cannot fork the chain; seq is unique, so a fork that slipped
 * through would fail rather than corrupt.  Triggers refuse UPDATE and
 * DELETE on the log — a guard against accidents, not against someone with
 * the file: that is what the hash chain and `braid audit verify` are for.
 *
 * Migration: a workspace made before audit.db keeps its log in braid.db
 * (policy_audit, policy_audit_head).  braid_policy_open moves it, once:
 * the rows are copied verbatim (positions, seqs and hashes, so tampering
 * done before stays visible) into an empty audit.db with a durable commit,
 * then the old tables are dropped from braid.db.  Interrupted between the
 * two, the next open finds the old head already in audit.db and only drops.
 *
 * It does not decide anything itself (policy.c) nor hash anything
 * (audit_log.c, apikey.c).
 */
#include "policy_int.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS policy_users("
	" name TEXT PRIMARY KEY, role TEXT NOT NULL, org TEXT NOT NULL,"
	" key_hash TEXT NOT NULL, created TEXT NOT NULL, created_by TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS policy_agreements("
	" id TEXT PRIMARY KEY, yaml TEXT NOT NULL, status TEXT NOT NULL,"
	" revoked_on TEXT NOT NULL, added TEXT NOT NULL, added_by TEXT NOT NULL);";

#define AUDIT_COLS \
	"seq, at, user_name, role, org, agreement, purpose, action, sources, rows_returned," \
	" query_hash, decision, reason, prev_hash, hash"

struct braid_policy {
	struct braid_store *store;
	struct braid_agreement **ags;
	size_t nags;
	int batch; /* inside braid_policy_batch_begin/end */
	/* Inside a batch the write lock is held, so the head read at the
	 * first append stays true: it is kept here and written once at the
	 * end, instead of a SELECT and an UPDATE per entry. */
	int head_known, head_dirty;
	int64_t head_seq;
	char head_hash[BRAID_HASH_HEX];
	struct braid__audit_db *adb;
};

static braid_rc head_write(struct braid_policy *p, struct braid_err *err);

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static braid_rc step_done(struct braid_stmt *st, struct braid_err *err)
{
	int row;
	braid_rc rc;
	do
		rc = braid_stmt_step(st, &row, err);
	while (!rc && row);
	return rc;
}

/* Run sql with text parameters (NULL-terminated list) to completion. */
static braid_rc run(struct braid_store *s, const char *sql, struct braid_err *err, ...)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, err);
	const char *v;
	for (int i = 1; !rc && (v = va_arg(ap, const char *)); i++)
		rc = braid_stmt_bind_text(st, i, v, -1);
	va_end(ap);
	if (!rc)
		rc = step_done(st, err);
	braid_stmt_finalize(st);
	return rc;
}

static void free_agreements(struct braid_policy *p)
{
	for (size_t i = 0; i < p->nags; i++)
		braid_agreement_free(p->ags[i]);
	free(p->ags);
	p->ags = NULL;
	p->nags = 0;
}

static braid_rc load_agreements(struct braid_policy *p, struct braid_err *err)
{
	free_agreements(p);
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(
		p->store, "SELECT id, yaml, status, revoked_on FROM policy_agreements ORDER BY id",
		&st, err);
	if (rc)
		return rc;
	int row;
	while (!(rc = braid_stmt_step(st, &row, err)) && row) {
		char file[128];
		snprintf(file, sizeof file, "stored agreement '%.64s'", braid_stmt_text(st, 0));
		const char *y = braid_stmt_text(st, 1);
		struct braid_agreement *a;
		rc = braid_agreement_parse(y, strlen(y), file, &a, err);
		if (rc)
			break;
		const char *status = braid_stmt_text(st, 2);
		a->status = !strcmp(status, "revoked") ? BRAID_AG_REVOKED
			    : !strcmp(status, "active") ? BRAID_AG_ACTIVE : BRAID_AG_DRAFT;
		snprintf(a->revoked_on, sizeof a->revoked_on, "%s", braid_stmt_text(st, 3));
		struct braid_agreement **n = braid_reallocarray(p->ags, p->nags + 1, sizeof *n);
		if (!n) {
			braid_agreement_free(a);
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			break;
		}
		p->ags = n;
		p->ags[p->nags++] = a;
	}
	braid_stmt_finalize(st);
	return rc;
}

/* The path of audit.db: beside braid.db, found from the store's own
 * connection (PRAGMA database_list names each attached file). */
static braid_rc audit_path(struct braid_store *s, char *out, size_t n, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, "PRAGMA database_list", &st, err);
	if (rc)
		return rc;
	int row;
	out[0] = 0;
	while (!(rc = braid_stmt_step(st, &row, err)) && row)
		if (!strcmp(braid_stmt_text(st, 1), "main")) {
			const char *f = braid_stmt_text(st, 2);
			const char *slash = strrchr(f, '/');
			size_t dl = slash ? (size_t)(slash - f) : 0;
			if (!*f)
				rc = braid_err_set(err, BRAID_ESTORE,
						   "the store has no file to keep the audit log beside");
			else if (dl + sizeof "/audit.db" > n)
				rc = braid_err_set(err, BRAID_EINVAL, "workspace path too long");
			else if (slash)
				snprintf(out, n, "%.*s/audit.db", (int)dl, f);
			else
				snprintf(out, n, "audit.db");
			break;
		}
	braid_stmt_finalize(st);
	if (!rc && !out[0])
		rc = braid_err_set(err, BRAID_ESTORE, "the store has no main database");
	return rc;
}

/* Move the log of a workspace made before audit.db (see the top of the
 * file).  Nothing to do when braid.db has no policy_audit table. */
static const char *stmt_text(void *st, int col)
{
	return braid_stmt_text(st, col);
}

static braid_rc migrate(struct braid_policy *p, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(p->store,
					  "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
					  " AND name = 'policy_audit'", &st, err);
	if (rc)
		return rc;
	int row = 0;
	int64_t old = 0;
	if (!(rc = braid_stmt_step(st, &row, err)) && row)
		old = braid_stmt_int64(st, 0);
	braid_stmt_finalize(st);
	if (rc || !old)
		return rc;
	int64_t oseq = 0;
	char ohash[BRAID_HASH_HEX] = "";
	if ((rc = braid_store_prepare(p->store, "SELECT seq, hash FROM policy_audit_head"
					        " WHERE id = 1", &st, err)))
		return rc;
	if (!(rc = braid_stmt_step(st, &row, err)) && row) {
		oseq = braid_stmt_int64(st, 0);
		snprintf(ohash, sizeof ohash, "%s", braid_stmt_text(st, 1));
	}
	braid_stmt_finalize(st);
	/* The copy must be on disk before the original goes: this one
	 * commit fsyncs (the level cannot change inside a transaction). */
	if (rc || (rc = braid__audit_db_set_full_sync(p->adb, 1, err)))
		return rc;
	if ((rc = braid__audit_db_begin(p->adb, err)))
		goto out;
	int64_t nseq, count;
	char nhash[BRAID_HASH_HEX];
	int found = 0;
	rc = braid__audit_db_head(p->adb, &nseq, nhash, err);
	if (!rc)
		rc = braid__audit_db_count(p->adb, &count, err);
	if (!rc && (nseq || count)) {
		/* audit.db has entries: this log was moved already (and the
		 * drop below was interrupted) — or two logs disagree, which
		 * braid must not settle by itself. */
		if (oseq && (rc = braid__audit_db_has(p->adb, oseq, ohash, &found, err)))
			goto out;
		if (oseq && !found)
			rc = braid_err_set(err, BRAID_ESTORE,
					   "braid.db and %s both hold an audit log and they differ;"
					   " keep both files and ask an administrator",
					   braid__audit_db_path(p->adb));
		goto out;
	}
	if (!rc)
		rc = braid_store_prepare(p->store, "SELECT " AUDIT_COLS ", pos FROM policy_audit"
					 " ORDER BY pos", &st, err);
	if (rc)
		goto out;
	while (!(rc = braid_stmt_step(st, &row, err)) && row) {
		struct braid_audit_entry e;
		memset(&e, 0, sizeof e);
		e.seq = braid_stmt_int64(st, 0);
		braid__audit_entry_fill(&e, stmt_text, st);
		e.rows = braid_stmt_int64(st, 9);
		if ((rc = braid__audit_db_insert(p->adb, &e, braid_stmt_int64(st, 15), err)))
			break;
	}
	braid_stmt_finalize(st);
	if (!rc)
		rc = braid__audit_db_head_put(p->adb, oseq, ohash, err);
out:
	if (rc)
		braid__audit_db_rollback(p->adb);
	else
		rc = braid__audit_db_commit(p->adb, err);
	braid_rc rc2 = braid__audit_db_set_full_sync(p->adb, 0, rc ? NULL : err);
	if (!rc)
		rc = rc2;
	if (rc)
		return rc;
	if (braid_store_begin(p->store, NULL))
		return BRAID_OK; /* inside the caller's transaction: drop next time */
	rc = braid_store_exec(p->store,
			      "DROP TRIGGER IF EXISTS policy_audit_no_update;"
			      "DROP TRIGGER IF EXISTS policy_audit_no_delete;"
			      "DROP TABLE IF EXISTS policy_audit;"
			      "DROP TABLE IF EXISTS policy_audit_head;", err);
	if (!rc)
		rc = braid_store_commit(p->store, err);
	if (rc)
		braid_store_rollback(p->store);
	return rc;
}

braid_rc braid_policy_open(struct braid_store *s, struct braid_policy **out,
			   struct braid_err *err)
{
	*out = NULL;
	struct braid_policy *p = calloc(1, sizeof *p);
	if (!p)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	p->store = s;
	char path[4096];
	braid_rc rc = braid_store_exec(s, schema, err);
	if (!rc)
		rc = audit_path(s, path, sizeof path, err);
	if (!rc)
		rc = braid__audit_db_open(path, &p->adb, err);
	if (!rc)
		rc = migrate(p, err);
	if (!rc)
		rc = load_agreements(p, err);
	if (rc) {
		braid_policy_close(p);
		return rc;
	}
	*out = p;
	return BRAID_OK;
}

void braid_policy_close(struct braid_policy *p)
{
	if (!p)
		return;
	braid__audit_db_close(p->adb); /* rolls an open batch back */
	free_agreements(p);
	free(p);
}

const char *braid_policy_audit_path(const struct braid_policy *p)
{
	return braid__audit_db_path(p->adb);
}

/* ---------------------------------------------------------------- users */

static int is_admin(const struct braid_user *u)
{
	return u && u->role == BRAID_ROLE_ADMIN;
}

braid_rc braid_policy_user_count(struct braid_policy *p, int64_t *n, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(p->store, "SELECT count(*) FROM policy_users", &st, err);
	int row = 0;
	if (!rc)
		rc = braid_stmt_step(st, &row, err);
	*n = !rc && row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_policy_user_get(struct braid_policy *p, const char *name, struct braid_user *u,
			       struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(p->store,
					  "SELECT role, org FROM policy_users WHERE name = ?1", &st, err);
	if (rc)
		return rc;
	int row = 0;
	rc = braid_stmt_bind_text(st, 1, name, -1);
	if (!rc)
		rc = braid_stmt_step(st, &row, err);
	if (!rc && !row)
		rc = braid_err_set(err, BRAID_ENOTFOUND, "no such user");
	if (!rc) {
		memset(u, 0, sizeof *u);
		snprintf(u->name, sizeof u->name, "%s", name);
		int r = braid_role_by_name(braid_stmt_text(st, 0));
		u->role = r < 0 ? BRAID_ROLE_PUBLIC : (enum braid_role)r;
		snprintf(u->org, sizeof u->org, "%s", braid_stmt_text(st, 1));
	}
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_policy_user_add(struct braid_policy *p, const struct braid_user *by,
			       const struct braid_user *u, char key[BRAID_KEY_LEN + 1],
			       struct braid_err *err)
{
	braid_rc rc = braid_user_name_check(u->name, err);
	if (rc)
		return rc;
	if (u->org[0] && (rc = braid_user_org_check(u->org, err)))
		return rc;
	if ((unsigned)u->role >= BRAID_ROLE__COUNT)
		return braid_err_set(err, BRAID_EINVAL, "unknown role");
	if (by && !is_admin(by)) {
		braid_policy_audit_admin(p, by, "user-add", "", 0, "only an admin may add users", NULL);
		return braid_err_set(err, BRAID_EDENIED, "only an admin may add users");
	}
	struct braid_user old;
	if (!braid_policy_user_get(p, u->name, &old, NULL))
		return braid_err_set(err, BRAID_EEXIST, "user '%s' already exists", u->name);
	char hash[BRAID_KEY_HASH_LEN];
	if ((rc = braid_key_new(key, hash, err)))
		return rc;
	char created[32];
	now_iso(created);
	rc = run(p->store,
		 "INSERT INTO policy_users(name, role, org, key_hash, created, created_by)"
		 " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
		 err, u->name, braid_role_name(u->role), u->org, hash, created,
		 by ? by->name : "(workspace creator)", (const char *)NULL);
	if (rc)
		return rc;
	struct braid_user self = *u;
	char why[128];
	snprintf(why, sizeof why, "added user '%s' with role %s", u->name, braid_role_name(u->role));
	return braid_policy_audit_admin(p, by ? by : &self, "user-add", "", 1, why, err);
}

braid_rc braid_policy_bootstrap(struct braid_store *s, const char *admin_name,
				char key[BRAID_KEY_LEN + 1], struct braid_err *err)
{
	struct braid_policy *p;
	braid_rc rc = braid_policy_open(s, &p, err);
	if (rc)
		return rc;
	int64_t n = 0;
	rc = braid_policy_user_count(p, &n, err);
	if (!rc && n > 0)
		rc = braid_err_set(err, BRAID_EEXIST, "the workspace already has users");
	if (!rc) {
		struct braid_user u;
		memset(&u, 0, sizeof u);
		snprintf(u.name, sizeof u.name, "%s", admin_name ? admin_name : "");
		if (strlen(admin_name ? admin_name : "") > BRAID_NAME_MAX)
			u.name[0] = 0; /* refused by the name check below */
		u.role = BRAID_ROLE_ADMIN;
		rc = braid_policy_user_add(p, NULL, &u, key, err);
	}
	braid_policy_close(p);
	return rc;
}

braid_rc braid_policy_authenticate(struct braid_policy *p, const char *name, const char *key,
				   struct braid_user *u, struct braid_err *err)
{
	const char *hash = NULL;
	struct braid_stmt *st = NULL;
	char h[BRAID_KEY_HASH_LEN] = "";
	if (name && braid_user_name_check(name, NULL) == BRAID_OK) {
		braid_rc rc = braid_store_prepare(p->store,
						  "SELECT key_hash FROM policy_users WHERE name = ?1",
						  &st, err);
		if (rc)
			return rc;
		int row = 0;
		if (!braid_stmt_bind_text(st, 1, name, -1) && !braid_stmt_step(st, &row, NULL) && row) {
			snprintf(h, sizeof h, "%s", braid_stmt_text(st, 0));
			hash = h;
		}
		braid_stmt_finalize(st);
	}
	braid_rc rc = braid_key_verify(key, hash, err);
	if (rc == BRAID_EDENIED) {
		/* Record the attempt under the claimed name only when it is a
		 * well-formed user name (never echo arbitrary input). */
		struct braid_user who;
		memset(&who, 0, sizeof who);
		snprintf(who.name, sizeof who.name, "%s",
			 name && !braid_user_name_check(name, NULL) ? name : "?");
		who.role = BRAID_ROLE_PUBLIC;
		braid_policy_audit_admin(p, &who, "login", "", 0, "unknown user or wrong key", NULL);
		return braid_err_set(err, BRAID_EDENIED, "unknown user or wrong key");
	}
	if (rc)
		return rc;
	return braid_policy_user_get(p, name, u, err);
}

braid_rc braid_policy_user_list(struct braid_policy *p,
				int (*cb)(void *ctx, const struct braid_user *u, const char *created),
				void *ctx, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(
		p->store, "SELECT name, role, org, created FROM policy_users ORDER BY name", &st, err);
	if (rc)
		return rc;
	int row;
	while (!(rc = braid_stmt_step(st, &row, err)) && row) {
		struct braid_user u;
		memset(&u, 0, sizeof u);
		snprintf(u.name, sizeof u.name, "%s", braid_stmt_text(st, 0));
		int r = braid_role_by_name(braid_stmt_text(st, 1));
		u.role = r < 0 ? BRAID_ROLE_PUBLIC : (enum braid_role)r;
		snprintf(u.org, sizeof u.org, "%s", braid_stmt_text(st, 2));
		if (cb(ctx, &u, braid_stmt_text(st, 3)))
			break;
	}
	braid_stmt_finalize(st);
	return rc;
}

/* ---------------------------------------------------------------- agreements */

braid_rc braid_policy_agreement_add(struct braid_policy *p, const struct braid_user *by,
				    const char *yaml, size_t len, const char *file,
				    struct braid_err *err)
{
	if (!is_admin(by)) {
		braid_policy_audit_admin(p, by, "agreement-add", "", 0,
					 "only an admin may add agreements", NULL);
		return braid_err_set(err, BRAID_EDENIED, "only an admin may add agreements");
	}
	struct braid_agreement *a;
	braid_rc rc = braid_agreement_parse(yaml, len, file, &a, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < p->nags; i++)
		if (!strcmp(p->ags[i]->id, a->id)) {
			rc = braid_err_set(err, BRAID_EEXIST, "agreement '%s' already exists; "
					   "give a new version a new id", a->id);
			braid_agreement_free(a);
			return rc;
		}
	char added[32];
	now_iso(added);
	/* Stored verbatim: the file the parties signed off is the record. */
	char *text = malloc(len + 1);
	if (!text) {
		braid_agreement_free(a);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	memcpy(text, yaml, len);
	text[len] = 0;
	rc = run(p->store,
		 "INSERT INTO policy_agreements(id, yaml, status, revoked_on, added, added_by)"
		 " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
		 err, a->id, text, braid_agreement_status_name(a->status), a->revoked_on, added,
		 by->name, (const char *)NULL);
	free(text);
	char id[BRAID_NAME_MAX + 1];
	snprintf(id, sizeof id, "%s", a->id);
	braid_agreement_free(a);
	if (!rc)
		rc = braid_policy_audit_admin(p, by, "agreement-add", id, 1, "", err);
	if (!rc)
		rc = load_agreements(p, err);
	return rc;
}

braid_rc braid_policy_agreement_revoke(struct braid_policy *p, const struct braid_user *by,
				       const char *id, const char *date, struct braid_err *err)
{
	char today[11];
	if (!date) {
		braid_today(today);
		date = today;
	}
	if (!braid_iso_date_valid(date))
		return braid_err_set(err, BRAID_EINVAL, "revocation date must be YYYY-MM-DD");
	const struct braid_agreement *a = NULL;
	for (size_t i = 0; i < p->nags; i++)
		if (!strcmp(p->ags[i]->id, id))
			a = p->ags[i];
	if (!a)
		return braid_err_set(err, BRAID_ENOTFOUND, "no agreement with that id");
	if (!is_admin(by)) {
		braid_policy_audit_admin(p, by, "agreement-revoke", a->id, 0,
					 "only an admin may revoke agreements", NULL);
		return braid_err_set(err, BRAID_EDENIED, "only an admin may revoke agreements");
	}
	if (a->status == BRAID_AG_REVOKED)
		return braid_err_set(err, BRAID_EEXIST, "agreement '%s' was already revoked on %s",
				     a->id, a->revoked_on);
	char aid[BRAID_NAME_MAX + 1];
	snprintf(aid, sizeof aid, "%s", a->id);
	braid_rc rc = run(p->store,
			  "UPDATE policy_agreements SET status = 'revoked', revoked_on = ?2"
			  " WHERE id = ?1", err, aid, date, (const char *)NULL);
	if (!rc)
		rc = braid_policy_audit_admin(p, by, "agreement-revoke", aid, 1, "", err);
	if (!rc)
		rc = load_agreements(p, err);
	return rc;
}

size_t braid_policy_agreements(struct braid_policy *p, struct braid_agreement *const **out)
{
	*out = p->ags;
	return p->nags;
}

/* ---------------------------------------------------------------- audit */

braid_rc braid_policy_batch_begin(struct braid_policy *p, struct braid_err *err)
{
	if (p->batch)
		return braid_err_set(err, BRAID_EINVAL, "an audit batch is already open");
	braid_rc rc = braid__audit_db_begin(p->adb, err);
	if (!rc) {
		p->batch = 1;
		p->head_known = 0;
	}
	return rc;
}

braid_rc braid_policy_batch_end(struct braid_policy *p, struct braid_err *err)
{
	if (!p->batch)
		return braid_err_set(err, BRAID_EINVAL, "no audit batch is open");
	p->batch = 0;
	braid_rc rc = p->head_dirty ? head_write(p, err) : BRAID_OK;
	if (!rc)
		rc = braid__audit_db_commit(p->adb, err);
	else
		braid__audit_db_rollback(p->adb);
	p->head_known = p->head_dirty = 0;
	return rc;
}

static braid_rc head_read(struct braid_policy *p, struct braid_err *err)
{
	braid_rc rc = braid__audit_db_head(p->adb, &p->head_seq, p->head_hash, err);
	p->head_known = !rc;
	return rc;
}

static braid_rc head_write(struct braid_policy *p, struct braid_err *err)
{
	braid_rc rc = braid__audit_db_head_put(p->adb, p->head_seq, p->head_hash, err);
	if (!rc)
		p->head_dirty = 0;
	return rc;
}

/* Insert e after the head (the write lock is held); the head moves in
 * memory only. */
static braid_rc append_locked(struct braid_policy *p, struct braid_audit_entry *e,
			      struct braid_err *err)
{
	braid_rc rc;
	if (!p->head_known && (rc = head_read(p, err)))
		return rc;
	braid_audit_seal(e, p->head_seq, p->head_hash);
	if ((rc = braid__audit_db_insert(p->adb, e, 0, err)))
		return rc;
	p->head_seq = e->seq;
	memcpy(p->head_hash, e->hash, sizeof p->head_hash);
	p->head_dirty = 1;
	return BRAID_OK;
}

braid_rc braid_policy_audit_append(struct braid_policy *p, struct braid_audit_entry *e,
				   struct braid_err *err)
{
	if (p->batch)
		return append_locked(p, e, err);
	braid_rc rc = braid__audit_db_begin(p->adb, err);
	if (rc)
		return rc;
	p->head_known = 0; /* another process may have appended since */
	rc = append_locked(p, e, err);
	if (!rc)
		rc = head_write(p, err);
	if (!rc)
		rc = braid__audit_db_commit(p->adb, err);
	else
		braid__audit_db_rollback(p->adb);
	p->head_known = p->head_dirty = 0;
	return rc;
}

braid_rc braid_policy_audit_admin(struct braid_policy *p, const struct braid_user *u,
				  const char *action, const char *agreement, int allowed,
				  const char *reason, struct braid_err *err)
{
	struct braid_user nobody;
	if (!u) {
		memset(&nobody, 0, sizeof nobody);
		snprintf(nobody.name, sizeof nobody.name, "?");
		nobody.role = BRAID_ROLE_PUBLIC;
		u = &nobody;
	}
	struct braid_request req = {.action = BRAID_ACT__COUNT, .purpose = "governance"};
	struct braid_decision d = {.allowed = allowed};
	snprintf(d.agreement, sizeof d.agreement, "%s", agreement ? agreement : "");
	snprintf(d.reason, sizeof d.reason, "%s", reason ? reason : "");
	struct braid_audit_entry e;
	braid_audit_fill(&e, u, &req, &d, allowed ? 0 : -1);
	snprintf(e.action, sizeof e.action, "%s", action);
	return braid_policy_audit_append(p, &e, err);
}

braid_rc braid_policy_authorize(struct braid_policy *p, const struct braid_user *u,
				const struct braid_request *req, struct braid_decision *d,
				struct braid_err *err)
{
	braid_rc rc = braid_policy_check(u, p->ags, p->nags, req, d, err);
	if (rc != BRAID_EDENIED)
		return rc;
	struct braid_audit_entry e;
	braid_audit_fill(&e, u, req, d, -1);
	struct braid_err aerr;
	if (braid_policy_audit_append(p, &e, &aerr)) {
		/* A denial that cannot be logged is still a denial; report
		 * the log's failure since the operator must know. */
		if (err)
			*err = aerr;
		return aerr.code ? aerr.code : BRAID_ESTORE;
	}
	return BRAID_EDENIED;
}

braid_rc braid_policy_commit(struct braid_policy *p, const struct braid_user *u,
			     const struct braid_request *req, const struct braid_decision *d,
			     int64_t rows, struct braid_err *err)
{
	if (!d->allowed)
		return braid_err_set(err, BRAID_EDENIED, "%s", d->reason);
	struct braid_audit_entry e;
	braid_audit_fill(&e, u, req, d, rows);
	return braid_policy_audit_append(p, &e, err);
}

struct iter_ctx {
	int (*cb)(void *ctx, const struct braid_audit_entry *e);
	void *ctx;
};

static int iter_one(void *ctx, const struct braid_audit_entry *e, int64_t pos)
{
	(void)pos;
	struct iter_ctx *c = ctx;
	return c->cb(c->ctx, e);
}

braid_rc braid_policy_audit_iter(struct braid_policy *p, const char *user, const char *since,
				 int (*cb)(void *ctx, const struct braid_audit_entry *e),
				 void *ctx, struct braid_err *err)
{
	struct iter_ctx c = {cb, ctx};
	return braid__audit_db_scan(p->adb, user, since, 0, iter_one, &c, err);
}

struct verify_ctx {
	struct braid_audit_verifier v;
	braid_rc rc;
	struct braid_err *err;
};

static int verify_one(void *ctx, const struct braid_audit_entry *e, int64_t pos)
{
	(void)pos;
	struct verify_ctx *c = ctx;
	c->rc = braid_audit_verify_next(&c->v, e, c->err);
	return c->rc != BRAID_OK;
}

braid_rc braid_policy_audit_verify(struct braid_policy *p, int64_t *n,
				   char head[BRAID_HASH_HEX], struct braid_err *err)
{
	struct verify_ctx c = {.rc = BRAID_OK, .err = err};
	braid_audit_verifier_init(&c.v);
	/* One read transaction: the entries and the head are read as of
	 * the same moment, however many appends run meanwhile. */
	braid_rc rc = braid__audit_db_begin_read(p->adb, err);
	if (rc)
		return rc;
	rc = braid__audit_db_scan(p->adb, NULL, NULL, 1, verify_one, &c, err);
	if (!rc)
		rc = c.rc;
	int64_t hseq = 0;
	char hhash[BRAID_HASH_HEX] = "";
	if (!rc)
		rc = braid__audit_db_head(p->adb, &hseq, hhash, err);
	braid__audit_db_rollback(p->adb);
	if (!rc)
		rc = braid_audit_verify_end(&c.v, hseq, hhash, err);
	if (rc)
		return rc;
	*n = c.v.n;
	snprintf(head, BRAID_HASH_HEX, "%s", c.v.hash);
	return BRAID_OK;
}
