/*
 * The household key: a keyed hash of a standardised address, so that
 * records of people living at the same address can be grouped in the
 * analytic store without the address ever leaving the vault.
 *
 * Keyed BLAKE2b (crypto_generichash) under a subkey of the workspace's
 * token key (withdrawn.c): that key is random and kept sealed in the
 * vault, so a key rotation re-seals it and every stored household key
 * stays valid (a key derived from the key file would change with it).
 * The subkey separates this use from the withdrawal tokens.  This file
 * does not standardise addresses (callers pass the standardised parts)
 * and does not store anything.
 */
#include "store_int.h"

#include <string.h>

braid_rc braid_store_addr_key(struct braid_store *s, const char *number, const char *street,
			      const char *unit, const char *zip5, int64_t *out,
			      struct braid_err *err)
{
	*out = 0;
	braid_rc rc = braid__vault_token_key(s, err);
	if (rc)
		return rc;
	if (!s->keys.hh_ready) {
		unsigned char sub[crypto_generichash_KEYBYTES];
		static const char tag[] = "braid household key v1";
		crypto_generichash(sub, sizeof sub, (const unsigned char *)tag, sizeof tag,
				   s->keys.tok, sizeof s->keys.tok);
		crypto_generichash_init(&s->keys.hh, sub, sizeof sub, 16);
		sodium_memzero(sub, sizeof sub);
		s->keys.hh_ready = 1;
	}
	/* The keyed state is made once; each address continues a copy. */
	crypto_generichash_state st = s->keys.hh;
	const char *parts[4] = {number, street, unit, zip5};
	for (int i = 0; i < 4; i++) {
		const char *p = parts[i] ? parts[i] : "";
		/* With the terminating NUL: "12|3 ST" and "123| ST" differ. */
		crypto_generichash_update(&st, (const unsigned char *)p, strlen(p) + 1);
	}
	unsigned char h[16];
	crypto_generichash_final(&st, h, sizeof h);
	sodium_memzero(&st, sizeof st);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	/* 63 bits, never 0 (0 would read as "no key"). */
	v &= 0x7fffffffffffffffULL;
	*out = v ? (int64_t)v : 1;
	return BRAID_OK;
}
