/*
 * address.c — US street addresses into USPS Publication 28 parts (number,
 * pre-directional, street name, suffix, post-directional, unit), so that
 * "1234 North Broad Street, Apt. 3B" and "1234 N BROAD ST APT 3B" compare
 * equal in linkage.
 *
 * Tables are loaded once from the address data directory: Pub. 28 suffixes
 * (usps_pub28_suffix_postmastr.csv, 2017_USPS_Street_Suffixes.csv,
 * passyunk_suffix.csv), directionals (usps_pub28_dir_postmastr.csv,
 * passyunk_directional.csv), unit designators
 * (2017_USPS_Secondary_Designators.csv, passyunk_apt.csv,
 * passyunk_apte.csv) and Philadelphia's street-name spellings
 * (passyunk_std.csv: TENTH → 10TH, "10 TH" → 10TH, MLK → MARTIN LUTHER
 * KING JR, misspellings).  Each table is an open-addressing hash map of
 * folded text; parsing allocates nothing.
 *
 * The parser works on tokens from braid_text_fold: the house number is the
 * first token when it starts with a digit (1234, 1234A, 1234-36, "1234
 * 1/2"); a unit starts at a designator (APT, UNIT, STE, #, ...) or is what
 * follows the suffix (a strong designator — APT, UNIT, STE, # — anywhere,
 * a weak one — REAR, FRONT, FL — only after a suffix); the suffix is the last suffix word with a name before
 * it; a directional before the name (or after the suffix) is a directional
 * only when a name remains.  ST as the first word of a name is SAINT.
 * It does not geocode, check that the street exists, parse city/state/ZIP
 * (those are separate fields in braid), or handle PO boxes and rural routes
 * beyond keeping their text as the street.  Output fields are cut at their
 * size; a line longer than 511 bytes is refused (BRAID_ETOOBIG).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "braid/normalize.h"

/* ================================================================ maps */

struct smap {
	char *pool;
	size_t pool_len, pool_cap;
	uint32_t *slots; /* (key offset + 1) — value follows the key in pool */
	uint32_t mask, n;
	int max_words;   /* longest key in words (for phrase matching) */
};

struct braid_address_tables {
	struct smap suffix, dir, unit, std;
};

static uint64_t sm_hash(const char *s, size_t n)
{
	return braid_hash64(s, n, 0x61646472ULL);
}

/* Value for key s[0..n), or NULL. */
static const char *sm_get(const struct smap *m, const char *s, size_t n)
{
	if (!m->slots || n == 0)
		return NULL;
	for (uint32_t i = (uint32_t)sm_hash(s, n) & m->mask;; i = (i + 1) & m->mask) {
		uint32_t v = m->slots[i];
		if (!v)
			return NULL;
		const char *k = m->pool + v - 1;
		if (strncmp(k, s, n) == 0 && k[n] == '\0')
			return k + n + 1;
	}
}

static const char *sm_get0(const struct smap *m, const char *s)
{
	return sm_get(m, s, strlen(s));
}

static braid_rc sm_grow(struct smap *m)
{
	uint32_t cap = m->slots ? (m->mask + 1) * 2 : 1024;
	uint32_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return BRAID_ENOMEM;
	if (m->slots) {
		for (uint32_t i = 0; i <= m->mask; i++) {
			uint32_t v = m->slots[i];
			if (!v)
				continue;
			const char *k = m->pool + v - 1;
			uint32_t j = (uint32_t)sm_hash(k, strlen(k)) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = v;
		}
	}
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
	return BRAID_OK;
}

/* Add key → val; the first spelling of a key wins (files are loaded in
 * order of authority). */
static braid_rc sm_put(struct smap *m, const char *key, const char *val)
{
	size_t kn = strlen(key), vn = strlen(val);
	if (kn == 0 || sm_get(m, key, kn))
		return BRAID_OK;
	if (!m->slots || (m->n + 1) * 2 > m->mask + 1) {
		braid_rc rc = sm_grow(m);
		if (rc)
			return rc;
	}
	if (m->pool_len + kn + vn + 2 > m->pool_cap) {
		size_t c = m->pool_cap ? m->pool_cap * 2 : 16384;
		while (c < m->pool_len + kn + vn + 2)
			c *= 2;
		if (c > UINT32_MAX - 1)
			return BRAID_ETOOBIG;
		char *p = realloc(m->pool, c);
		if (!p)
			return BRAID_ENOMEM;
		m->pool = p;
		m->pool_cap = c;
	}
	uint32_t off = (uint32_t)m->pool_len;
	memcpy(m->pool + off, key, kn + 1);
	memcpy(m->pool + off + kn + 1, val, vn + 1);
	m->pool_len += kn + vn + 2;
	uint32_t j = (uint32_t)sm_hash(key, kn) & m->mask;
	while (m->slots[j])
		j = (j + 1) & m->mask;
	m->slots[j] = off + 1;
	m->n++;
	int words = 1;
	for (const char *p = key; *p; p++)
		words += *p == ' ';
	if (words > m->max_words)
		m->max_words = words;
	return BRAID_OK;
}

static void sm_release(struct smap *m)
{
	free(m->pool);
	free(m->slots);
}

void braid_address_tables_free(struct braid_address_tables *t)
{
	if (!t)
		return;
	sm_release(&t->suffix);
	sm_release(&t->dir);
	sm_release(&t->unit);
	sm_release(&t->std);
	free(t);
}

/* ================================================================ loading */

/* Split a simple CSV line (fields may be "quoted", no embedded commas in
 * these tables) into at most 8 fields; returns the count. */
static int split_csv(char *line, char *f[8])
{
	int k = 0;
	char *p = line;
	for (;;) {
		f[k++] = p;
		char *c = strchr(p, ',');
		if (!c || k == 8)
			break;
		*c = '\0';
		p = c + 1;
	}
	for (int i = 0; i < k; i++) {
		char *s = f[i];
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '"' ||
			     s[n - 1] == ' '))
			s[--n] = '\0';
		while (*s == '"' || *s == ' ')
			s++;
		f[i] = s;
	}
	return k;
}

/* Load one table file: key column kc → value column vc, into m.  header:
 * the first line names columns.  self: also map each value to itself
 * (ST → ST).  min_key: keys shorter than this are skipped (single letters
 * like R for REAR are too ambiguous). */
static braid_rc load_table(const char *dir, const char *file, int header, int kc,
			   int vc, int self, size_t min_key, struct smap *m,
			   struct braid_err *err)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		return braid_err_set(err, BRAID_ETOOBIG, "address table path too long");
	FILE *f = fopen(path, "r");
	if (!f)
		return braid_err_at(err, BRAID_EIO, path, 0, 0, "cannot open address table");
	char line[1024];
	long lineno = 0;
	braid_rc rc = BRAID_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *l = line;
		if (lineno == 1 && (unsigned char)l[0] == 0xEF &&
		    (unsigned char)l[1] == 0xBB && (unsigned char)l[2] == 0xBF)
			l += 3; /* the 2017 USPS files start with a BOM */
		if (lineno == 1 && header)
			continue;
		char *fld[8];
		int nf = split_csv(l, fld);
		if (nf == 1 && fld[0][0] == '\0')
			continue;
		if (nf <= kc || nf <= vc) {
			rc = braid_err_at(err, BRAID_EPARSE, path, lineno, 0,
					  "expected at least %d columns", (kc > vc ? kc : vc) + 1);
			break;
		}
		char k[128], v[128];
		if (braid_text_fold(fld[kc], k, sizeof k) || braid_text_fold(fld[vc], v, sizeof v)) {
			rc = braid_err_at(err, BRAID_EPARSE, path, lineno, 0,
					  "entry is not UTF-8 or longer than 127 bytes");
			break;
		}
		if (!v[0])
			continue;
		if ((self && (rc = sm_put(m, v, v))) ||
		    (strlen(k) >= min_key && (rc = sm_put(m, k, v)))) {
			braid_err_at(err, rc, path, lineno, 0, "cannot store address table entry");
			break;
		}
	}
	if (!rc && ferror(f))
		rc = braid_err_at(err, BRAID_EIO, path, lineno, 0, "read error");
	fclose(f);
	return rc;
}

struct braid_address_tables *braid_address_tables_load(const char *dir,
						       struct braid_err *err)
{
	char def[4096];
	if (!dir) {
		if (braid_data_path("address", def, sizeof def)) {
			braid_err_set(err, BRAID_ETOOBIG, "address table path too long");
			return NULL;
		}
		dir = def;
	}
	struct braid_address_tables *t = calloc(1, sizeof *t);
	if (!t) {
		braid_err_set(err, BRAID_ENOMEM, "out of memory");
		return NULL;
	}
	braid_rc rc;
	if ((rc = load_table(dir, "usps_pub28_suffix_postmastr.csv", 1, 1, 2, 1, 1, &t->suffix, err)) ||
	    (rc = load_table(dir, "2017_USPS_Street_Suffixes.csv", 1, 0, 1, 1, 1, &t->suffix, err)) ||
	    (rc = load_table(dir, "passyunk_suffix.csv", 0, 1, 2, 1, 1, &t->suffix, err)) ||
	    (rc = load_table(dir, "usps_pub28_dir_postmastr.csv", 1, 1, 0, 1, 1, &t->dir, err)) ||
	    (rc = load_table(dir, "passyunk_directional.csv", 0, 1, 2, 1, 1, &t->dir, err)) ||
	    (rc = load_table(dir, "2017_USPS_Secondary_Designators.csv", 1, 0, 1, 1, 2, &t->unit, err)) ||
	    (rc = load_table(dir, "passyunk_apt.csv", 0, 1, 0, 1, 2, &t->unit, err)) ||
	    (rc = load_table(dir, "passyunk_apte.csv", 0, 1, 0, 1, 2, &t->unit, err)) ||
	    (rc = load_table(dir, "passyunk_std.csv", 0, 1, 0, 0, 1, &t->std, err))) {
		braid_address_tables_free(t);
		return NULL;
	}
	/* "#" is folded away; the parser turns it into this token. */
	if (sm_put(&t->unit, "ZZNUMZZ", "#")) {
		braid_address_tables_free(t);
		braid_err_set(err, BRAID_ENOMEM, "out of memory");
		return NULL;
	}
	return t;
}

/* ================================================================ parsing */

#define ADDR_LINE 512
#define ADDR_TOKS 64

struct atoks {
	char buf[ADDR_LINE];
	const char *t[ADDR_TOKS];
	int n;
};

/* Copy s into out with '#' and "1/2" made into words that survive folding. */
static braid_rc pre_fold(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (const char *p = s; *p; p++) {
		const char *rep = NULL;
		if (*p == '#')
			rep = " ZZNUMZZ ";
		else if (p[0] == '1' && p[1] == '/' && p[2] == '2' &&
			 (p == s || p[-1] == ' ') && (p[3] == '\0' || p[3] == ' ' || p[3] == ',')) {
			rep = " ZZHALFZZ ";
			p += 2;
		}
		size_t rl = rep ? strlen(rep) : 1;
		if (k + rl + 1 > n)
			return BRAID_ETOOBIG;
		if (rep)
			memcpy(out + k, rep, rl);
		else
			out[k] = *p;
		k += rl;
	}
	out[k] = '\0';
	return BRAID_OK;
}

static braid_rc atokenize(const char *line, struct atoks *tk)
{
	char raw[ADDR_LINE * 2];
	tk->n = 0;
	braid_rc rc = pre_fold(line ? line : "", raw, sizeof raw);
	if (!rc)
		rc = braid_text_fold(raw, tk->buf, sizeof tk->buf);
	if (rc)
		return rc;
	/* a hyphen between letters separates words (TWENTY-SECOND → TWENTY
	 * SECOND, as the spelling table has it); 1234-36 and 3-B keep theirs */
	for (char *h = strchr(tk->buf, '-'); h; h = strchr(h + 1, '-'))
		if (h > tk->buf && h[-1] >= 'A' && h[-1] <= 'Z' && h[1] >= 'A' && h[1] <= 'Z')
			*h = ' ';
	char *p = tk->buf;
	while (*p && tk->n < ADDR_TOKS) {
		tk->t[tk->n++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	return BRAID_OK;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int has_digit(const char *s)
{
	for (; *s; s++)
		if (is_digit(*s))
			return 1;
	return 0;
}

/* 10TH, 1ST, 22ND, 3RD: digits then an ordinal ending. */
static int is_ordinal(const char *s)
{
	size_t i = 0;
	while (is_digit(s[i]))
		i++;
	return i > 0 && (!strcmp(s + i, "ST") || !strcmp(s + i, "ND") ||
			 !strcmp(s + i, "RD") || !strcmp(s + i, "TH"));
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_digit(*s))
			return 0;
	return 1;
}

/* A house number: starts with a digit, letters/digits/hyphens, no
 * ordinal ending. */
static int is_house_number(const char *s)
{
	if (!is_digit(s[0]) || is_ordinal(s))
		return 0;
	for (const char *p = s; *p; p++)
		if (!(is_digit(*p) || (*p >= 'A' && *p <= 'Z') || *p == '-'))
			return 0;
	return 1;
}

/* Designators that cannot be part of a street name. */
static int strong_unit(const char *abbr)
{
	static const char *const strong[] = { "APT", "UNIT", "STE", "RM", "BLDG", "DEPT",
					      "#", "TRLR", "SPC", "OFC", "PH", "HNGR", NULL };
	for (int i = 0; strong[i]; i++)
		if (strcmp(abbr, strong[i]) == 0)
			return 1;
	return 0;
}

/* Append s (and a separating space) to a bounded field. */
static void field_add(char *out, size_t n, const char *s)
{
	size_t k = strlen(out), sl = strlen(s);
	if (k && k + 1 < n)
		out[k++] = ' ';
	if (k + sl >= n)
		sl = n - 1 - k;
	memcpy(out + k, s, sl);
	out[k + sl] = '\0';
}

static void field_set(char *out, size_t n, const char *s)
{
	out[0] = '\0';
	field_add(out, n, s);
}

/* A unit value; an ordinal loses its ending (10TH → 10). */
static void add_unit_value(char *out, size_t n, const char *v)
{
	char tmp[32];
	size_t l = strlen(v);
	if (is_ordinal(v) && l < sizeof tmp) {
		memcpy(tmp, v, l - 2);
		tmp[l - 2] = '\0';
		v = tmp;
	}
	field_add(out, n, v);
}

/* Unit text from tokens [from, to): designator spelled by the table, the
 * rest as written; tokens without a designator get "#". */
static void make_unit(const struct braid_address_tables *t, const struct atoks *tk,
		      int from, int to, char *out, size_t n)
{
	out[0] = '\0';
	if (from >= to)
		return;
	const char *d = sm_get0(&t->unit, tk->t[from]);
	if (d) {
		field_add(out, n, d);
		from++;
	} else {
		field_add(out, n, "#");
	}
	for (int i = from; i < to; i++) {
		/* "APT # 3" → "APT 3" */
		if (strcmp(tk->t[i], "ZZNUMZZ") == 0)
			continue;
		field_add(out, n, tk->t[i]);
	}
	if (strcmp(out, "#") == 0)
		out[0] = '\0';
}

/* Street name from tokens [from, to): Philadelphia spellings (longest
 * phrase first), SAINT for a leading ST, ordinals for bare numbers. */
static void make_street(const struct braid_address_tables *t, const struct atoks *tk,
			int from, int to, int has_suffix, char *out, size_t n)
{
	char tmp[ADDR_LINE];
	out[0] = '\0';
	int words = to - from;
	for (int i = from; i < to;) {
		int took = 0;
		int maxw = t->std.max_words < to - i ? t->std.max_words : to - i;
		for (int w = maxw; w >= 1 && !took; w--) {
			/* the phrase tokens are NUL-separated in buf; join them */
			size_t k = 0;
			int ok = 1;
			for (int j = 0; j < w && ok; j++) {
				size_t l = strlen(tk->t[i + j]);
				if (k + l + 2 > sizeof tmp)
					ok = 0;
				else {
					if (j)
						tmp[k++] = ' ';
					memcpy(tmp + k, tk->t[i + j], l);
					k += l;
				}
			}
			if (!ok)
				continue;
			tmp[k] = '\0';
			const char *v = sm_get(&t->std, tmp, k);
			if (v) {
				field_add(out, n, v);
				i += w;
				took = 1;
			}
		}
		if (!took) {
			const char *s = tk->t[i];
			if (strcmp(s, "ZZNUMZZ") == 0 || strcmp(s, "ZZHALFZZ") == 0) {
				i++; /* a stray # or 1/2 is not part of a name */
				continue;
			}
			/* leading ST and MT are SAINT and MOUNT (Philadelphia's
			 * centerline spells MOUNT AIRY, SAINT JAMES) */
			if (i == from && strcmp(s, "ST") == 0 && words > 1)
				s = "SAINT";
			else if (i == from && strcmp(s, "MT") == 0 && words > 1)
				s = "MOUNT";
			field_add(out, n, s);
			i++;
		}
	}
	if (has_suffix && words == 1 && all_digits(out) && strlen(out) <= 3) {
		/* "123 S 10 ST" → 10TH */
		size_t l = strlen(out);
		int last = out[l - 1] - '0';
		int tens = l > 1 ? out[l - 2] - '0' : 0;
		const char *end = "TH";
		if (tens != 1 && last == 1)
			end = "ST";
		else if (tens != 1 && last == 2)
			end = "ND";
		else if (tens != 1 && last == 3)
			end = "RD";
		if (l + 3 <= n)
			memcpy(out + l, end, 3);
	}
}

/* Parse tokens [0, tk->n) into out (which the caller zeroed). */
static void parse_tokens(const struct braid_address_tables *t, const struct atoks *tk,
			 struct braid_address *out)
{
	int n = tk->n, start = 0;
	/* house number (and a half: 1234 1/2) */
	if (n > 1 && is_house_number(tk->t[0])) {
		field_set(out->number, sizeof out->number, tk->t[0]);
		start = 1;
		if (start < n && strcmp(tk->t[start], "ZZHALFZZ") == 0) {
			field_add(out->number, sizeof out->number, "1/2");
			start++;
		}
	}
	/* unit: a strong designator anywhere after the first name word, or
	 * a weak one (REAR, FRONT, FL) after a suffix word */
	int unit_at = n, seen_suffix = 0;
	for (int i = start; i < n; i++) {
		const char *d = sm_get0(&t->unit, tk->t[i]);
		if (d && (strong_unit(d) || (i > start && seen_suffix))) {
			unit_at = i;
			break;
		}
		if (i > start && sm_get0(&t->suffix, tk->t[i]))
			seen_suffix = 1;
	}
	int end = unit_at;
	/* suffix: the last suffix word with a name word before it, followed
	 * only by a directional and/or a short unit-like tail (1234 MARKET ST 3B) */
	int suf = -1;
	for (int i = end - 1; i > start; i--) {
		if (!sm_get0(&t->suffix, tk->t[i]))
			continue;
		int j = i + 1;
		if (j < end && sm_get0(&t->dir, tk->t[j]))
			j++;
		int tail = end - j, digits = 0;
		for (int q = j; q < end; q++)
			digits += has_digit(tk->t[q]) || strlen(tk->t[q]) == 1;
		if (tail == 0 || (tail <= 2 && digits > 0)) {
			suf = i;
			break;
		}
	}
	int name_end = end;
	if (suf >= 0) {
		field_set(out->suffix, sizeof out->suffix, sm_get0(&t->suffix, tk->t[suf]));
		name_end = suf;
		int j = suf + 1;
		const char *d;
		if (j < end && (d = sm_get0(&t->dir, tk->t[j]))) {
			field_set(out->postdir, sizeof out->postdir, d);
			j++;
		}
		if (j < end) {
			/* the tail after the suffix is the unit */
			make_unit(t, tk, j, end, out->unit, sizeof out->unit);
			if (unit_at == n - 1) {
				/* "10TH FL", "2ND FLOOR": a bare designator after the
				 * tail → "FL 10" */
				field_set(out->unit, sizeof out->unit,
					  sm_get0(&t->unit, tk->t[unit_at]));
				for (int q = j; q < end; q++)
					add_unit_value(out->unit, sizeof out->unit, tk->t[q]);
				unit_at = n;
			}
		}
	}
	if (unit_at < n)
		make_unit(t, tk, unit_at, n, out->unit, sizeof out->unit);
	/* pre-directional: only when a name word remains after it */
	const char *d;
	if (name_end - start >= 2 && (d = sm_get0(&t->dir, tk->t[start]))) {
		field_set(out->predir, sizeof out->predir, d);
		start++;
	}
	/* post-directional without a suffix: "INDEPENDENCE MALL E" has one;
	 * "100 BROAD N" is read as a name word only when nothing else is left */
	if (suf < 0 && name_end - start >= 2 && (d = sm_get0(&t->dir, tk->t[name_end - 1]))) {
		field_set(out->postdir, sizeof out->postdir, d);
		name_end--;
	}
	make_street(t, tk, start, name_end, suf >= 0, out->street, sizeof out->street);
	/* std may have split a glued directional (N3RD → N 3RD) */
	if (!out->predir[0]) {
		char *sp = strchr(out->street, ' ');
		if (sp) {
			*sp = '\0';
			const char *dd = sm_get0(&t->dir, out->street);
			if (dd) {
				field_set(out->predir, sizeof out->predir, dd);
				memmove(out->street, sp + 1, strlen(sp + 1) + 1);
			} else {
				*sp = ' ';
			}
		}
	}
}

braid_rc braid_address_parse(const struct braid_address_tables *t,
			     const char *line, struct braid_address *out)
{
	memset(out, 0, sizeof *out);
	if (!t)
		return BRAID_EINVAL;
	struct atoks tk;
	braid_rc rc = atokenize(line, &tk);
	if (rc)
		return rc;
	parse_tokens(t, &tk, out);
	return BRAID_OK;
}

braid_rc braid_address_from_parts(const struct braid_address_tables *t,
				  const char *number, const char *street,
				  const char *unit, struct braid_address *out)
{
	memset(out, 0, sizeof *out);
	if (!t)
		return BRAID_EINVAL;
	char line[ADDR_LINE];
	int k = snprintf(line, sizeof line, "%s %s", number ? number : "", street ? street : "");
	if (k < 0 || (size_t)k >= sizeof line)
		return BRAID_ETOOBIG;
	struct atoks tk;
	braid_rc rc = atokenize(line, &tk);
	if (rc)
		return rc;
	parse_tokens(t, &tk, out);
	if (unit && *unit) {
		struct atoks ut;
		if ((rc = atokenize(unit, &ut)))
			return rc;
		make_unit(t, &ut, 0, ut.n, out->unit, sizeof out->unit);
	}
	return BRAID_OK;
}

void braid_address_format(const struct braid_address *a, char *out, size_t n)
{
	if (!out || n == 0)
		return;
	out[0] = '\0';
	if (!a)
		return;
	const char *parts[] = { a->number, a->predir, a->street, a->suffix, a->postdir, a->unit };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i][0])
			field_add(out, n, parts[i]);
}
