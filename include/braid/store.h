/*
 * braid/store.h — the workspace and the store behind one interface.
 *
 * A workspace is a directory holding braid.conf (key=value text), braid.db
 * (the analytic store: sources, batches, pseudonymous records, events, the
 * reject log), vault.db (identifiers, each row encrypted with libsodium
 * secretbox) and a 32-byte key file (vault.key, or $BRAID_KEY_FILE).
 *
 * The store is an interface: struct braid_store carries a table of
 * functions, and the SQLite backend (src/store/sqlite.c) is the one that
 * exists today.  A PostgreSQL backend can be added by filling the same
 * table; callers only use the functions declared here.
 *
 * Two kinds of API:
 *  - a small portable SQL API (exec, prepared statements) that upper layers
 *    use for their own tables (linkage person index, policy, queries);
 *  - typed operations for ingest (sources, batches, records, events,
 *    rejects) and for the vault (identities), so that encryption and the
 *    layout of identifier storage stay inside the store.
 *
 * The vault is attached to the analytic connection ("vault" schema), so a
 * transaction spans both files and commits atomically (rollback journal,
 * never WAL: WAL makes multi-file commits non-atomic).
 *
 * Ownership: const char * results are borrowed until the next call on the
 * same handle (statement or store); char * results are the caller's.
 * Nothing here prints or exits.
 */
#ifndef BRAID_STORE_H
#define BRAID_STORE_H

#include "braid/core.h"
#include "braid/record.h"

#include <stdint.h>

struct braid_store;
struct braid_stmt;

/* ------------------------------------------------------------ workspace */
/* Create a workspace in dir (created if missing): braid.conf, braid.db,
 * vault.db and the key file (0600, from randombytes; $BRAID_KEY_FILE
 * overrides its path).  BRAID_EEXIST when dir already is a workspace or the
 * key file already exists. */
braid_rc braid_workspace_init(const char *dir, struct braid_err *err);
/* True when dir holds a braid.conf written by braid_workspace_init. */
int braid_workspace_exists(const char *dir);

/* Open the workspace in dir.  BRAID_ENOTFOUND with "not a braid workspace:
 * DIR (run 'braid init')" when it is not one; BRAID_ECRYPTO when the key is
 * missing or the wrong size. */
braid_rc braid_store_open(const char *dir, struct braid_store **out,
			  struct braid_err *err);
/* Closes; an open transaction is rolled back.  NULL is accepted. */
void braid_store_close(struct braid_store *s);

/* ---------------------------------------------------------- transactions */
/* One level (no nesting): begin fails with BRAID_ESTORE when one is open. */
braid_rc braid_store_begin(struct braid_store *s, struct braid_err *err);
braid_rc braid_store_commit(struct braid_store *s, struct braid_err *err);
/* Never fails visibly; safe to call when no transaction is open. */
void braid_store_rollback(struct braid_store *s);

/* ------------------------------------------------------- portable SQL
 * SQL is the common subset of SQLite and PostgreSQL; parameters are
 * written ?1, ?2, ... (1-based). */
braid_rc braid_store_exec(struct braid_store *s, const char *sql,
			  struct braid_err *err);
braid_rc braid_store_prepare(struct braid_store *s, const char *sql,
			     struct braid_stmt **out, struct braid_err *err);
braid_rc braid_stmt_bind_int64(struct braid_stmt *st, int idx, int64_t v);
braid_rc braid_stmt_bind_double(struct braid_stmt *st, int idx, double v);
/* The text is copied; n < 0 means strlen(s).  s NULL binds NULL. */
braid_rc braid_stmt_bind_text(struct braid_stmt *st, int idx, const char *s,
			      long n);
braid_rc braid_stmt_bind_null(struct braid_stmt *st, int idx);
/* *row = 1 when a row is available, 0 when done. */
braid_rc braid_stmt_step(struct braid_stmt *st, int *row, struct braid_err *err);
int braid_stmt_column_count(struct braid_stmt *st);
int braid_stmt_is_null(struct braid_stmt *st, int col);     /* 0-based */
int64_t braid_stmt_int64(struct braid_stmt *st, int col);
double braid_stmt_double(struct braid_stmt *st, int col);
/* Borrowed until the next step/reset/finalize; "" for NULL. */
const char *braid_stmt_text(struct braid_stmt *st, int col);
/* Reset to run again; bindings are cleared. */
void braid_stmt_reset(struct braid_stmt *st);
void braid_stmt_finalize(struct braid_stmt *st); /* NULL accepted */

/* ------------------------------------------------------------- sources */
/* Register a source with its canonical spec text.  BRAID_EEXIST when the
 * name is taken. */
braid_rc braid_store_source_add(struct braid_store *s, const char *name,
				const char *spec_text, int64_t *id,
				struct braid_err *err);
/* *spec_text (may be NULL) is the caller's.  BRAID_ENOTFOUND. */
braid_rc braid_store_source_get(struct braid_store *s, const char *name,
				int64_t *id, char **spec_text,
				struct braid_err *err);
struct braid_source_info {
	int64_t id;
	const char *name;      /* borrowed for the callback */
	const char *spec_text;
	const char *created;   /* ISO time */
	int64_t batches, records, rejects;
};
/* Calls cb for each source, by name; a non-zero return stops. */
braid_rc braid_store_source_list(struct braid_store *s,
				 int (*cb)(void *ctx, const struct braid_source_info *),
				 void *ctx, struct braid_err *err);
/* The same without the counts (batches, records, rejects are 0): what a
 * reader of specs wants, without counting every source's records (a scan
 * of the records per source: a second over a million records). */
braid_rc braid_store_source_specs(struct braid_store *s,
				  int (*cb)(void *ctx, const struct braid_source_info *),
				  void *ctx, struct braid_err *err);

/* ------------------------------------------------------------- batches */
struct braid_batch {
	int64_t id, source_id;
	const char *file;          /* as given on the command line */
	const char *content_hash;  /* hex BLAKE2b-256 of the bytes */
	const char *quick_hash;    /* hex fingerprint of size, head and tail (or NULL) */
	int64_t rows_read, rows_loaded, rows_rejected, values_flagged;
};
/* The batch of source_id that loaded content_hash: *id, or
 * BRAID_ENOTFOUND. */
braid_rc braid_store_batch_find(struct braid_store *s, int64_t source_id,
				const char *content_hash, int64_t *id,
				struct braid_err *err);
/* The batch of source_id whose quick fingerprint is quick_hash: *id, or
 * BRAID_ENOTFOUND (a cheap pre-check: equal content has equal
 * fingerprints, so when none matches the full hash may be computed while
 * loading). */
braid_rc braid_store_batch_find_quick(struct braid_store *s, int64_t source_id,
				      const char *quick_hash, int64_t *id,
				      struct braid_err *err);
/* Start a batch (inside a transaction); b->id is set. */
braid_rc braid_store_batch_begin(struct braid_store *s, struct braid_batch *b,
				 struct braid_err *err);
/* Record the final counts of b, and its content_hash (known only at the
 * end when the file was hashed while it loaded). */
braid_rc braid_store_batch_finish(struct braid_store *s,
				  const struct braid_batch *b,
				  struct braid_err *err);
/* Delete a batch with its records, identities, events and rejects. */
braid_rc braid_store_batch_delete(struct braid_store *s, int64_t batch_id,
				  struct braid_err *err);

/* ------------------------------------------------------------- records
 * The analytic side of a record: no identifiers.  present/invalid are bit
 * sets over enum braid_field (field given / given but invalid). */
struct braid_record_row {
	int64_t record_key;        /* 0 = the store assigns the next key */
	int64_t source_id, batch_id;
	int64_t row;               /* data row number in its file */
	const char *sex, *race, *ethnicity, *zip5; /* "" = missing */
	int birth_year;            /* 0 = missing */
	uint32_t present, invalid;
	int64_t rid_hash;          /* braid_store_rid_hash of the source record id */
	const char *attrs_json;    /* record-level attributes (a JSON object) or NULL */
	const char *tract, *district; /* geography of the address (src/geo) or NULL */
	int64_t addr_key;          /* household key (braid_store_addr_key), 0 = none */
};
/* Insert; *record_key is the new pseudonymous key (r->record_key when
 * given: see braid_store_next_id). */
braid_rc braid_store_record_add(struct braid_store *s,
				const struct braid_record_row *r,
				int64_t *record_key, struct braid_err *err);
/* Delete a record with its events, identity and id hash. */
braid_rc braid_store_record_delete(struct braid_store *s, int64_t record_key,
				   struct braid_err *err);

struct braid_event_row {
	int64_t record_key, batch_id;
	const char *type;
	const char *start, *end;     /* "YYYY-MM-DD" or NULL */
	const char *program, *provider; /* NULL = missing */
	int has_amount;
	double amount;
	const char *attrs_json;      /* NULL or a JSON object */
	uint32_t invalid;            /* bit 0 start, 1 end, 2 amount */
};
braid_rc braid_store_event_add(struct braid_store *s,
			       const struct braid_event_row *e,
			       struct braid_err *err);

/* ------------------------------------------------------------- vault */
/* Put id (record_key, source_id, source_record_id, v[], invalid) for
 * batch_id: encrypted with secretbox under a key derived from the vault
 * key, with a fresh nonce stored beside it.  (The keyed hash of the source
 * record id, for duplicate detection, travels with the record row.) */
braid_rc braid_store_identity_put(struct braid_store *s,
				  const struct braid_identity *id,
				  int64_t batch_id, struct braid_err *err);
/* Calls cb with each decrypted identity of source_id (0 = all sources)
 * loaded by a batch with id > after_batch (0 = all), in record_key order.
 * The identity's strings are valid during the callback only.  A non-zero
 * return stops.  BRAID_ECRYPTO when a row does not decrypt. */
braid_rc braid_store_identity_iter(struct braid_store *s, int64_t source_id,
				   int64_t after_batch,
				   int (*cb)(void *ctx, const struct braid_identity *id),
				   void *ctx, struct braid_err *err);
braid_rc braid_store_identity_delete(struct braid_store *s, int64_t record_key,
				     struct braid_err *err);
/* Keyed hash (SipHash-2-4, crypto_shorthash, keyed with a key derived from
 * the vault key) of a source record id, truncated to 63 bits: equal ids
 * give equal values within one workspace; without the key the value says
 * nothing.  Also used to count distinct identifier values without keeping
 * them. */
int64_t braid_store_rid_hash(struct braid_store *s, const char *rid, size_t n);
/* Household key (src/store/household.c): keyed BLAKE2b, under a subkey of
 * the vault's token key (so it survives key rotation), of a standardised
 * address (house number, street, unit, ZIP5; NULL = ""), truncated to 63
 * bits, never 0.  Equal addresses give equal keys within one workspace;
 * without the key the value says nothing about the address. */
braid_rc braid_store_addr_key(struct braid_store *s, const char *number, const char *street,
			      const char *unit, const char *zip5, int64_t *out,
			      struct braid_err *err);
/* Calls cb(ctx, record_key, rid_hash) for every record of source_id. */
braid_rc braid_store_rid_scan(struct braid_store *s, int64_t source_id,
			      int (*cb)(void *ctx, int64_t key, int64_t hash),
			      void *ctx, struct braid_err *err);

/* ------------------------------------------------------------ sealed caches
 * (src/store/cache.c) A cache is a file in the workspace, NAME.cache, with
 * derived data that a later command may start from instead of computing it
 * again (the linker's prepared records).  It holds identifiers, so it is
 * sealed under a key derived from the vault key (a key rotation makes it
 * unreadable); it is written whole to a temporary file and renamed, so a
 * reader sees a whole cache or the previous one.  A cache is never the only
 * copy of anything: a reader that cannot use it (BRAID_ENOTFOUND: none;
 * BRAID_ECRYPTO: another key, truncated or altered) computes instead.  What
 * makes a cache current (a run number, counters) is the caller's to store
 * inside it and check. */
struct braid_cache_w;
struct braid_cache_r;
braid_rc braid_cache_create(struct braid_store *s, const char *name,
			    struct braid_cache_w **out, struct braid_err *err);
braid_rc braid_cache_put(struct braid_cache_w *w, const void *p, size_t n,
			 struct braid_err *err);
/* Seal the rest and put the file in place; frees w whatever happens. */
braid_rc braid_cache_commit(struct braid_cache_w *w, struct braid_err *err);
/* Frees w and removes the temporary file (NULL accepted). */
void braid_cache_abort(struct braid_cache_w *w);
braid_rc braid_cache_open(struct braid_store *s, const char *name,
			  struct braid_cache_r **out, struct braid_err *err);
/* Exactly n bytes, in the order they were put. */
braid_rc braid_cache_get(struct braid_cache_r *r, void *p, size_t n, struct braid_err *err);
/* BRAID_OK when everything put has been read and the cache ends there. */
braid_rc braid_cache_end(struct braid_cache_r *r, struct braid_err *err);
void braid_cache_close(struct braid_cache_r *r); /* NULL accepted */
/* The cache file's size: an upper bound of the bytes it holds. */
uint64_t braid_cache_size(const struct braid_cache_r *r);
/* Remove NAME.cache (when there is one). */
void braid_cache_drop(struct braid_store *s, const char *name);

/* ------------------------------------------------------------- rejects */
struct braid_reject {
	int64_t id;           /* reject_add: 0 = assigned by the store */
	int64_t source_id, batch_id;
	const char *file;
	long line, column;
	const char *reason;   /* never contains identifier values */
	const char *raw;      /* the raw row (decrypted), or NULL */
	size_t raw_len;
	/* reject_add only: the raw row already sealed for id by a
	 * braid_sealer (then raw is ignored and id must be given). */
	const unsigned char *sealed;
	size_t sealed_len;
};
/* The raw row is encrypted into the vault; the rest stays in clear. */
braid_rc braid_store_reject_add(struct braid_store *s,
				const struct braid_reject *r,
				struct braid_err *err);
/* Calls cb for each reject of source_id in load order; with_raw decrypts
 * the raw rows (otherwise r->raw is NULL). */
braid_rc braid_store_reject_iter(struct braid_store *s, int64_t source_id,
				 int with_raw,
				 int (*cb)(void *ctx, const struct braid_reject *r),
				 void *ctx, struct braid_err *err);

/* ------------------------------------------------------- pipelined loads
 * A loader may prepare rows on one thread (validate, seal) while another
 * writes them.  The preparing thread seals with its own braid_sealer and
 * assigns keys itself from braid_store_next_id, so it never touches the
 * connection; the writing thread stores the sealed blobs. */
struct braid_sealer;
/* A sealer with the workspace's vault keys and its own nonce sequence.
 * One sealer per thread.  NULL on OOM. */
struct braid_sealer *braid_sealer_new(struct braid_store *s);
void braid_sealer_free(struct braid_sealer *z); /* NULL accepted */
/* Seal id (id->record_key set) into out (reset first). */
braid_rc braid_sealer_identity(struct braid_sealer *z, const struct braid_identity *id,
			       struct braid_buf *out);
/* The plaintext layout of a sealed identity, into out (reset first):
 * braid_sealer_identity(z, id, out) is braid_identity_encode followed by
 * braid_sealer_raw(z, id->record_key, ...), so a loader may encode on one
 * thread and seal on another. */
braid_rc braid_identity_encode(const struct braid_identity *id, struct braid_buf *out);
/* Seal a raw reject row for reject id `id` (or encoded identity bytes for
 * record key `id`) into out (reset first). */
braid_rc braid_sealer_raw(struct braid_sealer *z, int64_t id, const void *raw,
			  size_t n, struct braid_buf *out);
/* Store an identity sealed by braid_sealer_identity. */
braid_rc braid_store_identity_put_sealed(struct braid_store *s, int64_t record_key,
					 int64_t source_id, int64_t batch_id,
					 const unsigned char *sealed, size_t n,
					 struct braid_err *err);
/* The next free record key (what = "records") or reject id ("rejects"):
 * keys from here on may be given explicitly inside the open transaction. */
braid_rc braid_store_next_id(struct braid_store *s, const char *what, int64_t *out,
			     struct braid_err *err);

/* ------------------------------------------------------------ withdrawal
 * (src/store/withdrawn.c) A withdrawn person leaves behind only keyed
 * tokens in vault.withdrawn: BLAKE2b keyed with a key derived from the
 * vault key, over the folded last name, first name and dob (when all three
 * are known) and over the SSN (when known).  Without the key a token says
 * nothing; with it, a later load can recognise the same person and leave
 * the row out. */
#define BRAID_TOKEN_LEN 16
/* The tokens of id into tok (0, 1 or 2 of them; the count is returned).
 * Reads only the keys of s, so a loader's producing thread may call it. */
int braid_store_person_tokens(const struct braid_store *s, const struct braid_identity *id,
			      unsigned char tok[2][BRAID_TOKEN_LEN]);
/* Withdraw one record inside the caller's transaction: when with_tokens,
 * its identity's tokens are kept in vault.withdrawn first; then its
 * identity, events and analytic row are deleted. */
braid_rc braid_store_withdraw_record(struct braid_store *s, int64_t record_key,
				     int with_tokens, struct braid_err *err);
/* Every withdrawal token, sorted (memcmp order), BRAID_TOKEN_LEN bytes
 * each: *out (NULL when none) is the caller's. */
braid_rc braid_store_withdrawn_tokens(struct braid_store *s, unsigned char **out,
				      size_t *n, struct braid_err *err);
/* 1 when the token tok is in the sorted array toks (n of them). */
int braid_token_find(const unsigned char *toks, size_t n, const unsigned char *tok);

/* ------------------------------------------------------------ vault guard
 * From now on every statement on s that touches the vault schema (read,
 * write, pragma) fails with BRAID_ESTORE ("not authorized" / "prohibited"), as do ATTACH
 * and DETACH; identity and reject-row operations fail too.  For sessions of
 * users who may not read identifiers (cli_login).  Cannot be undone on s. */
braid_rc braid_store_restrict_vault(struct braid_store *s, struct braid_err *err);

/* ------------------------------------------------------------ key rotation
 * (src/store/rotate.c) Re-seal every vault row (identities, raw reject
 * rows, the token key) under a new random key and recompute the keyed id
 * hashes, in one transaction, then replace the key file of the workspace
 * in dir atomically (KEYFILE.new, fsync, rename, fsync of the directory).
 * On success s keeps working with the new key; the old one is wiped. */
struct braid_key_rotate_stats {
	int64_t identities, rejects;
};
braid_rc braid_store_key_rotate(struct braid_store *s, const char *dir,
				struct braid_key_rotate_stats *stats, struct braid_err *err);

#endif
