/*
 * phonetic.c — sound-alike codes for names: Double Metaphone, NYSIIS and
 * Soundex, used by linkage as comparison levels and blocking keys.
 *
 * Double Metaphone follows Lawrence Philips' published rule set (C/C++
 * Users Journal, June 2000, as in Maurice Aubrey's C port), including its
 * Germanic, Slavic, Spanish, Italian and French exceptions.  Codes are
 * truncated to 4 characters, the published length, so that braid's codes
 * equal those of other tools (Splink, the Perl and Python ports); the
 * alternate is "" when it equals the primary.  NYSIIS is the usual
 * (jellyfish) reading of Taft's 1970 algorithm, truncated to 6 characters
 * as the original was.  Soundex is the SSA/National Archives variant: H
 * and W do not separate letters with the same code, vowels do.
 *
 * Inputs are expected folded (braid_text_fold); any byte that is not an
 * ASCII letter is ignored (Double Metaphone keeps word breaks, which some
 * of its rules look at: "VAN ", "SAN ").  Nothing allocates; names longer
 * than 64 letters are cut — a phonetic code never looks that far.
 */
#include <string.h>

#include "braid/normalize.h"

#define PH_MAX 64

/* Copy ASCII letters (upper-cased) of name into buf; when keep_spaces, one
 * space between words.  Returns the length. */
static size_t letters(const char *name, char *buf, int keep_spaces)
{
	size_t n = 0;
	int gap = 0;
	if (!name)
		name = "";
	for (const unsigned char *q = (const unsigned char *)name; *q && n < PH_MAX; q++) {
		unsigned char c = *q;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c >= 'A' && c <= 'Z') {
			if (gap && n && n < PH_MAX - 1)
				buf[n++] = ' ';
			gap = 0;
			buf[n++] = (char)c;
		} else if (keep_spaces && c == ' ') {
			gap = 1;
		}
	}
	buf[n] = '\0';
	return n;
}

/* ================================================================ Double Metaphone */

struct dm {
	char s[PH_MAX + 8]; /* name padded with 5 spaces, as Philips does */
	int len;            /* length without padding */
	int plen;           /* length with padding (bounds for at/string_at) */
	int last;
	char pri[16], alt[16];
	int np, na;
	int slavo;
};

static char at(const struct dm *d, int pos)
{
	return pos < 0 || pos >= d->plen ? '\0' : d->s[pos];
}

static int is_vowel(const struct dm *d, int pos)
{
	char c = at(d, pos);
	return c && strchr("AEIOUY", c) != NULL;
}

/* True when one of the NULL-terminated list of strings (all of length n)
 * occurs at start. */
static int string_at(const struct dm *d, int start, int n, ...)
{
	if (start < 0 || start >= d->plen || start + n > d->plen)
		return 0;
	va_list ap;
	va_start(ap, n);
	const char *t;
	int hit = 0;
	while ((t = va_arg(ap, const char *)) != NULL) {
		if (memcmp(d->s + start, t, (size_t)n) == 0) {
			hit = 1;
			break;
		}
	}
	va_end(ap);
	return hit;
}
#define AT(start, n, ...) string_at(d, (start), (n), __VA_ARGS__, (const char *)NULL)

static void add2(struct dm *d, const char *p, const char *a)
{
	for (; *p && d->np < 15; p++)
		d->pri[d->np++] = *p;
	for (; *a && d->na < 15; a++)
		d->alt[d->na++] = *a;
}
static void add(struct dm *d, const char *p) { add2(d, p, p); }

static int germanic(const struct dm *d)
{
	return AT(0, 4, "VAN ", "VON ") || AT(0, 3, "SCH");
}

static int dm_c(struct dm *d, int cur)
{
	if (cur > 1 && !is_vowel(d, cur - 2) && AT(cur - 1, 3, "ACH") &&
	    at(d, cur + 2) != 'I' &&
	    (at(d, cur + 2) != 'E' || AT(cur - 2, 6, "BACHER", "MACHER"))) {
		add(d, "K");
		return 2;
	}
	if (cur == 0 && AT(cur, 6, "CAESAR")) {
		add(d, "S");
		return 2;
	}
	if (AT(cur, 4, "CHIA")) {
		add(d, "K");
		return 2;
	}
	if (AT(cur, 2, "CH")) {
		if (cur > 0 && AT(cur, 4, "CHAE")) {
			add2(d, "K", "X");
			return 2;
		}
		if (cur == 0 && (AT(cur + 1, 5, "HARAC", "HARIS") ||
				 AT(cur + 1, 3, "HOR", "HYM", "HIA", "HEM")) &&
		    !AT(0, 5, "CHORE")) {
			add(d, "K");
			return 2;
		}
		if (germanic(d) || AT(cur - 2, 6, "ORCHES", "ARCHIT", "ORCHID") ||
		    AT(cur + 2, 1, "T", "S") ||
		    ((AT(cur - 1, 1, "A", "O", "U", "E") || cur == 0) &&
		     AT(cur + 2, 1, "L", "R", "N", "M", "B", "H", "F", "V", "W", " "))) {
			add(d, "K");
		} else if (cur > 0) {
			if (AT(0, 2, "MC"))
				add(d, "K");
			else
				add2(d, "X", "K");
		} else {
			add(d, "X");
		}
		return 2;
	}
	if (AT(cur, 2, "CZ") && !AT(cur - 2, 4, "WICZ")) {
		add2(d, "S", "X");
		return 2;
	}
	if (AT(cur + 1, 3, "CIA")) {
		add(d, "X");
		return 3;
	}
	if (AT(cur, 2, "CC") && !(cur == 1 && at(d, 0) == 'M')) {
		if (AT(cur + 2, 1, "I", "E", "H") && !AT(cur + 2, 2, "HU")) {
			if ((cur == 1 && at(d, cur - 1) == 'A') ||
			    AT(cur - 1, 5, "UCCEE", "UCCES"))
				add(d, "KS");
			else
				add(d, "X");
			return 3;
		}
		add(d, "K");
		return 2;
	}
	if (AT(cur, 2, "CK", "CG", "CQ")) {
		add(d, "K");
		return 2;
	}
	if (AT(cur, 2, "CI", "CE", "CY")) {
		if (AT(cur, 3, "CIO", "CIE", "CIA"))
			add2(d, "S", "X");
		else
			add(d, "S");
		return 2;
	}
	add(d, "K");
	if (AT(cur + 1, 2, " C", " Q", " G"))
		return 3;
	if (AT(cur + 1, 1, "C", "K", "Q") && !AT(cur + 1, 2, "CE", "CI"))
		return 2;
	return 1;
}

static int dm_g(struct dm *d, int cur)
{
	if (at(d, cur + 1) == 'H') {
		if (cur > 0 && !is_vowel(d, cur - 1)) {
			add(d, "K");
			return 2;
		}
		if (cur == 0) {
			add(d, at(d, cur + 2) == 'I' ? "J" : "K");
			return 2;
		}
		if ((cur > 1 && AT(cur - 2, 1, "B", "H", "D")) ||
		    (cur > 2 && AT(cur - 3, 1, "B", "H", "D")) ||
		    (cur > 3 && AT(cur - 4, 1, "B", "H")))
			return 2;
		if (cur > 2 && at(d, cur - 1) == 'U' &&
		    AT(cur - 3, 1, "C", "G", "L", "R", "T"))
			add(d, "F");
		else if (cur > 0 && at(d, cur - 1) != 'I')
			add(d, "K");
		return 2;
	}
	if (at(d, cur + 1) == 'N') {
		if (cur == 1 && is_vowel(d, 0) && !d->slavo)
			add2(d, "KN", "N");
		else if (!AT(cur + 2, 2, "EY") && at(d, cur + 1) != 'Y' && !d->slavo)
			add2(d, "N", "KN");
		else
			add(d, "KN");
		return 2;
	}
	if (AT(cur + 1, 2, "LI") && !d->slavo) {
		add2(d, "KL", "L");
		return 2;
	}
	if (cur == 0 && (at(d, cur + 1) == 'Y' ||
			 AT(cur + 1, 2, "ES", "EP", "EB", "EL", "EY", "IB", "IL",
			    "IN", "IE", "EI", "ER"))) {
		add2(d, "K", "J");
		return 2;
	}
	if ((AT(cur + 1, 2, "ER") || at(d, cur + 1) == 'Y') &&
	    !AT(0, 6, "DANGER", "RANGER", "MANGER") && !AT(cur - 1, 1, "E", "I") &&
	    !AT(cur - 1, 3, "RGY", "OGY")) {
		add2(d, "K", "J");
		return 2;
	}
	if (AT(cur + 1, 1, "E", "I", "Y") || AT(cur - 1, 4, "AGGI", "OGGI")) {
		if (germanic(d) || AT(cur + 1, 2, "ET"))
			add(d, "K");
		else if (AT(cur + 1, 4, "IER "))
			add(d, "J");
		else
			add2(d, "J", "K");
		return 2;
	}
	add(d, "K");
	return at(d, cur + 1) == 'G' ? 2 : 1;
}

static int dm_j(struct dm *d, int cur)
{
	if (AT(cur, 4, "JOSE") || AT(0, 4, "SAN ")) {
		if ((cur == 0 && at(d, cur + 4) == ' ') || AT(0, 4, "SAN "))
			add(d, "H");
		else
			add2(d, "J", "H");
		return 1;
	}
	if (cur == 0 && !AT(cur, 4, "JOSE"))
		add2(d, "J", "A");
	else if (is_vowel(d, cur - 1) && !d->slavo &&
		 (at(d, cur + 1) == 'A' || at(d, cur + 1) == 'O'))
		add2(d, "J", "H");
	else if (cur == d->last)
		add2(d, "J", "");
	else if (!AT(cur + 1, 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
		 !AT(cur - 1, 1, "S", "K", "L"))
		add(d, "J");
	return at(d, cur + 1) == 'J' ? 2 : 1;
}

static int dm_s(struct dm *d, int cur)
{
	if (AT(cur - 1, 3, "ISL", "YSL"))
		return 1;
	if (cur == 0 && AT(cur, 5, "SUGAR")) {
		add2(d, "X", "S");
		return 1;
	}
	if (AT(cur, 2, "SH")) {
		if (AT(cur + 1, 4, "HEIM", "HOEK", "HOLM", "HOLZ"))
			add(d, "S");
		else
			add(d, "X");
		return 2;
	}
	if (AT(cur, 3, "SIO", "SIA") || AT(cur, 4, "SIAN")) {
		if (!d->slavo)
			add2(d, "S", "X");
		else
			add(d, "S");
		return 3;
	}
	if ((cur == 0 && AT(cur + 1, 1, "M", "N", "L", "W")) || AT(cur + 1, 1, "Z")) {
		add2(d, "S", "X");
		return AT(cur + 1, 1, "Z") ? 2 : 1;
	}
	if (AT(cur, 2, "SC")) {
		if (at(d, cur + 2) == 'H') {
			if (AT(cur + 3, 2, "OO", "ER", "EN", "UY", "ED", "EM")) {
				if (AT(cur + 3, 2, "ER", "EN"))
					add2(d, "X", "SK");
				else
					add(d, "SK");
				return 3;
			}
			if (cur == 0 && !is_vowel(d, 3) && at(d, 3) != 'W')
				add2(d, "X", "S");
			else
				add(d, "X");
			return 3;
		}
		if (AT(cur + 2, 1, "I", "E", "Y")) {
			add(d, "S");
			return 3;
		}
		add(d, "SK");
		return 3;
	}
	if (cur == d->last && AT(cur - 2, 2, "AI", "OI"))
		add2(d, "", "S");
	else
		add(d, "S");
	return AT(cur + 1, 1, "S", "Z") ? 2 : 1;
}

static int dm_step(struct dm *d, int cur)
{
	switch (at(d, cur)) {
	case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
		if (cur == 0)
			add(d, "A");
		return 1;
	case 'B':
		add(d, "P");
		return at(d, cur + 1) == 'B' ? 2 : 1;
	case 'C':
		return dm_c(d, cur);
	case 'D':
		if (AT(cur, 2, "DG")) {
			if (AT(cur + 2, 1, "I", "E", "Y")) {
				add(d, "J");
				return 3;
			}
			add(d, "TK");
			return 2;
		}
		add(d, "T");
		return AT(cur, 2, "DT", "DD") ? 2 : 1;
	case 'F':
		add(d, "F");
		return at(d, cur + 1) == 'F' ? 2 : 1;
	case 'G':
		return dm_g(d, cur);
	case 'H':
		if ((cur == 0 || is_vowel(d, cur - 1)) && is_vowel(d, cur + 1)) {
			add(d, "H");
			return 2;
		}
		return 1;
	case 'J':
		return dm_j(d, cur);
	case 'K':
		add(d, "K");
		return at(d, cur + 1) == 'K' ? 2 : 1;
	case 'L':
		if (at(d, cur + 1) == 'L') {
			if ((cur == d->len - 3 && AT(cur - 1, 4, "ILLO", "ILLA", "ALLE")) ||
			    ((AT(d->last - 1, 2, "AS", "OS") || AT(d->last, 1, "A", "O")) &&
			     AT(cur - 1, 4, "ALLE"))) {
				add2(d, "L", "");
				return 2;
			}
			add(d, "L");
			return 2;
		}
		add(d, "L");
		return 1;
	case 'M':
		add(d, "M");
		if ((AT(cur - 1, 3, "UMB") && (cur + 1 == d->last || AT(cur + 2, 2, "ER"))) ||
		    at(d, cur + 1) == 'M')
			return 2;
		return 1;
	case 'N':
		add(d, "N");
		return at(d, cur + 1) == 'N' ? 2 : 1;
	case 'P':
		if (at(d, cur + 1) == 'H') {
			add(d, "F");
			return 2;
		}
		add(d, "P");
		return AT(cur + 1, 1, "P", "B") ? 2 : 1;
	case 'Q':
		add(d, "K");
		return at(d, cur + 1) == 'Q' ? 2 : 1;
	case 'R':
		if (cur == d->last && !d->slavo && AT(cur - 2, 2, "IE") &&
		    !AT(cur - 4, 2, "ME", "MA"))
			add2(d, "", "R");
		else
			add(d, "R");
		return at(d, cur + 1) == 'R' ? 2 : 1;
	case 'S':
		return dm_s(d, cur);
	case 'T':
		if (AT(cur, 4, "TION") || AT(cur, 3, "TIA", "TCH")) {
			add(d, "X");
			return 3;
		}
		if (AT(cur, 2, "TH") || AT(cur, 3, "TTH")) {
			if (AT(cur + 2, 2, "OM", "AM") || germanic(d))
				add(d, "T");
			else
				add2(d, "0", "T");
			return 2;
		}
		add(d, "T");
		return AT(cur + 1, 1, "T", "D") ? 2 : 1;
	case 'V':
		add(d, "F");
		return at(d, cur + 1) == 'V' ? 2 : 1;
	case 'W':
		if (AT(cur, 2, "WR")) {
			add(d, "R");
			return 2;
		}
		if (cur == 0 && (is_vowel(d, cur + 1) || AT(cur, 2, "WH"))) {
			if (is_vowel(d, cur + 1))
				add2(d, "A", "F");
			else
				add(d, "A");
		}
		if ((cur == d->last && is_vowel(d, cur - 1)) ||
		    AT(cur - 1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || AT(0, 3, "SCH")) {
			add2(d, "", "F");
			return 1;
		}
		if (AT(cur, 4, "WICZ", "WITZ")) {
			add2(d, "TS", "FX");
			return 4;
		}
		return 1;
	case 'X':
		if (!(cur == d->last && (AT(cur - 3, 3, "IAU", "EAU") || AT(cur - 2, 2, "AU", "OU"))))
			add(d, "KS");
		return AT(cur + 1, 1, "C", "X") ? 2 : 1;
	case 'Z':
		if (at(d, cur + 1) == 'H') {
			add(d, "J");
			return 2;
		}
		if (AT(cur + 1, 2, "ZO", "ZI", "ZA") ||
		    (d->slavo && cur > 0 && at(d, cur - 1) != 'T'))
			add2(d, "S", "TS");
		else
			add(d, "S");
		return at(d, cur + 1) == 'Z' ? 2 : 1;
	default:
		return 1;
	}
}

void braid_double_metaphone(const char *name, char out_primary[8], char out_alt[8])
{
	struct dm dd;
	struct dm *d = &dd;
	memset(d, 0, sizeof *d);
	d->len = (int)letters(name, d->s, 1);
	memcpy(d->s + d->len, "     ", 6);
	d->plen = d->len + 5;
	d->last = d->len - 1;
	d->slavo = strchr(d->s, 'W') || strchr(d->s, 'K') || strstr(d->s, "CZ") ||
		  strstr(d->s, "WITZ");
	int cur = 0;
	if (AT(0, 2, "GN", "KN", "PN", "WR", "PS"))
		cur = 1;
	if (at(d, 0) == 'X') {
		add(d, "S");
		cur = 1;
	}
	while ((d->np < 4 || d->na < 4) && cur < d->len)
		cur += dm_step(d, cur);
	if (d->np > 4)
		d->np = 4;
	if (d->na > 4)
		d->na = 4;
	memcpy(out_primary, d->pri, (size_t)d->np);
	out_primary[d->np] = '\0';
	memcpy(out_alt, d->alt, (size_t)d->na);
	out_alt[d->na] = '\0';
	if (strcmp(out_primary, out_alt) == 0)
		out_alt[0] = '\0';
}

/* ================================================================ NYSIIS */

static int vowel5(char c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

void braid_nysiis(const char *name, char out[8])
{
	char raw[PH_MAX + 4];
	size_t n = letters(name, raw, 0);
	out[0] = '\0';
	if (n == 0)
		return;
	/* Step 1: prefixes.  s points at the working name (may start at 1). */
	char *s = raw;
	if (n >= 3 && memcmp(s, "MAC", 3) == 0) {
		s[1] = 'C';
	} else if (n >= 2 && memcmp(s, "KN", 2) == 0) {
		s++;
		n--;
	} else if (s[0] == 'K') {
		s[0] = 'C';
	} else if (n >= 2 && (memcmp(s, "PH", 2) == 0 || memcmp(s, "PF", 2) == 0)) {
		s[0] = s[1] = 'F';
	} else if (n >= 3 && memcmp(s, "SCH", 3) == 0) {
		s[1] = s[2] = 'S';
	}
	/* Step 2: suffixes. */
	if (n >= 2) {
		const char *e = s + n - 2;
		if (!memcmp(e, "IE", 2) || !memcmp(e, "EE", 2)) {
			s[n - 2] = 'Y';
			s[--n] = '\0';
		} else if (!memcmp(e, "DT", 2) || !memcmp(e, "RT", 2) || !memcmp(e, "RD", 2) ||
			   !memcmp(e, "NT", 2) || !memcmp(e, "ND", 2)) {
			s[n - 2] = 'D';
			s[--n] = '\0';
		}
	}
	/* Steps 3-4: the key keeps the first letter, then translated letters
	 * that differ from the key's last one. */
	char key[PH_MAX * 2 + 4];
	size_t k = 0;
	key[k++] = s[0];
	for (size_t i = 1; i < n; i++) {
		char ch[3] = { s[i], 0, 0 };
		char c = s[i];
		if (c == 'E' && i + 1 < n && s[i + 1] == 'V') {
			ch[0] = 'A'; ch[1] = 'F';
			i++;
		} else if (vowel5(c)) {
			ch[0] = 'A';
		} else if (c == 'Q') {
			ch[0] = 'G';
		} else if (c == 'Z') {
			ch[0] = 'S';
		} else if (c == 'M') {
			ch[0] = 'N';
		} else if (c == 'K') {
			ch[0] = (i + 1 < n && s[i + 1] == 'N') ? 'N' : 'C';
		} else if (c == 'S' && i + 2 < n && s[i + 1] == 'C' && s[i + 2] == 'H') {
			ch[0] = 'S'; ch[1] = 'S';
			i += 2;
		} else if (c == 'P' && i + 1 < n && s[i + 1] == 'H') {
			ch[0] = 'F';
			i++;
		} else if (c == 'H' && (!vowel5(s[i - 1]) || i + 1 >= n || !vowel5(s[i + 1]))) {
			ch[0] = vowel5(s[i - 1]) ? 'A' : s[i - 1];
		} else if (c == 'W' && vowel5(s[i - 1])) {
			ch[0] = s[i - 1];
		}
		size_t cl = ch[1] ? 2 : 1;
		if (ch[cl - 1] != key[k - 1]) {
			for (size_t j = 0; j < cl; j++)
				key[k++] = ch[j];
		}
	}
	key[k] = '\0';
	/* Steps 5-7: trailing S, AY, A. */
	if (k > 1 && key[k - 1] == 'S')
		key[--k] = '\0';
	if (k >= 2 && key[k - 2] == 'A' && key[k - 1] == 'Y') {
		key[k - 2] = 'Y';
		key[--k] = '\0';
	}
	if (k > 1 && key[k - 1] == 'A')
		key[--k] = '\0';
	if (k > 6)
		k = 6;
	memcpy(out, key, k);
	out[k] = '\0';
}

/* ================================================================ Soundex */

static char sdx_code(char c)
{
	/*                      ABCDEFGHIJKLMNOPQRSTUVWXYZ */
	static const char t[] = "01230120022455012623010202";
	return t[c - 'A'];
}

void braid_soundex(const char *name, char out[5])
{
	char s[PH_MAX + 4];
	size_t n = letters(name, s, 0);
	if (n == 0) {
		out[0] = '\0';
		return;
	}
	size_t k = 0;
	out[k++] = s[0];
	char prev = sdx_code(s[0]);
	for (size_t i = 1; i < n && k < 4; i++) {
		char c = s[i];
		if (c == 'H' || c == 'W')
			continue; /* SSA rule: they do not separate equal codes */
		char code = sdx_code(c);
		if (code == '0') {
			prev = '0'; /* a vowel separates */
			continue;
		}
		if (code != prev)
			out[k++] = code;
		prev = code;
	}
	while (k < 4)
		out[k++] = '0';
	out[4] = '\0';
}
