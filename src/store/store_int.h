/*
 * What the files of the store layer share: the backend function table, the
 * base of every store handle, and the vault's crypto (key loading, key
 * derivation, sealing and opening rows).  Not a public contract.
 */
#ifndef BRAID_STORE_INT_H
#define BRAID_STORE_INT_H

#include "braid/store.h"

#include <sodium.h>

/* Keys derived from the 32-byte vault key with crypto_kdf: one for sealing
 * rows, one for the keyed hash (SipHash) of source record ids.  The file key itself
 * is used for nothing else. */
struct braid__vault_keys {
	unsigned char box[crypto_secretbox_KEYBYTES];
	unsigned char rid[crypto_shorthash_KEYBYTES];
	/* Withdrawal tokens (withdrawn.c): keyed BLAKE2b of a withdrawn
	 * person's name and dob, and SSN.  A random key kept sealed in
	 * vault.meta (not derived from the file key), so that a key rotation
	 * re-seals it instead of orphaning every token; loaded on first use. */
	unsigned char tok[crypto_generichash_KEYBYTES];
	int tok_loaded;
	/* Household keys (household.c): the hash state keyed with a subkey
	 * of tok, made once and copied per address. */
	crypto_generichash_state hh;
	int hh_ready;
	/* Nonces: a random 16-byte prefix per open and a counter, so that no
	 * nonce repeats without a getrandom call per row. */
	unsigned char nonce[crypto_secretbox_NONCEBYTES];
};

struct braid_store_ops {
	const char *name;
	void (*close)(struct braid_store *s);
	braid_rc (*begin)(struct braid_store *s, struct braid_err *err);
	braid_rc (*commit)(struct braid_store *s, struct braid_err *err);
	void (*rollback)(struct braid_store *s);
	braid_rc (*exec)(struct braid_store *s, const char *sql, struct braid_err *err);
	braid_rc (*prepare)(struct braid_store *s, const char *sql,
			    struct braid_stmt **out, struct braid_err *err);
	braid_rc (*bind_int64)(struct braid_stmt *st, int idx, int64_t v);
	braid_rc (*bind_double)(struct braid_stmt *st, int idx, double v);
	braid_rc (*bind_text)(struct braid_stmt *st, int idx, const char *s, long n);
	braid_rc (*bind_null)(struct braid_stmt *st, int idx);
	braid_rc (*step)(struct braid_stmt *st, int *row, struct braid_err *err);
	int (*column_count)(struct braid_stmt *st);
	int (*is_null)(struct braid_stmt *st, int col);
	int64_t (*col_int64)(struct braid_stmt *st, int col);
	double (*col_double)(struct braid_stmt *st, int col);
	const char *(*col_text)(struct braid_stmt *st, int col);
	void (*reset)(struct braid_stmt *st);
	void (*finalize)(struct braid_stmt *st);

	braid_rc (*source_add)(struct braid_store *s, const char *name,
			       const char *spec, int64_t *id, struct braid_err *err);
	braid_rc (*source_get)(struct braid_store *s, const char *name, int64_t *id,
			       char **spec, struct braid_err *err);
	braid_rc (*source_list)(struct braid_store *s, int counts,
				int (*cb)(void *, const struct braid_source_info *),
				void *ctx, struct braid_err *err);
	braid_rc (*batch_find)(struct braid_store *s, int64_t source_id,
			       const char *hash, int64_t *id, struct braid_err *err);
	braid_rc (*batch_find_quick)(struct braid_store *s, int64_t source_id,
				     const char *quick, int64_t *id, struct braid_err *err);
	braid_rc (*batch_begin)(struct braid_store *s, struct braid_batch *b,
				struct braid_err *err);
	braid_rc (*batch_finish)(struct braid_store *s, const struct braid_batch *b,
				 struct braid_err *err);
	braid_rc (*batch_delete)(struct braid_store *s, int64_t id, struct braid_err *err);
	braid_rc (*record_add)(struct braid_store *s, const struct braid_record_row *r,
			       int64_t *key, struct braid_err *err);
	braid_rc (*record_delete)(struct braid_store *s, int64_t key, struct braid_err *err);
	braid_rc (*event_add)(struct braid_store *s, const struct braid_event_row *e,
			      struct braid_err *err);
	braid_rc (*identity_put)(struct braid_store *s, const struct braid_identity *id,
				 int64_t batch_id, struct braid_err *err);
	braid_rc (*identity_iter)(struct braid_store *s, int64_t source_id,
				  int64_t after_batch,
				  int (*cb)(void *, const struct braid_identity *),
				  void *ctx, struct braid_err *err);
	braid_rc (*identity_delete)(struct braid_store *s, int64_t key,
				    struct braid_err *err);
	braid_rc (*rid_scan)(struct braid_store *s, int64_t source_id,
			     int (*cb)(void *, int64_t, int64_t), void *ctx,
			     struct braid_err *err);
	braid_rc (*reject_add)(struct braid_store *s, const struct braid_reject *r,
			       struct braid_err *err);
	braid_rc (*identity_put_sealed)(struct braid_store *s, int64_t key, int64_t source_id,
					int64_t batch_id, const unsigned char *sealed, size_t n,
					struct braid_err *err);
	braid_rc (*next_id)(struct braid_store *s, const char *what, int64_t *out,
			    struct braid_err *err);
	braid_rc (*reject_iter)(struct braid_store *s, int64_t source_id, int with_raw,
				int (*cb)(void *, const struct braid_reject *),
				void *ctx, struct braid_err *err);
	braid_rc (*restrict_vault)(struct braid_store *s, struct braid_err *err);
};

/* First member of every backend's handle. */
struct braid_store {
	const struct braid_store_ops *ops;
	struct braid__vault_keys keys;
	char *dir; /* the workspace directory (caches live there); set by store.c */
};
struct braid_stmt {
	struct braid_store *store;
};

/* Backends. */
braid_rc braid__sqlite_open(const char *dir, const struct braid__vault_keys *keys,
			    struct braid_store **out, struct braid_err *err);
braid_rc braid__sqlite_create(const char *dir, struct braid_err *err);

/* Vault crypto (vault.c). */
/* The keys derived from a 32-byte master key (the key file's bytes). */
void braid__vault_derive(const unsigned char master[crypto_kdf_KEYBYTES],
			 struct braid__vault_keys *k);
/* The token key's record key in seals (no record has a negative key). */
#define BRAID__TOKEN_KEY_ID (-1)
/* Load (or create, inside the caller's transaction or autocommit) the
 * token key into s->keys.tok (withdrawn.c). */
braid_rc braid__vault_token_key(struct braid_store *s, struct braid_err *err);
/* The path of the workspace's key file (store.c). */
braid_rc braid__store_key_path(const char *dir, char *out, size_t n, struct braid_err *err);
braid_rc braid__vault_load_keys(const char *key_path, struct braid__vault_keys *k,
				struct braid_err *err);
/* Seal m (n bytes) for record/reject `key`: out gets nonce || box.  The
 * key is sealed inside too and checked on open, so a row moved to another
 * key does not decrypt as that record.  out must hold
 * braid__vault_sealed_len(n) bytes. */
size_t braid__vault_sealed_len(size_t n);
void braid__vault_seal(struct braid__vault_keys *k, int64_t key,
		       const void *m, size_t n, unsigned char *out);
/* Open a sealed blob; on success *m (n bytes, malloc'd, NUL-terminated) is
 * the caller's.  BRAID_ECRYPTO when it does not authenticate. */
braid_rc braid__vault_open(const struct braid__vault_keys *k, int64_t key,
			   const unsigned char *c, size_t clen, unsigned char **m,
			   size_t *n);
int64_t braid__vault_rid_hash(const struct braid__vault_keys *k, const char *rid,
			      size_t n);
/* Serialise an identity (rid, fields, invalid) into buf; and back (strings
 * point into data, which must stay alive). */
braid_rc braid__identity_encode(const struct braid_identity *id, struct braid_buf *buf);
braid_rc braid__identity_decode(const unsigned char *data, size_t n,
				struct braid_identity *id);

#endif
