/*
 * Vault key rotation and withdrawal tokens at the store level: after a
 * rotation every sealed row opens with the new key file and none with the
 * old key; id hashes follow the new key; withdrawal tokens survive it.
 */
#include "test.h"
#include "braid/store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static int kr_collect(void *ctx, const struct braid_identity *id)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 200 - n, "%s|%s|%s;", id->source_record_id, id->v[BRAID_F_LAST_NAME],
		 id->v[BRAID_F_SSN]);
	return 0;
}

static int kr_reject(void *ctx, const struct braid_reject *r)
{
	snprintf(ctx, 100, "%.*s", (int)r->raw_len, r->raw ? r->raw : "(none)");
	return 0;
}

static void read_file(const char *path, unsigned char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ASSERT(fd >= 0);
	ASSERT_EQ(read(fd, buf, n), (ssize_t)n);
	close(fd);
}

TEST(key_rotate_reseals_every_row_and_retires_the_old_key)
{
	unsetenv("BRAID_KEY_FILE");
	char dir[512], kp[600], old[600];
	snprintf(dir, sizeof dir, "%s/rot", test_tmpdir());
	snprintf(kp, sizeof kp, "%s/vault.key", dir);
	snprintf(old, sizeof old, "%s/old.key", test_tmpdir());
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_workspace_init(dir, &e), BRAID_OK);
	struct braid_store *s = NULL;
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_OK);
	int64_t sid, key;
	ASSERT_EQ(braid_store_source_add(s, "jail", "source: jail\n", &sid, &e), BRAID_OK);
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	struct braid_batch b = {.source_id = sid, .file = "a.csv", .content_hash = "ab"};
	ASSERT_EQ(braid_store_batch_begin(s, &b, &e), BRAID_OK);
	struct braid_record_row r = {.source_id = sid, .batch_id = b.id, .row = 1, .sex = "F",
				     .rid_hash = braid_store_rid_hash(s, "R1", 2)};
	ASSERT_EQ(braid_store_record_add(s, &r, &key, &e), BRAID_OK);
	struct braid_identity id = {.record_key = key, .source_id = (int32_t)sid,
				    .source_record_id = "R1"};
	id.v[BRAID_F_LAST_NAME] = "ZABRISKIE";
	id.v[BRAID_F_FIRST_NAME] = "ANA";
	id.v[BRAID_F_DOB] = "1980-03-04";
	id.v[BRAID_F_SSN] = "219447788";
	for (int f = 0; f < BRAID_F__COUNT; f++)
		if (!id.v[f])
			id.v[f] = "";
	ASSERT_EQ(braid_store_identity_put(s, &id, b.id, &e), BRAID_OK);
	struct braid_reject rj = {.source_id = sid, .batch_id = b.id, .file = "a.csv", .line = 3,
				  .reason = "bad", .raw = "R2,QUARTERMAINE", .raw_len = 15};
	ASSERT_EQ(braid_store_reject_add(s, &rj, &e), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &e), BRAID_OK);
	/* A withdrawal token made before the rotation. */
	unsigned char tok[2][BRAID_TOKEN_LEN];
	ASSERT_EQ(braid_store_withdraw_record(s, key, 1, &e), BRAID_OK);
	unsigned char *toks = NULL;
	size_t ntok = 0;
	ASSERT_EQ(braid_store_withdrawn_tokens(s, &toks, &ntok, &e), BRAID_OK);
	ASSERT_EQ(ntok, 2);
	free(toks);
	/* Put the identity back for the round trip. */
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	ASSERT_EQ(braid_store_record_add(s, &r, &key, &e), BRAID_OK);
	id.record_key = key;
	ASSERT_EQ(braid_store_identity_put(s, &id, b.id, &e), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &e), BRAID_OK);

	unsigned char oldkey[32], newkey[32];
	read_file(kp, oldkey, sizeof oldkey);
	int fd = open(old, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_EQ(write(fd, oldkey, sizeof oldkey), (ssize_t)sizeof oldkey);
	close(fd);
	struct braid_key_rotate_stats st;
	ASSERT_EQ(braid_store_key_rotate(s, dir, &st, &e), BRAID_OK);
	ASSERT_EQ(st.identities, 1);
	ASSERT_EQ(st.rejects, 1);
	read_file(kp, newkey, sizeof newkey);
	ASSERT(memcmp(oldkey, newkey, sizeof newkey) != 0);
	char path_new[700];
	snprintf(path_new, sizeof path_new, "%s.new", kp);
	ASSERT(access(path_new, F_OK) != 0); /* renamed, not left behind */
	braid_store_close(s);

	/* The new key file opens everything. */
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_OK);
	char got[200] = "";
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, kr_collect, got, &e), BRAID_OK);
	ASSERT_STR_EQ(got, "R1|ZABRISKIE|219447788;");
	char raw[100] = "";
	ASSERT_EQ(braid_store_reject_iter(s, sid, 1, kr_reject, raw, &e), BRAID_OK);
	ASSERT_STR_EQ(raw, "R2,QUARTERMAINE");
	struct braid_stmt *q;
	ASSERT_EQ(braid_store_prepare(s, "SELECT rid_hash FROM records", &q, &e), BRAID_OK);
	int row = 0;
	ASSERT_EQ(braid_stmt_step(q, &row, &e), BRAID_OK);
	ASSERT_EQ(braid_stmt_int64(q, 0), braid_store_rid_hash(s, "R1", 2));
	ASSERT(braid_stmt_int64(q, 0) != r.rid_hash);
	braid_stmt_finalize(q);
	/* Tokens still recognise the withdrawn person. */
	ASSERT_EQ(braid_store_withdrawn_tokens(s, &toks, &ntok, &e), BRAID_OK);
	ASSERT_EQ(ntok, 2);
	int nt = braid_store_person_tokens(s, &id, tok);
	ASSERT_EQ(nt, 2);
	ASSERT(braid_token_find(toks, ntok, tok[0]));
	ASSERT(braid_token_find(toks, ntok, tok[1]));
	free(toks);
	braid_store_close(s);

	/* The old key opens nothing. */
	setenv("BRAID_KEY_FILE", old, 1);
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_OK);
	got[0] = 0;
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, kr_collect, got, &e), BRAID_ECRYPTO);
	ASSERT_EQ(braid_store_withdrawn_tokens(s, &toks, &ntok, &e), BRAID_ECRYPTO);
	braid_store_close(s);
	unsetenv("BRAID_KEY_FILE");
}

TEST(vault_guard_denies_any_statement_naming_the_vault)
{
	unsetenv("BRAID_KEY_FILE");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/guard", test_tmpdir());
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_workspace_init(dir, &e), BRAID_OK);
	struct braid_store *s = NULL;
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_OK);
	struct braid_stmt *st = NULL;
	ASSERT_EQ(braid_store_prepare(s, "SELECT count(*) FROM vault.identities", &st, &e), BRAID_OK);
	braid_stmt_finalize(st);
	ASSERT_EQ(braid_store_restrict_vault(s, &e), BRAID_OK);
	static const char *const denied[] = {
		"SELECT count(*) FROM vault.identities",
		"SELECT sealed FROM identities",  /* unqualified: resolves to the vault */
		"SELECT name FROM vault.sqlite_master",
		"DELETE FROM vault.reject_raw",
		"PRAGMA vault.table_info(identities)",
		"ATTACH 'x.db' AS v2",
		"DETACH vault",
	};
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		st = NULL;
		braid_err_clear(&e);
		ASSERT_EQ(braid_store_prepare(s, denied[i], &st, &e), BRAID_ESTORE);
		if (!strstr(e.msg, "not authorized") && !strstr(e.msg, "prohibited"))
			TEST_FAIL_("%s: %s", denied[i], e.msg);
		braid_stmt_finalize(st);
	}
	/* The analytic side still answers. */
	ASSERT_EQ(braid_store_prepare(s, "SELECT count(*) FROM records JOIN events USING(record_key)",
				      &st, &e), BRAID_OK);
	int row = 0;
	ASSERT_EQ(braid_stmt_step(st, &row, &e), BRAID_OK);
	ASSERT_EQ(row, 1);
	braid_stmt_finalize(st);
	struct braid_identity id = {.record_key = 1, .source_id = 1, .source_record_id = "R"};
	for (int f = 0; f < BRAID_F__COUNT; f++)
		id.v[f] = "";
	ASSERT(braid_store_identity_put(s, &id, 1, &e) != BRAID_OK);
	braid_store_close(s);
}
