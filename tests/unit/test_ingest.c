/* Row validation and loading: what is flagged, what is rejected, counts. */
#include "test.h"
#include "braid/ingest.h"
#include "braid/store.h"

#include <stdlib.h>

static const char *check(enum braid_field f, const char *raw, int want_invalid)
{
	static char out[256];
	int inv = braid_ingest_check_value(f, raw, NULL, out, sizeof out);
	if (inv != want_invalid)
		TEST_FAIL_("%s '%s': invalid=%d, expected %d", braid_field_name(f), raw, inv,
			   want_invalid);
	if (inv && out[0])
		TEST_FAIL_("an invalid value must be stored as missing, got '%s'", out);
	return out;
}

TEST(ingest_dob_impossible_future_or_before_1900_is_flagged)
{
	setenv("BRAID_TODAY", "2024-06-30", 1);
	ASSERT_STR_EQ(check(BRAID_F_DOB, "1980-03-04", 0), "1980-03-04");
	check(BRAID_F_DOB, "1975-02-30", 1);
	check(BRAID_F_DOB, "2024-07-01", 1);
	ASSERT_STR_EQ(check(BRAID_F_DOB, "2024-06-30", 0), "2024-06-30");
	check(BRAID_F_DOB, "1899-12-31", 1);
	check(BRAID_F_DOB, "not a date", 1);
	ASSERT_STR_EQ(check(BRAID_F_DOB, "", 0), "");
	ASSERT_STR_EQ(check(BRAID_F_BIRTH_YEAR, "1950", 0), "1950");
	check(BRAID_F_BIRTH_YEAR, "2025", 1);
}

TEST(ingest_dob_uses_the_spec_format)
{
	struct braid_colspec cs = {.column = "DOB", .format = "%d.%m.%Y"};
	char out[32];
	ASSERT_EQ(braid_ingest_check_value(BRAID_F_DOB, "04.03.1980", &cs, out, sizeof out), 0);
	ASSERT_STR_EQ(out, "1980-03-04");
	ASSERT_EQ(braid_ingest_check_value(BRAID_F_DOB, "1980-03-04", &cs, out, sizeof out), 1);
}

TEST(ingest_ssn_that_cannot_exist_is_flagged)
{
	ASSERT_STR_EQ(check(BRAID_F_SSN, "219-44-7788", 0), "219447788");
	check(BRAID_F_SSN, "000-12-3456", 1);
	check(BRAID_F_SSN, "666-12-3456", 1);
	check(BRAID_F_SSN, "912-12-3456", 1);
	check(BRAID_F_SSN, "219-00-3456", 1);
	check(BRAID_F_SSN, "219-44-0000", 1);
	check(BRAID_F_SSN, "123-45-6789", 1);
	check(BRAID_F_SSN, "111-11-1111", 1);
	check(BRAID_F_SSN, "12345", 1);
}

TEST(ingest_zip_phone_email_sex_race)
{
	ASSERT_STR_EQ(check(BRAID_F_ZIP, "19104-2345", 0), "19104");
	check(BRAID_F_ZIP, "ABCDE", 1);
	check(BRAID_F_ZIP, "00000", 1);
	ASSERT_STR_EQ(check(BRAID_F_PHONE, "(215) 555-0100", 0), "2155550100");
	check(BRAID_F_PHONE, "12", 1);
	ASSERT_STR_EQ(check(BRAID_F_EMAIL, " Ana@Example.ORG ", 0), "ana@example.org");
	check(BRAID_F_EMAIL, "ana-at-example", 1);
	ASSERT_STR_EQ(check(BRAID_F_SEX, "female", 0), "F");
	ASSERT_STR_EQ(check(BRAID_F_SEX, "U", 0), ""); /* unknown: missing, not invalid */
	check(BRAID_F_SEX, "Q", 1);
	ASSERT_STR_EQ(check(BRAID_F_RACE, "Black", 0), "black");
	check(BRAID_F_RACE, "B", 1); /* codes need the spec's map */
	ASSERT_STR_EQ(check(BRAID_F_ETHNICITY, "hispanic", 0), "hispanic");
	ASSERT_STR_EQ(check(BRAID_F_LAST_NAME, "  o'Brien ", 0), "OBRIEN");
}

/* ------------------------------------------------------------ loading */
static char ws[600];

static struct braid_store *setup(const char *spec_yaml)
{
	snprintf(ws, sizeof ws, "%s/ws", test_tmpdir());
	struct braid_err e;
	braid_err_clear(&e);
	if (braid_workspace_init(ws, &e))
		TEST_FAIL_("init: %s", e.msg);
	struct braid_store *s;
	ASSERT_EQ(braid_store_open(ws, &s, &e), BRAID_OK);
	struct braid_spec *sp;
	if (braid_spec_parse(spec_yaml, strlen(spec_yaml), "t.yaml", &sp, &e))
		TEST_FAIL_("spec: %s", e.msg);
	char *y = braid_spec_to_yaml(sp);
	ASSERT_EQ(braid_store_source_add(s, sp->source, y, NULL, &e), BRAID_OK);
	free(y);
	braid_spec_free(sp);
	return s;
}

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

static int64_t q1(struct braid_store *s, const char *sql)
{
	struct braid_stmt *st;
	struct braid_err e;
	if (braid_store_prepare(s, sql, &st, &e))
		TEST_FAIL_("%s", e.msg);
	int row = 0;
	ASSERT_EQ(braid_stmt_step(st, &row, &e), BRAID_OK);
	int64_t v = row ? braid_stmt_int64(st, 0) : -1;
	braid_stmt_finalize(st);
	return v;
}

static const char person_spec[] =
	"source: people\nid: ID\nfields:\n  first_name: FIRST\n  last_name: LAST\n"
	"  dob: {column: DOB, format: \"%m/%d/%Y\"}\n  ssn: SSN\n  zip: ZIP\n"
	"  race: {column: RACE, map: {W: white, B: black}}\n";

static const char person_csv[] =
	"ID, FIRST, LAST, DOB, SSN, ZIP, RACE\n"
	"1, Ana, Garcia, 03/04/1980, 219-44-7788, 19104, W\n"
	"2, Bo, Smith, 02/30/1975, 123-45-6789, 19104, B\n"   /* 2 flags */
	"3, Cy, Lee, 01/01/1990, , ABCDE, Q\n"                /* 2 flags */
	", No, Id, 01/01/1990, , 19104, W\n"                  /* reject */
	"4, Too, Few\n"                                       /* reject */
	"1, Dup, Licate, 01/01/1970, , 19104, W\n"            /* reject */
	"5, \"Quoted, Name\", \xff\xfe, 01/01/1970, , , W\n"  /* reject: UTF-8 */
	"6, Eve, Adams, 12/31/1960, 219-44-7789, 19103, B\n";

TEST(ingest_counts_add_up_and_rejects_say_why)
{
	setenv("BRAID_TODAY", "2024-06-30", 1);
	struct braid_store *s = setup(person_spec);
	const char *f = write_file("p.csv", person_csv);
	struct braid_ingest_stats st;
	struct braid_err e;
	braid_err_clear(&e);
	const char *files[] = {f};
	if (braid_ingest_files(s, "people", files, 1, NULL, &st, &e))
		TEST_FAIL_("ingest: %s", e.msg);
	ASSERT_EQ(st.rows_read, 8);
	ASSERT_EQ(st.rows_loaded, 4);
	ASSERT_EQ(st.rows_rejected, 4);
	ASSERT_EQ(st.rows_read, st.rows_loaded + st.rows_rejected);
	ASSERT_EQ(st.values_flagged, 4);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records"), 4);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM vault.identities"), 4);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM rejects WHERE reason='missing record id' AND line=5"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM rejects WHERE reason LIKE 'wrong number of columns:"
			" expected 7, got 3' AND line=6"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM rejects WHERE reason='duplicate record id' AND line=7"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM rejects WHERE reason='invalid UTF-8' AND line=8"), 1);
	ASSERT_EQ(q1(s, "SELECT rows_read*1000000+rows_loaded*1000+rows_rejected FROM batches"),
		  8004004);
	/* The flagged values are missing, with their bits set. */
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records WHERE zip5 IS NULL AND (invalid>>16)&1"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records WHERE race IS NULL AND (invalid>>19)&1"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records WHERE birth_year IS NULL"), 1);
	braid_store_close(s);
}

TEST(ingest_same_content_twice_is_refused_unless_replace)
{
	struct braid_store *s = setup(person_spec);
	const char *f = write_file("p.csv", person_csv);
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *files[] = {f};
	ASSERT_EQ(braid_ingest_files(s, "people", files, 1, NULL, &st, &e), BRAID_OK);
	ASSERT_EQ(braid_ingest_files(s, "people", files, 1, NULL, &st, &e), BRAID_EEXIST);
	ASSERT(strstr(e.msg, "--replace") != NULL);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records"), 4);
	struct braid_ingest_opts o = {.replace = 1};
	ASSERT_EQ(braid_ingest_files(s, "people", files, 1, &o, &st, &e), BRAID_OK);
	ASSERT_EQ(st.replaced_batches, 1);
	ASSERT_EQ(st.rows_rejected, 4); /* not duplicates of the replaced load */
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records"), 4);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM rejects"), 4);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM batches"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM vault.identities"), 4);
	braid_store_close(s);
}

TEST(ingest_is_one_transaction_across_files)
{
	struct braid_store *s = setup(person_spec);
	const char *good = write_file("good.csv", person_csv);
	const char *bad = write_file("bad.csv", "ID, FIRST, LAST, DOB, SSN, RACE\n1,a,b,,,\n");
	struct braid_ingest_stats st;
	struct braid_err e;
	braid_err_clear(&e);
	const char *files[] = {good, bad};
	ASSERT_EQ(braid_ingest_files(s, "people", files, 2, NULL, &st, &e), BRAID_EPARSE);
	ASSERT(strstr(e.file, "bad.csv") != NULL);
	ASSERT_EQ(e.line, 1);
	ASSERT(strstr(e.msg, "column 'ZIP' (for zip) is not in the header") != NULL);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records"), 0);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM batches"), 0);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM rejects"), 0);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM vault.identities"), 0);
	braid_store_close(s);
}

TEST(ingest_duplicate_across_loads_is_rejected)
{
	struct braid_store *s = setup(person_spec);
	const char *a = write_file("a.csv", "ID,FIRST,LAST,DOB,SSN,ZIP,RACE\n7,a,b,,,,\n8,c,d,,,,\n");
	const char *b = write_file("b.csv", "ID,FIRST,LAST,DOB,SSN,ZIP,RACE\n9,e,f,,,,\n7,g,h,,,,\n");
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *fa[] = {a}, *fb[] = {b};
	ASSERT_EQ(braid_ingest_files(s, "people", fa, 1, NULL, &st, &e), BRAID_OK);
	ASSERT_EQ(braid_ingest_files(s, "people", fb, 1, NULL, &st, &e), BRAID_OK);
	ASSERT_EQ(st.rows_loaded, 1);
	ASSERT_EQ(st.rows_rejected, 1);
	ASSERT_EQ(q1(s, "SELECT line FROM rejects WHERE reason='duplicate record id'"), 3);
	ASSERT_EQ(q1(s, "SELECT rows_loaded*10+rows_rejected FROM batches ORDER BY id DESC"), 11);
	braid_store_close(s);
}

static int names_cb(void *ctx, const struct braid_identity *id)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 600 - n, "%s|%s|%s|%s|%s|%s;", id->source_record_id,
		 id->v[BRAID_F_FIRST_NAME], id->v[BRAID_F_LAST_NAME], id->v[BRAID_F_SUFFIX],
		 id->v[BRAID_F_DOB], id->v[BRAID_F_BIRTH_YEAR]);
	return 0;
}

TEST(ingest_event_rows_attach_to_one_record_and_fold_names)
{
	struct braid_store *s = setup(
		"source: shelter\nid: CID\nrows: event\nfields:\n  full_name: NAME\n"
		"  dob: DOB\nevents:\n  - type: shelter_stay\n"
		"    start: {column: IN, format: \"%m/%d/%Y\"}\n    end: OUT\n"
		"    amount: COST\n    attributes: {bed: BED}\n");
	const char *f = write_file("s.csv",
		"CID;NAME;DOB;IN;OUT;COST;BED\n"
		"A1;\"García, José Jr\";1970-05-06;01/02/2020;2020-01-05;$1,250.50;12\n"
		"A1;\"García, José Jr\";1970-05-06;02/02/2020;;;13\n"
		"B2;Ann Lee;;13/45/2020;;x;\n");
	struct braid_ingest_opts o = {.delimiter = ';'};
	struct braid_ingest_stats st;
	struct braid_err e;
	braid_err_clear(&e);
	const char *files[] = {f};
	if (braid_ingest_files(s, "shelter", files, 1, &o, &st, &e))
		TEST_FAIL_("%s", e.msg);
	ASSERT_EQ(st.rows_loaded, 3);
	ASSERT_EQ(st.records_new, 2);
	ASSERT_EQ(st.events, 3);
	ASSERT_EQ(st.values_flagged, 2); /* bad start date, bad amount */
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records"), 2);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM events WHERE start_date='2020-01-02' AND"
			" end_date='2020-01-05' AND amount=1250.5 AND attrs='{\"bed\":\"12\"}'"), 1);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM events WHERE start_date IS NULL AND invalid=5"), 1);
	char out[600] = "";
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, names_cb, out, &e), BRAID_OK);
	ASSERT_STR_EQ(out, "A1|JOSE|GARCIA|JR|1970-05-06|1970;B2|ANN|LEE|||;");
	braid_store_close(s);
}

TEST(ingest_without_id_uses_row_numbers_and_latin1)
{
	struct braid_store *s = setup("source: x\nencoding: latin1\nfields:\n  last_name: L\n");
	const char *f = write_file("x.csv", "L\nMu\xf1oz\n\nPe\xf1\x61\n");
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *files[] = {f};
	ASSERT_EQ(braid_ingest_files(s, "x", files, 1, NULL, &st, &e), BRAID_OK);
	ASSERT_EQ(st.rows_loaded, 2);
	char out[600] = "";
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, names_cb, out, &e), BRAID_OK);
	/* the first file's ids are its data row numbers (what truth files use) */
	ASSERT_STR_EQ(out, "1||MUNOZ|||;2||PENA|||;");
	/* a second file of the same source is qualified by its content */
	const char *g = write_file("x2.csv", "L\nSmith\n");
	const char *files2[] = {g};
	ASSERT_EQ(braid_ingest_files(s, "x", files2, 1, NULL, &st, &e), BRAID_OK);
	out[0] = 0;
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, names_cb, out, &e), BRAID_OK);
	ASSERT(strstr(out, ":1||SMITH|||;") != NULL);
	ASSERT(strncmp(out, "1||MUNOZ|||;2||PENA|||;", 23) == 0);
	braid_store_close(s);
}

TEST(ingest_unknown_source_is_not_found)
{
	struct braid_store *s = setup(person_spec);
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *files[] = {"/nonexistent.csv"};
	ASSERT_EQ(braid_ingest_files(s, "nope", files, 1, NULL, &st, &e), BRAID_ENOTFOUND);
	ASSERT_EQ(braid_ingest_files(s, "people", files, 1, NULL, &st, &e), BRAID_EIO);
	braid_store_close(s);
}

TEST(ingest_quality_report_counts_without_identifier_values)
{
	setenv("BRAID_TODAY", "2024-06-30", 1);
	struct braid_store *s = setup(person_spec);
	const char *f = write_file("p.csv", person_csv);
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *files[] = {f};
	ASSERT_EQ(braid_ingest_files(s, "people", files, 1, NULL, &st, &e), BRAID_OK);
	char *j = NULL;
	ASSERT_EQ(braid_quality_report(s, "people", 5, &j, &e), BRAID_OK);
	ASSERT(strstr(j, "\"rows_read\": 8") != NULL);
	ASSERT(strstr(j, "\"rows_rejected\": 4") != NULL);
	ASSERT(strstr(j, "\"reason\": \"duplicate record id\"") != NULL);
	ASSERT(strstr(j, "\"value\": \"white\"") != NULL);
	ASSERT(strstr(j, "GARCIA") == NULL && strstr(j, "219447788") == NULL);
	ASSERT(strstr(j, "1980-03-04") == NULL);
	free(j);
	braid_store_close(s);
}

TEST(ingest_site_attributes_are_kept_as_json)
{
	struct braid_store *s = setup("source: sites\nkind: site\nid: LIC\n"
				      "attributes:\n  rating: STARS\n  name: \"NAME\"\n");
	const char *f = write_file("c.csv", "LIC,NAME,STARS\nL1,\"Sunny \"\"Day\"\" Care\",4\n");
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *files[] = {f};
	ASSERT_EQ(braid_ingest_files(s, "sites", files, 1, NULL, &st, &e), BRAID_OK);
	ASSERT_EQ(q1(s, "SELECT count(*) FROM records WHERE attrs="
			"'{\"rating\":\"4\",\"name\":\"Sunny \\\"Day\\\" Care\"}'"), 1);
	braid_store_close(s);
}

static int addr_cb(void *ctx, const struct braid_identity *id)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 600 - n, "%s|%s|%s;", id->v[BRAID_F_STREET_NUMBER],
		 id->v[BRAID_F_STREET_NAME], id->v[BRAID_F_UNIT]);
	return 0;
}

TEST(ingest_address_line_is_standardised)
{
	struct braid_store *s = setup("source: a\nid: ID\nfields:\n  address: ADDR\n");
	const char *f = write_file("a.csv", "ID,ADDR\n1,\"1234 North Broad Street, Apt. 3B\"\n"
					    "2,1234 N BROAD ST APT 3B\n");
	struct braid_ingest_stats st;
	struct braid_err e;
	const char *files[] = {f};
	ASSERT_EQ(braid_ingest_files(s, "a", files, 1, NULL, &st, &e), BRAID_OK);
	char out[600] = "";
	ASSERT_EQ(braid_store_identity_iter(s, 0, 0, addr_cb, out, &e), BRAID_OK);
	ASSERT_STR_EQ(out, "1234|N BROAD ST|APT 3B;1234|N BROAD ST|APT 3B;");
	braid_store_close(s);
}
