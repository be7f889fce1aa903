/* Comparators of the linkage engine against known values. */
#include "test.h"

#include <math.h>
#include "../../src/link/link_int.h"

TEST(link_jaro_winkler_published_values)
{
	ASSERT_NEAR(braid_jaro_winkler("MARTHA", 6, "MARHTA", 6), 0.9611, 0.00005);
	ASSERT_NEAR(braid_jaro_winkler("DWAYNE", 6, "DUANE", 5), 0.84, 0.00005);
	ASSERT_NEAR(braid_jaro_winkler("DIXON", 5, "DICKSONX", 8), 0.8133, 0.00005);
	ASSERT_NEAR(braid_jaro_winkler("JELLYFISH", 9, "SMELLYFISH", 10), 0.8963, 0.00005);
	ASSERT_NEAR(braid_jaro_winkler("ABC", 3, "ABC", 3), 1.0, 1e-12);
	ASSERT_NEAR(braid_jaro_winkler("ABC", 3, "XYZ", 3), 0.0, 1e-12);
	ASSERT_NEAR(braid_jaro_winkler("", 0, "", 0), 1.0, 1e-12);
	ASSERT_NEAR(braid_jaro_winkler("A", 1, "", 0), 0.0, 1e-12);
}

TEST(link_jaro_winkler_is_symmetric_and_handles_long_strings)
{
	const char *a = "CHRISTOPHERSONMACDONALDFITZWILLIAMHARRINGTONSMYTHEPEMBERTONWHITEHEADXY";
	const char *b = "CHRISTOPHERSONMACDONALDFITZWILIAMHARRINGTONSMYTHEPEMBERTONWHITEHEADYX";
	double s1 = braid_jaro_winkler(a, strlen(a), b, strlen(b));
	double s2 = braid_jaro_winkler(b, strlen(b), a, strlen(a));
	ASSERT_NEAR(s1, s2, 1e-12);
	ASSERT(s1 > 0.95 && s1 < 1.0);
}

/* The textbook Jaro–Winkler, written for clarity, not speed: flags
 * arrays, the window scan, transpositions counted by walking both sides'
 * matched characters in order.  braid's paths must agree with it on m, t
 * and the boost; the last digits of the double may differ only by the
 * order of the arithmetic, hence the 1e-12. */
static double ref_jw(const char *a, size_t la, const char *b, size_t lb)
{
	if (la > 255)
		la = 255;
	if (lb > 255)
		lb = 255;
	if (la == 0 && lb == 0)
		return 1.0;
	if (la == 0 || lb == 0)
		return 0.0;
	size_t mx = la > lb ? la : lb;
	long win = (long)mx / 2 - 1;
	if (win < 0)
		win = 0;
	char fa[255] = {0}, fb[255] = {0};
	int m = 0;
	for (long i = 0; i < (long)la; i++) {
		long lo = i - win < 0 ? 0 : i - win, hi = i + win + 1 > (long)lb ? (long)lb : i + win + 1;
		for (long j = lo; j < hi; j++) {
			if (!fb[j] && a[i] == b[j]) {
				fa[i] = fb[j] = 1;
				m++;
				break;
			}
		}
	}
	if (m == 0)
		return 0.0;
	int t2 = 0;
	size_t k = 0;
	for (size_t i = 0; i < la; i++) {
		if (!fa[i])
			continue;
		while (!fb[k])
			k++;
		t2 += a[i] != b[k];
		k++;
	}
	double j = ((double)m / (double)la + (double)m / (double)lb +
		    ((double)m - (double)t2 / 2.0) / (double)m) / 3.0;
	/* j > 0.7 decided exactly, in integers (6·la·lb·m·j = 2m²(la+lb) +
	 * (2m−t)·la·lb): a Jaro of exactly 0.7 rounds to either side of 0.7
	 * in doubles, and the boost must not depend on that */
	long num = 2L * m * m * (long)(la + lb) + (2L * m - t2) * (long)la * (long)lb;
	if (10 * num <= 7 * 6L * (long)la * (long)lb * m)
		return j;
	size_t p = 0;
	while (p < 4 && p < la && p < lb && a[p] == b[p])
		p++;
	return j + (double)p * 0.1 * (1.0 - j);
}

static uint64_t jw_rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void jw_check(const char *a, size_t la, const char *b, size_t lb, long *bad)
{
	double r = ref_jw(a, la, b, lb);
	for (int path = BRAID__JW_AUTO; path <= BRAID__JW_GENERAL; path++) {
		double v = braid__jaro_winkler_path(a, la, b, lb, path);
		if (fabs(v - r) > 1e-12) {
			if (*bad < 5)
				fprintf(stderr, "jw mismatch path %d: %.17g vs reference %.17g (lengths %zu, %zu)\n",
					path, v, r, la, lb);
			(*bad)++;
		}
	}
	/* the public function is the AUTO path */
	if (braid_jaro_winkler(a, la, b, lb) != braid__jaro_winkler_path(a, la, b, lb, BRAID__JW_AUTO))
		(*bad)++;
}

TEST(link_jaro_winkler_matches_reference_on_random_and_real_pairs)
{
	long bad = 0, n = 0;
	uint64_t s = 12345;
	char a[300], b[300];
	/* random strings over small alphabets (many repeats, the hard case for
	 * the bit-parallel match), all lengths 0..70 around the 64-byte edge,
	 * plus a few longer than 255 (clipped) */
	for (int it = 0; it < 300000; it++) {
		size_t la = jw_rng(&s) % 71, lb = jw_rng(&s) % 71;
		if (it % 1000 == 0) {
			la = 200 + jw_rng(&s) % 100;
			lb = 200 + jw_rng(&s) % 100;
		}
		int alph = 1 + (int)(jw_rng(&s) % 8);
		for (size_t k = 0; k < la; k++)
			a[k] = (char)('A' + jw_rng(&s) % (uint64_t)alph);
		for (size_t k = 0; k < lb; k++)
			b[k] = (char)('A' + jw_rng(&s) % (uint64_t)alph);
		/* half the time b is a typo'd copy of a: high similarities, the
		 * Winkler boost and its prefix */
		if (it & 1) {
			lb = la;
			memcpy(b, a, la);
			if (lb > 1) {
				size_t q = jw_rng(&s) % (lb - 1);
				char c = b[q];
				b[q] = b[q + 1];
				b[q + 1] = c;
			}
			if (lb && jw_rng(&s) % 2)
				b[jw_rng(&s) % lb] = (char)('A' + jw_rng(&s) % 26);
		}
		jw_check(a, la, b, lb, &bad);
		n++;
	}
	/* bytes >= 0x80 (UTF-8) and NUL inside the strings */
	for (int it = 0; it < 20000; it++) {
		size_t la = jw_rng(&s) % 65, lb = jw_rng(&s) % 65;
		for (size_t k = 0; k < la; k++)
			a[k] = (char)(jw_rng(&s) % 4 == 0 ? 0xC3 + jw_rng(&s) % 3 : jw_rng(&s) % 3);
		for (size_t k = 0; k < lb; k++)
			b[k] = (char)(jw_rng(&s) % 4 == 0 ? 0xC3 + jw_rng(&s) % 3 : jw_rng(&s) % 3);
		jw_check(a, la, b, lb, &bad);
		n++;
	}
	/* real names: every pair among a few hundred surnames of the reference
	 * data (Census list) */
	char path[4096];
	ASSERT_EQ(braid_data_path("names/census2010_surnames_joined.csv", path, sizeof path), BRAID_OK);
	FILE *f = fopen(path, "r");
	ASSERT(f != NULL);
	enum { NS = 400 };
	static char nm[NS][32];
	size_t nl[NS];
	int cnt = 0;
	char line[256];
	while (cnt < NS && fgets(line, sizeof line, f)) {
		size_t k = 0;
		while (line[k] && line[k] != ',' && line[k] != '\n' && k < 31)
			k++;
		if (k == 0 || line[0] < 'A' || line[0] > 'Z')
			continue;
		memcpy(nm[cnt], line, k);
		nl[cnt] = k;
		cnt++;
	}
	fclose(f);
	ASSERT(cnt == NS);
	for (int i = 0; i < NS; i++)
		for (int j = 0; j < NS; j++) {
			jw_check(nm[i], nl[i], nm[j], nl[j], &bad);
			n++;
		}
	ASSERT(n > 400000);
	ASSERT_EQ(bad, 0);
}

TEST(link_digits_levels)
{
	ASSERT_EQ(braid__cmp_digits("123456789", 9, "123456789", 9), 1);
	ASSERT_EQ(braid__cmp_digits("123456789", 9, "123456780", 9), 2);
	ASSERT_EQ(braid__cmp_digits("123456789", 9, "123546789", 9), 3);
	ASSERT_EQ(braid__cmp_digits("123456789", 9, "923456781", 9), 4); /* not adjacent */
	ASSERT_EQ(braid__cmp_digits("123456789", 9, "12345678", 8), 4);
	ASSERT_EQ(braid__cmp_digits("", 0, "12345678", 8), 0);
}

/* A tiny record builder: interns names and computes phonetic codes. */
struct fx {
	struct braid__strtab st;
	struct braid__lrec r[8];
	struct braid__cmpctx cx;
};

static uint32_t in(struct fx *f, const char *s)
{
	uint32_t id;
	ASSERT_EQ(braid__strtab_intern(&f->st, s, strlen(s), &id), BRAID_OK);
	return id;
}

static void person(struct fx *f, int i, const char *first, const char *last,
		   int y, int m, int d)
{
	struct braid__lrec *r = &f->r[i];
	memset(r, 0, sizeof *r);
	char p1[8], p2[8];
	r->first = in(f, first);
	r->last = in(f, last);
	braid_double_metaphone(first, p1, p2);
	r->first_ph = in(f, p1);
	r->first_ph2 = in(f, p2);
	braid_double_metaphone(last, p1, p2);
	r->last_ph = in(f, p1);
	r->last_ph2 = in(f, p2);
	r->y = (int16_t)y;
	r->m = (uint8_t)m;
	r->d = (uint8_t)d;
}

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	ASSERT_EQ(braid__strtab_init(&f->st), BRAID_OK);
	f->cx.r = f->r;
	f->cx.st = &f->st;
	f->cx.active = (1u << BRAID_LC__COUNT) - 1;
}

TEST(link_strtab_interns_once)
{
	struct fx f;
	fx_init(&f);
	uint32_t a = in(&f, "SMITH"), b = in(&f, "JONES"), c = in(&f, "SMITH");
	ASSERT_EQ(a, c);
	ASSERT_NE(a, b);
	ASSERT_EQ(in(&f, ""), 0);
	for (int i = 0; i < 5000; i++) { /* forces several rehashes */
		char buf[16];
		snprintf(buf, sizeof buf, "N%d", i);
		in(&f, buf);
	}
	ASSERT_EQ(in(&f, "SMITH"), a);
	ASSERT_STR_EQ(braid__str(&f.st, b), "JONES");
	braid__strtab_release(&f.st);
}

TEST(link_first_name_levels)
{
	struct fx f;
	fx_init(&f);
	person(&f, 0, "MARTHA", "JONES", 0, 0, 0);
	person(&f, 1, "MARHTA", "JONES", 0, 0, 0);
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_JW92);
	person(&f, 1, "MARTHA", "JONES", 0, 0, 0);
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_EXACT);
	person(&f, 1, "M", "JONES", 0, 0, 0);
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_INIT);
	person(&f, 1, "", "JONES", 0, 0, 0);
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), LV_NULL);
	person(&f, 0, "JONES", "MARTHA", 0, 0, 0);
	person(&f, 1, "MARTHA", "JONES", 0, 0, 0);
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_SWAP);
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_SWAP);
	person(&f, 0, "DWAYNE", "X", 0, 0, 0);
	person(&f, 1, "DUANE", "X", 0, 0, 0);
	/* 0.84: under both bands, but the same sound */
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_PHON);
	person(&f, 0, "PETER", "X", 0, 0, 0);
	person(&f, 1, "SUSAN", "X", 0, 0, 0);
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_ELSE);
	f.r[0].first_nick = f.r[1].first_nick = in(&f, "ROBERT");
	ASSERT_EQ(braid__cmp_first(&f.cx, &f.r[0], &f.r[1]), FN_NICK);
	braid__strtab_release(&f.st);
}

TEST(link_last_name_levels)
{
	struct fx f;
	fx_init(&f);
	person(&f, 0, "ANA", "GARCIA", 0, 0, 0);
	person(&f, 1, "ANA", "GARCIA-LOPEZ", 0, 0, 0);
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_PART);
	person(&f, 1, "ANA", "GARCIA", 0, 0, 0);
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_EXACT);
	person(&f, 0, "A", "DIXON", 0, 0, 0);
	person(&f, 1, "A", "DICKSONX", 0, 0, 0);
	/* 0.8133: under both bands, but both sound TKSN */
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_PHON);
	person(&f, 0, "A", "SMITH", 0, 0, 0);
	person(&f, 1, "A", "SMYTH", 0, 0, 0);
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_JW88); /* 0.8933 */
	person(&f, 1, "A", "NGUYEN", 0, 0, 0);
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_ELSE);
	person(&f, 0, "A", "KNIGHT", 0, 0, 0);
	person(&f, 1, "A", "NITE", 0, 0, 0);
	ASSERT_EQ(braid__cmp_last(&f.cx, &f.r[0], &f.r[1]), LN_PHON);
	braid__strtab_release(&f.st);
}

TEST(link_dob_levels)
{
	struct fx f;
	fx_init(&f);
	person(&f, 0, "A", "B", 1980, 3, 7);
	person(&f, 1, "A", "B", 1980, 3, 7);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_EXACT);
	person(&f, 1, "A", "B", 1980, 7, 3);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_SWAP);
	person(&f, 1, "A", "B", 1981, 3, 7);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_ONE);
	person(&f, 1, "A", "B", 1944, 3, 7);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_MD);
	person(&f, 1, "A", "B", 1980, 3, 29);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_TWO);
	person(&f, 1, "A", "B", 1980, 11, 27);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_YEAR);
	person(&f, 1, "A", "B", 1982, 11, 27);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_NEAR);
	person(&f, 1, "A", "B", 1955, 11, 27);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_ELSE);
	person(&f, 1, "A", "B", 1980, 0, 0); /* only a year */
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_YONLY);
	person(&f, 1, "A", "B", 1981, 0, 0);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_NEAR);
	person(&f, 1, "A", "B", 0, 0, 0);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), LV_NULL);
	/* one digit typo across components: 1980-03-07 vs 1980-08-07 is two
	 * components equal; 1989-03-17 differs in two components but one
	 * transposition-free digit each: else-ish, not one-off */
	person(&f, 1, "A", "B", 1980, 8, 7);
	ASSERT_EQ(braid__cmp_dob(&f.r[0], &f.r[1]), DB_ONE);
	braid__strtab_release(&f.st);
}

TEST(link_compare_packs_every_field)
{
	struct fx f;
	fx_init(&f);
	person(&f, 0, "JOHN", "SMITH", 1970, 1, 2);
	person(&f, 1, "JOHN", "SMITHE", 1970, 1, 2);
	f.r[0].ssn = in(&f, "123456789");
	f.r[1].ssn = in(&f, "123456780");
	f.r[0].sex = 'M';
	f.r[1].sex = 'F';
	f.r[0].street = f.r[1].street = in(&f, "N BROAD ST");
	f.r[0].number = in(&f, "12");
	f.r[1].number = in(&f, "14");
	f.r[0].zip = in(&f, "19104");
	f.r[1].zip = in(&f, "19104");
	f.r[0].phone = in(&f, "2155551234");
	f.r[1].phone = in(&f, "2675551234");
	f.r[0].email = in(&f, "j@x.org");
	f.r[1].email = in(&f, "j@y.org");
	f.r[0].email_local = f.r[1].email_local = in(&f, "j");
	braid__cvec v = braid__compare(&f.cx, 0, 1);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_FIRST), FN_EXACT);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_LAST), LN_JW92);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_DOB), DB_EXACT);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_SSN), SS_ONE);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_SEX), SX_ELSE);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_ADDRESS), AD_STREET);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_ZIP), ZP_EXACT);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_PHONE), PH_LAST7);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_EMAIL), EM_LOCAL);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_MIDDLE), LV_NULL);
	ASSERT_EQ(braid__cvec_level(v, BRAID_LC_CITY), LV_NULL);
	ASSERT_STR_EQ(braid_link_level_name(BRAID_LC_SSN, SS_ONE), "one digit off");
	ASSERT_EQ(braid_link_cmp_nlevels(BRAID_LC_FIRST), FN_ELSE + 1);
	ASSERT_EQ(braid_link_cmp_nlevels(BRAID_LC_LAST), LN_ELSE + 1);
	ASSERT_EQ(braid_link_cmp_nlevels(BRAID_LC_DOB), DB_ELSE + 1);
	braid__strtab_release(&f.st);
}
