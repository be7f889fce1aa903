/* Comparators of the linkage engine against known values. */
#include "test.h"
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
