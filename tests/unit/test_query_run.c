/*
 * The cohort language and rules run against a tiny store built here with
 * the store API (three sources, five people, hand-placed events), each
 * construct checked against an answer computed by hand; plus suppression,
 * rendering and the policy check with its audit entry.
 */
#include "test.h"
#include "braid/pindex.h"
#include "braid/policy.h"
#include "braid/query.h"
#include "braid/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char jail_spec[] =
	"source: jail\nkind: person\nid: ID\nrows: event\nfields:\n  sex: SEX\n  race: RACE\n"
	"  zip: ZIP\n  dob: DOB\nevents:\n  - type: jail_booking\n    start: BOOK\n"
	"    end: REL\n    program: PROG\n";
static const char hmis_spec[] =
	"source: hmis\nkind: person\nid: ID\nrows: event\nfields:\n  race: RACE\n  zip: ZIP\n"
	"events:\n  - type: shelter_stay\n    start: IN\n    end: OUT\n";
static const char bh_spec[] =
	"source: bh\nkind: person\nid: ID\nrows: event\nfields:\n  zip: ZIP\n"
	"events:\n  - type: mh_service\n    start: SVC\n    program: CODE\n";

struct fx {
	struct braid_store *s;
	int64_t src[3], batch[3];
	int64_t keys[32];
	uint32_t cl[32];
	size_t n;
};

/* A record of person `person` in source i (0 jail, 1 hmis, 2 bh). */
static int64_t rec(struct fx *f, int i, uint32_t person, const char *sex, const char *race,
		   const char *zip, int by)
{
	struct braid_err e;
	struct braid_record_row r = {.source_id = f->src[i], .batch_id = f->batch[i], .row = (int64_t)f->n + 1,
				     .sex = sex, .race = race, .ethnicity = "", .zip5 = zip,
				     .birth_year = by, .rid_hash = (int64_t)f->n + 100};
	int64_t k;
	if (braid_store_record_add(f->s, &r, &k, &e))
		TEST_FAIL_("record_add: %s", e.msg);
	f->keys[f->n] = k;
	f->cl[f->n++] = person;
	return k;
}

static void ev(struct fx *f, int64_t key, int i, const char *type, const char *start, const char *end,
	       const char *program)
{
	struct braid_err e;
	struct braid_event_row r = {.record_key = key, .batch_id = f->batch[i], .type = type,
				    .start = start, .end = end, .program = program};
	if (braid_store_event_add(f->s, &r, &e))
		TEST_FAIL_("event_add: %s", e.msg);
}

/*
 * The people (person number = cluster):
 *  0 A  black/black/white records, zip 19104, born 1980, F:
 *       jail 2020-06-30..2020-07-10 (REENTRY); shelter 2020-03-01..03-10; mh 2020-05-01
 *  1 B  jail 2020-06-30; shelter 2019-01-01..01-10 (too early); mh 2020-06-01; born 2001, M
 *  2 C  jail 2021-01-01..01-05 (NONE) and 2022-01-01 (no program), two records;
 *       shelter open since 2019-01-01;
 *       mh 2020-12-31; born 1990, M, white, zip 19133
 *  3 D  jail 2020-06-30; shelter 2020-06-15..2020-07-20; mh 2020-07-15 (after); born 1975
 *  4 E  mh 2020-01-01 only
 */
static void build(struct fx *f)
{
	memset(f, 0, sizeof *f);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	unsetenv("BRAID_KEY_FILE");
	struct braid_err e;
	if (braid_workspace_init(dir, &e) || braid_store_open(dir, &f->s, &e))
		TEST_FAIL_("workspace: %s", e.msg);
	const char *names[3] = {"jail", "hmis", "bh"}, *specs[3] = {jail_spec, hmis_spec, bh_spec};
	if (braid_store_begin(f->s, &e))
		TEST_FAIL_("begin: %s", e.msg);
	for (int i = 0; i < 3; i++) {
		if (braid_store_source_add(f->s, names[i], specs[i], &f->src[i], &e))
			TEST_FAIL_("source_add: %s", e.msg);
		struct braid_batch b = {.source_id = f->src[i], .file = names[i], .content_hash = names[i]};
		if (braid_store_batch_begin(f->s, &b, &e))
			TEST_FAIL_("batch: %s", e.msg);
		f->batch[i] = b.id;
	}
	int64_t k;
	/* A */
	k = rec(f, 0, 0, "F", "black", "19104", 1980);
	ev(f, k, 0, "jail_booking", "2020-06-30", "2020-07-10", "REENTRY");
	k = rec(f, 1, 0, "", "black", "19104", 0);
	ev(f, k, 1, "shelter_stay", "2020-03-01", "2020-03-10", NULL);
	k = rec(f, 2, 0, "", "white", "19104", 0);
	ev(f, k, 2, "mh_service", "2020-05-01", NULL, "H0004");
	/* B */
	k = rec(f, 0, 1, "M", "white", "19104", 2001);
	ev(f, k, 0, "jail_booking", "2020-06-30", NULL, NULL);
	k = rec(f, 1, 1, "", "white", "19104", 0);
	ev(f, k, 1, "shelter_stay", "2019-01-01", "2019-01-10", NULL);
	k = rec(f, 2, 1, "", "", "19104", 0);
	ev(f, k, 2, "mh_service", "2020-06-01", NULL, "H0031");
	/* C: two jail records (two bookings) */
	k = rec(f, 0, 2, "M", "white", "19133", 1990);
	ev(f, k, 0, "jail_booking", "2021-01-01", "2021-01-05", "NONE");
	k = rec(f, 0, 2, "M", "white", "19133", 1990);
	ev(f, k, 0, "jail_booking", "2022-01-01", NULL, NULL);
	k = rec(f, 1, 2, "", "white", "19133", 0);
	ev(f, k, 1, "shelter_stay", "2019-01-01", NULL, NULL);
	k = rec(f, 2, 2, "", "", "19133", 0);
	ev(f, k, 2, "mh_service", "2020-12-31", NULL, "H0004");
	/* D */
	k = rec(f, 0, 3, "F", "asian", "19133", 1975);
	ev(f, k, 0, "jail_booking", "2020-06-30", NULL, NULL);
	k = rec(f, 1, 3, "", "asian", "19133", 0);
	ev(f, k, 1, "shelter_stay", "2020-06-15", "2020-07-20", NULL);
	k = rec(f, 2, 3, "", "", "19133", 0);
	ev(f, k, 2, "mh_service", "2020-07-15", NULL, "H0004");
	/* E */
	k = rec(f, 2, 4, "", "", "19140", 0);
	ev(f, k, 2, "mh_service", "2020-01-01", NULL, "H0004");
	struct braid_pindex_stats st;
	if (braid_pindex_schema(f->s, &e) ||
	    braid_pindex_apply(f->s, f->keys, f->cl, f->n, "test", &st, &e) || braid_store_commit(f->s, &e))
		TEST_FAIL_("pindex: %s", e.msg);
	if (braid_query_prepare_store(f->s, &e))
		TEST_FAIL_("prepare: %s", e.msg);
}

static struct braid_qplan *plan_of(struct fx *f, const char *text)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_query *q = NULL;
	struct braid_qcatalog *c = NULL;
	struct braid_qplan *p = NULL;
	if (braid_query_parse(text, strlen(text), "t", &q, &e) || braid_qcatalog_load(f->s, &c, &e) ||
	    braid_query_compile(q, c, &p, &e))
		TEST_FAIL_("plan: %ld:%ld: %s", e.line, e.column, e.msg);
	braid_query_free(q);
	braid_qcatalog_free(c);
	return p;
}

struct rows {
	int n;
	char first[8][64]; /* first columns */
	char dim[8][64];   /* third column */
};
static int on_row(void *ctx, int nc, const char *const *names, const char *const *vals)
{
	(void)names;
	struct rows *r = ctx;
	if (r->n < 8) {
		snprintf(r->first[r->n], 64, "%s|%s", vals[0], nc > 1 ? vals[1] : "");
		snprintf(r->dim[r->n], 64, "%s", nc > 2 ? vals[2] : "");
	}
	r->n++;
	return 0;
}

static struct rows run(struct fx *f, const char *text)
{
	struct braid_qplan *p = plan_of(f, text);
	struct rows r;
	memset(&r, 0, sizeof r);
	struct braid_err e;
	int64_t n;
	if (braid_qplan_rows(f->s, p, on_row, &r, &n, &e))
		TEST_FAIL_("run: %s\n%s", e.msg, braid_qplan_sql(p));
	ASSERT_EQ(n, r.n);
	braid_qplan_free(p);
	return r;
}

/* Index dates of the rows, joined: "2020-06-30,2021-01-01". */
static void dates(const struct rows *r, char *out, size_t n)
{
	out[0] = 0;
	size_t len = 0;
	for (int i = 0; i < r->n && i < 8; i++) {
		const char *d = strchr(r->first[i], '|');
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "", d ? d + 1 : "");
		if (len >= n)
			break;
	}
}

TEST(query_two_prior_windows)
{
	struct fx f;
	build(&f);
	/* A (shelter and mh in the 180 days) and C (open shelter spell, mh
	 * the day before); B's shelter is too early, D's mh comes after. */
	struct rows r = run(&f, "index event jail_booking\n"
				"require event shelter_stay within 180 days before\n"
				"require event mh_service within 180 days before\n");
	ASSERT_EQ(r.n, 2);
	char d[256];
	dates(&r, d, sizeof d);
	/* Rows are ordered by (random) person id: compare as a set. */
	ASSERT(!strcmp(d, "2020-06-30,2021-01-01") || !strcmp(d, "2021-01-01,2020-06-30"));
	braid_store_close(f.s);
}

TEST(query_window_after_and_months)
{
	struct fx f;
	build(&f);
	struct rows r = run(&f, "index event jail_booking\nrequire event mh_service within 30 days after\n");
	ASSERT_EQ(r.n, 1); /* D: mh 15 days after */
	r = run(&f, "index event jail_booking\nrequire event mh_service within 1 month after\n");
	ASSERT_EQ(r.n, 1);
	r = run(&f, "index event jail_booking\nrequire event mh_service within 14 days after\n");
	ASSERT_EQ(r.n, 0);
	r = run(&f, "index event jail_booking\nrequire event mh_service within 2 days around\n");
	ASSERT_EQ(r.n, 1); /* C: mh one day before its first booking */
	braid_store_close(f.s);
}

TEST(query_same_type_window_excludes_the_index_event_itself)
{
	struct fx f;
	build(&f);
	/* Only C's second booking has another booking in the year before. */
	struct rows r = run(&f, "index event jail_booking\nrequire event jail_booking within 365 days before\n");
	ASSERT_EQ(r.n, 1);
	ASSERT(strstr(r.first[0], "|2022-01-01"));
	/* Excluding a prior booking keeps everyone at their first booking. */
	r = run(&f, "index event jail_booking\nexclude event jail_booking within 365 days before\n");
	ASSERT_EQ(r.n, 4);
	braid_store_close(f.s);
}

TEST(query_during_an_index_spell)
{
	struct fx f;
	build(&f);
	/* mh during a shelter stay: C (open spell) and D (07-15 in 06-15..07-20). */
	struct rows r = run(&f, "index event shelter_stay\nrequire event mh_service during\n");
	ASSERT_EQ(r.n, 2);
	r = run(&f, "index event shelter_stay\nexclude event mh_service during\n");
	ASSERT_EQ(r.n, 2); /* A and B */
	braid_store_close(f.s);
}

TEST(query_ever_before_after)
{
	struct fx f;
	build(&f);
	ASSERT_EQ(run(&f, "index event mh_service\nexclude event jail_booking ever\n").n, 1); /* E */
	ASSERT_EQ(run(&f, "index event jail_booking\nrequire event mh_service after\n").n, 1); /* D */
	ASSERT_EQ(run(&f, "index event jail_booking\nrequire event shelter_stay before\n").n, 4);
	braid_store_close(f.s);
}

TEST(query_index_filters_and_definitions)
{
	struct fx f;
	build(&f);
	ASSERT_EQ(run(&f, "index event jail_booking where program = \"REENTRY\"\n").n, 1);
	ASSERT_EQ(run(&f, "index event jail_booking where program != \"REENTRY\"\n").n, 3); /* B, C, D */
	ASSERT_EQ(run(&f, "index event jail_booking where start between 2021-01-01 and 2022-12-31\n").n, 1);
	ASSERT_EQ(run(&f, "define bh = event mh_service where program in (\"H0031\")\n"
			  "index event jail_booking\nrequire bh within 60 days before\n").n, 1); /* B */
	/* A definition with two alternatives: either one counts. */
	ASSERT_EQ(run(&f, "define any = event mh_service or event shelter_stay\n"
			  "index event jail_booking\nrequire any within 20 days before\n").n, 2); /* C, D */
	/* A bare name that is not a definition is an event type. */
	/* C's first booking (open shelter) and D's (a booking without a
	 * release date is an open spell: the shelter stay overlaps it). */
	ASSERT_EQ(run(&f, "index jail_booking\nrequire shelter_stay during\n").n, 2);
	braid_store_close(f.s);
}

TEST(query_person_attributes_use_the_most_common_value)
{
	struct fx f;
	build(&f);
	/* A's records say black, black, white: black. */
	struct rows r = run(&f, "index event jail_booking where program = \"REENTRY\"\ncount persons by race\n");
	ASSERT_EQ(r.n, 1);
	ASSERT_STR_EQ(r.dim[0], "black");
	/* Ages at the index date: A 40, B 19, C 31, D 45. */
	ASSERT_EQ(run(&f, "index event jail_booking\nwhere age >= 40\n").n, 2);
	ASSERT_EQ(run(&f, "index event jail_booking where age < 20\n").n, 1);
	ASSERT_EQ(run(&f, "index event jail_booking\nwhere sex = \"M\" and zip = \"19133\"\n").n, 1);
	ASSERT_EQ(run(&f, "index event jail_booking\nwhere race not in (\"white\")\n").n, 2);
	r = run(&f, "index event jail_booking where sex = \"M\" and zip = \"19104\"\ncount persons by age_band\n");
	ASSERT_EQ(r.n, 1);
	ASSERT_STR_EQ(r.dim[0], "18-24");
	braid_store_close(f.s);
}

TEST(query_counts_total_breakdowns_and_suppression)
{
	struct fx f;
	build(&f);
	struct braid_qplan *p = plan_of(&f, "index event jail_booking\ncount persons by zip, sex\n");
	struct braid_qcounts *c;
	struct braid_err e;
	ASSERT_EQ(braid_qplan_counts(f.s, p, 2, &c, &e), BRAID_OK);
	ASSERT_STR_EQ(c->scalars[0].name, "total");
	ASSERT_EQ(c->scalars[0].count, 4);
	ASSERT_EQ(c->ntables, 3); /* zip, sex, zip_sex */
	ASSERT_STR_EQ(c->tables[0].name, "zip");
	ASSERT_EQ(c->tables[0].ncells, 2);
	ASSERT_EQ(c->tables[0].cells[0].count, 2); /* 19104: A, B */
	ASSERT_STR_EQ(c->tables[2].name, "zip_sex");
	/* zip_sex cells are all 1: suppressed below 2. */
	for (size_t i = 0; i < c->tables[2].ncells; i++)
		ASSERT_EQ(c->tables[2].cells[i].count, -1);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_qcounts_render(c, BRAID_QFMT_JSON, &b), BRAID_OK);
	ASSERT(strstr(b.data, "\"total\": 4"));
	ASSERT(strstr(b.data, "\"count\": null"));
	braid_buf_reset(&b);
	ASSERT_EQ(braid_qcounts_render(c, BRAID_QFMT_CSV, &b), BRAID_OK);
	ASSERT(strstr(b.data, "zip_sex,19104,F,<2"));
	braid_buf_release(&b);
	braid_qcounts_free(c);
	/* A total below the minimum is suppressed too. */
	ASSERT_EQ(braid_qplan_counts(f.s, p, 5, &c, &e), BRAID_OK);
	ASSERT_EQ(c->scalars[0].count, -1);
	braid_qcounts_free(c);
	braid_qplan_free(p);
	braid_store_close(f.s);
}

TEST(query_plan_names_sources_and_fields)
{
	struct fx f;
	build(&f);
	struct braid_qplan *p = plan_of(&f, "index event jail_booking\nrequire event mh_service within 9 days before\n"
					    "count persons by race\n");
	const char *const *s;
	ASSERT_EQ(braid_qplan_sources(p, &s), 2);
	ASSERT_STR_EQ(s[0], "bh");
	ASSERT_STR_EQ(s[1], "jail");
	const struct braid_field_ref *fl;
	size_t n = braid_qplan_fields(p, &fl);
	int race_jail = 0, race_bh = 0, mh = 0;
	for (size_t i = 0; i < n; i++) {
		race_jail |= !strcmp(fl[i].source, "jail") && !strcmp(fl[i].field, "race");
		race_bh |= !strcmp(fl[i].source, "bh") && !strcmp(fl[i].field, "race");
		mh |= !strcmp(fl[i].source, "bh") && !strcmp(fl[i].field, "mh_service");
	}
	ASSERT(race_jail && mh);
	ASSERT(!race_bh); /* bh maps no race */
	/* --explain shows SQL joined through the person index. */
	ASSERT(strstr(braid_qplan_sql(p), "JOIN person_record"));
	braid_qplan_free(p);
	braid_store_close(f.s);
}

TEST(query_unknown_event_type_suggests_nearest)
{
	struct fx f;
	build(&f);
	struct braid_err e;
	struct braid_query *q = NULL;
	struct braid_qcatalog *c = NULL;
	struct braid_qplan *p = NULL;
	const char *t = "index event jail_booking\nrequire event shelter_sty ever\n";
	ASSERT_EQ(braid_query_parse(t, strlen(t), "t.cohort", &q, &e), BRAID_OK);
	ASSERT_EQ(braid_qcatalog_load(f.s, &c, &e), BRAID_OK);
	ASSERT_EQ(braid_qcatalog_count(c), 3);
	ASSERT_EQ(braid_query_compile(q, c, &p, &e), BRAID_EPARSE);
	ASSERT(p == NULL);
	ASSERT_EQ(e.line, 2);
	ASSERT_EQ(e.column, 15);
	ASSERT_STR_EQ(e.file, "t.cohort");
	ASSERT(strstr(e.msg, "did you mean 'shelter_stay'"));
	braid_query_free(q);
	braid_qcatalog_free(c);
	braid_store_close(f.s);
}

static struct braid_qplan *rules_plan(struct fx *f, const char *text, const char *prog, const char *as_of)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_query *q = NULL;
	struct braid_qcatalog *c = NULL;
	struct braid_qplan *p = NULL;
	if (braid_rules_parse(text, strlen(text), "r", &q, &e) || braid_qcatalog_load(f->s, &c, &e) ||
	    braid_rules_compile(q, c, prog, as_of, &p, &e))
		TEST_FAIL_("rules: %ld:%ld: %s", e.line, e.column, e.msg);
	braid_query_free(q);
	braid_qcatalog_free(c);
	return p;
}

static int64_t scalar(const struct braid_qcounts *c, const char *name)
{
	for (size_t i = 0; i < c->nscalars; i++)
		if (!strcmp(c->scalars[i].name, name))
			return c->scalars[i].count;
	TEST_FAIL_("no scalar %s", name);
}

TEST(rules_gaps_eligible_not_enrolled)
{
	struct fx f;
	build(&f);
	/* At 2020-12-31: mh within 365 days: A, B, C, D, E (mh 2020-01-01
	 * is 365 days before).  Enrolled = in a shelter spell that day: C
	 * (open).  Gap 4, rate 1/5. */
	const char *t = "program p:\n eligible if enrolled(event mh_service, within 365 days);\n"
			" enrolled if enrolled(event shelter_stay);\n";
	struct braid_qplan *p = rules_plan(&f, t, "p", "2020-12-31");
	struct braid_qcounts *c;
	struct braid_err e;
	ASSERT_EQ(braid_gaps_run(f.s, p, 1, &c, &e), BRAID_OK);
	ASSERT_EQ(scalar(c, "eligible"), 5);
	ASSERT_EQ(scalar(c, "eligible_enrolled"), 1);
	ASSERT_EQ(scalar(c, "gap"), 4);
	ASSERT_NEAR(c->scalars[4].rate, 0.2, 1e-9);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	static const char *const names[] = {"person_id", "zip"};
	int64_t n;
	ASSERT_EQ(braid_query_rows_render(f.s, BRAID_GAPS_ROWS_SQL, names, 2, BRAID_QFMT_CSV, &b, &n, &e),
		  BRAID_OK);
	ASSERT_EQ(n, 4);
	ASSERT(!strncmp(b.data, "person_id,zip\nP", 15));
	braid_buf_release(&b);
	braid_qcounts_free(c);
	braid_gaps_clear(f.s);
	/* A rate over a small denominator is suppressed. */
	ASSERT_EQ(braid_gaps_run(f.s, p, 11, &c, &e), BRAID_OK);
	ASSERT(isnan(c->scalars[4].rate));
	braid_qcounts_free(c);
	braid_gaps_clear(f.s);
	braid_qplan_free(p);
	braid_store_close(f.s);
}

TEST(rules_windows_latest_not_and_person)
{
	struct fx f;
	build(&f);
	struct braid_qcounts *c;
	struct braid_err e;
	/* within 180 days of 2020-12-31: C (12-31) and D (07-15); without a
	 * window a point event counts when on or before the date (all five);
	 * "not" among them; latest program; age. */
	static const struct {
		const char *cond;
		int64_t eligible;
	} cases[] = {
		{"enrolled(event mh_service, within 180 days)", 2},
		{"enrolled(event mh_service)", 5},
		{"enrolled(event mh_service) and not enrolled(event mh_service, within 180 days)", 3},
		{"latest(event mh_service) = \"H0031\"", 1},
		{"latest(event mh_service) not in (\"H0031\")", 4},
		{"enrolled(event jail_booking, ever) and age >= 40", 2},
		/* C is M in 19133 but booked only after the date: A and D. */
		{"enrolled(event jail_booking, ever) and (sex = \"F\" or zip = \"19133\")", 2},
		{"enrolled(event jail_booking, ever) and (sex = \"M\" or zip = \"19133\")", 2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char t[512];
		snprintf(t, sizeof t, "program p: eligible if %s; enrolled if enrolled(event shelter_stay);\n",
			 cases[i].cond);
		struct braid_qplan *p = rules_plan(&f, t, "p", "2020-12-31");
		ASSERT_EQ(braid_gaps_run(f.s, p, 1, &c, &e), BRAID_OK);
		if (scalar(c, "eligible") != cases[i].eligible)
			TEST_FAIL_("%s: eligible %lld, expected %lld", cases[i].cond,
				   (long long)scalar(c, "eligible"), (long long)cases[i].eligible);
		braid_qcounts_free(c);
		braid_gaps_clear(f.s);
		braid_qplan_free(p);
	}
	braid_store_close(f.s);
}

TEST(rules_latest_is_over_all_of_a_persons_records)
{
	struct fx f;
	build(&f);
	struct braid_qcounts *c;
	struct braid_err e;
	/* C's two jail records: the 2021 booking says NONE, the 2022 one
	 * (the other record) has no program. */
	static const struct {
		const char *cond, *as_of;
		int64_t eligible;
	} cases[] = {
		{"latest(event jail_booking) = \"NONE\"", "2021-06-30", 1},
		{"latest(event jail_booking) = \"NONE\"", "2022-12-31", 0},
		{"latest(event jail_booking) not in (\"NONE\")", "2022-12-31", 4},
		{"latest(event jail_booking) in (\"REENTRY\", \"NONE\")", "2021-06-30", 2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char t[512];
		snprintf(t, sizeof t, "program p: eligible if %s; enrolled if enrolled(event shelter_stay);\n",
			 cases[i].cond);
		struct braid_qplan *p = rules_plan(&f, t, "p", cases[i].as_of);
		ASSERT_EQ(braid_gaps_run(f.s, p, 1, &c, &e), BRAID_OK);
		if (scalar(c, "eligible") != cases[i].eligible)
			TEST_FAIL_("%s at %s: eligible %lld, expected %lld", cases[i].cond, cases[i].as_of,
				   (long long)scalar(c, "eligible"), (long long)cases[i].eligible);
		braid_qcounts_free(c);
		braid_gaps_clear(f.s);
		braid_qplan_free(p);
	}
	braid_store_close(f.s);
}

TEST(rules_unknown_program_suggests)
{
	struct fx f;
	build(&f);
	struct braid_err e;
	struct braid_query *q = NULL;
	struct braid_qcatalog *c = NULL;
	struct braid_qplan *p = NULL;
	const char *t = "program water_assistance: eligible if has(event mh_service); enrolled if has(event x);\n";
	ASSERT_EQ(braid_rules_parse(t, strlen(t), "r", &q, &e), BRAID_OK);
	ASSERT_EQ(braid_qcatalog_load(f.s, &c, &e), BRAID_OK);
	ASSERT_EQ(braid_rules_compile(q, c, "water_asistance", "2020-01-01", &p, &e), BRAID_ENOTFOUND);
	ASSERT(strstr(e.msg, "did you mean 'water_assistance'"));
	/* The unknown type x is reported at its position. */
	ASSERT_EQ(braid_rules_compile(q, c, "water_assistance", "2020-01-01", &p, &e), BRAID_EPARSE);
	ASSERT_EQ(e.column, 84);
	braid_query_free(q);
	braid_qcatalog_free(c);
	braid_store_close(f.s);
}

struct audit_seen {
	int deny_counts;
};
static int on_audit(void *ctx, const struct braid_audit_entry *a)
{
	struct audit_seen *s = ctx;
	if (!strcmp(a->action, "query-counts") && !strcmp(a->decision, "deny"))
		s->deny_counts++;
	return 0;
}

TEST(query_without_agreement_is_denied_and_audited)
{
	struct fx f;
	build(&f);
	struct braid_err e;
	struct braid_policy *pol;
	char key[BRAID_KEY_LEN + 1];
	ASSERT_EQ(braid_policy_bootstrap(f.s, "root", key, &e), BRAID_OK);
	ASSERT_EQ(braid_policy_open(f.s, &pol, &e), BRAID_OK);
	struct braid_user root, ann = {.name = "ann", .role = BRAID_ROLE_ANALYST};
	ASSERT_EQ(braid_policy_user_get(pol, "root", &root, &e), BRAID_OK);
	ASSERT_EQ(braid_policy_user_add(pol, &root, &ann, key, &e), BRAID_OK);
	struct braid_qplan *p = plan_of(&f, "index event jail_booking\ncount persons by race\n");
	struct braid_request req;
	braid_qplan_request(p, BRAID_ACT_QUERY_COUNTS, "research", "index event jail_booking", &req);
	struct braid_decision d;
	ASSERT_EQ(braid_policy_authorize(pol, &ann, &req, &d, &e), BRAID_EDENIED);
	ASSERT_EQ(d.allowed, 0);
	struct audit_seen seen = {0};
	ASSERT_EQ(braid_policy_audit_iter(pol, "ann", NULL, on_audit, &seen, &e), BRAID_OK);
	ASSERT_EQ(seen.deny_counts, 1);

	/* With an aggregate agreement covering jail's fields: allowed. */
	const char *ag =
		"id: t-agg\ntitle: t\nstatus: active\nparties: [a]\npurposes: [research]\n"
		"legal_basis:\n  - regime: STATE\n    citation: \"x\"\n"
		"sources:\n  jail: [jail_booking, start, race]\nuse: aggregate\ncovers:\n  roles: [analyst]\n"
		"min_cell_size: 5\nstart: 2020-01-01\nend: 2099-12-31\ndestruction:\n  what: [exports]\n"
		"  within_days: 0\nsummary: t\n";
	ASSERT_EQ(braid_policy_agreement_add(pol, &root, ag, strlen(ag), "ag", &e), BRAID_OK);
	ASSERT_EQ(braid_policy_authorize(pol, &ann, &req, &d, &e), BRAID_OK);
	ASSERT_EQ(d.min_cell_size, 5);
	/* Rows need linked-row use: still denied. */
	braid_qplan_request(p, BRAID_ACT_QUERY_ROWS, "research", "x", &req);
	ASSERT_EQ(braid_policy_authorize(pol, &ann, &req, &d, &e), BRAID_EDENIED);
	braid_qplan_free(p);
	braid_policy_close(pol);
	braid_store_close(f.s);
}
