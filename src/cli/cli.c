/*
 * Global options, error printing and terminal progress for the braid command.
 */
#include "cli.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_init(struct cli *cli, int argc, char **argv)
{
	memset(cli, 0, sizeof *cli);
	cli->dir = getenv("BRAID_DIR");
	if (!cli->dir || !*cli->dir)
		cli->dir = ".";
	cli->as_user = getenv("BRAID_USER");
	cli->progress = isatty(2) && !getenv("BRAID_NO_PROGRESS");
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-C") || !strcmp(argv[i], "--as")) {
			if (i + 1 >= argc) {
				cli_usage_error("option '%s' needs a value", argv[i]);
				return -1;
			}
			if (argv[i][1] == 'C')
				cli->dir = argv[i + 1];
			else
				cli->as_user = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			return i;
		} else {
			cli_usage_error("unknown option '%s'", argv[i]);
			return -1;
		}
	}
	return i;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int cli_fail(const struct braid_err *err)
{
	char buf[1200];
	braid_err_format(err, buf, sizeof buf);
	fprintf(stderr, "braid: error: %s\n", buf);
	return braid_rc_exit_code(err->code ? err->code : BRAID_EINTERNAL);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "braid: error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return 2;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_progress_begin(struct cli_progress *p, const struct cli *cli,
			const char *label, unsigned long long total)
{
	p->on = cli->progress;
	p->label = label;
	p->total = total;
	p->start = p->last = now();
}

void cli_progress_update(struct cli_progress *p, unsigned long long done)
{
	if (!p->on)
		return;
	double t = now();
	if (t - p->last < 0.2)
		return;
	p->last = t;
	if (p->total)
		fprintf(stderr, "\r%s: %llu/%llu (%.0f%%) %.1fs", p->label, done, p->total,
			100.0 * done / p->total, t - p->start);
	else
		fprintf(stderr, "\r%s: %llu %.1fs", p->label, done, t - p->start);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->on)
		fprintf(stderr, "\r\033[K");
}

void cli_print_json(const json_t *j)
{
	char *out = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (out)
		printf("%s\n", out);
	free(out);
}
