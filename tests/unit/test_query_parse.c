/*
 * The cohort language and rules files: what parses, and where and how
 * errors are reported (line:column, caret, suggestion).
 */
#include "test.h"
#include "braid/query.h"

#include <string.h>

static struct braid_query *parse_ok(const char *text)
{
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_query *q = NULL;
	if (braid_query_parse(text, strlen(text), "t.cohort", &q, &err))
		TEST_FAIL_("parse failed: %ld:%ld: %s", err.line, err.column, err.msg);
	return q;
}

static struct braid_err parse_err(const char *text, int rules)
{
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_query *q = NULL;
	braid_rc rc = rules ? braid_rules_parse(text, strlen(text), "t.rules", &q, &err)
			    : braid_query_parse(text, strlen(text), "t.cohort", &q, &err);
	if (!rc)
		TEST_FAIL_("expected a parse error for: %s", text);
	ASSERT(q == NULL);
	return err;
}

#define ASSERT_CONTAINS(hay, needle)                                               \
	do {                                                                          \
		if (!strstr((hay), (needle)))                                         \
			TEST_FAIL_("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

TEST(query_parse_full_cohort)
{
	struct braid_query *q = parse_ok(
		"# the Allegheny question\n"
		"define homeless = event shelter_stay\n"
		"define treated = event mh_service where program in (\"H0004\", \"H0031\") or event bh_visit\n"
		"index event jail_booking where start >= 2020-01-01 and age >= 18\n"
		"require homeless within 180 days before\n"
		"require treated within 6 months before\n"
		"exclude event jail_booking within 1 year before\n"
		"require event shelter_stay during\n"
		"exclude event wages ever\n"
		"where sex = \"F\" and zip in (\"19104\", \"19133\") and age between 18 and 64\n"
		"count persons by race, zip, age_band\n");
	braid_query_free(q);
}

TEST(query_parse_rules_file)
{
	const char *t =
		"define snap = event benefit_enrollment where program = \"SNAP\"\n"
		"program water_assistance:\n"
		"  eligible if (enrolled(snap, within 365 days) or enrolled(event liheap_grant, ever))\n"
		"     and latest(event water_status) not in (\"CLOSED\") and not age < 18;\n"
		"  enrolled if enrolled(event water_assistance);\n"
		"program other: eligible if has(snap); enrolled if enrolled(snap, within 2 years)\n";
	struct braid_err err;
	struct braid_query *q = NULL;
	ASSERT_EQ(braid_rules_parse(t, strlen(t), "r", &q, &err), BRAID_OK);
	const char *const *names;
	ASSERT_EQ(braid_rules_programs(q, &names), 2);
	ASSERT_STR_EQ(names[0], "water_assistance");
	ASSERT_STR_EQ(names[1], "other");
	braid_query_free(q);
}

TEST(query_error_names_line_column_and_expected_unit)
{
	struct braid_err e = parse_err("index event jail_booking\nrequire event x within 180 dayz before\n", 0);
	ASSERT_EQ(e.code, BRAID_EPARSE);
	ASSERT_EQ(e.line, 2);
	ASSERT_EQ(e.column, 28);
	ASSERT_CONTAINS(e.msg, "expected a unit");
	ASSERT_CONTAINS(e.msg, "'dayz'");
	ASSERT_STR_EQ(e.file, "t.cohort");
}

TEST(query_error_caret_sits_under_the_token)
{
	const char *t = "index event jail_booking\n\trequire event x within 180 dayz before\n";
	struct braid_err e = parse_err(t, 0);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_query_caret(t, strlen(t), e.line, e.column, &b), BRAID_OK);
	/* The tab is kept so the caret lines up in a terminal. */
	ASSERT_STR_EQ(b.data, "\trequire event x within 180 dayz before\n"
			      "\t                           ^\n");
	braid_buf_release(&b);
}

TEST(query_error_missing_index)
{
	struct braid_err e = parse_err("require event shelter_stay ever\ncount persons\n", 0);
	ASSERT_CONTAINS(e.msg, "needs an index event");
}

TEST(query_error_suggests_breakdown)
{
	struct braid_err e = parse_err("index event a\ncount persons by rac\n", 0);
	ASSERT_EQ(e.line, 2);
	ASSERT_EQ(e.column, 18);
	ASSERT_CONTAINS(e.msg, "did you mean 'race'");
}

TEST(query_error_suggests_event_field)
{
	struct braid_err e = parse_err("index event a where progam = \"X\"\n", 0);
	ASSERT_EQ(e.column, 21);
	ASSERT_CONTAINS(e.msg, "did you mean 'program'");
}

TEST(query_parse_tract_and_district)
{
	struct braid_query *q = parse_ok("index event a\nwhere district = \"West\" and tract in"
					 " (\"42101000100\")\ncount persons by tract, district\n");
	braid_query_free(q);
	struct braid_err e = parse_err("index event a\ncount persons by district, district\n", 0);
	ASSERT_EQ(e.line, 2);
	ASSERT_CONTAINS(e.msg, "'district' is already a breakdown");
	e = parse_err("index event a\ncount persons by distrct\n", 0);
	ASSERT_CONTAINS(e.msg, "did you mean 'district'");
}

TEST(query_error_person_attribute_in_a_required_event)
{
	struct braid_err e = parse_err("index event a\nrequire event b where age > 3 ever\n", 0);
	ASSERT_CONTAINS(e.msg, "person attribute");
}

TEST(query_error_unterminated_string_and_bad_date)
{
	struct braid_err e = parse_err("index event a where program = \"abc\n", 0);
	ASSERT_CONTAINS(e.msg, "string not closed");
	ASSERT_EQ(e.column, 31);
	e = parse_err("index event a where start > 2021-02-30\n", 0);
	ASSERT_CONTAINS(e.msg, "not a calendar date");
	e = parse_err("index event a where start > \"soon\"\n", 0);
	ASSERT_CONTAINS(e.msg, "compares with dates");
}

TEST(query_error_redefinition_and_two_indexes)
{
	struct braid_err e = parse_err("define a = event x\ndefine a = event y\nindex a\n", 0);
	ASSERT_EQ(e.line, 2);
	ASSERT_CONTAINS(e.msg, "already defined");
	e = parse_err("index event a\nindex event b\n", 0);
	ASSERT_CONTAINS(e.msg, "one index event");
}

TEST(query_error_messages_do_not_echo_strings)
{
	/* A value could be anything an analyst typed; messages name tokens,
	 * never string contents. */
	struct braid_err e = parse_err("index event a where program = \"JOHN SMITH\" +\n", 0);
	ASSERT(strstr(e.msg, "JOHN") == NULL);
}

TEST(rules_error_needs_both_clauses)
{
	struct braid_err e = parse_err("program p: eligible if enrolled(event x);\n", 1);
	ASSERT_CONTAINS(e.msg, "needs both");
	e = parse_err("program p: eligible if enrolled(event x, within 3 fortnights); enrolled if has(event y)\n", 1);
	ASSERT_CONTAINS(e.msg, "expected a unit");
	e = parse_err("program p: eligible if latest(event x) > 3; enrolled if has(event y)\n", 1);
	ASSERT_CONTAINS(e.msg, "latest(...) compares");
}

TEST(rules_nesting_is_bounded)
{
	char t[4096] = "program p: eligible if ";
	size_t n = strlen(t);
	memset(t + n, '(', 100);
	t[n + 100] = 0;
	struct braid_err e = parse_err(t, 1);
	ASSERT_EQ(e.code, BRAID_ETOOBIG);
}

TEST(query_edit_distance)
{
	ASSERT_EQ(braid_edit_distance("jail_bookng", "jail_booking", 5), 1);
	ASSERT_EQ(braid_edit_distance("kitten", "sitting", 5), 3);
	ASSERT_EQ(braid_edit_distance("abc", "abc", 5), 0);
	ASSERT_EQ(braid_edit_distance("a", "abcdefgh", 2), 3); /* capped at cap + 1 */
}

TEST(query_lexer_rejects_nul_and_oversize)
{
	struct braid_err err;
	struct braid_query *q = NULL;
	ASSERT_EQ(braid_query_parse("index\0event a", 13, "t", &q, &err), BRAID_EPARSE);
	ASSERT_EQ(braid_query_parse("x", BRAID_QUERY_MAX + 1, "t", &q, &err), BRAID_ETOOBIG);
}
