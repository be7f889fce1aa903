/*
 * Withdrawal at the store level: the keyed tokens that let a later load
 * recognise a person who opted out (without keeping who they were), and
 * the removal of one record from the vault and the analytic tables.
 *
 * Tokens are keyed BLAKE2b-128 over folded values (letters and digits,
 * upper case), so "O'Neil" and "ONEIL" give the same token; a person whose
 * name, dob and SSN all differ in the later file is not recognised (the
 * linker's fuzzy matching is deliberately not used at ingest).  It does
 * not touch the person index (policy/withdraw.c does) and uses only the
 * portable SQL API, so any backend serves.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

static const char table_sql[] =
	"CREATE TABLE IF NOT EXISTS vault.withdrawn(token TEXT PRIMARY KEY)" /* hex */;

braid_rc braid__vault_token_key(struct braid_store *s, struct braid_err *err)
{
	if (s->keys.tok_loaded)
		return BRAID_OK;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, "SELECT value FROM vault.meta WHERE key='token_key'",
					  &st, err);
	if (rc)
		return rc;
	int row = 0;
	unsigned char sealed[256], *plain = NULL;
	size_t slen = 0, plen = 0;
	if (!(rc = braid_stmt_step(st, &row, err)) && row) {
		const char *hex = braid_stmt_text(st, 0);
		if (sodium_hex2bin(sealed, sizeof sealed, hex, strlen(hex), NULL, &slen, NULL) ||
		    braid__vault_open(&s->keys, BRAID__TOKEN_KEY_ID, sealed, slen, &plain, &plen) ||
		    plen != sizeof s->keys.tok)
			rc = braid_err_set(err, BRAID_ECRYPTO,
					   "vault token key does not decrypt with this vault key");
		else
			memcpy(s->keys.tok, plain, sizeof s->keys.tok);
		if (plain) {
			sodium_memzero(plain, plen);
			free(plain);
		}
	}
	braid_stmt_finalize(st);
	if (rc || row) {
		s->keys.tok_loaded = !rc;
		return rc;
	}
	/* First use: a random key, sealed under the vault key. */
	randombytes_buf(s->keys.tok, sizeof s->keys.tok);
	slen = braid__vault_sealed_len(sizeof s->keys.tok);
	braid__vault_seal(&s->keys, BRAID__TOKEN_KEY_ID, s->keys.tok, sizeof s->keys.tok, sealed);
	char hex[2 * sizeof sealed + 1];
	sodium_bin2hex(hex, sizeof hex, sealed, slen);
	if (!(rc = braid_store_prepare(s, "INSERT INTO vault.meta(key,value) VALUES('token_key',?1)",
				       &st, err))) {
		braid_stmt_bind_text(st, 1, hex, -1);
		rc = braid_stmt_step(st, &row, err);
		braid_stmt_finalize(st);
	}
	s->keys.tok_loaded = !rc;
	return rc;
}

/* Folded value of s into out (bounded); returns its length. */
static size_t fold(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; s && *s && n + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'a' && c <= 'z')
			out[n++] = (char)(c - 32);
		else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
			out[n++] = (char)c;
	}
	out[n] = 0;
	return n;
}

static void token(const struct braid_store *s, const char *tag, const char *const *parts,
		  int nparts, unsigned char out[BRAID_TOKEN_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, s->keys.tok, sizeof s->keys.tok, BRAID_TOKEN_LEN);
	crypto_generichash_update(&st, (const unsigned char *)tag, strlen(tag) + 1);
	char buf[512];
	for (int i = 0; i < nparts; i++) {
		size_t n = fold(parts[i], buf, sizeof buf);
		/* The separator keeps ("AB","C") apart from ("A","BC"). */
		crypto_generichash_update(&st, (const unsigned char *)buf, n + 1);
	}
	crypto_generichash_final(&st, out, BRAID_TOKEN_LEN);
	sodium_memzero(buf, sizeof buf);
}

int braid_store_person_tokens(const struct braid_store *s, const struct braid_identity *id,
			      unsigned char tok[2][BRAID_TOKEN_LEN])
{
	int n = 0;
	const char *last = id->v[BRAID_F_LAST_NAME], *first = id->v[BRAID_F_FIRST_NAME],
		   *dob = id->v[BRAID_F_DOB], *ssn = id->v[BRAID_F_SSN];
	char tmp[16];
	if (last && *last && first && *first && dob && *dob && fold(dob, tmp, sizeof tmp)) {
		const char *parts[3] = {last, first, dob};
		token(s, "name-dob", parts, 3, tok[n++]);
	}
	if (ssn && fold(ssn, tmp, sizeof tmp)) {
		const char *parts[1] = {ssn};
		token(s, "ssn", parts, 1, tok[n++]);
	}
	return n;
}

static braid_rc keep_tokens(struct braid_store *s, int64_t key, struct braid_err *err)
{
	struct braid_stmt *st, *ins = NULL;
	int row = 0;
	/* The portable API has no blob column: the sealed bytes travel as
	 * hex. */
	braid_rc rc = braid__vault_token_key(s, err);
	if (rc)
		return rc;
	rc = braid_store_prepare(s, "SELECT hex(sealed) FROM vault.identities WHERE record_key=?1",
				 &st, err);
	if (rc)
		return rc;
	braid_stmt_bind_int64(st, 1, key);
	unsigned char *sealed = NULL, *plain = NULL;
	size_t slen = 0, plen = 0;
	if (!(rc = braid_stmt_step(st, &row, err)) && row) {
		const char *hex = braid_stmt_text(st, 0);
		size_t hl = strlen(hex);
		sealed = malloc(hl / 2 + 1);
		if (!sealed)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		else if (sodium_hex2bin(sealed, hl / 2 + 1, hex, hl, NULL, &slen, NULL))
			rc = braid_err_set(err, BRAID_ECRYPTO, "vault row %lld is malformed",
					   (long long)key);
	}
	braid_stmt_finalize(st);
	if (!rc && sealed && braid__vault_open(&s->keys, key, sealed, slen, &plain, &plen))
		rc = braid_err_set(err, BRAID_ECRYPTO, "vault row %lld does not decrypt",
				   (long long)key);
	free(sealed);
	struct braid_identity id;
	if (!rc && plain && braid__identity_decode(plain, plen, &id))
		rc = braid_err_set(err, BRAID_ECRYPTO, "vault row %lld is malformed",
				   (long long)key);
	if (!rc && plain) {
		unsigned char tok[2][BRAID_TOKEN_LEN];
		int nt = braid_store_person_tokens(s, &id, tok);
		if (!(rc = braid_store_exec(s, table_sql, err)))
			rc = braid_store_prepare(s, "INSERT OR IGNORE INTO vault.withdrawn(token)"
						 " VALUES(?1)", &ins, err);
		for (int i = 0; i < nt && !rc; i++) {
			char hex[2 * BRAID_TOKEN_LEN + 1];
			sodium_bin2hex(hex, sizeof hex, tok[i], BRAID_TOKEN_LEN);
			braid_stmt_bind_text(ins, 1, hex, -1);
			int r2;
			rc = braid_stmt_step(ins, &r2, err);
			braid_stmt_reset(ins);
		}
		braid_stmt_finalize(ins);
		sodium_memzero(tok, sizeof tok);
	}
	if (plain) {
		sodium_memzero(plain, plen);
		free(plain);
	}
	return rc;
}

braid_rc braid_store_withdraw_record(struct braid_store *s, int64_t record_key,
				     int with_tokens, struct braid_err *err)
{
	braid_rc rc = with_tokens ? keep_tokens(s, record_key, err) : BRAID_OK;
	if (!rc)
		rc = braid_store_record_delete(s, record_key, err);
	return rc;
}

static int cmp_tok(const void *a, const void *b)
{
	return memcmp(a, b, BRAID_TOKEN_LEN);
}

int braid_token_find(const unsigned char *toks, size_t n, const unsigned char *tok)
{
	return n && bsearch(tok, toks, n, BRAID_TOKEN_LEN, cmp_tok) != NULL;
}

braid_rc braid_store_withdrawn_tokens(struct braid_store *s, unsigned char **out, size_t *n,
				      struct braid_err *err)
{
	*out = NULL;
	*n = 0;
	struct braid_stmt *st;
	braid_rc rc = braid_store_exec(s, table_sql, err);
	if (!rc)
		rc = braid__vault_token_key(s, err);
	if (!rc)
		rc = braid_store_prepare(s, "SELECT token FROM vault.withdrawn",
					 &st, err);
	if (rc)
		return rc;
	size_t cap = 0;
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		const char *hex = braid_stmt_text(st, 0);
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			unsigned char *p = braid_reallocarray(*out, cap, BRAID_TOKEN_LEN);
			if (!p) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			*out = p;
		}
		size_t got = 0;
		if (sodium_hex2bin(*out + *n * BRAID_TOKEN_LEN, BRAID_TOKEN_LEN, hex, strlen(hex),
				   NULL, &got, NULL) || got != BRAID_TOKEN_LEN)
			continue; /* not a token of ours */
		(*n)++;
	}
	braid_stmt_finalize(st);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	} else if (*n > 1) {
		qsort(*out, *n, BRAID_TOKEN_LEN, cmp_tok);
	}
	return rc;
}
