/*
 * braid retention run [--as-of DATE] (admins): for every agreement whose
 * end (or revocation) plus its declared destruction delay has passed,
 * destroy what it names — the sources' rows, identifiers or links
 * (braid_destroy_source) and the files of releases made under it
 * (exports) — and report it.  Each agreement is handled once: a row in
 * retention_done makes later runs report it as done (idempotent), and each
 * destruction is audited.  An agreement with a source kept (below) is not
 * done: later runs look at it again.
 *
 * A source that another agreement in force on that date still covers is
 * kept (and the report says so): the data are held under that agreement
 * too.  The release ledger and list are kept, so later releases stay
 * consistent with what was published; only the release files go.
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/release_store.h"
#include "braid/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char done_sql[] =
	"CREATE TABLE IF NOT EXISTS retention_done(agreement TEXT PRIMARY KEY,"
	" time TEXT NOT NULL, due TEXT NOT NULL, detail TEXT NOT NULL)";

/* The id of another agreement in force on date that names source. */
static const char *still_covered(struct braid_agreement *const *ags, size_t n,
				 const struct braid_agreement *a, const char *source,
				 const char *date)
{
	for (size_t i = 0; i < n; i++) {
		if (ags[i] == a || braid_agreement_status_on(ags[i], date) != BRAID_AG_ACTIVE)
			continue;
		for (size_t k = 0; k < ags[i]->nsources; k++)
			if (!strcmp(ags[i]->sources[k].name, source))
				return ags[i]->id;
	}
	return NULL;
}

struct rel_ctx {
	const char *agreement;
	char **dirs;
	size_t n, cap;
	int oom;
};

static int rel_cb(void *ctx, const struct braid_release_rec *r)
{
	struct rel_ctx *c = ctx;
	if (strcmp(r->agreement, c->agreement))
		return 0;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 8;
		char **p = braid_reallocarray(c->dirs, nc, sizeof *p);
		if (!p)
			return c->oom = 1;
		c->dirs = p;
		c->cap = nc;
	}
	if (!(c->dirs[c->n] = braid_strdup(r->out_dir)))
		return c->oom = 1;
	c->n++;
	return 0;
}

/* Remove the regular files of dir and dir itself; 1 when it was there. */
static int remove_release_dir(const char *dir, long *files)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int k = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (k > 0 && (size_t)k < sizeof path && !lstat(path, &st) && S_ISREG(st.st_mode) &&
		    !unlink(path))
			(*files)++;
	}
	closedir(d);
	rmdir(dir);
	return 1;
}

/* Destroy what a names; detail gets the report line, *kept how many
 * sources were kept for another agreement (then a is not done yet). */
static braid_rc destroy(struct braid_store *s, struct braid_agreement *const *ags, size_t nags,
			const struct braid_agreement *a, const char *as_of, char *detail,
			size_t cap, int *kept, struct braid_err *err)
{
	*kept = 0;
	size_t len = 0;
	detail[0] = 0;
#define SAY(...)                                                                     \
	do {                                                                         \
		int k_ = snprintf(detail + len, cap - len, __VA_ARGS__);             \
		if (k_ > 0)                                                          \
			len = (size_t)k_ < cap - len ? len + (size_t)k_ : cap - 1;   \
	} while (0)
	unsigned data = a->destroy_what & (BRAID_DESTROY_SOURCE_ROWS |
					   BRAID_DESTROY_IDENTIFIERS | BRAID_DESTROY_LINKS);
	if (data & BRAID_DESTROY_SOURCE_ROWS) /* as braid_destroy_source does */
		data |= BRAID_DESTROY_IDENTIFIERS | BRAID_DESTROY_LINKS;
	for (size_t i = 0; data && i < a->nsources; i++) {
		const char *src = a->sources[i].name;
		const char *other = still_covered(ags, nags, a, src, as_of);
		if (other) {
			SAY("%s kept (agreement %s covers it); ", src, other);
			(*kept)++;
			continue;
		}
		struct braid_withdraw_stats ws;
		braid_rc rc = braid_destroy_source(s, src, data, &ws, err);
		if (rc == BRAID_ENOTFOUND) {
			braid_err_clear(err);
			SAY("%s not loaded; ", src);
			continue;
		}
		if (rc)
			return rc;
		SAY("%s: %lld records, %lld events, %lld rejects%s%s destroyed; ", src,
		    (long long)ws.records, (long long)ws.events, (long long)ws.rejects,
		    data & BRAID_DESTROY_IDENTIFIERS ? ", identifiers" : "",
		    data & BRAID_DESTROY_LINKS ? ", links" : "");
	}
	if (a->destroy_what & BRAID_DESTROY_EXPORTS) {
		struct rel_ctx c = {.agreement = a->id};
		braid_rc rc = braid_release_store_init(s, err);
		if (!rc)
			rc = braid_release_record_list(s, rel_cb, &c, err);
		if (!rc && c.oom)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		long files = 0, dirs = 0;
		for (size_t i = 0; i < c.n; i++) {
			if (!rc)
				dirs += remove_release_dir(c.dirs[i], &files);
			free(c.dirs[i]);
		}
		free(c.dirs);
		if (rc)
			return rc;
		SAY("exports: %ld release director%s, %ld files removed; ", dirs,
		    dirs == 1 ? "y" : "ies", files);
	}
#undef SAY
	if (len >= 2 && detail[len - 2] == ';')
		detail[len - 2] = 0;
	return BRAID_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: braid retention run [--as-of YYYY-MM-DD]\n\n"
		   "Destroy what ended agreements name (their sources' rows, identifiers,\n"
		   "links, release files) once their destruction delay has passed.\n"
		   "Admins only; audited; running again changes nothing.\n");
}

int cmd_retention(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	char as_of[11];
	braid_today(as_of);
	if (argc < 2 || strcmp(argv[1], "run"))
		return cli_usage_error("usage: braid retention run [--as-of YYYY-MM-DD]");
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--as-of") && i + 1 < argc && braid_iso_date_valid(argv[i + 1]))
			snprintf(as_of, sizeof as_of, "%s", argv[++i]);
		else
			return cli_usage_error("retention: expected --as-of YYYY-MM-DD, got '%s'",
					       argv[i]);
	}
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	if (u.role != BRAID_ROLE_ADMIN) {
		char reason[128];
		snprintf(reason, sizeof reason, "role %s may not run retention (admins only)",
			 braid_role_name(u.role));
		if (!braid_policy_audit_admin(p, &u, "retention", "", 0, reason, &err))
			braid_err_set(&err, BRAID_EDENIED, "%s", reason);
		cli_logout(s, p);
		return cli_fail(&err);
	}
	struct braid_agreement *const *ags;
	size_t nags = braid_policy_agreements(p, &ags);
	braid_rc rc = braid_store_exec(s, done_sql, &err);
	int ndue = 0;
	for (size_t i = 0; i < nags && !rc; i++) {
		const struct braid_agreement *a = ags[i];
		char due[11];
		if (!braid_retention_due(a, as_of, due))
			continue;
		ndue++;
		struct braid_stmt *st;
		if ((rc = braid_store_prepare(s, "SELECT time FROM retention_done WHERE agreement=?1",
					      &st, &err)))
			break;
		braid_stmt_bind_text(st, 1, a->id, -1);
		int row = 0;
		rc = braid_stmt_step(st, &row, &err);
		if (!rc && row)
			printf("%s: destroyed before (%s)\n", a->id, braid_stmt_text(st, 0));
		braid_stmt_finalize(st);
		if (rc || row)
			continue;
		char detail[1024];
		int kept;
		if ((rc = destroy(s, ags, nags, a, as_of, detail, sizeof detail, &kept, &err)))
			break;
		char when[32];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		/* Kept sources are looked at again on the next run. */
		if (!kept) {
			if ((rc = braid_store_prepare(s, "INSERT INTO retention_done(agreement,time,"
						      "due,detail) VALUES(?1,?2,?3,?4)", &st, &err)))
				break;
			braid_stmt_bind_text(st, 1, a->id, -1);
			braid_stmt_bind_text(st, 2, when, -1);
			braid_stmt_bind_text(st, 3, due, -1);
			braid_stmt_bind_text(st, 4, detail, -1);
			rc = braid_stmt_step(st, &row, &err);
			braid_stmt_finalize(st);
		}
		if (!rc)
			rc = braid_policy_audit_admin(p, &u, "retention", a->id, 1, detail, &err);
		if (!rc)
			printf("%s: due %s: %s\n", a->id, due, detail[0] ? detail : "nothing held");
	}
	if (!rc && !ndue)
		printf("nothing due on %s\n", as_of);
	cli_logout(s, p);
	return rc ? cli_fail(&err) : 0;
}
