/*
 * The vault's cryptography: the 32-byte key file, the keys derived from it,
 * sealing rows with secretbox (XSalsa20-Poly1305) and the keyed hash of
 * source record ids, plus the byte layout of a sealed identity.
 *
 * It does not store anything (the backends do) and never logs a value.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KDF_CTX "braidvlt"

braid_rc braid__vault_load_keys(const char *key_path, struct braid__vault_keys *k,
				struct braid_err *err)
{
	if (sodium_init() < 0)
		return braid_err_set(err, BRAID_ECRYPTO, "libsodium failed to initialise");
	int fd = open(key_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return braid_err_set(err, BRAID_ECRYPTO, "cannot open vault key '%s': %s",
				     key_path, strerror(errno));
	unsigned char master[crypto_kdf_KEYBYTES];
	unsigned char extra[1];
	ssize_t n = read(fd, master, sizeof master);
	ssize_t more = read(fd, extra, 1);
	close(fd);
	if (n != (ssize_t)sizeof master || more != 0) {
		sodium_memzero(master, sizeof master);
		return braid_err_set(err, BRAID_ECRYPTO,
				     "vault key '%s' must be exactly %d bytes", key_path,
				     (int)sizeof master);
	}
	braid__vault_derive(master, k);
	sodium_memzero(master, sizeof master);
	return BRAID_OK;
}

void braid__vault_derive(const unsigned char master[crypto_kdf_KEYBYTES],
			 struct braid__vault_keys *k)
{
	memset(k, 0, sizeof *k); /* the token key is loaded from the vault */
	crypto_kdf_derive_from_key(k->box, sizeof k->box, 1, KDF_CTX, master);
	crypto_kdf_derive_from_key(k->rid, sizeof k->rid, 2, KDF_CTX, master);
	randombytes_buf(k->nonce, sizeof k->nonce);
	/* The low 8 bytes count (sodium_increment is little-endian), the
	 * random high 16 bytes keep opens apart. */
	memset(k->nonce, 0, 8);
}

size_t braid__vault_sealed_len(size_t n)
{
	return crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 8 + n;
}

static void put64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t get64(const unsigned char *p)
{
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

void braid__vault_seal(struct braid__vault_keys *k, int64_t key, const void *m,
		       size_t n, unsigned char *out)
{
	/* Plaintext = 8-byte key || m, sealed in place after the nonce. */
	unsigned char *nonce = out;
	unsigned char *box = out + crypto_secretbox_NONCEBYTES;
	sodium_increment(k->nonce, sizeof k->nonce);
	memcpy(nonce, k->nonce, crypto_secretbox_NONCEBYTES);
	unsigned char *plain = box + crypto_secretbox_MACBYTES;
	put64(plain, key);
	memcpy(plain + 8, m, n);
	crypto_secretbox_easy(box, plain, n + 8, nonce, k->box);
}

braid_rc braid__vault_open(const struct braid__vault_keys *k, int64_t key,
			   const unsigned char *c, size_t clen, unsigned char **m,
			   size_t *n)
{
	if (clen < braid__vault_sealed_len(0))
		return BRAID_ECRYPTO;
	size_t blen = clen - crypto_secretbox_NONCEBYTES;
	size_t plen = blen - crypto_secretbox_MACBYTES;
	unsigned char *p = malloc(plen + 1);
	if (!p)
		return BRAID_ENOMEM;
	if (crypto_secretbox_open_easy(p, c + crypto_secretbox_NONCEBYTES, blen, c,
				       k->box) != 0 ||
	    get64(p) != key) {
		sodium_memzero(p, plen);
		free(p);
		return BRAID_ECRYPTO;
	}
	memmove(p, p + 8, plen - 8);
	p[plen - 8] = 0;
	*m = p;
	*n = plen - 8;
	return BRAID_OK;
}

int64_t braid__vault_rid_hash(const struct braid__vault_keys *k, const char *rid,
			      size_t n)
{
	/* SipHash: a keyed PRF made for short inputs, ~20x cheaper per row
	 * than keyed BLAKE2b; 63 bits make a collision among 10^7 ids a
	 * one-in-10^5 event, and a collision only costs a wrongly rejected
	 * duplicate. */
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)rid, n, k->rid);
	return get64(h) & INT64_MAX;
}

/* Layout: u32 invalid, then 1 + BRAID_F__COUNT strings (rid first), each
 * u16 length + bytes.  Values longer than 65535 bytes are refused.  One
 * pass to size, one to copy: this runs for every row of a load. */
braid_rc braid__identity_encode(const struct braid_identity *id, struct braid_buf *b)
{
	const char *s[1 + BRAID_F__COUNT];
	size_t len[1 + BRAID_F__COUNT], total = 4;
	s[0] = id->source_record_id;
	for (int f = 0; f < BRAID_F__COUNT; f++)
		s[f + 1] = id->v[f];
	for (int i = 0; i < 1 + BRAID_F__COUNT; i++) {
		len[i] = s[i] ? strlen(s[i]) : 0;
		if (len[i] > 0xffff)
			return BRAID_ETOOBIG;
		total += 2 + len[i];
	}
	braid_buf_reset(b);
	braid_rc rc = braid_buf_grow(b, total + 1);
	if (rc)
		return rc;
	unsigned char *p = (unsigned char *)b->data;
	for (int i = 0; i < 4; i++)
		*p++ = (unsigned char)(id->invalid >> (8 * i));
	for (int i = 0; i < 1 + BRAID_F__COUNT; i++) {
		*p++ = (unsigned char)(len[i] & 0xff);
		*p++ = (unsigned char)(len[i] >> 8);
		if (len[i])
			memcpy(p, s[i], len[i]);
		p += len[i];
	}
	b->len = total;
	b->data[total] = 0;
	return BRAID_OK;
}

/* Decoding works in place on the caller's private plaintext: each string
 * is moved two bytes left over its length prefix, which frees room for its
 * terminating NUL without copying. */
braid_rc braid__identity_decode(const unsigned char *data, size_t n,
				struct braid_identity *id)
{
	unsigned char *d = (unsigned char *)data; /* caller-owned private copy */
	if (n < 4)
		return BRAID_ECRYPTO;
	id->invalid = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
		      (uint32_t)d[3] << 24;
	size_t pos = 4;
	for (int f = -1; f < BRAID_F__COUNT; f++) {
		if (pos + 2 > n)
			return BRAID_ECRYPTO;
		size_t len = (size_t)d[pos] | (size_t)d[pos + 1] << 8;
		if (pos + 2 + len > n)
			return BRAID_ECRYPTO;
		memmove(d + pos, d + pos + 2, len);
		d[pos + len] = 0;
		const char *s = (const char *)(d + pos);
		if (f < 0)
			id->source_record_id = s;
		else
			id->v[f] = s;
		pos += len + 2;
	}
	return BRAID_OK;
}
