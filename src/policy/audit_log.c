/*
 * The audit log's hash chain.  Each entry's hash is BLAKE2b-256
 * (crypto_generichash) over its sequence number, every field
 * (length-prefixed, so no two entries serialise alike) and the previous
 * entry's hash.  Verification walks entries in stored order and names the
 * first that breaks the chain: a changed field (edited), a gap in the
 * sequence (deleted), a repeated or out-of-order sequence (inserted or
 * reordered).  The newest entries' deletion is caught by comparing with a
 * head (count, last hash) kept apart from the entries.
 *
 * The chain is unkeyed: it proves the log is internally consistent, not who
 * wrote it; someone able to rewrite the whole table and the head can forge
 * a consistent log.  Publishing or copying the head elsewhere (braid audit
 * verify prints it) closes that.  This file does not store entries (see
 * store.c).
 */
#include "policy_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void put(crypto_generichash_state *st, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};
	crypto_generichash_update(st, len, 4);
	crypto_generichash_update(st, (const unsigned char *)s, n);
}

void braid_audit_hash(const struct braid_audit_entry *e, char hex[BRAID_HASH_HEX])
{
	crypto_generichash_state st;
	unsigned char out[32];
	char num[2][24];
	snprintf(num[0], sizeof num[0], "%lld", (long long)e->seq);
	snprintf(num[1], sizeof num[1], "%lld", (long long)e->rows);
	crypto_generichash_init(&st, (const unsigned char *)"braid-audit-v1", 14, sizeof out);
	put(&st, num[0]);
	put(&st, e->time);
	put(&st, e->user);
	put(&st, e->role);
	put(&st, e->org);
	put(&st, e->agreement);
	put(&st, e->purpose);
	put(&st, e->action);
	put(&st, e->sources);
	put(&st, num[1]);
	put(&st, e->query_hash);
	put(&st, e->decision);
	put(&st, e->reason);
	put(&st, e->prev_hash);
	crypto_generichash_final(&st, out, sizeof out);
	sodium_bin2hex(hex, BRAID_HASH_HEX, out, sizeof out);
}

void braid_audit_seal(struct braid_audit_entry *e, int64_t prev_seq, const char *prev_hash)
{
	e->seq = prev_seq + 1;
	snprintf(e->prev_hash, sizeof e->prev_hash, "%s", prev_hash ? prev_hash : "");
	braid_audit_hash(e, e->hash);
}

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

void braid_audit_fill(struct braid_audit_entry *e, const struct braid_user *u,
		      const struct braid_request *req, const struct braid_decision *d,
		      int64_t rows)
{
	memset(e, 0, sizeof *e);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char base[24];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(e->time, sizeof e->time, "%s.%06ldZ", base, (long)tv.tv_usec);
	copy(e->user, sizeof e->user, u->name);
	copy(e->role, sizeof e->role, braid_role_name(u->role));
	copy(e->org, sizeof e->org, u->org);
	copy(e->agreement, sizeof e->agreement, d->agreement);
	/* A purpose that is not a name is not logged: it is free text from the
	 * caller and could carry an identifier. */
	copy(e->purpose, sizeof e->purpose,
	     !req->purpose || braid__policy_token_ok(req->purpose, BRAID_NAME_MAX) ? req->purpose
										  : "(invalid)");
	copy(e->action, sizeof e->action, braid_action_name(req->action));
	size_t at = 0;
	for (size_t i = 0; i < req->nsources && at < sizeof e->sources - 1; i++) {
		const char *name = braid__policy_token_ok(req->sources[i], BRAID_NAME_MAX)
					   ? req->sources[i] : "?";
		int k = snprintf(e->sources + at, sizeof e->sources - at, "%s%s", i ? "," : "",
				 name);
		if (k < 0)
			break;
		at += (size_t)k;
	}
	e->rows = d->allowed ? rows : -1;
	if (req->query) {
		unsigned char h[32];
		crypto_generichash(h, sizeof h, (const unsigned char *)req->query, strlen(req->query),
				   NULL, 0);
		sodium_bin2hex(e->query_hash, sizeof e->query_hash, h, sizeof h);
	}
	copy(e->decision, sizeof e->decision, d->allowed ? "allow" : "deny");
	copy(e->reason, sizeof e->reason, d->reason);
}

void braid_audit_verifier_init(struct braid_audit_verifier *v)
{
	memset(v, 0, sizeof *v);
}

braid_rc braid_audit_verify_next(struct braid_audit_verifier *v,
				 const struct braid_audit_entry *e, struct braid_err *err)
{
	long long pos = (long long)v->n + 1, want = (long long)v->seq + 1;
	char h[BRAID_HASH_HEX];
	braid_audit_hash(e, h);
	if (strcmp(h, e->hash))
		return braid_err_set(err, BRAID_EPARSE,
				     "audit entry %lld (seq %lld) was edited: its hash does not "
				     "match its contents", pos, (long long)e->seq);
	if (e->seq > want)
		return braid_err_set(err, BRAID_EPARSE,
				     "audit entry %lld (seq %lld): entries %lld..%lld are missing "
				     "here (deleted, or moved later)", pos, (long long)e->seq, want,
				     (long long)e->seq - 1);
	if (e->seq < want)
		return braid_err_set(err, BRAID_EPARSE,
				     "audit entry %lld (seq %lld) is out of order or repeated "
				     "(inserted or reordered); expected seq %lld", pos,
				     (long long)e->seq, want);
	if (strcmp(e->prev_hash, v->hash))
		return braid_err_set(err, BRAID_EPARSE,
				     "audit entry %lld (seq %lld) does not follow the entry before it "
				     "(inserted, replaced or reordered)", pos, (long long)e->seq);
	v->seq = e->seq;
	memcpy(v->hash, e->hash, sizeof v->hash);
	v->n++;
	return BRAID_OK;
}

braid_rc braid_audit_verify_end(const struct braid_audit_verifier *v, int64_t head_seq,
				const char *head_hash, struct braid_err *err)
{
	if (v->seq < head_seq)
		return braid_err_set(err, BRAID_EPARSE,
				     "audit log ends at seq %lld but the head records seq %lld: "
				     "entries %lld..%lld were deleted", (long long)v->seq,
				     (long long)head_seq, (long long)v->seq + 1, (long long)head_seq);
	if (v->seq > head_seq || strcmp(v->hash, head_hash ? head_hash : ""))
		return braid_err_set(err, BRAID_EPARSE,
				     "audit log head does not match its last entry (seq %lld): the "
				     "log or its head was altered", (long long)v->seq);
	return BRAID_OK;
}
