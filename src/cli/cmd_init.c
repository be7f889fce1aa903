/*
 * braid init [DIR]: create a workspace (see docs/workspace.md).  Refuses to
 * re-initialise an existing one; never touches data.
 */
#include "cli.h"
#include "braid/store.h"

#include <stdio.h>
#include <string.h>

int cmd_init(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		printf("usage: braid init [DIR]\n\n"
		       "Create a braid workspace in DIR (default: -C DIR, $BRAID_DIR or .):\n"
		       "braid.conf, braid.db (analytic store), vault.db (encrypted identifiers)\n"
		       "and the 32-byte vault key (DIR/vault.key, mode 0600, or $BRAID_KEY_FILE).\n"
		       "Keep the key safe: without it the vault cannot be read.\n");
		return 0;
	}
	if (argc > 2)
		return cli_usage_error("init takes at most one directory");
	if (argc == 2 && argv[1][0] == '-')
		return cli_usage_error("unknown option '%s'", argv[1]);
	const char *dir = argc == 2 ? argv[1] : cli->dir;
	struct braid_err err;
	braid_err_clear(&err);
	if (braid_workspace_init(dir, &err))
		return cli_fail(&err);
	printf("initialised braid workspace in %s\n", dir);
	/* The creator becomes the first admin (policy layer, cmd_user.c). */
	return cli_init_admin(cli, dir);
}
