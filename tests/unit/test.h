/*
 * A twenty-line test harness (Redis/libuv style).  Each TEST registers itself
 * at load time; tests/unit/main.c runs each one in its own process with a
 * timeout so that a crash or hang fails one test, not the suite.
 *
 *   TEST(csv_quoted_field_spans_lines) { ... ASSERT_STR_EQ(got, "a\nb"); }
 *
 * Assertions print both sides and stop the test at the first failure.
 */
#ifndef BRAID_TEST_H
#define BRAID_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn);
/* Directory with the shared reference data (../shared/data by default,
 * BRAID_SHARED_DATA overrides); tests that need it call this. */
const char *test_data_dir(void);
/* A fresh empty temporary directory for this test (removed afterwards). */
const char *test_tmpdir(void);

#define TEST(name)                                                        \
	static void test_##name(void);                                     \
	__attribute__((constructor)) static void test_reg_##name(void)     \
	{ test_register(#name, __FILE__, test_##name); }                   \
	static void test_##name(void)

#define TEST_FAIL_(...)                                                   \
	do {                                                                \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);             \
		fprintf(stderr, __VA_ARGS__);                                 \
		fprintf(stderr, "\n");                                        \
		exit(1);                                                      \
	} while (0)

#define ASSERT(c)                                                         \
	do { if (!(c)) TEST_FAIL_("assertion failed: %s", #c); } while (0)
#define ASSERT_EQ(a, b)                                                   \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (a_ != b_)                                                 \
			TEST_FAIL_("%s == %s: got %lld, expected %lld", #a, #b, \
				   a_, b_);                                   \
	} while (0)
#define ASSERT_NE(a, b)                                                   \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);           \
		if (a_ == b_)                                                 \
			TEST_FAIL_("%s != %s: both are %lld", #a, #b, a_);    \
	} while (0)
#define ASSERT_STR_EQ(a, b)                                               \
	do {                                                                \
		const char *a_ = (a), *b_ = (b);                              \
		if (!a_ || !b_ || strcmp(a_, b_))                             \
			TEST_FAIL_("%s == %s: got \"%s\", expected \"%s\"", #a, \
				   #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)
#define ASSERT_NEAR(a, b, eps)                                            \
	do {                                                                \
		double a_ = (a), b_ = (b);                                    \
		if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))                  \
			TEST_FAIL_("%s ~= %s: got %.6f, expected %.6f", #a, #b, \
				   a_, b_);                                   \
	} while (0)

#endif
