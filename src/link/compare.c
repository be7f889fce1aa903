/*
 * compare.c — the comparators: Jaro–Winkler, and one function per
 * comparison turning two prepared records into a graded level (0 = a side
 * is missing, 1 = strongest agreement, last = else), packed 4 bits per
 * comparison into a vector.
 *
 * Everything here runs in the innermost loop of linkage, so it reads only
 * the prepared records (interned ids, parsed dates, phonetic ids) and never
 * allocates.  It does not know any m or u: levels only; the model weighs
 * them.  Interned string table lives here too because the comparators read
 * it.
 */
#include "link_int.h"

#include <stdlib.h>
#include <string.h>

/* ================================================================ names */

static const char *const cmp_names[BRAID_LC__COUNT] = {
	"first_name", "last_name", "middle_name", "dob", "sex", "ssn",
	"address", "zip", "city", "phone", "email", "other_id",
};
static const char *const lv_first[] = {"null", "exact", "nickname", "jw>=0.92",
	"jw>=0.88", "swapped", "phonetic", "initial", "similar common names", "else"};
static const char *const lv_last[] = {"null", "exact", "part", "jw>=0.92",
	"jw>=0.88", "swapped", "phonetic", "similar common names", "else"};
static const char *const lv_middle[] = {"null", "exact", "initial", "else"};
static const char *const lv_dob[] = {"null", "exact", "day/month transposed",
	"one digit off", "same day and month", "two of three parts", "year only",
	"year (the other has only a year)", "within 2 years", "else"};
static const char *const lv_eq[] = {"null", "exact", "else"};
static const char *const lv_ssn[] = {"null", "exact", "one digit off",
	"adjacent digits transposed", "else"};
static const char *const lv_addr[] = {"null", "exact", "same number and street",
	"same street", "else"};
static const char *const lv_zip[] = {"null", "exact", "one digit off", "else"};
static const char *const lv_city[] = {"null", "exact", "jw>=0.92", "jw>=0.88", "else"};
static const char *const lv_phone[] = {"null", "exact", "one digit off",
	"last 7 digits", "else"};
static const char *const lv_email[] = {"null", "exact", "same local part", "else"};

static const struct {
	const char *const *names;
	int n;
} levels[BRAID_LC__COUNT] = {
	{lv_first, 10}, {lv_last, 9}, {lv_middle, 4}, {lv_dob, 10}, {lv_eq, 3},
	{lv_ssn, 5}, {lv_addr, 5}, {lv_zip, 4}, {lv_city, 5}, {lv_phone, 5},
	{lv_email, 4}, {lv_eq, 3},
};

const char *braid_link_cmp_name(enum braid_link_cmp c)
{
	return (unsigned)c < BRAID_LC__COUNT ? cmp_names[c] : NULL;
}

int braid_link_cmp_nlevels(enum braid_link_cmp c)
{
	return (unsigned)c < BRAID_LC__COUNT ? levels[c].n : 0;
}

const char *braid_link_level_name(enum braid_link_cmp c, int level)
{
	if ((unsigned)c >= BRAID_LC__COUNT || level < 0 || level >= levels[c].n)
		return NULL;
	return levels[c].names[level];
}

/* ================================================================ interning */

braid_rc braid__strtab_init(struct braid__strtab *t)
{
	memset(t, 0, sizeof *t);
	t->nslots = 1024;
	t->slots = calloc(t->nslots, sizeof *t->slots);
	t->cap = 256;
	t->info = malloc(t->cap * sizeof *t->info);
	t->pool_cap = 4096;
	t->pool = malloc(t->pool_cap);
	if (!t->slots || !t->info || !t->pool) {
		braid__strtab_release(t);
		return BRAID_ENOMEM;
	}
	t->pool[0] = 0;
	t->pool_len = 1;
	t->info[0].off = 0;
	t->info[0].len = 0;
	t->info[0].sig = 0;
	t->n = 1;
	return BRAID_OK;
}

void braid__strtab_release(struct braid__strtab *t)
{
	free(t->pool);
	free(t->info);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static braid_rc strtab_rehash(struct braid__strtab *t)
{
	uint64_t ns = t->nslots * 2;
	uint32_t *s = calloc(ns, sizeof *s);
	if (!s)
		return BRAID_ENOMEM;
	for (uint32_t id = 1; id < t->n; id++) {
		uint64_t h = braid_hash64(t->pool + t->info[id].off, t->info[id].len, 0) & (ns - 1);
		while (s[h])
			h = (h + 1) & (ns - 1);
		s[h] = id + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return BRAID_OK;
}

braid_rc braid__strtab_intern(struct braid__strtab *t, const char *s, size_t n,
			      uint32_t *id)
{
	if (n > 255)
		n = 255;
	if (n == 0) {
		*id = 0;
		return BRAID_OK;
	}
	uint64_t mask = t->nslots - 1;
	uint64_t h = braid_hash64(s, n, 0) & mask;
	for (;;) {
		uint32_t v = t->slots[h];
		if (!v)
			break;
		v--;
		if (t->info[v].len == n && !memcmp(t->pool + t->info[v].off, s, n)) {
			*id = v;
			return BRAID_OK;
		}
		h = (h + 1) & mask;
	}
	if (t->n == UINT32_MAX - 1)
		return BRAID_ETOOBIG;
	if (t->n == t->cap) {
		uint32_t nc = t->cap * 2;
		struct braid__strinfo *o = braid_reallocarray(t->info, nc, sizeof *o);
		if (!o)
			return BRAID_ENOMEM;
		t->info = o;
		t->cap = nc;
	}
	if (t->pool_len + n + 1 > t->pool_cap) {
		size_t nc = t->pool_cap * 2;
		while (nc < t->pool_len + n + 1)
			nc *= 2;
		char *p = realloc(t->pool, nc);
		if (!p)
			return BRAID_ENOMEM;
		t->pool = p;
		t->pool_cap = nc;
	}
	uint32_t nid = t->n++;
	t->info[nid].off = (uint32_t)t->pool_len;
	t->info[nid].len = (uint8_t)n;
	memcpy(t->pool + t->pool_len, s, n);
	t->pool[t->pool_len + n] = 0;
	t->pool_len += n + 1;
	uint32_t sig = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		sig |= c >= 'A' && c <= 'Z' ? 1u << (c - 'A')
		       : c >= '0' && c <= '9' ? 1u << (26 + (c - '0') % 5) : 1u << 31;
	}
	t->info[nid].sig = sig;
	t->slots[h] = nid + 1;
	*id = nid;
	/* keep the load factor under a half: probes stay short */
	if ((uint64_t)t->n * 2 > t->nslots)
		return strtab_rehash(t);
	return BRAID_OK;
}

/* ================================================================ Jaro–Winkler */

/* Standard Jaro: matches within a window of max(la,lb)/2-1, half the
 * out-of-order matches are transpositions.  Bit masks mark matched
 * characters of b so that the common case (names under 64 bytes) runs in
 * registers. */
static double jaro(const unsigned char *a, size_t la, const unsigned char *b,
		   size_t lb)
{
	if (la == 0 || lb == 0)
		return la == lb ? 1.0 : 0.0;
	size_t mx = la > lb ? la : lb;
	size_t win = mx / 2 > 0 ? mx / 2 - 1 : 0;
	uint64_t am[4] = {0, 0, 0, 0}, bm[4] = {0, 0, 0, 0};
	size_t m = 0;
	for (size_t i = 0; i < la; i++) {
		size_t lo = i > win ? i - win : 0;
		size_t hi = i + win + 1 < lb ? i + win + 1 : lb;
		for (size_t j = lo; j < hi; j++) {
			if ((bm[j >> 6] >> (j & 63)) & 1)
				continue;
			if (a[i] != b[j])
				continue;
			bm[j >> 6] |= (uint64_t)1 << (j & 63);
			am[i >> 6] |= (uint64_t)1 << (i & 63);
			m++;
			break;
		}
	}
	if (!m)
		return 0.0;
	size_t t = 0, j = 0;
	for (size_t i = 0; i < la; i++) {
		if (!((am[i >> 6] >> (i & 63)) & 1))
			continue;
		while (!((bm[j >> 6] >> (j & 63)) & 1))
			j++;
		if (a[i] != b[j])
			t++;
		j++;
	}
	double dm = (double)m;
	return (dm / (double)la + dm / (double)lb + (dm - (double)t / 2.0) / dm) / 3.0;
}

/* The same Jaro for strings of at most 64 bytes, bit-parallel: a table
 * holds, per byte value, the positions where it occurs in b, so each
 * character of a finds its first unmatched partner inside the window with
 * one AND and one lowest-bit extraction.  The table lives on the stack and
 * only the entries that will be read are initialised (a's and b's bytes),
 * which is cheaper than clearing 2 KiB per call. */
static double jaro64(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
	if (la == 0 || lb == 0)
		return la == lb ? 1.0 : 0.0;
	uint64_t occ[256];
	size_t mx = la > lb ? la : lb;
	size_t win = mx / 2 > 0 ? mx / 2 - 1 : 0;
	for (size_t i = 0; i < la; i++)
		occ[a[i]] = 0;
	for (size_t j = 0; j < lb; j++)
		occ[b[j]] = 0;
	for (size_t j = 0; j < lb; j++)
		occ[b[j]] |= (uint64_t)1 << j;
	const uint64_t all_b = lb >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << lb) - 1);
	uint64_t am = 0, bm = 0;
	unsigned m = 0;
	for (size_t i = 0; i < la; i++) {
		/* window [i-win, i+win] as a mask, clipped to b */
		uint64_t hi = i + win + 1 >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << (i + win + 1)) - 1);
		uint64_t lo = i > win ? (((uint64_t)1 << (i - win)) - 1) : 0;
		uint64_t cand = occ[a[i]] & hi & ~lo & all_b & ~bm;
		if (cand) {
			bm |= cand & (~cand + 1);
			am |= (uint64_t)1 << i;
			m++;
		}
	}
	if (!m)
		return 0.0;
	unsigned t = 0;
	uint64_t x = am, y = bm;
	while (x) {
		t += a[__builtin_ctzll(x)] != b[__builtin_ctzll(y)];
		x &= x - 1;
		y &= y - 1;
	}
	/* (m/la + m/lb + (m - t/2)/m) / 3 over one common denominator: one
	 * division instead of three */
	double dm = (double)m, a_ = (double)la, b_ = (double)lb;
	return (dm * dm * (a_ + b_) + (dm - (double)t * 0.5) * a_ * b_) / (3.0 * a_ * b_ * dm);
}

double braid_jaro_winkler(const char *a, size_t la, const char *b, size_t lb)
{
	if (la > 255)
		la = 255;
	if (lb > 255)
		lb = 255;
	const unsigned char *ua = (const unsigned char *)a, *ub = (const unsigned char *)b;
	double j = la <= 64 && lb <= 64 ? jaro64(ua, la, ub, lb) : jaro(ua, la, ub, lb);
	if (j <= 0.7)
		return j;
	size_t p = 0;
	while (p < 4 && p < la && p < lb && ua[p] == ub[p])
		p++;
	return j + (double)p * 0.1 * (1.0 - j);
}

/* ================================================================ comparators */

int braid__cmp_digits(const char *a, size_t la, const char *b, size_t lb)
{
	if (!la || !lb)
		return 0;
	if (la != lb)
		return 4;
	size_t d1 = SIZE_MAX, d2 = SIZE_MAX, nd = 0;
	for (size_t i = 0; i < la; i++) {
		if (a[i] == b[i])
			continue;
		if (++nd > 2)
			return 4;
		if (nd == 1)
			d1 = i;
		else
			d2 = i;
	}
	if (nd == 0)
		return 1;
	if (nd == 1)
		return 2;
	if (d2 == d1 + 1 && a[d1] == b[d2] && a[d2] == b[d1])
		return 3;
	return 4;
}

/* Jaro–Winkler of two interned strings when it may reach 0.88, else 0
 * (every caller only asks "at least 0.88 / 0.92?").  A letter of x that
 * never occurs in y cannot be matched, so x's matches are at most its
 * length less the number of such letters; with no transpositions that
 * bounds Jaro, and Jaro >= 0.8 is needed for Winkler's boost (at most
 * 0.4 (1 - Jaro)) to reach 0.88.  Most random pairs fail this test, which
 * costs two popcounts. */
static inline double jw_ids(const struct braid__strtab *st, uint32_t x, uint32_t y)
{
	int lx = st->info[x].len, ly = st->info[y].len;
	int mx = lx - __builtin_popcount(st->info[x].sig & ~st->info[y].sig);
	int my = ly - __builtin_popcount(st->info[y].sig & ~st->info[x].sig);
	int m = mx < my ? mx : my;
	if (m <= 0)
		return 0.0;
	if (((double)m / lx + (double)m / ly + 1.0) < 2.4 - 1e-9)
		return 0.0;
	return braid_jaro_winkler(braid__str(st, x), (size_t)lx, braid__str(st, y),
				  (size_t)ly);
}

/* Both names are common and of comparable frequency (each at least 3
 * records, the rarer at least a tenth of the other): a typo makes a rare
 * string, a different name does not. */
static inline int both_common(const uint32_t *cnt, uint32_t a, uint32_t b)
{
	if (!cnt)
		return 0;
	uint32_t x = cnt[a], y = cnt[b];
	uint32_t lo = x < y ? x : y, hi = x < y ? y : x;
	return lo >= 3 && (uint64_t)lo * 10 >= hi;
}

static inline int phon_eq(uint32_t a1, uint32_t a2, uint32_t b1, uint32_t b2)
{
	return (a1 && (a1 == b1 || a1 == b2)) || (a2 && (a2 == b1 || a2 == b2));
}

int braid__cmp_first(const struct braid__cmpctx *x, const struct braid__lrec *a,
		     const struct braid__lrec *b)
{
	if (!a->first || !b->first)
		return LV_NULL;
	if (a->first == b->first)
		return FN_EXACT;
	if (a->first_nick && a->first_nick == b->first_nick)
		return FN_NICK;
	if (x->related && a->first_in_nick && b->first_in_nick &&
	    x->related(x->nk, braid__str(x->st, a->first),
				    braid__str(x->st, b->first)))
		return FN_NICK;
	double s = jw_ids(x->st, a->first, b->first);
	if (s >= 0.88)
		return both_common(x->cnt_first, a->first, b->first) ? FN_DIFF
		       : s >= 0.92 ? FN_JW92 : FN_JW88;
	if (a->last && a->first == b->last && a->last == b->first)
		return FN_SWAP;
	if (phon_eq(a->first_ph, a->first_ph2, b->first_ph, b->first_ph2))
		return both_common(x->cnt_first, a->first, b->first) ? FN_DIFF : FN_PHON;
	uint8_t la = x->st->info[a->first].len, lb = x->st->info[b->first].len;
	if ((la == 1 || lb == 1) &&
	    braid__str(x->st, a->first)[0] == braid__str(x->st, b->first)[0])
		return FN_INIT;
	return FN_ELSE;
}

/* One surname is a whole space- or hyphen-separated part of the other
 * (GARCIA / GARCIA-LOPEZ, SMITH / SMITH JONES). */
static int is_part(const char *s, size_t ls, const char *t, size_t lt)
{
	if (ls > lt) {
		const char *x = s;
		s = t;
		t = x;
		size_t lx = ls;
		ls = lt;
		lt = lx;
	}
	if (ls < 2 || ls == lt)
		return 0;
	for (size_t i = 0; i + ls <= lt; i++) {
		if ((i == 0 || t[i - 1] == ' ' || t[i - 1] == '-') &&
		    (i + ls == lt || t[i + ls] == ' ' || t[i + ls] == '-') &&
		    !memcmp(t + i, s, ls))
			return 1;
	}
	return 0;
}

int braid__cmp_last(const struct braid__cmpctx *x, const struct braid__lrec *a,
		    const struct braid__lrec *b)
{
	if (!a->last || !b->last)
		return LV_NULL;
	if (a->last == b->last)
		return LN_EXACT;
	const char *sa = braid__str(x->st, a->last), *sb = braid__str(x->st, b->last);
	uint8_t la = x->st->info[a->last].len, lb = x->st->info[b->last].len;
	if (is_part(sa, la, sb, lb))
		return LN_PART;
	double s = jw_ids(x->st, a->last, b->last);
	if (s >= 0.88)
		return both_common(x->cnt_last, a->last, b->last) ? LN_DIFF
		       : s >= 0.92 ? LN_JW92 : LN_JW88;
	if (a->first && a->first == b->last && a->last == b->first)
		return LN_SWAP;
	if (phon_eq(a->last_ph, a->last_ph2, b->last_ph, b->last_ph2))
		return both_common(x->cnt_last, a->last, b->last) ? LN_DIFF : LN_PHON;
	return LN_ELSE;
}

static int cmp_middle(const struct braid__cmpctx *x, const struct braid__lrec *a,
		      const struct braid__lrec *b)
{
	if (!a->middle || !b->middle)
		return LV_NULL;
	if (a->middle == b->middle)
		return MN_EXACT;
	if ((x->st->info[a->middle].len == 1 || x->st->info[b->middle].len == 1) &&
	    braid__str(x->st, a->middle)[0] == braid__str(x->st, b->middle)[0])
		return MN_INIT;
	return MN_ELSE;
}

static inline int iabs(int v)
{
	return v < 0 ? -v : v;
}

/* Digits of a date as YYYYMMDD, for the one-typo test. */
static void date_digits(const struct braid__lrec *r, char out[8])
{
	int v = r->y * 10000 + r->m * 100 + r->d;
	for (int i = 7; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

int braid__cmp_dob(const struct braid__lrec *a, const struct braid__lrec *b)
{
	if (!a->y || !b->y)
		return LV_NULL;
	/* only a birth year on one side: the year is all that can agree, so
	 * agreeing on it is its own level (full dates agreeing only on the
	 * year disagree on month and day, which is evidence against) */
	if (!a->m || !b->m)
		return a->y == b->y ? DB_YONLY : iabs(a->y - b->y) <= 2 ? DB_NEAR : DB_ELSE;
	int ey = a->y == b->y, em = a->m == b->m, ed = a->d == b->d;
	if (ey && em && ed)
		return DB_EXACT;
	if (ey && a->m == b->d && a->d == b->m)
		return DB_SWAP;
	/* a single mistyped or transposed digit is a typo; two parts equal
	 * with the third far off (1944 / 1986) is much weaker evidence */
	char da[8], db[8];
	date_digits(a, da);
	date_digits(b, db);
	if (braid__cmp_digits(da, 8, db, 8) <= 3)
		return DB_ONE;
	/* a whole year replaced (1970-08-02 / 1927-08-02) is told apart from
	 * a replaced month or day: their chances differ between people */
	if (!ey && em && ed)
		return DB_MD;
	if (ey + em + ed == 2)
		return DB_TWO;
	if (ey)
		return DB_YEAR;
	if (iabs(a->y - b->y) <= 2)
		return DB_NEAR;
	return DB_ELSE;
}

static inline int cmp_eq(uint32_t a, uint32_t b)
{
	if (!a || !b)
		return LV_NULL;
	return a == b ? 1 : 2;
}

static int cmp_addr(const struct braid__cmpctx *x, const struct braid__lrec *a,
		    const struct braid__lrec *b)
{
	if (!a->street || !b->street)
		return LV_NULL;
	int st = a->street == b->street || jw_ids(x->st, a->street, b->street) >= 0.92;
	if (!st)
		return AD_ELSE;
	int num = a->number == b->number;
	if (num && a->street == b->street &&
	    (!a->unit || !b->unit || a->unit == b->unit))
		return AD_EXACT;
	if (num)
		return AD_NUMST;
	return AD_STREET;
}

static int cmp_ids_digits(const struct braid__strtab *st, uint32_t a, uint32_t b)
{
	if (!a || !b)
		return LV_NULL;
	if (a == b)
		return 1;
	return braid__cmp_digits(braid__str(st, a), st->info[a].len, braid__str(st, b),
				 st->info[b].len);
}

static int cmp_zip(const struct braid__cmpctx *x, const struct braid__lrec *a,
		   const struct braid__lrec *b)
{
	int v = cmp_ids_digits(x->st, a->zip, b->zip);
	if (v == 0 || v == 1)
		return v;
	return v <= 3 ? ZP_CLOSE : ZP_ELSE;
}

static int cmp_city(const struct braid__cmpctx *x, const struct braid__lrec *a,
		    const struct braid__lrec *b)
{
	if (!a->city || !b->city)
		return LV_NULL;
	if (a->city == b->city)
		return CT_EXACT;
	double s = jw_ids(x->st, a->city, b->city);
	return s >= 0.92 ? CT_JW92 : s >= 0.88 ? CT_JW88 : CT_ELSE;
}

static int cmp_phone(const struct braid__cmpctx *x, const struct braid__lrec *a,
		     const struct braid__lrec *b)
{
	int v = cmp_ids_digits(x->st, a->phone, b->phone);
	if (v == 0 || v == 1)
		return v;
	if (v <= 3)
		return PH_ONE;
	uint8_t la = x->st->info[a->phone].len, lb = x->st->info[b->phone].len;
	if (la >= 7 && lb >= 7 &&
	    !memcmp(braid__str(x->st, a->phone) + la - 7, braid__str(x->st, b->phone) + lb - 7, 7))
		return PH_LAST7;
	return PH_ELSE;
}

static int cmp_ssn(const struct braid__cmpctx *x, const struct braid__lrec *a,
		   const struct braid__lrec *b)
{
	int v = cmp_ids_digits(x->st, a->ssn, b->ssn);
	return v; /* levels coincide with braid__cmp_digits */
}

static int cmp_email(const struct braid__lrec *a, const struct braid__lrec *b)
{
	if (!a->email || !b->email)
		return LV_NULL;
	if (a->email == b->email)
		return EM_EXACT;
	if (a->email_local && a->email_local == b->email_local)
		return EM_LOCAL;
	return EM_ELSE;
}

static int cmp_sex(const struct braid__lrec *a, const struct braid__lrec *b)
{
	if (!a->sex || !b->sex)
		return LV_NULL;
	return a->sex == b->sex ? SX_EXACT : SX_ELSE;
}

braid__cvec braid__compare(const struct braid__cmpctx *x, uint32_t ia, uint32_t ib)
{
	const struct braid__lrec *a = &x->r[ia], *b = &x->r[ib];
	uint32_t on = x->active;
	braid__cvec v = 0;
#define PUT(c, expr)                                                      \
	if (on & (1u << (c)))                                               \
		v |= (braid__cvec)(expr) << (4 * (c))
	PUT(BRAID_LC_FIRST, braid__cmp_first(x, a, b));
	PUT(BRAID_LC_LAST, braid__cmp_last(x, a, b));
	PUT(BRAID_LC_MIDDLE, cmp_middle(x, a, b));
	PUT(BRAID_LC_DOB, braid__cmp_dob(a, b));
	PUT(BRAID_LC_SEX, cmp_sex(a, b));
	PUT(BRAID_LC_SSN, cmp_ssn(x, a, b));
	PUT(BRAID_LC_ADDRESS, cmp_addr(x, a, b));
	PUT(BRAID_LC_ZIP, cmp_zip(x, a, b));
	/* a shared ZIP already says "same town": counting the city as well
	 * would count one piece of evidence twice, so the city speaks only
	 * when the ZIPs do not agree */
	if (braid__cvec_level(v, BRAID_LC_ZIP) != ZP_EXACT) {
		PUT(BRAID_LC_CITY, cmp_city(x, a, b));
	}
	PUT(BRAID_LC_PHONE, cmp_phone(x, a, b));
	PUT(BRAID_LC_EMAIL, cmp_email(a, b));
	PUT(BRAID_LC_OTHER_ID, cmp_eq(a->other, b->other));
#undef PUT
	return v;
}
