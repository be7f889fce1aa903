/*
 * braid audit verify                      check the hash chain, name the first bad entry
 * braid audit show [--user U] [--since T] [--format text|json]
 *
 * Admins only.  verify prints the head (entry count and last hash); copying
 * it somewhere else (a ticket, an email to the privacy officer) lets a later
 * verify prove that nothing was rewritten since.
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int print_entry(void *ctx, const struct braid_audit_entry *e)
{
	json_t *arr = ctx;
	if (arr) {
		json_array_append_new(
			arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s}",
				       "seq", (json_int_t)e->seq, "time", e->time, "user", e->user,
				       "role", e->role, "org", e->org, "action", e->action,
				       "purpose", e->purpose, "agreement", e->agreement,
				       "sources", e->sources, "rows", (json_int_t)e->rows,
				       "query_hash", e->query_hash, "decision", e->decision,
				       "reason", e->reason, "prev_hash", e->prev_hash, "hash",
				       e->hash));
		return 0;
	}
	printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\t%s%s%s\n", (long long)e->seq, e->time,
	       e->user, e->role, e->org[0] ? e->org : "-", e->action, e->purpose,
	       e->agreement[0] ? e->agreement : "-", e->sources[0] ? e->sources : "-",
	       (long long)e->rows, e->decision, e->reason[0] ? ": " : "", e->reason);
	return 0;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv) || argc < 2) {
		printf("usage: braid audit verify\n"
		       "       braid audit show [--user U] [--since YYYY-MM-DD[THH:MM:SS]] "
		       "[--format text|json]\n\nAdmins only.\n");
		return cli_wants_help(argc, argv) ? 0 : 2;
	}
	const char *user = NULL, *since = NULL;
	int json = 0, verify = !strcmp(argv[1], "verify");
	if (!verify && strcmp(argv[1], "show"))
		return cli_usage_error("unknown 'audit' subcommand (expected verify or show)");
	for (int i = 2; i < argc; i++) {
		if (!verify && !strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!verify && !strcmp(argv[i], "--since") && i + 1 < argc)
			since = argv[++i];
		else if (!verify && !strcmp(argv[i], "--format") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "json") || !strcmp(argv[i + 1], "text")))
			json = !strcmp(argv[++i], "json");
		else
			return cli_usage_error("unknown or incomplete option '%s'", argv[i]);
	}
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user me;
	int x = cli_login(cli, &s, &p, &me);
	if (x)
		return x;
	struct braid_err err;
	braid_err_clear(&err);
	braid_rc rc;
	if (me.role != BRAID_ROLE_ADMIN) {
		braid_policy_audit_admin(p, &me, verify ? "audit-verify" : "audit-show", "", 0,
					 "only an admin may read the audit log", NULL);
		braid_err_set(&err, BRAID_EDENIED, "only an admin may read the audit log");
		cli_logout(s, p);
		return cli_fail(&err);
	}
	if (verify) {
		int64_t n = 0;
		char head[BRAID_HASH_HEX];
		rc = braid_policy_audit_verify(p, &n, head, &err);
		if (!rc)
			printf("audit log intact: %lld entries, head %s\n", (long long)n, head);
	} else {
		json_t *arr = json ? json_array() : NULL;
		if (!json)
			printf("SEQ\tTIME\tUSER\tROLE\tORG\tACTION\tPURPOSE\tAGREEMENT\tSOURCES\tROWS\t"
			       "DECISION\n");
		rc = braid_policy_audit_iter(p, user, since, print_entry, arr, &err);
		if (json) {
			if (!rc)
				cli_print_json(arr);
			json_decref(arr);
		}
	}
	cli_logout(s, p);
	return rc ? cli_fail(&err) : 0;
}
