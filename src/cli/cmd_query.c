/*
 * braid query FILE: run a cohort file through the policy layer.
 *
 *   braid query FILE --explain              print the SQL, sources and fields
 *   braid query FILE --purpose P [--rows|--counts] [--format table|csv|json]
 *
 * Counts are the default; --rows (pseudonymous person ids) needs an
 * agreement permitting linked rows.  Every run is authorised and audited
 * (braid_policy_authorize, then braid_policy_commit before the answer is
 * printed).  Parse and plan errors print the line and a caret under the
 * token.  The library does the work (braid/query.h); this file only
 * reads arguments and prints.
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/query.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: braid query FILE --purpose P [--rows|--counts] [--format table|csv|json]\n"
		   "       braid query FILE --explain\n\n"
		   "Run a cohort file (docs/query-language.md).  Counts are the default: cells\n"
		   "below the agreement's minimum cell size are suppressed.  --rows lists\n"
		   "pseudonymous person ids and needs an agreement permitting linked rows.\n");
}

/* Print err, and under it the offending line with a caret. */
int cli_fail_with_caret(const struct braid_err *err, const char *text, size_t len)
{
	int code = cli_fail(err);
	if (err->line > 0) {
		struct braid_buf b;
		braid_buf_init(&b, 4096);
		if (!braid_query_caret(text, len, err->line, err->column, &b) && b.data) {
			fputs("  ", stderr);
			for (const char *p = b.data; *p; p++) {
				fputc(*p, stderr);
				if (*p == '\n' && p[1])
					fputs("  ", stderr);
			}
		}
		braid_buf_release(&b);
	}
	return code;
}

int cmd_query(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *file = NULL, *purpose = NULL, *fmt = "table";
	int explain = 0, rows = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--explain"))
			explain = 1;
		else if (!strcmp(argv[i], "--rows"))
			rows = 1;
		else if (!strcmp(argv[i], "--counts"))
			rows = 0;
		else if (!strcmp(argv[i], "--purpose") && i + 1 < argc)
			purpose = argv[++i];
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			fmt = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error("query: unknown option '%s' (see braid query --help)", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return cli_usage_error("query: one FILE only");
	}
	if (!file)
		return cli_usage_error("query: missing FILE (see braid query --help)");
	int f = braid_qformat_by_name(fmt);
	if (f < 0)
		return cli_usage_error("query: --format must be table, csv or json");
	if (!explain && !purpose)
		return cli_usage_error("query: --purpose P is required (the purpose an agreement permits)");

	struct braid_err err;
	braid_err_clear(&err);
	char *text = NULL;
	size_t len = 0;
	if (braid_query_read_file(file, &text, &len, &err))
		return cli_fail(&err);
	struct braid_query *q = NULL;
	if (braid_query_parse(text, len, file, &q, &err)) {
		int code = cli_fail_with_caret(&err, text, len);
		free(text);
		return code;
	}
	struct braid_store *s = NULL;
	struct braid_policy *p = NULL;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code) {
		braid_query_free(q);
		free(text);
		return code;
	}
	struct braid_qcatalog *cat = NULL;
	struct braid_qplan *plan = NULL;
	struct braid_qcounts *counts = NULL;
	struct braid_buf out;
	braid_buf_init(&out, 0);
	if (braid_query_prepare_store(s, &err) || braid_qcatalog_load(s, &cat, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (braid_query_compile(q, cat, &plan, &err)) {
		code = cli_fail_with_caret(&err, text, len);
		goto done;
	}
	if (explain) {
		const char *const *srcs;
		const struct braid_field_ref *fl;
		size_t ns = braid_qplan_sources(plan, &srcs), nf = braid_qplan_fields(plan, &fl);
		printf("-- sources:");
		for (size_t i = 0; i < ns; i++)
			printf(" %s", srcs[i]);
		printf("\n-- fields:");
		for (size_t i = 0; i < nf; i++)
			printf(" %s.%s", fl[i].source, fl[i].field);
		printf("\n%s;\n", braid_qplan_sql(plan));
		goto done;
	}
	struct braid_request req;
	braid_qplan_request(plan, rows ? BRAID_ACT_QUERY_ROWS : BRAID_ACT_QUERY_COUNTS, purpose,
			    text, &req);
	struct braid_decision d;
	if (braid_policy_authorize(p, &u, &req, &d, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	int64_t n = 0;
	if (rows) {
		const char *const *dims;
		size_t nd = braid_qplan_dims(plan, &dims);
		const char *names[8] = {"person_id", "index_date"};
		for (size_t i = 0; i < nd && i < 6; i++)
			names[2 + i] = dims[i];
		if (braid_query_rows_render(s, braid_qplan_sql(plan), names, 2 + (int)(nd < 6 ? nd : 6),
					    (enum braid_qformat)f, &out, &n, &err)) {
			code = cli_fail(&err);
			goto done;
		}
	} else {
		if (braid_qplan_counts(s, plan, d.min_cell_size, &counts, &err) ||
		    braid_qcounts_render(counts, (enum braid_qformat)f, &out)) {
			if (!err.code)
				braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			code = cli_fail(&err);
			goto done;
		}
		n = (int64_t)counts->nscalars;
		for (size_t i = 0; i < counts->ntables; i++)
			n += (int64_t)counts->tables[i].ncells;
	}
	/* The answer is shown only once the audit entry is written. */
	if (braid_policy_commit(p, &u, &req, &d, n, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (out.data)
		fwrite(out.data, 1, out.len, stdout);
	if (!rows && f == BRAID_QFMT_TABLE)
		printf("\n(agreement %s, minimum cell size %ld)\n", d.agreement, d.min_cell_size);
done:
	braid_buf_release(&out);
	braid_qcounts_free(counts);
	braid_qplan_free(plan);
	braid_qcatalog_free(cat);
	cli_logout(s, p);
	braid_query_free(q);
	free(text);
	return code;
}
