/*
 * braid analysis water-shutoff --purpose P [--as-of DATE]
 *                [--format table|csv|json] [--low-income COND] [--explain]
 *
 * Descriptive analyses built on the query layer.  water-shutoff classifies
 * water accounts (shut off, at risk, current, closed) and counts the
 * low-income ones, by ZIP and race (src/analyze/water.c).  Counts only,
 * authorised (query-counts) and audited; cells below the agreement's
 * minimum are suppressed.  This file reads arguments and prints.
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
	fprintf(f, "usage: braid analysis water-shutoff --purpose P [--as-of YYYY-MM-DD]\n"
		   "                [--format table|csv|json] [--low-income COND] [--explain]\n"
		   "                [--status-type T]\n\n"
		   "water-shutoff: water accounts by their latest status at the as-of date (default\n"
		   "today): shut off, at risk (shutoff notice), current; low-income when the\n"
		   "account holder meets COND (rules syntax; default SNAP or Medicaid within 365\n"
		   "days, or LIHEAP within 365 days); tables by ZIP and race; the at-risk\n"
		   "accounts the low-income rule would protect.\n");
}

int cmd_analysis(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "water-shutoff"))
		return cli_usage_error("analysis: unknown analysis '%s' (known: water-shutoff)", argv[1]);
	const char *purpose = NULL, *fmt = "table", *as_of = NULL, *low = NULL, *stype = NULL;
	int explain = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--explain"))
			explain = 1;
		else if (!strcmp(argv[i], "--purpose") && i + 1 < argc)
			purpose = argv[++i];
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			fmt = argv[++i];
		else if (!strcmp(argv[i], "--as-of") && i + 1 < argc)
			as_of = argv[++i];
		else if (!strcmp(argv[i], "--low-income") && i + 1 < argc)
			low = argv[++i];
		else if (!strcmp(argv[i], "--status-type") && i + 1 < argc)
			stype = argv[++i];
		else
			return cli_usage_error("analysis: unknown option '%s'", argv[i]);
	}
	if (!explain && !purpose)
		return cli_usage_error("analysis: --purpose P is required");
	int f = braid_qformat_by_name(fmt);
	if (f < 0)
		return cli_usage_error("analysis: --format must be table, csv or json");
	char today[11];
	if (!as_of) {
		braid_today(today);
		as_of = today;
	}
	if (!braid_iso_date_valid(as_of))
		return cli_usage_error("analysis: --as-of must be a date YYYY-MM-DD");

	struct braid_store *s = NULL;
	struct braid_policy *p = NULL;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_qcatalog *cat = NULL;
	struct braid_qplan *plan = NULL;
	struct braid_qcounts *counts = NULL;
	struct braid_buf out;
	braid_buf_init(&out, 0);
	struct braid_water_opts o;
	braid_water_opts_init(&o, as_of);
	o.low_income = low;
	if (stype)
		o.status_type = stype;
	if (braid_query_prepare_store(s, &err) || braid_qcatalog_load(s, &cat, &err) ||
	    braid_water_plan(cat, &o, &plan, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (explain) {
		printf("%s;\n", braid_qplan_sql(plan));
		goto done;
	}
	struct braid_request req;
	braid_qplan_request(plan, BRAID_ACT_QUERY_COUNTS, purpose, "analysis water-shutoff", &req);
	struct braid_decision d;
	if (braid_policy_authorize(p, &u, &req, &d, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (braid_water_counts(s, plan, d.min_cell_size, &counts, &err) ||
	    braid_qcounts_render(counts, (enum braid_qformat)f, &out)) {
		if (!err.code)
			braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		code = cli_fail(&err);
		goto done;
	}
	int64_t n = (int64_t)counts->nscalars;
	for (size_t i = 0; i < counts->ntables; i++)
		n += (int64_t)counts->tables[i].ncells;
	if (braid_policy_commit(p, &u, &req, &d, n, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	if (out.data)
		fwrite(out.data, 1, out.len, stdout);
	if (f == BRAID_QFMT_TABLE)
		printf("\n(water accounts at %s; agreement %s, minimum cell size %ld)\n", as_of, d.agreement,
		       d.min_cell_size);
done:
	braid_buf_release(&out);
	braid_qcounts_free(counts);
	braid_qplan_free(plan);
	braid_qcatalog_free(cat);
	cli_logout(s, p);
	return code;
}
