/*
 * Specification of the CSV reader (braid/csv.h), one behaviour per test.
 * Most tests parse a buffer and compare a transcript: each record is written
 * "[f1|f2|...]", each error "!CODE@LINE:COL", in order.
 */
#include "test.h"
#include "braid/csv.h"

#include <stdint.h>

struct transcript {
	char s[8192];
	size_t n;
};

static void tput(struct transcript *t, const char *s)
{
	size_t k = strlen(s);
	if (t->n + k + 1 > sizeof t->s)
		TEST_FAIL_("transcript overflow");
	memcpy(t->s + t->n, s, k + 1);
	t->n += k;
}

static int collect(void *ctx, char **f, size_t n, const struct braid_err *e)
{
	struct transcript *t = ctx;
	char b[64];
	if (!f) {
		snprintf(b, sizeof b, "!%d@%ld:%ld", (int)e->code, e->line, e->column);
		tput(t, b);
		return 0;
	}
	tput(t, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			tput(t, "|");
		tput(t, f[i]);
	}
	tput(t, "]");
	return 0;
}

static const char *parse_opts(const char *in, size_t len,
			      const struct braid_csv_opts *o)
{
	static struct transcript t;
	memset(&t, 0, sizeof t);
	ASSERT_EQ(braid_csv_parse_buffer(in, len, o, collect, &t), BRAID_OK);
	return t.s;
}

static const char *parse(const char *in)
{
	return parse_opts(in, strlen(in), NULL);
}

/* ---------------------------------------------------------- RFC 4180 */

TEST(csv_simple_records_split_on_commas)
{
	ASSERT_STR_EQ(parse("a,b,c\n1,2,3\n"), "[a|b|c][1|2|3]");
}

TEST(csv_empty_fields_are_kept)
{
	ASSERT_STR_EQ(parse(",a,,\n"), "[|a||]");
}

TEST(csv_quoted_empty_field_is_an_empty_string)
{
	ASSERT_STR_EQ(parse("\"\",x\n"), "[|x]");
}

TEST(csv_line_with_only_quoted_empty_is_a_record)
{
	ASSERT_STR_EQ(parse("\"\"\n"), "[]");
}

TEST(csv_quoted_field_keeps_delimiters)
{
	ASSERT_STR_EQ(parse("\"a,b\",c\n"), "[a,b|c]");
}

TEST(csv_doubled_quotes_become_one)
{
	ASSERT_STR_EQ(parse("\"say \"\"hi\"\"\",\"\"\"\"\n"), "[say \"hi\"|\"]");
}

TEST(csv_quoted_field_spans_lines_with_lf)
{
	ASSERT_STR_EQ(parse("\"a\nb\",c\nd\n"), "[a\nb|c][d]");
}

TEST(csv_quoted_field_keeps_embedded_crlf)
{
	ASSERT_STR_EQ(parse("\"a\r\nb\",c\r\nd\r\n"), "[a\r\nb|c][d]");
}

TEST(csv_embedded_newline_advances_the_line_number)
{
	/* Record 2 starts on physical line 3; its error is on line 3. */
	ASSERT_STR_EQ(parse("\"a\nb\"\nx\"y\n"), "[a\nb]!3@3:2");
}

TEST(csv_last_line_without_newline_is_read)
{
	ASSERT_STR_EQ(parse("a,b\nc,d"), "[a|b][c|d]");
}

TEST(csv_last_quoted_field_without_newline_is_read)
{
	ASSERT_STR_EQ(parse("a,\"b\""), "[a|b]");
}

TEST(csv_crlf_and_lf_line_ends_give_the_same_records)
{
	ASSERT_STR_EQ(parse("a,b\r\nc,d\r\n"), "[a|b][c|d]");
	ASSERT_STR_EQ(parse("a,b\nc,d\n"), "[a|b][c|d]");
}

TEST(csv_bare_cr_ends_a_record)
{
	ASSERT_STR_EQ(parse("a,b\rc,d\r"), "[a|b][c|d]");
}

TEST(csv_utf8_bom_is_stripped)
{
	ASSERT_STR_EQ(parse("\xEF\xBB\xBFid,name\n1,x\n"), "[id|name][1|x]");
}

TEST(csv_bom_does_not_count_as_a_column)
{
	ASSERT_STR_EQ(parse("\xEF\xBB\xBF" "ab\"c\n"), "!3@1:3");
}

TEST(csv_empty_lines_are_skipped)
{
	ASSERT_STR_EQ(parse("a\n\n\r\nb\n\n"), "[a][b]");
}

TEST(csv_semicolon_delimiter)
{
	struct braid_csv_opts o = {.delimiter = ';'};
	const char *in = "a;\"b;c\";d,e\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "[a|b;c|d,e]");
}

TEST(csv_tab_delimiter_is_not_trimmed_away)
{
	struct braid_csv_opts o = {.delimiter = '\t'};
	const char *in = "a\t\tb \t c\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "[a||b|c]");
}

TEST(csv_spaces_around_unquoted_fields_are_trimmed_by_default)
{
	ASSERT_STR_EQ(parse("  a , b\t,c  \n"), "[a|b|c]");
}

TEST(csv_spaces_around_quoted_fields_are_allowed_when_trimming)
{
	ASSERT_STR_EQ(parse("a, \" b \" ,c\n"), "[a| b |c]");
}

TEST(csv_notrim_keeps_spaces)
{
	struct braid_csv_opts o = {.notrim = 1};
	const char *in = "  a , b\t,c  \n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "[  a | b\t|c  ]");
}

TEST(csv_notrim_rejects_a_quote_after_spaces)
{
	struct braid_csv_opts o = {.notrim = 1};
	const char *in = "a, \"b\"\nc\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "!3@1:4[c]");
}

TEST(csv_latin1_is_converted_to_utf8)
{
	struct braid_csv_opts o = {.encoding = BRAID_CSV_LATIN1};
	const char *in = "Jos\xE9,\"Mu\xF1oz\"\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "[Jos\xC3\xA9|Mu\xC3\xB1oz]");
}

TEST(csv_latin1_quoted_field_with_doubled_quotes)
{
	struct braid_csv_opts o = {.encoding = BRAID_CSV_LATIN1};
	const char *in = "\"Jos\xE9 \"\"X\"\" \xF1\",\xFF\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o),
		      "[Jos\xC3\xA9 \"X\" \xC3\xB1|\xC3\xBF]");
}

TEST(csv_latin1_bytes_in_utf8_mode_are_rejected_not_kept)
{
	ASSERT_STR_EQ(parse("Jos\xE9,ok\n"), "!11@1:4");
}

TEST(csv_invalid_utf8_after_doubled_quotes_points_at_the_byte)
{
	ASSERT_STR_EQ(parse("x,\"a\"\"\xC3\xA9\"\"\xFF\"\n"), "!11@1:11");
}

TEST(csv_long_fields_with_accents_cross_word_boundaries)
{
	/* The scan looks at eight bytes at a time; stops must be exact. */
	ASSERT_STR_EQ(parse("abcdefghijk\xC3\xA9lmnopqrstuvw,1234567,12345678,\"q\"\n"
			    "abcdefg\r\nabcdefgh\n"),
		      "[abcdefghijk\xC3\xA9lmnopqrstuvw|1234567|12345678|q][abcdefg][abcdefgh]");
}

TEST(csv_valid_utf8_is_kept)
{
	ASSERT_STR_EQ(parse("Jos\xC3\xA9,\xE6\x9D\xB1,\xF0\x9F\x98\x80\n"),
		      "[Jos\xC3\xA9|\xE6\x9D\xB1|\xF0\x9F\x98\x80]");
}

/* ---------------------------------------------------------- malformed */

TEST(csv_unterminated_quote_at_eof_points_at_the_quote)
{
	ASSERT_STR_EQ(parse("a,b\nc,\"d\ne"), "[a|b]!3@2:3[e]");
}

TEST(csv_text_after_closing_quote_is_an_error)
{
	ASSERT_STR_EQ(parse("x,\"ab\"c,d\ny\n"), "!3@1:7[y]");
}

TEST(csv_stray_quote_in_unquoted_field_is_an_error)
{
	ASSERT_STR_EQ(parse("1,ab\"c,d\n2\n"), "!3@1:5[2]");
}

TEST(csv_invalid_utf8_is_an_error_with_its_column)
{
	ASSERT_STR_EQ(parse("ok\nab,c\xE9z,d\nnext\n"), "[ok]!11@2:5[next]");
}

TEST(csv_invalid_utf8_in_quoted_field_on_a_later_line)
{
	ASSERT_STR_EQ(parse("\"a\nbb\xFF\",c\nnext\n"), "!11@2:3[next]");
}

TEST(csv_truncated_utf8_sequence_is_an_error)
{
	ASSERT_STR_EQ(parse("\xC3\n"), "!11@1:1");
}

TEST(csv_overlong_utf8_is_an_error)
{
	ASSERT_STR_EQ(parse("a\xC0\xAF\n"), "!11@1:2");
}

TEST(csv_nul_byte_is_an_error)
{
	const char in[] = "a,b\0c\nd\n";
	ASSERT_STR_EQ(parse_opts(in, sizeof in - 1, NULL), "!3@1:4[d]");
}

TEST(csv_record_over_max_record_is_too_big)
{
	struct braid_csv_opts o = {.max_record = 8};
	const char *in = "12345678\n123456789\nok\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "[12345678]!7@2:9[ok]");
}

TEST(csv_unclosed_quote_in_a_long_file_is_too_big_not_a_hang)
{
	struct braid_csv_opts o = {.max_record = 16};
	const char *in = "\"abc\nline2\nline3\nline4\nline5\n";
	/* Byte 17 is the LF ending line 3; reading resumes at line 4. */
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "!7@3:6[line4][line5]");
}

TEST(csv_unclosed_quote_over_max_record_at_eof_is_too_big)
{
	/* Found by fuzzing: memory and FILE readers disagreed at EOF. */
	struct braid_csv_opts o = {.max_record = 2};
	ASSERT_STR_EQ(parse_opts("\"\"\"x", 4, &o), "!7@1:3");
	FILE *f = fmemopen((void *)"\"\"\"x", 4, "r");
	ASSERT(f);
	struct braid_csv *r = braid_csv_new(f, "x", &o);
	char **fl;
	size_t n;
	struct braid_err e;
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_ETOOBIG);
	ASSERT_EQ(e.column, 3);
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_ENOTFOUND);
	braid_csv_free(r);
	fclose(f);
}

TEST(csv_too_many_fields_is_too_big_at_the_first_extra_field)
{
	struct braid_csv_opts o = {.max_fields = 3};
	const char *in = "a,b,c\na,b,c,d,e\nz\n";
	ASSERT_STR_EQ(parse_opts(in, strlen(in), &o), "[a|b|c]!7@2:7[z]");
}

TEST(csv_resynchronises_at_the_next_line_after_each_error)
{
	ASSERT_STR_EQ(parse("a\"\nb\nc\"\"\n\"d\"x\ne\n"), "!3@1:2[b]!3@3:2!3@4:4[e]");
}

TEST(csv_quote_delimiter_is_refused)
{
	struct braid_csv_opts o = {.delimiter = '"'};
	struct transcript t = {0};
	ASSERT_EQ(braid_csv_parse_buffer("a\n", 2, &o, collect, &t), BRAID_EINVAL);
	ASSERT_STR_EQ(t.s, "!4@0:0");
}

TEST(csv_error_messages_do_not_contain_field_values)
{
	struct braid_err e;
	struct braid_csv_opts o = {0};
	FILE *f = fmemopen((void *)"SMITH\"JOHN,123-45-6789\n", 23, "r");
	ASSERT(f);
	struct braid_csv *r = braid_csv_new(f, "people.csv", &o);
	char **fl;
	size_t n;
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_EPARSE);
	char msg[800];
	braid_err_format(&e, msg, sizeof msg);
	ASSERT(strstr(msg, "people.csv:1:6:") == msg);
	ASSERT(!strstr(msg, "SMITH") && !strstr(msg, "JOHN") && !strstr(msg, "6789"));
	braid_csv_free(r);
	fclose(f);
}

/* ---------------------------------------------------------- streaming */

TEST(csv_reader_gives_record_line_and_raw_bytes)
{
	const char *in = "h1,h2\r\n\"x\ny\",2\r\nbad\"q,3\r\n";
	FILE *f = fmemopen((void *)in, strlen(in), "r");
	ASSERT(f);
	struct braid_csv *r = braid_csv_new(f, "t.csv", NULL);
	char **fl;
	size_t n, rl;
	struct braid_err e;
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_OK);
	ASSERT_EQ(braid_csv_record_line(r), 1);
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_OK);
	ASSERT_EQ(braid_csv_record_line(r), 2);
	const char *raw = braid_csv_record_raw(r, &rl);
	ASSERT_EQ(rl, 7);
	ASSERT(!memcmp(raw, "\"x\ny\",2", 7));
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_EPARSE);
	ASSERT_EQ(e.line, 4);
	ASSERT_EQ(e.column, 4);
	ASSERT_EQ(braid_csv_record_line(r), 4);
	raw = braid_csv_record_raw(r, &rl);
	ASSERT_EQ(rl, 7);
	ASSERT(!memcmp(raw, "bad\"q,3", 7));
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_ENOTFOUND);
	ASSERT_EQ(braid_csv_bytes_read(r), strlen(in));
	braid_csv_free(r);
	fclose(f);
}

/* Write ~1.2 MB of records whose fields cross every 64 KiB boundary, some
 * quoted with embedded newlines and doubled quotes, then read them back. */
TEST(csv_file_larger_than_the_read_buffer_is_read_exactly)
{
	char path[512];
	snprintf(path, sizeof path, "%s/big.csv", test_tmpdir());
	FILE *f = fopen(path, "wb");
	ASSERT(f);
	fputs("\xEF\xBB\xBFid,name,note\r\n", f);
	const int N = 30000;
	for (int i = 0; i < N; i++) {
		if (i % 7 == 0)
			fprintf(f, "%d,\"N\xC3\xA9%d, \"\"q\"\"\",\"line1\nline2 %0*d\"\r\n", i,
				i, 1 + i % 37, i);
		else
			fprintf(f, "%d,name%d,%0*d\n", i, i, 1 + i % 53, i);
	}
	fclose(f);
	f = fopen(path, "rb");
	ASSERT(f);
	struct braid_csv *r = braid_csv_new(f, path, NULL);
	char **fl;
	size_t n;
	struct braid_err e;
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_OK);
	ASSERT_STR_EQ(fl[0], "id");
	long line = 2;
	for (int i = 0; i < N; i++) {
		braid_rc rc = braid_csv_next(r, &fl, &n, &e);
		if (rc)
			TEST_FAIL_("record %d: rc %d at %ld:%ld %s", i, rc, e.line, e.column, e.msg);
		ASSERT_EQ(n, 3);
		ASSERT_EQ(braid_csv_record_line(r), line);
		char want[128];
		snprintf(want, sizeof want, "%d", i);
		ASSERT_STR_EQ(fl[0], want);
		if (i % 7 == 0) {
			snprintf(want, sizeof want, "N\xC3\xA9%d, \"q\"", i);
			ASSERT_STR_EQ(fl[1], want);
			snprintf(want, sizeof want, "line1\nline2 %0*d", 1 + i % 37, i);
			ASSERT_STR_EQ(fl[2], want);
			line += 2;
		} else {
			snprintf(want, sizeof want, "%0*d", 1 + i % 53, i);
			ASSERT_STR_EQ(fl[2], want);
			line += 1;
		}
	}
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_ENOTFOUND);
	long size = ftell(f);
	ASSERT(size > 1000000);
	ASSERT_EQ(braid_csv_bytes_read(r), size);
	braid_csv_free(r);
	fclose(f);
}

TEST(csv_record_bigger_than_the_read_buffer_is_read_whole)
{
	const size_t big = 300000;
	char *in = malloc(big + 16);
	ASSERT(in);
	memcpy(in, "a,\"", 3);
	for (size_t i = 3; i < big; i++)
		in[i] = (char)('a' + i % 26);
	memcpy(in + big, "\",b\nc\n", 7);
	FILE *f = fmemopen(in, big + 6, "r");
	ASSERT(f);
	struct braid_csv *r = braid_csv_new(f, "x", NULL);
	char **fl;
	size_t n;
	struct braid_err e;
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_OK);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(strlen(fl[1]), big - 3);
	ASSERT_STR_EQ(fl[2], "b");
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_OK);
	ASSERT_STR_EQ(fl[0], "c");
	braid_csv_free(r);
	fclose(f);
	free(in);
}

TEST(csv_streaming_unclosed_quote_stays_bounded_and_resyncs)
{
	/* 2 MB after an unclosed quote; max_record 1 KiB. */
	const size_t big = 2000000;
	char *in = malloc(big + 16);
	ASSERT(in);
	in[0] = '"';
	for (size_t i = 1; i < big; i++)
		in[i] = (i % 100 == 99) ? '\n' : 'x';
	memcpy(in + big, "end\n", 5);
	FILE *f = fmemopen(in, big + 4, "r");
	ASSERT(f);
	struct braid_csv_opts o = {.max_record = 1024};
	struct braid_csv *r = braid_csv_new(f, "x", &o);
	char **fl;
	size_t n;
	struct braid_err e;
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_ETOOBIG);
	ASSERT_EQ(e.line, 11);
	ASSERT_EQ(e.column, 25);
	/* The rest are plain lines of x. */
	ASSERT_EQ(braid_csv_next(r, &fl, &n, &e), BRAID_OK);
	ASSERT_EQ(braid_csv_record_line(r), 12);
	long last = 0;
	while (braid_csv_next(r, &fl, &n, &e) == BRAID_OK)
		last = braid_csv_record_line(r);
	ASSERT_EQ(last, 20001);
	ASSERT_STR_EQ(fl[0], "end");
	braid_csv_free(r);
	fclose(f);
	free(in);
}
