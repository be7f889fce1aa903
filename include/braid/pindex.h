/*
 * braid/pindex.h — the master person index: stable, opaque person ids over
 * the clusters that linkage finds, and the history of every merge and split.
 *
 * Linkage (braid/link.h) numbers its clusters afresh on every run; this
 * layer maps those clusters onto person ids that survive re-runs: a cluster
 * keeps the id of the earlier person it shares the most records with (each
 * earlier id is given to one cluster at most), so an unchanged person keeps
 * its id, a merge keeps the id of the larger part, and a split keeps the id
 * on the larger piece.  Every change is written to person_history with its
 * reason.  Person ids are random ("P" + 12 base32 characters): they carry no
 * information about the person.
 *
 * The index lives in the analytic store (tables person, person_record,
 * person_history): person ids and record keys are pseudonymous.
 * Nothing here prints; errors travel in struct braid_err.
 */
#ifndef BRAID_PINDEX_H
#define BRAID_PINDEX_H

#include "braid/core.h"
#include "braid/store.h"

#include <stdint.h>

#define BRAID_PERSON_ID_LEN 13 /* "P" + 12 characters */

/* Create the index tables when missing (idempotent). */
braid_rc braid_pindex_schema(struct braid_store *s, struct braid_err *err);

struct braid_pindex_stats {
	uint64_t persons;   /* persons after the update */
	uint64_t created;   /* new persons made only of new records */
	uint64_t kept;      /* persons that kept their id (changed or not) */
	uint64_t unchanged; /* persons whose records did not change at all */
	uint64_t merged;    /* earlier persons merged into another */
	uint64_t split;     /* new persons split off an earlier one */
	uint64_t retired;   /* earlier persons whose records all left */
	uint64_t records_moved; /* records whose person id changed */
};

/* Apply a linkage result: record keys[i] is in cluster clusters[i]
 * (0..nclusters-1) for the n records that the index should hold after the
 * update (records of the index missing from keys are dropped from it).
 * reason is written into each history entry ("link run 4").  Call inside a
 * transaction (the caller commits). */
braid_rc braid_pindex_apply(struct braid_store *s, const int64_t *keys,
			    const uint32_t *clusters, size_t n, const char *reason,
			    struct braid_pindex_stats *stats, struct braid_err *err);

/* braid_pindex_apply for a part of the index: keys/clusters hold every
 * record of the clusters that changed and every record of the persons those
 * records belonged to before; the index outside the part (records, persons,
 * history) is left as it is, and stats count the part only (the caller
 * adds the persons it left alone). */
braid_rc braid_pindex_apply_part(struct braid_store *s, const int64_t *keys,
				 const uint32_t *clusters, size_t n, const char *reason,
				 struct braid_pindex_stats *stats, struct braid_err *err);

/* The person id of a record into out (BRAID_PERSON_ID_LEN + 1 bytes);
 * BRAID_ENOTFOUND when the record is not in the index. */
braid_rc braid_pindex_person_of(struct braid_store *s, int64_t record_key,
				char *out, struct braid_err *err);

/* Calls cb for each record of person_id (record key order). */
braid_rc braid_pindex_members(struct braid_store *s, const char *person_id,
			      int (*cb)(void *ctx, int64_t record_key),
			      void *ctx, struct braid_err *err);

struct braid_pindex_event {
	const char *time;     /* ISO 8601 UTC */
	const char *person_id;
	const char *event;    /* created, merged_into, absorbed, split_from,
				 split, retired */
	const char *other_id; /* the other person of a merge/split, or "" */
	int64_t records;      /* records involved */
	const char *reason;
};
/* History of person_id (entries naming it on either side), oldest first.
 * BRAID_ENOTFOUND when the id never existed. */
braid_rc braid_pindex_history(struct braid_store *s, const char *person_id,
			      int (*cb)(void *ctx, const struct braid_pindex_event *e),
			      void *ctx, struct braid_err *err);

/* Calls cb(ctx, record_key, person_id) for every indexed record. */
braid_rc braid_pindex_scan(struct braid_store *s,
			   int (*cb)(void *ctx, int64_t record_key, const char *person_id),
			   void *ctx, struct braid_err *err);

/* ------------------------------------------------------------ record sets
 * Every identity of the vault in memory, in record-key order, for linkage,
 * evaluation and export.  Decrypts identifiers: only the linker's commands
 * use it. */
struct braid_recset {
	struct braid_identity *recs; /* n, sorted by record_key */
	size_t n;
	struct braid_arena arena;    /* the strings */
	char **source_names;         /* by source id (index), NULL for gaps */
	size_t nsource_names;
};
/* Load every identity (after_batch 0) or those of batches > after_batch. */
braid_rc braid_recset_load(struct braid_store *s, int64_t after_batch,
			   struct braid_recset *rs, struct braid_err *err);
void braid_recset_release(struct braid_recset *rs);
/* Index of record_key in rs->recs, or -1. */
long braid_recset_find(const struct braid_recset *rs, int64_t record_key);
/* Source name of a source id ("" when unknown; borrowed). */
const char *braid_recset_source(const struct braid_recset *rs, int64_t source_id);
/* Record key of SOURCE:RECORD_ID (the source's own id), or BRAID_ENOTFOUND. */
braid_rc braid_recset_lookup(const struct braid_recset *rs, const char *source,
			     const char *record_id, int64_t *record_key,
			     struct braid_err *err);

/* ------------------------------------------------------------ saved link state
 * (src/link/linkstate.c) After a run, the linker's state (braid/link.h,
 * "saved state") is sealed into the workspace's "link" cache with the
 * counters below; the next run starts from it when they still hold: it
 * reads only the records of later batches and rewrites only the part of
 * the person index whose clusters changed. */
struct braid_link_opts;
struct braid_linker;
struct braid_linkstate {
	int64_t run;       /* the latest link run (link_run.id) */
	int64_t deleted;   /* records deleted so far (a trigger counts them) */
	int64_t max_batch; /* the latest batch */
};
/* The counters as they are now (before a run reads its records). */
braid_rc braid_linkstate_now(struct braid_store *s, struct braid_linkstate *now,
			     struct braid_err *err);
/* Seal l's state with the counters at (at->run = the run being stored),
 * on a thread of its own while the caller updates the person index and
 * commits: begin starts it (the linker must not change until end); end
 * waits and puts the file in place when keep (the run was committed), or
 * removes it (a rolled-back run: the older state still holds).  On failure
 * the older state may stay: its run number makes it stale. */
struct braid_linkstate_writer;
braid_rc braid_linkstate_save_begin(struct braid_store *s, const struct braid_linker *l,
				    const struct braid_linkstate *at,
				    struct braid_linkstate_writer **out, struct braid_err *err);
braid_rc braid_linkstate_save_end(struct braid_linkstate_writer *w, int keep,
				  struct braid_err *err);
/* Why a run could not start from the saved state. */
enum braid_linkstate_miss {
	BRAID_LS_USED = 0,   /* it could */
	BRAID_LS_NONE,       /* there is none */
	BRAID_LS_UNREADABLE, /* another key, damaged, another build */
	BRAID_LS_STALE,      /* not written by the latest run */
	BRAID_LS_DELETED     /* records were deleted since (withdrawal, ...) */
};
const char *braid_linkstate_miss_text(enum braid_linkstate_miss m);
/* A linker restored from the saved state with the records of later batches
 * added (read into rs, which the linker borrows), when the state is
 * current; otherwise *out NULL and *why says why (BRAID_OK both ways: an
 * error is a store that fails). */
braid_rc braid_linkstate_restore(struct braid_store *s, const struct braid_linkstate *now,
				 const struct braid_link_opts *opts, struct braid_recset *rs,
				 struct braid_linker **out, enum braid_linkstate_miss *why,
				 struct braid_err *err);
/* After a restored linker ran: the person index updated for the clusters
 * that differ from the saved run's (braid_pindex_apply_part), stats for
 * the whole index. */
braid_rc braid_linkstate_apply(struct braid_store *s, const struct braid_linker *l,
			       const char *reason, struct braid_pindex_stats *ps,
			       struct braid_err *err);

#endif
