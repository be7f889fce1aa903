/*
 * braid source add|show and braid sources: registering a source's spec
 * (from a YAML file or inline arguments) and looking at what is registered.
 * The spec is stored in canonical YAML; `show` prints exactly that.
 */
#include "cli.h"
#include "braid/ingest.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_store(struct cli *cli, struct braid_store **s)
{
	struct braid_err err;
	braid_err_clear(&err);
	if (braid_store_open(cli->dir, s, &err))
		return cli_fail(&err);
	return 0;
}

static void source_usage(FILE *f)
{
	fprintf(f,
		"usage: braid source add --spec FILE.yaml\n"
		"       braid source add NAME [--id COL] --field STD=COL[:FORMAT] ...\n"
		"             [--event TYPE --start COL[:FORMAT] [--end COL[:FORMAT]]\n"
		"              [--program COL] [--provider COL] [--amount COL] [--attr NAME=COL]...]\n"
		"             [--rows person|event] [--title T] [--steward S] [--regime R]\n"
		"             [--delimiter C] [--encoding utf-8|latin1]\n"
		"       braid source show NAME\n\n"
		"Register a source: how its files map to the city standard (see\n"
		"docs/spec-format.md).  Standard fields: first_name middle_name last_name\n"
		"suffix full_name dob birth_year sex ssn other_id street_number street_name\n"
		"address unit city state zip phone email race ethnicity.\n");
}

static int source_add(struct cli *cli, int argc, char **argv)
{
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_spec *spec = NULL;
	const char *spec_file = NULL;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--spec")) {
			if (i + 1 >= argc)
				return cli_usage_error("--spec needs a file");
			spec_file = argv[i + 1];
			if (argc != 3 && !(argc == 4 && i == 2))
				return cli_usage_error("--spec FILE takes no other options "
						       "(put them in the spec)");
		}
	braid_rc rc;
	if (spec_file) {
		rc = braid_spec_load(spec_file, &spec, &err);
		if (!rc && argc == 4 && strcmp(argv[1], spec->source)) {
			braid_spec_free(spec);
			return cli_usage_error("name '%s' differs from the spec's source '%s'",
					       argv[1], spec->source);
		}
	} else {
		if (argc < 2)
			return cli_usage_error("source add needs --spec FILE or a NAME");
		rc = braid_spec_from_args(argc - 1, argv + 1, &spec, &err);
		if (rc)
			return cli_fail(&err);
	}
	if (rc)
		return cli_fail(&err);
	char *yaml = braid_spec_to_yaml(spec);
	struct braid_store *s = NULL;
	int ex = open_store(cli, &s);
	if (!ex) {
		if (!yaml)
			rc = braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		else
			rc = braid_store_source_add(s, spec->source, yaml, NULL, &err);
		if (rc)
			ex = cli_fail(&err);
		else
			printf("added source %s\n", spec->source);
	}
	braid_store_close(s);
	free(yaml);
	braid_spec_free(spec);
	return ex;
}

static int source_show(struct cli *cli, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("usage: braid source show NAME");
	struct braid_store *s = NULL;
	int ex = open_store(cli, &s);
	if (ex)
		return ex;
	struct braid_err err;
	braid_err_clear(&err);
	char *text = NULL;
	if (braid_store_source_get(s, argv[1], NULL, &text, &err))
		ex = cli_fail(&err);
	else
		fputs(text, stdout);
	free(text);
	braid_store_close(s);
	return ex;
}

int cmd_source(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		source_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (cli_wants_help(argc, argv)) {
		source_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "add"))
		return source_add(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return source_show(cli, argc - 1, argv + 1);
	return cli_usage_error("unknown source subcommand '%s' (expected add or show)", argv[1]);
}

struct list_ctx {
	int json;
	json_t *arr;
	int n;
};

static int list_cb(void *ctx, const struct braid_source_info *in)
{
	struct list_ctx *c = ctx;
	c->n++;
	if (c->json) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(in->name));
		json_object_set_new(o, "records", json_integer(in->records));
		json_object_set_new(o, "batches", json_integer(in->batches));
		json_object_set_new(o, "rejects", json_integer(in->rejects));
		json_object_set_new(o, "created", json_string(in->created));
		json_array_append_new(c->arr, o);
	} else {
		printf("%-20s %10lld %8lld %8lld  %s\n", in->name, (long long)in->records,
		       (long long)in->batches, (long long)in->rejects, in->created);
	}
	return 0;
}

int cmd_sources(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid sources [--format table|json]\n\n"
			       "List registered sources with their record, batch and reject counts.\n");
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			json = !strcmp(argv[++i], "json");
			if (!json && strcmp(argv[i], "table"))
				return cli_usage_error("--format: expected table or json");
		} else {
			return cli_usage_error("unknown option '%s'", argv[i]);
		}
	}
	struct braid_store *s = NULL;
	int ex = open_store(cli, &s);
	if (ex)
		return ex;
	struct list_ctx c = {.json = json, .arr = json_array()};
	if (!json)
		printf("%-20s %10s %8s %8s  %s\n", "SOURCE", "RECORDS", "BATCHES", "REJECTS",
		       "CREATED");
	struct braid_err err;
	braid_err_clear(&err);
	if (braid_store_source_list(s, list_cb, &c, &err))
		ex = cli_fail(&err);
	else if (json) {
		cli_print_json(c.arr);
	}
	json_decref(c.arr);
	braid_store_close(s);
	return ex;
}
