/*
 * Specification of the ingest validators (braid/normalize.h): dates, SSN,
 * ZIP, phone, sex, e-mail, UTF-8 validity and Latin-1 conversion.
 */
#include "test.h"
#include "braid/normalize.h"

/* "YYYY-MM-DD" of s parsed with fmt, or "ERR". */
static const char *date(const char *s, const char *fmt, int pivot)
{
	static char out[16];
	struct braid_date d;
	if (braid_date_parse(s, fmt, pivot, &d) != BRAID_OK)
		return "ERR";
	braid_date_iso(d, out);
	return out;
}

/* ---------------------------------------------------------------- dates */

TEST(date_iso_format)
{
	ASSERT_STR_EQ(date("1985-03-12", "%Y-%m-%d", 50), "1985-03-12");
}

TEST(date_us_format_with_one_or_two_digits)
{
	ASSERT_STR_EQ(date("3/7/1985", "%m/%d/%Y", 50), "1985-03-07");
	ASSERT_STR_EQ(date("03/07/1985", "%m/%d/%Y", 50), "1985-03-07");
}

TEST(date_compact_format)
{
	ASSERT_STR_EQ(date("19850312", "%Y%m%d", 50), "1985-03-12");
}

TEST(date_abbreviated_month_any_case)
{
	ASSERT_STR_EQ(date("12-Mar-1985", "%d-%b-%Y", 50), "1985-03-12");
	ASSERT_STR_EQ(date("12-MAR-1985", "%d-%b-%Y", 50), "1985-03-12");
	ASSERT_STR_EQ(date("12-sep-1985", "%d-%b-%Y", 50), "1985-09-12");
	ASSERT_STR_EQ(date("12-Mrz-1985", "%d-%b-%Y", 50), "ERR");
}

TEST(date_full_month_name)
{
	ASSERT_STR_EQ(date("March 12, 1985", "%B %d, %Y", 50), "1985-03-12");
	ASSERT_STR_EQ(date("september 1, 2001", "%B %d, %Y", 50), "2001-09-01");
	ASSERT_STR_EQ(date("Mar 12, 1985", "%B %d, %Y", 50), "ERR");
}

TEST(date_two_digit_year_uses_the_pivot)
{
	ASSERT_STR_EQ(date("03/12/85", "%m/%d/%y", 25), "1985-03-12");
	ASSERT_STR_EQ(date("03/12/25", "%m/%d/%y", 25), "2025-03-12");
	ASSERT_STR_EQ(date("03/12/26", "%m/%d/%y", 25), "1926-03-12");
	ASSERT_STR_EQ(date("03/12/00", "%m/%d/%y", 25), "2000-03-12");
}

TEST(date_default_pivot_is_this_years_last_two_digits)
{
	setenv("BRAID_TODAY", "2026-06-01", 1);
	ASSERT_STR_EQ(date("01/02/26", "%m/%d/%y", -1), "2026-01-02");
	ASSERT_STR_EQ(date("01/02/27", "%m/%d/%y", -1), "1927-01-02");
}

TEST(date_auto_tries_every_documented_format)
{
	ASSERT_STR_EQ(date("1985-03-12", NULL, 50), "1985-03-12");
	ASSERT_STR_EQ(date("19850312", "auto", 50), "1985-03-12");
	ASSERT_STR_EQ(date("03/12/1985", "auto", 50), "1985-03-12");
	ASSERT_STR_EQ(date("3/2/1985", "auto", 50), "1985-03-02");
	ASSERT_STR_EQ(date("12-Mar-1985", "auto", 50), "1985-03-12");
	ASSERT_STR_EQ(date("1985/03/12", "auto", 50), "1985-03-12");
	ASSERT_STR_EQ(date("12.03.1985", "auto", 50), "ERR");
}

TEST(date_time_suffix_is_ignored)
{
	ASSERT_STR_EQ(date("2020-01-02 13:45:00", NULL, 50), "2020-01-02");
	ASSERT_STR_EQ(date("2020-01-02T13:45", NULL, 50), "2020-01-02");
	ASSERT_STR_EQ(date("2020-01-02T13:45:00.000Z", "%Y-%m-%d", 50), "2020-01-02");
	ASSERT_STR_EQ(date("1/2/2020 1:05 PM", NULL, 50), "2020-01-02");
	ASSERT_STR_EQ(date("2020-01-02 garbage", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("2020-01-02x", NULL, 50), "ERR");
}

TEST(date_surrounding_spaces_are_ignored)
{
	ASSERT_STR_EQ(date("  1985-03-12 ", NULL, 50), "1985-03-12");
}

TEST(date_impossible_dates_are_rejected)
{
	ASSERT_STR_EQ(date("2021-02-30", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("2021-02-29", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("2021-13-01", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("2021-00-10", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("2021-04-31", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("2021-04-00", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("", NULL, 50), "ERR");
	ASSERT_STR_EQ(date("85-03-12", "%Y-%m-%d", 50), "ERR");
}

TEST(date_leap_years_follow_the_gregorian_rules)
{
	ASSERT_STR_EQ(date("2020-02-29", NULL, 50), "2020-02-29");
	ASSERT_STR_EQ(date("2000-02-29", NULL, 50), "2000-02-29");
	ASSERT_STR_EQ(date("1900-02-29", NULL, 50), "ERR");
	ASSERT(braid_date_valid(2400, 2, 29));
	ASSERT(!braid_date_valid(2100, 2, 29));
	ASSERT(braid_date_valid(2024, 12, 31));
	ASSERT(!braid_date_valid(2024, 12, 32));
}

TEST(date_unsupported_directive_is_an_error)
{
	ASSERT_STR_EQ(date("2020-045", "%Y-%j", 50), "ERR");
}

TEST(date_days_since_epoch)
{
	ASSERT_EQ(braid_date_to_days((struct braid_date){1970, 1, 1}), 0);
	ASSERT_EQ(braid_date_to_days((struct braid_date){1970, 1, 2}), 1);
	ASSERT_EQ(braid_date_to_days((struct braid_date){1969, 12, 31}), -1);
	ASSERT_EQ(braid_date_to_days((struct braid_date){2000, 3, 1}), 11017);
	ASSERT_EQ(braid_date_to_days((struct braid_date){1900, 1, 1}), -25567);
}

TEST(date_days_round_trip_every_day_1800_to_2200)
{
	long first = braid_date_to_days((struct braid_date){1800, 1, 1});
	long last = braid_date_to_days((struct braid_date){2200, 12, 31});
	struct braid_date prev = braid_date_from_days(first - 1);
	ASSERT_EQ(prev.y, 1799);
	for (long z = first; z <= last; z++) {
		struct braid_date d = braid_date_from_days(z);
		if (!braid_date_valid(d.y, d.m, d.d) || braid_date_to_days(d) != z)
			TEST_FAIL_("day %ld -> %d-%d-%d", z, d.y, d.m, d.d);
		/* consecutive days: next day or first of the next month/year */
		int next = (d.y == prev.y && d.m == prev.m && d.d == prev.d + 1) ||
			   (d.d == 1 && ((d.y == prev.y && d.m == prev.m + 1) ||
					 (d.y == prev.y + 1 && d.m == 1 && prev.m == 12)));
		if (!next)
			TEST_FAIL_("day %ld does not follow the previous one", z);
		prev = d;
	}
	ASSERT_EQ(last - first + 1, 146097 + 365); /* 400 years, then 2200 */
}

TEST(date_today_can_be_fixed_for_tests)
{
	setenv("BRAID_TODAY", "2024-02-29", 1);
	struct braid_date d = braid_date_today();
	ASSERT_EQ(d.y, 2024);
	ASSERT_EQ(d.m, 2);
	ASSERT_EQ(d.d, 29);
	unsetenv("BRAID_TODAY");
	d = braid_date_today();
	ASSERT(d.y >= 2024 && braid_date_valid(d.y, d.m, d.d));
}

/* ---------------------------------------------------------------- SSN */

static enum braid_ssn_problem ssn(const char *s, char out[10])
{
	return braid_ssn_check(s, out);
}

TEST(ssn_valid_with_dashes_spaces_or_bare)
{
	char out[10];
	ASSERT_EQ(ssn("219-45-6780", out), BRAID_SSN_OK);
	ASSERT_STR_EQ(out, "219456780");
	ASSERT_EQ(ssn("219 45 6780", out), BRAID_SSN_OK);
	ASSERT_STR_EQ(out, "219456780");
	ASSERT_EQ(ssn("219456780", out), BRAID_SSN_OK);
	ASSERT_STR_EQ(out, "219456780");
}

TEST(ssn_malformed_when_not_nine_digits)
{
	char out[10];
	ASSERT_EQ(ssn("21945678", out), BRAID_SSN_MALFORMED);
	ASSERT_EQ(ssn("2194567801", out), BRAID_SSN_MALFORMED);
	ASSERT_EQ(ssn("219-45-678O", out), BRAID_SSN_MALFORMED);
	ASSERT_EQ(ssn("", out), BRAID_SSN_MALFORMED);
	ASSERT_STR_EQ(out, "");
}

TEST(ssn_area_000_666_and_9xx_never_issued)
{
	char out[10];
	ASSERT_EQ(ssn("000-45-6780", out), BRAID_SSN_AREA);
	ASSERT_EQ(ssn("666-45-6780", out), BRAID_SSN_AREA);
	ASSERT_EQ(ssn("900-45-6780", out), BRAID_SSN_AREA);
	ASSERT_EQ(ssn("987-65-4321", out), BRAID_SSN_AREA);
	ASSERT_EQ(ssn("000-00-0000", out), BRAID_SSN_AREA);
	ASSERT_EQ(ssn("899-45-6780", out), BRAID_SSN_OK);
}

TEST(ssn_group_00_and_serial_0000_never_issued)
{
	char out[10];
	ASSERT_EQ(ssn("219-00-6780", out), BRAID_SSN_GROUP);
	ASSERT_EQ(ssn("219-45-0000", out), BRAID_SSN_SERIAL);
	ASSERT_EQ(ssn("219-01-0001", out), BRAID_SSN_OK);
}

TEST(ssn_placeholders_are_flagged)
{
	char out[10];
	ASSERT_EQ(ssn("123-45-6789", out), BRAID_SSN_PLACEHOLDER);
	ASSERT_EQ(ssn("078-05-1120", out), BRAID_SSN_PLACEHOLDER);
	ASSERT_EQ(ssn("219-09-9999", out), BRAID_SSN_PLACEHOLDER);
	ASSERT_EQ(ssn("111-11-1111", out), BRAID_SSN_PLACEHOLDER);
	ASSERT_EQ(ssn("555555555", out), BRAID_SSN_PLACEHOLDER);
	ASSERT_EQ(ssn("999-99-9999", out), BRAID_SSN_PLACEHOLDER);
	ASSERT_STR_EQ(out, "999999999");
	ASSERT_EQ(ssn("111-11-1112", out), BRAID_SSN_OK);
	ASSERT_STR_EQ(braid_ssn_problem_str(BRAID_SSN_PLACEHOLDER),
		      "known placeholder or sample number");
}

/* ---------------------------------------------------------------- ZIP */

TEST(zip5_is_us)
{
	char z[11], p[5];
	int us = -1;
	ASSERT_EQ(braid_zip_check(" 19104 ", z, p, &us), BRAID_OK);
	ASSERT_STR_EQ(z, "19104");
	ASSERT_STR_EQ(p, "");
	ASSERT_EQ(us, 1);
}

TEST(zip_plus4_with_or_without_dash)
{
	char z[11], p[5];
	int us = -1;
	ASSERT_EQ(braid_zip_check("19104-2345", z, p, &us), BRAID_OK);
	ASSERT_STR_EQ(z, "19104");
	ASSERT_STR_EQ(p, "2345");
	ASSERT_EQ(us, 1);
	ASSERT_EQ(braid_zip_check("191042345", z, p, &us), BRAID_OK);
	ASSERT_STR_EQ(z, "19104");
	ASSERT_STR_EQ(p, "2345");
}

TEST(zip_foreign_postcode_kept_upper_case)
{
	char z[11], p[5];
	int us = -1;
	ASSERT_EQ(braid_zip_check("sw1a 1aa", z, p, &us), BRAID_OK);
	ASSERT_STR_EQ(z, "SW1A 1AA");
	ASSERT_EQ(us, 0);
	ASSERT_EQ(braid_zip_check("4011", z, p, &us), BRAID_OK);
	ASSERT_STR_EQ(z, "4011");
	ASSERT_EQ(us, 0);
	ASSERT_EQ(braid_zip_check("H3Z 2Y7", z, p, &us), BRAID_OK);
	ASSERT_STR_EQ(z, "H3Z 2Y7");
}

TEST(zip_malformed_is_rejected)
{
	char z[11], p[5];
	int us = -1;
	ASSERT_EQ(braid_zip_check("00000", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("1910", z, p, &us), BRAID_OK); /* foreign-looking */
	ASSERT_EQ(braid_zip_check("191045", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("19104-23", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("19104-23456", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("ABCDE", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("19", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("19104#", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("", z, p, &us), BRAID_EPARSE);
	ASSERT_EQ(braid_zip_check("A1B2C3D4E5F6", z, p, &us), BRAID_EPARSE);
}

/* ---------------------------------------------------------------- phone */

TEST(phone_us_number_in_any_punctuation)
{
	char out[16];
	ASSERT_EQ(braid_phone_check("(215) 555-0134", out), BRAID_OK);
	ASSERT_STR_EQ(out, "2155550134");
	ASSERT_EQ(braid_phone_check("215.555.0134", out), BRAID_OK);
	ASSERT_STR_EQ(out, "2155550134");
	ASSERT_EQ(braid_phone_check("1-215-555-0134", out), BRAID_OK);
	ASSERT_STR_EQ(out, "2155550134");
	ASSERT_EQ(braid_phone_check("+1 215 555 0134", out), BRAID_OK);
	ASSERT_STR_EQ(out, "2155550134");
}

TEST(phone_extension_is_dropped)
{
	char out[16];
	ASSERT_EQ(braid_phone_check("215-555-0134 x12", out), BRAID_OK);
	ASSERT_STR_EQ(out, "2155550134");
	ASSERT_EQ(braid_phone_check("215-555-0134 ext. 12", out), BRAID_OK);
	ASSERT_STR_EQ(out, "2155550134");
}

TEST(phone_us_area_code_cannot_start_with_0_or_1)
{
	char out[16];
	ASSERT_EQ(braid_phone_check("015-555-0134", out), BRAID_EPARSE);
	ASSERT_EQ(braid_phone_check("115-555-0134", out), BRAID_EPARSE);
}

TEST(phone_local_and_international_lengths)
{
	char out[16];
	ASSERT_EQ(braid_phone_check("555-0134", out), BRAID_OK);
	ASSERT_STR_EQ(out, "5550134");
	ASSERT_EQ(braid_phone_check("+44 20 7946 0958", out), BRAID_OK);
	ASSERT_STR_EQ(out, "442079460958");
	ASSERT_EQ(braid_phone_check("011 44 20 7946 0958", out), BRAID_OK);
	ASSERT_STR_EQ(out, "442079460958");
	ASSERT_EQ(braid_phone_check("555-013", out), BRAID_EPARSE);
	ASSERT_EQ(braid_phone_check("+1234567890123456", out), BRAID_EPARSE);
}

TEST(phone_junk_and_filler_are_rejected)
{
	char out[16];
	ASSERT_EQ(braid_phone_check("", out), BRAID_EPARSE);
	ASSERT_EQ(braid_phone_check("none", out), BRAID_EPARSE);
	ASSERT_EQ(braid_phone_check("215-555-CALL", out), BRAID_EPARSE);
	ASSERT_EQ(braid_phone_check("000-0000", out), BRAID_EPARSE);
	ASSERT_EQ(braid_phone_check("999-999-9999", out), BRAID_EPARSE);
	ASSERT_STR_EQ(out, "");
}

/* ---------------------------------------------------------------- sex */

TEST(sex_codes_map_to_m_and_f)
{
	char c = 'z';
	ASSERT_EQ(braid_sex_check("m", &c), BRAID_OK);
	ASSERT_EQ(c, 'M');
	ASSERT_EQ(braid_sex_check(" Male ", &c), BRAID_OK);
	ASSERT_EQ(c, 'M');
	ASSERT_EQ(braid_sex_check("1", &c), BRAID_OK);
	ASSERT_EQ(c, 'M');
	ASSERT_EQ(braid_sex_check("F", &c), BRAID_OK);
	ASSERT_EQ(c, 'F');
	ASSERT_EQ(braid_sex_check("female", &c), BRAID_OK);
	ASSERT_EQ(c, 'F');
	ASSERT_EQ(braid_sex_check("2", &c), BRAID_OK);
	ASSERT_EQ(c, 'F');
}

TEST(sex_explicit_unknown_is_ok_and_empty)
{
	const char *u[] = {"U", "x", "Unknown", "", "  ", "0", "9", "N/A"};
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
		char c = 'z';
		ASSERT_EQ(braid_sex_check(u[i], &c), BRAID_OK);
		ASSERT_EQ(c, 0);
	}
}

TEST(sex_anything_else_is_an_error)
{
	char c;
	ASSERT_EQ(braid_sex_check("Q", &c), BRAID_EPARSE);
	ASSERT_EQ(braid_sex_check("MF", &c), BRAID_EPARSE);
	ASSERT_EQ(braid_sex_check("3", &c), BRAID_EPARSE);
	ASSERT_EQ(braid_sex_check("a very long value here", &c), BRAID_EPARSE);
}

/* ---------------------------------------------------------------- email */

TEST(email_lower_cased_and_trimmed)
{
	char out[64];
	ASSERT_EQ(braid_email_check("  Jane.Doe@Example.ORG ", out), BRAID_OK);
	ASSERT_STR_EQ(out, "jane.doe@example.org");
}

TEST(email_malformed_is_rejected)
{
	char out[64];
	const char *bad[] = {"",          "jane",          "@example.org", "jane@",
			     "jane@host", "a@b@example.org", "jane doe@x.org", "jane@.org",
			     "jane@x.",   "jane@x..org",   "<jane@x.org>"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (braid_email_check(bad[i], out) != BRAID_EPARSE)
			TEST_FAIL_("accepted bad email #%zu", i);
}

/* ---------------------------------------------------------------- text */

TEST(utf8_valid_accepts_well_formed_text)
{
	ASSERT(braid_utf8_valid("", 0));
	ASSERT(braid_utf8_valid("plain", 5));
	ASSERT(braid_utf8_valid("Jos\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x98\x80", 14));
}

TEST(utf8_valid_rejects_malformed_sequences)
{
	ASSERT(!braid_utf8_valid("Jos\xE9", 4));          /* Latin-1 byte */
	ASSERT(!braid_utf8_valid("\xC3", 1));             /* truncated */
	ASSERT(!braid_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
	ASSERT(!braid_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
	ASSERT(!braid_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	ASSERT(!braid_utf8_valid("\x80", 1));             /* lone continuation */
	/* the length bounds the check: a sequence cut by len is invalid */
	ASSERT(!braid_utf8_valid("\xC3\xA9", 1));
}

TEST(latin1_to_utf8_converts_high_bytes)
{
	char out[32];
	ASSERT_EQ(braid_latin1_to_utf8("Jos\xE9 Mu\xF1oz", 10, out), 12);
	ASSERT_STR_EQ(out, "Jos\xC3\xA9 Mu\xC3\xB1oz");
	ASSERT(braid_utf8_valid(out, 12));
	ASSERT_EQ(braid_latin1_to_utf8("\xFF\x80", 2, out), 4);
	ASSERT_STR_EQ(out, "\xC3\xBF\xC2\x80");
}
