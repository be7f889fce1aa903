/*
 * braid gaps RULES --program P --purpose P [--as-of DATE] [--rows]
 *            [--format table|csv|json] [--explain]
 *
 * Eligible-but-not-enrolled people for one program of a rules file: counts
 * (eligible, enrolled, gap, enrollment rate among the eligible, by ZIP) by
 * default; with --rows the outreach list of pseudonymous person ids and
 * their ZIP, which needs an agreement permitting linked rows.  Authorised
 * and audited like braid query.  The work is in src/query (rules) and
 * src/analyze/gaps.c; this file reads arguments and prints.
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
	fprintf(f, "usage: braid gaps RULES --program P --purpose P [--as-of YYYY-MM-DD]\n"
		   "                  [--rows] [--format table|csv|json] [--explain]\n\n"
		   "Who is eligible for program P (rules file, docs/query-language.md) but not\n"
		   "enrolled, at the as-of date (default today): counts by ZIP and the enrollment\n"
		   "rate among the eligible; --rows lists them (an agreement permitting linked rows).\n");
}

int cmd_gaps(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *file = NULL, *program = NULL, *purpose = NULL, *fmt = "table", *as_of = NULL;
	int rows = 0, explain = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rows"))
			rows = 1;
		else if (!strcmp(argv[i], "--counts"))
			rows = 0;
		else if (!strcmp(argv[i], "--explain"))
			explain = 1;
		else if (!strcmp(argv[i], "--program") && i + 1 < argc)
			program = argv[++i];
		else if (!strcmp(argv[i], "--purpose") && i + 1 < argc)
			purpose = argv[++i];
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			fmt = argv[++i];
		else if (!strcmp(argv[i], "--as-of") && i + 1 < argc)
			as_of = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error("gaps: unknown option '%s' (see braid gaps --help)", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return cli_usage_error("gaps: one RULES file only");
	}
	if (!file || !program)
		return cli_usage_error("gaps: RULES and --program P are required (see braid gaps --help)");
	if (!explain && !purpose)
		return cli_usage_error("gaps: --purpose P is required");
	int f = braid_qformat_by_name(fmt);
	if (f < 0)
		return cli_usage_error("gaps: --format must be table, csv or json");
	char today[11];
	if (!as_of) {
		braid_today(today);
		as_of = today;
	}
	if (!braid_iso_date_valid(as_of))
		return cli_usage_error("gaps: --as-of must be a date YYYY-MM-DD");

	struct braid_err err;
	braid_err_clear(&err);
	char *text = NULL;
	size_t len = 0;
	if (braid_query_read_file(file, &text, &len, &err))
		return cli_fail(&err);
	struct braid_query *q = NULL;
	if (braid_rules_parse(text, len, file, &q, &err)) {
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
	if (braid_rules_compile(q, cat, program, as_of, &plan, &err)) {
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
	braid_qplan_request(plan, rows ? BRAID_ACT_QUERY_ROWS : BRAID_ACT_QUERY_COUNTS, purpose, text,
			    &req);
	req.date = NULL;
	struct braid_decision d;
	if (braid_policy_authorize(p, &u, &req, &d, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	int64_t n = 0;
	if (braid_gaps_run(s, plan, d.min_cell_size, &counts, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (rows) {
		static const char *const names[] = {"person_id", "zip"};
		if (braid_query_rows_render(s, BRAID_GAPS_ROWS_SQL, names, 2, (enum braid_qformat)f, &out,
					    &n, &err)) {
			code = cli_fail(&err);
			goto done;
		}
	} else {
		if (braid_qcounts_render(counts, (enum braid_qformat)f, &out)) {
			braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			code = cli_fail(&err);
			goto done;
		}
		n = (int64_t)counts->nscalars;
		for (size_t i = 0; i < counts->ntables; i++)
			n += (int64_t)counts->tables[i].ncells;
	}
	if (braid_policy_commit(p, &u, &req, &d, n, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (out.data)
		fwrite(out.data, 1, out.len, stdout);
	if (!rows && f == BRAID_QFMT_TABLE)
		printf("\n(program %s at %s; agreement %s, minimum cell size %ld)\n", program, as_of,
		       d.agreement, d.min_cell_size);
done:
	if (s)
		braid_gaps_clear(s);
	braid_buf_release(&out);
	braid_qcounts_free(counts);
	braid_qplan_free(plan);
	braid_qcatalog_free(cat);
	cli_logout(s, p);
	braid_query_free(q);
	free(text);
	return code;
}
