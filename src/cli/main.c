/*
 * The braid command: finds the subcommand and hands it argv.  Each
 * subcommand lives in its own cmd_*.c and is listed in commands[] below.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct braid_cmd commands[] = {
	{"version", "print the version", cmd_version},
	{"synth", "generate a synthetic demo city with ground truth", cmd_synth},
	{"init", "create a workspace", cmd_init},
	{"source", "register a source (add) or print its spec (show)", cmd_source},
	{"sources", "list registered sources", cmd_sources},
	{"ingest", "load CSV files for a source", cmd_ingest},
	{"rejects", "show rows that could not be loaded", cmd_rejects},
	{"quality", "quality report of a source", cmd_quality},
	{"places", "the gazetteer: load street ranges, geocode records", cmd_places},
	{"user", "add a user (prints its API key once)", cmd_user},
	{"users", "list users and roles", cmd_users},
	{"agreement", "add or revoke a data-sharing agreement", cmd_agreement},
	{"agreements", "list agreements; --public: the public register", cmd_agreements},
	{"audit", "verify or show the audit log", cmd_audit},
	{"link", "link every record and update the person index", cmd_link},
	{"eval", "precision, recall and F1 of the person index against truth", cmd_eval},
	{"export", "export the person index (source,record_id,person_id)", cmd_export},
	{"person", "a person's history of merges and splits, or records", cmd_person},
	{"model", "show the linkage model of the latest run", cmd_model},
	{"explain", "the match weight of two records, term by term", cmd_explain},
	{"review", "uncertain pairs to review, and clerical decisions", cmd_review},
	{"query", "run a cohort query (counts or rows) under an agreement", cmd_query},
	{"gaps", "eligible but not enrolled: counts, rate, outreach list", cmd_gaps},
	{"analysis", "descriptive analyses (water-shutoff)", cmd_analysis},
	{"release", "release protected counts of people under an agreement", cmd_release},
	{"releases", "list releases; --set-budget: an agreement's epsilon", cmd_releases},
	{"client", "one client's service history for a caseworker (audited)", cmd_client},
	{"withdraw", "remove a person (opt-out) or a source from every store", cmd_withdraw},
	{"retention", "destroy what ended agreements name, once due", cmd_retention},
	{"key", "rotate the vault key (re-encrypts the vault)", cmd_key},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: braid [-C DIR] [--as USER] COMMAND [ARGS]\n\n"
		   "braid brings a city's agency records together, links the same\n"
		   "resident across them, and answers only what agreements allow.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'braid COMMAND --help' for a command's options.\n");
}

int cmd_version(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (cli_wants_help(argc, argv)) {
		printf("usage: braid version\n");
		return 0;
	}
	printf("braid %s\n", BRAID_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli;
	int i = cli_init(&cli, argc, argv);
	if (i < 0)
		return 2;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].fn(&cli, argc - i, argv + i);
	fprintf(stderr, "braid: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
