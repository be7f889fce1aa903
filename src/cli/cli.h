/*
 * Shared by the braid subcommands: global options, error reporting, progress.
 * Only the CLI prints and chooses exit codes; the library returns errors.
 */
#ifndef BRAID_CLI_H
#define BRAID_CLI_H

#include "braid/core.h"

#include <stdio.h>

#define BRAID_VERSION "0.1.0"

struct cli {
	const char *dir;     /* workspace: -C DIR, $BRAID_DIR, or "." */
	const char *as_user; /* --as USER or $BRAID_USER, may be NULL */
	int progress;        /* stderr is a terminal: show progress */
};

typedef int (*braid_cmd_fn)(struct cli *cli, int argc, char **argv);
struct braid_cmd {
	const char *name;
	const char *summary;
	braid_cmd_fn fn;
};

/* Parse global options; returns the index of the subcommand in argv, or
 * -1 after printing a usage error. */
int cli_init(struct cli *cli, int argc, char **argv);
/* True when argv contains --help or -h. */
int cli_wants_help(int argc, char **argv);
/* Print "braid: error: <formatted err>" on stderr and return the exit code
 * for err->code. */
int cli_fail(const struct braid_err *err);
/* Print "braid: error: ..." and return exit code 2 (usage). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress on a terminal, silent when piped.  label is e.g. "ingest";
 * total may be 0 when unknown. */
struct cli_progress {
	int on;
	const char *label;
	unsigned long long total;
	double last;
	double start;
};
void cli_progress_begin(struct cli_progress *p, const struct cli *cli,
			const char *label, unsigned long long total);
void cli_progress_update(struct cli_progress *p, unsigned long long done);
void cli_progress_end(struct cli_progress *p);

/* Print a JSON value indented, keys in insertion order, then a newline
 * (borrowed: the caller still owns j). */
struct json_t;
void cli_print_json(const struct json_t *j);
/* cli_fail, then the offending line of text (a query or rules file) with a
 * caret under err's line:column (cmd_query.c).  Returns the exit code. */
int cli_fail_with_caret(const struct braid_err *err, const char *text, size_t len);

/* The subcommands. */
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_synth(struct cli *cli, int argc, char **argv);
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_source(struct cli *cli, int argc, char **argv);
int cmd_sources(struct cli *cli, int argc, char **argv);
int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_rejects(struct cli *cli, int argc, char **argv);
int cmd_quality(struct cli *cli, int argc, char **argv);
int cmd_places(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
int cmd_users(struct cli *cli, int argc, char **argv);
int cmd_agreement(struct cli *cli, int argc, char **argv);
int cmd_agreements(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_link(struct cli *cli, int argc, char **argv);
int cmd_eval(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_person(struct cli *cli, int argc, char **argv);
int cmd_model(struct cli *cli, int argc, char **argv);
int cmd_explain(struct cli *cli, int argc, char **argv);
int cmd_review(struct cli *cli, int argc, char **argv);
int cmd_query(struct cli *cli, int argc, char **argv);
int cmd_gaps(struct cli *cli, int argc, char **argv);
int cmd_analysis(struct cli *cli, int argc, char **argv);
int cmd_release(struct cli *cli, int argc, char **argv);
int cmd_releases(struct cli *cli, int argc, char **argv);
int cmd_client(struct cli *cli, int argc, char **argv);
int cmd_withdraw(struct cli *cli, int argc, char **argv);
int cmd_retention(struct cli *cli, int argc, char **argv);
int cmd_key(struct cli *cli, int argc, char **argv);

/* Open the workspace's store and policy layer and authenticate the caller
 * (--as or $BRAID_USER, key in $BRAID_KEY); every command that reads data
 * starts here.  Returns 0, or an exit code after printing the error.
 * Release both with cli_logout (cmd_user.c). */
struct braid_store;
struct braid_policy;
struct braid_user;
int cli_login(struct cli *cli, struct braid_store **s, struct braid_policy **p,
	      struct braid_user *u);
void cli_logout(struct braid_store *s, struct braid_policy *p);
/* After braid init: make the creator (--as, $BRAID_USER, $USER or "admin")
 * the workspace's first admin and print the key once (cmd_user.c). */
int cli_init_admin(struct cli *cli, const char *dir);

#endif
