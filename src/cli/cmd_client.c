/*
 * braid client PERSON_ID --purpose P [--format table|json]: one client's
 * service history for a caseworker — the events of every record of the
 * person, by date (type, dates, program, provider, source) — restricted to
 * the sources that an active agreement covers for this user and purpose.
 *
 * Each source of the person is checked on its own (braid_policy_check,
 * persons = 1, fields = the event types read plus start, and end, program
 * and provider only where the agreement covers them: columns not covered
 * are left out, not shown blank).  The covered sources are then grouped by
 * the agreement that covers them and each group goes through
 * braid_policy_authorize and braid_policy_commit with the rows it returns,
 * so every view is audited before it is printed.  When no source is
 * covered, the request for all of them is authorised so the denial is
 * audited too.
 *
 * The note about omitted sources is printed on every view, whether or not
 * something was omitted: saying "2 sources omitted" would tell the
 * caseworker that the client has records there (a jail stay, a treatment
 * programme) that no agreement lets them see.
 *
 * It reads no identifiers (events and the person index only) and does not
 * page through long histories: at most CLIENT_MAX_ROWS events.
 */
#include "cli.h"
#include "braid/pindex.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_MAX_ROWS 100000
#define CLIENT_MAX_SOURCES 64
#define CLIENT_MAX_TYPES 32 /* distinct event types per source */

struct ev {
	int src; /* index into view.src */
	char *type, *start, *end, *program, *provider;
};

struct src {
	char *name;
	const char *types[CLIENT_MAX_TYPES];
	size_t ntypes;
	int covered;
	int show_end, show_program, show_provider;
	char agreement[BRAID_NAME_MAX + 1];
	int64_t rows;
};

struct view {
	struct ev *ev;
	size_t nev, cap;
	struct src src[CLIENT_MAX_SOURCES];
	size_t nsrc;
};

static void view_release(struct view *v)
{
	for (size_t i = 0; i < v->nev; i++) {
		free(v->ev[i].type);
		free(v->ev[i].start);
		free(v->ev[i].end);
		free(v->ev[i].program);
		free(v->ev[i].provider);
	}
	free(v->ev);
	for (size_t i = 0; i < v->nsrc; i++)
		free(v->src[i].name);
	memset(v, 0, sizeof *v);
}

static int src_index(struct view *v, const char *name)
{
	for (size_t i = 0; i < v->nsrc; i++)
		if (!strcmp(v->src[i].name, name))
			return (int)i;
	if (v->nsrc == CLIENT_MAX_SOURCES)
		return -1;
	if (!(v->src[v->nsrc].name = braid_strdup(name)))
		return -1;
	return (int)v->nsrc++;
}

static int add_type(struct src *s, const char *type)
{
	for (size_t i = 0; i < s->ntypes; i++)
		if (!strcmp(s->types[i], type))
			return 0;
	if (s->ntypes == CLIENT_MAX_TYPES)
		return -1;
	s->types[s->ntypes++] = type;
	return 0;
}

static char *dup_or_null(struct braid_stmt *st, int col)
{
	return braid_stmt_is_null(st, col) ? NULL : braid_strdup(braid_stmt_text(st, col));
}

/* The person's events with their source, by date.  BRAID_ENOTFOUND when
 * the person id is not in the index. */
static braid_rc load_view(struct braid_store *s, const char *pid, struct view *v,
			  struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, "SELECT count(*) FROM person_record WHERE person_id=?1",
					  &st, err);
	if (rc)
		return rc;
	braid_stmt_bind_text(st, 1, pid, -1);
	int row = 0;
	rc = braid_stmt_step(st, &row, err);
	int64_t nrec = row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	if (rc)
		return rc;
	if (nrec == 0)
		return braid_err_set(err, BRAID_ENOTFOUND, "person '%s' not found in the person index",
				     pid);
	rc = braid_store_prepare(s,
		"SELECT so.name, e.type, e.start_date, e.end_date, e.program, e.provider"
		" FROM person_record pr JOIN records r ON r.record_key = pr.record_key"
		" JOIN sources so ON so.id = r.source_id"
		" JOIN events e ON e.record_key = pr.record_key"
		" WHERE pr.person_id = ?1"
		" ORDER BY e.start_date IS NULL, e.start_date, e.end_date, so.name, e.type, e.id",
		&st, err);
	if (rc)
		return rc;
	braid_stmt_bind_text(st, 1, pid, -1);
	for (;;) {
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (v->nev == CLIENT_MAX_ROWS) {
			rc = braid_err_set(err, BRAID_ETOOBIG,
					   "client history longer than %d events", CLIENT_MAX_ROWS);
			break;
		}
		if (v->nev == v->cap) {
			size_t nc = v->cap ? v->cap * 2 : 64;
			struct ev *p = braid_reallocarray(v->ev, nc, sizeof *p);
			if (!p) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			v->ev = p;
			v->cap = nc;
		}
		int si = src_index(v, braid_stmt_text(st, 0));
		if (si < 0) {
			rc = braid_err_set(err, BRAID_ETOOBIG, "client has records in too many sources");
			break;
		}
		struct ev *e = &v->ev[v->nev];
		memset(e, 0, sizeof *e);
		e->src = si;
		e->type = braid_strdup(braid_stmt_text(st, 1));
		e->start = dup_or_null(st, 2);
		e->end = dup_or_null(st, 3);
		e->program = dup_or_null(st, 4);
		e->provider = dup_or_null(st, 5);
		v->nev++;
		if (!e->type || add_type(&v->src[si], e->type)) {
			rc = braid_err_set(err, e->type ? BRAID_ETOOBIG : BRAID_ENOMEM,
					   e->type ? "too many event types in source '%s'"
						   : "out of memory",
					   v->src[si].name);
			break;
		}
	}
	braid_stmt_finalize(st);
	return rc;
}

/* Fields read from source s: its event types and start, plus the optional
 * columns asked for.  refs must hold CLIENT_MAX_TYPES + 4. */
static size_t src_fields(const struct src *s, int end, int program, int provider,
			 struct braid_field_ref *refs)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ntypes; i++)
		refs[n++] = (struct braid_field_ref){s->name, s->types[i]};
	refs[n++] = (struct braid_field_ref){s->name, "start"};
	if (end)
		refs[n++] = (struct braid_field_ref){s->name, "end"};
	if (program)
		refs[n++] = (struct braid_field_ref){s->name, "program"};
	if (provider)
		refs[n++] = (struct braid_field_ref){s->name, "provider"};
	return n;
}

static int check_src(const struct braid_user *u, struct braid_agreement *const *ags, size_t nags,
		     const char *purpose, struct src *s, int end, int program, int provider,
		     char agreement[BRAID_NAME_MAX + 1])
{
	struct braid_field_ref refs[CLIENT_MAX_TYPES + 4];
	const char *names[1] = {s->name};
	struct braid_request req = {.action = BRAID_ACT_CLIENT_VIEW, .purpose = purpose,
				    .sources = names, .nsources = 1, .persons = 1};
	req.fields = refs;
	req.nfields = src_fields(s, end, program, provider, refs);
	struct braid_decision d;
	struct braid_err err;
	braid_err_clear(&err);
	if (braid_policy_check(u, ags, nags, &req, &d, &err))
		return 0;
	if (agreement)
		snprintf(agreement, BRAID_NAME_MAX + 1, "%s", d.agreement);
	return 1;
}

/* Decide, source by source, what may be shown. */
static void decide(struct braid_policy *p, const struct braid_user *u, const char *purpose,
		   struct view *v)
{
	struct braid_agreement *const *ags;
	size_t nags = braid_policy_agreements(p, &ags);
	for (size_t i = 0; i < v->nsrc; i++) {
		struct src *s = &v->src[i];
		if (!check_src(u, ags, nags, purpose, s, 0, 0, 0, s->agreement))
			continue;
		s->covered = 1;
		/* An optional column is shown when the same agreement also
		 * covers it (the group is authorised as one request). */
		char ag[BRAID_NAME_MAX + 1];
		s->show_end = check_src(u, ags, nags, purpose, s, 1, 0, 0, ag) &&
			      !strcmp(ag, s->agreement);
		s->show_program = check_src(u, ags, nags, purpose, s, 0, 1, 0, ag) &&
				  !strcmp(ag, s->agreement);
		s->show_provider = check_src(u, ags, nags, purpose, s, 0, 0, 1, ag) &&
				   !strcmp(ag, s->agreement);
	}
	for (size_t k = 0; k < v->nev; k++)
		v->src[v->ev[k].src].rows += v->src[v->ev[k].src].covered;
}

/* Authorise (and later commit) the sources covered by one agreement as one
 * request; fields and names live in the arrays given. */
struct group {
	const char *names[CLIENT_MAX_SOURCES];
	struct braid_field_ref refs[CLIENT_MAX_SOURCES * (CLIENT_MAX_TYPES + 4)];
	struct braid_request req;
	struct braid_decision d;
	int64_t rows;
};

static void group_build(struct group *g, const struct view *v, const char *agreement,
			const char *purpose, int all)
{
	memset(g, 0, sizeof *g);
	size_t ns = 0, nf = 0;
	for (size_t i = 0; i < v->nsrc; i++) {
		const struct src *s = &v->src[i];
		if (!all && (!s->covered || strcmp(s->agreement, agreement)))
			continue;
		g->names[ns++] = s->name;
		nf += src_fields(s, !all && s->show_end, !all && s->show_program,
				 !all && s->show_provider, g->refs + nf);
		g->rows += s->rows;
	}
	g->req = (struct braid_request){.action = BRAID_ACT_CLIENT_VIEW, .purpose = purpose,
					.sources = g->names, .nsources = ns, .fields = g->refs,
					.nfields = nf, .persons = 1};
}

static void print_table(const struct view *v, const char *pid)
{
	printf("client %s\n", pid);
	printf("%-10s  %-10s  %-16s  %-16s  %-14s  %s\n", "start", "end", "type", "program",
	       "provider", "source");
	for (size_t k = 0; k < v->nev; k++) {
		const struct ev *e = &v->ev[k];
		const struct src *s = &v->src[e->src];
		if (!s->covered)
			continue;
		printf("%-10s  %-10s  %-16s  %-16s  %-14s  %s\n", e->start ? e->start : "",
		       s->show_end && e->end ? e->end : "", e->type,
		       s->show_program && e->program ? e->program : "",
		       s->show_provider && e->provider ? e->provider : "", s->name);
	}
}

static int print_json(const struct view *v, const char *pid, const char *purpose)
{
	json_t *o = json_object(), *events = json_array(), *shown = json_array();
	if (!o || !events || !shown) {
		json_decref(o);
		json_decref(events);
		json_decref(shown);
		return -1;
	}
	json_object_set_new(o, "person_id", json_string(pid));
	json_object_set_new(o, "purpose", json_string(purpose));
	for (size_t k = 0; k < v->nev; k++) {
		const struct ev *e = &v->ev[k];
		const struct src *s = &v->src[e->src];
		if (!s->covered)
			continue;
		json_t *x = json_object();
		json_object_set_new(x, "start", e->start ? json_string(e->start) : json_null());
		if (s->show_end)
			json_object_set_new(x, "end", e->end ? json_string(e->end) : json_null());
		json_object_set_new(x, "type", json_string(e->type));
		if (s->show_program)
			json_object_set_new(x, "program",
					    e->program ? json_string(e->program) : json_null());
		if (s->show_provider)
			json_object_set_new(x, "provider",
					    e->provider ? json_string(e->provider) : json_null());
		json_object_set_new(x, "source", json_string(s->name));
		json_array_append_new(events, x);
	}
	for (size_t i = 0; i < v->nsrc; i++)
		if (v->src[i].covered) {
			json_t *x = json_object();
			json_object_set_new(x, "source", json_string(v->src[i].name));
			json_object_set_new(x, "agreement", json_string(v->src[i].agreement));
			json_array_append_new(shown, x);
		}
	json_object_set_new(o, "events", events);
	json_object_set_new(o, "sources_shown", shown);
	json_object_set_new(o, "note", json_string("sources not covered by an agreement for this "
						   "user and purpose are omitted"));
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -1;
	printf("%s\n", s);
	free(s);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: braid client PERSON_ID --purpose P [--format table|json]\n\n"
		   "One client's service history, by date, from the sources that an active\n"
		   "agreement lets you see for this purpose; other sources are omitted.\n"
		   "Every view is recorded in the audit log.\n");
}

int cmd_client(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *pid = NULL, *purpose = NULL, *fmt = "table";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--purpose") && i + 1 < argc)
			purpose = argv[++i];
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			fmt = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage_error("client: unknown option '%s' (see braid client --help)",
					       argv[i]);
		else if (!pid)
			pid = argv[i];
		else
			return cli_usage_error("client: one PERSON_ID at a time");
	}
	if (!pid || !purpose)
		return cli_usage_error("usage: braid client PERSON_ID --purpose P [--format table|json]");
	int json = !strcmp(fmt, "json");
	if (!json && strcmp(fmt, "table"))
		return cli_usage_error("client: --format must be table or json");
	if (strlen(pid) != BRAID_PERSON_ID_LEN || pid[0] != 'P')
		return cli_usage_error("client: PERSON_ID must be 'P' and 12 characters");

	struct braid_store *s = NULL;
	struct braid_policy *p = NULL;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	struct view v;
	memset(&v, 0, sizeof v);
	struct group *g = malloc(sizeof *g);
	if (!g) {
		braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		code = cli_fail(&err);
		goto done;
	}
	if (braid_pindex_schema(s, &err) || load_view(s, pid, &v, &err)) {
		code = cli_fail(&err);
		goto done;
	}
	decide(p, &u, purpose, &v);
	size_t ncovered = 0;
	for (size_t i = 0; i < v.nsrc; i++)
		ncovered += (size_t)v.src[i].covered;
	if (ncovered == 0) {
		/* Audit the denial of the whole view (its reason names the
		 * closest agreement); a person with no events at all has
		 * nothing to check and is shown as an empty history. */
		if (v.nsrc > 0) {
			group_build(g, &v, NULL, purpose, 1);
			if (braid_policy_authorize(p, &u, &g->req, &g->d, &err) == BRAID_OK)
				braid_err_set(&err, BRAID_EDENIED, "client view not covered");
			code = cli_fail(&err);
			goto done;
		}
	}
	/* One audited request per covering agreement; nothing is printed
	 * before every group is committed. */
	for (size_t i = 0; i < v.nsrc; i++) {
		struct src *si = &v.src[i];
		int first = si->covered;
		for (size_t j = 0; j < i && first; j++)
			if (v.src[j].covered && !strcmp(v.src[j].agreement, si->agreement))
				first = 0;
		if (!first)
			continue;
		group_build(g, &v, si->agreement, purpose, 0);
		if (braid_policy_authorize(p, &u, &g->req, &g->d, &err) ||
		    braid_policy_commit(p, &u, &g->req, &g->d, g->rows, &err)) {
			code = cli_fail(&err);
			goto done;
		}
	}
	if (json) {
		if (print_json(&v, pid, purpose)) {
			braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			code = cli_fail(&err);
			goto done;
		}
	} else {
		print_table(&v, pid);
		printf("\nshown:");
		for (size_t i = 0; i < v.nsrc; i++)
			if (v.src[i].covered)
				printf(" %s (agreement %s)", v.src[i].name, v.src[i].agreement);
		printf("%s\nsources not covered by an agreement for you and purpose %s are omitted\n",
		       ncovered ? "" : " nothing", purpose);
	}
done:
	free(g);
	view_release(&v);
	cli_logout(s, p);
	return code;
}
