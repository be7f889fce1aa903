/*
 * text.c — braid_text_fold: the one folding every name and address goes
 * through before linkage compares it.
 *
 * Non-ASCII input is decomposed with utf8proc (NFKC, casefold, strip
 * combining marks, drop default-ignorables) into a stack buffer of code
 * points, then upper-cased and punctuation-normalised in one pass.  Input
 * that is pure ASCII (the common case, millions of times per load) skips
 * utf8proc entirely.  A handful of Latin letters that Unicode does not
 * decompose (Ø, Ł, Đ, Æ, Œ, Þ, dotless ı) are given their usual ASCII
 * spellings so that "Søren" and "Soren" fold alike.
 *
 * It does not transliterate other scripts (Cyrillic, CJK stay as upper-cased
 * UTF-8), does not guess encodings (invalid UTF-8 is an error: Latin-1 must
 * be converted first with braid_latin1_to_utf8) and does not know about
 * names or addresses: that is name.c and address.c.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "braid/normalize.h"

/* Output writer: tracks a pending separator so runs of spaces collapse,
 * hyphens absorb the spaces around them, and nothing trails. */
struct fold_out {
	char *p;
	size_t n, len;
	int pending; /* 0 none, ' ' or '-' waiting before the next character */
	int overflow;
};

static void put_sep(struct fold_out *o, int c)
{
	if (o->len == 0)
		return; /* never lead with a separator */
	if (c == '-' || o->pending == 0)
		o->pending = c;
}

static void put_bytes(struct fold_out *o, const char *b, size_t k)
{
	size_t need = k + (o->pending ? 1 : 0);
	if (o->len + need + 1 > o->n) {
		o->overflow = 1;
		return;
	}
	if (o->pending)
		o->p[o->len++] = (char)o->pending;
	o->pending = 0;
	memcpy(o->p + o->len, b, k);
	o->len += k;
}

/* Classify an ASCII byte after upper-casing: 1 keep, 0 drop, ' ' or '-'. */
static int ascii_class(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (c == '\'' || c == '.' || c == '`')
		return 0;
	if (c == '-')
		return '-';
	return ' ';
}

/* The ASCII fast path: one pass, no per-byte calls.  Returns 1 when a
 * non-ASCII byte is met (the caller restarts on the Unicode path), 0
 * otherwise; o->overflow is set when out is too small. */
static int fold_ascii(const char *s, struct fold_out *o)
{
	char *out = o->p;
	size_t k = 0, lim = o->n - 1;
	int pend = 0;
	for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
		unsigned char c = *q;
		if (c >= 0x80)
			return 1;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (k + (pend != 0) >= lim) {
				o->overflow = 1;
				return 0;
			}
			if (pend)
				out[k++] = (char)pend;
			pend = 0;
			out[k++] = (char)c;
		} else if (c == '\'' || c == '.' || c == '`') {
			continue;
		} else if (k) {
			if (c == '-' || !pend)
				pend = c == '-' ? '-' : ' ';
		}
	}
	o->len = k;
	return 0;
}

/* Letters Unicode keeps whole (no decomposition) but English records
 * spell in ASCII.  Input is already casefolded (lower case). */
static const char *latin_extra(utf8proc_int32_t cp)
{
	switch (cp) {
	case 0x00F8: return "O";  /* ø */
	case 0x0142: return "L";  /* ł */
	case 0x0111: return "D";  /* đ */
	case 0x00F0: return "D";  /* ð */
	case 0x00E6: return "AE"; /* æ */
	case 0x0153: return "OE"; /* œ */
	case 0x00FE: return "TH"; /* þ */
	case 0x0131: return "I";  /* ı */
	case 0x0127: return "H";  /* ħ */
	case 0x0138: return "K";  /* ĸ */
	default: return NULL;
	}
}

static void fold_cp(utf8proc_int32_t cp, struct fold_out *o)
{
	if (cp < 0x80) {
		unsigned char c = (unsigned char)cp;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		int k = ascii_class(c);
		if (k == 1) {
			char ch = (char)c;
			put_bytes(o, &ch, 1);
		} else if (k) {
			put_sep(o, k);
		}
		return;
	}
	const char *x = latin_extra(cp);
	if (x) {
		put_bytes(o, x, strlen(x));
		return;
	}
	/* Apostrophe look-alikes are dropped like the ASCII one (O’Brien). */
	if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC || cp == 0x02B9 ||
	    cp == 0x2032 || cp == 0x00B4)
		return;
	utf8proc_category_t cat = utf8proc_category(cp);
	switch (cat) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: {
		utf8proc_uint8_t b[4];
		utf8proc_ssize_t k = utf8proc_encode_char(utf8proc_toupper(cp), b);
		put_bytes(o, (const char *)b, (size_t)k);
		return;
	}
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF:
		return;
	case UTF8PROC_CATEGORY_PD:
		put_sep(o, '-');
		return;
	default:
		put_sep(o, ' ');
		return;
	}
}

braid_rc braid_text_fold(const char *s, char *out, size_t n)
{
	if (!out || n == 0)
		return BRAID_ETOOBIG;
	out[0] = '\0';
	if (!s)
		return BRAID_OK;
	struct fold_out o = { out, n, 0, 0, 0 };
	if (fold_ascii(s, &o)) {
		size_t len = strlen(s);
		o.len = 0;
		o.pending = 0;
		o.overflow = 0;
		/* Names are short: decompose into the stack, fall back to the
		 * heap only for long text. */
		utf8proc_int32_t stackbuf[256];
		utf8proc_int32_t *buf = stackbuf;
		utf8proc_ssize_t cap = 256;
		const utf8proc_option_t opt = UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
			UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE;
		utf8proc_ssize_t k = utf8proc_decompose((const utf8proc_uint8_t *)s,
							(utf8proc_ssize_t)len, buf, cap, opt);
		if (k > cap) {
			buf = braid_reallocarray(NULL, (size_t)k, sizeof *buf);
			if (!buf)
				return BRAID_ENOMEM;
			cap = k;
			k = utf8proc_decompose((const utf8proc_uint8_t *)s,
					       (utf8proc_ssize_t)len, buf, cap, opt);
		}
		if (k < 0) {
			if (buf != stackbuf)
				free(buf);
			out[0] = '\0';
			return k == UTF8PROC_ERROR_NOMEM ? BRAID_ENOMEM : BRAID_EUTF8;
		}
		k = utf8proc_normalize_utf32(buf, k, opt);
		for (utf8proc_ssize_t i = 0; i >= 0 && i < k && !o.overflow; i++)
			fold_cp(buf[i], &o);
		if (buf != stackbuf)
			free(buf);
	}
	if (o.overflow) {
		out[0] = '\0';
		return BRAID_ETOOBIG;
	}
	out[o.len] = '\0';
	return BRAID_OK;
}
