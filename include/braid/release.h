/*
 * braid/release.h — disclosure control for releases: tables of counts of
 * people as cells bound by additive constraints, primary and complementary
 * cell suppression verified by a linear-programming interval audit, a ledger
 * of earlier releases (differencing), discrete differential-privacy noise
 * with a per-agreement budget, Safe-Harbor-style de-identified row extracts
 * with k-anonymity / l-diversity, 5/95 percentage coding, reliability flags
 * and the release manifest.
 *
 * These are pure algorithms over in-memory data.  They do not read the
 * store, evaluate queries, check agreements or write files: `braid release`
 * does that and hands the tables in.  The caller guarantees what the
 * algorithms cannot see: that cells count people (one contribution per
 * person per cell) and that the leaves of a table partition its people.
 *
 * Ownership: handles (_new) are freed with their _free (NULL accepted);
 * caller-owned structs (_init) with their _release.  Returned `char *` are
 * the caller's (free()); `const char *` are borrowed from the handle and
 * valid until it is changed or freed.  Errors never contain cell values of
 * people's identifiers: they name the cell id, the column or the field.
 */
#ifndef BRAID_RELEASE_H
#define BRAID_RELEASE_H

#include "braid/core.h"

#include <stdint.h>
#include <time.h>

/* ================================================================ cells */

enum braid_cell_status {
	BRAID_CELL_SHOWN = 0,      /* published */
	BRAID_CELL_PRIMARY = 1,    /* sensitive: suppressed for its own sake */
	BRAID_CELL_COMPLEMENT = 2  /* suppressed to protect a primary cell */
};

/* Flags, independent of status: reliability is not confidentiality. */
enum braid_cell_flag {
	BRAID_CELLF_NOISE = 1,      /* value perturbed by DP noise */
	BRAID_CELLF_UNRELIABLE = 2, /* shown, but noisy relative to its size
				       (relative standard error): read with care */
	BRAID_CELLF_LEDGER = 4      /* sensitive because an earlier release
				       suppressed the same cell as primary */
};

struct braid_cell {
	const char *id; /* stable identity: same id = same definition */
	int64_t value;  /* true count (>= 0); never published when suppressed */
	int64_t shown;  /* value to publish when status is SHOWN (noise) */
	uint8_t status; /* enum braid_cell_status */
	uint8_t flags;  /* enum braid_cell_flag bits */
};

/* A release's cells and the additive constraints "total = sum of parts"
 * that any reader can use (margins, hierarchies, shared cells across the
 * tables of one release). */
struct braid_cellset;

struct braid_cellset *braid_cellset_new(void);
void braid_cellset_free(struct braid_cellset *cs);

/* Add a cell (value >= 0); when the id exists already its index is
 * returned and the values must agree (BRAID_EINVAL otherwise), which is how
 * tables of one release share cells.  *idx may be NULL. */
braid_rc braid_cellset_add(struct braid_cellset *cs, const char *id,
			   int64_t value, size_t *idx, struct braid_err *err);
/* Add the constraint cells[total] = sum of cells[parts[0..n-1]]. */
braid_rc braid_cellset_constrain(struct braid_cellset *cs, size_t total,
				 const size_t *parts, size_t n,
				 struct braid_err *err);
/* Index of the cell with this id, or SIZE_MAX. */
size_t braid_cellset_find(const struct braid_cellset *cs, const char *id);
size_t braid_cellset_count(const struct braid_cellset *cs);
/* Borrowed; idx < count. */
const struct braid_cell *braid_cellset_cell(const struct braid_cellset *cs,
					    size_t idx);
size_t braid_cellset_nconstraints(const struct braid_cellset *cs);

/* A two-way table of nrows x ncols counts (values row-major) with its row,
 * column and grand margins.  Cell ids are "name|row|col", margins use "*"
 * for the summed dimension ("name|row|*", "name|*|col", "name|*|*").
 * Keys must not contain '|' nor be "*". */
braid_rc braid_cellset_add_table2(struct braid_cellset *cs, const char *name,
				  size_t nrows, const char *const *row_keys,
				  size_t ncols, const char *const *col_keys,
				  const int64_t *values, struct braid_err *err);
/* A hierarchy between two tables with the same columns: for every column
 * key and the margin "*", parent|P|col = sum of child|r|col over the child
 * rows r whose parent_of_row is P, and parent|*|col = child|*|col.  All the
 * cells must exist already (add both tables first). */
braid_rc braid_cellset_add_rollup(struct braid_cellset *cs, const char *child,
				  const char *parent, size_t nchild_rows,
				  const char *const *child_rows,
				  const char *const *parent_of_row,
				  size_t ncols, const char *const *col_keys,
				  struct braid_err *err);
/* Check every constraint against the true values (use = 0) or the shown
 * values (use = 1, after noise).  BRAID_EINVAL names the total's id. */
braid_rc braid_cellset_check(const struct braid_cellset *cs, int use_shown,
			     struct braid_err *err);
/* The published table as CSV "cell,value,status" (suppressed cells have an
 * empty value), appended to out.  These are the bytes the manifest hashes. */
braid_rc braid_cellset_csv(const struct braid_cellset *cs,
			   struct braid_buf *out);

/* ================================================================ ledger
 * What earlier releases published: cell ids with their shown values, the
 * ids of primary-suppressed cells (never their values) and the constraints
 * between ids.  The caller persists it (JSON) and passes it to the next
 * protect/audit, so that differencing across releases is caught.  Noisy
 * cells are recorded as not exactly known.  The ledger says which cells
 * were primary: it is internal, never published. */
struct braid_ledger;
struct braid_ledger *braid_ledger_new(void);
void braid_ledger_free(struct braid_ledger *l);
/* Record a protected release (after braid_release_protect succeeded). */
braid_rc braid_ledger_record(struct braid_ledger *l,
			     const struct braid_cellset *cs,
			     struct braid_err *err);
size_t braid_ledger_ncells(const struct braid_ledger *l);
/* JSON {"cells":[{"id":..,"status":"shown","value":n}|{"id":..,
 * "status":"primary"}|..],"constraints":[["total","part",..],..]}.
 * Returned string is the caller's. */
char *braid_ledger_to_json(const struct braid_ledger *l);
braid_rc braid_ledger_from_json(const char *json, struct braid_ledger **out,
				struct braid_err *err);

/* ================================================================ subsets
 * Differencing between different cohorts.  Cell ids relate the cells of
 * one cohort; a cohort and a subset of it ("the same query with one more
 * filter") have unrelated ids, yet publishing both totals gives the
 * difference away.  So each cell may carry a fingerprint of its set of
 * people: the power sums p_k = sum of h(person)^k, k = 1..BRAID_FP_TERMS,
 * over the prime field 2^61-1, where h is a keyed hash the caller computes
 * (a workspace secret: without it the sums say nothing about who is in a
 * cell; with it a small cell's members could be recovered, so the
 * fingerprints are as internal as the ledger).  The ledger keeps them.
 *
 * For two sets A, B the differences p_k(A) - p_k(B) are the power sums of
 * A\B when B is a subset of A; Newton's identities turn them into the
 * elementary symmetric functions of A\B, which vanish beyond its size d.
 * So containment with a difference of d <= BRAID_FP_MAX_DIFF people is
 * recognised exactly, whatever the sizes of A and B (a false match needs
 * BRAID_FP_TERMS - BRAID_FP_MAX_DIFF polynomial identities in random field
 * elements to hold by chance: probability below 2^-200).  Larger
 * differences, and overlapping sets that are not nested, are "unrelated". */
#define BRAID_FP_TERMS 24
#define BRAID_FP_MAX_DIFF 20
struct braid_fp {
	uint64_t p[BRAID_FP_TERMS]; /* all 0: the empty set */
};
void braid_fp_init(struct braid_fp *f);
/* Add one person by the caller's keyed hash of their id. */
void braid_fp_add(struct braid_fp *f, uint64_t h);
enum braid_fp_rel {
	BRAID_FP_UNRELATED = 0,
	BRAID_FP_EQUAL = 1,    /* same set of people */
	BRAID_FP_A_SUPER = 2,  /* B is a subset of A; *d = |A \ B| */
	BRAID_FP_B_SUPER = 3   /* A is a subset of B; *d = |B \ A| */
};
/* How a and b relate (*d = size of the difference, 0 when equal). */
int braid_fp_relate(const struct braid_fp *a, const struct braid_fp *b,
		    size_t *d);
/* Attach a fingerprint to cell idx (copied). */
braid_rc braid_cellset_set_fp(struct braid_cellset *cs, size_t idx,
			      const struct braid_fp *f, struct braid_err *err);
/* The fingerprint of cell idx, or NULL. */
const struct braid_fp *braid_cellset_fp(const struct braid_cellset *cs,
					size_t idx);
/* Before protecting cs: compare every fingerprinted cell of cs with every
 * fingerprinted cell of the ledger that cs does not contain.  For each
 * nested pair differing by 1..min_cell-1 people the ledger gets a new
 * primary cell "diff:<hash>" (the difference, value never known) and the
 * constraint bigger = smaller + diff; for an equal pair the constraint
 * new = old, except that a new cell with the same people as an earlier
 * primary cell is only made primary itself (no equation: see
 * fingerprint.c).  The protection and audit then treat the difference as any
 * other small cell.  *found (may be NULL) counts the pairs.  Differences
 * above BRAID_FP_MAX_DIFF are not seen (min_cell above
 * BRAID_FP_MAX_DIFF + 1 is checked only up to that). */
braid_rc braid_ledger_relate(struct braid_ledger *l,
			     const struct braid_cellset *cs, int64_t min_cell,
			     size_t *found, struct braid_err *err);

/* ================================================================ suppression */

struct braid_protect_opts {
	int64_t min_cell;   /* cells with 0 < count < min_cell are primary */
	int allow_zero;     /* 1: a zero may be shown; 0: zeros are primary */
	int64_t protection; /* required LP interval width of each primary cell;
			       0 = min_cell */
	unsigned max_rounds; /* audit/add rounds before giving up; 0 = 200 */
	unsigned audit_flags; /* BRAID_AUDIT_SKIP_OLD or 0 */
};

/* Mark primary suppressions (counts below min_cell, zeros unless allowed,
 * cells the ledger knows as primary).  Resets earlier suppressions. */
braid_rc braid_suppress_primary(struct braid_cellset *cs,
				const struct braid_protect_opts *opt,
				const struct braid_ledger *ledger,
				struct braid_err *err);
/* One pass to a fixed point: every constraint (current and ledger) with
 * exactly one suppressed cell gets its cheapest other cell suppressed. */
braid_rc braid_suppress_complementary(struct braid_cellset *cs,
				      const struct braid_protect_opts *opt,
				      const struct braid_ledger *ledger,
				      struct braid_err *err);

/* The interval audit: for each primary cell (of this release and of the
 * ledger) the min and max value consistent with every published number
 * (this release and the ledger's) and every additive constraint, cells
 * non-negative, computed by linear programming (GLPK).
 *
 * By default a cell is certified as soon as two feasible solutions met on
 * the way (the true values, earlier LP optima) set it at least protection
 * apart: [lo, hi] is then an inner interval the true one contains, exact=0.
 * Cells not certified so get their exact LP bounds (exact=1), and so does
 * every cell with BRAID_AUDIT_EXACT.
 *
 * BRAID_AUDIT_ZEROS_SHOWN: the release shows zeros, so a reader knows a
 * suppressed cell of this release is at least 1 (protect never picks a
 * zero as a complement then); the audit uses that lower bound.
 *
 * BRAID_AUDIT_SKIP_OLD: leave out the components (cells linked by sums
 * with unknowns in common) that hold no cell of cs and no sum naming one:
 * the ledger's own parts, audited when their releases were made and
 * unchanged since (a ledger grows only by audited releases).  What it
 * gives up: noticing a ledger that was corrupted in the store.
 */
enum braid_audit_flag { BRAID_AUDIT_EXACT = 1, BRAID_AUDIT_ZEROS_SHOWN = 2,
			BRAID_AUDIT_SKIP_OLD = 4 };
struct braid_audit_cell {
	const char *id; /* borrowed from the cellset or ledger */
	size_t cell;    /* index in the cellset, SIZE_MAX for ledger-only */
	double lo, hi;  /* hi = INFINITY when unbounded */
	int exact;      /* lo, hi are the LP bounds (else an inner interval) */
	int ok;         /* hi - lo >= protection */
};
struct braid_audit {
	struct braid_audit_cell *cells;
	size_t n;
	size_t n_failed;
	size_t n_lp;      /* linear programs solved */
	double min_width; /* narrowest interval (INFINITY when none) */
	unsigned rounds;  /* protect: audit/add rounds it took */
};
void braid_audit_init(struct braid_audit *a);
void braid_audit_release(struct braid_audit *a);
/* Fills *out (released first).  Returns BRAID_OK even when cells fail:
 * read out->n_failed.  BRAID_EINVAL when the published numbers contradict
 * each other or the ledger (the same cell published with two values).
 * flags: enum braid_audit_flag bits. */
braid_rc braid_release_audit(const struct braid_cellset *cs,
			     const struct braid_ledger *ledger,
			     int64_t protection, unsigned flags,
			     struct braid_audit *out, struct braid_err *err);

/* Primary + complementary suppression, then audit and add the cheapest
 * suppression next to each failing cell until the audit passes.
 * BRAID_EDENIED (naming a cell) when no suppression pattern can protect it
 * (e.g. an earlier release published it).  *audit (may be NULL) gets the
 * final audit. */
braid_rc braid_release_protect(struct braid_cellset *cs,
			       const struct braid_protect_opts *opt,
			       const struct braid_ledger *ledger,
			       struct braid_audit *audit,
			       struct braid_err *err);
/* Refuse to publish: BRAID_EDENIED naming the first cell whose interval is
 * narrower than protection (this release's suppressions as they stand).
 * flags: BRAID_AUDIT_ZEROS_SHOWN when the release shows zeros. */
braid_rc braid_release_verify(const struct braid_cellset *cs,
			      const struct braid_ledger *ledger,
			      int64_t protection, unsigned flags,
			      struct braid_err *err);

/* ================================================================ noise */

/* Random bits: libsodium's randombytes (secure) or, for tests only, a
 * ChaCha20 stream keyed by a seed (deterministic). */
struct braid_rng {
	int seeded;
	unsigned char key[32];
	uint32_t block;
	unsigned char buf[64];
	size_t pos;
};
braid_rc braid_rng_init_secure(struct braid_rng *r, struct braid_err *err);
void braid_rng_init_seeded(struct braid_rng *r, uint64_t seed);
uint64_t braid_rng_u64(struct braid_rng *r);
double braid_rng_unit(struct braid_rng *r); /* uniform in (0, 1] */

/* Discrete Laplace (two-sided geometric): P(k) ∝ exp(-|k|/t), t > 0. */
int64_t braid_noise_dlaplace(struct braid_rng *r, double t);
double braid_noise_dlaplace_pmf(int64_t k, double t);
/* Discrete Gaussian (Canonne-Kamath-Steinke): P(k) ∝ exp(-k²/(2σ²)). */
int64_t braid_noise_dgauss(struct braid_rng *r, double sigma);
double braid_noise_dgauss_pmf(int64_t k, double sigma);

/* Privacy budget of one agreement (epsilon).  Pure: the caller persists
 * total and spent. */
struct braid_budget {
	char agreement[128];
	double total;
	double spent;
};
void braid_budget_init(struct braid_budget *b, const char *agreement,
		       double total);
/* Spend eps: BRAID_EDENIED (nothing spent) when it would exceed total. */
braid_rc braid_budget_spend(struct braid_budget *b, double eps,
			    struct braid_err *err);

enum braid_noise_mech { BRAID_NOISE_DLAPLACE = 1, BRAID_NOISE_DGAUSS = 2 };
struct braid_noise_opts {
	enum braid_noise_mech mech;
	double epsilon;
	double delta;       /* discrete Gaussian only, in (0, 1) */
	unsigned sensitivity; /* leaves one person can change; 0 = 1 */
	double max_rse;       /* flag BRAID_CELLF_UNRELIABLE when the noise's
				 standard deviation exceeds this share of the
				 shown value; 0 = 0.3 (NCHS's 30 % RSE) */
};
/* Spend epsilon from budget, then noise every leaf (a cell that is the
 * total of no constraint), clamp to >= 0 and derive every total as the sum
 * of its parts, so published totals are non-negative and consistent.
 * Results go to cell.shown with BRAID_CELLF_NOISE.  scale_out (may be NULL)
 * gets t or sigma. */
braid_rc braid_release_add_noise(struct braid_cellset *cs,
				 const struct braid_noise_opts *opt,
				 struct braid_budget *budget,
				 struct braid_rng *rng, double *scale_out,
				 struct braid_err *err);

/* ================================================================ rates */

enum braid_rate_code {
	BRAID_RATE_SHOWN = 0,
	BRAID_RATE_SUPPRESSED = 1, /* numerator or denominator suppressed */
	BRAID_RATE_LT5 = 2,        /* coded "<5%" */
	BRAID_RATE_GT95 = 3        /* coded ">95%" */
};
struct braid_rate {
	double pct;     /* 0..100; meaningful only when code is SHOWN */
	int code;       /* enum braid_rate_code */
	int unreliable; /* denominator below the reliability minimum */
};
/* The percentage cells[num] / cells[den] as it may be published: suppressed
 * when either count is, coded 5/95 when code_5_95, flagged unreliable when
 * the denominator is below min_denominator (flag only, still shown). */
braid_rc braid_release_rate(const struct braid_cellset *cs, size_t num,
			    size_t den, int code_5_95, int64_t min_denominator,
			    struct braid_rate *out, struct braid_err *err);
/* "12.3%", "<5%", ">95%" or "" (suppressed), into out (n bytes). */
void braid_rate_format(const struct braid_rate *r, char *out, size_t n);

/* ================================================================ rows */

enum braid_deid_rule {
	BRAID_DEID_KEEP = 0,
	BRAID_DEID_DROP,           /* direct identifier: removed */
	BRAID_DEID_DATE_YEAR,      /* YYYY-MM-DD -> YYYY */
	BRAID_DEID_AGE_90,         /* ages 90 and over -> "90+" */
	BRAID_DEID_ZIP3,           /* 5-digit ZIP -> 3 digits or "000" */
	BRAID_DEID_TRACT_DISTRICT, /* tract -> planning district */
	BRAID_DEID_BIRTH_YEAR      /* a birth date -> YYYY, and "<=YYYY" for
				      everyone 90 or older in reference_year */
};
struct braid_deid_column {
	const char *name;
	enum braid_deid_rule rule;
	int quasi;     /* quasi-identifier: counts for k-anonymity */
	int sensitive; /* l-diversity attribute */
};
struct braid_deid_opts {
	const struct braid_deid_column *cols;
	size_t ncols;
	size_t k;                /* >= 1 */
	size_t l;                /* 0 = no l-diversity check */
	/* ZIP3 populations (caller's census figures). */
	const char *const *zip3;
	const long *zip3_pop;
	size_t nzip3;
	long zip3_min_pop;       /* 0 = 20000 (kept only when greater) */
	int reference_year;      /* BIRTH_YEAR: year ages are taken in
				    (0 = the current UTC year) */
	/* Tract -> planning district mapping. */
	const char *const *tracts;
	const char *const *districts;
	size_t ntracts;
};
struct braid_risk_report {
	size_t rows_in, rows_out, rows_dropped;
	size_t values_generalised; /* values changed by the rules */
	size_t values_suppressed;  /* quasi-identifiers set to "*" */
	size_t classes;            /* equivalence classes after */
	size_t min_class;          /* smallest class after (>= k) */
	size_t rows_below_k_before;/* rows in classes < k after generalising */
	size_t min_l;              /* fewest distinct sensitive values */
	double max_risk;           /* 1 / min_class */
	double mean_risk;          /* classes / rows_out */
};
/* A generalised extract: ncols_out kept columns, "*" = suppressed value. */
struct braid_extract {
	size_t nrows, ncols;
	const char **names; /* ncols */
	char **cells;       /* nrows * ncols, row-major */
	struct braid_arena arena;
};
void braid_extract_release(struct braid_extract *x);
/* Generalise rows (nrows x opt->ncols strings, row-major; NULL = missing),
 * then suppress quasi-identifier values of outliers and drop what still
 * breaks k-anonymity or l-diversity.  *out is initialised here. */
braid_rc braid_deid_extract(const char *const *rows, size_t nrows,
			    const struct braid_deid_opts *opt,
			    struct braid_extract *out,
			    struct braid_risk_report *report,
			    struct braid_err *err);
/* Smallest equivalence class over the named quasi-identifier columns of x
 * (0 when x is empty); *min_l (may be NULL) gets the fewest distinct values
 * of column `sensitive` in a class (SIZE_MAX column = none). */
size_t braid_extract_min_class(const struct braid_extract *x,
			       const size_t *qcols, size_t nq,
			       size_t sensitive, size_t *min_l);

/* ================================================================ manifest */

struct braid_manifest {
	const char *query;        /* query text or table name */
	const char *const *sources;
	size_t nsources;
	const char *agreement;
	time_t created;
	const struct braid_protect_opts *protect; /* NULL: no suppression */
	const struct braid_audit *audit;          /* NULL: none run */
	const struct braid_noise_opts *noise;     /* NULL: no noise */
	double noise_scale;
	const struct braid_deid_opts *deid;       /* row extracts: k, l */
	const struct braid_risk_report *risk;
	int code_5_95;
	int64_t min_denominator;
	/* 0 (public): suppressed cells are listed without saying which are
	 * primary, because "primary" tells a reader the count is below
	 * min_cell — narrower than the audited interval.  1: the steward's
	 * internal copy, with reasons. */
	int internal;
};
/* The manifest as JSON: query, sources, agreement, time, methods and
 * parameters, suppressed and perturbed cell ids, and "content_hash" =
 * BLAKE2b-256 (crypto_generichash) hex of the table bytes (as produced by
 * braid_cellset_csv, or any bytes the caller publishes).  cs may be NULL.
 * Returned string is the caller's. */
braid_rc braid_manifest_json(const struct braid_manifest *m,
			     const struct braid_cellset *cs,
			     const void *table_bytes, size_t table_len,
			     char **out, struct braid_err *err);

#endif
