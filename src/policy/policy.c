/*
 * The one policy enforcement point: roles, use levels, actions, and
 * braid_policy_check(), a pure function of (user, agreements, request).
 *
 * Deny is the default.  An action is allowed only when the role may perform
 * it at the requested use level and one agreement, active on the request's
 * date, covers the user (by name, org or role), the purpose, every source,
 * every field and the use level.  One agreement must cover the whole
 * request: two agreements that each cover one source do not together
 * permit combining the sources.  When nothing covers, the reason names the
 * closest agreement and the first thing it lacks.
 *
 * It does not audit (see audit.c and store.c) and does not touch a store.
 */
#include "policy_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const role_names[BRAID_ROLE__COUNT] = {
	"admin", "steward", "linker", "analyst", "caseworker", "cbo", "public",
};
static const char *const action_names[BRAID_ACT__COUNT] = {
	"export", "query-rows", "query-counts", "client-view", "release", "vault-read",
};
static const char *const use_names[] = {"none", "aggregate", "deidentified-row", "linked-row"};

/* What each role may ever do.  Agreements grant within these bounds, never
 * beyond: the role is the ceiling, the agreement the permission. */
static const unsigned char role_may[BRAID_ROLE__COUNT][BRAID_ACT__COUNT] = {
	/*               export q-rows q-counts client release vault */
	[BRAID_ROLE_ADMIN] = {1, 1, 1, 0, 1, 0},
	[BRAID_ROLE_STEWARD] = {1, 1, 1, 0, 0, 0},
	[BRAID_ROLE_LINKER] = {0, 1, 1, 0, 0, 1},
	[BRAID_ROLE_ANALYST] = {1, 1, 1, 0, 1, 0},
	[BRAID_ROLE_CASEWORKER] = {0, 0, 0, 1, 0, 0},
	[BRAID_ROLE_CBO] = {0, 0, 1, 0, 1, 0},
	[BRAID_ROLE_PUBLIC] = {0, 0, 0, 0, 1, 0},
};
static const enum braid_use role_max[BRAID_ROLE__COUNT] = {
	[BRAID_ROLE_ADMIN] = BRAID_USE_LINKED,
	[BRAID_ROLE_STEWARD] = BRAID_USE_LINKED,
	[BRAID_ROLE_LINKER] = BRAID_USE_LINKED,
	[BRAID_ROLE_ANALYST] = BRAID_USE_LINKED,
	[BRAID_ROLE_CASEWORKER] = BRAID_USE_LINKED,
	[BRAID_ROLE_CBO] = BRAID_USE_AGGREGATE,
	[BRAID_ROLE_PUBLIC] = BRAID_USE_AGGREGATE,
};
static const enum braid_use action_min[BRAID_ACT__COUNT] = {
	[BRAID_ACT_EXPORT] = BRAID_USE_DEIDENTIFIED,
	[BRAID_ACT_QUERY_ROWS] = BRAID_USE_DEIDENTIFIED,
	[BRAID_ACT_QUERY_COUNTS] = BRAID_USE_AGGREGATE,
	[BRAID_ACT_CLIENT_VIEW] = BRAID_USE_LINKED,
	[BRAID_ACT_RELEASE] = BRAID_USE_AGGREGATE,
	[BRAID_ACT_VAULT_READ] = BRAID_USE_LINKED,
};

const char *braid_role_name(enum braid_role r)
{
	return (unsigned)r < BRAID_ROLE__COUNT ? role_names[r] : NULL;
}

int braid_role_by_name(const char *name)
{
	for (int i = 0; name && i < BRAID_ROLE__COUNT; i++)
		if (!strcmp(name, role_names[i]))
			return i;
	return -1;
}

const char *braid_action_name(enum braid_action a)
{
	return (unsigned)a < BRAID_ACT__COUNT ? action_names[a] : NULL;
}

int braid_action_by_name(const char *name)
{
	for (int i = 0; name && i < BRAID_ACT__COUNT; i++)
		if (!strcmp(name, action_names[i]))
			return i;
	return -1;
}

const char *braid_use_name(enum braid_use u)
{
	return (unsigned)u <= BRAID_USE_LINKED ? use_names[u] : NULL;
}

int braid_use_by_name(const char *name)
{
	for (int i = 1; name && i <= BRAID_USE_LINKED; i++)
		if (!strcmp(name, use_names[i]))
			return i;
	return -1;
}

enum braid_use braid_action_min_use(enum braid_action a)
{
	return (unsigned)a < BRAID_ACT__COUNT ? action_min[a] : BRAID_USE_LINKED;
}

int braid_role_may(enum braid_role r, enum braid_action a)
{
	return (unsigned)r < BRAID_ROLE__COUNT && (unsigned)a < BRAID_ACT__COUNT && role_may[r][a];
}

enum braid_use braid_role_max_use(enum braid_role r)
{
	return (unsigned)r < BRAID_ROLE__COUNT ? role_max[r] : BRAID_USE_NONE;
}

int braid__policy_token_ok(const char *s, size_t max)
{
	size_t n = 0;
	/* A letter first: names are vocabulary, and a leading digit would let
	 * a number that looks like an identifier pass as a name. */
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return 0;
		if (n >= max)
			return 0;
	}
	return 1;
}

int braid_iso_date_valid(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

void braid_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static const struct braid_agreement_source *find_source(const struct braid_agreement *a,
							const char *name)
{
	for (size_t i = 0; i < a->nsources; i++)
		if (!strcmp(a->sources[i].name, name))
			return &a->sources[i];
	return NULL;
}

/* How far an agreement gets towards covering the request; higher is
 * closer.  The reason for the first gap goes into why. */
enum stage {
	ST_USER = 0, ST_PURPOSE, ST_STATUS, ST_SOURCE, ST_FIELD, ST_USE, ST_COVERS
};

/* Reasons are formatted only when asked for (why != NULL): the loop over
 * agreements ranks them first and words the closest one once. */
#define SAY(...) (why ? (void)snprintf(why, nwhy, __VA_ARGS__) : (void)0)

static enum stage evaluate(const struct braid_agreement *a, const struct braid_user *u,
			   const struct braid_request *req, enum braid_use need,
			   const char *date, char *why, size_t nwhy)
{
	if (!in_list(a->cover_users, a->ncover_users, u->name) &&
	    !(u->org[0] && in_list(a->cover_orgs, a->ncover_orgs, u->org)) &&
	    !(a->cover_roles & (1u << u->role))) {
		SAY("does not cover user '%s'", u->name);
		return ST_USER;
	}
	if (!in_list(a->purposes, a->npurposes, req->purpose)) {
		SAY("does not cover purpose '%s'", req->purpose);
		return ST_PURPOSE;
	}
	switch (braid_agreement_status_on(a, date)) {
	case BRAID_AG_DRAFT:
		SAY("is a draft, not in force");
		return ST_STATUS;
	case BRAID_AG_REVOKED:
		SAY("was revoked on %s", a->revoked_on[0] ? a->revoked_on : "an unknown date");
		return ST_STATUS;
	case BRAID_AG_PENDING:
		SAY("is not in force until %s", a->start);
		return ST_STATUS;
	case BRAID_AG_EXPIRED:
		SAY("expired on %s", a->end);
		return ST_STATUS;
	case BRAID_AG_ACTIVE:
		break;
	}
	for (size_t i = 0; i < req->nsources; i++)
		if (!find_source(a, req->sources[i])) {
			SAY("source '%s' not covered", req->sources[i]);
			return ST_SOURCE;
		}
	for (size_t i = 0; i < req->nfields; i++) {
		const struct braid_field_ref *f = &req->fields[i];
		const struct braid_agreement_source *s = find_source(a, f->source);
		if (!s) {
			SAY("source '%s' not covered", f->source);
			return ST_SOURCE;
		}
		if (!in_list(s->fields, s->nfields, f->field)) {
			SAY("field '%s.%s' not covered", f->source, f->field);
			return ST_FIELD;
		}
	}
	if (a->use < need) {
		SAY("use level too low: it permits %s, the action needs %s",
			 braid_use_name(a->use), braid_use_name(need));
		return ST_USE;
	}
	if (why)
		why[0] = 0;
	return ST_COVERS;
}

static braid_rc deny(struct braid_decision *d, struct braid_err *err)
{
	d->allowed = 0;
	return braid_err_set(err, BRAID_EDENIED, "%s", d->reason);
}

braid_rc braid_policy_check(const struct braid_user *u,
			    struct braid_agreement *const *ags, size_t nags,
			    const struct braid_request *req, struct braid_decision *d,
			    struct braid_err *err)
{
	memset(d, 0, sizeof *d);
	if (!u || !req || (unsigned)u->role >= BRAID_ROLE__COUNT ||
	    (unsigned)req->action >= BRAID_ACT__COUNT) {
		snprintf(d->reason, sizeof d->reason, "malformed request");
		return deny(d, err);
	}
	const char *act = braid_action_name(req->action), *role = braid_role_name(u->role);
	if (!req->purpose || !*req->purpose) {
		snprintf(d->reason, sizeof d->reason, "%s needs a purpose", act);
		return deny(d, err);
	}
	if (!braid__policy_token_ok(req->purpose, BRAID_NAME_MAX)) {
		/* Purposes are names, never free text that could carry an
		 * identifier into a message or the audit log. */
		snprintf(d->reason, sizeof d->reason, "purpose must be [a-z][a-z0-9._-]*, at most %d",
			 BRAID_NAME_MAX);
		return deny(d, err);
	}
	enum braid_use need = braid_action_min_use(req->action);
	if (req->use > need)
		need = req->use;
	d->use = need;
	if (!braid_role_may(u->role, req->action)) {
		snprintf(d->reason, sizeof d->reason, "role %s may not %s", role, act);
		return deny(d, err);
	}
	if (need > braid_role_max_use(u->role)) {
		snprintf(d->reason, sizeof d->reason, "role %s may receive at most %s, %s needs %s",
			 role, braid_use_name(braid_role_max_use(u->role)), act, braid_use_name(need));
		return deny(d, err);
	}
	if (req->action == BRAID_ACT_CLIENT_VIEW && req->persons != 1) {
		snprintf(d->reason, sizeof d->reason, "a client view shows one client at a time");
		return deny(d, err);
	}
	if (req->action != BRAID_ACT_RELEASE && req->nsources == 0 && req->nfields == 0) {
		/* An action touching nothing named cannot be checked field by
		 * field, so it is not allowed: callers must say what they read. */
		snprintf(d->reason, sizeof d->reason, "%s names no source", act);
		return deny(d, err);
	}
	/* Source and field names reach reasons and the audit log: only names
	 * (never free text that might hold an identifier) are accepted. */
	for (size_t i = 0; i < req->nsources; i++)
		if (!braid__policy_token_ok(req->sources[i], BRAID_NAME_MAX)) {
			snprintf(d->reason, sizeof d->reason, "source %zu is not a valid name", i + 1);
			return deny(d, err);
		}
	for (size_t i = 0; i < req->nfields; i++)
		if (!braid__policy_token_ok(req->fields[i].source, BRAID_NAME_MAX) ||
		    !braid__policy_token_ok(req->fields[i].field, BRAID_NAME_MAX)) {
			snprintf(d->reason, sizeof d->reason, "field %zu is not a valid name", i + 1);
			return deny(d, err);
		}
	char today[11];
	const char *date = req->date;
	if (!date) {
		braid_today(today);
		date = today;
	}
	int best = -1;
	size_t besti = 0;
	char why[400];
	for (size_t i = 0; i < nags; i++) {
		enum stage st = evaluate(ags[i], u, req, need, date, NULL, 0);
		if (st == ST_COVERS) {
			d->allowed = 1;
			snprintf(d->agreement, sizeof d->agreement, "%s", ags[i]->id);
			d->min_cell_size = ags[i]->min_cell_size;
			return BRAID_OK;
		}
		if ((int)st > best) {
			best = st;
			besti = i;
		}
	}
	if (best > ST_PURPOSE) {
		evaluate(ags[besti], u, req, need, date, why, sizeof why);
		snprintf(d->agreement, sizeof d->agreement, "%s", ags[besti]->id);
		snprintf(d->reason, sizeof d->reason, "agreement '%s' %s", ags[besti]->id, why);
	}
	if (best <= ST_USER) {
		d->agreement[0] = 0;
		snprintf(d->reason, sizeof d->reason,
			 "no agreement covers user '%s' (role %s%s%s%s)", u->name, role,
			 u->org[0] ? ", org '" : "", u->org, u->org[0] ? "'" : "");
	} else if (best == ST_PURPOSE) {
		d->agreement[0] = 0;
		snprintf(d->reason, sizeof d->reason,
			 "no agreement covering user '%s' names purpose '%s'", u->name, req->purpose);
	}
	return deny(d, err);
}
