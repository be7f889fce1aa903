/* Nickname classes loaded from the shared Carlton Northern table, and from
 * small tables written by the tests. */
#include "test.h"
#include "braid/normalize.h"

static struct braid_nicknames *load_default(void)
{
	struct braid_err err = { 0 };
	struct braid_nicknames *nk = braid_nicknames_load(NULL, &err);
	if (!nk)
		TEST_FAIL_("load: %s", err.msg);
	return nk;
}

TEST(nicknames_common_pairs_are_related)
{
	struct braid_nicknames *nk = load_default();
	ASSERT(braid_nicknames_related(nk, "BILL", "WILLIAM"));
	ASSERT(braid_nicknames_related(nk, "WILLIAM", "BILL"));
	ASSERT(braid_nicknames_related(nk, "BOB", "ROBERT"));
	ASSERT(braid_nicknames_related(nk, "PEGGY", "MARGARET"));
	ASSERT(braid_nicknames_related(nk, "LIZ", "ELIZABETH"));
	braid_nicknames_free(nk);
}

TEST(nicknames_of_one_formal_name_are_related)
{
	struct braid_nicknames *nk = load_default();
	ASSERT(braid_nicknames_related(nk, "PEGGY", "MAGGIE")); /* both MARGARET */
	ASSERT(braid_nicknames_related(nk, "BOB", "ROBBY"));
	braid_nicknames_free(nk);
}

TEST(nicknames_unrelated_pairs_are_false)
{
	struct braid_nicknames *nk = load_default();
	ASSERT(!braid_nicknames_related(nk, "BILL", "MARGARET"));
	ASSERT(!braid_nicknames_related(nk, "ROBERT", "WILLIAM")); /* no chaining via BILL */
	ASSERT(!braid_nicknames_related(nk, "JOHN", "MARY"));
	ASSERT(!braid_nicknames_related(nk, "XYZZY", "WILLIAM"));
	ASSERT(!braid_nicknames_related(nk, "", ""));
	braid_nicknames_free(nk);
}

TEST(nicknames_same_name_is_related_even_if_unknown)
{
	struct braid_nicknames *nk = load_default();
	ASSERT(braid_nicknames_related(nk, "XYZZY", "XYZZY"));
	ASSERT(braid_nicknames_related(NULL, "ANN", "ANN"));
	braid_nicknames_free(nk);
}

TEST(nicknames_a_name_in_several_classes)
{
	struct braid_nicknames *nk = load_default();
	ASSERT(braid_nicknames_related(nk, "RON", "AARON"));
	ASSERT(braid_nicknames_related(nk, "RON", "RONALD"));
	ASSERT(braid_nicknames_related(nk, "RON", "VERONICA"));
	ASSERT(!braid_nicknames_related(nk, "AARON", "VERONICA"));
	braid_nicknames_free(nk);
}

TEST(nickname_canon_is_formal_name_of_largest_class)
{
	struct braid_nicknames *nk = load_default();
	ASSERT_STR_EQ(braid_nickname_canon(nk, "PEGGY"), "MARGARET");
	ASSERT_STR_EQ(braid_nickname_canon(nk, "PEG"), "MARGARET");
	ASSERT_STR_EQ(braid_nickname_canon(nk, "MARGARET"), "MARGARET");
	ASSERT_STR_EQ(braid_nickname_canon(nk, "BOBBY"), "ROBERT");
	const char *u = "XYZZY";
	ASSERT(braid_nickname_canon(nk, u) == u);
	braid_nicknames_free(nk);
}

TEST(nicknames_small_table_with_bom_and_other_relations)
{
	char path[512];
	snprintf(path, sizeof path, "%s/nk.csv", test_tmpdir());
	FILE *f = fopen(path, "w");
	ASSERT(f);
	fputs("\xef\xbb\xbfname1,relationship,name2\n"
	      "józef,has_nickname,józek\r\n"
	      "\n"
	      "zed,is_related_to,zack\n", f);
	fclose(f);
	struct braid_err err = { 0 };
	struct braid_nicknames *nk = braid_nicknames_load(path, &err);
	ASSERT(nk);
	ASSERT(braid_nicknames_related(nk, "JOZEF", "JOZEK"));
	ASSERT(!braid_nicknames_related(nk, "ZED", "ZACK"));
	braid_nicknames_free(nk);
}

TEST(nicknames_malformed_row_names_the_line)
{
	char path[512];
	snprintf(path, sizeof path, "%s/nk.csv", test_tmpdir());
	FILE *f = fopen(path, "w");
	ASSERT(f);
	fputs("name1,relationship,name2\nann,has_nickname,annie\njust one field\n", f);
	fclose(f);
	struct braid_err err = { 0 };
	ASSERT(braid_nicknames_load(path, &err) == NULL);
	ASSERT_EQ(err.code, BRAID_EPARSE);
	ASSERT_EQ(err.line, 3);
}

TEST(nicknames_missing_file_is_an_io_error)
{
	struct braid_err err = { 0 };
	ASSERT(braid_nicknames_load("/nonexistent/nk.csv", &err) == NULL);
	ASSERT_EQ(err.code, BRAID_EIO);
}
