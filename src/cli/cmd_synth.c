/*
 * braid synth — writes a synthetic demo city (sources, specs, truth) with
 * braid_synth_run().  Parses options, shows progress on a terminal, prints a
 * summary (text or --format json).  It does not touch a workspace.
 */
#include "cli.h"

#include "braid/synth.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: braid synth [--people N] [--seed S] [--years FROM-TO] [--error-scale X]\n"
		"                   --out DIR [--format text|json]\n\n"
		"Generate a synthetic city with ground truth: DIR/sources/*.csv (one per agency),\n"
		"DIR/specs/*.yaml, DIR/truth/{persons,households,people,addresses}.csv,\n"
		"DIR/truth/facts.json, DIR/truth/errors.json, DIR/reference/places.csv (the city's\n"
		"address -> ZIP/tract/district table) and DIR/README.md.  The same options give the\n"
		"same bytes.\n\n"
		"  --people N        residents (default 3000; ~3 source records in ~8 rows each)\n"
		"  --seed S          random seed (default 1)\n"
		"  --years A-B       event window (default 2016-2024; analysis date Dec 31 of B)\n"
		"  --error-scale X   multiply every per-source error rate by X (default 1; 0 = clean)\n"
		"  --out DIR         output directory (created; existing files replaced)\n"
		"  --format F        summary as text (default) or json\n");
}

static void progress_cb(void *ctx, unsigned long long done, unsigned long long total)
{
	cli_progress_update(ctx, done > total ? total : done);
}

static int parse_u64(const char *s, unsigned long long *out)
{
	long v;
	if (braid_parse_long(s, &v) || v < 0)
		return -1;
	*out = (unsigned long long)v;
	return 0;
}

int cmd_synth(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	struct braid_synth_opts o;
	braid_synth_opts_init(&o);
	const char *format = "text";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			return cli_usage_error("option '%s' needs a value (see braid synth --help)", a);
		const char *v = argv[++i];
		long l;
		unsigned long long u;
		if (!strcmp(a, "--people")) {
			if (braid_parse_long(v, &l))
				return cli_usage_error("--people expects a number");
			o.people = l;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(v, &u))
				return cli_usage_error("--seed expects a non-negative number");
			o.seed = u;
		} else if (!strcmp(a, "--years")) {
			const char *dash = strchr(v, '-');
			char from[16];
			if (!dash || (size_t)(dash - v) >= sizeof from)
				return cli_usage_error("--years expects FROM-TO, e.g. 2016-2024");
			memcpy(from, v, (size_t)(dash - v));
			from[dash - v] = 0;
			long a1, b1;
			if (braid_parse_long(from, &a1) || braid_parse_long(dash + 1, &b1))
				return cli_usage_error("--years expects FROM-TO, e.g. 2016-2024");
			o.year_from = (int)a1;
			o.year_to = (int)b1;
		} else if (!strcmp(a, "--error-scale")) {
			if (braid_parse_double(v, &o.error_scale))
				return cli_usage_error("--error-scale expects a number");
		} else if (!strcmp(a, "--out")) {
			o.out_dir = v;
		} else if (!strcmp(a, "--format")) {
			if (strcmp(v, "text") && strcmp(v, "json"))
				return cli_usage_error("--format expects text or json");
			format = v;
		} else {
			return cli_usage_error("unknown option '%s' (see braid synth --help)", a);
		}
	}
	if (!o.out_dir)
		return cli_usage_error("--out DIR is required (see braid synth --help)");
	struct cli_progress p;
	cli_progress_begin(&p, cli, "synth", (unsigned long long)o.people);
	o.progress = progress_cb;
	o.progress_ctx = &p;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_synth_stats st;
	braid_rc rc = braid_synth_run(&o, &st, &err);
	cli_progress_end(&p);
	if (rc)
		return cli_fail(&err);
	if (!strcmp(format, "json")) {
		json_t *j = json_object(), *src = json_object();
		json_object_set_new(j, "out", json_string(o.out_dir));
		json_object_set_new(j, "people", json_integer(st.people));
		json_object_set_new(j, "households", json_integer(st.households));
		json_object_set_new(j, "rows", json_integer(st.rows));
		json_object_set_new(j, "records", json_integer(st.records));
		for (int i = 0; i < st.sources; i++) {
			json_t *s = json_object();
			json_object_set_new(s, "rows", json_integer(st.source_rows[i]));
			json_object_set_new(s, "records", json_integer(st.source_records[i]));
			json_object_set_new(src, st.source_names[i], s);
		}
		json_object_set_new(j, "sources", src);
		cli_print_json(j);
		json_decref(j);
		return 0;
	}
	printf("wrote %s: %ld people in %ld households, %lld rows, %lld records in %d sources\n",
	       o.out_dir, st.people, st.households, st.rows, st.records, st.sources);
	for (int i = 0; i < st.sources; i++)
		printf("  %-14s %10lld rows %10lld records\n", st.source_names[i], st.source_rows[i],
		       st.source_records[i]);
	return 0;
}
