/* Name cleaning and parsing: one behaviour per test, real expected parts. */
#include "test.h"
#include "braid/normalize.h"

#define NAME_IS(n, f, m, l, s)                                            \
	do {                                                                \
		if (strcmp((n).first, f) || strcmp((n).middle, m) ||          \
		    strcmp((n).last, l) || strcmp((n).suffix, s))             \
			TEST_FAIL_("got [%s|%s|%s|%s], expected [%s|%s|%s|%s]", \
				   (n).first, (n).middle, (n).last, (n).suffix, \
				   f, m, l, s);                               \
	} while (0)

static struct braid_name clean(const char *f, const char *m, const char *l, const char *s)
{
	struct braid_name n;
	braid_rc rc = braid_name_clean(f, m, l, s, &n);
	if (rc)
		TEST_FAIL_("braid_name_clean rc %d", (int)rc);
	return n;
}

static struct braid_name full(const char *s)
{
	struct braid_name n;
	braid_rc rc = braid_name_parse_full(s, &n);
	if (rc)
		TEST_FAIL_("braid_name_parse_full rc %d", (int)rc);
	return n;
}

TEST(name_clean_folds_case_and_accents)
{
	NAME_IS(clean("José", "", "Núñez", NULL), "JOSE", "", "NUNEZ", "");
	NAME_IS(clean("mary", NULL, "o'brien", NULL), "MARY", "", "OBRIEN", "");
}

TEST(name_clean_drops_titles)
{
	NAME_IS(clean("Dr. Jane", "", "Smith", ""), "JANE", "", "SMITH", "");
	NAME_IS(clean("MRS", "", "SMITH", ""), "", "", "SMITH", "");
	NAME_IS(clean("Rev Mr John", "", "Doe", ""), "JOHN", "", "DOE", "");
}

TEST(name_clean_suffix_in_last_name_field)
{
	NAME_IS(clean("JOHN", "", "SMITH JR", ""), "JOHN", "", "SMITH", "JR");
	NAME_IS(clean("JOHN", "", "Smith, Jr.", ""), "JOHN", "", "SMITH", "JR");
	NAME_IS(clean("JOHN", "", "SMITH III", ""), "JOHN", "", "SMITH", "III");
}

TEST(name_clean_suffix_spellings_are_canonical)
{
	NAME_IS(clean("JOHN", "", "SMITH", "Jr."), "JOHN", "", "SMITH", "JR");
	NAME_IS(clean("JOHN", "", "SMITH", "junior"), "JOHN", "", "SMITH", "JR");
	NAME_IS(clean("JOHN", "", "SMITH", "2nd"), "JOHN", "", "SMITH", "II");
	NAME_IS(clean("JOHN", "", "SMITH SR", ""), "JOHN", "", "SMITH", "SR");
}

TEST(name_clean_suffix_in_first_name_field)
{
	NAME_IS(clean("JOHN JR", "", "SMITH", ""), "JOHN", "", "SMITH", "JR");
}

TEST(name_clean_postnominals_dropped)
{
	NAME_IS(clean("JANE", "", "DOE MD", ""), "JANE", "", "DOE", "");
	NAME_IS(clean("JOHN", "", "DOE JR ESQ", ""), "JOHN", "", "DOE", "JR");
}

TEST(name_clean_middle_name_in_first_field_moves)
{
	NAME_IS(clean("MARY ANN", "", "SMITH", ""), "MARY", "ANN", "SMITH", "");
	NAME_IS(clean("J. Robert", NULL, "Smith", NULL), "J", "ROBERT", "SMITH", "");
}

TEST(name_clean_double_first_name_kept_when_middle_given)
{
	NAME_IS(clean("MARY ANN", "B", "SMITH", ""), "MARY ANN", "B", "SMITH", "");
}

TEST(name_clean_middle_initial_period_removed)
{
	NAME_IS(clean("JOHN", "Q.", "PUBLIC", ""), "JOHN", "Q", "PUBLIC", "");
}

TEST(name_clean_particles_kept_with_surname)
{
	NAME_IS(clean("Maria", "", "de la Cruz", ""), "MARIA", "", "DE LA CRUZ", "");
	NAME_IS(clean("Ludwig", "", "van der Berg", ""), "LUDWIG", "", "VAN DER BERG", "");
}

TEST(name_clean_o_and_mc_glued_not_rewritten)
{
	NAME_IS(clean("SEAN", "", "O CONNOR", ""), "SEAN", "", "OCONNOR", "");
	NAME_IS(clean("SEAN", "", "O'Connor", ""), "SEAN", "", "OCONNOR", "");
	NAME_IS(clean("ANN", "", "MC DONALD", ""), "ANN", "", "MCDONALD", "");
	NAME_IS(clean("ANN", "", "McDonald", ""), "ANN", "", "MCDONALD", "");
	NAME_IS(clean("ANN", "", "MacDonald", ""), "ANN", "", "MACDONALD", "");
}

TEST(name_clean_hyphenated_surname_whole)
{
	NAME_IS(clean("Ana", "", "García - López", ""), "ANA", "", "GARCIA-LOPEZ", "");
}

TEST(name_clean_all_empty)
{
	NAME_IS(clean(NULL, NULL, NULL, NULL), "", "", "", "");
	NAME_IS(clean("  ", ".", "", ""), "", "", "", "");
}

TEST(name_clean_invalid_utf8_is_an_error)
{
	struct braid_name n;
	ASSERT_EQ(braid_name_clean("Jos\xe9", "", "X", "", &n), BRAID_EUTF8);
}

TEST(name_clean_long_parts_are_cut_at_field_size)
{
	char big[400];
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct braid_name n;
	ASSERT_EQ(braid_name_clean(big, big, big, big, &n), BRAID_OK);
	ASSERT_EQ(strlen(n.first), sizeof n.first - 1);
	ASSERT_EQ(strlen(n.last), sizeof n.last - 1);
	ASSERT_STR_EQ(n.suffix, "");
}

TEST(name_parse_last_comma_first_middle)
{
	NAME_IS(full("SMITH, JOHN A"), "JOHN", "A", "SMITH", "");
	NAME_IS(full("Smith Jr., John Allen"), "JOHN", "ALLEN", "SMITH", "JR");
	NAME_IS(full("DE LA CRUZ, MARIA"), "MARIA", "", "DE LA CRUZ", "");
	NAME_IS(full("SMITH, JOHN III"), "JOHN", "", "SMITH", "III");
}

TEST(name_parse_first_middle_last_suffix)
{
	NAME_IS(full("John Allen Smith Jr"), "JOHN", "ALLEN", "SMITH", "JR");
	NAME_IS(full("JOHN SMITH"), "JOHN", "", "SMITH", "");
	NAME_IS(full("JOHN SMITH, JR."), "JOHN", "", "SMITH", "JR");
}

TEST(name_parse_title_initials_hyphen)
{
	NAME_IS(full("DR. JANE Q. PUBLIC-SMITH"), "JANE", "Q", "PUBLIC-SMITH", "");
	NAME_IS(full("Mr. J. R. Ewing"), "J", "R", "EWING", "");
}

TEST(name_parse_particles_join_surname)
{
	NAME_IS(full("Maria de la Cruz"), "MARIA", "", "DE LA CRUZ", "");
	NAME_IS(full("Ludwig van Beethoven"), "LUDWIG", "", "VAN BEETHOVEN", "");
	NAME_IS(full("Ana Maria dos Santos"), "ANA", "MARIA", "DOS SANTOS", "");
	NAME_IS(full("Sean O Connor"), "SEAN", "", "OCONNOR", "");
}

TEST(name_parse_single_word_is_last_name)
{
	NAME_IS(full("Madonna"), "", "", "MADONNA", "");
	NAME_IS(full(""), "", "", "", "");
	NAME_IS(full(","), "", "", "", "");
}

TEST(name_parse_v_is_an_initial_not_a_suffix)
{
	NAME_IS(full("JOHN V SMITH"), "JOHN", "V", "SMITH", "");
}

/* Random bytes and name-word soup: never a crash, always bounded parts. */
TEST(name_parse_random_input_stays_bounded)
{
	static const char *const words[] = {
		"MR", "DR.", "JR", "SR", "III", "V", ",", "DE", "LA", "VAN", "O", "MC",
		"MARY", "ANN", "SMITH", "-", "GARCIA-LOPEZ", "José", "\xff", "'", ".",
		"ESQ", "MAC", "Y", "DOS",
	};
	const int nw = (int)(sizeof words / sizeof words[0]);
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	for (int it = 0; it < 20000; it++) {
		char s[600];
		size_t k = 0;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		int n = (int)(x % 30);
		for (int i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			const char *w = words[x % (uint64_t)nw];
			size_t l = strlen(w);
			if (k + l + 2 >= sizeof s)
				break;
			memcpy(s + k, w, l);
			k += l;
			if (x & 0x100)
				s[k++] = ' ';
		}
		s[k] = '\0';
		struct braid_name a, b;
		memset(&a, 0x55, sizeof a);
		braid_rc rc = braid_name_parse_full(s, &a);
		ASSERT(rc == BRAID_OK || rc == BRAID_EUTF8 || rc == BRAID_ETOOBIG);
		ASSERT(memchr(a.first, 0, sizeof a.first) && memchr(a.middle, 0, sizeof a.middle) &&
		       memchr(a.last, 0, sizeof a.last) && memchr(a.suffix, 0, sizeof a.suffix));
		rc = braid_name_clean(s, s, s, s, &b);
		ASSERT(rc == BRAID_OK || rc == BRAID_EUTF8 || rc == BRAID_ETOOBIG);
		ASSERT(memchr(b.last, 0, sizeof b.last) && memchr(b.suffix, 0, sizeof b.suffix));
	}
}
