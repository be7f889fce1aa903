/*
 * braid/link.h — unsupervised Fellegi–Sunter record linkage: comparisons
 * with graded levels, blocking (a union of rules, each pair compared once,
 * capped), the model (u by random sampling, m by EM, term-frequency
 * adjustment, labels), decisions (weight, probability, threshold, review
 * band), clusters with an anti-chaining guard, explanations and evaluation.
 *
 * The engine works on an in-memory array of struct braid_identity (folded
 * upper-case strings, "" when missing).  It does not read or write a store,
 * and it does not assign stable person ids: the person index (another
 * layer) maps the engine's clusters onto ids.  Cluster numbers returned
 * here are dense 0..nclusters-1 and are only meaningful for one run.
 *
 * Ownership: a struct braid_linker borrows the records (and the strings they
 * point to) until braid_linker_free(); pointers it returns are borrowed
 * until the linker is freed; char * results are the caller's to free().
 * A linker is used from one thread; it may run worker threads internally.
 */
#ifndef BRAID_LINK_H
#define BRAID_LINK_H

#include "braid/core.h"
#include "braid/record.h"

#include <stdint.h>

struct braid_nicknames;

/* ---------------------------------------------------------------- comparisons
 * One comparison per kind of evidence.  Values never renumbered (saved
 * models refer to them by name, but tests and explanations by number). */
enum braid_link_cmp {
	BRAID_LC_FIRST = 0, BRAID_LC_LAST, BRAID_LC_MIDDLE, BRAID_LC_DOB,
	BRAID_LC_SEX, BRAID_LC_SSN, BRAID_LC_ADDRESS, BRAID_LC_ZIP,
	BRAID_LC_CITY, BRAID_LC_PHONE, BRAID_LC_EMAIL, BRAID_LC_OTHER_ID,
	BRAID_LC__COUNT
};
#define BRAID_LINK_MAX_LEVELS 10
/* Level 0 of every comparison is "null" (a side is missing: weight 0);
 * level 1 is the strongest agreement; the last level is "else". */
const char *braid_link_cmp_name(enum braid_link_cmp c);
int braid_link_cmp_nlevels(enum braid_link_cmp c);
const char *braid_link_level_name(enum braid_link_cmp c, int level);

/* Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters, boost
 * above 0.7), exact to the published definition.  a, b are byte strings of
 * lengths la, lb (<= 255 is the fast path; longer strings are compared on
 * their first 255 bytes). */
double braid_jaro_winkler(const char *a, size_t la, const char *b, size_t lb);

/* ---------------------------------------------------------------- options */
struct braid_link_label {
	uint32_t a, b; /* indexes into the records array */
	int match;     /* 1 = same person, 0 = different people */
};

struct braid_link_opts {
	/* Blocks with more records than this are capped (skipped and
	 * reported): 0 = default 1000. */
	uint32_t max_block;
	/* Random pairs drawn to estimate u: 0 = default 1,000,000 (or all
	 * pairs when fewer). */
	uint64_t u_samples;
	int em_iterations;   /* 0 = default 25 */
	int threads;         /* 0 = default 2 */
	uint64_t seed;       /* sampling seed; 0 = a fixed default */
	int no_tf;           /* 1 = no term-frequency adjustment */
	int has_threshold;   /* 1 = use threshold (a match weight) as given */
	double threshold;
	/* Nickname table (borrowed); NULL = load the default table, and link
	 * without nicknames if it cannot be loaded. */
	const struct braid_nicknames *nicknames;
	/* Clerical decisions (borrowed): labelled matches refine m, and every
	 * labelled pair's decision is honoured in the clusters. */
	const struct braid_link_label *labels;
	size_t nlabels;
};

/* ---------------------------------------------------------------- the linker */
struct braid_linker;

/* Prepare n records (derives phonetic codes, nickname classes, parsed
 * dates, interned strings once).  Returns NULL with err set on failure. */
struct braid_linker *braid_linker_new(const struct braid_identity *recs, size_t n,
				      const struct braid_link_opts *opts,
				      struct braid_err *err);
void braid_linker_free(struct braid_linker *l);

/* Blocking rules chosen for these records, with their estimated pair
 * counts (exact counts of pairs per rule before deduplication, after the
 * cap).  Borrowed, valid until braid_linker_free. */
struct braid_link_rule_plan {
	const char *name;      /* "dob", "last_phonetic+first_initial", ... */
	uint64_t records;      /* records that have a key for this rule */
	uint64_t pairs;        /* pairs the rule generates (after the cap) */
	uint64_t capped_blocks;/* blocks over max_block, skipped */
	uint64_t capped_pairs; /* pairs those blocks would have generated */
	uint64_t new_pairs;    /* after run: pairs not produced by earlier rules */
};
braid_rc braid_linker_plan(struct braid_linker *l,
			   const struct braid_link_rule_plan **rules, size_t *nrules,
			   struct braid_err *err);

/* Clerical decisions (borrowed, indexes into this linker's records) to use
 * instead of opts.labels: a caller that learns the records' indexes only
 * from the linker (a restored one) gives them here, before running. */
void braid_linker_set_labels(struct braid_linker *l, const struct braid_link_label *labels,
			     size_t n);

/* Run everything: block, estimate u and m, score, threshold, cluster. */
braid_rc braid_linker_run(struct braid_linker *l, struct braid_err *err);

/* Results (after run; borrowed). */
struct braid_link_stats {
	uint64_t records, pairs_compared, pairs_accepted, pairs_review;
	/* a restored run: kept pairs scored again from their saved vectors */
	uint64_t pairs_rescored;
	uint64_t clusters, clusters_split; /* split by the anti-chaining guard */
	double threshold;       /* match weight at or above which pairs link */
	double review_low;      /* review band: [review_low, threshold) */
	double review_high;     /*             and [threshold, review_high) */
	double lambda;          /* prior probability that a random pair matches */
	double expected_f1;     /* the model's own estimate at the threshold */
	double seconds_block, seconds_model, seconds_score, seconds_cluster;
};
const struct braid_link_stats *braid_linker_stats(const struct braid_linker *l);
/* Cluster number per record (n entries). */
const uint32_t *braid_linker_clusters(const struct braid_linker *l);

/* Scored pairs at or above min_weight (accepted and review pairs). */
struct braid_link_pair {
	uint32_t a, b;
	float weight;
	float probability;
};
/* Pairs with weight >= min_weight, into a new array (caller frees). */
braid_rc braid_linker_pairs(const struct braid_linker *l, double min_weight,
			    struct braid_link_pair **out, size_t *n,
			    struct braid_err *err);

/* ---------------------------------------------------------------- explain */
struct braid_link_term {
	enum braid_link_cmp cmp;
	int level;
	double m, u;
	double weight;   /* log2(m/u) */
	double tf;       /* term-frequency adjustment (bits), 0 when none */
};
struct braid_link_explanation {
	double prior;    /* log2(lambda/(1-lambda)) */
	/* what the comparisons weigh together beyond the sum of their own
	 * weights (a model with match classes: e.g. a wrong date weighs less
	 * when both names agree exactly); 0 for a single-class model */
	double interaction;
	double weight;   /* prior + interaction + sum of (weight + tf) of the terms */
	double probability;
	int nterms;
	struct braid_link_term terms[BRAID_LC__COUNT];
};
/* The waterfall for records a and b (any two records, blocked or not). */
braid_rc braid_linker_explain(const struct braid_linker *l, uint32_t a, uint32_t b,
			      struct braid_link_explanation *out,
			      struct braid_err *err);
/* Human-readable waterfall into b (one line per term, then the total). */
braid_rc braid_link_explanation_format(const struct braid_link_explanation *e,
				       struct braid_buf *b);

/* ---------------------------------------------------------------- model */
/* The fitted parameters as JSON text (caller frees); NULL on OOM. */
char *braid_linker_model_json(const struct braid_linker *l);
/* A printable table of m, u and weights per level (caller frees). */
char *braid_linker_model_text(const struct braid_linker *l);

/* ---------------------------------------------------------------- eval */
struct braid_link_eval {
	uint64_t true_pairs, predicted_pairs, tp_pairs;
	double precision, recall, f1;
	uint64_t truth_entities, predicted_clusters;
	uint64_t over_merged;  /* predicted clusters holding >1 true entity */
	uint64_t split;        /* true entities spread over >1 cluster */
};
/* Compare predicted cluster numbers with truth entity numbers (any
 * integers; equal = same person) for n records. */
braid_rc braid_link_evaluate(const uint32_t *pred, const uint32_t *truth, size_t n,
			     struct braid_link_eval *out, struct braid_err *err);

/* ---------------------------------------------------------------- saved models
 * (persist.c, incremental.c) A later run, explain or review reuses the model
 * of an earlier run instead of estimating it again. */

/* Set the fitted parameters (prior, m/u/weight per level, active
 * comparisons, blocking rules, threshold and review band, whether term
 * frequencies adjust weights) from braid_linker_model_json's output.  Term
 * frequencies themselves are counted on this linker's records.  A
 * threshold given in the options overrides the saved one.  After this the
 * linker explains pairs and prints its model; braid_linker_run refuses
 * (the model is not estimated again): use braid_linker_run_incremental. */
braid_rc braid_linker_load_model(struct braid_linker *l, const char *json,
				 struct braid_err *err);

/* A pair scored by an earlier run (indexes into the records array).  The
 * run below overwrites weight with the pair's weight under this linker. */
struct braid_link_known_pair {
	uint32_t a, b;
	float weight;
};

/* Link with the loaded model, without estimating it: compare the blocked
 * pairs that involve at least one record with is_new[i] != 0 (is_new NULL:
 * every record, i.e. a full run with a kept model), score the known pairs
 * again (those among records that are not new; others are ignored), then
 * threshold and cluster all of them as braid_linker_run does.  Results are
 * read with the same calls (stats, clusters, pairs, explain). */
braid_rc braid_linker_run_incremental(struct braid_linker *l, const uint8_t *is_new,
				      struct braid_link_known_pair *known, size_t nknown,
				      struct braid_err *err);

/* ---------------------------------------------------------------- saved state
 * (state.c) After a run, the linker's prepared records (interned strings,
 * phonetic codes, parsed dates), term frequencies, clusters and the pairs
 * it kept (at or above the review band, with their comparison vectors)
 * can be written out, so that the next incremental run starts from them:
 * it prepares only the new records and scores the kept pairs again from
 * their vectors, instead of reading, preparing and comparing everything
 * again.  The bytes hold identifiers: the caller stores them sealed
 * (braid_cache_*) and decides whether they are current. */
typedef braid_rc (*braid_link_put_fn)(void *ctx, const void *p, size_t n,
				      struct braid_err *err);
typedef braid_rc (*braid_link_get_fn)(void *ctx, void *p, size_t n, struct braid_err *err);
/* Write the state of a linker that has run (any kind of run). */
braid_rc braid_linker_state_write(const struct braid_linker *l, braid_link_put_fn put,
				  void *ctx, struct braid_err *err);
/* A linker from a written state plus nmore new records (borrowed, like
 * braid_linker_new's), which take the indexes after the restored ones.
 * size bounds the state's bytes (0: unknown; arrays then grow as they are
 * read, which is slower).
 * Load the model (braid_linker_load_model), then braid_linker_run_restored.
 * NULL with err set when the state is not one this build wrote. */
struct braid_linker *braid_linker_state_read(braid_link_get_fn get, void *ctx, uint64_t size,
					     const struct braid_identity *more, size_t nmore,
					     const struct braid_link_opts *opts,
					     struct braid_err *err);
/* Records restored from the state (those after them are new), and the
 * cluster of each in the run that wrote it. */
size_t braid_linker_restored(const struct braid_linker *l);
const uint32_t *braid_linker_restored_clusters(const struct braid_linker *l);
/* Record key per record (the identities' record_key; restored ones from
 * the state), n entries. */
const int64_t *braid_linker_keys(const struct braid_linker *l);
/* braid_linker_run_incremental for a restored linker: the new records
 * against all, the saved pairs scored again from their vectors. */
braid_rc braid_linker_run_restored(struct braid_linker *l, struct braid_err *err);

/* Where a weight falls for these stats: 0 outside the uncertain band
 * (certain, or below it), 1 review (below the threshold), 2 accepted but
 * uncertain. */
int braid_link_band(const struct braid_link_stats *st, double w);
/* The pairs in the uncertain band with a record at index >= from (0: all),
 * into a new array (caller frees). */
braid_rc braid_linker_band_pairs(const struct braid_linker *l, size_t from,
				 struct braid_link_pair **out, size_t *n, struct braid_err *err);
/* After braid_linker_run_restored: the saved run's kept pairs whose band
 * changed, with their weight then and now (new array, caller frees). */
struct braid_link_rescored {
	uint32_t a, b;
	float then, now;
};
braid_rc braid_linker_band_changes(const struct braid_linker *l,
				   struct braid_link_rescored **out, size_t *n,
				   struct braid_err *err);

#endif
