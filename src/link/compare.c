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
 * registers.  This is the path for strings longer than 64 bytes. */
static unsigned jaro(const unsigned char *a, size_t la, const unsigned char *b,
		     size_t lb, unsigned *tp)
{
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
		return 0;
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
	*tp = (unsigned)t;
	return (unsigned)m;
}

/* Jaro–Winkler from the counts: Jaro = (m/la + m/lb + (m - t/2)/m) / 3,
 * computed over one common denominator (one division instead of three);
 * every path ends here, so all give bit-identical results.  Whether Jaro
 * exceeds 0.7 (the Winkler boost) is decided exactly on the integers: in
 * doubles a Jaro of exactly 0.7 rounds to either side depending on the
 * order of the arithmetic. */
static inline double jw_value(unsigned m, unsigned t, size_t la, size_t lb, size_t prefix)
{
	if (!m)
		return 0.0;
	double dm = (double)m, a_ = (double)la, b_ = (double)lb;
	double j = (dm * dm * (a_ + b_) + (dm - (double)t * 0.5) * a_ * b_) / (3.0 * a_ * b_ * dm);
	uint64_t num2 = 2 * (uint64_t)m * m * (la + lb) + (2 * (uint64_t)m - t) * la * lb;
	uint64_t den2 = 6 * (uint64_t)la * lb * m;
	if (10 * num2 <= 7 * den2)
		return j;
	return j + (double)prefix * 0.1 * (1.0 - j);
}

/* The window as a mask for position 0 (bits 0..win); each next position
 * shifts it left, adding a low bit while the window's left edge is still
 * clipped at 0.  No bound by lb is needed: the match masks only ever hold
 * positions of b. */
static inline uint64_t window0(size_t la, size_t lb, size_t *win)
{
	size_t mx = la > lb ? la : lb;
	*win = mx / 2 > 0 ? mx / 2 - 1 : 0;
	return ((uint64_t)2 << *win) - 1; /* win <= 31 for strings of <= 64 bytes */
}

/* Jaro for strings of 1..64 bytes, bit-parallel and portable: a table
 * holds, per byte value, the positions where it occurs in b, so each
 * character of a finds its first unmatched partner inside the window with
 * one AND and one lowest-bit extraction, without a branch (a mispredicted
 * branch per character cost more than the work).  Only the table entries
 * that will be read are initialised (a's and b's bytes), which is cheaper
 * than clearing 2 KiB per call. */
static unsigned jaro64(const unsigned char *a, size_t la, const unsigned char *b, size_t lb,
		       unsigned *tp)
{
	uint64_t occ[256];
	for (size_t i = 0; i < la; i++)
		occ[a[i]] = 0;
	for (size_t j = 0; j < lb; j++)
		occ[b[j]] = 0;
	for (size_t j = 0; j < lb; j++)
		occ[b[j]] |= (uint64_t)1 << j;
	size_t win;
	uint64_t wm = window0(la, lb, &win), am = 0, bm = 0;
	for (size_t i = 0; i < la; i++) {
		uint64_t cand = occ[a[i]] & wm & ~bm;
		uint64_t low = cand & (0 - cand);
		bm |= low;
		am |= (uint64_t)(low != 0) << i;
		wm = (wm << 1) | (uint64_t)(i + 1 <= win);
	}
	unsigned t = 0;
	uint64_t x = am, y = bm;
	while (x) {
		t += a[__builtin_ctzll(x)] != b[__builtin_ctzll(y)];
		x &= x - 1;
		y &= y - 1;
	}
	*tp = t;
	return (unsigned)__builtin_popcountll(am);
}

static size_t winkler_prefix(const unsigned char *a, size_t la, const unsigned char *b,
			     size_t lb)
{
	size_t p = 0;
	while (p < 4 && p < la && p < lb && a[p] == b[p])
		p++;
	return p;
}

/* Jaro–Winkler on x86-64 with AVX-512 (BW and VBMI2), chosen at run time:
 * both strings are loaded with masked loads (which never touch bytes past
 * either string), one byte compare per character of a gives its match
 * positions in b, and the transpositions are counted by compressing the
 * matched bytes of each side into order and comparing them at once.  The
 * same m and t as jaro64, hence the same result; about 2.5 times as fast
 * on name-length strings (bench/linkage/jw.c). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BRAID_JW_AVX512 1
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,bmi2,popcnt")))
static double jw_avx512(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
	const uint64_t ka = _bzhi_u64(~(uint64_t)0, (unsigned)la);
	const uint64_t kb = _bzhi_u64(~(uint64_t)0, (unsigned)lb);
	const __m512i va = _mm512_maskz_loadu_epi8(ka, a), vb = _mm512_maskz_loadu_epi8(kb, b);
	size_t win;
	uint64_t wm = window0(la, lb, &win), am = 0, bm = 0;
	for (size_t i = 0; i < la; i++) {
		uint64_t o = _mm512_mask_cmpeq_epi8_mask(kb, vb, _mm512_set1_epi8((char)a[i]));
		uint64_t cand = o & wm & ~bm;
		uint64_t low = cand & (0 - cand);
		bm |= low;
		am |= (uint64_t)(low != 0) << i;
		wm = (wm << 1) | (uint64_t)(i + 1 <= win);
	}
	/* matched bytes of each side in order; both zero past m */
	uint64_t ne = _mm512_cmpneq_epi8_mask(_mm512_maskz_compress_epi8(am, va),
					      _mm512_maskz_compress_epi8(bm, vb));
	/* common prefix up to 4: first disagreeing position among the first
	 * min(la, lb), or 4 */
	uint64_t both = la < lb ? ka : kb;
	uint64_t p = _tzcnt_u64(~(_mm512_cmpeq_epi8_mask(va, vb) & both) | 0x10);
	return jw_value((unsigned)_mm_popcnt_u64(am), (unsigned)_mm_popcnt_u64(ne), la, lb,
			(size_t)p);
}
#endif

double braid__jaro_winkler_path(const char *a, size_t la, const char *b, size_t lb, int path)
{
	if (la > 255)
		la = 255;
	if (lb > 255)
		lb = 255;
	if (la == 0 || lb == 0)
		return la == lb ? 1.0 : 0.0;
	const unsigned char *ua = (const unsigned char *)a, *ub = (const unsigned char *)b;
#ifdef BRAID_JW_AVX512
	/* __builtin_cpu_supports reads a word set at start-up: a predictable
	 * branch, cheaper than an indirect call */
	if (path == BRAID__JW_AUTO && la <= 64 && lb <= 64 &&
	    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2") &&
	    __builtin_cpu_supports("bmi2"))
		return jw_avx512(ua, la, ub, lb);
#endif
	unsigned t = 0;
	unsigned m = la <= 64 && lb <= 64 && path != BRAID__JW_GENERAL ? jaro64(ua, la, ub, lb, &t)
								       : jaro(ua, la, ub, lb, &t);
	return jw_value(m, t, la, lb, winkler_prefix(ua, la, ub, lb));
}

double braid_jaro_winkler(const char *a, size_t la, const char *b, size_t lb)
{
	return braid__jaro_winkler_path(a, la, b, lb, BRAID__JW_AUTO);
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
