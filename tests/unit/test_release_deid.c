/*
 * De-identified row extracts: Safe-Harbor-style generalisation, local
 * suppression to k-anonymity, l-diversity, the risk report.
 */
#include "test.h"
#include "braid/release.h"

enum { NAME, SSN, DOB, AGE, ZIP, TRACT, SEX, DIAG, NCOL };

static const struct braid_deid_column COLS[NCOL] = {
	{"name", BRAID_DEID_DROP, 0, 0},
	{"ssn", BRAID_DEID_DROP, 0, 0},
	{"dob", BRAID_DEID_BIRTH_YEAR, 1, 0},
	{"age", BRAID_DEID_AGE_90, 1, 0},
	{"zip", BRAID_DEID_ZIP3, 1, 0},
	{"tract", BRAID_DEID_TRACT_DISTRICT, 1, 0},
	{"sex", BRAID_DEID_KEEP, 1, 0},
	{"diagnosis", BRAID_DEID_KEEP, 0, 1},
};
static const char *ZIP3[] = {"191", "190", "055"};
static const long POP[] = {1500000, 20000, 4000};
static const char *TRACTS[] = {"t1", "t2", "t3", "t4"};
static const char *DISTS[] = {"D1", "D1", "D2", "D2"};

static struct braid_deid_opts opts(size_t k, size_t l)
{
	struct braid_deid_opts o = {
		.cols = COLS, .ncols = NCOL, .k = k, .l = l,
		.zip3 = ZIP3, .zip3_pop = POP, .nzip3 = 3,
		.tracts = TRACTS, .districts = DISTS, .ntracts = 4,
		.reference_year = 2026,
	};
	return o;
}

static const char *cell(const struct braid_extract *x, size_t r, size_t c)
{
	return x->cells[r * x->ncols + c];
}

TEST(release_deid_generalises_like_safe_harbor)
{
	const char *rows[] = {
		"Ada Smith", "123-45-6789", "1931-03-04", "93", "19104-1234", "t2", "F", "flu",
		"Bo Jones", "987-65-4320", "1980-12-31", "45", "19020", "t4", "M", "flu",
		"Cy Young", NULL, "31/12/1980", "x", "05501", "t9", "M", "cold",
		"Di Prince", NULL, "2001-07-15", "89", "1910", "t1", "F", "cold",
	};
	struct braid_deid_opts o = opts(1, 0);
	struct braid_extract x;
	struct braid_risk_report rep;
	struct braid_err err;
	ASSERT_EQ(braid_deid_extract(rows, 4, &o, &x, &rep, &err), BRAID_OK);
	ASSERT_EQ(x.ncols, 6);
	ASSERT_STR_EQ(x.names[0], "dob");
	/* born 1931: 90 or older in 2026, so the year is aggregated too */
	ASSERT_STR_EQ(cell(&x, 0, 0), "<=1936");
	ASSERT_STR_EQ(cell(&x, 0, 1), "90+");
	ASSERT_STR_EQ(cell(&x, 0, 2), "191");
	ASSERT_STR_EQ(cell(&x, 0, 3), "D1");
	ASSERT_STR_EQ(cell(&x, 1, 0), "1980");
	ASSERT_STR_EQ(cell(&x, 1, 1), "45");
	/* 190 has exactly 20,000 people: not more, so 000 */
	ASSERT_STR_EQ(cell(&x, 1, 2), "000");
	ASSERT_STR_EQ(cell(&x, 2, 0), "*");
	ASSERT_STR_EQ(cell(&x, 2, 1), "*");
	ASSERT_STR_EQ(cell(&x, 2, 2), "000");
	ASSERT_STR_EQ(cell(&x, 2, 3), "*");
	ASSERT_STR_EQ(cell(&x, 3, 1), "89");
	ASSERT_STR_EQ(cell(&x, 3, 2), "000");
	/* direct identifiers are nowhere in the extract */
	for (size_t i = 0; i < x.nrows * x.ncols; i++) {
		ASSERT(!strstr(x.cells[i], "Smith"));
		ASSERT(!strstr(x.cells[i], "6789"));
	}
	ASSERT_EQ(rep.rows_out, 4);
	ASSERT(rep.values_generalised >= 12);
	braid_extract_release(&x);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* n synthetic rows (strings in buf), skewed so that some combinations are
 * rare. */
static const char **synth(size_t n, uint64_t seed, char (*buf)[24])
{
	static const char *zips[] = {"19104", "19147", "19020", "05501", "19103"};
	static const char *diags[] = {"flu", "cold", "asthma", "diabetes"};
	const char **rows = malloc(n * NCOL * sizeof *rows);
	for (size_t r = 0; r < n; r++) {
		char *b = buf[r * 4];
		snprintf(b, 24, "Person %u", (unsigned)(r % 1000000u));
		snprintf(buf[r * 4 + 1], 24, "%03d-%02d-%04d", (int)(r % 900), (int)(r % 99), (int)r);
		int y = 1930 + (int)(lcg(&seed) % 80);
		snprintf(buf[r * 4 + 2], 24, "%d-%02d-%02d", y, 1 + (int)(lcg(&seed) % 12),
			 1 + (int)(lcg(&seed) % 28));
		snprintf(buf[r * 4 + 3], 24, "%d", 2026 - y);
		const char **row = rows + r * NCOL;
		row[NAME] = buf[r * 4];
		row[SSN] = buf[r * 4 + 1];
		row[DOB] = buf[r * 4 + 2];
		row[AGE] = buf[r * 4 + 3];
		row[ZIP] = zips[lcg(&seed) % 4 ? lcg(&seed) % 2 : lcg(&seed) % 5];
		row[TRACT] = TRACTS[lcg(&seed) % 4];
		row[SEX] = lcg(&seed) % 2 ? "F" : "M";
		row[DIAG] = diags[lcg(&seed) % 8 ? lcg(&seed) % 2 : lcg(&seed) % 4];
	}
	return rows;
}

TEST(release_deid_extract_is_k_anonymous)
{
	size_t n = 3000;
	char (*buf)[24] = malloc(n * 4 * sizeof *buf);
	const char **rows = synth(n, 17, buf);
	/* quasi-identifiers: dob, age, zip, tract, sex -> columns 0..4 out */
	size_t q[] = {0, 1, 2, 3, 4};
	for (size_t k = 2; k <= 10; k += 4) {
		struct braid_deid_opts o = opts(k, 0);
		struct braid_extract x;
		struct braid_risk_report rep;
		struct braid_err err;
		ASSERT_EQ(braid_deid_extract(rows, n, &o, &x, &rep, &err), BRAID_OK);
		/* generalisation alone leaves outliers: suppression had work */
		ASSERT(rep.rows_below_k_before > 0);
		ASSERT(rep.values_suppressed > 0);
		size_t ml;
		size_t m = braid_extract_min_class(&x, q, 5, 5, &ml);
		if (m < k)
			TEST_FAIL_("k=%zu: smallest class has %zu rows", k, m);
		ASSERT_EQ(rep.min_class, m);
		ASSERT_EQ(rep.rows_out + rep.rows_dropped, n);
		ASSERT_EQ(rep.rows_out, x.nrows);
		ASSERT(rep.rows_out > n / 2); /* suppression, not wholesale deletion */
		ASSERT_NEAR(rep.max_risk, 1.0 / (double)m, 1e-12);
		braid_extract_release(&x);
	}
	free(rows);
	free(buf);
}

TEST(release_deid_enforces_l_diversity)
{
	size_t n = 2000;
	char (*buf)[24] = malloc(n * 4 * sizeof *buf);
	const char **rows = synth(n, 23, buf);
	size_t q[] = {0, 1, 2, 3, 4};
	struct braid_deid_opts o = opts(3, 1);
	struct braid_extract x;
	struct braid_risk_report rep;
	struct braid_err err;
	ASSERT_EQ(braid_deid_extract(rows, n, &o, &x, &rep, &err), BRAID_OK);
	size_t l1;
	braid_extract_min_class(&x, q, 5, 5, &l1);
	ASSERT_EQ(l1, 1); /* without the check some class is all one diagnosis */
	braid_extract_release(&x);
	o.l = 2;
	ASSERT_EQ(braid_deid_extract(rows, n, &o, &x, &rep, &err), BRAID_OK);
	size_t l2;
	size_t m = braid_extract_min_class(&x, q, 5, 5, &l2);
	ASSERT(m >= 3);
	ASSERT(l2 >= 2);
	ASSERT_EQ(rep.min_l, l2);
	braid_extract_release(&x);
	/* l-diversity without a sensitive column is a usage error */
	struct braid_deid_column c2[NCOL];
	memcpy(c2, COLS, sizeof c2);
	c2[DIAG].sensitive = 0;
	o.cols = c2;
	ASSERT_EQ(braid_deid_extract(rows, n, &o, &x, &rep, &err), BRAID_EINVAL);
	braid_extract_release(&x);
	free(rows);
	free(buf);
}

TEST(release_deid_dates_to_year_and_k_one_keeps_every_row)
{
	static const struct braid_deid_column c[] = {{"event_date", BRAID_DEID_DATE_YEAR, 1, 0}};
	const char *rows[] = {"2024-05-06", "2024", "May 2024", NULL};
	struct braid_deid_opts o = {.cols = c, .ncols = 1, .k = 1};
	struct braid_extract x;
	struct braid_risk_report rep;
	struct braid_err err;
	ASSERT_EQ(braid_deid_extract(rows, 4, &o, &x, &rep, &err), BRAID_OK);
	ASSERT_EQ(x.nrows, 4);
	ASSERT_STR_EQ(cell(&x, 0, 0), "2024");
	ASSERT_STR_EQ(cell(&x, 1, 0), "2024");
	ASSERT_STR_EQ(cell(&x, 2, 0), "*");
	ASSERT_STR_EQ(cell(&x, 3, 0), "");
	ASSERT_EQ(rep.classes, 3);
	ASSERT_EQ(rep.min_class, 1);
	braid_extract_release(&x);
	/* k = 2: the lone "*" and "" rows cannot hide: starring gives one
	 * class of two */
	o.k = 2;
	ASSERT_EQ(braid_deid_extract(rows, 4, &o, &x, &rep, &err), BRAID_OK);
	ASSERT_EQ(rep.min_class, 2);
	ASSERT_EQ(x.nrows, 4);
	braid_extract_release(&x);
	o.k = 0;
	ASSERT_EQ(braid_deid_extract(rows, 4, &o, &x, &rep, &err), BRAID_EINVAL);
	braid_extract_release(&x);
}
