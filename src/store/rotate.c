/*
 * Vault key rotation: every sealed row (identities, raw reject rows, the
 * token key) is opened with the current key and sealed again under a new
 * random key, and the keyed id hashes of records are recomputed, in one
 * transaction; then the key file is replaced atomically.
 *
 * Order, so that no crash loses the data: the new key is written to
 * KEYFILE.new and fsync'd, the transaction commits, then KEYFILE.new is
 * renamed over KEYFILE and the directory fsync'd.  A crash between commit
 * and rename leaves the only working key in KEYFILE.new (docs/governance.md
 * says to rename it).  The old key is kept nowhere: its file is replaced and
 * its bytes in memory are wiped.  Uses only the portable SQL API (sealed
 * bytes travel as hex; the update is an X'..' literal, never outside data).
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rot {
	struct braid_store *s;
	struct braid__vault_keys *nk;
	struct braid_buf sql;
	int64_t *keys;
	size_t n, cap;
};

static braid_rc collect(struct rot *r, const char *sql, struct braid_err *err)
{
	r->n = 0;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(r->s, sql, &st, err);
	while (!rc) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (r->n == r->cap) {
			size_t nc = r->cap ? r->cap * 2 : 1024;
			int64_t *p = braid_reallocarray(r->keys, nc, sizeof *p);
			if (!p) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			r->keys = p;
			r->cap = nc;
		}
		r->keys[r->n++] = braid_stmt_int64(st, 0);
	}
	braid_stmt_finalize(st);
	return rc;
}

/* Reseal the row of key id read by sel (?1 = id, one hex column) and write
 * it with upd (a printf format taking the hex and the id).  When rid is
 * set the plaintext is an identity whose id hash is recomputed. */
static braid_rc reseal(struct rot *r, struct braid_stmt *sel, int64_t id, const char *upd,
		       int rid, struct braid_err *err)
{
	braid_stmt_bind_int64(sel, 1, id);
	int row = 0;
	braid_rc rc = braid_stmt_step(sel, &row, err);
	if (rc || !row) {
		braid_stmt_reset(sel);
		return rc;
	}
	const char *hex = braid_stmt_text(sel, 0);
	size_t hl = strlen(hex), clen = 0, plen = 0;
	unsigned char *c = malloc(hl / 2 + 1), *p = NULL, *out = NULL;
	if (!c)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	else if (sodium_hex2bin(c, hl / 2 + 1, hex, hl, NULL, &clen, NULL) ||
		 braid__vault_open(&r->s->keys, id, c, clen, &p, &plen))
		rc = braid_err_set(err, BRAID_ECRYPTO, "vault row %lld does not decrypt with the "
				   "current key: nothing was changed", (long long)id);
	braid_stmt_reset(sel);
	free(c);
	int64_t h = 0;
	if (!rc && rid) {
		struct braid_identity ident;
		unsigned char *copy = malloc(plen + 1);
		if (!copy)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		else {
			memcpy(copy, p, plen + 1);
			if (braid__identity_decode(copy, plen, &ident))
				rc = braid_err_set(err, BRAID_ECRYPTO, "vault row %lld is malformed",
						   (long long)id);
			else
				h = braid__vault_rid_hash(r->nk, ident.source_record_id,
							  strlen(ident.source_record_id));
			sodium_memzero(copy, plen);
			free(copy);
		}
	}
	size_t olen = braid__vault_sealed_len(plen);
	if (!rc && !(out = malloc(olen)))
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	if (!rc) {
		braid__vault_seal(r->nk, id, p, plen, out);
		braid_buf_reset(&r->sql);
		size_t need = 2 * olen + 128;
		if ((rc = braid_buf_grow(&r->sql, need)))
			rc = braid_err_set(err, rc, "sealed row too large");
	}
	if (!rc) {
		char *hx = malloc(2 * olen + 1);
		if (!hx)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		else {
			sodium_bin2hex(hx, 2 * olen + 1, out, olen);
			int k = snprintf(r->sql.data, r->sql.cap, upd, hx, (long long)id);
			free(hx);
			if (k < 0 || (size_t)k >= r->sql.cap)
				rc = braid_err_set(err, BRAID_ETOOBIG, "sealed row too large");
			else
				rc = braid_store_exec(r->s, r->sql.data, err);
		}
	}
	if (!rc && rid) {
		char q[128];
		snprintf(q, sizeof q, "UPDATE records SET rid_hash=%lld WHERE record_key=%lld",
			 (long long)h, (long long)id);
		rc = braid_store_exec(r->s, q, err);
	}
	if (p) {
		sodium_memzero(p, plen);
		free(p);
	}
	free(out);
	return rc;
}

static braid_rc reseal_table(struct rot *r, const char *keys_sql, const char *sel_sql,
			     const char *upd, int rid, int64_t *count, struct braid_err *err)
{
	braid_rc rc = collect(r, keys_sql, err);
	struct braid_stmt *sel = NULL;
	if (!rc)
		rc = braid_store_prepare(r->s, sel_sql, &sel, err);
	for (size_t i = 0; i < r->n && !rc; i++)
		rc = reseal(r, sel, r->keys[i], upd, rid, err);
	braid_stmt_finalize(sel);
	if (!rc && count)
		*count += (int64_t)r->n;
	return rc;
}

static braid_rc write_key(const char *path, const unsigned char *k, size_t n,
			  struct braid_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return braid_err_set(err, BRAID_EIO, "cannot create '%s': %s", path, strerror(errno));
	int ok = write(fd, k, n) == (ssize_t)n && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return braid_err_set(err, BRAID_EIO, "cannot write '%s': %s", path, strerror(e));
	}
	return BRAID_OK;
}

static void fsync_dir_of(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	int fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

braid_rc braid_store_key_rotate(struct braid_store *s, const char *dir,
				struct braid_key_rotate_stats *stats, struct braid_err *err)
{
	memset(stats, 0, sizeof *stats);
	char kp[4096], np[4200];
	braid_rc rc = braid__store_key_path(dir, kp, sizeof kp, err);
	if (rc)
		return rc;
	snprintf(np, sizeof np, "%s.new", kp);
	/* The token key is carried over: tokens cannot be recomputed. */
	rc = braid_store_exec(s, "CREATE TABLE IF NOT EXISTS vault.withdrawn(token TEXT PRIMARY KEY)",
			      err);
	if (!rc)
		rc = braid__vault_token_key(s, err);
	if (rc)
		return rc;
	unsigned char master[crypto_kdf_KEYBYTES];
	randombytes_buf(master, sizeof master);
	struct braid__vault_keys nk;
	braid__vault_derive(master, &nk);
	memcpy(nk.tok, s->keys.tok, sizeof nk.tok);
	nk.tok_loaded = 1;
	struct rot r = {.s = s, .nk = &nk};
	braid_buf_init(&r.sql, (size_t)1 << 26);
	rc = write_key(np, master, sizeof master, err);
	sodium_memzero(master, sizeof master);
	if (!rc)
		rc = braid_store_begin(s, err);
	if (rc)
		goto out;
	rc = reseal_table(&r, "SELECT record_key FROM vault.identities",
			  "SELECT hex(sealed) FROM vault.identities WHERE record_key=?1",
			  "UPDATE vault.identities SET sealed=X'%s' WHERE record_key=%lld", 1,
			  &stats->identities, err);
	if (!rc)
		rc = reseal_table(&r, "SELECT reject_id FROM vault.reject_raw",
				  "SELECT hex(sealed) FROM vault.reject_raw WHERE reject_id=?1",
				  "UPDATE vault.reject_raw SET sealed=X'%s' WHERE reject_id=%lld", 0,
				  &stats->rejects, err);
	if (!rc) {
		/* The token key row, whose "record key" is BRAID__TOKEN_KEY_ID. */
		struct braid_stmt *sel;
		rc = braid_store_prepare(s, "SELECT value FROM vault.meta WHERE key='token_key'"
					 " AND ?1 = ?1", &sel, err);
		if (!rc)
			rc = reseal(&r, sel, BRAID__TOKEN_KEY_ID,
				    "UPDATE vault.meta SET value=lower('%s') WHERE key='token_key'"
				    " AND %lld < 0", 0, err);
		braid_stmt_finalize(sel);
	}
	if (!rc)
		rc = braid_store_commit(s, err);
	if (rc) {
		braid_store_rollback(s);
		unlink(np);
		goto out;
	}
	if (rename(np, kp) != 0) {
		/* Committed: the data now open only with the new key, which
		 * is in np.  Say so plainly. */
		rc = braid_err_set(err, BRAID_EIO,
				   "vault re-encrypted but the key file could not be replaced (%s): "
				   "the key is now in '%s'; move it to '%s'", strerror(errno), np, kp);
		goto out;
	}
	fsync_dir_of(kp);
	sodium_memzero(&s->keys, sizeof s->keys);
	s->keys = nk;
out:
	sodium_memzero(&nk, sizeof nk);
	free(r.keys);
	braid_buf_release(&r.sql);
	return rc;
}
