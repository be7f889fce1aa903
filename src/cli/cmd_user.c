/*
 * braid user add NAME --role ROLE [--org ORG]   (prints the new key once)
 * braid users                                    (admins: who has access)
 *
 * Also the login every command that reads data uses (cli_login): the user
 * from --as or $BRAID_USER, the key from $BRAID_KEY (never from the command
 * line, where other users of the machine could see it in ps).
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <stdlib.h>
#include <string.h>

int cli_login(struct cli *cli, struct braid_store **s, struct braid_policy **p,
	      struct braid_user *u)
{
	struct braid_err err;
	braid_err_clear(&err);
	*s = NULL;
	*p = NULL;
	if (braid_store_open(cli->dir, s, &err))
		return cli_fail(&err);
	if (braid_policy_open(*s, p, &err)) {
		braid_store_close(*s);
		*s = NULL;
		return cli_fail(&err);
	}
	if (!cli->as_user || !*cli->as_user) {
		cli_logout(*s, *p);
		*s = NULL;
		*p = NULL;
		return cli_usage_error("who is asking? set BRAID_USER (or --as USER) and BRAID_KEY");
	}
	const char *key = getenv("BRAID_KEY");
	if (braid_policy_authenticate(*p, cli->as_user, key ? key : "", u, &err) ||
	    /* Defence in depth: whatever a command does, a user who may
	     * not read identifiers gets a connection that cannot.  Admins
	     * keep it: withdrawal, retention and key rotation rewrite the
	     * vault (and their commands check the role themselves). */
	    (!braid_role_may(u->role, BRAID_ACT_VAULT_READ) && u->role != BRAID_ROLE_ADMIN &&
	     braid_store_restrict_vault(*s, &err))) {
		cli_logout(*s, *p);
		*s = NULL;
		*p = NULL;
		return cli_fail(&err);
	}
	return 0;
}

void cli_logout(struct braid_store *s, struct braid_policy *p)
{
	braid_policy_close(p);
	braid_store_close(s);
}

static int user_add(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *org = NULL;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--role") || !strcmp(argv[i], "--org")) && i + 1 < argc) {
			if (argv[i][2] == 'r')
				role = argv[++i];
			else
				org = argv[++i];
		} else if (argv[i][0] == '-') {
			return cli_usage_error("unknown or incomplete option '%s'", argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return cli_usage_error("one user at a time");
		}
	}
	if (!name || !role)
		return cli_usage_error("usage: braid user add NAME --role ROLE [--org ORG]");
	int r = braid_role_by_name(role);
	if (r < 0)
		return cli_usage_error("--role: expected admin, steward, linker, analyst, caseworker, "
				       "cbo or public");
	struct braid_user nu;
	memset(&nu, 0, sizeof nu);
	struct braid_err err;
	braid_err_clear(&err);
	if (braid_user_name_check(name, &err) || (org && braid_user_org_check(org, &err)))
		return cli_fail(&err);
	snprintf(nu.name, sizeof nu.name, "%s", name);
	snprintf(nu.org, sizeof nu.org, "%s", org ? org : "");
	nu.role = (enum braid_role)r;

	struct braid_store *s;
	struct braid_policy *p;
	if (braid_store_open(cli->dir, &s, &err))
		return cli_fail(&err);
	if (braid_policy_open(s, &p, &err)) {
		braid_store_close(s);
		return cli_fail(&err);
	}
	int64_t n = 0;
	if (braid_policy_user_count(p, &n, &err)) {
		cli_logout(s, p);
		return cli_fail(&err);
	}
	struct braid_user me, *by = NULL;
	if (n > 0) {
		/* Normally only an admin adds users; the exception below is a
		 * workspace made before users existed, whose first user must
		 * be an admin (braid init makes one itself). */
		cli_logout(s, p);
		int rc = cli_login(cli, &s, &p, &me);
		if (rc)
			return rc;
		by = &me;
	} else if (nu.role != BRAID_ROLE_ADMIN) {
		cli_logout(s, p);
		return cli_usage_error("the workspace has no users yet: the first must be an admin");
	}
	char key[BRAID_KEY_LEN + 1];
	braid_rc rc = braid_policy_user_add(p, by, &nu, key, &err);
	cli_logout(s, p);
	if (rc)
		return cli_fail(&err);
	fprintf(stderr, "braid: added %s '%s'%s%s%s; its key is shown once below, keep it secret\n",
		braid_role_name(nu.role), nu.name, nu.org[0] ? " of '" : "", nu.org,
		nu.org[0] ? "'" : "");
	printf("%s\n", key);
	return 0;
}

static int print_user(void *ctx, const struct braid_user *u, const char *created)
{
	(void)ctx;
	printf("%-20s %-11s %-30s %s\n", u->name, braid_role_name(u->role),
	       u->org[0] ? u->org : "-", created);
	return 0;
}

int cmd_user(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv) || argc < 2) {
		printf("usage: braid user add NAME --role admin|steward|linker|analyst|caseworker|"
		       "cbo|public [--org ORG]\n\nPrints the new user's API key once; only its "
		       "Argon2id hash is stored.\nRun as an admin (BRAID_USER/--as and BRAID_KEY).\n");
		return argc < 2 && !cli_wants_help(argc, argv) ? 2 : 0;
	}
	if (!strcmp(argv[1], "add"))
		return user_add(cli, argc - 1, argv + 1);
	return cli_usage_error("unknown 'user' subcommand (expected add)");
}

int cmd_users(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: braid users\n\nLists users, roles and organisations (admins only).\n");
		return 0;
	}
	if (argc > 1)
		return cli_usage_error("usage: braid users");
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user me;
	int rc = cli_login(cli, &s, &p, &me);
	if (rc)
		return rc;
	struct braid_err err;
	braid_err_clear(&err);
	if (me.role != BRAID_ROLE_ADMIN) {
		braid_policy_audit_admin(p, &me, "user-list", "", 0, "only an admin may list users",
					 NULL);
		cli_logout(s, p);
		braid_err_set(&err, BRAID_EDENIED, "only an admin may list users");
		return cli_fail(&err);
	}
	printf("%-20s %-11s %-30s %s\n", "NAME", "ROLE", "ORG", "CREATED");
	braid_rc r = braid_policy_user_list(p, print_user, NULL, &err);
	cli_logout(s, p);
	return r ? cli_fail(&err) : 0;
}

int cli_init_admin(struct cli *cli, const char *dir)
{
	const char *name = cli->as_user && *cli->as_user ? cli->as_user : getenv("USER");
	if (!name || braid_user_name_check(name, NULL))
		name = "admin";
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_store *s;
	if (braid_store_open(dir, &s, &err))
		return cli_fail(&err);
	char key[BRAID_KEY_LEN + 1];
	braid_rc rc = braid_policy_bootstrap(s, name, key, &err);
	braid_store_close(s);
	if (rc)
		return cli_fail(&err);
	printf("admin user '%s' created; its key is shown once, keep it secret:\n"
	       "BRAID_KEY=%s\n", name, key);
	return 0;
}
