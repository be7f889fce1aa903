#include "test.h"
#include "braid/core.h"

TEST(buf_refuses_growth_past_its_maximum)
{
	struct braid_buf b;
	braid_buf_init(&b, 8);
	ASSERT_EQ(braid_buf_puts(&b, "12345678"), BRAID_OK);
	ASSERT_EQ(braid_buf_putc(&b, '9'), BRAID_ETOOBIG);
	ASSERT_STR_EQ(b.data, "12345678");
	braid_buf_release(&b);
}

TEST(buf_printf_appends)
{
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_buf_printf(&b, "%s-%d", "a", 42), BRAID_OK);
	ASSERT_EQ(braid_buf_printf(&b, "/%03d", 7), BRAID_OK);
	ASSERT_STR_EQ(b.data, "a-42/007");
	char *s = braid_buf_detach(&b);
	ASSERT_STR_EQ(s, "a-42/007");
	free(s);
}

TEST(arena_reset_reuses_first_chunk)
{
	struct braid_arena a;
	braid_arena_init(&a, 128);
	char *p = braid_arena_strdup(&a, "hello");
	ASSERT_STR_EQ(p, "hello");
	for (int i = 0; i < 100; i++)
		ASSERT(braid_arena_alloc(&a, 100));
	braid_arena_reset(&a);
	ASSERT_EQ(a.total, 0);
	ASSERT(braid_arena_alloc(&a, 1000) != NULL);
	braid_arena_release(&a);
}

TEST(err_format_names_file_line_column)
{
	struct braid_err e;
	braid_err_clear(&e);
	ASSERT_EQ(braid_err_at(&e, BRAID_EPARSE, "x.csv", 3, 7, "expected %s", "a quote"),
		  BRAID_EPARSE);
	char out[600];
	braid_err_format(&e, out, sizeof out);
	ASSERT_STR_EQ(out, "x.csv:3:7: expected a quote");
	braid_err_prefix(&e, "loading");
	braid_err_format(&e, out, sizeof out);
	ASSERT_STR_EQ(out, "x.csv:3:7: loading: expected a quote");
	ASSERT_EQ(braid_rc_exit_code(BRAID_EPARSE), 3);
}

TEST(parse_long_rejects_trailing_garbage)
{
	long v = 0;
	ASSERT_EQ(braid_parse_long(" 42 ", &v), BRAID_OK);
	ASSERT_EQ(v, 42);
	ASSERT_EQ(braid_parse_long("42x", &v), BRAID_EPARSE);
	ASSERT_EQ(braid_parse_long("", &v), BRAID_EPARSE);
}

TEST(hash64_differs_by_seed_and_input)
{
	ASSERT_NE(braid_hash64("a", 1, 0), braid_hash64("b", 1, 0));
	ASSERT_NE(braid_hash64("a", 1, 0), braid_hash64("a", 1, 1));
	ASSERT_EQ(braid_hash64("abc", 3, 5), braid_hash64("abc", 3, 5));
}
