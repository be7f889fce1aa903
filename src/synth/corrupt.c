/*
 * corrupt.c — the mistakes agencies make when they type a person's
 * identifiers: keyboard and OCR typos, phonetic misspellings, dropped
 * accents and apostrophes, hyphenated names split or joined, all caps,
 * doubled spaces.  Which mistake a record gets, and how often, is decided by
 * the per-source error table in city.c; this file only knows how to make
 * each one.
 *
 * Typos and phonetic changes touch ASCII letters only and are guaranteed to
 * change the letters of the string (so that an error counted is an error a
 * test can see); they do not try to keep the name plausible.
 */
#include "synth_int.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static int is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static char up(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }
static char like_case(char model, char c)
{
	c = up(c);
	return (model >= 'a' && model <= 'z') ? (char)(c + 32) : c;
}

/* Neighbouring keys on a QWERTY keyboard, by letter. */
static const char *const kbd[26] = {
	"QWSZ", "VGHN", "XDFV", "SERFCX", "WSDR", "DRTGVC", "FTYHBV", "GYUJNB", "UJKO",
	"HUIKMN", "JIOLM", "KOP", "NJK", "BHJM", "IKLP", "OL", "WA", "EDFT", "AWEDXZ",
	"RFGY", "YHJI", "CFGB", "QASE", "ZSDC", "TGHU", "ASX",
};

static int letter_positions(const char *s, size_t *pos, int max)
{
	int n = 0;
	for (size_t i = 0; s[i] && n < max; i++)
		if (is_alpha(s[i]))
			pos[n++] = i;
	return n;
}

int braid__err_typo(char *s, size_t cap, struct rng *r)
{
	size_t pos[128];
	int n = letter_positions(s, pos, 128);
	size_t len = strlen(s);
	if (n == 0)
		return 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		int op = (int)braid__rng_range(r, 0, 4);
		size_t i = pos[braid__rng_range(r, 0, n - 1)];
		char c = up(s[i]);
		if (op == 0) { /* neighbouring key */
			const char *nb = kbd[c - 'A'];
			s[i] = like_case(s[i], nb[braid__rng_range(r, 0, (long)strlen(nb) - 1)]);
			return 1;
		}
		if (op == 1 && n >= 3) { /* dropped letter */
			memmove(s + i, s + i + 1, len - i);
			return 1;
		}
		if (op == 2 && len + 2 < cap) { /* doubled letter */
			memmove(s + i + 1, s + i, len - i + 1);
			return 1;
		}
		if (op == 3 && i + 1 < len && is_alpha(s[i + 1]) && up(s[i + 1]) != c) {
			char t = s[i]; /* transposed neighbours */
			s[i] = like_case(t, s[i + 1]);
			s[i + 1] = like_case(s[i + 1], t);
			return 1;
		}
		if (op == 4) { /* OCR: shapes a scanner confuses */
			static const char *const ocr[][2] = {
				{"RN", "M"}, {"M", "RN"}, {"CL", "D"}, {"D", "CL"}, {"H", "B"},
				{"E", "C"}, {"I", "L"}, {"L", "I"}, {"O", "Q"}, {"U", "V"},
			};
			int k = (int)braid__rng_range(r, 0, 9);
			size_t fl = strlen(ocr[k][0]), tl = strlen(ocr[k][1]);
			for (size_t j = 0; j + fl <= len; j++) {
				int hit = 1;
				for (size_t q = 0; q < fl; q++)
					hit &= up(s[j + q]) == ocr[k][0][q];
				if (!hit || len - fl + tl + 1 > cap)
					continue;
				char model = s[j];
				memmove(s + j + tl, s + j + fl, len - j - fl + 1);
				for (size_t q = 0; q < tl; q++)
					s[j + q] = like_case(model, ocr[k][1][q]);
				return 1;
			}
		}
	}
	/* Fallback that always applies: the neighbouring key. */
	size_t i = pos[0];
	const char *nb = kbd[up(s[i]) - 'A'];
	s[i] = like_case(s[i], nb[0]);
	return 1;
}

/* Sound-alike spellings: each pair is tried both ways. */
static const char *const phon[][2] = {
	{"PH", "F"}, {"CK", "K"}, {"EE", "EA"}, {"IE", "Y"}, {"OU", "OW"},
	{"TH", "T"}, {"SCH", "SH"}, {"LL", "L"}, {"NN", "N"}, {"TT", "T"},
	{"RR", "R"}, {"EI", "IE"}, {"AI", "AY"}, {"V", "B"}, {"Z", "S"},
	{"C", "K"}, {"Y", "I"}, {"SS", "S"}, {"MM", "M"}, {"QU", "KW"},
	{"X", "KS"}, {"EY", "Y"}, {"AE", "E"}, {"GH", "G"}, {"DD", "D"},
};

int braid__err_phonetic(char *s, size_t cap, struct rng *r)
{
	size_t len = strlen(s);
	struct { int k, dir; size_t at; } hits[64];
	int nh = 0;
	for (int k = 0; k < (int)(sizeof phon / sizeof phon[0]); k++)
		for (int dir = 0; dir < 2; dir++) {
			const char *from = phon[k][dir], *to = phon[k][!dir];
			size_t fl = strlen(from);
			for (size_t j = 0; j + fl <= len && nh < 64; j++) {
				int hit = 1;
				for (size_t q = 0; q < fl; q++)
					hit &= up(s[j + q]) == from[q];
				if (hit && len - fl + strlen(to) + 1 <= cap) {
					hits[nh].k = k, hits[nh].dir = dir, hits[nh].at = j;
					nh++;
				}
			}
		}
	if (!nh)
		return 0;
	int h = (int)braid__rng_range(r, 0, nh - 1);
	const char *from = phon[hits[h].k][hits[h].dir], *to = phon[hits[h].k][!hits[h].dir];
	size_t fl = strlen(from), tl = strlen(to), j = hits[h].at;
	char model = s[j];
	memmove(s + j + tl, s + j + fl, len - j - fl + 1);
	for (size_t q = 0; q < tl; q++)
		s[j + q] = like_case(model, to[q]);
	return 1;
}

int braid__err_strip_marks(char *s, size_t cap)
{
	const char *q = s;
	while (*q && !((unsigned char)*q & 0x80) && *q != '\'')
		q++;
	if (!*q)
		return 0; /* plain ASCII: nothing to strip (the common case) */
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE |
						  UTF8PROC_COMPOSE | UTF8PROC_STRIPMARK);
	if (n < 0)
		return 0;
	size_t w = 0;
	for (utf8proc_ssize_t i = 0; i < n && w + 1 < cap; i++)
		if (out[i] != '\'')
			s[w++] = (char)out[i];
	int changed = strncmp(s, (const char *)out, (size_t)n) != 0 || w != strlen(s);
	s[w] = 0;
	free(out);
	return changed;
}

int braid__err_hyphen(char *s, size_t cap, struct rng *r)
{
	(void)cap; /* never grows s */
	char *h = strchr(s, '-');
	char *sp = strchr(s, ' ');
	char *at = h ? h : sp;
	if (!at)
		return 0;
	/* Only the separator changes: the letters stay, so a linker that
	 * ignores punctuation sees the same name (dropping a part is a
	 * different error, not made here). */
	int op = (int)braid__rng_range(r, 0, 1);
	size_t len = strlen(s);
	if (op == 0 && h)
		*h = ' '; /* split: Smith Jones */
	else if (op == 0)
		*sp = '-'; /* Garcia-Lopez */
	else
		memmove(at, at + 1, len - (size_t)(at - s)); /* joined: SmithJones */
	return 1;
}

void braid__str_upper_utf8(char *s, size_t cap)
{
	utf8proc_uint8_t buf[512];
	size_t w = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(s);
	while (len > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, len, &cp);
		if (k <= 0)
			return; /* not UTF-8: leave it as it is */
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t e = utf8proc_encode_char(utf8proc_toupper(cp), enc);
		if (w + (size_t)e + 1 > sizeof buf || w + (size_t)e + 1 > cap)
			return;
		memcpy(buf + w, enc, (size_t)e);
		w += (size_t)e;
		p += k;
		len -= k;
	}
	memcpy(s, buf, w);
	s[w] = 0;
}

void braid__extra_spaces(char *s, size_t cap, struct rng *r)
{
	size_t len = strlen(s);
	if (len + 2 > cap || !len)
		return;
	char *sp = strchr(s, ' ');
	size_t at = sp ? (size_t)(sp - s) : (size_t)braid__rng_range(r, 1, (long)len);
	while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80)
		at++; /* never inside a UTF-8 sequence */
	if (!sp && at == len) {
		s[len] = ' ';
		s[len + 1] = 0;
		return;
	}
	memmove(s + at + 1, s + at, len - at + 1);
	s[at] = ' ';
}
