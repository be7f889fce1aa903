/*
 * Agreement files: a valid one parses into what it says; each kind of
 * mistake is refused with the key, the reason and the line and column.
 */
#include "test.h"
#include "braid/policy.h"

static const char good[] =
	"id: jail-shelter-2026\n"
	"title: Reentry and homelessness evaluation\n"
	"status: active\n"
	"parties: [Department of Prisons, Office of Homeless Services]\n"
	"purposes: [reentry-evaluation]\n"
	"legal_basis:\n"
	"  - regime: CJIS\n"
	"    citation: CJIS Security Policy 5.9\n"
	"  - STATE\n"
	"sources:\n"
	"  jail: [jail_booking, start, end, facility]\n"
	"  shelter: [shelter_stay, start, end]\n"
	"use: deidentified-row\n"
	"covers:\n"
	"  users: [ana]\n"
	"  orgs: [Office of Homeless Services]\n"
	"start: 2026-01-01\n"
	"end: 2027-12-31\n"
	"destruction:\n"
	"  what: [exports, source_rows]\n"
	"  within_days: 30\n"
	"summary: >\n"
	"  The city studies whether people leaving jail become homeless.\n";

static struct braid_agreement *parse(const char *text, struct braid_err *err)
{
	struct braid_agreement *a = NULL;
	braid_err_clear(err);
	braid_agreement_parse(text, strlen(text), "a.yaml", &a, err);
	return a;
}

/* Replace the first occurrence of from with to in good. */
static char *edit(const char *from, const char *to)
{
	static char buf[4096];
	const char *p = strstr(good, from);
	if (!p) {
		fprintf(stderr, "edit: '%s' not in the fixture\n", from);
		exit(1);
	}
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
	return buf;
}

TEST(agreement_parses_every_key)
{
	struct braid_err err;
	struct braid_agreement *a = parse(good, &err);
	if (!a)
		TEST_FAIL_("parse failed: %s", err.msg);
	ASSERT_STR_EQ(a->id, "jail-shelter-2026");
	ASSERT_EQ(a->status, BRAID_AG_ACTIVE);
	ASSERT_EQ(a->nparties, 2);
	ASSERT_STR_EQ(a->parties[1], "Office of Homeless Services");
	ASSERT_EQ(a->npurposes, 1);
	ASSERT_EQ(a->nbasis, 2);
	ASSERT_EQ(a->regimes, BRAID_REG_CJIS | BRAID_REG_STATE);
	ASSERT_STR_EQ(a->basis[0].citation, "CJIS Security Policy 5.9");
	ASSERT_EQ(a->nsources, 2);
	ASSERT_STR_EQ(a->sources[1].name, "shelter");
	ASSERT_EQ(a->sources[0].nfields, 4);
	ASSERT_EQ(a->use, BRAID_USE_DEIDENTIFIED);
	ASSERT_EQ(a->ncover_users, 1);
	ASSERT_EQ(a->ncover_orgs, 1);
	ASSERT_EQ(a->min_cell_size, 11);
	ASSERT_STR_EQ(a->start, "2026-01-01");
	ASSERT_STR_EQ(a->end, "2027-12-31");
	ASSERT_EQ(a->destroy_what, BRAID_DESTROY_EXPORTS | BRAID_DESTROY_SOURCE_ROWS);
	ASSERT_EQ(a->destroy_within_days, 30);
	ASSERT(strstr(a->summary, "leaving jail"));
	braid_agreement_free(a);
}

TEST(agreement_status_follows_the_dates)
{
	struct braid_err err;
	struct braid_agreement *a = parse(good, &err);
	ASSERT(a);
	ASSERT_EQ(braid_agreement_status_on(a, "2025-12-31"), BRAID_AG_PENDING);
	ASSERT_EQ(braid_agreement_status_on(a, "2026-01-01"), BRAID_AG_ACTIVE);
	ASSERT_EQ(braid_agreement_status_on(a, "2027-12-31"), BRAID_AG_ACTIVE);
	ASSERT_EQ(braid_agreement_status_on(a, "2028-01-01"), BRAID_AG_EXPIRED);
	a->status = BRAID_AG_REVOKED;
	ASSERT_EQ(braid_agreement_status_on(a, "2026-06-01"), BRAID_AG_REVOKED);
	braid_agreement_free(a);
}

TEST(agreement_min_cell_size_can_be_raised)
{
	struct braid_err err;
	struct braid_agreement *a = parse(edit("use: ", "min_cell_size: 20\nuse: "), &err);
	ASSERT(a);
	ASSERT_EQ(a->min_cell_size, 20);
	braid_agreement_free(a);
}

static void expect_error(const char *text, const char *part, long line, long col)
{
	struct braid_err err;
	struct braid_agreement *a = parse(text, &err);
	if (a)
		TEST_FAIL_("accepted an invalid agreement (expected '%s')", part);
	ASSERT_EQ(err.code, BRAID_EPARSE);
	if (!strstr(err.msg, part))
		TEST_FAIL_("message '%s' lacks '%s'", err.msg, part);
	ASSERT_STR_EQ(err.file, "a.yaml");
	ASSERT_EQ(err.line, line);
	if (col)
		ASSERT_EQ(err.column, col);
}

TEST(agreement_refuses_a_bad_use_level_at_its_position)
{
	expect_error(edit("use: deidentified-row", "use: everything"),
		     "'use': expected linked-row, deidentified-row or aggregate", 13, 6);
}

TEST(agreement_refuses_end_before_start)
{
	expect_error(edit("end: 2027-12-31", "end: 2025-12-31"), "'end': is before the start", 18, 6);
}

TEST(agreement_refuses_an_impossible_date)
{
	expect_error(edit("start: 2026-01-01", "start: 2026-02-30"), "'start': expected a date", 17, 8);
}

TEST(agreement_refuses_unknown_and_repeated_keys)
{
	expect_error(edit("use: ", "purpse: x\nuse: "), "'purpse': unknown key", 13, 1);
	expect_error(edit("use: ", "title: again\nuse: "), "'title': repeated key", 13, 1);
}

TEST(agreement_refuses_missing_required_key)
{
	expect_error(edit("summary: >\n", "notes_removed: >\n"), "unknown key", 22, 1);
	char *t = edit("destruction:\n  what: [exports, source_rows]\n  within_days: 30\n", "");
	expect_error(t, "'destruction': required key missing", 1, 1);
}

TEST(agreement_refuses_unknown_regime_role_and_status)
{
	expect_error(edit("  - STATE\n", "  - GDPR\n"), "'regime': expected HIPAA", 9, 5);
	expect_error(edit("  orgs: [Office of Homeless Services]\n", "  roles: [mayor]\n"),
		     "'roles': expected admin", 16, 10);
	expect_error(edit("status: active", "status: expired"), "'status': expected draft", 3, 9);
}

TEST(agreement_refuses_identifiers_below_linked_row)
{
	expect_error(edit("facility]", "facility, ssn]"),
		     "identifier field 'jail.ssn' needs use linked-row", 11, 3);
}

TEST(agreement_refuses_more_than_a_role_may_receive)
{
	expect_error(edit("  users: [ana]\n", "  roles: [public]\n"),
		     "'use': exceeds the role bound: covers role public", 13, 6);
}

TEST(agreement_refuses_empty_lists_and_repeats)
{
	expect_error(edit("[reentry-evaluation]", "[]"), "'purposes': must not be empty", 5, 11);
	expect_error(edit("[exports, source_rows]", "[exports, exports]"), "'what': repeated entry",
		     20, 19);
	expect_error(edit("  shelter:", "  jail:"), "'sources': repeated source", 12, 3);
}

TEST(agreement_reports_yaml_syntax_errors_with_position)
{
	struct braid_err err;
	struct braid_agreement *a = parse("id: x\ntitle: [unclosed\n", &err);
	ASSERT(!a);
	ASSERT_EQ(err.code, BRAID_EPARSE);
	ASSERT(strstr(err.msg, "YAML"));
	ASSERT(err.line >= 2);
}

TEST(agreement_refuses_non_mapping_and_empty_input)
{
	expect_error("- a\n- b\n", "expected a mapping", 1, 1);
	expect_error("", "empty agreement", 1, 1);
	expect_error("id: a\n---\nid: b\n", "required key missing", 1, 1);
}

TEST(agreement_errors_never_echo_values)
{
	/* A value that looks like an SSN must not come back in the message. */
	struct braid_err err;
	struct braid_agreement *a = parse(edit("use: deidentified-row", "use: 123-45-6789"), &err);
	ASSERT(!a);
	ASSERT(!strstr(err.msg, "6789"));
	a = parse(edit("use: ", "123-45-6789: x\nuse: "), &err);
	ASSERT(!a);
	ASSERT(!strstr(err.msg, "6789"));
}

TEST(agreement_public_json_has_no_covered_users)
{
	struct braid_err err;
	struct braid_agreement *a = parse(good, &err);
	ASSERT(a);
	char *j = braid_agreement_public_json(a, "2026-06-01");
	ASSERT(j);
	ASSERT(strstr(j, "\"status\":\"active\""));
	ASSERT(strstr(j, "\"summary\":\"The city studies"));
	ASSERT(strstr(j, "\"shelter\":[\"shelter_stay\""));
	ASSERT(!strstr(j, "ana"));
	free(j);
	braid_agreement_free(a);
}

TEST(agreement_load_reads_a_file_and_names_it)
{
	char path[512];
	snprintf(path, sizeof path, "%s/bad.yaml", test_tmpdir());
	FILE *f = fopen(path, "w");
	ASSERT(f);
	fputs(edit("use: deidentified-row", "use: x"), f);
	fclose(f);
	struct braid_agreement *a = NULL;
	struct braid_err err;
	ASSERT_EQ(braid_agreement_load(path, &a, &err), BRAID_EPARSE);
	ASSERT_STR_EQ(err.file, path);
	ASSERT_EQ(braid_agreement_load("/nonexistent/a.yaml", &a, &err), BRAID_EIO);
}
