/* Address standardisation with the shared USPS Pub. 28 and Philadelphia
 * tables: realistic lines as agencies write them. */
#include "test.h"
#include "braid/normalize.h"

static struct braid_address_tables *tables(void)
{
	static struct braid_address_tables *t;
	if (!t) {
		struct braid_err err = { 0 };
		t = braid_address_tables_load(NULL, &err);
		if (!t)
			TEST_FAIL_("load: %s", err.msg);
	}
	return t;
}

/* Parse line and compare the formatted parts "number|predir|street|suffix|postdir|unit". */
#define ADDR(line, want)                                                  \
	do {                                                                \
		struct braid_address a_;                                      \
		braid_rc rc_ = braid_address_parse(tables(), line, &a_);     \
		char got_[256];                                               \
		snprintf(got_, sizeof got_, "%s|%s|%s|%s|%s|%s", a_.number,   \
			 a_.predir, a_.street, a_.suffix, a_.postdir, a_.unit); \
		if (rc_ || strcmp(got_, want))                                \
			TEST_FAIL_("parse(\"%s\") rc %d = %s, expected %s",    \
				   line, (int)rc_, got_, want);               \
	} while (0)

TEST(address_parse_brief_example)
{
	ADDR("1234 N. Broad Street Apt 3B", "1234|N|BROAD|ST||APT 3B");
}

TEST(address_parse_suffix_spellings)
{
	ADDR("1500 Market St", "1500||MARKET|ST||");
	ADDR("2000 Hamilton Street", "2000||HAMILTON|ST||");
	ADDR("1901 JFK Boulevard", "1901||JOHN F KENNEDY|BLVD||"); /* Philadelphia spelling */
	ADDR("7200 Ridge Ave.", "7200||RIDGE|AVE||");
	ADDR("3400 Spruce St", "3400||SPRUCE|ST||");
	ADDR("6500 Lincoln Drive", "6500||LINCOLN|DR||");
	ADDR("100 Elfreths Aly", "100||ELFRETHS|ALY||");
	ADDR("2601 Pennsylvania Avenue", "2601||PENNSYLVANIA|AVE||");
}

TEST(address_parse_directionals)
{
	ADDR("4500 North Broad Street", "4500|N|BROAD|ST||");
	ADDR("5600 W Girard Ave", "5600|W|GIRARD|AVE||");
	ADDR("125 South 52nd St", "125|S|52ND|ST||");
	ADDR("600 N Independence Mall East", "600|N|INDEPENDENCE|MALL|E|");
}

TEST(address_parse_directional_that_is_the_name)
{
	ADDR("10 North St", "10||NORTH|ST||");
	ADDR("10 N St", "10||N|ST||");
}

TEST(address_parse_ordinal_streets)
{
	ADDR("215 S 10th St", "215|S|10TH|ST||");
	ADDR("215 S Tenth Street", "215|S|10TH|ST||");
	ADDR("215 S 10 St", "215|S|10TH|ST||");
	ADDR("1 N Twenty First St", "1|N|21ST|ST||");
	ADDR("300 N 2nd St", "300|N|2ND|ST||");
	ADDR("52 S 3 St", "52|S|3RD|ST||");
	ADDR("2601 N Twenty-Second St", "2601|N|22ND|ST||");
}

TEST(address_parse_saint_as_first_word)
{
	ADDR("1700 St James Pl", "1700||SAINT JAMES|PL||");
	ADDR("1700 St. James Place", "1700||SAINT JAMES|PL||");
	ADDR("2000 Saint Vincent St", "2000||SAINT VINCENT|ST||");
	ADDR("123 Mt Airy Ave", "123||MOUNT AIRY|AVE||");
	ADDR("100 E Mt. Pleasant Ave", "100|E|MOUNT PLEASANT|AVE||");
}

TEST(address_parse_units)
{
	ADDR("1234 Walnut St Apt. 5", "1234||WALNUT|ST||APT 5");
	ADDR("1234 Walnut St Apartment 5C", "1234||WALNUT|ST||APT 5C");
	ADDR("1234 Walnut St #5", "1234||WALNUT|ST||# 5");
	ADDR("1234 Walnut St Apt #5", "1234||WALNUT|ST||APT 5");
	ADDR("1234 Walnut St Suite 200", "1234||WALNUT|ST||STE 200");
	ADDR("1234 Walnut St Unit 2", "1234||WALNUT|ST||UNIT 2");
	ADDR("1234 Walnut St, Fl 2", "1234||WALNUT|ST||FL 2");
	ADDR("1234 Walnut St Rear", "1234||WALNUT|ST||REAR");
	ADDR("1234 Walnut St 3R", "1234||WALNUT|ST||# 3R");
	ADDR("7700 Crittenden St #B", "7700||CRITTENDEN|ST||# B");
	ADDR("4200 N Broad St Bsmt", "4200|N|BROAD|ST||BSMT");
	ADDR("8500 Henry Ave Apt 1-A", "8500||HENRY|AVE||APT 1-A");
}

TEST(address_parse_floor_written_after_its_number)
{
	ADDR("200 S Broad St 10th Fl", "200|S|BROAD|ST||FL 10");
	ADDR("2950 Kensington Ave 2nd Floor", "2950||KENSINGTON|AVE||FL 2");
}

TEST(address_parse_unit_words_that_are_street_names)
{
	ADDR("100 N Front St", "100|N|FRONT|ST||");
	ADDR("100 N Front St Apt 2", "100|N|FRONT|ST||APT 2");
}

TEST(address_parse_house_number_forms)
{
	ADDR("1234A Catharine St", "1234A||CATHARINE|ST||");
	ADDR("1234-36 Catharine St", "1234-36||CATHARINE|ST||");
	ADDR("1234 1/2 Catharine St", "1234 1/2||CATHARINE|ST||");
}

TEST(address_parse_multiword_names)
{
	ADDR("1600 Spring Garden St", "1600||SPRING GARDEN|ST||");
	ADDR("5000 Old York Rd", "5000||OLD YORK|RD||");
	ADDR("2400 Martin Luther King Dr", "2400||MARTIN LUTHER KING JR|DR||");
	ADDR("100 Avenue of the Arts", "100||AVENUE OF THE ARTS|||");
	ADDR("1 Cecil B. Moore Ave", "1||CECIL B MOORE|AVE||");
	ADDR("3400 Civic Center Blvd", "3400||CIVIC CENTER|BLVD||");
}

TEST(address_parse_case_accents_and_spacing)
{
	ADDR("  1234   n   BROAD   st  ", "1234|N|BROAD|ST||");
	ADDR("1234 N Bróad St", "1234|N|BROAD|ST||");
}

TEST(address_parse_odd_input_never_crashes)
{
	ADDR("", "|||||");
	ADDR("#", "|||||");
	ADDR("Apt 3", "|||||APT 3");
	ADDR("1234 Apt 3", "1234|||||APT 3");
	ADDR("1234", "||1234|||");
	ADDR("St", "||ST|||");
	ADDR("N", "||N|||");
	ADDR("PO Box 1234", "||PO BOX 1234|||");
	ADDR("1234 ,,, ---", "||1234|||");
	char big[600];
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct braid_address a;
	ASSERT_EQ(braid_address_parse(tables(), big, &a), BRAID_ETOOBIG);
	char many[500];
	size_t k = 0;
	while (k + 3 < sizeof many) { many[k++] = 'S'; many[k++] = 'T'; many[k++] = ' '; }
	many[k] = '\0';
	ASSERT_EQ(braid_address_parse(tables(), many, &a), BRAID_OK);
	ASSERT(strlen(a.street) < sizeof a.street);
	ASSERT_EQ(braid_address_parse(tables(), "1 Jos\xe9 St", &a), BRAID_EUTF8);
}

TEST(address_from_parts_matches_parse)
{
	struct braid_address a, b;
	ASSERT_EQ(braid_address_from_parts(tables(), "1234", "North Broad Street", "Apartment 3B", &a), BRAID_OK);
	ASSERT_EQ(braid_address_parse(tables(), "1234 N BROAD ST APT 3B", &b), BRAID_OK);
	ASSERT(memcmp(&a, &b, sizeof a) == 0);
}

TEST(address_from_parts_unit_without_designator_gets_hash)
{
	struct braid_address a;
	ASSERT_EQ(braid_address_from_parts(tables(), "50", "s 52nd st", "2F", &a), BRAID_OK);
	ASSERT_STR_EQ(a.street, "52ND");
	ASSERT_STR_EQ(a.unit, "# 2F");
}

TEST(address_format_joins_parts)
{
	struct braid_address a;
	ASSERT_EQ(braid_address_parse(tables(), "1234 North Broad Street, Apt. 3B", &a), BRAID_OK);
	char out[128];
	braid_address_format(&a, out, sizeof out);
	ASSERT_STR_EQ(out, "1234 N BROAD ST APT 3B");
	char small[8];
	braid_address_format(&a, small, sizeof small);
	ASSERT_STR_EQ(small, "1234 N ");
	ASSERT_EQ(strlen(small), 7);
}

TEST(address_tables_missing_dir_is_an_io_error)
{
	struct braid_err err = { 0 };
	ASSERT(braid_address_tables_load("/nonexistent", &err) == NULL);
	ASSERT_EQ(err.code, BRAID_EIO);
}

/* Deterministic random soup of address words, digits and punctuation:
 * the parser must return OK (or a documented error) with every field
 * NUL-terminated inside its array. */
TEST(address_parse_random_soup_stays_bounded)
{
	static const char *const words[] = {
		"1234", "N", "S", "E", "W", "ST", "ST.", "SAINT", "MT", "AVE", "APT",
		"#", "1/2", "-", "UNIT", "FL", "REAR", "FRONT", "10TH", "TENTH",
		"TWENTY", "FIRST", "BROAD", "MARKET", ",", "STE", "BLVD", "3B",
		"Müller", "ß", "\xe2\x80\x99", "1234-36", "NORTH", "WEST", "PH", "LOT",
	};
	const int nw = (int)(sizeof words / sizeof words[0]);
	uint64_t x = 88172645463325252ULL;
	for (int it = 0; it < 20000; it++) {
		char line[700];
		size_t k = 0;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		int n = (int)(x % 40);
		for (int i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			const char *w = words[x % (uint64_t)nw];
			size_t l = strlen(w);
			if (k + l + 2 >= sizeof line)
				break;
			memcpy(line + k, w, l);
			k += l;
			if (x & 0x100)
				line[k++] = ' ';
		}
		line[k] = '\0';
		struct braid_address a;
		memset(&a, 0x55, sizeof a);
		braid_rc rc = braid_address_parse(tables(), line, &a);
		ASSERT(rc == BRAID_OK || rc == BRAID_ETOOBIG);
		ASSERT(memchr(a.number, 0, sizeof a.number) && memchr(a.predir, 0, sizeof a.predir) &&
		       memchr(a.street, 0, sizeof a.street) && memchr(a.suffix, 0, sizeof a.suffix) &&
		       memchr(a.postdir, 0, sizeof a.postdir) && memchr(a.unit, 0, sizeof a.unit));
		char out[40];
		braid_address_format(&a, out, sizeof out);
		ASSERT(strlen(out) < sizeof out);
	}
}
