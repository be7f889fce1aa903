/*
 * The fast form of rules plans (braid_rules_materialize: flag words per
 * person in C) against the plan's own SQL (braid_qplan_materialize) on a
 * generated store: several hundred people with benefit spells, water
 * statuses (ties on one date included), grants and assistance spells,
 * some records unlinked, people with several records and ZIPs.  Every
 * program must give exactly the same rows (person, eligible, enrolled,
 * ZIP).  It does not check the answers themselves (test_query_run.c does,
 * by hand) — only that both paths agree and that the fast one ran.
 */
#include "test.h"
#include "braid/pindex.h"
#include "braid/query.h"
#include "braid/store.h"
#include "../../src/query/query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[4] = {"dhs", "water", "liheap", "tap"};
static const char *const specs[4] = {
	"source: dhs\nkind: person\nid: ID\nrows: event\nfields:\n  race: RACE\n  zip: ZIP\n"
	"  dob: DOB\nevents:\n  - type: benefit_enrollment\n    start: A\n    end: B\n    program: P\n",
	"source: water\nkind: account\nid: ID\nrows: event\nfields:\n  zip: ZIP\n"
	"events:\n  - type: water_status\n    start: S\n    program: P\n",
	"source: liheap\nkind: person\nid: ID\nfields:\n  zip: ZIP\nevents:\n  - type: liheap_grant\n"
	"    start: S\n",
	"source: tap\nkind: person\nid: ID\nfields:\n  zip: ZIP\nevents:\n  - type: water_assistance\n"
	"    start: A\n    end: B\n",
};

struct gen {
	struct braid_store *s;
	int64_t src[4], batch[4];
	int64_t *keys;
	uint32_t *cl;
	size_t n, cap;
	uint64_t rng;
};

static int uni(struct gen *g, int n)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (int)(g->rng % (uint64_t)n);
}

/* A date 2019-01-01 + d days, months of 28 days so every one is valid. */
static void day(char out[11], int d)
{
	unsigned u = (unsigned)d % 3360u;
	snprintf(out, 11, "%04u-%02u-%02u", 2019u + u / 336u, 1u + u % 336u / 28u, 1u + u % 28u);
}

static int64_t rec(struct gen *g, int i, uint32_t person, int linked)
{
	static const char *const zips[] = {"19104", "19133", "19140", ""};
	struct braid_err e;
	struct braid_record_row r = {.source_id = g->src[i], .batch_id = g->batch[i], .row = (int64_t)g->n + 1,
				     .sex = "", .race = "", .ethnicity = "", .zip5 = zips[uni(g, 4)],
				     .birth_year = 0, .rid_hash = (int64_t)g->n + 7};
	int64_t k;
	if (braid_store_record_add(g->s, &r, &k, &e))
		TEST_FAIL_("record_add: %s", e.msg);
	if (linked) {
		if (g->n == g->cap) {
			g->cap = g->cap ? 2 * g->cap : 256;
			g->keys = realloc(g->keys, g->cap * sizeof *g->keys);
			g->cl = realloc(g->cl, g->cap * sizeof *g->cl);
			ASSERT(g->keys && g->cl);
		}
		g->keys[g->n] = k;
		/* Cluster numbers scrambled so person-id order is not record order. */
		g->cl[g->n++] = (person * 7919u) % 100003u;
	}
	return k;
}

static void ev(struct gen *g, int64_t key, int i, const char *type, int d0, int len, const char *program)
{
	char a[11], b[11];
	day(a, d0);
	day(b, d0 + (len > 0 ? len : 0));
	struct braid_err e;
	struct braid_event_row r = {.record_key = key, .batch_id = g->batch[i], .type = type, .start = a,
				    .end = len >= 0 ? b : NULL, .program = program};
	if (braid_store_event_add(g->s, &r, &e))
		TEST_FAIL_("event_add: %s", e.msg);
}

static void generate(struct gen *g, int people)
{
	memset(g, 0, sizeof *g);
	g->rng = 0x2545F4914F6CDD1Dull;
	char dir[512];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	unsetenv("BRAID_KEY_FILE");
	struct braid_err e;
	if (braid_workspace_init(dir, &e) || braid_store_open(dir, &g->s, &e) || braid_store_begin(g->s, &e))
		TEST_FAIL_("workspace: %s", e.msg);
	for (int i = 0; i < 4; i++) {
		if (braid_store_source_add(g->s, names[i], specs[i], &g->src[i], &e))
			TEST_FAIL_("source_add: %s", e.msg);
		struct braid_batch b = {.source_id = g->src[i], .file = names[i], .content_hash = names[i]};
		if (braid_store_batch_begin(g->s, &b, &e))
			TEST_FAIL_("batch: %s", e.msg);
		g->batch[i] = b.id;
	}
	static const char *const st[] = {"CURRENT", "ARREARS", "SHUTOFF_NOTICE", "CLOSED", ""};
	for (int p = 0; p < people; p++) {
		int linked = uni(g, 20) != 0; /* some records belong to nobody */
		for (int n = uni(g, 3); n > 0; n--) {
			int64_t k = rec(g, 0, (uint32_t)p, linked);
			int d = uni(g, 800);
			for (int m = 1 + uni(g, 3); m > 0; m--) {
				int len = uni(g, 5) ? 30 + uni(g, 400) : -1; /* some spells still open */
				ev(g, k, 0, "benefit_enrollment", d, len, uni(g, 2) ? "SNAP" : "MA");
				d += (len > 0 ? len : 0) + uni(g, 200);
			}
		}
		for (int n = uni(g, 5) == 0 ? 2 : uni(g, 2); n > 0; n--) { /* some have two accounts */
			int64_t k = rec(g, 1, (uint32_t)p, linked);
			int d = uni(g, 400);
			for (int m = 1 + uni(g, 6); m > 0; m--) {
				ev(g, k, 1, "water_status", d, -1, st[uni(g, 5)]);
				if (!uni(g, 6)) /* a second status the same day */
					ev(g, k, 1, "water_status", d, -1, st[uni(g, 5)]);
				d += uni(g, 150);
			}
		}
		if (!uni(g, 4)) {
			int64_t k = rec(g, 2, (uint32_t)p, linked);
			for (int m = 1 + uni(g, 2); m > 0; m--)
				ev(g, k, 2, "liheap_grant", uni(g, 1100), -1, NULL);
		}
		if (!uni(g, 6)) {
			int64_t k = rec(g, 3, (uint32_t)p, linked);
			ev(g, k, 3, "water_assistance", uni(g, 1000), uni(g, 2) ? -1 : uni(g, 300), NULL);
		}
	}
	struct braid_pindex_stats ps;
	if (braid_pindex_schema(g->s, &e) || braid_pindex_apply(g->s, g->keys, g->cl, g->n, "test", &ps, &e) ||
	    braid_store_commit(g->s, &e) || braid_query_prepare_store(g->s, &e))
		TEST_FAIL_("pindex: %s", e.msg);
}

static int64_t count(struct braid_store *s, const char *sql)
{
	struct braid_err e;
	struct braid_stmt *st;
	int row;
	int64_t n = -1;
	if (braid_store_prepare(s, sql, &st, &e))
		TEST_FAIL_("prepare: %s", e.msg);
	if (!braid_stmt_step(st, &row, &e) && row)
		n = braid_stmt_int64(st, 0);
	braid_stmt_finalize(st);
	return n;
}

/* Both paths on one program; returns the rows with eligible set. */
static int64_t same_rows(struct gen *g, const char *text, const char *as_of, int fast)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_query *q = NULL;
	struct braid_qcatalog *c = NULL;
	struct braid_qplan *p = NULL;
	if (braid_rules_parse(text, strlen(text), "r", &q, &e) || braid_qcatalog_load(g->s, &c, &e) ||
	    braid_rules_compile(q, c, "p", as_of, &p, &e))
		TEST_FAIL_("rules: %ld:%ld: %s", e.line, e.column, e.msg);
	/* The parsed file goes first: the plan must not point into it. */
	braid_query_free(q);
	braid_qcatalog_free(c);
	if ((p->fast != NULL) != fast)
		TEST_FAIL_("%s: fast form %s", text, p->fast ? "used, not expected" : "missing");
	if (braid_qplan_materialize(g->s, p, "q_sql", &e) || braid_rules_materialize(g->s, p, "q_fast", &e))
		TEST_FAIL_("materialize: %s", e.msg);
	int64_t a = count(g->s, "SELECT count(*) FROM temp.q_sql"), b = count(g->s, "SELECT count(*) FROM temp.q_fast");
	int64_t d1 = count(g->s, "SELECT count(*) FROM (SELECT person_id, eligible, enrolled, zip FROM temp.q_sql"
				 " EXCEPT SELECT person_id, eligible, enrolled, zip FROM temp.q_fast)");
	int64_t d2 = count(g->s, "SELECT count(*) FROM (SELECT person_id, eligible, enrolled, zip FROM temp.q_fast"
				 " EXCEPT SELECT person_id, eligible, enrolled, zip FROM temp.q_sql)");
	/* Same order too: the outreach list is read in person-id order. */
	int64_t ordered = count(g->s, "SELECT count(*) FROM temp.q_fast a JOIN temp.q_fast b"
				      " ON b.rowid = a.rowid + 1 WHERE b.person_id <= a.person_id");
	int64_t el = count(g->s, "SELECT count(*) FROM temp.q_sql WHERE eligible AND NOT enrolled");
	if (a != b || d1 || d2 || ordered)
		TEST_FAIL_("%s at %s: SQL %lld rows, fast %lld; %lld only in SQL, %lld only fast, %lld out of order",
			   text, as_of, (long long)a, (long long)b, (long long)d1, (long long)d2, (long long)ordered);
	braid_store_exec(g->s, "DROP TABLE temp.q_sql; DROP TABLE temp.q_fast", NULL);
	braid_qplan_free(p);
	return el;
}

#define DEFS                                                                  \
	"define snap = event benefit_enrollment where program = \"SNAP\"\n" \
	"define medicaid = event benefit_enrollment where program = \"MA\"\n"

TEST(rules_fast_form_gives_the_rows_of_the_sql)
{
	struct gen g;
	generate(&g, 700);
	static const char *const progs[] = {
		/* the water-assistance example */
		DEFS "program p: eligible if (enrolled(snap, within 365 days) or enrolled(medicaid, within 365 days)"
		     " or enrolled(event liheap_grant, within 365 days)) and latest(event water_status) not in"
		     " (\"CLOSED\"); enrolled if enrolled(event water_assistance);\n",
		/* latest() alone decides: every account holder is looked up */
		DEFS "program p: eligible if latest(event water_status) in (\"ARREARS\", \"SHUTOFF_NOTICE\");"
		     " enrolled if enrolled(event water_assistance, ever);\n",
		/* not, =, !=, months and years windows */
		DEFS "program p: eligible if not enrolled(snap) and latest(event water_status) != \"CLOSED\";"
		     " enrolled if enrolled(event liheap_grant, within 2 years) or not enrolled(medicaid,"
		     " within 3 months);\n",
		/* two latest() tests, one over two event types */
		DEFS "program p: eligible if latest(event water_status) = \"CURRENT\" or"
		     " (enrolled(medicaid, ever) and latest(snap or event liheap_grant) not in (\"SNAP\"));"
		     " enrolled if not latest(event water_status) in (\"CLOSED\");\n",
		/* constant for the unscanned: only latest() says who is considered */
		DEFS "program p: eligible if not enrolled(snap, within 30 days);"
		     " enrolled if latest(event water_status) = \"X\" and enrolled(event water_assistance);\n",
	};
	static const char *const dates[] = {"2020-06-30", "2021-12-31"};
	int64_t listed = 0;
	for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++)
		for (size_t k = 0; k < 2; k++)
			listed += same_rows(&g, progs[i], dates[k], 1);
	ASSERT(listed > 200); /* the comparison was over real lists */
	/* A person attribute: the SQL does it all (and agrees with itself). */
	same_rows(&g, DEFS "program p: eligible if enrolled(snap) and zip = \"19104\";"
			   " enrolled if enrolled(event water_assistance);\n", "2021-12-31", 0);
	free(g.keys);
	free(g.cl);
	braid_store_close(g.s);
}
