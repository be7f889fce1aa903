/*
 * braid quality NAME: the quality report of a source (see
 * braid_quality_report): a table by default, the JSON with --json.
 * Identifier fields show counts only, never values.
 */
#include "cli.h"
#include "braid/ingest.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_table(json_t *r)
{
	printf("source %s: %lld records from %lld batches; %lld rows read = %lld loaded + "
	       "%lld rejected; %lld values flagged\n\n",
	       json_string_value(json_object_get(r, "source")),
	       (long long)json_integer_value(json_object_get(r, "records")),
	       (long long)json_integer_value(json_object_get(r, "batches")),
	       (long long)json_integer_value(json_object_get(r, "rows_read")),
	       (long long)json_integer_value(json_object_get(r, "rows_loaded")),
	       (long long)json_integer_value(json_object_get(r, "rows_rejected")),
	       (long long)json_integer_value(json_object_get(r, "values_flagged")));
	long long wa = (long long)json_integer_value(json_object_get(r, "with_address"));
	if (wa)
		printf("geocoded: %lld of %lld records with an address (%.1f%%)\n\n",
		       (long long)json_integer_value(json_object_get(r, "geocoded")), wa,
		       100 * json_real_value(json_object_get(r, "geocode_rate")));
	printf("%-14s %9s %9s %8s %9s %9s  %s\n", "FIELD", "PRESENT", "INVALID", "COMPLETE",
	       "VALIDITY", "DISTINCT", "MOST COMMON");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(r, "fields"), i, f) {
		printf("%-14s %9lld %9lld %7.1f%% %8.1f%% %9lld  ",
		       json_string_value(json_object_get(f, "field")),
		       (long long)json_integer_value(json_object_get(f, "present")),
		       (long long)json_integer_value(json_object_get(f, "invalid")),
		       100 * json_real_value(json_object_get(f, "completeness")),
		       100 * json_real_value(json_object_get(f, "validity")),
		       (long long)json_integer_value(json_object_get(f, "distinct")));
		json_t *top = json_object_get(f, "top");
		if (!top) {
			printf("(identifier: values not shown)\n");
			continue;
		}
		size_t k;
		json_t *t;
		json_array_foreach(top, k, t)
			printf("%s%s (%lld)", k ? ", " : "",
			       json_string_value(json_object_get(t, "value")),
			       (long long)json_integer_value(json_object_get(t, "count")));
		printf("\n");
	}
	json_t *ev = json_object_get(r, "events");
	if (json_array_size(ev)) {
		printf("\n%-24s %9s %9s\n", "EVENT TYPE", "COUNT", "FLAGGED");
		json_array_foreach(ev, i, f)
			printf("%-24s %9lld %9lld\n", json_string_value(json_object_get(f, "type")),
			       (long long)json_integer_value(json_object_get(f, "count")),
			       (long long)json_integer_value(json_object_get(f, "invalid")));
	}
	json_t *rej = json_object_get(r, "rejects");
	printf("\nrejects by reason:%s\n", json_array_size(rej) ? "" : " none");
	json_array_foreach(rej, i, f)
		printf("%9lld  %s\n", (long long)json_integer_value(json_object_get(f, "count")),
		       json_string_value(json_object_get(f, "reason")));
}

int cmd_quality(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	int json = 0;
	long top = 5;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid quality NAME [--json | --format json] [--top N]\n\n"
			       "Per mapped field: present, invalid (flagged), completeness (valid /\n"
			       "records), validity (valid / present), distinct values and the most\n"
			       "common values (not for identifiers); events by type; rejects by reason.\n");
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			json = !strcmp(argv[++i], "json");
		} else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
			if (braid_parse_long(argv[++i], &top) || top < 1 || top > 1000)
				return cli_usage_error("--top: expected a number from 1 to 1000");
		} else if (argv[i][0] == '-') {
			return cli_usage_error("unknown option '%s'", argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return cli_usage_error("quality takes one source name");
		}
	}
	if (!name)
		return cli_usage_error("usage: braid quality NAME [--json]");
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_store *s = NULL;
	if (braid_store_open(cli->dir, &s, &err))
		return cli_fail(&err);
	char *text = NULL;
	int ex = 0;
	if (braid_quality_report(s, name, (int)top, &text, &err)) {
		ex = cli_fail(&err);
	} else if (json) {
		puts(text);
	} else {
		json_t *r = json_loads(text, 0, NULL);
		if (r)
			print_table(r);
		json_decref(r);
	}
	free(text);
	braid_store_close(s);
	return ex;
}
