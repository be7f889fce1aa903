/*
 * Shared inside src/policy: small helpers the agreement parser, the check,
 * the audit log and the store-backed layer all use.  Not a public contract.
 */
#ifndef BRAID_POLICY_INT_H
#define BRAID_POLICY_INT_H

#include "braid/policy.h"

/* 1 when s is [a-z][a-z0-9._-]* of at most max bytes (ids, purposes,
 * sources, fields). */
int braid__policy_token_ok(const char *s, size_t max);

/* (withdraw_rejects.c) Inside the caller's transaction: delete every
 * rejected row (reject log and sealed raw row) whose raw row carries a
 * withdrawal token now in the vault; *removed counts them. */
struct braid_store;
braid_rc braid__withdraw_rejects(struct braid_store *s, int64_t *removed, struct braid_err *err);

/* ---------------------------------------------------------------- audit.db
 * (audit_db.c) The audit log's own SQLite file: WAL, synchronous=NORMAL
 * (FULL with BRAID_AUDIT_SYNC=full), statements prepared once.  Rows are
 * stored as given: sealing and locking discipline are the caller's. */
struct braid__audit_db;
braid_rc braid__audit_db_open(const char *path, struct braid__audit_db **out,
			      struct braid_err *err);
void braid__audit_db_close(struct braid__audit_db *a); /* NULL accepted */
const char *braid__audit_db_path(const struct braid__audit_db *a);
/* BEGIN IMMEDIATE (the write lock, so the head read inside stays true). */
braid_rc braid__audit_db_begin(struct braid__audit_db *a, struct braid_err *err);
/* A read transaction (a consistent snapshot; end it with rollback). */
braid_rc braid__audit_db_begin_read(struct braid__audit_db *a, struct braid_err *err);
braid_rc braid__audit_db_commit(struct braid__audit_db *a, struct braid_err *err);
void braid__audit_db_rollback(struct braid__audit_db *a);
/* Make the following commits fsync (migration) or not (back to the
 * configured level). */
braid_rc braid__audit_db_set_full_sync(struct braid__audit_db *a, int full,
				       struct braid_err *err);
braid_rc braid__audit_db_head(struct braid__audit_db *a, int64_t *seq,
			      char hash[BRAID_HASH_HEX], struct braid_err *err);
braid_rc braid__audit_db_head_put(struct braid__audit_db *a, int64_t seq, const char *hash,
				  struct braid_err *err);
/* Insert a sealed entry; pos 0 = next position, else that position
 * (migration keeps the stored order of the old log). */
braid_rc braid__audit_db_insert(struct braid__audit_db *a, const struct braid_audit_entry *e,
				int64_t pos, struct braid_err *err);
/* Entries in stored order (by_pos: for verification) or in seq order
 * filtered by user and since (NULL = any); cb gets each with its stored
 * position; non-zero stops. */
/* Fill E's text columns (AUDIT_COLS order) from a row read through TEXT. */
void braid__audit_entry_fill(struct braid_audit_entry *e, const char *(*text)(void *st, int col),
			     void *st);
braid_rc braid__audit_db_scan(struct braid__audit_db *a, const char *user, const char *since,
			      int by_pos,
			      int (*cb)(void *ctx, const struct braid_audit_entry *e, int64_t pos),
			      void *ctx, struct braid_err *err);
braid_rc braid__audit_db_count(struct braid__audit_db *a, int64_t *n, struct braid_err *err);
/* *found = 1 when an entry with this seq and hash is stored. */
braid_rc braid__audit_db_has(struct braid__audit_db *a, int64_t seq, const char *hash,
			     int *found, struct braid_err *err);

#endif
