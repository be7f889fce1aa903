/*
 * The workspace (init, locate, open) and the store interface: every public
 * store function checks its handle and dispatches to the backend's table.
 *
 * The backend is chosen by braid.conf's `backend=` (only `sqlite` exists).
 * This file holds no SQL and no crypto.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_NAME "braid.conf"

static braid_rc join(char *out, size_t n, const char *dir, const char *name)
{
	int k = snprintf(out, n, "%s/%s", dir, name);
	return k < 0 || (size_t)k >= n ? BRAID_ETOOBIG : BRAID_OK;
}

int braid_workspace_exists(const char *dir)
{
	char p[4096];
	struct stat st;
	return !join(p, sizeof p, dir, CONF_NAME) && !stat(p, &st) && S_ISREG(st.st_mode);
}

/* Reads key=value lines of braid.conf into the few settings we know. */
struct conf {
	char backend[32];
	char key_file[4096];
};

static braid_rc conf_read(const char *dir, struct conf *c, struct braid_err *err)
{
	char p[4096];
	if (join(p, sizeof p, dir, CONF_NAME))
		return braid_err_set(err, BRAID_ETOOBIG, "workspace path too long");
	snprintf(c->backend, sizeof c->backend, "sqlite");
	snprintf(c->key_file, sizeof c->key_file, "vault.key");
	FILE *f = fopen(p, "r");
	if (!f)
		return braid_err_set(err, BRAID_ENOTFOUND,
				     "not a braid workspace: %s (run 'braid init')", dir);
	char line[4200];
	long ln = 0;
	while (fgets(line, sizeof line, f)) {
		ln++;
		braid_trim(line);
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			fclose(f);
			return braid_err_at(err, BRAID_EPARSE, p, ln, 1, "expected key=value");
		}
		*eq = 0;
		char *k = braid_trim(line), *v = braid_trim(eq + 1);
		if (!strcmp(k, "backend"))
			snprintf(c->backend, sizeof c->backend, "%s", v);
		else if (!strcmp(k, "key_file"))
			snprintf(c->key_file, sizeof c->key_file, "%s", v);
	}
	fclose(f);
	return BRAID_OK;
}

static braid_rc key_path(const char *dir, const struct conf *c, char *out, size_t n)
{
	const char *env = getenv("BRAID_KEY_FILE");
	if (env && *env)
		return snprintf(out, n, "%s", env) >= (int)n ? BRAID_ETOOBIG : BRAID_OK;
	if (c->key_file[0] == '/')
		return snprintf(out, n, "%s", c->key_file) >= (int)n ? BRAID_ETOOBIG : BRAID_OK;
	return join(out, n, dir, c->key_file);
}

braid_rc braid__store_key_path(const char *dir, char *out, size_t n, struct braid_err *err)
{
	struct conf c;
	braid_rc rc = conf_read(dir, &c, err);
	if (!rc && key_path(dir, &c, out, n))
		rc = braid_err_set(err, BRAID_ETOOBIG, "key path too long");
	return rc;
}

braid_rc braid_workspace_init(const char *dir, struct braid_err *err)
{
	if (sodium_init() < 0)
		return braid_err_set(err, BRAID_ECRYPTO, "libsodium failed to initialise");
	if (mkdir(dir, 0755) && errno != EEXIST)
		return braid_err_set(err, BRAID_EIO, "cannot create '%s': %s", dir,
				     strerror(errno));
	char p[4096], db[4096];
	if (braid_workspace_exists(dir))
		return braid_err_set(err, BRAID_EEXIST,
				     "'%s' is already a braid workspace", dir);
	struct stat st;
	if (join(db, sizeof db, dir, "braid.db") || !stat(db, &st))
		return braid_err_set(err, BRAID_EEXIST,
				     "'%s' already holds a braid.db; refusing to overwrite", dir);
	struct conf c;
	snprintf(c.backend, sizeof c.backend, "sqlite");
	const char *env = getenv("BRAID_KEY_FILE");
	snprintf(c.key_file, sizeof c.key_file, "%s", env && *env ? env : "vault.key");
	if (key_path(dir, &c, p, sizeof p))
		return braid_err_set(err, BRAID_ETOOBIG, "key path too long");
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return braid_err_set(err, errno == EEXIST ? BRAID_EEXIST : BRAID_EIO,
				     "cannot create vault key '%s': %s", p, strerror(errno));
	unsigned char key[crypto_kdf_KEYBYTES];
	crypto_kdf_keygen(key);
	ssize_t w = write(fd, key, sizeof key);
	sodium_memzero(key, sizeof key);
	if (w != (ssize_t)sizeof key || fsync(fd) || close(fd)) {
		unlink(p);
		return braid_err_set(err, BRAID_EIO, "cannot write vault key '%s'", p);
	}
	braid_rc rc = braid__sqlite_create(dir, err);
	if (rc)
		return rc;
	/* braid.conf last: its presence is what makes dir a workspace. */
	char tmp[4096];
	if (join(tmp, sizeof tmp, dir, CONF_NAME ".tmp") || join(p, sizeof p, dir, CONF_NAME))
		return braid_err_set(err, BRAID_ETOOBIG, "workspace path too long");
	FILE *f = fopen(tmp, "w");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot write '%s': %s", tmp,
				     strerror(errno));
	fprintf(f, "# braid workspace (see docs/workspace.md)\nformat=1\nbackend=%s\n"
		   "key_file=%s\n", c.backend, c.key_file);
	if (fclose(f) || rename(tmp, p))
		return braid_err_set(err, BRAID_EIO, "cannot write '%s'", p);
	return BRAID_OK;
}

braid_rc braid_store_open(const char *dir, struct braid_store **out,
			  struct braid_err *err)
{
	*out = NULL;
	struct conf c;
	braid_rc rc = conf_read(dir, &c, err);
	if (rc)
		return rc;
	if (strcmp(c.backend, "sqlite"))
		return braid_err_set(err, BRAID_EINVAL,
				     "braid.conf: backend '%s' is not supported (expected sqlite)",
				     c.backend);
	char kp[4096];
	if (key_path(dir, &c, kp, sizeof kp))
		return braid_err_set(err, BRAID_ETOOBIG, "key path too long");
	struct braid__vault_keys keys;
	rc = braid__vault_load_keys(kp, &keys, err);
	if (!rc)
		rc = braid__sqlite_open(dir, &keys, out, err);
	sodium_memzero(&keys, sizeof keys);
	if (!rc && !((*out)->dir = strdup(dir))) {
		braid_store_close(*out);
		*out = NULL;
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	return rc;
}

void braid_store_close(struct braid_store *s)
{
	if (!s)
		return;
	free(s->dir);
	s->ops->close(s);
}

braid_rc braid_store_begin(struct braid_store *s, struct braid_err *err)
{ return s->ops->begin(s, err); }
braid_rc braid_store_commit(struct braid_store *s, struct braid_err *err)
{ return s->ops->commit(s, err); }
void braid_store_rollback(struct braid_store *s)
{ s->ops->rollback(s); }
braid_rc braid_store_exec(struct braid_store *s, const char *sql, struct braid_err *err)
{ return s->ops->exec(s, sql, err); }
braid_rc braid_store_prepare(struct braid_store *s, const char *sql,
			     struct braid_stmt **out, struct braid_err *err)
{ return s->ops->prepare(s, sql, out, err); }
braid_rc braid_stmt_bind_int64(struct braid_stmt *st, int idx, int64_t v)
{ return st->store->ops->bind_int64(st, idx, v); }
braid_rc braid_stmt_bind_double(struct braid_stmt *st, int idx, double v)
{ return st->store->ops->bind_double(st, idx, v); }
braid_rc braid_stmt_bind_text(struct braid_stmt *st, int idx, const char *s, long n)
{ return st->store->ops->bind_text(st, idx, s, n); }
braid_rc braid_stmt_bind_null(struct braid_stmt *st, int idx)
{ return st->store->ops->bind_null(st, idx); }
braid_rc braid_stmt_step(struct braid_stmt *st, int *row, struct braid_err *err)
{ return st->store->ops->step(st, row, err); }
int braid_stmt_column_count(struct braid_stmt *st)
{ return st->store->ops->column_count(st); }
int braid_stmt_is_null(struct braid_stmt *st, int col)
{ return st->store->ops->is_null(st, col); }
int64_t braid_stmt_int64(struct braid_stmt *st, int col)
{ return st->store->ops->col_int64(st, col); }
double braid_stmt_double(struct braid_stmt *st, int col)
{ return st->store->ops->col_double(st, col); }
const char *braid_stmt_text(struct braid_stmt *st, int col)
{ return st->store->ops->col_text(st, col); }
void braid_stmt_reset(struct braid_stmt *st)
{ st->store->ops->reset(st); }
void braid_stmt_finalize(struct braid_stmt *st)
{ if (st) st->store->ops->finalize(st); }

braid_rc braid_store_source_add(struct braid_store *s, const char *name,
				const char *spec, int64_t *id, struct braid_err *err)
{ return s->ops->source_add(s, name, spec, id, err); }
braid_rc braid_store_source_get(struct braid_store *s, const char *name, int64_t *id,
				char **spec, struct braid_err *err)
{ return s->ops->source_get(s, name, id, spec, err); }
braid_rc braid_store_source_list(struct braid_store *s,
				 int (*cb)(void *, const struct braid_source_info *),
				 void *ctx, struct braid_err *err)
{ return s->ops->source_list(s, 1, cb, ctx, err); }
braid_rc braid_store_source_specs(struct braid_store *s,
				  int (*cb)(void *, const struct braid_source_info *),
				  void *ctx, struct braid_err *err)
{ return s->ops->source_list(s, 0, cb, ctx, err); }
braid_rc braid_store_batch_find(struct braid_store *s, int64_t source_id,
				const char *hash, int64_t *id, struct braid_err *err)
{ return s->ops->batch_find(s, source_id, hash, id, err); }
braid_rc braid_store_batch_find_quick(struct braid_store *s, int64_t source_id,
				      const char *quick, int64_t *id, struct braid_err *err)
{ return s->ops->batch_find_quick(s, source_id, quick, id, err); }
braid_rc braid_store_batch_begin(struct braid_store *s, struct braid_batch *b,
				 struct braid_err *err)
{ return s->ops->batch_begin(s, b, err); }
braid_rc braid_store_batch_finish(struct braid_store *s, const struct braid_batch *b,
				  struct braid_err *err)
{ return s->ops->batch_finish(s, b, err); }
braid_rc braid_store_batch_delete(struct braid_store *s, int64_t id, struct braid_err *err)
{ return s->ops->batch_delete(s, id, err); }
braid_rc braid_store_record_add(struct braid_store *s, const struct braid_record_row *r,
				int64_t *key, struct braid_err *err)
{ return s->ops->record_add(s, r, key, err); }
braid_rc braid_store_record_delete(struct braid_store *s, int64_t key, struct braid_err *err)
{ return s->ops->record_delete(s, key, err); }
braid_rc braid_store_event_add(struct braid_store *s, const struct braid_event_row *e,
			       struct braid_err *err)
{ return s->ops->event_add(s, e, err); }
braid_rc braid_store_identity_put(struct braid_store *s, const struct braid_identity *id,
				  int64_t batch_id, struct braid_err *err)
{ return s->ops->identity_put(s, id, batch_id, err); }
braid_rc braid_store_identity_iter(struct braid_store *s, int64_t source_id,
				   int64_t after_batch,
				   int (*cb)(void *, const struct braid_identity *),
				   void *ctx, struct braid_err *err)
{ return s->ops->identity_iter(s, source_id, after_batch, cb, ctx, err); }
braid_rc braid_store_identity_delete(struct braid_store *s, int64_t key,
				     struct braid_err *err)
{ return s->ops->identity_delete(s, key, err); }
int64_t braid_store_rid_hash(struct braid_store *s, const char *rid, size_t n)
{ return braid__vault_rid_hash(&s->keys, rid, n); }
braid_rc braid_store_rid_scan(struct braid_store *s, int64_t source_id,
			      int (*cb)(void *, int64_t, int64_t), void *ctx,
			      struct braid_err *err)
{ return s->ops->rid_scan(s, source_id, cb, ctx, err); }
braid_rc braid_store_reject_add(struct braid_store *s, const struct braid_reject *r,
				struct braid_err *err)
{ return s->ops->reject_add(s, r, err); }
braid_rc braid_store_reject_iter(struct braid_store *s, int64_t source_id, int with_raw,
				 int (*cb)(void *, const struct braid_reject *),
				 void *ctx, struct braid_err *err)
{ return s->ops->reject_iter(s, source_id, with_raw, cb, ctx, err); }

braid_rc braid_store_identity_put_sealed(struct braid_store *s, int64_t key,
					 int64_t source_id, int64_t batch_id,
					 const unsigned char *sealed, size_t n,
					 struct braid_err *err)
{ return s->ops->identity_put_sealed(s, key, source_id, batch_id, sealed, n, err); }
braid_rc braid_store_next_id(struct braid_store *s, const char *what, int64_t *out,
			     struct braid_err *err)
{ return s->ops->next_id(s, what, out, err); }
braid_rc braid_store_restrict_vault(struct braid_store *s, struct braid_err *err)
{ return s->ops->restrict_vault(s, err); }

/* ------------------------------------------------------------ sealers */
struct braid_sealer {
	struct braid__vault_keys keys; /* a copy, with its own nonce prefix */
	struct braid_buf enc;
};

struct braid_sealer *braid_sealer_new(struct braid_store *s)
{
	struct braid_sealer *z = sodium_malloc(sizeof *z);
	if (!z)
		return NULL;
	z->keys = s->keys;
	randombytes_buf(z->keys.nonce, sizeof z->keys.nonce);
	memset(z->keys.nonce, 0, 8);
	braid_buf_init(&z->enc, 1 << 22);
	return z;
}

void braid_sealer_free(struct braid_sealer *z)
{
	if (!z)
		return;
	if (z->enc.data)
		sodium_memzero(z->enc.data, z->enc.cap);
	braid_buf_release(&z->enc);
	sodium_free(z); /* zeroes the keys */
}

static braid_rc seal_into(struct braid_sealer *z, int64_t key, const void *m, size_t n,
			  struct braid_buf *out)
{
	braid_buf_reset(out);
	size_t need = braid__vault_sealed_len(n);
	braid_rc rc = braid_buf_grow(out, need + 1);
	if (rc)
		return rc;
	braid__vault_seal(&z->keys, key, m, n, (unsigned char *)out->data);
	out->len = need;
	return BRAID_OK;
}

braid_rc braid_sealer_identity(struct braid_sealer *z, const struct braid_identity *id,
			       struct braid_buf *out)
{
	braid_rc rc = braid__identity_encode(id, &z->enc);
	if (!rc)
		rc = seal_into(z, id->record_key, z->enc.data, z->enc.len, out);
	sodium_memzero(z->enc.data, z->enc.len);
	return rc;
}

braid_rc braid_identity_encode(const struct braid_identity *id, struct braid_buf *out)
{
	return braid__identity_encode(id, out);
}

braid_rc braid_sealer_raw(struct braid_sealer *z, int64_t id, const void *raw, size_t n,
			  struct braid_buf *out)
{
	return seal_into(z, id, n ? raw : "", n, out);
}
