/*
 * Ingest validators (braid/normalize.h): dates, SSNs, ZIP codes, phones, sex
 * codes, e-mail addresses, UTF-8 validity and Latin-1 conversion.
 *
 * Each validator either produces the canonical value or says the value is
 * invalid, so that ingest stores a bad value as missing with a quality flag
 * and never as a wrong value.  They are deliberately strict about shape and
 * lenient only about presentation (case, dashes, spaces, a time after a
 * date).  What they do not do: guess a date format per row (auto tries a
 * fixed order), look SSNs up against issuance tables (only the rules the SSA
 * publishes for never-issued numbers), check that a ZIP exists or that an
 * e-mail domain resolves.  Nothing here prints, allocates or keeps state.
 */
#include "braid/normalize.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char up(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Length of s without trailing spaces/tabs. */
static size_t trimmed_len(const char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* ================================================================ dates */

int braid_date_valid(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static const char *const month_names[12] = {
	"JANUARY", "FEBRUARY", "MARCH",     "APRIL",   "MAY",      "JUNE",
	"JULY",    "AUGUST",   "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER",
};

/* Read exactly min..max digits; returns digits read (0 = no match). */
static int digits(const char **p, int min, int max, int *out)
{
	int v = 0, n = 0;
	while (n < max && is_digit((*p)[n])) {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n < min)
		return 0;
	*p += n;
	*out = v;
	return n;
}

/* Month name: full (full=1) or its first three letters, any case. */
static int month_word(const char **p, int full, int *m)
{
	for (int i = 0; i < 12; i++) {
		const char *name = month_names[i];
		size_t n = full ? strlen(name) : 3;
		size_t k = 0;
		while (k < n && (*p)[k] && up((*p)[k]) == name[k])
			k++;
		if (k == n && !is_alpha((*p)[n])) {
			*p += n;
			*m = i + 1;
			return 1;
		}
	}
	return 0;
}

/* What may follow a date: nothing, or a time ("13:45", "T13:45:00Z",
 * " 1:05 PM"), which is ignored. */
static int time_suffix_ok(const char *p)
{
	if (!*p)
		return 1;
	if (*p != ' ' && *p != 'T' && *p != 't')
		return 0;
	while (*p == ' ' || *p == 'T' || *p == 't')
		p++;
	if (!is_digit(*p))
		return 0;
	for (; *p; p++)
		if (!is_digit(*p) && !strchr(":.+-Zz APMapm", *p))
			return 0;
	return 1;
}

static braid_rc parse_fmt(const char *s, const char *fmt, int pivot_yy,
			  struct braid_date *out)
{
	int y = -1, m = -1, d = -1, v;
	const char *p = s;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			if (*p != *f)
				return BRAID_EPARSE;
			p++;
			continue;
		}
		switch (*++f) {
		case 'Y':
			if (!digits(&p, 4, 4, &y))
				return BRAID_EPARSE;
			break;
		case 'y':
			if (!digits(&p, 2, 2, &v))
				return BRAID_EPARSE;
			y = v > pivot_yy ? 1900 + v : 2000 + v;
			break;
		case 'm':
			if (!digits(&p, 1, 2, &m))
				return BRAID_EPARSE;
			break;
		case 'd':
			if (!digits(&p, 1, 2, &d))
				return BRAID_EPARSE;
			break;
		case 'b':
		case 'B':
			if (!month_word(&p, *f == 'B', &m))
				return BRAID_EPARSE;
			break;
		case '%':
			if (*p++ != '%')
				return BRAID_EPARSE;
			break;
		default: /* %j and friends are not supported */
			return BRAID_EPARSE;
		}
	}
	if (y < 0 || m < 0 || d < 0 || !braid_date_valid(y, m, d))
		return BRAID_EPARSE;
	if (!time_suffix_ok(p))
		return BRAID_EPARSE;
	out->y = y;
	out->m = m;
	out->d = d;
	return BRAID_OK;
}

braid_rc braid_date_parse(const char *s, const char *fmt, int pivot_yy,
			  struct braid_date *out)
{
	static const char *const auto_fmts[] = {
		"%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%d-%b-%Y", "%Y/%m/%d",
	};
	if (!s || !out)
		return BRAID_EINVAL;
	if (pivot_yy < 0)
		pivot_yy = braid_date_today().y % 100;
	char buf[64];
	s = skip_ws(s);
	size_t n = trimmed_len(s);
	if (n == 0 || n >= sizeof buf)
		return BRAID_EPARSE;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (fmt && strcmp(fmt, "auto"))
		return parse_fmt(buf, fmt, pivot_yy, out);
	for (size_t i = 0; i < sizeof auto_fmts / sizeof auto_fmts[0]; i++)
		if (parse_fmt(buf, auto_fmts[i], pivot_yy, out) == BRAID_OK)
			return BRAID_OK;
	return BRAID_EPARSE;
}

/* Howard Hinnant's days_from_civil / civil_from_days: exact for the whole
 * proleptic Gregorian calendar, no tables, no time_t range limits. */
long braid_date_to_days(struct braid_date dt)
{
	long y = dt.y - (dt.m <= 2);
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long mp = (dt.m + 9) % 12;
	long doy = (153 * mp + 2) / 5 + dt.d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct braid_date braid_date_from_days(long z)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	struct braid_date r;
	r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.y = (int)(yoe + era * 400 + (r.m <= 2));
	return r;
}

void braid_date_iso(struct braid_date d, char *out)
{
	unsigned y = (unsigned)d.y % 10000, m = (unsigned)d.m % 100,
		 dd = (unsigned)d.d % 100;
	char b[11] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10),
		      (char)('0' + y / 10 % 10), (char)('0' + y % 10), '-',
		      (char)('0' + m / 10), (char)('0' + m % 10), '-',
		      (char)('0' + dd / 10), (char)('0' + dd % 10), 0};
	memcpy(out, b, sizeof b);
}

struct braid_date braid_date_today(void)
{
	struct braid_date d;
	const char *env = getenv("BRAID_TODAY");
	if (env && *env && parse_fmt(env, "%Y-%m-%d", 50, &d) == BRAID_OK)
		return d;
	return braid_date_from_days((long)(time(NULL) / 86400));
}

/* ================================================================ SSN */

enum braid_ssn_problem braid_ssn_check(const char *s, char out[10])
{
	size_t n = 0;
	out[0] = 0;
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		if (!is_digit(*p) || n == 9)
			return BRAID_SSN_MALFORMED;
		out[n++] = *p;
	}
	if (n != 9) {
		out[0] = 0;
		return BRAID_SSN_MALFORMED;
	}
	out[9] = 0;
	/* Numbers printed on sample cards and forms, or typed as filler. */
	if (!strcmp(out, "123456789") || !strcmp(out, "078051120") ||
	    !strcmp(out, "219099999"))
		return BRAID_SSN_PLACEHOLDER;
	if (out[0] != '0' && strspn(out, (char[]){out[0], 0}) == 9)
		return BRAID_SSN_PLACEHOLDER; /* 111-11-1111 ... 999-99-9999 */
	if (!memcmp(out, "000", 3) || !memcmp(out, "666", 3) || out[0] == '9')
		return BRAID_SSN_AREA;
	if (!memcmp(out + 3, "00", 2))
		return BRAID_SSN_GROUP;
	if (!memcmp(out + 5, "0000", 4))
		return BRAID_SSN_SERIAL;
	return BRAID_SSN_OK;
}

const char *braid_ssn_problem_str(enum braid_ssn_problem p)
{
	switch (p) {
	case BRAID_SSN_OK: return "ok";
	case BRAID_SSN_MALFORMED: return "not 9 digits";
	case BRAID_SSN_AREA: return "area number never issued (000, 666, 900-999)";
	case BRAID_SSN_GROUP: return "group number 00";
	case BRAID_SSN_SERIAL: return "serial number 0000";
	case BRAID_SSN_PLACEHOLDER: return "known placeholder or sample number";
	}
	return "unknown problem";
}

/* ================================================================ ZIP */

braid_rc braid_zip_check(const char *s, char zip5[11], char plus4[5], int *is_us)
{
	zip5[0] = plus4[0] = 0;
	*is_us = 0;
	if (!s)
		return BRAID_EPARSE;
	s = skip_ws(s);
	size_t n = trimmed_len(s);
	size_t nd = 0;
	while (nd < n && is_digit(s[nd]))
		nd++;
	int us = (n == 5 && nd == 5) || (n == 9 && nd == 9) ||
		 (n == 10 && nd == 5 && s[5] == '-' && strspn(s + 6, "0123456789") >= 4);
	if (us) {
		if (!memcmp(s, "00000", 5))
			return BRAID_EPARSE;
		memcpy(zip5, s, 5);
		zip5[5] = 0;
		if (n > 5) {
			memcpy(plus4, s + n - 4, 4);
			plus4[4] = 0;
		}
		*is_us = 1;
		return BRAID_OK;
	}
	/* A broken US ZIP must not pass as a foreign postcode: all digits of
	 * the wrong length, or five digits and a dash not followed by four. */
	if (nd == n && n >= 5)
		return BRAID_EPARSE;
	if (nd == 5 && n > 5 && (s[5] == '-' || s[5] == ' '))
		return BRAID_EPARSE;
	if (n < 3 || n > 10)
		return BRAID_EPARSE;
	int has_digit = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (is_digit(c))
			has_digit = 1;
		else if (!is_alpha(c) && c != ' ' && c != '-')
			return BRAID_EPARSE;
		zip5[i] = up(c);
	}
	zip5[n] = 0;
	if (!has_digit) {
		zip5[0] = 0;
		return BRAID_EPARSE;
	}
	return BRAID_OK;
}

/* ================================================================ phone */

braid_rc braid_phone_check(const char *s, char out[16])
{
	char d[32];
	size_t n = 0;
	int plus = 0;
	out[0] = 0;
	if (!s)
		return BRAID_EPARSE;
	s = skip_ws(s);
	if (*s == '+') {
		plus = 1;
		s++;
	}
	for (const char *p = s; *p; p++) {
		if (is_digit(*p)) {
			if (n == sizeof d - 1)
				return BRAID_EPARSE;
			d[n++] = *p;
		} else if (*p == 'x' || *p == 'X' || *p == 'e' || *p == 'E' || *p == '#') {
			/* An extension ("x12", "ext. 12", "#12") is not part of
			 * the number people share across agencies. */
			if (n == 0)
				return BRAID_EPARSE;
			break;
		} else if (!strchr(" ()-./\t", *p)) {
			return BRAID_EPARSE;
		}
	}
	d[n] = 0;
	char *num = d;
	if (!plus && n > 10 && !memcmp(d, "011", 3)) { /* US international prefix */
		num += 3;
		n -= 3;
		plus = 1;
	}
	int us = !plus || num[0] == '1';
	if (us && n == 11 && num[0] == '1') {
		num++;
		n--;
	}
	if (n < 7 || n > 15)
		return BRAID_EPARSE;
	if (us && n == 10 && (num[0] == '0' || num[0] == '1'))
		return BRAID_EPARSE;
	if (strspn(num, (char[]){num[0], 0}) == n) /* 0000000, 9999999999 */
		return BRAID_EPARSE;
	memcpy(out, num, n + 1);
	return BRAID_OK;
}

/* ================================================================ sex */

braid_rc braid_sex_check(const char *s, char *out)
{
	static const char *const male[] = {"M", "MALE", "1", "MAN", "BOY"};
	static const char *const female[] = {"F", "FEMALE", "2", "WOMAN", "GIRL"};
	/* ISO/IEC 5218 uses 0 = not known and 9 = not applicable. */
	static const char *const unknown[] = {
		"",        "U",       "X",       "UNK",          "UNKNOWN", "0",
		"9",       "-",       "?",       "NA",           "N/A",     "NOT REPORTED",
		"REFUSED", "DECLINED", "UNDISCLOSED", "NOT STATED", "OTHER", "O",
		"NONBINARY", "NON-BINARY",
	};
	*out = 0;
	if (!s)
		return BRAID_OK;
	s = skip_ws(s);
	size_t n = trimmed_len(s);
	char b[16];
	if (n >= sizeof b)
		return BRAID_EPARSE;
	for (size_t i = 0; i < n; i++)
		b[i] = up(s[i]);
	b[n] = 0;
	for (size_t i = 0; i < sizeof male / sizeof male[0]; i++)
		if (!strcmp(b, male[i])) {
			*out = 'M';
			return BRAID_OK;
		}
	for (size_t i = 0; i < sizeof female / sizeof female[0]; i++)
		if (!strcmp(b, female[i])) {
			*out = 'F';
			return BRAID_OK;
		}
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		if (!strcmp(b, unknown[i]))
			return BRAID_OK;
	return BRAID_EPARSE;
}

/* ================================================================ email */

braid_rc braid_email_check(const char *s, char *out)
{
	out[0] = 0;
	if (!s)
		return BRAID_EPARSE;
	s = skip_ws(s);
	size_t n = trimmed_len(s);
	size_t at = n, ats = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7F || c == ',' || c == ';' || c == '<' ||
		    c == '>' || c == '"' || c == '(' || c == ')')
			return BRAID_EPARSE;
		if (c == '@') {
			at = i;
			ats++;
		}
	}
	if (ats != 1 || at == 0 || at + 1 >= n)
		return BRAID_EPARSE;
	const char *dom = s + at + 1;
	size_t dn = n - at - 1;
	const char *dot = memchr(dom, '.', dn);
	if (!dot || dom[0] == '.' || dom[dn - 1] == '.' || dom[0] == '-')
		return BRAID_EPARSE;
	for (size_t i = 0; i + 1 < dn; i++)
		if (dom[i] == '.' && dom[i + 1] == '.')
			return BRAID_EPARSE;
	for (size_t i = 0; i < n; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	out[n] = 0;
	return BRAID_OK;
}

/* ================================================================ text */

int braid_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (!((unsigned char)s[i] & 0x80)) {
			i++;
			continue;
		}
		/* utf8proc rejects overlong forms, surrogates and > U+10FFFF. */
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

size_t braid_latin1_to_utf8(const char *s, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			out[o++] = (char)c;
		} else {
			out[o++] = (char)(0xC0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	out[o] = 0;
	return o;
}
