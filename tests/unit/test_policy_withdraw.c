/*
 * The sweep of the reject log at withdrawal (src/policy/withdraw_rejects.c)
 * on a real workspace: rows rejected at load are removed when, and only
 * when, their raw row carries a withdrawal token — whatever column the
 * values ended up in.
 */
#define _GNU_SOURCE /* memmem */
#include "test.h"
#include "braid/ingest.h"
#include "braid/policy.h"
#include "braid/store.h"
#include "../../src/policy/policy_int.h"

static const char spec[] =
	"source: jail\ntitle: Jail bookings\nsteward: Department of Prisons\nregime: CJIS\n"
	"kind: person\nid: INMATE_ID\nrows: event\nfields:\n  last_name: LAST\n"
	"  first_name: FIRST\n  dob: {column: DOB, format: \"%Y-%m-%d\"}\n  ssn: SSN\n"
	"events:\n  - type: jail_booking\n    start: {column: BOOKED, format: \"%Y-%m-%d\"}\n"
	"    end: {column: RELEASED, format: \"%Y-%m-%d\"}\n    program: PROGRAM\n"
	"    provider: FACILITY\n";

/* Row 1 loads (the person); rows 2-5 are rejected: the person without an
 * id, the person with a stray comma shifting every cell, someone else's
 * name with the person's SSN (and an extra cell), a stranger without an
 * id; row 6 loads (someone else). */
static const char csv[] =
	"INMATE_ID,LAST,FIRST,DOB,SSN,BOOKED,RELEASED,PROGRAM,FACILITY\n"
	"J1,Xylophonewicz,Quentin,1980-03-04,219447788,2026-02-01,2026-02-20,REENTRY,CFCF\n"
	",Xylophonewicz,Quentin,1980-03-04,,2026-07-01,2026-07-02,,CFCF\n"
	"J30,XYLOPHONEWICZ,Q.,Quentin,1980-03-04,,2026-07-01,2026-07-02,,CFCF\n"
	"J31,Alias,Someone,1961-01-01,219-44-7788,2026-07-01,2026-07-02,,CFCF,extra\n"
	",Stranger,Sam,1975-05-05,,2026-07-01,2026-07-02,,CFCF\n"
	"J32,Good,Row,1972-02-02,,2026-07-01,2026-07-02,,CFCF\n";

static struct braid_store *loaded(void)
{
	struct braid_err err;
	char dir[300], kf[400], file[400];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	snprintf(kf, sizeof kf, "%s/vault.key", test_tmpdir());
	snprintf(file, sizeof file, "%s/jail.csv", test_tmpdir());
	setenv("BRAID_KEY_FILE", kf, 1);
	FILE *f = fopen(file, "w");
	if (!f)
		TEST_FAIL_("cannot write %s", file);
	fputs(csv, f);
	fclose(f);
	struct braid_store *s;
	int64_t sid;
	if (braid_workspace_init(dir, &err) || braid_store_open(dir, &s, &err) ||
	    braid_store_source_add(s, "jail", spec, &sid, &err))
		TEST_FAIL_("setup: %s", err.msg);
	const char *files[] = {file};
	struct braid_ingest_opts opts;
	memset(&opts, 0, sizeof opts);
	struct braid_ingest_stats st;
	if (braid_ingest_files(s, "jail", files, 1, &opts, &st, &err))
		TEST_FAIL_("ingest: %s", err.msg);
	ASSERT_EQ(st.rows_loaded, 2);
	ASSERT_EQ(st.rows_rejected, 4);
	return s;
}

static int64_t count(struct braid_store *s, const char *sql)
{
	struct braid_stmt *st;
	struct braid_err err;
	int row = 0;
	int64_t n = -1;
	if (braid_store_prepare(s, sql, &st, &err) || braid_stmt_step(st, &row, &err) || !row)
		TEST_FAIL_("%s: %s", sql, err.msg);
	n = braid_stmt_int64(st, 0);
	braid_stmt_finalize(st);
	return n;
}

struct raws {
	int stranger, person;
};

static int on_reject(void *ctx, const struct braid_reject *r)
{
	struct raws *c = ctx;
	if (r->raw && memmem(r->raw, r->raw_len, "Stranger", 8))
		c->stranger++;
	if (r->raw && (memmem(r->raw, r->raw_len, "Quentin", 7) ||
		       memmem(r->raw, r->raw_len, "219-44-7788", 11)))
		c->person++;
	return 0;
}

TEST(withdraw_rejects_removes_rows_that_carry_a_token)
{
	struct braid_store *s = loaded();
	struct braid_err err;
	int64_t key = count(s, "SELECT record_key FROM records WHERE row_no = 1");
	int64_t removed = -1;
	ASSERT_EQ(braid_store_begin(s, &err), BRAID_OK);
	ASSERT_EQ(braid_store_withdraw_record(s, key, 1, &err), BRAID_OK);
	ASSERT_EQ(braid__withdraw_rejects(s, &removed, &err), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &err), BRAID_OK);
	ASSERT_EQ(removed, 3);
	ASSERT_EQ(count(s, "SELECT count(*) FROM rejects"), 1);
	ASSERT_EQ(count(s, "SELECT count(*) FROM vault.reject_raw"), 1);
	struct raws c = {0, 0};
	ASSERT_EQ(braid_store_reject_iter(s, 1, 1, on_reject, &c, &err), BRAID_OK);
	ASSERT_EQ(c.stranger, 1);
	ASSERT_EQ(c.person, 0);
	/* Again: nothing more to remove. */
	ASSERT_EQ(braid__withdraw_rejects(s, &removed, &err), BRAID_OK);
	ASSERT_EQ(removed, 0);
	braid_store_close(s);
}

TEST(withdraw_rejects_without_tokens_keeps_every_reject)
{
	struct braid_store *s = loaded();
	struct braid_err err;
	int64_t removed = -1;
	/* A withdrawal without tokens (as for a source's records). */
	int64_t key = count(s, "SELECT record_key FROM records WHERE row_no = 1");
	ASSERT_EQ(braid_store_begin(s, &err), BRAID_OK);
	ASSERT_EQ(braid_store_withdraw_record(s, key, 0, &err), BRAID_OK);
	ASSERT_EQ(braid__withdraw_rejects(s, &removed, &err), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &err), BRAID_OK);
	ASSERT_EQ(removed, 0);
	ASSERT_EQ(count(s, "SELECT count(*) FROM rejects"), 4);
	struct raws c = {0, 0};
	ASSERT_EQ(braid_store_reject_iter(s, 1, 1, on_reject, &c, &err), BRAID_OK);
	ASSERT_EQ(c.stranger, 1);
	ASSERT_EQ(c.person, 3);
	braid_store_close(s);
}
