/*
 * braid ingest NAME FILE...: load agency files for a registered source, as
 * one transaction, and print the counts (rows read = loaded + rejected,
 * values flagged).  Progress on a terminal, quiet when piped.
 */
#include "cli.h"
#include "braid/ingest.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: braid ingest NAME FILE... [--delimiter C] [--encoding latin1]\n"
		   "                    [--no-trim] [--replace] [--format table|json]\n\n"
		   "Load CSV files for source NAME (one transaction for all of them).\n"
		   "Rows that cannot be loaded go to the reject log ('braid rejects NAME');\n"
		   "bad values are stored as missing and flagged ('braid quality NAME').\n"
		   "A file whose content was already loaded is refused unless --replace,\n"
		   "which replaces the earlier load of that content.\n");
}

static void progress(void *ctx, unsigned long long rows, unsigned long long bytes,
		     unsigned long long total)
{
	(void)rows;
	(void)total;
	cli_progress_update(ctx, bytes);
}

int cmd_ingest(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	struct braid_ingest_opts o = {0};
	const char *name = NULL;
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	int nfiles = 0, json = 0;
	if (!files)
		return cli_usage_error("out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--delimiter") && i + 1 < argc) {
			const char *d = argv[++i];
			if (!strcmp(d, "\\t") || !strcmp(d, "tab"))
				o.delimiter = '\t';
			else if (strlen(d) == 1)
				o.delimiter = d[0];
			else {
				free(files);
				return cli_usage_error("--delimiter: expected one character");
			}
		} else if (!strcmp(a, "--encoding") && i + 1 < argc) {
			const char *e = argv[++i];
			if (!strcmp(e, "latin1") || !strcmp(e, "latin-1") || !strcmp(e, "iso-8859-1"))
				o.latin1 = 1;
			else if (strcmp(e, "utf-8") && strcmp(e, "utf8")) {
				free(files);
				return cli_usage_error("--encoding: expected utf-8 or latin1");
			}
		} else if (!strcmp(a, "--no-trim")) {
			o.notrim = 1;
		} else if (!strcmp(a, "--replace")) {
			o.replace = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			json = !strcmp(argv[++i], "json");
		} else if (a[0] == '-' && a[1]) {
			free(files);
			return cli_usage_error("unknown option '%s' (see braid ingest --help)", a);
		} else if (!name) {
			name = a;
		} else {
			files[nfiles++] = a;
		}
	}
	if (!name || !nfiles) {
		free(files);
		usage(stderr);
		return 2;
	}
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_store *s = NULL;
	if (braid_store_open(cli->dir, &s, &err)) {
		free(files);
		return cli_fail(&err);
	}
	struct cli_progress p;
	cli_progress_begin(&p, cli, "ingest", 0);
	o.progress = progress;
	o.progress_ctx = &p;
	struct braid_ingest_stats st;
	braid_rc rc = braid_ingest_files(s, name, files, nfiles, &o, &st, &err);
	cli_progress_end(&p);
	braid_store_close(s);
	free(files);
	if (rc)
		return cli_fail(&err);
	if (json)
		printf("{\"source\": \"%s\", \"files\": %d, \"rows_read\": %lld, \"rows_loaded\": %lld,"
		       " \"rows_rejected\": %lld, \"values_flagged\": %lld, \"records_new\": %lld,"
		       " \"events\": %lld, \"replaced_batches\": %lld, \"rows_withdrawn\": %lld,"
		       " \"with_address\": %lld, \"geocoded\": %lld}\n",
		       name, st.files,
		       (long long)st.rows_read, (long long)st.rows_loaded,
		       (long long)st.rows_rejected, (long long)st.values_flagged,
		       (long long)st.records_new, (long long)st.events,
		       (long long)st.replaced_batches, (long long)st.rows_withdrawn,
		       (long long)st.geo_with_address, (long long)st.geo_geocoded);
	else {
		/* Withdrawn rows (braid withdraw) only when there are some. */
		char wd[48] = "";
		if (st.rows_withdrawn)
			snprintf(wd, sizeof wd, " + %lld withdrawn", (long long)st.rows_withdrawn);
		printf("%s: %d file%s, %lld rows read = %lld loaded + %lld rejected%s; "
		       "%lld values flagged; %lld new records, %lld events%s\n", name, st.files,
		       st.files == 1 ? "" : "s", (long long)st.rows_read, (long long)st.rows_loaded,
		       (long long)st.rows_rejected, wd, (long long)st.values_flagged,
		       (long long)st.records_new, (long long)st.events,
		       st.replaced_batches ? " (replaced an earlier load)" : "");
		/* Only once places are loaded (braid places load). */
		if (st.geo_geocoded)
			printf("%s: geocoded %lld of %lld new records with an address (%.1f%%)\n",
			       name, (long long)st.geo_geocoded, (long long)st.geo_with_address,
			       100.0 * (double)st.geo_geocoded / (double)st.geo_with_address);
	}
	return 0;
}
