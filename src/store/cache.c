/*
 * cache.c — sealed cache files in the workspace (braid/store.h, "sealed
 * caches"): derived data a later command may start from instead of
 * computing it again, such as the linker's prepared records.
 *
 * A cache holds identifiers, so it is sealed like the vault: libsodium's
 * secretstream (XChaCha20-Poly1305) in chunks of up to 1 MiB, under a key
 * derived from the vault's sealing key, so a key rotation makes every cache
 * unreadable (the reader then recomputes).  The last chunk carries the
 * FINAL tag: a truncated file, a reordered or altered chunk and trailing
 * bytes all fail to open.  It is written to NAME.cache.tmp and renamed,
 * so a reader sees a whole cache or the previous one, never a part; it is
 * not fsynced (a cache lost in a crash is recomputed).
 *
 * It does not decide whether a cache is current: the caller stores what it
 * needs to tell (a run number, counters) inside the cache.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define MAGIC "BRAIDCH1"

struct braid_cache_w {
	FILE *f;
	char *path, *tmp;
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char *buf, *out; /* plaintext chunk, sealed chunk */
	size_t n;
};

struct braid_cache_r {
	FILE *f;
	uint64_t size;
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char *buf, *in;
	size_t n, off; /* plaintext bytes in buf, read so far */
	int final;
};

static void cache_key(const struct braid_store *s,
		      unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES])
{
	static const char ctx[] = "braid cache key v1";
	crypto_generichash(key, crypto_secretstream_xchacha20poly1305_KEYBYTES,
			   (const unsigned char *)ctx, sizeof ctx - 1, s->keys.box,
			   sizeof s->keys.box);
}

static char *cache_path(const struct braid_store *s, const char *name, const char *ext)
{
	if (!s->dir)
		return NULL;
	size_t n = strlen(s->dir) + strlen(name) + strlen(ext) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s%s", s->dir, name, ext);
	return p;
}

void braid_cache_abort(struct braid_cache_w *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	if (w->tmp)
		unlink(w->tmp);
	free(w->path);
	free(w->tmp);
	free(w->buf);
	free(w->out);
	sodium_memzero(&w->st, sizeof w->st);
	free(w);
}

braid_rc braid_cache_create(struct braid_store *s, const char *name,
			    struct braid_cache_w **out, struct braid_err *err)
{
	*out = NULL;
	struct braid_cache_w *w = calloc(1, sizeof *w);
	if (!w || !(w->path = cache_path(s, name, ".cache")) ||
	    !(w->tmp = cache_path(s, name, ".cache.tmp")) || !(w->buf = malloc(CHUNK)) ||
	    !(w->out = malloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES))) {
		if (w && w->tmp) {
			free(w->tmp);
			w->tmp = NULL; /* not created: nothing to unlink */
		}
		braid_cache_abort(w);
		return braid_err_set(err, BRAID_ENOMEM, "cache %s: out of memory", name);
	}
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	unsigned char hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	cache_key(s, key);
	crypto_secretstream_xchacha20poly1305_init_push(&w->st, hdr, key);
	sodium_memzero(key, sizeof key);
	if (!(w->f = fopen(w->tmp, "wbx"))) {
		unlink(w->tmp); /* a stale one from a run that died */
		w->f = fopen(w->tmp, "wbx");
	}
	if (!w->f || fwrite(MAGIC, 1, 8, w->f) != 8 || fwrite(hdr, 1, sizeof hdr, w->f) != sizeof hdr) {
		braid_rc rc = braid_err_set(err, BRAID_EIO, "%s: cannot write", w->tmp);
		if (!w->f) {
			free(w->tmp);
			w->tmp = NULL;
		}
		braid_cache_abort(w);
		return rc;
	}
	*out = w;
	return BRAID_OK;
}

static braid_rc push(struct braid_cache_w *w, unsigned char tag, struct braid_err *err)
{
	unsigned long long clen;
	crypto_secretstream_xchacha20poly1305_push(&w->st, w->out, &clen, w->buf, w->n, NULL, 0,
						   tag);
	unsigned char len[4] = {(unsigned char)clen, (unsigned char)(clen >> 8),
				(unsigned char)(clen >> 16), (unsigned char)(clen >> 24)};
	if (fwrite(len, 1, 4, w->f) != 4 || fwrite(w->out, 1, (size_t)clen, w->f) != clen)
		return braid_err_set(err, BRAID_EIO, "%s: cannot write (disk full?)", w->tmp);
	w->n = 0;
	return BRAID_OK;
}

braid_rc braid_cache_put(struct braid_cache_w *w, const void *p, size_t n,
			 struct braid_err *err)
{
	const unsigned char *c = p;
	while (n) {
		size_t k = CHUNK - w->n < n ? CHUNK - w->n : n;
		memcpy(w->buf + w->n, c, k);
		w->n += k;
		c += k;
		n -= k;
		braid_rc rc;
		if (w->n == CHUNK && (rc = push(w, 0, err)))
			return rc;
	}
	return BRAID_OK;
}

braid_rc braid_cache_commit(struct braid_cache_w *w, struct braid_err *err)
{
	braid_rc rc = push(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err);
	if (!rc) {
		int bad = fclose(w->f);
		w->f = NULL;
		if (bad || rename(w->tmp, w->path))
			rc = braid_err_set(err, BRAID_EIO, "%s: cannot write", w->path);
	}
	braid_cache_abort(w); /* the temporary is gone when renamed */
	return rc;
}

void braid_cache_close(struct braid_cache_r *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r->in);
	sodium_memzero(&r->st, sizeof r->st);
	free(r);
}

braid_rc braid_cache_open(struct braid_store *s, const char *name,
			  struct braid_cache_r **out, struct braid_err *err)
{
	*out = NULL;
	char *path = cache_path(s, name, ".cache");
	struct braid_cache_r *r = calloc(1, sizeof *r);
	if (!path || !r || !(r->buf = malloc(CHUNK)) ||
	    !(r->in = malloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES))) {
		free(path);
		braid_cache_close(r);
		return braid_err_set(err, BRAID_ENOMEM, "cache %s: out of memory", name);
	}
	r->f = fopen(path, "rb");
	free(path);
	struct stat st;
	if (r->f && !fstat(fileno(r->f), &st))
		r->size = (uint64_t)st.st_size;
	if (!r->f) {
		braid_cache_close(r);
		return braid_err_set(err, BRAID_ENOTFOUND, "no %s cache", name);
	}
	unsigned char magic[8], hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	cache_key(s, key);
	int bad = fread(magic, 1, 8, r->f) != 8 || memcmp(magic, MAGIC, 8) ||
		  fread(hdr, 1, sizeof hdr, r->f) != sizeof hdr ||
		  crypto_secretstream_xchacha20poly1305_init_pull(&r->st, hdr, key);
	sodium_memzero(key, sizeof key);
	if (bad) {
		braid_cache_close(r);
		return braid_err_set(err, BRAID_ECRYPTO, "the %s cache does not open", name);
	}
	*out = r;
	return BRAID_OK;
}

static braid_rc pull(struct braid_cache_r *r, struct braid_err *err)
{
	unsigned char len[4];
	if (r->final || fread(len, 1, 4, r->f) != 4)
		return braid_err_set(err, BRAID_ECRYPTO, "cache: truncated");
	size_t clen = (size_t)len[0] | (size_t)len[1] << 8 | (size_t)len[2] << 16 |
		      (size_t)len[3] << 24;
	unsigned long long mlen;
	unsigned char tag;
	if (clen < crypto_secretstream_xchacha20poly1305_ABYTES ||
	    clen > CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES ||
	    fread(r->in, 1, clen, r->f) != clen ||
	    crypto_secretstream_xchacha20poly1305_pull(&r->st, r->buf, &mlen, &tag, r->in, clen,
						       NULL, 0))
		return braid_err_set(err, BRAID_ECRYPTO, "cache: a chunk does not open");
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		r->final = 1;
		if (fgetc(r->f) != EOF)
			return braid_err_set(err, BRAID_ECRYPTO, "cache: bytes after the end");
	}
	r->n = (size_t)mlen;
	r->off = 0;
	return BRAID_OK;
}

braid_rc braid_cache_get(struct braid_cache_r *r, void *p, size_t n, struct braid_err *err)
{
	unsigned char *c = p;
	while (n) {
		braid_rc rc;
		if (r->off == r->n && (rc = pull(r, err)))
			return rc;
		size_t k = r->n - r->off < n ? r->n - r->off : n;
		memcpy(c, r->buf + r->off, k);
		r->off += k;
		c += k;
		n -= k;
	}
	return BRAID_OK;
}

uint64_t braid_cache_size(const struct braid_cache_r *r)
{
	return r->size;
}

braid_rc braid_cache_end(struct braid_cache_r *r, struct braid_err *err)
{
	while (!r->final || r->off < r->n) {
		if (r->off < r->n)
			return braid_err_set(err, BRAID_ECRYPTO, "cache: more data than expected");
		braid_rc rc = pull(r, err);
		if (rc)
			return rc;
	}
	return BRAID_OK;
}

void braid_cache_drop(struct braid_store *s, const char *name)
{
	char *p = cache_path(s, name, ".cache");
	if (p)
		unlink(p);
	free(p);
}
