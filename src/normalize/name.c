/*
 * name.c — person names into canonical parts (first, middle, last, suffix)
 * for linkage: braid_name_clean for names given in separate fields,
 * braid_name_parse_full for a name in one field.
 *
 * Everything is folded first (braid_text_fold: upper case, no accents, no
 * apostrophes or periods, hyphens kept), then handled as tokens:
 *  - titles (MR, MRS, DR, REV, ...) are dropped from the front;
 *  - generational suffixes are recognised wherever agencies put them (the
 *    suffix field, the end of the last name "SMITH JR", the end of the first
 *    name) and spelled JR, SR, II, III, IV; post-nominals (ESQ, MD, PHD)
 *    are dropped;
 *  - a first-name field with several words keeps the first word and moves
 *    the rest to middle, unless a middle name was given (then "MARY ANN"
 *    stays whole);
 *  - surname particles stay with the surname as separate words (DE LA CRUZ,
 *    VAN DER BERG); O, MC and MAC are glued to what follows (O CONNOR →
 *    OCONNOR, MC DONALD → MCDONALD) but MC is never rewritten to MAC;
 *    hyphenated surnames stay whole.
 * It does not guess sex or ethnicity, does not split unhyphenated Spanish
 * double surnames (GARCIA LOPEZ stays the last name only when it is in the
 * last-name field), does not resolve nicknames (nickname.c) and never
 * allocates.  Parts longer than their field are cut at the field size.
 */
#include <string.h>

#include "braid/normalize.h"

#define NAME_BUF 512
#define NAME_TOKS 48

struct toks {
	char buf[NAME_BUF];
	const char *t[NAME_TOKS];
	int n;
};

/* Fold s and split it on spaces into tk.  A NULL s is empty. */
static braid_rc tokenize(const char *s, struct toks *tk)
{
	tk->n = 0;
	braid_rc rc = braid_text_fold(s ? s : "", tk->buf, sizeof tk->buf);
	if (rc)
		return rc;
	char *p = tk->buf;
	while (*p && tk->n < NAME_TOKS) {
		tk->t[tk->n++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	return BRAID_OK;
}

static void drop_front(struct toks *tk, int k)
{
	memmove(tk->t, tk->t + k, (size_t)(tk->n - k) * sizeof tk->t[0]);
	tk->n -= k;
}

static int in_list(const char *t, const char *const *list)
{
	/* first-byte check first: this runs for every token of every name */
	for (; *list; list++)
		if ((*list)[0] == t[0] && strcmp(t, *list) == 0)
			return 1;
	return 0;
}

static const char *const titles[] = {
	"MR", "MRS", "MS", "MISS", "MSTR", "MX", "DR", "REV", "REVD", "REVEREND",
	"FR", "FATHER", "PROF", "HON", "SIR", "DAME", "MADAM", "MME", "MLLE",
	"SGT", "CPL", "PVT", "CPT", "CAPT", "LT", "COL", "GEN", "MAJ", "SISTER",
	"PASTOR", "RABBI", "IMAM", "ATTY", "JUDGE", "OFC", "DET", NULL
};
static const char *const postnominals[] = {
	"ESQ", "MD", "PHD", "DDS", "DMD", "RN", "LPN", "CPA", "DVM", "MBA",
	"JD", "LCSW", "USN", "USMC", "USA", "RET", NULL
};
static const char *const particles[] = {
	"DE", "DEL", "DELA", "DELLA", "DELLE", "DEI", "DES", "DU", "LA", "LE",
	"LOS", "LAS", "VAN", "VON", "DER", "DEN", "TER", "TEN", "VANDER",
	"VANDEN", "DI", "DA", "DAS", "DOS", "ST", "SAINT", "STE", "BIN", "BINT",
	"AL", "EL", "ABU", "BEN", "Y", NULL
};

/* Canonical spelling of a generational suffix, or NULL. */
static const char *suffix_of(const char *t)
{
	static const char *const map[][2] = {
		{ "JR", "JR" }, { "JNR", "JR" }, { "JUNIOR", "JR" },
		{ "SR", "SR" }, { "SNR", "SR" }, { "SENIOR", "SR" },
		{ "II", "II" }, { "2ND", "II" }, { "III", "III" }, { "3RD", "III" },
		{ "IV", "IV" }, { "4TH", "IV" }, { "V", "V" }, { "5TH", "V" },
		{ "VI", "VI" },
	};
	if (t[0] != 'J' && t[0] != 'S' && t[0] != 'I' && t[0] != 'V' &&
	    (t[0] < '2' || t[0] > '5'))
		return NULL;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(t, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* Suffixes that cannot be initials; V alone is more often an initial. */
static const char *trailing_suffix(const char *t, int strict)
{
	const char *s = suffix_of(t);
	if (s && strict && strcmp(t, "V") == 0)
		return NULL;
	return s;
}

/* Copy at most n-1 bytes of s, cutting at a token boundary when possible. */
static void put_field(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);
	if (len >= n) {
		len = n - 1;
		while (len > 0 && s[len] != ' ')
			len--;
		if (len == 0)
			len = n - 1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	braid_trim(out);
}

/* Join tokens [from, to) with spaces, gluing O/MC/MAC to the next token
 * when glue is set. */
static void join(const struct toks *tk, int from, int to, int glue, char *out, size_t n)
{
	char tmp[NAME_BUF];
	size_t k = 0;
	tmp[0] = '\0';
	for (int i = from; i < to; i++) {
		const char *t = tk->t[i];
		size_t len = strlen(t);
		if (k + len + 2 > sizeof tmp)
			break;
		memcpy(tmp + k, t, len);
		k += len;
		int stick = glue && i + 1 < to &&
			    (strcmp(t, "O") == 0 || strcmp(t, "MC") == 0 || strcmp(t, "MAC") == 0);
		if (i + 1 < to && !stick)
			tmp[k++] = ' ';
	}
	tmp[k] = '\0';
	put_field(out, n, tmp);
}

/* Remove trailing suffixes and post-nominals from tk (keeping at least
 * keep tokens); remember the first suffix found in *suf. */
static void strip_trailing(struct toks *tk, int keep, const char **suf)
{
	while (tk->n > keep) {
		const char *t = tk->t[tk->n - 1];
		const char *s = trailing_suffix(t, 1);
		if (s) {
			if (!*suf)
				*suf = s;
		} else if (!in_list(t, postnominals)) {
			break;
		}
		tk->n--;
	}
}

static void strip_titles(struct toks *tk, int keep)
{
	int k = 0;
	while (tk->n - k > keep && in_list(tk->t[k], titles))
		k++;
	drop_front(tk, k);
}

/* The shared last step: tokens of each part into out. */
static void assemble(struct toks *first, struct toks *middle, struct toks *last,
		     const char *suf, struct braid_name *out)
{
	memset(out, 0, sizeof *out);
	int fn = first->n;
	if (fn > 1 && middle->n == 0) {
		join(first, 0, 1, 0, out->first, sizeof out->first);
		join(first, 1, fn, 0, out->middle, sizeof out->middle);
	} else {
		join(first, 0, fn, 0, out->first, sizeof out->first);
		join(middle, 0, middle->n, 0, out->middle, sizeof out->middle);
	}
	join(last, 0, last->n, 1, out->last, sizeof out->last);
	if (suf)
		put_field(out->suffix, sizeof out->suffix, suf);
}

/* Tokens of the name parts; kept together because each is ~1 KiB and the
 * functions below want them on the stack, not the heap. */
struct parts {
	struct toks first, middle, last, suffix;
};

braid_rc braid_name_clean(const char *first, const char *middle,
			  const char *last, const char *suffix,
			  struct braid_name *out)
{
	struct parts p;
	braid_rc rc;
	memset(out, 0, sizeof *out);
	if ((rc = tokenize(first, &p.first)) || (rc = tokenize(middle, &p.middle)) ||
	    (rc = tokenize(last, &p.last)) || (rc = tokenize(suffix, &p.suffix)))
		return rc;
	const char *suf = NULL;
	for (int i = 0; i < p.suffix.n && !suf; i++)
		suf = suffix_of(p.suffix.t[i]);
	strip_titles(&p.first, 0);
	strip_trailing(&p.last, 1, &suf);
	strip_trailing(&p.middle, 0, &suf);
	strip_trailing(&p.first, 1, &suf);
	/* "JR SMITH" in the last-name field (suffix first) */
	if (p.last.n > 1 && trailing_suffix(p.last.t[0], 1)) {
		if (!suf)
			suf = trailing_suffix(p.last.t[0], 1);
		drop_front(&p.last, 1);
	}
	assemble(&p.first, &p.middle, &p.last, suf, out);
	return BRAID_OK;
}

/* Index where the surname starts in tk[0..n): the last token plus the
 * particles before it, leaving at least one token for the given name. */
static int surname_start(const struct toks *tk)
{
	int s = tk->n - 1;
	while (s > 1 && in_list(tk->t[s - 1], particles))
		s--;
	/* O, MC and MAC glue to the surname too ("SEAN O CONNOR") */
	if (s > 1 && (strcmp(tk->t[s - 1], "O") == 0 || strcmp(tk->t[s - 1], "MC") == 0 ||
		      strcmp(tk->t[s - 1], "MAC") == 0))
		s--;
	return s;
}

static void take(struct toks *dst, const struct toks *src, int from, int to)
{
	dst->n = 0;
	for (int i = from; i < to; i++)
		dst->t[dst->n++] = src->t[i];
}

braid_rc braid_name_parse_full(const char *full, struct braid_name *out)
{
	struct parts p;
	braid_rc rc;
	memset(out, 0, sizeof *out);
	if (!full)
		full = "";
	p.middle.n = 0;
	p.suffix.n = 0;
	const char *comma = strchr(full, ',');
	const char *suf = NULL;
	if (comma) {
		/* "LAST [SUFFIX], FIRST MIDDLE [SUFFIX]" — or "FIRST LAST, JR" */
		char left[NAME_BUF];
		size_t ln = (size_t)(comma - full);
		if (ln >= sizeof left)
			return BRAID_ETOOBIG;
		memcpy(left, full, ln);
		left[ln] = '\0';
		if ((rc = tokenize(left, &p.last)) || (rc = tokenize(comma + 1, &p.first)))
			return rc;
		strip_titles(&p.first, 0);
		strip_trailing(&p.first, 0, &suf);
		if (p.first.n == 0 && p.last.n > 1) {
			/* the part after the comma was only a suffix: natural
			 * order; first-name tokens point into p.last.buf */
			strip_titles(&p.last, 1);
			strip_trailing(&p.last, 1, &suf);
			int s = surname_start(&p.last);
			take(&p.first, &p.last, 0, s);
			drop_front(&p.last, s);
		} else {
			strip_titles(&p.last, 1);
			strip_trailing(&p.last, 1, &suf);
		}
	} else {
		struct toks *all = &p.last;
		if ((rc = tokenize(full, all)))
			return rc;
		strip_titles(all, 1);
		strip_trailing(all, 1, &suf);
		int s = all->n > 1 ? surname_start(all) : 0;
		/* given names borrow the same buffer: copy the pointers only */
		take(&p.first, all, 0, s);
		drop_front(all, s);
	}
	assemble(&p.first, &p.middle, &p.last, suf, out);
	return BRAID_OK;
}
