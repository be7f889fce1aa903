/*
 * braid agreement add FILE.yaml | braid agreement revoke ID [--on DATE]
 * braid agreements [--public] [--format text|json]
 *
 * Adding and revoking are for admins.  The list is for any user; --public
 * prints the public register (summaries, parties, purposes, legal bases,
 * sources and fields, use, dates, status) to anyone, without logging in —
 * never data and never which users an agreement covers.
 */
#include "cli.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int agreement_add(struct cli *cli, const char *file)
{
	struct braid_err err;
	braid_err_clear(&err);
	/* Validate before logging in: a mistake in the file is reported
	 * with its position whoever runs the command. */
	struct braid_agreement *a;
	if (braid_agreement_load(file, &a, &err))
		return cli_fail(&err);
	braid_agreement_free(a);
	FILE *f = fopen(file, "rb");
	if (!f) {
		braid_err_at(&err, BRAID_EIO, file, 0, 0, "cannot open agreement file");
		return cli_fail(&err);
	}
	struct braid_buf b;
	braid_buf_init(&b, BRAID_AGREEMENT_MAX);
	char chunk[8192];
	size_t n;
	braid_rc rc = BRAID_OK;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = braid_buf_append(&b, chunk, n);
	fclose(f);
	if (rc) {
		braid_buf_release(&b);
		braid_err_at(&err, rc, file, 0, 0, "cannot read agreement file");
		return cli_fail(&err);
	}
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user me;
	int x = cli_login(cli, &s, &p, &me);
	if (x) {
		braid_buf_release(&b);
		return x;
	}
	rc = braid_policy_agreement_add(p, &me, b.data ? b.data : "", b.len, file, &err);
	braid_buf_release(&b);
	if (!rc) {
		struct braid_agreement *const *ags;
		size_t na = braid_policy_agreements(p, &ags);
		char today[11];
		braid_today(today);
		/* The newest is the one whose file we just read: report its status. */
		struct braid_agreement *mine = NULL;
		braid_agreement_load(file, &mine, NULL);
		for (size_t i = 0; mine && i < na; i++)
			if (!strcmp(ags[i]->id, mine->id))
				printf("agreement %s added (%s, %s, %s to %s)\n", ags[i]->id,
				       braid_agreement_status_name(braid_agreement_status_on(ags[i], today)),
				       braid_use_name(ags[i]->use), ags[i]->start, ags[i]->end);
		braid_agreement_free(mine);
	}
	cli_logout(s, p);
	return rc ? cli_fail(&err) : 0;
}

static int agreement_revoke(struct cli *cli, const char *id, const char *on)
{
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user me;
	int x = cli_login(cli, &s, &p, &me);
	if (x)
		return x;
	struct braid_err err;
	braid_err_clear(&err);
	braid_rc rc = braid_policy_agreement_revoke(p, &me, id, on, &err);
	if (!rc) {
		struct braid_agreement *const *ags;
		size_t na = braid_policy_agreements(p, &ags);
		for (size_t i = 0; i < na; i++)
			if (!strcmp(ags[i]->id, id))
				printf("agreement %s revoked on %s\n", ags[i]->id, ags[i]->revoked_on);
	}
	cli_logout(s, p);
	return rc ? cli_fail(&err) : 0;
}

int cmd_agreement(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv) || argc < 3) {
		printf("usage: braid agreement add FILE.yaml\n"
		       "       braid agreement revoke ID [--on YYYY-MM-DD]\n\n"
		       "The agreement format is described in docs/governance.md.  Admins only.\n");
		return cli_wants_help(argc, argv) ? 0 : 2;
	}
	if (!strcmp(argv[1], "add") && argc == 3)
		return agreement_add(cli, argv[2]);
	if (!strcmp(argv[1], "revoke") && (argc == 3 || (argc == 5 && !strcmp(argv[3], "--on"))))
		return agreement_revoke(cli, argv[2], argc == 5 ? argv[4] : NULL);
	return cli_usage_error("usage: braid agreement add FILE.yaml | revoke ID [--on DATE]");
}

static void join(const char *const *v, size_t n, char *out, size_t cap)
{
	size_t at = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && at < cap; i++) {
		int k = snprintf(out + at, cap - at, "%s%s", i ? ", " : "", v[i]);
		if (k < 0)
			break;
		at += (size_t)k;
	}
}

int cmd_agreements(struct cli *cli, int argc, char **argv)
{
	int pub = 0, json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--public"))
			pub = 1;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "json") || !strcmp(argv[i + 1], "text")))
			json = !strcmp(argv[++i], "json");
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid agreements [--public] [--format text|json]\n\n"
			       "Lists agreements with their status (draft, pending, active, expired,\n"
			       "revoked).  --public prints the public register, and needs no login.\n");
			return 0;
		} else
			return cli_usage_error("unknown option '%s'", argv[i]);
	}
	struct braid_store *s = NULL;
	struct braid_policy *p = NULL;
	struct braid_user me;
	struct braid_err err;
	braid_err_clear(&err);
	if (pub) {
		if (braid_store_open(cli->dir, &s, &err))
			return cli_fail(&err);
		if (braid_policy_open(s, &p, &err)) {
			braid_store_close(s);
			return cli_fail(&err);
		}
	} else {
		int x = cli_login(cli, &s, &p, &me);
		if (x)
			return x;
	}
	char today[11];
	braid_today(today);
	struct braid_agreement *const *ags;
	size_t n = braid_policy_agreements(p, &ags);
	json_t *arr = json ? json_array() : NULL;
	if (!json && !pub)
		printf("%-28s %-8s %-16s %-10s %-10s %s\n", "ID", "STATUS", "USE", "START", "END",
		       "SOURCES");
	for (size_t i = 0; i < n; i++) {
		const struct braid_agreement *a = ags[i];
		/* Drafts are not public until they are signed. */
		if (pub && a->status == BRAID_AG_DRAFT)
			continue;
		const char *st = braid_agreement_status_name(braid_agreement_status_on(a, today));
		if (json) {
			char *js = braid_agreement_public_json(a, today);
			json_t *o = js ? json_loads(js, 0, NULL) : NULL;
			free(js);
			if (o && !pub) {
				json_object_set_new(o, "covers", json_pack("{s:o,s:o}", "users",
					json_array(), "orgs", json_array()));
				json_t *c = json_object_get(o, "covers");
				for (size_t k = 0; k < a->ncover_users; k++)
					json_array_append_new(json_object_get(c, "users"),
							      json_string(a->cover_users[k]));
				for (size_t k = 0; k < a->ncover_orgs; k++)
					json_array_append_new(json_object_get(c, "orgs"),
							      json_string(a->cover_orgs[k]));
				json_t *roles = json_array();
				for (int r = 0; r < BRAID_ROLE__COUNT; r++)
					if (a->cover_roles & (1u << r))
						json_array_append_new(roles, json_string(braid_role_name(
										   (enum braid_role)r)));
				json_object_set_new(c, "roles", roles);
			}
			if (o)
				json_array_append_new(arr, o);
			continue;
		}
		char srcs[512] = "";
		size_t at = 0;
		for (size_t k = 0; k < a->nsources && at < sizeof srcs; k++) {
			int w = snprintf(srcs + at, sizeof srcs - at, "%s%s", k ? "," : "",
					 a->sources[k].name);
			if (w < 0)
				break;
			at += (size_t)w;
		}
		if (!pub) {
			printf("%-28s %-8s %-16s %-10s %-10s %s\n", a->id, st, braid_use_name(a->use),
			       a->start, a->end, srcs);
			continue;
		}
		char parties[1024], purposes[512];
		join(a->parties, a->nparties, parties, sizeof parties);
		join(a->purposes, a->npurposes, purposes, sizeof purposes);
		printf("%s — %s\n  status: %s; in force %s to %s%s%s\n  parties: %s\n"
		       "  purposes: %s\n  use: %s (cells of at least %ld)\n  sources: %s\n"
		       "  summary: %s\n\n",
		       a->id, a->title, st, a->start, a->end, a->revoked_on[0] ? "; revoked " : "",
		       a->revoked_on, parties, purposes, braid_use_name(a->use), a->min_cell_size,
		       srcs, a->summary);
	}
	if (json) {
		cli_print_json(arr);
		json_decref(arr);
	}
	cli_logout(s, p);
	return 0;
}
