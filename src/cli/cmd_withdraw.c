/*
 * braid withdraw --person ID | --source NAME (admins): remove a person who
 * opted out, or a whole source, from the vault, the analytic store and the
 * person index in one transaction (braid_withdraw_person/_source), and
 * record it in the audit log.  A withdrawn person's later rows are dropped
 * at ingest and counted as withdrawn.  Prints counts only, never values.
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: braid withdraw --person PERSON_ID\n"
		   "       braid withdraw --source NAME\n\n"
		   "Remove a person (opt-out) or a source from every store, in one\n"
		   "transaction.  A withdrawn person's rows are left out of later loads.\n"
		   "Admins only; audited.\n");
}

int cmd_withdraw(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *person = NULL, *source = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--person") && i + 1 < argc)
			person = argv[++i];
		else if (!strcmp(argv[i], "--source") && i + 1 < argc)
			source = argv[++i];
		else
			return cli_usage_error("withdraw: unexpected '%s' (see braid withdraw --help)",
					       argv[i]);
	}
	if (!person == !source)
		return cli_usage_error("withdraw: give --person ID or --source NAME");
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	const char *action = person ? "withdraw-person" : "withdraw-source";
	int ok = u.role == BRAID_ROLE_ADMIN;
	char reason[256] = "";
	if (!ok)
		snprintf(reason, sizeof reason, "role %s may not withdraw data (admins only)",
			 braid_role_name(u.role));
	struct braid_withdraw_stats ws;
	braid_rc rc = BRAID_OK;
	if (ok) {
		rc = person ? braid_withdraw_person(s, person, &ws, &err)
			    : braid_withdraw_source(s, source, &ws, &err);
		/* The audit entry names what was withdrawn by pseudonymous id
		 * or source name, and the counts. */
		if (!rc)
			snprintf(reason, sizeof reason, "%s %s: %lld records, %lld events, %lld rejects",
				 person ? "person" : "source", person ? person : source,
				 (long long)ws.records, (long long)ws.events, (long long)ws.rejects);
	}
	struct braid_err aerr;
	braid_err_clear(&aerr);
	if (!rc && braid_policy_audit_admin(p, &u, action, "", ok, reason, &aerr)) {
		cli_logout(s, p);
		return cli_fail(&aerr);
	}
	cli_logout(s, p);
	if (!ok) {
		braid_err_set(&err, BRAID_EDENIED, "%s", reason);
		return cli_fail(&err);
	}
	if (rc)
		return cli_fail(&err);
	if (person)
		printf("withdrew person %s: %lld records, %lld events, %lld rejected rows removed; "
		       "later loads leave them out\n", person, (long long)ws.records,
		       (long long)ws.events, (long long)ws.rejects);
	else
		printf("withdrew source %s: %lld records, %lld events, %lld rejects removed; "
		       "%lld persons lost records\n", source, (long long)ws.records,
		       (long long)ws.events, (long long)ws.rejects, (long long)ws.persons);
	return 0;
}
