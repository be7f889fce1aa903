/*
 * braid/release_store.h — what `braid release` keeps in the analytic store
 * (braid.db), through the portable SQL API of braid/store.h: the list of
 * releases made in this workspace, the workspace's release ledger (every
 * cell published or suppressed as primary by any earlier release, so that
 * differencing across releases is caught), and the differential-privacy
 * budget (epsilon) of each agreement with what has been spent of it.
 *
 * The disclosure-control algorithms themselves are in braid/release.h and
 * never touch the store; this file only persists their inputs and outputs.
 * Tables (release_list, release_ledger, release_budget, release_terms) are created on
 * first use.  The caller groups writes in a transaction
 * (braid_store_begin/commit) when they must land together.
 *
 * Ownership: const char * in records are borrowed for the callback only;
 * a returned ledger is the caller's (braid_ledger_free).  Nothing here
 * prints; errors name the table and the agreement, never data values.
 */
#ifndef BRAID_RELEASE_STORE_H
#define BRAID_RELEASE_STORE_H

#include "braid/core.h"
#include "braid/release.h"

#include <stdint.h>

struct braid_store;

/* The budget an agreement has when none was set (epsilon). */
#define BRAID_RELEASE_BUDGET_DEFAULT 1.0

/* Create the release tables when missing.  Idempotent. */
braid_rc braid_release_store_init(struct braid_store *s, struct braid_err *err);

/* The workspace's ledger: a new ledger (empty when nothing was released
 * yet) into *out, the caller's. */
braid_rc braid_release_ledger_load(struct braid_store *s, struct braid_ledger **out,
				   struct braid_err *err);
/* Replace the stored ledger with l. */
braid_rc braid_release_ledger_save(struct braid_store *s, const struct braid_ledger *l,
				   struct braid_err *err);

/* The budget of agreement into *b: its total (BRAID_RELEASE_BUDGET_DEFAULT
 * when never set) and what has been spent. */
braid_rc braid_release_budget_load(struct braid_store *s, const char *agreement,
				   struct braid_budget *b, struct braid_err *err);
/* Set an agreement's total (>= 0, finite) keeping what was spent. */
braid_rc braid_release_budget_set(struct braid_store *s, const char *agreement,
				  double total, struct braid_err *err);
/* Persist b->spent (and b->total) for b->agreement. */
braid_rc braid_release_budget_save(struct braid_store *s, const struct braid_budget *b,
				   struct braid_err *err);

/* The release terms of an agreement, set by an admin beside its budget
 * (`braid releases --set-terms`): 5/95 coding of percentages, the
 * denominator below which a rate is flagged unreliable, and k and l of
 * de-identified row extracts.  0 = not set (off; k then defaults to the
 * agreement's minimum cell size). */
struct braid_release_terms {
	int code_5_95;
	long min_denominator;
	long k;
	long l;
};
braid_rc braid_release_terms_load(struct braid_store *s, const char *agreement,
				  struct braid_release_terms *t, struct braid_err *err);
/* key: "code_5_95" (0/1), "min_denominator", "k", "l" (>= 0). */
braid_rc braid_release_terms_set(struct braid_store *s, const char *agreement, const char *key,
				 long value, struct braid_err *err);

/* One release as listed by `braid releases`. */
struct braid_release_rec {
	int64_t id;           /* set by braid_release_record_add */
	const char *created;  /* ISO UTC time "YYYY-MM-DDTHH:MM:SSZ" */
	const char *user;
	const char *agreement;
	const char *purpose;
	const char *query;    /* the query text */
	const char *tables;   /* comma-separated table names */
	const char *out_dir;  /* where the files were written */
	int64_t cells;        /* cells in the release (with margins) */
	int64_t suppressed;   /* cells suppressed (primary + complementary) */
	int64_t perturbed;    /* cells with noise */
	double epsilon;       /* 0 when no noise */
	const char *mechanism;/* "" when no noise */
	const char *hash;     /* the manifest's content_hash */
};
/* Append r; r->id gets the new id (1, 2, ...). */
braid_rc braid_release_record_add(struct braid_store *s, struct braid_release_rec *r,
				  struct braid_err *err);
/* Calls cb for every release in id order; a non-zero return stops. */
braid_rc braid_release_record_list(struct braid_store *s,
				   int (*cb)(void *ctx, const struct braid_release_rec *r),
				   void *ctx, struct braid_err *err);

#endif
