/*
 * link_int.h — what the files of src/link share: the prepared record (every
 * derived value computed once per record, strings interned to integer ids),
 * the packed comparison vector, blocking rules, the fitted model and the
 * linker handle.  Nothing here is public.
 */
#ifndef BRAID_LINK_INT_H
#define BRAID_LINK_INT_H

#include "braid/link.h"
#include "braid/normalize.h"

#include <stdint.h>

/* ------------------------------------------------------------ interning
 * One pool for all fields so that ids compare across fields (first/last
 * swapped).  Id 0 is the empty string (= missing). */
struct braid__strtab {
	char *pool;
	size_t pool_len, pool_cap;
	/* per id, in one place so that a comparison touches one cache line:
	 * offset in pool, set of letters present (JW pre-filter), length
	 * (capped at 255) */
	struct braid__strinfo {
		uint32_t off, sig;
		uint8_t len;
	} *info;
	uint32_t n, cap;   /* ids in use */
	uint32_t *slots;   /* open addressing: id+1, 0 = empty */
	uint64_t nslots;
};
braid_rc braid__strtab_init(struct braid__strtab *t);
void braid__strtab_release(struct braid__strtab *t);
/* Id of s (length n, truncated to 255), adding it when new; 0 for "". */
braid_rc braid__strtab_intern(struct braid__strtab *t, const char *s, size_t n,
			      uint32_t *id);
static inline const char *braid__str(const struct braid__strtab *t, uint32_t id)
{
	return t->pool + t->info[id].off;
}

/* ------------------------------------------------------------ prepared record */
struct braid__lrec {
	uint32_t first, last, middle;     /* interned, 0 = missing */
	uint32_t first_ph, first_ph2;     /* Double Metaphone codes */
	uint32_t last_ph, last_ph2;
	uint32_t first_nick;              /* nickname canon, 0 = not in table */
	uint32_t ssn, number, street, unit, zip, city, phone, email, email_local;
	uint32_t other;
	int16_t y;                        /* 0 = no date */
	uint8_t m, d;                     /* 0 = only a year known */
	char sex;                         /* 'M', 'F' or 0 */
	char fi;                          /* first name's initial, 0 = none */
	char li;                          /* last name's initial, 0 = none */
	uint8_t first_in_nick;            /* first name appears in the table */
};

/* ------------------------------------------------------------ comparisons
 * A comparison vector packs one 4-bit level per comparison. */
typedef uint64_t braid__cvec;
static inline int braid__cvec_level(braid__cvec v, int c)
{
	return (int)((v >> (4 * c)) & 15);
}

/* Level numbers (0 = null, 1 = best, last = else). */
enum { LV_NULL = 0 };
enum { FN_EXACT = 1, FN_NICK, FN_JW92, FN_JW88, FN_SWAP, FN_PHON, FN_INIT, FN_DIFF, FN_ELSE };
enum { LN_EXACT = 1, LN_PART, LN_JW92, LN_JW88, LN_SWAP, LN_PHON, LN_DIFF, LN_ELSE };
enum { MN_EXACT = 1, MN_INIT, MN_ELSE };
enum { DB_EXACT = 1, DB_SWAP, DB_ONE, DB_MD, DB_TWO, DB_YEAR, DB_YONLY, DB_NEAR, DB_ELSE };
enum { SX_EXACT = 1, SX_ELSE };
enum { SS_EXACT = 1, SS_ONE, SS_TRANS, SS_ELSE };
enum { AD_EXACT = 1, AD_NUMST, AD_STREET, AD_ELSE };
enum { ZP_EXACT = 1, ZP_CLOSE, ZP_ELSE };
enum { CT_EXACT = 1, CT_JW92, CT_JW88, CT_ELSE };
enum { PH_EXACT = 1, PH_ONE, PH_LAST7, PH_ELSE };
enum { EM_EXACT = 1, EM_LOCAL, EM_ELSE };
enum { OI_EXACT = 1, OI_ELSE };

struct braid__cmpctx {
	const struct braid__lrec *r;
	const struct braid__strtab *st;
	const struct braid_nicknames *nk;
	/* braid_nicknames_related, through a pointer so that the comparators
	 * do not tie every user of the engine to the nickname table */
	int (*related)(const struct braid_nicknames *, const char *, const char *);
	uint32_t active;                  /* bit c: comparison c is used */
	/* how many records carry each first / last name (by interned id):
	 * two similar names that are both common are two names (ANDREA /
	 * ANDREAS, MEYER / MAYER), not one name and its typo */
	const uint32_t *cnt_first, *cnt_last;
};

/* Compare records a and b: the packed vector (inactive comparisons 0). */
braid__cvec braid__compare(const struct braid__cmpctx *x, uint32_t a, uint32_t b);

/* The single-field comparators, exposed for tests. */
int braid__cmp_first(const struct braid__cmpctx *x, const struct braid__lrec *a,
		     const struct braid__lrec *b);
int braid__cmp_last(const struct braid__cmpctx *x, const struct braid__lrec *a,
		    const struct braid__lrec *b);
int braid__cmp_dob(const struct braid__lrec *a, const struct braid__lrec *b);
/* Digit-string comparison: 0 null, 1 exact, 2 one char different,
 * 3 two adjacent chars transposed, 4 else. */
/* braid_jaro_winkler with its implementation chosen, so that tests can
 * check every path against a reference: AUTO (the fastest the CPU has),
 * SCALAR (portable bit-parallel, <= 64 bytes), GENERAL (any length). */
enum { BRAID__JW_AUTO, BRAID__JW_SCALAR, BRAID__JW_GENERAL };
double braid__jaro_winkler_path(const char *a, size_t la, const char *b, size_t lb, int path);
int braid__cmp_digits(const char *a, size_t la, const char *b, size_t lb);

/* Run fn(&args[t]) for t < nt (args: nt structs SIZE bytes apart, nt <=
 * 64), t = 0 on the calling thread; a thread that cannot start has its
 * share run here, so every share is done when this returns. */
void braid__run_threads(int nt, void *(*fn)(void *), void *args, size_t size);

/* ------------------------------------------------------------ blocking */
enum braid__rule_id {
	R_SSN = 0, R_DOB, R_LASTPH_FI, R_FIRST_BY, R_ZIP_LAST, R_FIRST_ZIP,
	R_PHONE, R_EMAIL, R_OTHER, R_FIRSTPH_LASTPH, R_FIRST_ADDR, R_FIRST_LI,
	R_CITY_INITIALS, R_FIRST_DM, R__COUNT
};
#define BRAID__MAX_RULES 16
/* Key of rule for record r; 0 = the record has no key for the rule. */
uint64_t braid__rule_key(int rule, const struct braid__lrec *r);
const char *braid__rule_name(int rule);
/* Comparisons a rule fixes (excluded from that rule's EM). */
uint32_t braid__rule_covers(int rule);

/* Histogram of comparison patterns: (vector, rule mask) -> count. */
struct braid__pattern {
	braid__cvec v;
	uint32_t rules;   /* bit k: the pair shares rule k's key */
	uint64_t count;
	double weight;    /* filled by the model (without tf) */
};
struct braid__pattab {
	struct braid__pattern *p;
	uint32_t n, cap;
	uint32_t *slots;
	uint32_t nslots;
};
braid_rc braid__pattab_add(struct braid__pattab *t, braid__cvec v, uint32_t rules,
			   uint64_t count, uint32_t *id);
void braid__pattab_release(struct braid__pattab *t);

struct braid__pair {
	uint32_t a, b, pat;
};

/* A pair a run kept (weight at or above the review band) with its vector:
 * what a saved state carries so that the next run scores it again without
 * comparing the records again. */
struct braid__kept {
	uint32_t a, b;
	braid__cvec v;
	float w;          /* its weight in the run that kept it */
	uint32_t pad;     /* zero: the state's bytes are all defined */
};

/* ------------------------------------------------------------ model */
#define BRAID__MAX_CLASSES 16
struct braid__model {
	double m[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double u[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	double w[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS]; /* log2(m/u) */
	int m_source[BRAID_LC__COUNT]; /* 0 prior, n = averaged over n rules */
	double lambda, prior;       /* random-pair match probability, log2 odds */
	uint64_t u_pairs;           /* random pairs sampled */
	int em_iters_run;
	uint64_t labelled_matches;
	/* u of the household comparisons (address, phone, zip, and the date
	 * of birth: twins) among random pairs whose surnames agree exactly
	 * and first names do not: one household shares surname, address and
	 * phone, so between such records these agree far more often than u
	 * says.  has_uc = 0: not
	 * estimated (too few such pairs, or a model loaded without it). */
	double uc[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	int has_uc;
	/* P(vector | match) as a mixture of latent classes (model.c):
	 * sum over k < nclass of pi[k] * prod_c mk[k][c][level]; m above is
	 * their marginal.  nclass 0 = the single class m (a saved model
	 * without classes). */
	int nclass;
	double pi[BRAID__MAX_CLASSES];
	double mk[BRAID__MAX_CLASSES][BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
};
/* Comparisons whose u is taken among family-like pairs. */
#define BRAID__HOUSEHOLD_CMPS ((1u << BRAID_LC_ADDRESS) | (1u << BRAID_LC_PHONE) | (1u << BRAID_LC_ZIP) | (1u << BRAID_LC_DOB))

/* ------------------------------------------------------------ the linker */
struct braid_linker {
	const struct braid_identity *recs;
	size_t n;
	struct braid_link_opts opts;
	struct braid_nicknames *own_nk;
	struct braid__strtab st;
	struct braid__lrec *r;
	struct braid__cmpctx cx;
	int64_t *keys;    /* record key per record (the store's) */
	/* term frequencies: counts per interned id (ntf of them), and
	 * non-missing totals */
	uint32_t *tf_first, *tf_last, *tf_city;
	uint32_t ntf;
	uint64_t nf_first, nf_last, nf_city;
	/* state.c: a linker restored from a saved state holds nrest restored
	 * records (recs then holds the n - nrest new ones), the clusters of
	 * the run that saved it, and that run's kept pairs with their
	 * vectors, scored again instead of compared again */
	size_t nrest;
	uint32_t *rest_cluster;
	struct braid__kept *rest_pairs;
	size_t nrest_pairs;
	float *rest_w;       /* after the run: each restored pair's weight now */
	uint8_t *name_moved; /* by string id: a new record's first or last name */
	uint32_t *keep_rep;  /* while clustering: per restored record, the first
			      * record of its earlier cluster when that cluster
			      * stays as it was, else UINT32_MAX (incremental.c) */
	/* blocking */
	int nrules;
	int rules[BRAID__MAX_RULES];
	struct braid_link_rule_plan plan[BRAID__MAX_RULES];
	int planned;
	struct braid__pattab pats;
	struct braid__pair *pairs;
	size_t npairs;
	/* model and decisions */
	struct braid__model model;
	float *pw;        /* weight per pair (with tf) */
	braid__cvec *pv;  /* incremental runs: vector per pair (full runs: pats) */
	uint32_t *cluster;
	struct braid_link_stats stats;
	int ran;
	/* persist.c: 1 = model loaded (not estimated), 2 = then run */
	int model_loaded;
};

/* A linker with its options and nickname table, and no records (linker.c). */
struct braid_linker *braid__linker_alloc(const struct braid_link_opts *opts,
					 struct braid_err *err);
/* Prepare records from..n-1 (identities recs[i - from]) and add them to the
 * term frequencies. */
braid_rc braid__link_prepare(struct braid_linker *l, size_t from, struct braid_err *err);
braid_rc braid__link_block(struct braid_linker *l, struct braid_err *err);
braid_rc braid__link_plan(struct braid_linker *l, struct braid_err *err);
braid_rc braid__link_fit(struct braid_linker *l, struct braid_err *err);
void braid__model_weights(struct braid__model *md);
/* EM over the patterns whose rule mask has bit, estimating m (in place,
 * from its initial values) for the comparisons in est with u fixed at
 * l->model.u; returns the expected number of matching pairs. */
double braid__em_rule(const struct braid_linker *l, uint32_t bit, uint32_t est,
		      double m[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS], int *iters);
/* The same, with the comparisons in inb (those the rule fixes) taking part
 * with m and u both estimated inside the block (see model.c). */
double braid__em_rule_inb(const struct braid_linker *l, uint32_t bit, uint32_t est,
			  uint32_t inb, double m[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS],
			  int *iters);
/* The global EM over every compared pattern (model.c): refines md->m
 * (per-rule estimates on entry) for the comparisons in active, removes
 * the matches from md->u, and sets md->lambda (a first value on entry);
 * returns the expected number of matching pairs. */
double braid__em_global(const struct braid_linker *l, struct braid__model *md,
			uint32_t active, int max_iters, int *iters);
/* A vector's weight without term frequencies: the prior plus the sum of
 * per-comparison weights plus, when the model has match classes, their
 * interaction (model.c).  Every scorer (full runs, explain, incremental
 * runs) goes through it so that they agree to the last bit. */
double braid__vec_weight(const struct braid_linker *l, braid__cvec v);
/* The match classes (model.c), after braid__em_global: from md (the
 * single-class answer, kept when the classes are not supported) and f0
 * (the random-pair level frequencies); md->nclass > 0 when kept. */
braid_rc braid__mixture_fit(const struct braid_linker *l, struct braid__model *md,
			   uint32_t active, double f0[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS]);
/* Term-frequency adjustment (bits) for a vector of records a, b. */
double braid__tf_adjust(const struct braid_linker *l, braid__cvec v, uint32_t a,
			uint32_t b, double out_tf[BRAID_LC__COUNT]);
/* Full match weight of any pair (prior + levels + tf). */
double braid__pair_weight(const struct braid_linker *l, uint32_t a, uint32_t b);
braid_rc braid__link_score(struct braid_linker *l, struct braid_err *err);
braid_rc braid__link_cluster(struct braid_linker *l, struct braid_err *err);
/* Hard disagreement between two records (different SSNs, DOBs far apart). */
int braid__hard_conflict(const struct braid_linker *l, uint32_t a, uint32_t b);

#endif
