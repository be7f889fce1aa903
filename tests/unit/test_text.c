/* braid_text_fold: Unicode folding, punctuation rules, bounds. */
#include "test.h"
#include "braid/normalize.h"

static const char *fold(const char *s)
{
	static char out[256];
	braid_rc rc = braid_text_fold(s, out, sizeof out);
	if (rc != BRAID_OK)
		TEST_FAIL_("braid_text_fold rc %d", (int)rc);
	return out;
}

TEST(text_fold_strips_accents)
{
	ASSERT_STR_EQ(fold("José"), "JOSE");
	ASSERT_STR_EQ(fold("Müller"), "MULLER");
	ASSERT_STR_EQ(fold("François Ñúñez"), "FRANCOIS NUNEZ");
}

TEST(text_fold_decomposed_input_equals_composed)
{
	/* "e" + COMBINING ACUTE ACCENT */
	ASSERT_STR_EQ(fold("Jose\xcc\x81"), "JOSE");
}

TEST(text_fold_sharp_s_becomes_ss)
{
	ASSERT_STR_EQ(fold("Straße"), "STRASSE");
}

TEST(text_fold_removes_apostrophes_and_periods)
{
	ASSERT_STR_EQ(fold("O'Brien"), "OBRIEN");
	ASSERT_STR_EQ(fold("O\xe2\x80\x99" "Brien"), "OBRIEN"); /* curly ’ */
	ASSERT_STR_EQ(fold("St. James"), "ST JAMES");
	ASSERT_STR_EQ(fold("J.R.R."), "JRR");
}

TEST(text_fold_collapses_spaces_and_punctuation)
{
	ASSERT_STR_EQ(fold("  mary\t ann ,  smith  "), "MARY ANN SMITH");
	ASSERT_STR_EQ(fold("a/b#c"), "A B C");
	ASSERT_STR_EQ(fold(""), "");
	ASSERT_STR_EQ(fold("  ,. "), "");
}

TEST(text_fold_keeps_hyphens_tight)
{
	ASSERT_STR_EQ(fold("Garcia-Lopez"), "GARCIA-LOPEZ");
	ASSERT_STR_EQ(fold("Garcia - Lopez"), "GARCIA-LOPEZ");
	ASSERT_STR_EQ(fold("-Garcia-"), "GARCIA");
	ASSERT_STR_EQ(fold("Garcia\xe2\x80\x93Lopez"), "GARCIA-LOPEZ"); /* en dash */
}

TEST(text_fold_compatibility_forms)
{
	ASSERT_STR_EQ(fold("\xef\xbc\xaa\xef\xbd\x8f\xef\xbd\x85"), "JOE"); /* fullwidth */
	ASSERT_STR_EQ(fold("\xef\xac\x81" "sh"), "FISH");                  /* ﬁ ligature */
}

TEST(text_fold_undecomposable_latin_letters)
{
	ASSERT_STR_EQ(fold("Søren Łukasz"), "SOREN LUKASZ");
	ASSERT_STR_EQ(fold("Æsir"), "AESIR");
}

TEST(text_fold_other_scripts_upper_cased)
{
	ASSERT_STR_EQ(fold("иван"), "ИВАН");
}

TEST(text_fold_rejects_invalid_utf8)
{
	char out[32];
	ASSERT_EQ(braid_text_fold("Jos\xe9", out, sizeof out), BRAID_EUTF8);
	ASSERT_EQ(braid_text_fold("\xc3", out, sizeof out), BRAID_EUTF8);
}

TEST(text_fold_reports_small_buffer)
{
	char out[6];
	ASSERT_EQ(braid_text_fold("abcde", out, sizeof out), BRAID_OK);
	ASSERT_STR_EQ(out, "ABCDE");
	ASSERT_EQ(braid_text_fold("abcdef", out, sizeof out), BRAID_ETOOBIG);
	ASSERT_STR_EQ(out, "");
	ASSERT_EQ(braid_text_fold("Müllers", out, sizeof out), BRAID_ETOOBIG);
}

TEST(text_fold_long_unicode_input_uses_heap)
{
	char in[3000], out[3000];
	size_t k = 0;
	for (int i = 0; i < 900; i++) {
		in[k++] = '\xc3'; in[k++] = '\xa9'; /* é */
	}
	in[k] = '\0';
	ASSERT_EQ(braid_text_fold(in, out, sizeof out), BRAID_OK);
	ASSERT_EQ(strlen(out), 900);
	ASSERT(out[0] == 'E' && out[899] == 'E');
}
