/*
 * braid/policy.h — governance as code: users and roles, data-sharing
 * agreements, the one policy enforcement point, and the hash-chained audit
 * log.
 *
 * Every reader (export, query, client view, release, vault read, the API)
 * asks braid_policy_check() — or, with a store, braid_policy_authorize() and
 * braid_policy_commit() — before it answers.  Deny is the default: an action
 * is allowed only when one active agreement covers the user (by name, org or
 * role), the purpose, every source and field the action touches and the use
 * level, and the user's role may perform the action at that level.
 *
 * The pure parts (agreement parsing, the check, hash chaining, key hashing)
 * need no store; the store-backed parts (braid_policy_open and below) keep
 * users and agreements in tables of their own in braid.db, and the audit
 * log in audit.db beside it.
 *
 * Ownership: strings in a struct braid_agreement live in its arena and die
 * with braid_agreement_free().  A returned char * is the caller's to free().
 * Messages never contain identifier values; they name users, agreements,
 * purposes, sources and fields only.
 */
#ifndef BRAID_POLICY_H
#define BRAID_POLICY_H

#include "braid/core.h"

#include <stdint.h>

/* ---------------------------------------------------------------- roles */
enum braid_role {
	BRAID_ROLE_ADMIN = 0, /* manages users and agreements */
	BRAID_ROLE_STEWARD,   /* registers and loads a source, reads its rows */
	BRAID_ROLE_LINKER,    /* runs linkage, reads identifiers in the vault */
	BRAID_ROLE_ANALYST,   /* pseudonymous rows and counts */
	BRAID_ROLE_CASEWORKER,/* one client's history at a time */
	BRAID_ROLE_CBO,       /* neighbourhood aggregates */
	BRAID_ROLE_PUBLIC,    /* published releases only */
	BRAID_ROLE__COUNT
};
/* "admin", ...; NULL when out of range. */
const char *braid_role_name(enum braid_role r);
/* Role by name; -1 when unknown. */
int braid_role_by_name(const char *name);

/* Use levels, ordered: linked-row ⊇ deidentified-row ⊇ aggregate. */
enum braid_use {
	BRAID_USE_NONE = 0,
	BRAID_USE_AGGREGATE = 1,   /* counts only, cells of at least min_cell_size */
	BRAID_USE_DEIDENTIFIED = 2,/* generalised person-level rows */
	BRAID_USE_LINKED = 3       /* pseudonymous person-level rows */
};
const char *braid_use_name(enum braid_use u); /* "aggregate", ... */
int braid_use_by_name(const char *name);      /* -1 when unknown */

/* The read paths.  Values never renumbered (they are in the audit log). */
enum braid_action {
	BRAID_ACT_EXPORT = 0,   /* write rows to a file */
	BRAID_ACT_QUERY_ROWS,   /* a query returning person-level rows */
	BRAID_ACT_QUERY_COUNTS, /* a query returning counts */
	BRAID_ACT_CLIENT_VIEW,  /* one client's service history */
	BRAID_ACT_RELEASE,      /* an aggregate release (make or read) */
	BRAID_ACT_VAULT_READ,   /* read identifiers from the vault */
	BRAID_ACT__COUNT
};
const char *braid_action_name(enum braid_action a); /* "export", "query-rows", ... */
int braid_action_by_name(const char *name);         /* -1 when unknown */
/* The lowest use level an action needs (query-counts: aggregate, ...). */
enum braid_use braid_action_min_use(enum braid_action a);

/* What a role may ever do, whatever an agreement says: 1 when role r may
 * perform action a at all, and the highest use level r may receive. */
int braid_role_may(enum braid_role r, enum braid_action a);
enum braid_use braid_role_max_use(enum braid_role r);

/* ---------------------------------------------------------------- users */
#define BRAID_NAME_MAX 64
#define BRAID_ORG_MAX 128
struct braid_user {
	char name[BRAID_NAME_MAX + 1];
	enum braid_role role;
	char org[BRAID_ORG_MAX + 1]; /* "" when none */
};
/* A user name is 1..64 of [A-Za-z0-9._-], starting with a letter or digit;
 * an org is 1..128 printable characters without control codes. */
braid_rc braid_user_name_check(const char *name, struct braid_err *err);
braid_rc braid_user_org_check(const char *org, struct braid_err *err);

/* A new random API key ("bk_" + 43 base64url characters, 256 bits) into
 * key (size >= BRAID_KEY_LEN + 1), and its Argon2id hash (libsodium
 * crypto_pwhash_str, interactive limits) into hash (size >=
 * BRAID_KEY_HASH_LEN).  Only the hash is ever stored. */
#define BRAID_KEY_LEN 46
#define BRAID_KEY_HASH_LEN 128
braid_rc braid_key_new(char *key, char *hash, struct braid_err *err);
/* Hash a given key the same way. */
braid_rc braid_key_hash(const char *key, char *hash, struct braid_err *err);
/* BRAID_OK when key matches hash, BRAID_EDENIED otherwise.  hash may be
 * NULL (unknown user): a dummy verification still runs so that timing does
 * not reveal which user names exist. */
braid_rc braid_key_verify(const char *key, const char *hash, struct braid_err *err);

/* ---------------------------------------------------------------- agreements */
enum braid_regime {
	BRAID_REG_HIPAA = 1u << 0,
	BRAID_REG_FERPA = 1u << 1,
	BRAID_REG_PART2 = 1u << 2, /* 42 CFR Part 2 */
	BRAID_REG_CJIS = 1u << 3,
	BRAID_REG_STATE = 1u << 4,
	BRAID_REG_NONE = 1u << 5
};
enum braid_agreement_status {
	BRAID_AG_DRAFT = 0,
	BRAID_AG_ACTIVE,
	BRAID_AG_REVOKED,
	BRAID_AG_EXPIRED, /* derived: active but past its end date */
	BRAID_AG_PENDING  /* derived: active but before its start date */
};
const char *braid_agreement_status_name(enum braid_agreement_status s);

/* What an agreement says must be destroyed when it ends. */
enum braid_destroy {
	BRAID_DESTROY_EXPORTS = 1u << 0,     /* files exported under it */
	BRAID_DESTROY_SOURCE_ROWS = 1u << 1, /* the sources' rows in the analytic store */
	BRAID_DESTROY_IDENTIFIERS = 1u << 2, /* the sources' identifiers in the vault */
	BRAID_DESTROY_LINKS = 1u << 3        /* the sources' links in the person index */
};

struct braid_legal_basis {
	enum braid_regime regime;
	const char *citation; /* "" when not given */
};
struct braid_agreement_source {
	const char *name;
	const char **fields;
	size_t nfields;
};
struct braid_agreement {
	const char *id;
	const char *title;
	const char *summary; /* plain-language public summary */
	const char **parties;
	size_t nparties;
	const char **purposes;
	size_t npurposes;
	struct braid_legal_basis *basis;
	size_t nbasis;
	unsigned regimes; /* OR of the bases' regimes */
	struct braid_agreement_source *sources;
	size_t nsources;
	enum braid_use use;
	const char **cover_users;
	size_t ncover_users;
	const char **cover_orgs;
	size_t ncover_orgs;
	unsigned cover_roles; /* bit (1u << role) */
	long min_cell_size;   /* default 11 */
	char start[11], end[11]; /* "YYYY-MM-DD", both inclusive */
	unsigned destroy_what;   /* OR of enum braid_destroy */
	long destroy_within_days;/* after the end date (or revocation) */
	enum braid_agreement_status status; /* as written: draft/active/revoked */
	char revoked_on[11];     /* "" unless revoked */
	struct braid_arena arena; /* owns every string above */
};

/* Parse and validate an agreement (YAML, at most 1 MiB).  file names the
 * input in error positions.  On error *out is NULL and err says
 * file:line:column, the key and the reason. */
#define BRAID_AGREEMENT_MAX (1u << 20)
braid_rc braid_agreement_parse(const char *text, size_t len, const char *file,
			       struct braid_agreement **out, struct braid_err *err);
/* Read a file and parse it. */
braid_rc braid_agreement_load(const char *path, struct braid_agreement **out,
			      struct braid_err *err);
void braid_agreement_free(struct braid_agreement *a);
/* Status on date ("YYYY-MM-DD"): draft, revoked, pending, active, expired. */
enum braid_agreement_status braid_agreement_status_on(const struct braid_agreement *a,
						      const char *date);
/* The public register entry of an agreement as a JSON object (id, title,
 * summary, parties, purposes, legal bases, sources and fields, use, min
 * cell size, dates, destruction, status on date) — never data, never the
 * users it covers.  Caller frees. */
char *braid_agreement_public_json(const struct braid_agreement *a, const char *date);

/* ---------------------------------------------------------------- the check */
struct braid_field_ref {
	const char *source;
	const char *field;
};
struct braid_request {
	enum braid_action action;
	const char *purpose;
	const char *const *sources; /* every source the action touches */
	size_t nsources;
	const struct braid_field_ref *fields; /* every field it touches */
	size_t nfields;
	enum braid_use use;   /* NONE = the action's minimum */
	long persons;         /* client view: how many clients (must be 1) */
	const char *date;     /* "YYYY-MM-DD"; NULL = today (UTC) */
	const char *query;    /* the query text, hashed into the audit log; may be NULL */
};
struct braid_decision {
	int allowed;
	char agreement[BRAID_NAME_MAX + 1]; /* the covering agreement, or the closest one */
	enum braid_use use;                 /* the level the action runs at */
	long min_cell_size;                 /* of the covering agreement */
	char reason[512];                   /* why denied; "" when allowed */
};
/* The single policy decision.  Pure: reads only its arguments.  Fills *d
 * and returns BRAID_OK when allowed, BRAID_EDENIED with the reason in d and
 * err otherwise. */
braid_rc braid_policy_check(const struct braid_user *u,
			    struct braid_agreement *const *ags, size_t nags,
			    const struct braid_request *req, struct braid_decision *d,
			    struct braid_err *err);

/* ---------------------------------------------------------------- audit */
#define BRAID_HASH_HEX 65 /* 32-byte BLAKE2b as hex + NUL */
struct braid_audit_entry {
	int64_t seq;       /* 1, 2, 3, ... */
	char time[32];     /* "2026-11-25T09:57:12.123456Z" */
	char user[BRAID_NAME_MAX + 1];
	char role[16];
	char org[BRAID_ORG_MAX + 1];
	char agreement[BRAID_NAME_MAX + 1];
	char purpose[BRAID_NAME_MAX + 1];
	char action[24];
	char sources[512]; /* comma-separated */
	int64_t rows;      /* rows returned; -1 when none (denied) */
	char query_hash[BRAID_HASH_HEX];
	char decision[8];  /* "allow" / "deny" */
	char reason[512];
	char prev_hash[BRAID_HASH_HEX];
	char hash[BRAID_HASH_HEX];
};
/* Fill an entry from a request and its decision (time = now). */
void braid_audit_fill(struct braid_audit_entry *e, const struct braid_user *u,
		      const struct braid_request *req, const struct braid_decision *d,
		      int64_t rows);
/* Chain e after the entry (prev_seq, prev_hash): sets seq, prev_hash and
 * hash.  prev_hash "" (or NULL) and prev_seq 0 for the first entry. */
void braid_audit_seal(struct braid_audit_entry *e, int64_t prev_seq, const char *prev_hash);
/* The entry's hash, recomputed from its fields, into hex. */
void braid_audit_hash(const struct braid_audit_entry *e, char hex[BRAID_HASH_HEX]);

/* Streaming verification: feed entries in stored order. */
struct braid_audit_verifier {
	int64_t seq;               /* last good seq */
	char hash[BRAID_HASH_HEX]; /* last good hash */
	int64_t n;                 /* entries checked */
};
void braid_audit_verifier_init(struct braid_audit_verifier *v);
/* BRAID_EPARSE naming the entry (by position and seq) and the fault:
 * edited, deleted, inserted or reordered. */
braid_rc braid_audit_verify_next(struct braid_audit_verifier *v,
				 const struct braid_audit_entry *e, struct braid_err *err);
/* At the end: the head recorded separately (count and last hash) must match,
 * so that deleting the newest entries is detected too. */
braid_rc braid_audit_verify_end(const struct braid_audit_verifier *v, int64_t head_seq,
				const char *head_hash, struct braid_err *err);

/* ---------------------------------------------------------------- with a store
 * Users and agreements live in braid.db, in tables of their own
 * (policy_users, policy_agreements), created on first use.  The audit log
 * (policy_audit, policy_audit_head) lives in audit.db in the workspace, an
 * SQLite file in WAL mode on a connection of the policy's own: an append
 * costs no fsync (synchronous=NORMAL; BRAID_AUDIT_SYNC=full for one per
 * entry) and survives a rollback of the reader's transaction on the store.
 * A log still in braid.db (workspaces made before audit.db) is moved to
 * audit.db by braid_policy_open.  struct braid_policy borrows the store:
 * close the policy before the store. */
struct braid_store;
struct braid_policy;

/* Open the policy layer on s (creating its tables when missing) and load
 * the agreements. */
braid_rc braid_policy_open(struct braid_store *s, struct braid_policy **out,
			   struct braid_err *err);
void braid_policy_close(struct braid_policy *p); /* NULL accepted */
/* The audit log's file (borrowed until braid_policy_close). */
const char *braid_policy_audit_path(const struct braid_policy *p);

/* The workspace's creator becomes its first admin: call once right after
 * braid_workspace_init (braid init).  Writes the new key (shown once) into
 * key.  BRAID_EEXIST when the workspace already has users. */
braid_rc braid_policy_bootstrap(struct braid_store *s, const char *admin_name,
				char key[BRAID_KEY_LEN + 1], struct braid_err *err);
/* Number of users (0 on a workspace made before the policy layer). */
braid_rc braid_policy_user_count(struct braid_policy *p, int64_t *n, struct braid_err *err);

/* Add a user (by `by`, who must be an admin, or NULL when bootstrapping);
 * the key is written into key and never stored.  BRAID_EEXIST. */
braid_rc braid_policy_user_add(struct braid_policy *p, const struct braid_user *by,
			       const struct braid_user *u, char key[BRAID_KEY_LEN + 1],
			       struct braid_err *err);
/* Look a user up (BRAID_ENOTFOUND). */
braid_rc braid_policy_user_get(struct braid_policy *p, const char *name, struct braid_user *u,
			       struct braid_err *err);
/* Check name and key; on success fill *u.  A wrong key or unknown name
 * gives BRAID_EDENIED with the same message, and is audited. */
braid_rc braid_policy_authenticate(struct braid_policy *p, const char *name, const char *key,
				   struct braid_user *u, struct braid_err *err);
/* Calls cb for each user by name (created is ISO time); non-zero stops. */
braid_rc braid_policy_user_list(struct braid_policy *p,
				int (*cb)(void *ctx, const struct braid_user *u, const char *created),
				void *ctx, struct braid_err *err);

/* Validate and store an agreement (by an admin).  BRAID_EEXIST when the id
 * is taken; validation errors as braid_agreement_parse. */
braid_rc braid_policy_agreement_add(struct braid_policy *p, const struct braid_user *by,
				    const char *yaml, size_t len, const char *file,
				    struct braid_err *err);
/* Revoke (by an admin) on date (NULL = today).  BRAID_ENOTFOUND. */
braid_rc braid_policy_agreement_revoke(struct braid_policy *p, const struct braid_user *by,
				       const char *id, const char *date, struct braid_err *err);
/* The loaded agreements (borrowed until the next call on p), in id order. */
size_t braid_policy_agreements(struct braid_policy *p, struct braid_agreement *const **out);

/* The enforcement point with audit.  authorize runs braid_policy_check on
 * the stored agreements; a denial is appended to the audit log before it
 * returns BRAID_EDENIED.  After an allowed action has run, and before its
 * answer is shown, commit appends the allow entry with the rows returned. */
braid_rc braid_policy_authorize(struct braid_policy *p, const struct braid_user *u,
				const struct braid_request *req, struct braid_decision *d,
				struct braid_err *err);
braid_rc braid_policy_commit(struct braid_policy *p, const struct braid_user *u,
			     const struct braid_request *req, const struct braid_decision *d,
			     int64_t rows, struct braid_err *err);
/* Append one entry (sealed here: seq, prev_hash and hash are set).  Inside
 * braid_policy_batch_begin/end, appends share one transaction (group
 * commit: answers are given after the batch commits). */
braid_rc braid_policy_audit_append(struct braid_policy *p, struct braid_audit_entry *e,
				   struct braid_err *err);
braid_rc braid_policy_batch_begin(struct braid_policy *p, struct braid_err *err);
braid_rc braid_policy_batch_end(struct braid_policy *p, struct braid_err *err);
/* Audit a governance action (user-add, agreement-add, agreement-revoke,
 * login): decision "allow"/"deny", agreement may be "". */
braid_rc braid_policy_audit_admin(struct braid_policy *p, const struct braid_user *u,
				  const char *action, const char *agreement, int allowed,
				  const char *reason, struct braid_err *err);
/* Calls cb for each entry in seq order with user == user (NULL = all) and
 * time >= since (NULL = all); non-zero stops. */
braid_rc braid_policy_audit_iter(struct braid_policy *p, const char *user, const char *since,
				 int (*cb)(void *ctx, const struct braid_audit_entry *e),
				 void *ctx, struct braid_err *err);
/* Verify the whole log against its head: BRAID_OK with the entry count and
 * head hash, or BRAID_EPARSE naming the first bad entry. */
braid_rc braid_policy_audit_verify(struct braid_policy *p, int64_t *n,
				   char head[BRAID_HASH_HEX], struct braid_err *err);

/* ---------------------------------------------------------------- withdrawal
 * (src/policy/withdraw.c) Remove a person (opt-out) or a source from the
 * vault, the analytic store and the person index in one transaction of its
 * own.  A person's keyed tokens are kept so later loads drop their rows
 * (counted as withdrawn), and rejected rows (reject log and sealed raw row)
 * that carry any withdrawal token are removed too (ws->rejects); a
 * source's rejects all go with it.  Withdrawing a person again removes no
 * records, only rows rejected since.  The caller checks the user's role
 * and audits. */
struct braid_withdraw_stats {
	int64_t records, events, rejects, persons;
};
braid_rc braid_withdraw_person(struct braid_store *s, const char *person_id,
			       struct braid_withdraw_stats *ws, struct braid_err *err);
braid_rc braid_withdraw_source(struct braid_store *s, const char *source,
			       struct braid_withdraw_stats *ws, struct braid_err *err);
/* Destroy part of a source: what is an OR of BRAID_DESTROY_SOURCE_ROWS
 * (rows, and with them identifiers and links), _IDENTIFIERS (the vault's
 * rows only) and _LINKS (its records leave the person index). */
braid_rc braid_destroy_source(struct braid_store *s, const char *source, unsigned what,
			      struct braid_withdraw_stats *ws, struct braid_err *err);

/* ---------------------------------------------------------------- retention
 * (src/policy/retention.c) The day from which what agreement a names must
 * be destroyed — its end date, or its revocation date when earlier, plus
 * its destruction delay — into due (11 bytes).  Returns 1 when that day is
 * on or before as_of ("YYYY-MM-DD") and a names something to destroy, 0
 * otherwise (due is still filled; "" for a draft). */
int braid_retention_due(const struct braid_agreement *a, const char *as_of, char due[11]);

/* "YYYY-MM-DD" of today (UTC) into out (>= 11 bytes). */
void braid_today(char out[11]);
/* 1 when s is a real calendar date "YYYY-MM-DD". */
int braid_iso_date_valid(const char *s);

#endif
