/*
 * The demo city generator: PRNG and dates, the identifier corruptions, and
 * whole-city properties (same seed = same bytes, another seed = another
 * city, error_scale 0 = no errors, option checks).  The statistical checks
 * of error rates and the recount of the planted facts are in
 * tests/e2e/synth.sh (tests/e2e/synth_check.py).
 */
#include "test.h"

#include "braid/synth.h"
#include "../../src/synth/synth_int.h"

#include <jansson.h>
#include <sodium.h>
#include <unistd.h>

TEST(synth_rng_is_reproducible_and_uniform)
{
	struct rng a, b;
	braid__rng_seed(&a, 42);
	braid__rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(braid__rng_next(&a), braid__rng_next(&b));
	braid__rng_seed(&b, 43);
	ASSERT_NE(braid__rng_next(&a), braid__rng_next(&b));
	double sum = 0;
	long in_range = 0;
	for (int i = 0; i < 100000; i++) {
		double u = braid__rng_unif(&a);
		ASSERT(u >= 0 && u < 1);
		sum += u;
		long k = braid__rng_range(&a, 3, 7);
		in_range += k >= 3 && k <= 7;
	}
	ASSERT_NEAR(sum / 100000, 0.5, 0.01);
	ASSERT_EQ(in_range, 100000);
}

TEST(synth_days_round_trip_through_leap_years)
{
	ASSERT_EQ(braid__days_from_civil(1970, 1, 1), 0);
	ASSERT_EQ(braid__days_from_civil(2000, 3, 1) - braid__days_from_civil(2000, 2, 28), 2);
	ASSERT_EQ(braid__days_from_civil(1900, 3, 1) - braid__days_from_civil(1900, 2, 28), 1);
	for (int32_t t = -30000; t < 30000; t += 17) {
		int y, m, d;
		braid__civil_from_days(t, &y, &m, &d);
		ASSERT_EQ(braid__days_from_civil(y, m, d), t);
	}
}

TEST(synth_typo_always_changes_the_letters)
{
	struct rng r;
	braid__rng_seed(&r, 7);
	for (int i = 0; i < 2000; i++) {
		char s[64] = "Margaret";
		ASSERT(braid__err_typo(s, sizeof s, &r));
		ASSERT(strcmp(s, "Margaret") != 0);
		ASSERT(strlen(s) >= 7 && strlen(s) <= 9);
	}
}

TEST(synth_phonetic_misspelling_sounds_alike)
{
	struct rng r;
	braid__rng_seed(&r, 1);
	char s[64] = "Stephen";
	ASSERT(braid__err_phonetic(s, sizeof s, &r));
	ASSERT(strcmp(s, "Stephen") != 0);
	char none[64] = "Bob";
	ASSERT_EQ(braid__err_phonetic(none, sizeof none, &r), 1); /* B->V */
	char digits[64] = "123";
	ASSERT_EQ(braid__err_phonetic(digits, sizeof digits, &r), 0);
}

TEST(synth_marks_and_apostrophes_are_dropped)
{
	char a[64] = "José", b[64] = "O'Brien", c[64] = "Smith";
	ASSERT_EQ(braid__err_strip_marks(a, sizeof a), 1);
	ASSERT_STR_EQ(a, "Jose");
	ASSERT_EQ(braid__err_strip_marks(b, sizeof b), 1);
	ASSERT_STR_EQ(b, "OBrien");
	ASSERT_EQ(braid__err_strip_marks(c, sizeof c), 0);
	ASSERT_STR_EQ(c, "Smith");
	char u[64] = "Muñoz-López";
	braid__str_upper_utf8(u, sizeof u);
	ASSERT_STR_EQ(u, "MUÑOZ-LÓPEZ");
}

TEST(synth_hyphenated_names_split_or_join)
{
	struct rng r;
	braid__rng_seed(&r, 3);
	int split = 0, joined = 0;
	for (int i = 0; i < 200; i++) {
		char s[64] = "Smith-Jones";
		ASSERT(braid__err_hyphen(s, sizeof s, &r));
		split += !strcmp(s, "Smith Jones");
		joined += !strcmp(s, "SmithJones");
	}
	ASSERT(split > 0 && joined > 0);
	char plain[64] = "Smith";
	ASSERT_EQ(braid__err_hyphen(plain, sizeof plain, &r), 0);
}

TEST(synth_extra_spaces_keep_utf8_valid)
{
	struct rng r;
	braid__rng_seed(&r, 5);
	for (int i = 0; i < 200; i++) {
		char s[64] = "Ñúñez";
		braid__extra_spaces(s, sizeof s, &r);
		/* every continuation byte still follows a lead byte */
		for (size_t k = 0; s[k]; k++)
			if (((unsigned char)s[k] & 0xC0) == 0x80)
				ASSERT(k > 0 && ((unsigned char)s[k - 1] & 0x80));
		ASSERT_EQ(strlen(s), strlen("Ñúñez") + 1);
	}
}

static void hash_file(crypto_generichash_state *st, const char *dir, const char *rel)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "rb");
	if (!f)
		TEST_FAIL_("cannot open %s", p);
	unsigned char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_generichash_update(st, buf, n);
	fclose(f);
}

static void city_hash(const char *dir, unsigned char out[32])
{
	static const char *const files[] = {
		"sources/jail.csv", "sources/hmis.csv", "sources/bh_claims.csv", "sources/school.csv",
		"sources/dhs.csv", "sources/liheap.csv", "sources/water.csv", "sources/tap.csv",
		"sources/child_welfare.csv", "sources/births.csv", "sources/wages.csv", "sources/cbo.csv",
		"sources/childcare.csv", "truth/persons.csv", "truth/households.csv", "truth/people.csv",
		"truth/facts.json", "truth/errors.json", "truth/addresses.csv", "reference/places.csv",
		"specs/jail.yaml", "README.md"};
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		hash_file(&st, dir, files[i]);
	crypto_generichash_final(&st, out, 32);
}

static void make_city(const char *dir, long people, uint64_t seed, double scale,
		      struct braid_synth_stats *st)
{
	struct braid_synth_opts o;
	braid_synth_opts_init(&o);
	o.people = people;
	o.seed = seed;
	o.error_scale = scale;
	o.out_dir = dir;
	struct braid_err err;
	braid_err_clear(&err);
	braid_rc rc = braid_synth_run(&o, st, &err);
	if (rc)
		TEST_FAIL_("braid_synth_run: %s", err.msg);
}

TEST(synth_same_seed_gives_same_bytes)
{
	char a[512], b[512], c[512];
	snprintf(a, sizeof a, "%s/a", test_tmpdir());
	snprintf(b, sizeof b, "%s/b", test_tmpdir());
	snprintf(c, sizeof c, "%s/c", test_tmpdir());
	struct braid_synth_stats sa, sb, sc;
	make_city(a, 400, 9, 1.0, &sa);
	make_city(b, 400, 9, 1.0, &sb);
	make_city(c, 400, 10, 1.0, &sc);
	unsigned char ha[32], hb[32], hc[32];
	city_hash(a, ha);
	city_hash(b, hb);
	city_hash(c, hc);
	ASSERT(memcmp(ha, hb, 32) == 0);
	ASSERT(memcmp(ha, hc, 32) != 0);
	ASSERT_EQ(sa.rows, sb.rows);
	ASSERT(sa.people >= 400 && sa.people < 400 + 12);
	ASSERT_EQ(sa.sources, 13);
	/* roughly 5 distinct records and 10 rows per resident */
	ASSERT(sa.records > 4 * sa.people && sa.records < 6 * sa.people);
	ASSERT(sa.rows > 7 * sa.people && sa.rows < 13 * sa.people);
}

TEST(synth_street_sides_follow_the_generator_rules)
{
	/* the gazetteer (reference/places.csv) and place_address share these */
	struct street s = {.pre = "N", .name = "BROAD", .type = "ST", .post = "",
			   .lo = {0, 1}, .hi = {98, 99}};
	int lo, hi;
	ASSERT(braid__street_side(&s, 0, &lo, &hi));
	ASSERT_EQ(lo, 2); /* a range from 0 starts at the first even number */
	ASSERT_EQ(hi, 98);
	ASSERT(braid__street_side(&s, 1, &lo, &hi));
	ASSERT_EQ(lo, 1);
	ASSERT_EQ(hi, 99);
	s.lo[1] = 101, s.hi[1] = 150; /* hi of the other parity: the last number reachable */
	ASSERT(braid__street_side(&s, 1, &lo, &hi));
	ASSERT_EQ(hi, 149);
	s.lo[1] = 301, s.hi[1] = 201; /* a reversed range: one number */
	ASSERT(braid__street_side(&s, 1, &lo, &hi));
	ASSERT_EQ(lo, 301);
	ASSERT_EQ(hi, 301);
	s.hi[0] = 0; /* no addresses on that side */
	ASSERT(!braid__street_side(&s, 0, &lo, &hi));
}

TEST(synth_error_scale_zero_writes_true_identities)
{
	char d[512], p[600];
	snprintf(d, sizeof d, "%s/clean", test_tmpdir());
	make_city(d, 500, 4, 0.0, NULL);
	snprintf(p, sizeof p, "%s/truth/errors.json", d);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	ASSERT(j != NULL);
	json_t *srcs = json_object_get(j, "sources");
	const char *name;
	json_t *s;
	long records = 0;
	json_object_foreach(srcs, name, s) {
		json_t *ap = json_object_get(s, "applied");
		ASSERT_EQ(json_integer_value(json_object_get(ap, "first_name")), 0);
		ASSERT_EQ(json_integer_value(json_object_get(ap, "last_name")), 0);
		ASSERT_EQ(json_integer_value(json_object_get(ap, "dob")), 0);
		ASSERT_EQ(json_integer_value(json_object_get(ap, "duplicate")), 0);
		records += (long)json_integer_value(json_object_get(s, "records"));
	}
	ASSERT(records > 500);
	json_decref(j);
}

TEST(synth_facts_json_has_every_planted_fact)
{
	char d[512], p[600];
	snprintf(d, sizeof d, "%s/f", test_tmpdir());
	make_city(d, 1500, 1, 1.0, NULL);
	snprintf(p, sizeof p, "%s/truth/facts.json", d);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	ASSERT(j != NULL);
	static const char *const keys[] = {"allegheny_cohort", "water_low_income_accounts",
					   "water_at_risk", "water_at_risk_protected",
					   "water_assistance_gap", "reentry_effect"};
	for (size_t i = 0; i < 6; i++) {
		json_t *f = json_object_get(j, keys[i]);
		ASSERT(json_is_object(f));
		ASSERT(json_is_number(json_object_get(f, "value")));
		ASSERT(json_string_length(json_object_get(f, "definition")) > 20);
	}
	/* low-income accounts and the gap are non-trivial in a city of 1500 */
	ASSERT(json_integer_value(json_object_get(json_object_get(j, "water_low_income_accounts"), "value")) > 20);
	long gap = (long)json_integer_value(json_object_get(json_object_get(j, "water_assistance_gap"), "value"));
	long low = (long)json_integer_value(json_object_get(json_object_get(j, "water_low_income_accounts"), "value"));
	ASSERT(gap > 0 && gap < low);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "analysis_date")), "2024-12-31");
	json_decref(j);
}

TEST(synth_rejects_bad_options)
{
	struct braid_synth_opts o;
	struct braid_err err;
	braid_synth_opts_init(&o);
	ASSERT_EQ(braid_synth_run(&o, NULL, &err), BRAID_EINVAL); /* no out dir */
	o.out_dir = test_tmpdir();
	o.people = 5;
	ASSERT_EQ(braid_synth_run(&o, NULL, &err), BRAID_EINVAL);
	o.people = 100;
	o.year_from = 2024;
	o.year_to = 2016;
	ASSERT_EQ(braid_synth_run(&o, NULL, &err), BRAID_EINVAL);
	o.year_from = 2016;
	o.year_to = 2024;
	o.error_scale = -1;
	ASSERT_EQ(braid_synth_run(&o, NULL, &err), BRAID_EINVAL);
}

TEST(synth_missing_reference_data_is_reported)
{
	char old[1024] = "";
	const char *e = getenv("BRAID_DATA_DIR");
	if (e)
		snprintf(old, sizeof old, "%s", e);
	setenv("BRAID_DATA_DIR", test_tmpdir(), 1);
	struct braid_synth_opts o;
	braid_synth_opts_init(&o);
	o.out_dir = test_tmpdir();
	struct braid_err err;
	braid_err_clear(&err);
	ASSERT_EQ(braid_synth_run(&o, NULL, &err), BRAID_ENOTFOUND);
	ASSERT(strstr(err.msg, "ssa_names_by_decade.csv") != NULL);
	if (old[0])
		setenv("BRAID_DATA_DIR", old, 1);
	else
		unsetenv("BRAID_DATA_DIR");
}

TEST(synth_threads_do_not_change_the_bytes)
{
	/* more than one batch of 2048 households, so two threads really split */
	char a[512], b[512];
	snprintf(a, sizeof a, "%s/t1", test_tmpdir());
	snprintf(b, sizeof b, "%s/t2", test_tmpdir());
	setenv("BRAID_SYNTH_THREADS", "1", 1);
	make_city(a, 5000, 21, 1.0, NULL);
	setenv("BRAID_SYNTH_THREADS", "2", 1);
	make_city(b, 5000, 21, 1.0, NULL);
	unsetenv("BRAID_SYNTH_THREADS");
	unsigned char ha[32], hb[32];
	city_hash(a, ha);
	city_hash(b, hb);
	ASSERT(memcmp(ha, hb, 32) == 0);
}
