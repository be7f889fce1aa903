/*
 * Fuzz target for the agreement parser (braid/policy.h).
 *
 * Each input is parsed as an agreement file and the parser's promises are
 * checked, abort()ing when one fails:
 *  - it either returns an agreement or an error, never both or neither;
 *  - an error is BRAID_EPARSE or BRAID_ETOOBIG with a message, never one
 *    with a run of more than 8 digits outside a name (values are not
 *    echoed; names, which may be, start with a letter);
 *  - an accepted agreement satisfies its invariants: id and dates valid,
 *    end >= start, at least one party, purpose, basis, source and coverage,
 *    min cell size 1..1000, use level set, identifier fields only with
 *    linked-row use; and the public JSON of it is produced;
 *  - the policy check over it terminates and never allows a role beyond
 *    its bound.
 * It does not compare field values against an oracle (the unit tests do).
 */
#include "braid/policy.h"
#include "braid/record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_accepted(struct braid_agreement *a)
{
	if (!a->id || !*a->id || !braid_iso_date_valid(a->start) || !braid_iso_date_valid(a->end) ||
	    strcmp(a->end, a->start) < 0 || !a->nparties || !a->npurposes || !a->nbasis ||
	    !a->nsources || (!a->ncover_users && !a->ncover_orgs && !a->cover_roles) ||
	    a->min_cell_size < 1 || a->min_cell_size > 1000 || a->use < BRAID_USE_AGGREGATE ||
	    a->use > BRAID_USE_LINKED || !a->summary || !a->title)
		abort();
	for (size_t i = 0; i < a->nsources; i++) {
		if (!a->sources[i].nfields)
			abort();
		for (size_t j = 0; j < a->sources[i].nfields; j++) {
			int f = braid_field_by_name(a->sources[i].fields[j]);
			if (f >= 0 && braid_field_is_identifier((enum braid_field)f) &&
			    a->use != BRAID_USE_LINKED)
				abort();
		}
	}
	char *j = braid_agreement_public_json(a, "2026-06-01");
	if (!j)
		abort();
	free(j);
	/* Every role asks for every action on the agreement's first source. */
	const char *src = a->sources[0].name;
	struct braid_field_ref f = {src, a->sources[0].fields[0]};
	for (int r = 0; r < BRAID_ROLE__COUNT; r++)
		for (int act = 0; act < BRAID_ACT__COUNT; act++) {
			struct braid_user u;
			memset(&u, 0, sizeof u);
			snprintf(u.name, sizeof u.name, "%s",
				 a->ncover_users ? a->cover_users[0] : "someone");
			snprintf(u.org, sizeof u.org, "%s", a->ncover_orgs ? a->cover_orgs[0] : "");
			u.role = (enum braid_role)r;
			struct braid_request req = {.action = (enum braid_action)act,
						    .purpose = a->purposes[0], .sources = &src,
						    .nsources = 1, .fields = &f, .nfields = 1,
						    .persons = 1, .date = a->start};
			struct braid_decision d;
			braid_rc rc = braid_policy_check(&u, &a, 1, &req, &d, NULL);
			if (rc == BRAID_OK && (!d.allowed || !braid_role_may(u.role, req.action) ||
					       d.use > braid_role_max_use(u.role) || d.use > a->use))
				abort();
			if (rc != BRAID_OK && (d.allowed || !d.reason[0]))
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct braid_agreement *a = NULL;
	struct braid_err err;
	braid_err_clear(&err);
	braid_rc rc = braid_agreement_parse((const char *)data, size, "fuzz.yaml", &a, &err);
	if ((rc == BRAID_OK) != (a != NULL))
		abort();
	if (rc) {
		if ((rc != BRAID_EPARSE && rc != BRAID_ETOOBIG) || !err.msg[0])
			abort();
		/* A digit run not inside a name (names start with a letter). */
		int run = 0, named = 0;
		for (const char *p = err.msg; *p; p++) {
			int digit = *p >= '0' && *p <= '9';
			if (digit && !run)
				named = p > err.msg && ((p[-1] >= 'a' && p[-1] <= 'z') || p[-1] == '_');
			run = digit ? run + 1 : 0;
			if (run > 8 && !named)
				abort();
		}
		return 0;
	}
	check_accepted(a);
	braid_agreement_free(a);
	return 0;
}
