/*
 * braid key rotate (admins): re-seal the vault under a new key and replace
 * the key file (braid_store_key_rotate); audited.  Prints counts only.
 * It does not re-key API keys of users (those are Argon2 hashes, not
 * encrypted with the vault key).
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <stdio.h>
#include <string.h>

int cmd_key(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: braid key rotate\n\n"
		       "Re-encrypt every sealed vault row under a new key in one transaction,\n"
		       "then replace the key file atomically.  Admins only; audited.\n");
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "rotate"))
		return cli_usage_error("usage: braid key rotate");
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	int ok = u.role == BRAID_ROLE_ADMIN;
	char reason[160] = "";
	struct braid_key_rotate_stats st = {0, 0};
	braid_rc rc = BRAID_OK;
	if (!ok)
		snprintf(reason, sizeof reason, "role %s may not rotate the vault key (admins only)",
			 braid_role_name(u.role));
	else if (!(rc = braid_store_key_rotate(s, cli->dir, &st, &err)))
		snprintf(reason, sizeof reason, "%lld identities, %lld raw rejects re-sealed",
			 (long long)st.identities, (long long)st.rejects);
	struct braid_err aerr;
	braid_err_clear(&aerr);
	if (!rc && braid_policy_audit_admin(p, &u, "key-rotate", "", ok, reason, &aerr)) {
		cli_logout(s, p);
		return cli_fail(&aerr);
	}
	cli_logout(s, p);
	if (!ok)
		braid_err_set(&err, BRAID_EDENIED, "%s", reason);
	if (!ok || rc)
		return cli_fail(&err);
	printf("vault key rotated: %s\n", reason);
	return 0;
}
