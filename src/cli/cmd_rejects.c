/*
 * braid rejects NAME: the reject log of a source (file, line, column,
 * reason).  Raw rows hold identifiers: they are decrypted from the vault
 * and shown only with --raw.
 */
#include "cli.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rctx {
	int json, raw;
	json_t *arr;
};

static int cb(void *ctx, const struct braid_reject *j)
{
	struct rctx *c = ctx;
	if (c->json) {
		json_t *o = json_object();
		json_object_set_new(o, "file", json_string(j->file));
		json_object_set_new(o, "line", json_integer(j->line));
		json_object_set_new(o, "column", json_integer(j->column));
		json_object_set_new(o, "reason", json_string(j->reason));
		json_object_set_new(o, "batch", json_integer(j->batch_id));
		if (c->raw && j->raw)
			json_object_set_new(o, "raw", json_stringn_nocheck(j->raw, j->raw_len));
		json_array_append_new(c->arr, o);
		return 0;
	}
	printf("%s:%ld", j->file, j->line);
	if (j->column)
		printf(":%ld", j->column);
	printf(": %s\n", j->reason);
	if (c->raw && j->raw) {
		/* The raw row as read, on one line (newlines shown as \n). */
		fputs("    ", stdout);
		for (size_t i = 0; i < j->raw_len; i++) {
			if (j->raw[i] == '\n')
				fputs("\\n", stdout);
			else if (j->raw[i] == '\r')
				fputs("\\r", stdout);
			else
				putchar(j->raw[i]);
		}
		putchar('\n');
	}
	return 0;
}

int cmd_rejects(struct cli *cli, int argc, char **argv)
{
	struct rctx c = {0};
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid rejects NAME [--raw] [--format table|json]\n\n"
			       "The rows of NAME's files that could not be loaded: file:line:column\n"
			       "and the reason.  --raw also shows each raw row (decrypted from the\n"
			       "vault: it holds identifiers).\n");
			return 0;
		} else if (!strcmp(argv[i], "--raw")) {
			c.raw = 1;
		} else if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			c.json = !strcmp(argv[++i], "json");
		} else if (argv[i][0] == '-') {
			return cli_usage_error("unknown option '%s'", argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return cli_usage_error("rejects takes one source name");
		}
	}
	if (!name)
		return cli_usage_error("usage: braid rejects NAME [--raw] [--format json]");
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_store *s = NULL;
	if (braid_store_open(cli->dir, &s, &err))
		return cli_fail(&err);
	int64_t sid;
	int ex = 0;
	c.arr = json_array();
	if (braid_store_source_get(s, name, &sid, NULL, &err) ||
	    braid_store_reject_iter(s, sid, c.raw, cb, &c, &err))
		ex = cli_fail(&err);
	else if (c.json) {
		cli_print_json(c.arr);
	}
	json_decref(c.arr);
	braid_store_close(s);
	return ex;
}
