/*
 * The policy layer on a real workspace: users and keys, agreements added
 * and revoked, the enforcement point appending every decision before it
 * returns, and verification of the stored log (including tampering with
 * audit.db behind braid's back), the log's independence from the store's
 * transactions, and the move of an old log out of braid.db.
 */
#define _GNU_SOURCE /* memmem */
#include "test.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <sqlite3.h>
#include <unistd.h>

static const char agreement[] =
	"id: jail-study\ntitle: Jail study\nstatus: active\nparties: [Prisons, City]\n"
	"purposes: [study]\nlegal_basis: [CJIS]\nsources:\n  jail: [jail_booking, start]\n"
	"use: deidentified-row\ncovers:\n  orgs: [Analytics]\nstart: 2020-01-01\n"
	"end: 2099-12-31\ndestruction: {what: [exports], within_days: 30}\nsummary: s\n";

struct ws {
	char dir[300];
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user admin, ana;
	char admin_key[BRAID_KEY_LEN + 1], ana_key[BRAID_KEY_LEN + 1];
};

static void open_ws(struct ws *w)
{
	struct braid_err err;
	if (braid_store_open(w->dir, &w->s, &err) || braid_policy_open(w->s, &w->p, &err))
		TEST_FAIL_("open: %s", err.msg);
}

static void close_ws(struct ws *w)
{
	braid_policy_close(w->p);
	braid_store_close(w->s);
	w->p = NULL;
	w->s = NULL;
}

static void setup(struct ws *w)
{
	struct braid_err err;
	memset(w, 0, sizeof *w);
	snprintf(w->dir, sizeof w->dir, "%s/ws", test_tmpdir());
	char kf[400];
	snprintf(kf, sizeof kf, "%s/vault.key", test_tmpdir());
	setenv("BRAID_KEY_FILE", kf, 1);
	if (braid_workspace_init(w->dir, &err))
		TEST_FAIL_("init: %s", err.msg);
	struct braid_store *s;
	if (braid_store_open(w->dir, &s, &err))
		TEST_FAIL_("open: %s", err.msg);
	ASSERT_EQ(braid_policy_bootstrap(s, "root", w->admin_key, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_bootstrap(s, "root2", w->admin_key, &err), BRAID_EEXIST);
	braid_store_close(s);
	open_ws(w);
	if (braid_policy_authenticate(w->p, "root", w->admin_key, &w->admin, &err))
		TEST_FAIL_("admin login: %s", err.msg);
	ASSERT_EQ(w->admin.role, BRAID_ROLE_ADMIN);
	struct braid_user u = {.name = "ana", .role = BRAID_ROLE_ANALYST, .org = "Analytics"};
	ASSERT_EQ(braid_policy_user_add(w->p, &w->admin, &u, w->ana_key, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_authenticate(w->p, "ana", w->ana_key, &w->ana, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_agreement_add(w->p, &w->admin, agreement, strlen(agreement), "a.yaml",
					     &err), BRAID_OK);
}

static struct braid_request req_rows(void)
{
	static const char *const src[] = {"jail"};
	static const struct braid_field_ref f[] = {{"jail", "start"}};
	struct braid_request r = {.action = BRAID_ACT_QUERY_ROWS, .purpose = "study",
				  .sources = src, .nsources = 1, .fields = f, .nfields = 1,
				  .query = "select"};
	return r;
}

TEST(policy_store_users_keys_and_roles)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	struct braid_user u;
	ASSERT_EQ(braid_policy_authenticate(w.p, "ana", "bk_wrong", &u, &err), BRAID_EDENIED);
	ASSERT_EQ(braid_policy_authenticate(w.p, "nobody", w.ana_key, &u, &err), BRAID_EDENIED);
	ASSERT_STR_EQ(err.msg, "unknown user or wrong key");
	struct braid_user x = {.name = "eve", .role = BRAID_ROLE_ADMIN};
	char key[BRAID_KEY_LEN + 1];
	ASSERT_EQ(braid_policy_user_add(w.p, &w.ana, &x, key, &err), BRAID_EDENIED);
	ASSERT_EQ(braid_policy_user_add(w.p, &w.admin, &w.ana, key, &err), BRAID_EEXIST);
	int64_t n = 0;
	ASSERT_EQ(braid_policy_user_count(w.p, &n, &err), BRAID_OK);
	ASSERT_EQ(n, 2);
	/* Only the hash is stored: the key's bytes are nowhere in braid.db. */
	close_ws(&w);
	char db[400];
	snprintf(db, sizeof db, "%s/braid.db", w.dir);
	FILE *f = fopen(db, "rb");
	ASSERT(f);
	static char buf[1 << 22];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ASSERT(len > 0);
	ASSERT(!memmem(buf, len, w.ana_key + 3, 20));
	ASSERT(!memmem(buf, len, w.admin_key + 3, 20));
}

TEST(policy_store_authorize_audits_before_answering)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	struct braid_request r = req_rows();
	struct braid_decision d;
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
	ASSERT_STR_EQ(d.agreement, "jail-study");
	ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, 42, &err), BRAID_OK);
	r.purpose = "marketing";
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_EDENIED);
	ASSERT(strstr(err.msg, "names purpose 'marketing'"));
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	/* Two user-adds and an agreement-add from setup, then allow and deny. */
	ASSERT_EQ(n, 5);
	close_ws(&w);
	/* Revocation takes effect for the next check, also in a new process. */
	open_ws(&w);
	r.purpose = "study";
	ASSERT_EQ(braid_policy_agreement_revoke(w.p, &w.ana, "jail-study", NULL, &err), BRAID_EDENIED);
	ASSERT_EQ(braid_policy_agreement_revoke(w.p, &w.admin, "jail-study", "2026-03-01", &err),
		  BRAID_OK);
	close_ws(&w);
	open_ws(&w);
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_EDENIED);
	ASSERT_STR_EQ(d.reason, "agreement 'jail-study' was revoked on 2026-03-01");
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, 8);
	close_ws(&w);
}

static void tamper_file(struct ws *w, const char *file, const char *sql)
{
	char db[400];
	snprintf(db, sizeof db, "%s/%s", w->dir, file);
	sqlite3 *h;
	ASSERT_EQ(sqlite3_open(db, &h), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		TEST_FAIL_("tamper: %s", msg);
	sqlite3_close(h);
}

static void tamper(struct ws *w, const char *sql)
{
	tamper_file(w, "audit.db", sql);
}

static void verify_fails(const char *sql, const char *want)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	struct braid_request r = req_rows();
	struct braid_decision d;
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
		ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, i, &err), BRAID_OK);
	}
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, 7);
	close_ws(&w);
	tamper(&w, "DROP TRIGGER policy_audit_no_update; DROP TRIGGER policy_audit_no_delete;");
	tamper(&w, sql);
	open_ws(&w);
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_EPARSE);
	if (!strstr(err.msg, want))
		TEST_FAIL_("message '%s' lacks '%s'", err.msg, want);
	close_ws(&w);
}

TEST(policy_store_verify_finds_an_edited_row)
{
	verify_fails("UPDATE policy_audit SET rows_returned = 999 WHERE seq = 5",
		     "audit entry 5 (seq 5) was edited");
}

TEST(policy_store_verify_finds_a_deleted_row)
{
	verify_fails("DELETE FROM policy_audit WHERE seq = 4", "entries 4..4 are missing");
}

TEST(policy_store_verify_finds_a_deleted_tail)
{
	verify_fails("DELETE FROM policy_audit WHERE seq >= 6", "entries 6..7 were deleted");
}

TEST(policy_store_verify_finds_an_inserted_row)
{
	/* A copy of entry 4 slipped in after it (seq must stay unique). */
	verify_fails("UPDATE policy_audit SET pos = pos * 10;"
		     "INSERT INTO policy_audit(pos, seq, at, user_name, role, org, agreement, purpose,"
		     " action, sources, rows_returned, query_hash, decision, reason, prev_hash, hash)"
		     " SELECT 45, -4, at, 'mallory', role, org, agreement, purpose, action, sources,"
		     " rows_returned, query_hash, decision, reason, prev_hash, hash"
		     " FROM policy_audit WHERE seq = 4;",
		     "audit entry 5 (seq -4) was edited");
}

TEST(policy_store_verify_finds_reordered_rows)
{
	/* Swap the storage positions of entries 5 and 6. */
	verify_fails("UPDATE policy_audit SET pos = -1 WHERE seq = 5;"
		     "UPDATE policy_audit SET pos = (SELECT pos FROM policy_audit WHERE seq = 4) + 1"
		     " WHERE seq = 6;"
		     "UPDATE policy_audit SET pos = 1000 WHERE pos = -1;",
		     "entries 5..5 are missing");
}

TEST(policy_store_log_refuses_updates_through_sql)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	/* Not in braid.db at all ... */
	ASSERT_EQ(braid_store_exec(w.s, "DELETE FROM policy_audit", &err), BRAID_ESTORE);
	ASSERT(strstr(err.msg, "no such table"));
	/* ... and audit.db refuses changes to entries. */
	const char *path = braid_policy_audit_path(w.p);
	ASSERT(strstr(path, "/ws/audit.db"));
	sqlite3 *h;
	ASSERT_EQ(sqlite3_open(path, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, "DELETE FROM policy_audit", NULL, NULL, NULL), SQLITE_CONSTRAINT);
	ASSERT(strstr(sqlite3_errmsg(h), "append-only"));
	ASSERT_EQ(sqlite3_exec(h, "UPDATE policy_audit SET user_name = 'x'", NULL, NULL, NULL),
		  SQLITE_CONSTRAINT);
	sqlite3_close(h);
	close_ws(&w);
}

TEST(policy_store_audit_is_in_wal_mode_beside_the_store)
{
	struct ws w;
	setup(&w);
	sqlite3 *h;
	ASSERT_EQ(sqlite3_open(braid_policy_audit_path(w.p), &h), SQLITE_OK);
	sqlite3_stmt *st;
	ASSERT_EQ(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
	ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(h);
	close_ws(&w);
}

TEST(policy_store_full_sync_appends_the_same_chain)
{
	struct ws w;
	struct braid_err err;
	setenv("BRAID_AUDIT_SYNC", "full", 1);
	setup(&w);
	struct braid_request r = req_rows();
	struct braid_decision d;
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, 2, &err), BRAID_OK);
	close_ws(&w);
	unsetenv("BRAID_AUDIT_SYNC");
	open_ws(&w);
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, 4);
	close_ws(&w);
}

TEST(policy_store_entries_survive_a_rolled_back_store_transaction)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	struct braid_request r = req_rows();
	struct braid_decision d;
	/* A reader inside a transaction of its own on braid.db, which fails
	 * and rolls back after its decisions were logged. */
	ASSERT_EQ(braid_store_begin(w.s, &err), BRAID_OK);
	ASSERT_EQ(braid_store_exec(w.s, "CREATE TABLE scratch(x)", &err), BRAID_OK);
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, 3, &err), BRAID_OK);
	r.purpose = "marketing";
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_EDENIED);
	braid_store_rollback(w.s);
	ASSERT_EQ(braid_store_exec(w.s, "SELECT * FROM scratch", &err), BRAID_ESTORE);
	close_ws(&w);
	open_ws(&w);
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, 5); /* setup's three, the allow and the deny */
	close_ws(&w);
}

/* Put the log back into braid.db the way workspaces made before audit.db
 * kept it (same tables and triggers), optionally removing audit.db. */
static void make_old_layout(struct ws *w, int remove_audit_db)
{
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "CREATE TABLE policy_audit(pos INTEGER PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,"
		 " at TEXT NOT NULL, user_name TEXT NOT NULL, role TEXT NOT NULL, org TEXT NOT NULL,"
		 " agreement TEXT NOT NULL, purpose TEXT NOT NULL, action TEXT NOT NULL,"
		 " sources TEXT NOT NULL, rows_returned INTEGER NOT NULL, query_hash TEXT NOT NULL,"
		 " decision TEXT NOT NULL, reason TEXT NOT NULL, prev_hash TEXT NOT NULL,"
		 " hash TEXT NOT NULL);"
		 "CREATE TABLE policy_audit_head(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,"
		 " hash TEXT NOT NULL);"
		 "ATTACH '%s/audit.db' AS a;"
		 "INSERT INTO main.policy_audit SELECT * FROM a.policy_audit;"
		 "INSERT INTO main.policy_audit_head SELECT * FROM a.policy_audit_head;"
		 "DETACH a;"
		 "CREATE TRIGGER policy_audit_no_update BEFORE UPDATE ON policy_audit"
		 " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
		 w->dir);
	tamper_file(w, "braid.db", sql);
	if (remove_audit_db) {
		char f[400];
		snprintf(f, sizeof f, "%s/audit.db", w->dir);
		ASSERT_EQ(unlink(f), 0);
	}
}

static int64_t old_tables(struct ws *w)
{
	char db[400];
	snprintf(db, sizeof db, "%s/braid.db", w->dir);
	sqlite3 *h;
	sqlite3_stmt *st;
	ASSERT_EQ(sqlite3_open(db, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master WHERE name LIKE"
				     " 'policy_audit%'", -1, &st, NULL), SQLITE_OK);
	ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

TEST(policy_store_moves_an_old_log_out_of_braid_db)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	int64_t n0, n;
	char head0[BRAID_HASH_HEX], head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n0, head0, &err), BRAID_OK);
	close_ws(&w);
	make_old_layout(&w, 1);
	ASSERT_EQ(old_tables(&w), 3); /* two tables and a trigger */
	open_ws(&w);
	ASSERT_EQ(old_tables(&w), 0);
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, n0);
	ASSERT_STR_EQ(head, head0);
	/* The chain goes on from the moved head. */
	struct braid_request r = req_rows();
	struct braid_decision d;
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, 1, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, n0 + 1);
	close_ws(&w);
}

TEST(policy_store_move_keeps_old_tampering_visible)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	close_ws(&w);
	make_old_layout(&w, 1);
	tamper_file(&w, "braid.db", "DROP TRIGGER policy_audit_no_update;"
				    "UPDATE policy_audit SET rows_returned = 7 WHERE seq = 2");
	open_ws(&w);
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_EPARSE);
	ASSERT(strstr(err.msg, "audit entry 2 (seq 2) was edited"));
	close_ws(&w);
}

TEST(policy_store_interrupted_move_finishes_and_a_conflict_is_refused)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	close_ws(&w);
	/* Copied but not dropped: the next open only drops. */
	make_old_layout(&w, 0);
	open_ws(&w);
	ASSERT_EQ(old_tables(&w), 0);
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, 3);
	close_ws(&w);
	/* An old log whose head audit.db does not hold: braid refuses to
	 * choose between them. */
	make_old_layout(&w, 0);
	tamper_file(&w, "braid.db", "UPDATE policy_audit_head SET hash = 'x'");
	struct braid_policy *p;
	ASSERT_EQ(braid_store_open(w.dir, &w.s, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_open(w.s, &p, &err), BRAID_ESTORE);
	ASSERT(strstr(err.msg, "both hold an audit log"));
	braid_store_close(w.s);
	w.s = NULL;
	ASSERT_EQ(old_tables(&w), 3);
}

TEST(policy_store_group_commit_keeps_the_chain)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	struct braid_request r = req_rows();
	struct braid_decision d;
	for (int b = 0; b < 3; b++) {
		ASSERT_EQ(braid_policy_batch_begin(w.p, &err), BRAID_OK);
		for (int i = 0; i < 20; i++) {
			ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
			ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, i, &err), BRAID_OK);
		}
		ASSERT_EQ(braid_policy_batch_end(w.p, &err), BRAID_OK);
		/* A single append between batches reads the head afresh. */
		ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, 1, &err), BRAID_OK);
	}
	int64_t n;
	char head[BRAID_HASH_HEX];
	ASSERT_EQ(braid_policy_audit_verify(w.p, &n, head, &err), BRAID_OK);
	ASSERT_EQ(n, 3 + 3 * 21);
	close_ws(&w);
}

static int file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		TEST_FAIL_("cannot open %s", path);
	static char buf[1 << 23];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return memmem(buf, len, needle, strlen(needle)) != NULL;
}

TEST(policy_store_audit_keeps_no_identifier_from_a_query)
{
	struct ws w;
	struct braid_err err;
	setup(&w);
	struct braid_request r = req_rows();
	struct braid_decision d;
	r.query = "persons where ssn = 219-09-9999 and last_name = QUILLFEATHER and dob = 1961-07-04";
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_OK);
	ASSERT_EQ(braid_policy_commit(w.p, &w.ana, &r, &d, 1, &err), BRAID_OK);
	r.purpose = "QUILLFEATHER-219-09-9999";
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_EDENIED);
	ASSERT(!strstr(err.msg, "QUILLFEATHER"));
	const char *bad[] = {"QUILLFEATHER 219-09-9999"};
	r.purpose = "study";
	r.sources = bad;
	ASSERT_EQ(braid_policy_authorize(w.p, &w.ana, &r, &d, &err), BRAID_EDENIED);
	ASSERT(!strstr(err.msg, "QUILLFEATHER"));
	/* While open, the entries are in the write-ahead log. */
	char wal[400];
	snprintf(wal, sizeof wal, "%s-wal", braid_policy_audit_path(w.p));
	ASSERT(file_has(wal, "governance")); /* the scan reads the real file */
	ASSERT(!file_has(wal, "219-09-9999"));
	ASSERT(!file_has(wal, "QUILLFEATHER"));
	ASSERT(!file_has(wal, "1961-07-04"));
	close_ws(&w);
	/* After close the entries stay in the WAL until a checkpoint. */
	static const char *const files[] = {"braid.db", "audit.db", "audit.db-wal"};
	static const char *const has[] = {"policy_users", NULL, "governance"};
	for (int i = 0; i < 3; i++) {
		char db[400];
		snprintf(db, sizeof db, "%s/%s", w.dir, files[i]);
		if (has[i])
			ASSERT(file_has(db, has[i]));
		ASSERT(!file_has(db, "219-09-9999"));
		ASSERT(!file_has(db, "QUILLFEATHER"));
		ASSERT(!file_has(db, "1961-07-04"));
	}
}
