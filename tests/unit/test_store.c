/* The workspace, the store interface and the encrypted vault. */
#include "test.h"
#include "braid/store.h"

#include <stdint.h>
#include <sys/stat.h>

static struct braid_store *fresh(const char *sub)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), sub);
	struct braid_err e;
	braid_err_clear(&e);
	if (braid_workspace_init(dir, &e))
		TEST_FAIL_("init: %s", e.msg);
	struct braid_store *s = NULL;
	if (braid_store_open(dir, &s, &e))
		TEST_FAIL_("open: %s", e.msg);
	return s;
}

static int64_t count(struct braid_store *s, const char *sql)
{
	struct braid_stmt *st;
	struct braid_err e;
	if (braid_store_prepare(s, sql, &st, &e))
		TEST_FAIL_("prepare: %s", e.msg);
	int row = 0;
	ASSERT_EQ(braid_stmt_step(st, &row, &e), BRAID_OK);
	ASSERT_EQ(row, 1);
	int64_t n = braid_stmt_int64(st, 0);
	braid_stmt_finalize(st);
	return n;
}

/* Whole file into memory, to search its bytes. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		TEST_FAIL_("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)len + 1);
	ASSERT(p);
	ASSERT_EQ(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static int contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(hay + i, needle, k))
			return 1;
	return 0;
}

TEST(store_init_creates_workspace_and_refuses_reinit)
{
	char dir[512], p[600];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_workspace_exists(dir), 0);
	ASSERT_EQ(braid_workspace_init(dir, &e), BRAID_OK);
	ASSERT_EQ(braid_workspace_exists(dir), 1);
	struct stat st;
	snprintf(p, sizeof p, "%s/vault.key", dir);
	ASSERT_EQ(stat(p, &st), 0);
	ASSERT_EQ(st.st_size, 32);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	snprintf(p, sizeof p, "%s/vault.db", dir);
	ASSERT_EQ(stat(p, &st), 0);
	ASSERT_EQ(braid_workspace_init(dir, &e), BRAID_EEXIST);
}

TEST(store_open_outside_a_workspace_says_run_init)
{
	struct braid_store *s = NULL;
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_store_open(test_tmpdir(), &s, &e), BRAID_ENOTFOUND);
	ASSERT(strstr(e.msg, "not a braid workspace") != NULL);
	ASSERT(strstr(e.msg, "braid init") != NULL);
	ASSERT(s == NULL);
}

TEST(store_rollback_undoes_both_files)
{
	struct braid_store *s = fresh("rb");
	struct braid_err e;
	int64_t sid, key;
	ASSERT_EQ(braid_store_source_add(s, "jail", "source: jail\n", &sid, &e), BRAID_OK);
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_ESTORE); /* no nesting */
	struct braid_batch b = {.source_id = sid, .file = "a.csv", .content_hash = "ab"};
	ASSERT_EQ(braid_store_batch_begin(s, &b, &e), BRAID_OK);
	struct braid_record_row r = {.source_id = sid, .batch_id = b.id, .row = 1, .sex = "F"};
	ASSERT_EQ(braid_store_record_add(s, &r, &key, &e), BRAID_OK);
	struct braid_identity id = {.record_key = key, .source_id = (int32_t)sid,
				    .source_record_id = "R1"};
	id.v[BRAID_F_LAST_NAME] = "ZABRISKIE";
	ASSERT_EQ(braid_store_identity_put(s, &id, b.id, &e), BRAID_OK);
	ASSERT_EQ(count(s, "SELECT count(*) FROM vault.identities"), 1);
	braid_store_rollback(s);
	ASSERT_EQ(count(s, "SELECT count(*) FROM records"), 0);
	ASSERT_EQ(count(s, "SELECT count(*) FROM vault.identities"), 0);
	ASSERT_EQ(count(s, "SELECT count(*) FROM batches"), 0);
	ASSERT_EQ(count(s, "SELECT count(*) FROM sources"), 1);
	braid_store_close(s);
}

static int collect(void *ctx, const struct braid_identity *id)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 400 - n, "%lld|%s|%s|%s|%x;", (long long)id->record_key,
		 id->source_record_id, id->v[BRAID_F_FIRST_NAME], id->v[BRAID_F_SSN],
		 id->invalid);
	return 0;
}

TEST(store_vault_round_trip_and_incremental_iteration)
{
	struct braid_store *s = fresh("rt");
	struct braid_err e;
	int64_t sid, k1, k2;
	ASSERT_EQ(braid_store_source_add(s, "shelter", "x", &sid, &e), BRAID_OK);
	ASSERT_EQ(braid_store_source_add(s, "shelter", "x", NULL, &e), BRAID_EEXIST);
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	struct braid_batch b1 = {.source_id = sid, .file = "a", .content_hash = "h1"};
	struct braid_batch b2 = {.source_id = sid, .file = "b", .content_hash = "h2"};
	ASSERT_EQ(braid_store_batch_begin(s, &b1, &e), BRAID_OK);
	struct braid_record_row r = {.source_id = sid, .batch_id = b1.id};
	ASSERT_EQ(braid_store_record_add(s, &r, &k1, &e), BRAID_OK);
	struct braid_identity id = {.record_key = k1, .source_id = (int32_t)sid,
				    .source_record_id = "S-1", .invalid = 1u << BRAID_F_DOB};
	id.v[BRAID_F_FIRST_NAME] = "JOSÉ";
	id.v[BRAID_F_SSN] = "219099999";
	ASSERT_EQ(braid_store_identity_put(s, &id, b1.id, &e), BRAID_OK);
	ASSERT_EQ(braid_store_batch_begin(s, &b2, &e), BRAID_OK);
	r.batch_id = b2.id;
	ASSERT_EQ(braid_store_record_add(s, &r, &k2, &e), BRAID_OK);
	struct braid_identity id2 = {.record_key = k2, .source_id = (int32_t)sid,
				     .source_record_id = "S-2"};
	id2.v[BRAID_F_FIRST_NAME] = "ANA";
	ASSERT_EQ(braid_store_identity_put(s, &id2, b2.id, &e), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &e), BRAID_OK);

	char out[400] = "";
	ASSERT_EQ(braid_store_identity_iter(s, sid, 0, collect, out, &e), BRAID_OK);
	char want[400];
	snprintf(want, sizeof want, "%lld|S-1|JOSÉ|219099999|%x;%lld|S-2|ANA||0;",
		 (long long)k1, 1u << BRAID_F_DOB, (long long)k2);
	ASSERT_STR_EQ(out, want);
	out[0] = 0;
	ASSERT_EQ(braid_store_identity_iter(s, sid, b1.id, collect, out, &e), BRAID_OK);
	snprintf(want, sizeof want, "%lld|S-2|ANA||0;", (long long)k2);
	ASSERT_STR_EQ(out, want);
	/* Equal ids hash equal, different ids differ. */
	ASSERT_EQ(braid_store_rid_hash(s, "S-1", 3), braid_store_rid_hash(s, "S-1", 3));
	ASSERT_NE(braid_store_rid_hash(s, "S-1", 3), braid_store_rid_hash(s, "S-2", 3));
	ASSERT_EQ(braid_store_identity_delete(s, k1, &e), BRAID_OK);
	out[0] = 0;
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, collect, out, &e), BRAID_OK);
	ASSERT_STR_EQ(out, want);
	braid_store_close(s);
}

TEST(store_vault_tampered_row_does_not_decrypt)
{
	struct braid_store *s = fresh("tamper");
	struct braid_err e;
	int64_t sid, k;
	ASSERT_EQ(braid_store_source_add(s, "a", "x", &sid, &e), BRAID_OK);
	struct braid_record_row r = {.source_id = sid, .batch_id = 1};
	ASSERT_EQ(braid_store_record_add(s, &r, &k, &e), BRAID_OK);
	struct braid_identity id = {.record_key = k, .source_id = (int32_t)sid,
				    .source_record_id = "X"};
	ASSERT_EQ(braid_store_identity_put(s, &id, 1, &e), BRAID_OK);
	/* Moving a sealed row to another key must not decrypt. */
	ASSERT_EQ(braid_store_exec(s, "UPDATE vault.identities SET record_key=record_key+7", &e),
		  BRAID_OK);
	char out[400] = "";
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, collect, out, &e), BRAID_ECRYPTO);
	ASSERT_STR_EQ(out, "");
	braid_store_close(s);
}

static int reject_cb(void *ctx, const struct braid_reject *j)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 400 - n, "%s:%ld:%ld %s [%s];", j->file, j->line, j->column,
		 j->reason, j->raw ? j->raw : "-");
	return 0;
}

TEST(store_rejects_keep_raw_row_encrypted)
{
	struct braid_store *s = fresh("rej");
	struct braid_err e;
	int64_t sid;
	ASSERT_EQ(braid_store_source_add(s, "a", "x", &sid, &e), BRAID_OK);
	struct braid_reject j = {.source_id = sid, .batch_id = 1, .file = "f.csv", .line = 4,
				 .column = 2, .reason = "missing record id",
				 .raw = ",QUIMBY,1950-01-01", .raw_len = 18};
	ASSERT_EQ(braid_store_reject_add(s, &j, &e), BRAID_OK);
	char out[400] = "";
	ASSERT_EQ(braid_store_reject_iter(s, sid, 0, reject_cb, out, &e), BRAID_OK);
	ASSERT_STR_EQ(out, "f.csv:4:2 missing record id [-];");
	out[0] = 0;
	ASSERT_EQ(braid_store_reject_iter(s, sid, 1, reject_cb, out, &e), BRAID_OK);
	ASSERT_STR_EQ(out, "f.csv:4:2 missing record id [,QUIMBY,1950-01-01];");
	braid_store_close(s);
}

TEST(store_files_hold_no_plaintext_identifiers)
{
	struct braid_store *s = fresh("plain");
	struct braid_err e;
	int64_t sid, k;
	ASSERT_EQ(braid_store_source_add(s, "a", "x", &sid, &e), BRAID_OK);
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	for (int i = 0; i < 50; i++) {
		struct braid_record_row r = {.source_id = sid, .batch_id = 1, .sex = "M"};
		ASSERT_EQ(braid_store_record_add(s, &r, &k, &e), BRAID_OK);
		struct braid_identity id = {.record_key = k, .source_id = (int32_t)sid,
					    .source_record_id = "RID-PLANTED-77"};
		id.v[BRAID_F_LAST_NAME] = "XYLOPHONEWICZ";
		id.v[BRAID_F_SSN] = "219447788";
		ASSERT_EQ(braid_store_identity_put(s, &id, 1, &e), BRAID_OK);
	}
	struct braid_reject j = {.source_id = sid, .batch_id = 1, .file = "f", .line = 1,
				 .reason = "bad", .raw = "QUENTINPLANTED", .raw_len = 14};
	ASSERT_EQ(braid_store_reject_add(s, &j, &e), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &e), BRAID_OK);
	braid_store_close(s);
	const char *files[] = {"braid.db", "vault.db"};
	for (int f = 0; f < 2; f++) {
		char p[600];
		snprintf(p, sizeof p, "%s/plain/%s", test_tmpdir(), files[f]);
		size_t n;
		char *d = slurp(p, &n);
		ASSERT(n > 0);
		ASSERT(!contains(d, n, "XYLOPHONEWICZ"));
		ASSERT(!contains(d, n, "219447788"));
		ASSERT(!contains(d, n, "RID-PLANTED-77"));
		ASSERT(!contains(d, n, "QUENTINPLANTED"));
		free(d);
	}
}

TEST(store_batch_delete_removes_everything_of_the_batch)
{
	struct braid_store *s = fresh("del");
	struct braid_err e;
	int64_t sid, k;
	ASSERT_EQ(braid_store_source_add(s, "a", "x", &sid, &e), BRAID_OK);
	struct braid_batch b = {.source_id = sid, .file = "a", .content_hash = "h"};
	ASSERT_EQ(braid_store_batch_begin(s, &b, &e), BRAID_OK);
	struct braid_record_row r = {.source_id = sid, .batch_id = b.id};
	ASSERT_EQ(braid_store_record_add(s, &r, &k, &e), BRAID_OK);
	struct braid_identity id = {.record_key = k, .source_id = (int32_t)sid,
				    .source_record_id = "1"};
	ASSERT_EQ(braid_store_identity_put(s, &id, b.id, &e), BRAID_OK);
	struct braid_event_row ev = {.record_key = k, .batch_id = b.id, .type = "x",
				     .start = "2020-01-01"};
	ASSERT_EQ(braid_store_event_add(s, &ev, &e), BRAID_OK);
	struct braid_reject j = {.source_id = sid, .batch_id = b.id, .file = "f",
				 .reason = "r", .raw = "z", .raw_len = 1};
	ASSERT_EQ(braid_store_reject_add(s, &j, &e), BRAID_OK);
	int64_t found = 0;
	ASSERT_EQ(braid_store_batch_find(s, sid, "h", &found, &e), BRAID_OK);
	ASSERT_EQ(found, b.id);
	ASSERT_EQ(braid_store_batch_delete(s, b.id, &e), BRAID_OK);
	ASSERT_EQ(braid_store_batch_find(s, sid, "h", &found, &e), BRAID_ENOTFOUND);
	ASSERT_EQ(count(s, "SELECT (SELECT count(*) FROM records)+(SELECT count(*) FROM events)"
			   "+(SELECT count(*) FROM rejects)+(SELECT count(*) FROM vault.identities)"
			   "+(SELECT count(*) FROM vault.reject_raw)"),
		  0);
	braid_store_close(s);
}

TEST(store_wrong_key_size_is_a_crypto_error)
{
	char dir[512], p[600];
	snprintf(dir, sizeof dir, "%s/k", test_tmpdir());
	struct braid_err e;
	ASSERT_EQ(braid_workspace_init(dir, &e), BRAID_OK);
	snprintf(p, sizeof p, "%s/vault.key", dir);
	FILE *f = fopen(p, "ab");
	fputc('x', f);
	fclose(f);
	struct braid_store *s = NULL;
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_ECRYPTO);
	ASSERT(s == NULL);
}
