/*
 * Users and API keys.  A key is 256 random bits shown once; only its
 * Argon2id hash (libsodium crypto_pwhash_str, interactive limits) is ever
 * stored.  Verification of an unknown user still runs Argon2id against a
 * fixed dummy hash so timing does not reveal which names exist.
 *
 * It does not store users (see store.c) nor decide what they may do
 * (check.c).
 */
#include "policy_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static braid_rc sodium_ready(struct braid_err *err)
{
	if (sodium_init() < 0)
		return braid_err_set(err, BRAID_ECRYPTO, "libsodium failed to initialise");
	return BRAID_OK;
}

braid_rc braid_user_name_check(const char *name, struct braid_err *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > BRAID_NAME_MAX)
		return braid_err_set(err, BRAID_EINVAL, "user name must be 1 to %d characters",
				     BRAID_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return braid_err_set(err, BRAID_EINVAL,
					     "user name must be letters, digits, '.', '_' or '-', "
					     "starting with a letter or digit");
	}
	return BRAID_OK;
}

braid_rc braid_user_org_check(const char *org, struct braid_err *err)
{
	size_t n = org ? strlen(org) : 0;
	if (n == 0 || n > BRAID_ORG_MAX)
		return braid_err_set(err, BRAID_EINVAL, "organisation must be 1 to %d bytes",
				     BRAID_ORG_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)org[i] < 0x20 || org[i] == 0x7f || org[i] == ',')
			return braid_err_set(err, BRAID_EINVAL,
					     "organisation must not contain control characters or ','");
	return BRAID_OK;
}

braid_rc braid_key_hash(const char *key, char *hash, struct braid_err *err)
{
	braid_rc rc = sodium_ready(err);
	if (rc)
		return rc;
	if (crypto_pwhash_str_alg(hash, key, strlen(key), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
		return braid_err_set(err, BRAID_ENOMEM, "Argon2id ran out of memory");
	return BRAID_OK;
}

braid_rc braid_key_new(char *key, char *hash, struct braid_err *err)
{
	braid_rc rc = sodium_ready(err);
	if (rc)
		return rc;
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	memcpy(key, "bk_", 3);
	sodium_bin2base64(key + 3, BRAID_KEY_LEN + 1 - 3, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	return braid_key_hash(key, hash, err);
}

braid_rc braid_key_verify(const char *key, const char *hash, struct braid_err *err)
{
	static char dummy[crypto_pwhash_STRBYTES];
	braid_rc rc = sodium_ready(err);
	if (rc)
		return rc;
	if (!key)
		key = "";
	if (!hash) {
		if (!dummy[0] && braid_key_hash("braid-dummy-key", dummy, err))
			return BRAID_ENOMEM;
		int same_work = crypto_pwhash_str_verify(dummy, key, strlen(key));
		(void)same_work;
		return braid_err_set(err, BRAID_EDENIED, "unknown user or wrong key");
	}
	if (crypto_pwhash_str_verify(hash, key, strlen(key)) != 0)
		return braid_err_set(err, BRAID_EDENIED, "unknown user or wrong key");
	return BRAID_OK;
}
