/* Source specs: YAML parsing with positioned errors, inline form, round trip. */
#include "test.h"
#include "braid/ingest.h"

static struct braid_spec *parse_ok(const char *y)
{
	struct braid_spec *s = NULL;
	struct braid_err e;
	braid_err_clear(&e);
	if (braid_spec_parse(y, strlen(y), "t.yaml", &s, &e)) {
		char m[800];
		braid_err_format(&e, m, sizeof m);
		TEST_FAIL_("parse failed: %s", m);
	}
	return s;
}

/* Parse y expecting failure; returns "line:col: msg". */
static const char *parse_bad(const char *y)
{
	static char out[800];
	struct braid_spec *s = NULL;
	struct braid_err e;
	braid_err_clear(&e);
	braid_rc rc = braid_spec_parse(y, strlen(y), "t.yaml", &s, &e);
	if (rc == BRAID_OK)
		TEST_FAIL_("expected a parse error for:\n%s", y);
	ASSERT(s == NULL);
	ASSERT_STR_EQ(e.file, "t.yaml");
	snprintf(out, sizeof out, "%ld:%ld: %s", e.line, e.column, e.msg);
	return out;
}

#define ASSERT_HAS(hay, needle)                                               \
	do {                                                                    \
		const char *h_ = (hay);                                           \
		if (!strstr(h_, needle))                                          \
			TEST_FAIL_("expected \"%s\" in \"%s\"", needle, h_);      \
	} while (0)

static const char full[] =
	"source: jail\n"
	"title: County jail bookings\n"
	"steward: Department of Prisons\n"
	"regime: cjis\n"
	"id: BOOKING_PERSON_ID\n"
	"rows: event\n"
	"delimiter: \"|\"\n"
	"encoding: latin1\n"
	"fields:\n"
	"  first_name: FNAME\n"
	"  last_name: LNAME\n"
	"  dob: {column: DOB, format: \"%m/%d/%Y\", missing: [\"\", \"99/99/9999\"]}\n"
	"  race: {column: RACE, map: {W: white, B: black}}\n"
	"events:\n"
	"  - type: jail_booking\n"
	"    start: {column: BOOK_DATE, format: \"%Y-%m-%d\"}\n"
	"    end: RELEASE_DATE\n"
	"    amount: BAIL\n"
	"    attributes:\n"
	"      charge: CHARGE_CODE\n";

TEST(spec_parses_every_documented_key)
{
	struct braid_spec *s = parse_ok(full);
	ASSERT_STR_EQ(s->source, "jail");
	ASSERT_STR_EQ(s->title, "County jail bookings");
	ASSERT_EQ(s->regime, BRAID_REGIME_CJIS);
	ASSERT_STR_EQ(s->id, "BOOKING_PERSON_ID");
	ASSERT_EQ(s->rows_event, 1);
	ASSERT_EQ(s->delimiter, '|');
	ASSERT_EQ(s->latin1, 1);
	ASSERT_STR_EQ(s->fields[BRAID_F_FIRST_NAME].column, "FNAME");
	ASSERT_STR_EQ(s->fields[BRAID_F_DOB].format, "%m/%d/%Y");
	ASSERT_EQ(s->fields[BRAID_F_DOB].nmissing, 2);
	ASSERT_STR_EQ(s->fields[BRAID_F_DOB].missing[1], "99/99/9999");
	ASSERT_EQ(s->fields[BRAID_F_RACE].nmap, 2);
	ASSERT_STR_EQ(s->fields[BRAID_F_RACE].map[1].key, "B");
	ASSERT_STR_EQ(s->fields[BRAID_F_RACE].map[1].value, "black");
	ASSERT(s->fields[BRAID_F_SSN].column == NULL);
	ASSERT_EQ(s->nevents, 1);
	ASSERT_STR_EQ(s->events[0].type, "jail_booking");
	ASSERT_STR_EQ(s->events[0].start.column, "BOOK_DATE");
	ASSERT_STR_EQ(s->events[0].end.column, "RELEASE_DATE");
	ASSERT_STR_EQ(s->events[0].amount.column, "BAIL");
	ASSERT_EQ(s->events[0].nattrs, 1);
	ASSERT_STR_EQ(s->events[0].attrs[0].value, "CHARGE_CODE");
	braid_spec_free(s);
}

TEST(spec_yaml_round_trip_is_stable)
{
	struct braid_spec *s = parse_ok(full);
	char *y1 = braid_spec_to_yaml(s);
	struct braid_spec *s2 = parse_ok(y1);
	char *y2 = braid_spec_to_yaml(s2);
	ASSERT_STR_EQ(y2, y1);
	ASSERT_STR_EQ(s2->fields[BRAID_F_DOB].missing[1], "99/99/9999");
	ASSERT_EQ(s2->delimiter, '|');
	free(y1);
	free(y2);
	braid_spec_free(s);
	braid_spec_free(s2);
}

TEST(spec_minimal_defaults)
{
	struct braid_spec *s = parse_ok("source: shelter\n");
	ASSERT(s->id == NULL);
	ASSERT_EQ(s->kind, BRAID_KIND_PERSON);
	ASSERT_EQ(s->regime, BRAID_REGIME_NONE);
	ASSERT_EQ(s->rows_event, 0);
	ASSERT_EQ(s->nevents, 0);
	braid_spec_free(s);
}

TEST(spec_unknown_field_suggests_nearest_with_position)
{
	const char *m = parse_bad("source: a\nfields:\n  firstname: FN\n");
	ASSERT_HAS(m, "3:3: unknown standard field 'firstname' (did you mean 'first_name'?)");
}

TEST(spec_unknown_top_key_suggests)
{
	ASSERT_HAS(parse_bad("source: a\nstewart: x\n"),
		   "2:1: unknown key 'stewart' (did you mean 'steward'?)");
}

TEST(spec_missing_source_is_an_error)
{
	ASSERT_HAS(parse_bad("title: x\n"), "1:1: expected a 'source' key");
}

TEST(spec_bad_source_name_points_at_value)
{
	ASSERT_HAS(parse_bad("source: Jail-1\n"), "1:9: source 'Jail-1'");
}

TEST(spec_bad_regime_lists_choices)
{
	ASSERT_HAS(parse_bad("source: a\nregime: SECRET\n"),
		   "2:9: regime: 'SECRET' is not one of NONE | HIPAA");
}

TEST(spec_event_without_start)
{
	ASSERT_HAS(parse_bad("source: a\nevents:\n  - type: x\n    end: E\n"),
		   "3:5: event 'x': expected a 'start' key");
}

TEST(spec_event_type_must_be_identifier)
{
	ASSERT_HAS(parse_bad("source: a\nevents:\n  - type: Jail Booking\n    start: D\n"),
		   "3:11: event type 'Jail Booking'");
}

TEST(spec_race_map_value_must_be_omb)
{
	ASSERT_HAS(parse_bad("source: a\nfields:\n  race: {column: R, map: {W: caucasian}}\n"),
		   "race: map value 'caucasian' is not one of white, black");
}

TEST(spec_duplicate_key_names_first_line)
{
	ASSERT_HAS(parse_bad("source: a\nfields:\n  dob: D\n  dob: E\n"),
		   "4:3: duplicate key 'dob' (first on line 3)");
}

TEST(spec_yaml_syntax_error_has_position)
{
	const char *m = parse_bad("source: a\nfields:\n  dob: {column: D\n");
	ASSERT_HAS(m, "YAML:");
	ASSERT(m[0] >= '1' && m[0] <= '9');
}

TEST(spec_field_mapping_without_column)
{
	ASSERT_HAS(parse_bad("source: a\nfields:\n  dob: {format: \"%Y\"}\n"),
		   "3:8: dob: expected a 'column' key");
}

TEST(spec_field_mapping_unknown_key_suggests)
{
	ASSERT_HAS(parse_bad("source: a\nfields:\n  dob: {column: D, fromat: x}\n"),
		   "dob: unknown key 'fromat' (did you mean 'format'?)");
}

TEST(spec_delimiter_must_be_one_char)
{
	ASSERT_HAS(parse_bad("source: a\ndelimiter: ab\n"), "2:12: delimiter: expected one");
}

TEST(spec_aliases_are_refused)
{
	ASSERT_HAS(parse_bad("source: a\nfields:\n  first_name: &x FN\n  last_name: *x\n"),
		   "aliases are not supported");
}

TEST(spec_rows_event_needs_events)
{
	ASSERT_HAS(parse_bad("source: a\nrows: event\n"), "rows: event needs an 'events' list");
}

TEST(spec_root_must_be_mapping)
{
	ASSERT_HAS(parse_bad("- a\n- b\n"), "1:1: spec: expected a mapping");
	ASSERT_HAS(parse_bad(""), "empty spec");
}

TEST(spec_inline_form_builds_same_spec)
{
	char *argv[] = {"shelter", "--id", "CLIENT_ID", "--field", "first_name=FIRST",
			"--field", "dob=BIRTH:%m/%d/%Y", "--event", "shelter_stay",
			"--start", "ENTRY:%Y-%m-%d", "--end", "EXIT", "--attr", "bed=BED_NO",
			"--rows", "event"};
	struct braid_spec *s = NULL;
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_spec_from_args(17, argv, &s, &e), BRAID_OK);
	ASSERT_STR_EQ(s->source, "shelter");
	ASSERT_STR_EQ(s->id, "CLIENT_ID");
	ASSERT_STR_EQ(s->fields[BRAID_F_DOB].column, "BIRTH");
	ASSERT_STR_EQ(s->fields[BRAID_F_DOB].format, "%m/%d/%Y");
	ASSERT_STR_EQ(s->events[0].start.format, "%Y-%m-%d");
	ASSERT_STR_EQ(s->events[0].end.column, "EXIT");
	ASSERT_STR_EQ(s->events[0].attrs[0].key, "bed");
	char *y = braid_spec_to_yaml(s);
	struct braid_spec *s2 = parse_ok(y);
	ASSERT_STR_EQ(s2->events[0].attrs[0].value, "BED_NO");
	ASSERT_EQ(s2->rows_event, 1);
	free(y);
	braid_spec_free(s);
	braid_spec_free(s2);
}

TEST(spec_inline_errors_name_the_argument)
{
	struct braid_spec *s = NULL;
	struct braid_err e;
	char *a1[] = {"x", "--field", "fist_name=F"};
	ASSERT_EQ(braid_spec_from_args(3, a1, &s, &e), BRAID_EINVAL);
	ASSERT_HAS(e.msg, "'fist_name=F': unknown standard field 'fist_name' (did you mean "
			  "'first_name'?)");
	char *a2[] = {"x", "--start", "D"};
	ASSERT_EQ(braid_spec_from_args(3, a2, &s, &e), BRAID_EINVAL);
	ASSERT_HAS(e.msg, "must follow --event");
	char *a3[] = {"x", "--event", "visit"};
	ASSERT_EQ(braid_spec_from_args(3, a3, &s, &e), BRAID_EINVAL);
	ASSERT_HAS(e.msg, "expected --start");
	char *a4[] = {"x", "--id"};
	ASSERT_EQ(braid_spec_from_args(2, a4, &s, &e), BRAID_EINVAL);
	ASSERT_HAS(e.msg, "expected a value");
	ASSERT(s == NULL);
}
