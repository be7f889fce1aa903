/*
 * Geography: loading places (counts, standardised streets, positioned
 * errors), the range lookup (parity, ranges, ZIP preference, lettered
 * numbers), the household key, geocoding at ingest and afterwards, and
 * tract / district in the cohort language, each against answers worked
 * out by hand from the small files below.
 */
#include "test.h"
#include "braid/geo.h"
#include "braid/ingest.h"
#include "braid/pindex.h"
#include "braid/query.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two streets; N BROAD ST has an odd and an even side and a second block
 * in another tract; MARKET ST crosses two ZIPs with the same range. */
static const char places_csv[] =
	"street,from,to,parity,zip5,tract,district\n"
	"North Broad Street,1,99,odd,19107,42101000100,Central\n"
	"N BROAD ST,2,98,even,19107,42101000200,Central\n"
	"N. Broad St.,101,199,odd,19123,42101000300,North\n"
	"MARKET ST,1,199,all,19106,42101000400,Central\n"
	"Market Street,1,199,all,19139,42101000500,West\n";

static const char *write_file(const char *name, const char *text)
{
	static char p[8][600];
	static int k;
	char *path = p[k++ % 8];
	snprintf(path, 600, "%s/%s", test_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	ASSERT(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct braid_store *open_ws(void)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	unsetenv("BRAID_KEY_FILE");
	struct braid_err e;
	struct braid_store *s = NULL;
	if (braid_workspace_init(dir, &e) || braid_store_open(dir, &s, &e))
		TEST_FAIL_("workspace: %s", e.msg);
	return s;
}

static braid_rc load(struct braid_store *s, const char *csv, int replace, struct braid_err *e)
{
	braid_err_clear(e);
	struct braid_places_stats st;
	braid_rc rc = braid_store_begin(s, e);
	if (!rc)
		rc = braid_places_load(s, write_file("places.csv", csv), replace, &st, e);
	if (!rc)
		rc = braid_store_commit(s, e);
	else
		braid_store_rollback(s);
	return rc;
}

static int64_t q1(struct braid_store *s, const char *sql)
{
	struct braid_err e;
	struct braid_stmt *st;
	if (braid_store_prepare(s, sql, &st, &e))
		TEST_FAIL_("prepare: %s", e.msg);
	int row = 0;
	ASSERT_EQ(braid_stmt_step(st, &row, &e), BRAID_OK);
	int64_t v = row ? braid_stmt_int64(st, 0) : -1;
	braid_stmt_finalize(st);
	return v;
}

static void qtext(struct braid_store *s, const char *sql, char *out, size_t n)
{
	struct braid_err e;
	struct braid_stmt *st;
	if (braid_store_prepare(s, sql, &st, &e))
		TEST_FAIL_("prepare: %s", e.msg);
	int row = 0;
	ASSERT_EQ(braid_stmt_step(st, &row, &e), BRAID_OK);
	snprintf(out, n, "%s", row ? braid_stmt_text(st, 0) : "(no row)");
	braid_stmt_finalize(st);
}

TEST(geo_places_load_counts_and_standardises_streets)
{
	struct braid_store *s = open_ws();
	struct braid_err e;
	ASSERT_EQ(load(s, places_csv, 0, &e), BRAID_OK);
	struct braid_places_stats st;
	ASSERT_EQ(braid_places_summary(s, &st, &e), BRAID_OK);
	ASSERT_EQ(st.segments, 5);
	ASSERT_EQ(st.streets, 2); /* three spellings of N BROAD ST, two of MARKET ST */
	ASSERT_EQ(st.tracts, 5);
	ASSERT_EQ(st.districts, 3);
	char street[64];
	qtext(s, "SELECT street FROM places WHERE tract = '42101000300'", street, sizeof street);
	ASSERT_STR_EQ(street, "N BROAD ST");
	/* A second load needs --replace, which replaces. */
	ASSERT_EQ(load(s, places_csv, 0, &e), BRAID_EEXIST);
	ASSERT_EQ(load(s, places_csv, 1, &e), BRAID_OK);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM places"), 5);
	braid_store_close(s);
}

TEST(geo_places_bad_rows_are_positioned_and_load_nothing)
{
	struct braid_store *s = open_ws();
	struct braid_err e;
	ASSERT_EQ(load(s, "street,from,to,parity,zip5,tract,district\n"
			  "N BROAD ST,1,99,odd,19107,42101000100,Central\n"
			  "N BROAD ST,2,98,evens,19107,42101000200,Central\n", 0, &e), BRAID_EPARSE);
	ASSERT_EQ(e.line, 3);
	ASSERT_EQ(e.column, 4);
	ASSERT(strstr(e.msg, "parity"));
	ASSERT(strstr(e.msg, "odd, even or all"));
	struct braid_places_stats st;
	ASSERT_EQ(braid_places_summary(s, &st, &e), BRAID_OK);
	ASSERT_EQ(st.segments, 0); /* one transaction */
	ASSERT_EQ(load(s, "street,from,to,parity,zip5,tract,district\n"
			  "N BROAD ST,99,1,odd,19107,42101000100,Central\n", 0, &e), BRAID_EPARSE);
	ASSERT_EQ(e.line, 2);
	ASSERT_EQ(e.column, 3);
	ASSERT_EQ(load(s, "street,from,to,parity,zip5,tract,district\n"
			  "N BROAD ST,1,99,odd,1910,42101000100,Central\n", 0, &e), BRAID_EPARSE);
	ASSERT_EQ(e.column, 5);
	ASSERT_EQ(load(s, "street,from,to,parity,zip5,district\n", 0, &e), BRAID_EPARSE);
	ASSERT_EQ(e.line, 1);
	ASSERT(strstr(e.msg, "'tract'"));
	braid_store_close(s);
}

TEST(geo_lookup_by_range_parity_and_zip)
{
	struct braid_store *s = open_ws();
	struct braid_err e;
	ASSERT_EQ(load(s, places_csv, 0, &e), BRAID_OK);
	struct braid_gazetteer *g;
	ASSERT_EQ(braid_gazetteer_load(s, &g, &e), BRAID_OK);
	ASSERT(g);
	const char *t = NULL, *d = NULL;
	ASSERT(braid_gazetteer_find(g, "15", "N BROAD ST", "", &t, &d));
	ASSERT_STR_EQ(t, "42101000100");
	ASSERT_STR_EQ(d, "Central");
	ASSERT(braid_gazetteer_find(g, "16", "N BROAD ST", NULL, &t, &d));
	ASSERT_STR_EQ(t, "42101000200");
	ASSERT(braid_gazetteer_find(g, "15A", "N BROAD ST", "", &t, &d)); /* lettered lot */
	ASSERT_STR_EQ(t, "42101000100");
	ASSERT(braid_gazetteer_find(g, "101-103", "N BROAD ST", "", &t, &d));
	ASSERT_STR_EQ(d, "North");
	ASSERT(!braid_gazetteer_find(g, "100", "N BROAD ST", "", &t, &d)); /* even side ends at 98 */
	ASSERT(!braid_gazetteer_find(g, "201", "N BROAD ST", "", &t, &d));
	ASSERT(!braid_gazetteer_find(g, "15", "S BROAD ST", "", &t, &d));
	ASSERT(!braid_gazetteer_find(g, "", "N BROAD ST", "", &t, &d));
	/* One range in two ZIPs: the record's ZIP decides. */
	ASSERT(braid_gazetteer_find(g, "50", "MARKET ST", "19139", &t, &d));
	ASSERT_STR_EQ(t, "42101000500");
	ASSERT(braid_gazetteer_find(g, "50", "MARKET ST", "19106", &t, &d));
	ASSERT_STR_EQ(t, "42101000400");
	braid_gazetteer_free(g);
	braid_store_close(s);
}

TEST(geo_household_key_is_keyed_and_stable)
{
	struct braid_store *s = open_ws();
	struct braid_err e;
	int64_t a, b, c, d;
	ASSERT_EQ(braid_store_addr_key(s, "16", "N BROAD ST", "7", "19107", &a, &e), BRAID_OK);
	ASSERT_EQ(braid_store_addr_key(s, "16", "N BROAD ST", "7", "19107", &b, &e), BRAID_OK);
	ASSERT_EQ(braid_store_addr_key(s, "16", "N BROAD ST", "8", "19107", &c, &e), BRAID_OK);
	ASSERT_EQ(braid_store_addr_key(s, "1", "6 N BROAD ST", "7", "19107", &d, &e), BRAID_OK);
	ASSERT(a > 0);
	ASSERT_EQ(a, b);
	ASSERT_NE(a, c);
	ASSERT_NE(a, d); /* parts are separated, not concatenated */
	braid_store_close(s);
	/* Another workspace (another key): another value. */
	char dir[600];
	snprintf(dir, sizeof dir, "%s/ws2", test_tmpdir());
	ASSERT_EQ(braid_workspace_init(dir, &e), BRAID_OK);
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_OK);
	ASSERT_EQ(braid_store_addr_key(s, "16", "N BROAD ST", "7", "19107", &b, &e), BRAID_OK);
	ASSERT_NE(a, b);
	braid_store_close(s);
}

/* ------------------------------------------------------ records */
static const char visits_spec[] =
	"source: visits\nkind: person\nid: ID\nfields:\n  sex: SEX\n  address: ADDR\n"
	"  unit: APT\n  zip: ZIP\nevents:\n  - type: visit\n    start: DAY\n";

/* Row 2 and 3 are one flat written two ways; row 5's street is not in the
 * places; row 6 has no address. */
static const char visits_csv[] =
	"ID,SEX,ADDR,APT,ZIP,DAY\n"
	"1,F,15 North Broad Street,,19107,2020-01-01\n"
	"2,M,16 N. Broad St Apt 7,,19107,2020-01-02\n"
	"3,F,16 NORTH BROAD STREET,7,19107,2020-01-03\n"
	"4,M,50 Market St,,19139,2020-01-04\n"
	"5,F,12 Nowhere Ln,,19107,2020-01-05\n"
	"6,M,,,19107,2020-01-06\n";

static struct braid_store *with_visits(int places_first, struct braid_ingest_stats *st)
{
	struct braid_store *s = open_ws();
	struct braid_err e;
	braid_err_clear(&e);
	if (places_first)
		ASSERT_EQ(load(s, places_csv, 0, &e), BRAID_OK);
	struct braid_spec *sp;
	if (braid_spec_parse(visits_spec, strlen(visits_spec), "t.yaml", &sp, &e))
		TEST_FAIL_("spec: %s", e.msg);
	char *y = braid_spec_to_yaml(sp);
	ASSERT_EQ(braid_store_source_add(s, sp->source, y, NULL, &e), BRAID_OK);
	free(y);
	braid_spec_free(sp);
	const char *files[1] = {write_file("visits.csv", visits_csv)};
	if (braid_ingest_files(s, "visits", files, 1, NULL, st, &e))
		TEST_FAIL_("ingest: %s", e.msg);
	return s;
}

static void check_geocoded(struct braid_store *s)
{
	char t[64];
	ASSERT_EQ(q1(s, "SELECT count(tract) FROM records"), 4);
	ASSERT_EQ(q1(s, "SELECT count(addr_key) FROM records"), 5);
	qtext(s, "SELECT tract FROM records WHERE row_no = 1", t, sizeof t);
	ASSERT_STR_EQ(t, "42101000100");
	qtext(s, "SELECT district FROM records WHERE row_no = 4", t, sizeof t);
	ASSERT_STR_EQ(t, "West");
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records WHERE row_no = 5 AND tract IS NULL"
		      " AND addr_key IS NOT NULL"), 1);
	/* One household: "Apt 7" in the line and "7" in a column of its own. */
	ASSERT_EQ(q1(s, "SELECT count(DISTINCT addr_key) FROM records WHERE row_no IN (2, 3)"), 1);
	ASSERT_EQ(q1(s, "SELECT count(DISTINCT addr_key) FROM records"), 4);
}

TEST(geo_ingest_geocodes_and_keys_new_records)
{
	struct braid_ingest_stats st;
	struct braid_store *s = with_visits(1, &st);
	ASSERT_EQ(st.geo_with_address, 5);
	ASSERT_EQ(st.geo_geocoded, 4);
	check_geocoded(s);
	struct braid_err e;
	int64_t n, keyed, geo;
	ASSERT_EQ(braid_geo_rate(s, 0, &n, &keyed, &geo, &e), BRAID_OK);
	ASSERT_EQ(n, 6);
	ASSERT_EQ(keyed, 5);
	ASSERT_EQ(geo, 4);
	braid_store_close(s);
}

TEST(geo_fill_geocodes_records_loaded_before_the_places)
{
	struct braid_ingest_stats st;
	struct braid_store *s = with_visits(0, &st);
	ASSERT_EQ(st.geo_geocoded, 0);
	ASSERT_EQ(q1(s, "SELECT count(tract) FROM records"), 0);
	ASSERT_EQ(q1(s, "SELECT count(addr_key) FROM records"), 5); /* keys need no places */
	struct braid_err e;
	ASSERT_EQ(load(s, places_csv, 0, &e), BRAID_OK);
	struct braid_geo_stats g;
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	ASSERT_EQ(braid_geo_fill(s, 0, 0, &g, &e), BRAID_OK);
	ASSERT_EQ(braid_store_commit(s, &e), BRAID_OK);
	ASSERT_EQ(g.records, 6);
	ASSERT_EQ(g.with_address, 5);
	ASSERT_EQ(g.geocoded, 4);
	check_geocoded(s);
	braid_store_close(s);
}

/* ------------------------------------------------------ the language */
static struct braid_qcounts *counts(struct braid_store *s, const char *text)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_query *q = NULL;
	struct braid_qcatalog *c = NULL;
	struct braid_qplan *p = NULL;
	if (braid_query_parse(text, strlen(text), "t", &q, &e) || braid_qcatalog_load(s, &c, &e) ||
	    braid_query_compile(q, c, &p, &e))
		TEST_FAIL_("plan: %ld:%ld: %s", e.line, e.column, e.msg);
	struct braid_qcounts *k = NULL;
	if (braid_qplan_counts(s, p, 1, &k, &e))
		TEST_FAIL_("counts: %s\n%s", e.msg, braid_qplan_sql(p));
	/* The plan reads the geography of the source. */
	const struct braid_field_ref *f;
	size_t nf = braid_qplan_fields(p, &f), hits = 0;
	for (size_t i = 0; i < nf; i++)
		hits += !strcmp(f[i].field, "district") || !strcmp(f[i].field, "tract");
	ASSERT(hits >= 1);
	braid_query_free(q);
	braid_qcatalog_free(c);
	braid_qplan_free(p);
	return k;
}

static int64_t cell(const struct braid_qtable *t, const char *key)
{
	for (size_t i = 0; i < t->ncells; i++)
		if (!strcmp(t->cells[i].keys[0], key))
			return t->cells[i].count;
	return 0;
}

/* The person index over the six visits: record i belongs to person cl[i]. */
static void index_visits(struct braid_store *s, const uint32_t cl[6])
{
	struct braid_err e;
	braid_err_clear(&e);
	int64_t k0 = q1(s, "SELECT min(record_key) FROM records");
	int64_t keys[6];
	uint32_t c[6];
	for (int i = 0; i < 6; i++) {
		keys[i] = k0 + i;
		c[i] = cl[i];
	}
	struct braid_pindex_stats ps;
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	if (braid_pindex_schema(s, &e) || braid_pindex_apply(s, keys, c, 6, "test", &ps, &e) ||
	    braid_store_commit(s, &e))
		TEST_FAIL_("pindex: %s", e.msg);
	ASSERT_EQ(braid_query_prepare_store(s, &e), BRAID_OK);
}

TEST(query_breaks_down_and_filters_by_district_and_tract)
{
	struct braid_ingest_stats st;
	struct braid_store *s = with_visits(1, &st);
	/* Every record its own person: 6 people. */
	static const uint32_t cl[6] = {0, 1, 2, 3, 4, 5};
	index_visits(s, cl);
	/* Central: rows 1, 2, 3; West: row 4; unknown: rows 5 and 6. */
	struct braid_qcounts *c = counts(s, "index event visit\ncount persons by district\n");
	ASSERT_EQ(c->scalars[0].count, 6);
	ASSERT_STR_EQ(c->tables[0].name, "district");
	ASSERT_EQ(cell(&c->tables[0], "Central"), 3);
	ASSERT_EQ(cell(&c->tables[0], "West"), 1);
	ASSERT_EQ(cell(&c->tables[0], ""), 2);
	braid_qcounts_free(c);
	c = counts(s, "index event visit\nwhere district = \"Central\"\ncount persons by tract\n");
	ASSERT_EQ(c->scalars[0].count, 3);
	ASSERT_EQ(cell(&c->tables[0], "42101000100"), 1);
	ASSERT_EQ(cell(&c->tables[0], "42101000200"), 2);
	braid_qcounts_free(c);
	c = counts(s, "index event visit where start >= 2020-01-02\n"
		      "where tract in (\"42101000200\", \"42101000500\")\ncount persons by sex\n");
	ASSERT_EQ(c->scalars[0].count, 3); /* rows 2, 3, 4 */
	braid_qcounts_free(c);
	braid_store_close(s);
}

/* A person who moved is counted where they lived at the index date: row
 * 1 (tract 100, 2020-01-01) and row 4 (tract 500, 2020-01-04) are one
 * person.  Their most frequent tract is a tie (100 would win it), so only
 * the date decides. */
TEST(query_geography_is_the_address_at_the_index_date)
{
	struct braid_ingest_stats st;
	struct braid_store *s = with_visits(1, &st);
	static const uint32_t cl[6] = {0, 1, 1, 0, 2, 3};
	index_visits(s, cl);
	struct braid_qcounts *c =
		counts(s, "index event visit where start >= 2020-01-04\ncount persons by tract\n");
	ASSERT_EQ(c->scalars[0].count, 3); /* rows 4, 5, 6 */
	ASSERT_EQ(cell(&c->tables[0], "42101000500"), 1);
	ASSERT_EQ(cell(&c->tables[0], "42101000100"), 0);
	braid_qcounts_free(c);
	c = counts(s, "index event visit\ncount persons by district\n");
	ASSERT_EQ(c->scalars[0].count, 4);
	ASSERT_EQ(cell(&c->tables[0], "Central"), 2); /* rows 1 and 2/3 */
	ASSERT_EQ(cell(&c->tables[0], "West"), 0);
	braid_qcounts_free(c);
	braid_store_close(s);
}

/* ------------------------------------------------------ households */
static void add_source(struct braid_store *s, const char *yaml, const char *name, const char *csv)
{
	struct braid_err e;
	braid_err_clear(&e);
	struct braid_spec *sp;
	if (braid_spec_parse(yaml, strlen(yaml), "t.yaml", &sp, &e))
		TEST_FAIL_("spec: %s", e.msg);
	char *y = braid_spec_to_yaml(sp);
	ASSERT_EQ(braid_store_source_add(s, sp->source, y, NULL, &e), BRAID_OK);
	free(y);
	braid_spec_free(sp);
	char fn[64];
	snprintf(fn, sizeof fn, "%s.csv", name);
	const char *files[1] = {write_file(fn, csv)};
	struct braid_ingest_stats st;
	if (braid_ingest_files(s, name, files, 1, NULL, &st, &e))
		TEST_FAIL_("ingest %s: %s", name, e.msg);
}

static int64_t scalar(const struct braid_qcounts *c, const char *name)
{
	for (size_t i = 0; i < c->nscalars; i++)
		if (!strcmp(c->scalars[i].name, name))
			return c->scalars[i].count;
	TEST_FAIL_("no scalar %s", name);
	return -2;
}

/*
 * Four water accounts at 2024-12-31 (holders are persons 1-4):
 *   A1 10 N BROAD ST, current            household: person 5's current SNAP record
 *   A2 20 N BROAD ST APT 2, notice       holder 2's own Medicaid (record elsewhere)
 *   A3 30 MARKET ST, closed
 *   A4 40 MARKET ST, current             person 6's SNAP there ended 2021 (too old);
 *                                        person 7's current SNAP is at APT 3 (another flat)
 * Person 1 is in TAP.  So: open 3, at risk 1, low-income 2 (A1 by household,
 * A2 by holder), by holder alone 1, protected 1, eligible holders 2, gap 1.
 */
TEST(water_low_income_counts_anyone_in_the_household)
{
	struct braid_store *s = open_ws();
	add_source(s, "source: water\nkind: account\nid: ACCT\nrows: event\nfields:\n"
		      "  address: ADDR\n  zip: ZIP\nevents:\n  - type: water_status\n"
		      "    start: DAY\n    program: STATUS\n", "water",
		   "ACCT,ADDR,ZIP,DAY,STATUS\n"
		   "A1,10 N BROAD ST,19107,2024-01-01,CURRENT\n"
		   "A2,20 N BROAD ST APT 2,19107,2024-06-01,SHUTOFF_NOTICE\n"
		   "A3,30 MARKET ST,19139,2024-03-01,CLOSED\n"
		   "A4,40 MARKET ST,19139,2024-01-01,CURRENT\n");
	add_source(s, "source: dhs\nid: ID\nrows: event\nfields:\n  address: ADDR\n  zip: ZIP\n"
		      "events:\n  - type: benefit_enrollment\n    start: BEGIN\n    end: END\n"
		      "    program: PROGRAM\n", "dhs",
		   "ID,ADDR,ZIP,BEGIN,END,PROGRAM\n"
		   "R1,10 North Broad Street,19107,2024-05-01,,SNAP\n"
		   "R2,99 Elsewhere Ave,19107,2024-02-01,2024-10-01,MA\n"
		   "R3,40 Market Street,19139,2020-01-01,2021-01-01,SNAP\n"
		   "R4,40 Market St Apt 3,19139,2024-01-01,,SNAP\n");
	add_source(s, "source: liheap\nid: ID\nfields:\n  address: ADDR\n  zip: ZIP\nevents:\n"
		      "  - type: liheap_grant\n    start: DAY\n", "liheap",
		   "ID,ADDR,ZIP,DAY\nL1,1 Nowhere Ln,19107,2019-01-01\n");
	add_source(s, "source: tap\nid: ID\nfields:\n  zip: ZIP\nevents:\n"
		      "  - type: water_assistance\n    start: BEGIN\n    end: END\n", "tap",
		   "ID,ZIP,BEGIN,END\nT1,19107,2024-01-01,\n");
	/* Records in load order: A1-A4, R1-R4, L1, T1. */
	static const uint32_t person[10] = {1, 2, 3, 4, 5, 2, 6, 7, 8, 1};
	int64_t keys[10];
	uint32_t cl[10];
	int64_t k0 = q1(s, "SELECT min(record_key) FROM records");
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records"), 10);
	for (int i = 0; i < 10; i++) {
		keys[i] = k0 + i;
		cl[i] = person[i];
	}
	struct braid_err e;
	struct braid_pindex_stats ps;
	ASSERT_EQ(braid_store_begin(s, &e), BRAID_OK);
	if (braid_pindex_schema(s, &e) || braid_pindex_apply(s, keys, cl, 10, "test", &ps, &e) ||
	    braid_store_commit(s, &e))
		TEST_FAIL_("pindex: %s", e.msg);
	ASSERT_EQ(braid_query_prepare_store(s, &e), BRAID_OK);
	struct braid_qcatalog *cat;
	ASSERT_EQ(braid_qcatalog_load(s, &cat, &e), BRAID_OK);
	struct braid_water_opts o;
	braid_water_opts_init(&o, "2024-12-31");
	struct braid_qplan *p;
	if (braid_water_plan(cat, &o, &p, &e))
		TEST_FAIL_("plan: %s", e.msg);
	struct braid_qcounts *c;
	if (braid_water_counts(s, p, 1, &c, &e))
		TEST_FAIL_("counts: %s\n%s", e.msg, braid_qplan_sql(p));
	ASSERT_EQ(scalar(c, "open"), 3);
	ASSERT_EQ(scalar(c, "at_risk"), 1);
	ASSERT_EQ(scalar(c, "low_income_open"), 2);
	ASSERT_EQ(scalar(c, "low_income_open_holder"), 1);
	ASSERT_EQ(scalar(c, "at_risk_protected"), 1);
	ASSERT_EQ(scalar(c, "assistance_eligible"), 2);
	ASSERT_EQ(scalar(c, "assistance_gap"), 1);
	/* The plan asks for the household key of the sources it groups by. */
	const struct braid_field_ref *f;
	size_t nf = braid_qplan_fields(p, &f);
	int hw = 0, hd = 0;
	for (size_t i = 0; i < nf; i++) {
		hw |= !strcmp(f[i].source, "water") && !strcmp(f[i].field, "household");
		hd |= !strcmp(f[i].source, "dhs") && !strcmp(f[i].field, "household");
	}
	ASSERT(hw && hd);
	braid_qcounts_free(c);
	braid_qplan_free(p);
	braid_qcatalog_free(cat);
	braid_store_close(s);
}

TEST(geo_columns_are_added_to_an_older_workspace_on_open)
{
	struct braid_store *s = open_ws();
	struct braid_err e;
	/* A workspace of session 1: records without the geography columns. */
	ASSERT_EQ(braid_store_exec(s, "ALTER TABLE records DROP COLUMN addr_key;"
				   " ALTER TABLE records DROP COLUMN district;"
				   " ALTER TABLE records DROP COLUMN tract;", &e), BRAID_OK);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM pragma_table_info('records') WHERE name IN"
		      " ('tract', 'district', 'addr_key')"), 0);
	braid_store_close(s);
	char dir[600];
	snprintf(dir, sizeof dir, "%s/ws", test_tmpdir());
	ASSERT_EQ(braid_store_open(dir, &s, &e), BRAID_OK);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM pragma_table_info('records') WHERE name IN"
		      " ('tract', 'district', 'addr_key')"), 3);
	braid_store_close(s);
}
