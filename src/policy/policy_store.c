/*
 * The policy layer on a store: users, agreements and the audit log kept in
 * braid.db through the store's portable SQL API, in tables of its own
 * created on first use; and the enforcement point that checks a request
 * against the stored agreements and appends the decision to the log.
 *
 * Appends take the store's write lock (BEGIN IMMEDIATE), read the head,
 * insert the entry and move the head in one transaction, so concurrent
 * processes cannot fork the chain; seq is the primary key, so a fork that
 * slipped through would fail rather than corrupt.  Triggers refuse UPDATE
 * and DELETE on the log (SQLite syntax; a PostgreSQL backend would use a
 * rule) — a guard against accidents, not against someone with the file:
 * that is what the hash chain and `braid audit verify` are for.
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
	" revoked_on TEXT NOT NULL, added TEXT NOT NULL, added_by TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS policy_audit("
	" pos INTEGER PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, at TEXT NOT NULL, user_name TEXT NOT NULL,"
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
	struct braid_stmt *ins, *head_get, *head_put;
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

braid_rc braid_policy_open(struct braid_store *s, struct braid_policy **out,
			   struct braid_err *err)
{
	*out = NULL;
	struct braid_policy *p = calloc(1, sizeof *p);
	if (!p)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	p->store = s;
	braid_rc rc = braid_store_exec(s, schema, err);
	if (!rc)
		rc = braid_store_prepare(s, "INSERT INTO policy_audit(" AUDIT_COLS ") VALUES"
					    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
					 &p->ins, err);
	if (!rc)
		rc = braid_store_prepare(s, "SELECT seq, hash FROM policy_audit_head WHERE id = 1",
					 &p->head_get, err);
	if (!rc)
		rc = braid_store_prepare(s, "UPDATE policy_audit_head SET seq = ?1, hash = ?2"
					    " WHERE id = 1", &p->head_put, err);
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
	if (p->batch)
		braid_store_rollback(p->store);
	braid_stmt_finalize(p->ins);
	braid_stmt_finalize(p->head_get);
	braid_stmt_finalize(p->head_put);
	free_agreements(p);
	free(p);
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
	braid_rc rc = braid_store_begin(p->store, err);
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
		rc = braid_store_commit(p->store, err);
	if (rc)
		braid_store_rollback(p->store);
	p->head_known = p->head_dirty = 0;
	return rc;
}

static braid_rc head_read(struct braid_policy *p, struct braid_err *err)
{
	int row = 0;
	braid_stmt_reset(p->head_get);
	braid_rc rc = braid_stmt_step(p->head_get, &row, err);
	p->head_seq = 0;
	p->head_hash[0] = 0;
	if (!rc && row) {
		p->head_seq = braid_stmt_int64(p->head_get, 0);
		snprintf(p->head_hash, sizeof p->head_hash, "%s", braid_stmt_text(p->head_get, 1));
	}
	braid_stmt_reset(p->head_get);
	p->head_known = !rc;
	return rc;
}

static braid_rc head_write(struct braid_policy *p, struct braid_err *err)
{
	braid_stmt_reset(p->head_put);
	braid_rc rc = braid_stmt_bind_int64(p->head_put, 1, p->head_seq);
	if (!rc)
		rc = braid_stmt_bind_text(p->head_put, 2, p->head_hash, -1);
	if (!rc)
		rc = step_done(p->head_put, err);
	braid_stmt_reset(p->head_put);
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
	struct braid_stmt *st = p->ins;
	braid_stmt_reset(st);
	const char *txt[] = {e->time, e->user, e->role, e->org, e->agreement, e->purpose,
			     e->action, e->sources};
	rc = braid_stmt_bind_int64(st, 1, e->seq);
	for (int i = 0; !rc && i < 8; i++)
		rc = braid_stmt_bind_text(st, i + 2, txt[i], -1);
	if (!rc)
		rc = braid_stmt_bind_int64(st, 10, e->rows);
	const char *txt2[] = {e->query_hash, e->decision, e->reason, e->prev_hash, e->hash};
	for (int i = 0; !rc && i < 5; i++)
		rc = braid_stmt_bind_text(st, i + 11, txt2[i], -1);
	if (!rc)
		rc = step_done(st, err);
	braid_stmt_reset(st);
	if (rc)
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
	braid_rc rc = braid_store_begin(p->store, err);
	if (rc)
		return rc;
	p->head_known = 0; /* another process may have appended since */
	rc = append_locked(p, e, err);
	if (!rc)
		rc = head_write(p, err);
	if (!rc)
		rc = braid_store_commit(p->store, err);
	if (rc)
		braid_store_rollback(p->store);
	p->head_known = 0;
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

static void read_entry(struct braid_stmt *st, struct braid_audit_entry *e)
{
	memset(e, 0, sizeof *e);
	e->seq = braid_stmt_int64(st, 0);
	struct { char *dst; size_t n; int col; } t[] = {
		{e->time, sizeof e->time, 1}, {e->user, sizeof e->user, 2},
		{e->role, sizeof e->role, 3}, {e->org, sizeof e->org, 4},
		{e->agreement, sizeof e->agreement, 5}, {e->purpose, sizeof e->purpose, 6},
		{e->action, sizeof e->action, 7}, {e->sources, sizeof e->sources, 8},
		{e->query_hash, sizeof e->query_hash, 10}, {e->decision, sizeof e->decision, 11},
		{e->reason, sizeof e->reason, 12}, {e->prev_hash, sizeof e->prev_hash, 13},
		{e->hash, sizeof e->hash, 14},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		snprintf(t[i].dst, t[i].n, "%s", braid_stmt_text(st, t[i].col));
	e->rows = braid_stmt_int64(st, 9);
}

braid_rc braid_policy_audit_iter(struct braid_policy *p, const char *user, const char *since,
				 int (*cb)(void *ctx, const struct braid_audit_entry *e),
				 void *ctx, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(
		p->store,
		"SELECT " AUDIT_COLS " FROM policy_audit WHERE (?1 IS NULL OR user_name = ?1)"
		" AND (?2 IS NULL OR at >= ?2) ORDER BY seq",
		&st, err);
	if (rc)
		return rc;
	rc = braid_stmt_bind_text(st, 1, user, -1);
	if (!rc)
		rc = braid_stmt_bind_text(st, 2, since, -1);
	int row;
	while (!rc && !(rc = braid_stmt_step(st, &row, err)) && row) {
		struct braid_audit_entry e;
		read_entry(st, &e);
		if (cb(ctx, &e))
			break;
	}
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_policy_audit_verify(struct braid_policy *p, int64_t *n,
				   char head[BRAID_HASH_HEX], struct braid_err *err)
{
	struct braid_audit_verifier v;
	braid_audit_verifier_init(&v);
	struct braid_stmt *st;
	/* Stored order is insertion order (pos); verification must not sort
	 * by seq, or a reordering would be hidden. */
	braid_rc rc = braid_store_prepare(p->store,
					  "SELECT " AUDIT_COLS " FROM policy_audit ORDER BY pos",
					  &st, err);
	if (rc)
		return rc;
	int row;
	while (!(rc = braid_stmt_step(st, &row, err)) && row) {
		struct braid_audit_entry e;
		read_entry(st, &e);
		if ((rc = braid_audit_verify_next(&v, &e, err)))
			break;
	}
	braid_stmt_finalize(st);
	if (rc)
		return rc;
	int64_t hseq = 0;
	char hhash[BRAID_HASH_HEX] = "";
	braid_stmt_reset(p->head_get);
	if ((rc = braid_stmt_step(p->head_get, &row, err)))
		return rc;
	if (row) {
		hseq = braid_stmt_int64(p->head_get, 0);
		snprintf(hhash, sizeof hhash, "%s", braid_stmt_text(p->head_get, 1));
	}
	braid_stmt_reset(p->head_get);
	if ((rc = braid_audit_verify_end(&v, hseq, hhash, err)))
		return rc;
	*n = v.n;
	snprintf(head, BRAID_HASH_HEX, "%s", v.hash);
	return BRAID_OK;
}
