/*
 * Query benchmark: a store of N people (default 1,000,000) with about ten
 * events each (10 M events), linked through person_record, then
 *  - the Allegheny query (jail bookings with a shelter stay and a
 *    mental-health service in the 180 days before: two prior-event
 *    windows), counted by race and ZIP;
 *  - the water-assistance gap list (eligible if SNAP or Medicaid or
 *    LIHEAP within 365 days and an open water account; enrolled if in
 *    TAP) over everyone, counts and the outreach list rendered as CSV;
 *    then the rules table once by the plan's SQL and once by the fast path
 *    (braid_rules_materialize), timed, and checked to be the same rows.
 * The store is generated once into DIR (kept for re-runs: DIR/.done) with
 * the store API; times are wall-clock, best and median of 5 runs, after
 * one cold run that is reported separately.
 *
 * usage: bench_query DIR [PEOPLE]
 */
#include "braid/pindex.h"
#include "braid/query.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static int chance(double p) { return (double)(next() % 1000000) < p * 1e6; }
static int uniform(int n) { return (int)(next() % (uint64_t)n); }

static void die(const char *what, const struct braid_err *e)
{
	fprintf(stderr, "bench_query: %s: %s\n", what, e->msg);
	exit(1);
}

/* A day between 2016-01-01 and 2024-12-31 as ISO text. */
static void day(char out[11], int offset)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 2016, m = 0;
	if (offset < 0)
		offset = 0;
	for (;;) {
		int ylen = (y % 4 == 0) ? 366 : 365;
		if (offset < ylen || y == 2024)
			break;
		offset -= ylen;
		y++;
	}
	for (;;) {
		int ml = mdays[m] + (m == 1 && y % 4 == 0);
		if (offset < ml || m == 11)
			break;
		offset -= ml;
		m++;
	}
	if (offset > 30)
		offset = 30;
	snprintf(out, 11, "%04d-%02d-%02d", y, m + 1, offset + 1);
}
#define DAYS 3287 /* 2016-01-01 .. 2024-12-31 */

struct src {
	const char *name, *spec;
	int64_t id, batch;
};
static struct src srcs[] = {
	{"jail", "source: jail\nkind: person\nid: ID\nrows: event\nfields:\n  sex: SEX\n  race: RACE\n"
		 "  zip: ZIP\n  dob: DOB\nevents:\n  - type: jail_booking\n    start: B\n    end: R\n", 0, 0},
	{"hmis", "source: hmis\nkind: person\nid: ID\nrows: event\nfields:\n  race: RACE\n  zip: ZIP\n"
		 "events:\n  - type: shelter_stay\n    start: A\n    end: B\n", 0, 0},
	{"bh", "source: bh\nkind: person\nid: ID\nrows: event\nfields:\n  zip: ZIP\n"
	       "events:\n  - type: mh_service\n    start: S\n    program: P\n", 0, 0},
	{"dhs", "source: dhs\nkind: person\nid: ID\nrows: event\nfields:\n  race: RACE\n  zip: ZIP\n"
		"  dob: DOB\nevents:\n  - type: benefit_enrollment\n    start: A\n    end: B\n    program: P\n", 0, 0},
	{"water", "source: water\nkind: account\nid: ID\nrows: event\nfields:\n  zip: ZIP\n"
		  "events:\n  - type: water_status\n    start: S\n    program: P\n", 0, 0},
	{"liheap", "source: liheap\nkind: person\nid: ID\nfields:\n  zip: ZIP\n"
		   "events:\n  - type: liheap_grant\n    start: S\n", 0, 0},
	{"tap", "source: tap\nkind: person\nid: ID\nfields:\n  zip: ZIP\n"
		"events:\n  - type: water_assistance\n    start: A\n    end: B\n", 0, 0},
	{"wages", "source: wages\nkind: person\nid: ID\nrows: event\nfields:\n  zip: ZIP\n"
		  "events:\n  - type: wages\n    start: Q\n    amount: W\n", 0, 0},
};
enum { JAIL, HMIS, BH, DHS, WATER, LIHEAP, TAP, WAGES, NSRC };

static struct braid_store *S;
static struct braid_stmt *pr_ins;
static int64_t nevents, nrecords;

static int64_t record(int s, int64_t person, const char *race, const char *zip, int by)
{
	struct braid_err e;
	struct braid_record_row r = {.source_id = srcs[s].id, .batch_id = srcs[s].batch, .row = nrecords + 1,
				     .sex = person & 1 ? "F" : "M", .race = race, .ethnicity = "",
				     .zip5 = zip, .birth_year = by, .rid_hash = nrecords + 1};
	int64_t k;
	if (braid_store_record_add(S, &r, &k, &e))
		die("record", &e);
	nrecords++;
	char pid[16];
	snprintf(pid, sizeof pid, "P%012lld", (long long)person);
	braid_stmt_reset(pr_ins);
	braid_stmt_bind_int64(pr_ins, 1, k);
	braid_stmt_bind_text(pr_ins, 2, pid, -1);
	int row;
	if (braid_stmt_step(pr_ins, &row, &e))
		die("person_record", &e);
	return k;
}

static void event(int s, int64_t key, const char *type, int d0, int len, const char *program)
{
	char a[11], b[11];
	day(a, d0);
	if (len >= 0)
		day(b, d0 + len);
	struct braid_err e;
	struct braid_event_row r = {.record_key = key, .batch_id = srcs[s].batch, .type = type, .start = a,
				    .end = len >= 0 ? b : NULL, .program = program};
	if (braid_store_event_add(S, &r, &e))
		die("event", &e);
	nevents++;
}

static void generate(const char *dir, long people)
{
	struct braid_err e;
	if (braid_workspace_init(dir, &e) || braid_store_open(dir, &S, &e))
		die("workspace", &e);
	if (braid_pindex_schema(S, &e) || braid_store_begin(S, &e))
		die("begin", &e);
	for (int i = 0; i < NSRC; i++) {
		if (braid_store_source_add(S, srcs[i].name, srcs[i].spec, &srcs[i].id, &e))
			die("source", &e);
		struct braid_batch b = {.source_id = srcs[i].id, .file = srcs[i].name, .content_hash = srcs[i].name};
		if (braid_store_batch_begin(S, &b, &e))
			die("batch", &e);
		srcs[i].batch = b.id;
	}
	if (braid_store_prepare(S, "INSERT INTO person_record(record_key, person_id) VALUES(?1, ?2)", &pr_ins, &e))
		die("prepare", &e);
	static const char *const races[] = {"black", "white", "asian", "other", "multiple"};
	double t0 = now();
	for (long p = 0; p < people; p++) {
		char zip[6];
		snprintf(zip, sizeof zip, "191%02d", uniform(55));
		const char *race = races[uniform(5)];
		int by = 1940 + uniform(65);
		if (chance(0.06)) { /* jail: 1-3 bookings */
			int64_t k = record(JAIL, p, race, zip, by);
			for (int n = 1 + uniform(3); n > 0; n--)
				event(JAIL, k, "jail_booking", uniform(DAYS), uniform(60), NULL);
		}
		if (chance(0.06)) {
			int64_t k = record(HMIS, p, race, zip, 0);
			for (int n = 1 + uniform(3); n > 0; n--)
				event(HMIS, k, "shelter_stay", uniform(DAYS), uniform(90), NULL);
		}
		if (chance(0.15)) {
			int64_t k = record(BH, p, "", zip, 0);
			int d = uniform(DAYS);
			for (int n = 4 + uniform(16); n > 0; n--)
				event(BH, k, "mh_service", d += uniform(30), -1, "H0004");
		}
		if (chance(0.6)) {
			int64_t k = record(DHS, p, race, zip, by);
			int d = uniform(DAYS / 2);
			for (int n = 2 + uniform(4); n > 0; n--) {
				int len = 60 + uniform(700);
				event(DHS, k, "benefit_enrollment", d, chance(0.1) ? -1 : len, chance(0.5) ? "SNAP" : "MA");
				d += len + uniform(200);
			}
		}
		if (chance(0.4)) {
			int64_t k = record(WATER, p, "", zip, 0);
			static const char *const st[] = {"CURRENT", "CURRENT", "ARREARS", "SHUTOFF_NOTICE",
							 "SHUT_OFF", "RESTORED", "CLOSED"};
			int d = uniform(DAYS / 3);
			for (int n = 6 + uniform(9); n > 0; n--)
				event(WATER, k, "water_status", d += 30 + uniform(150), -1, st[uniform(7)]);
		}
		if (chance(0.2)) {
			int64_t k = record(LIHEAP, p, "", zip, 0);
			for (int n = 1 + uniform(3); n > 0; n--)
				event(LIHEAP, k, "liheap_grant", uniform(DAYS), -1, NULL);
		}
		if (chance(0.05)) {
			int64_t k = record(TAP, p, "", zip, 0);
			event(TAP, k, "water_assistance", uniform(DAYS), chance(0.5) ? -1 : uniform(900), NULL);
		}
		if (chance(0.3)) {
			int64_t k = record(WAGES, p, "", zip, 0);
			int d = uniform(DAYS / 2);
			for (int n = 2 + uniform(6); n > 0; n--)
				event(WAGES, k, "wages", d += 91, -1, NULL);
		}
		if (p % 100000 == 99999)
			fprintf(stderr, "  %ld people, %lld records, %lld events (%.0f s)\n", p + 1,
				(long long)nrecords, (long long)nevents, now() - t0);
	}
	braid_stmt_finalize(pr_ins);
	if (braid_store_commit(S, &e))
		die("commit", &e);
	fprintf(stderr, "generated %ld people, %lld records, %lld events in %.1f s\n", people,
		(long long)nrecords, (long long)nevents, now() - t0);
	braid_store_close(S);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static const char allegheny[] =
	"define homeless = event shelter_stay\n"
	"define mental_health = event mh_service\n"
	"index event jail_booking\n"
	"require homeless within 180 days before\n"
	"require mental_health within 180 days before\n"
	"count persons by race, zip\n";
static const char rules[] =
	"define snap = event benefit_enrollment where program = \"SNAP\"\n"
	"define medicaid = event benefit_enrollment where program = \"MA\"\n"
	"program water_assistance:\n"
	"  eligible if (enrolled(snap, within 365 days) or enrolled(medicaid, within 365 days)\n"
	"               or enrolled(event liheap_grant, within 365 days))\n"
	"              and latest(event water_status) not in (\"CLOSED\");\n"
	"  enrolled if enrolled(event water_assistance);\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_query DIR [PEOPLE]\n");
		return 2;
	}
	const char *dir = argv[1];
	long people = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	char done[4096];
	snprintf(done, sizeof done, "%s/.done", dir);
	struct stat sb;
	if (stat(done, &sb)) {
		generate(dir, people);
		FILE *f = fopen(done, "w");
		if (f)
			fclose(f);
	}
	struct braid_err e;
	if (braid_store_open(dir, &S, &e))
		die("open", &e);
	double t = now();
	if (braid_query_prepare_store(S, &e))
		die("prepare_store", &e);
	printf("query indexes (created once, then kept): %.2f s\n", now() - t);
	struct braid_stmt *st;
	int row;
	if (!braid_store_prepare(S, "SELECT (SELECT count(*) FROM events), (SELECT count(DISTINCT person_id) FROM person_record)",
				 &st, &e) && !braid_stmt_step(st, &row, &e) && row)
		printf("store: %lld events, %lld people\n", (long long)braid_stmt_int64(st, 0),
		       (long long)braid_stmt_int64(st, 1));
	braid_stmt_finalize(st);

	struct braid_query *q, *r;
	struct braid_qcatalog *cat;
	struct braid_qplan *p, *rp;
	if (braid_query_parse(allegheny, strlen(allegheny), "allegheny", &q, &e) ||
	    braid_rules_parse(rules, strlen(rules), "rules", &r, &e) || braid_qcatalog_load(S, &cat, &e) ||
	    braid_query_compile(q, cat, &p, &e) ||
	    braid_rules_compile(r, cat, "water_assistance", "2024-12-31", &rp, &e))
		die("plan", &e);

	enum { RUNS = 5 };
	double ta[RUNS + 1], tg[RUNS + 1], ca[RUNS + 1], cg[RUNS + 1];
	int64_t total = 0, gap = 0, listed = 0;
	for (int i = 0; i <= RUNS; i++) {
		struct braid_qcounts *c;
		t = now();
		clock_t c0 = clock();
		if (braid_qplan_counts(S, p, 1, &c, &e))
			die("allegheny", &e);
		ta[i] = now() - t;
		ca[i] = (double)(clock() - c0) / CLOCKS_PER_SEC;
		total = c->scalars[0].count;
		braid_qcounts_free(c);

		t = now();
		c0 = clock();
		if (braid_gaps_run(S, rp, 1, &c, &e))
			die("gaps", &e);
		struct braid_buf b;
		braid_buf_init(&b, 0);
		static const char *const names[] = {"person_id", "zip"};
		if (braid_query_rows_render(S, BRAID_GAPS_ROWS_SQL, names, 2, BRAID_QFMT_CSV, &b, &listed, &e))
			die("gap list", &e);
		tg[i] = now() - t;
		cg[i] = (double)(clock() - c0) / CLOCKS_PER_SEC;
		for (size_t k = 0; k < c->nscalars; k++)
			if (!strcmp(c->scalars[k].name, "gap"))
				gap = c->scalars[k].count;
		braid_buf_release(&b);
		braid_qcounts_free(c);
		braid_gaps_clear(S);
	}
	printf("allegheny (2 prior windows, by race and zip): cold %.3f s, best %.3f s", ta[0],
	       (qsort(ta + 1, RUNS, sizeof *ta, cmp_d), ta[1]));
	printf(", median %.3f s; cohort %lld people\n", ta[1 + RUNS / 2], (long long)total);
	qsort(ca + 1, RUNS, sizeof *ca, cmp_d);
	printf("  cpu: cold %.3f s, best %.3f s, median %.3f s\n", ca[0], ca[1], ca[1 + RUNS / 2]);
	qsort(tg + 1, RUNS, sizeof *tg, cmp_d);
	qsort(cg + 1, RUNS, sizeof *cg, cmp_d);
	printf("water-assistance gaps (counts + outreach list CSV): cold %.3f s, best %.3f s, median %.3f s;"
	       " gap %lld people, %lld listed\n", tg[0], tg[1], tg[1 + RUNS / 2], (long long)gap,
	       (long long)listed);
	printf("  cpu: cold %.3f s, best %.3f s, median %.3f s\n", cg[0], cg[1], cg[1 + RUNS / 2]);
	/* The straightforward SQL of the same plan, once: its time, and that
	 * the fast path (braid_gaps_run -> braid_rules_materialize) gave
	 * exactly its rows. */
	t = now();
	clock_t c0 = clock();
	if (braid_qplan_materialize(S, rp, "q_sql", &e))
		die("rules sql", &e);
	double tsql = now() - t, csql = (double)(clock() - c0) / CLOCKS_PER_SEC;
	t = now();
	c0 = clock();
	if (braid_rules_materialize(S, rp, "q_fast", &e))
		die("rules fast", &e);
	double tfast = now() - t, cfast = (double)(clock() - c0) / CLOCKS_PER_SEC;
	int64_t diff = -1, rows = -1;
	if (!braid_store_prepare(S, "SELECT (SELECT count(*) FROM (SELECT * FROM temp.q_sql EXCEPT SELECT * FROM temp.q_fast))"
				    " + (SELECT count(*) FROM (SELECT * FROM temp.q_fast EXCEPT SELECT * FROM temp.q_sql)),"
				    " (SELECT count(*) FROM temp.q_sql)", &st, &e) &&
	    !braid_stmt_step(st, &row, &e) && row) {
		diff = braid_stmt_int64(st, 0);
		rows = braid_stmt_int64(st, 1);
	}
	braid_stmt_finalize(st);
	printf("rules table alone: plan SQL %.3f s (cpu %.3f), fast path %.3f s (cpu %.3f);"
	       " %lld rows, %lld differing\n", tsql, csql, tfast, cfast, (long long)rows, (long long)diff);
	braid_store_exec(S, "DROP TABLE temp.q_sql; DROP TABLE temp.q_fast", NULL);
	braid_qplan_free(p);
	braid_qplan_free(rp);
	braid_query_free(q);
	braid_query_free(r);
	braid_qcatalog_free(cat);
	braid_store_close(S);
	return 0;
}
