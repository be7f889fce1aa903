/*
 * braid places: the gazetteer.
 *
 *   braid places [--format table|json]      counts: segments, streets, tracts,
 *                                            districts; records geocoded
 *   braid places load FILE [--replace]      admin or steward; one transaction
 *   braid places geocode                    linker (reads the vault): give
 *                                            every record its tract, district
 *                                            and household key
 *
 * Loads and geocoding runs are audited like other administrative actions
 * (allowed or denied).  The library (src/geo) does the work; this file
 * only checks roles, prints and picks exit codes.
 */
#include "cli.h"
#include "braid/geo.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: braid places [--format table|json]\n"
		   "       braid places load FILE [--replace]\n"
		   "       braid places geocode\n\n"
		   "The gazetteer: street segments with house-number ranges in census tracts\n"
		   "and planning districts (header street,from,to,parity,zip5,tract,district).\n"
		   "'load' (admin or steward) replaces nothing unless --replace; records\n"
		   "ingested afterwards are geocoded as they load.  'geocode' (linker) fills\n"
		   "in records loaded before the places.\n");
}

/* Log in and require a role; audits the decision.  0 or an exit code. */
static int session(struct cli *cli, const char *action, int (*may)(enum braid_role),
		   const char *who, struct braid_store **s, struct braid_policy **p,
		   struct braid_user *u)
{
	int code = cli_login(cli, s, p, u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	int ok = may(u->role);
	char reason[160] = "";
	if (!ok)
		snprintf(reason, sizeof reason, "role '%s' may not run %s (%s)",
			 braid_role_name(u->role), action, who);
	if (braid_policy_audit_admin(*p, u, action, "", ok, reason, &err)) {
		cli_logout(*s, *p);
		return cli_fail(&err);
	}
	if (!ok) {
		cli_logout(*s, *p);
		braid_err_set(&err, BRAID_EDENIED, "%s", reason);
		return cli_fail(&err);
	}
	return 0;
}

static int may_load(enum braid_role r)
{
	return r == BRAID_ROLE_ADMIN || r == BRAID_ROLE_STEWARD;
}

static int may_geocode(enum braid_role r)
{
	return braid_role_may(r, BRAID_ACT_VAULT_READ);
}

static void print_rate(const char *what, int64_t n, int64_t keyed, int64_t geo)
{
	printf("%s: %lld records, %lld with an address, %lld geocoded (%.1f%% of those with an"
	       " address)\n", what, (long long)n, (long long)keyed, (long long)geo,
	       keyed ? 100.0 * (double)geo / (double)keyed : 0.0);
}

static int places_load(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL;
	int replace = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--replace"))
			replace = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("unknown option '%s' (see braid places --help)", argv[i]);
		else if (!file)
			file = argv[i];
		else
			return cli_usage_error("places load: one FILE only");
	}
	if (!file) {
		usage(stderr);
		return 2;
	}
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int code = session(cli, "places-load", may_load, "admin or steward", &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_places_stats st;
	braid_rc rc = braid_store_begin(s, &err);
	if (!rc)
		rc = braid_places_load(s, file, replace, &st, &err);
	if (!rc)
		rc = braid_store_commit(s, &err);
	else
		braid_store_rollback(s);
	cli_logout(s, p);
	if (rc)
		return cli_fail(&err);
	printf("places: %lld segments on %lld streets in %lld tracts and %lld planning districts\n",
	       (long long)st.segments, (long long)st.streets, (long long)st.tracts,
	       (long long)st.districts);
	return 0;
}

static int places_geocode(struct cli *cli)
{
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int code = session(cli, "places-geocode", may_geocode, "needs a linker", &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_geo_stats g;
	braid_rc rc = braid_store_begin(s, &err);
	if (!rc)
		rc = braid_geo_fill(s, 0, 0, &g, &err);
	if (!rc)
		rc = braid_store_commit(s, &err);
	else
		braid_store_rollback(s);
	cli_logout(s, p);
	if (rc)
		return cli_fail(&err);
	print_rate("geocode", g.records, g.with_address, g.geocoded);
	return 0;
}

static int places_show(struct cli *cli, int json)
{
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int code = cli_login(cli, &s, &p, &u);
	if (code)
		return code;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_places_stats st;
	int64_t n = 0, keyed = 0, geo = 0;
	braid_rc rc = braid_places_summary(s, &st, &err);
	if (!rc)
		rc = braid_geo_rate(s, 0, &n, &keyed, &geo, &err);
	cli_logout(s, p);
	if (rc)
		return cli_fail(&err);
	if (json) {
		json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I}}", "segments",
				      (json_int_t)st.segments, "streets", (json_int_t)st.streets,
				      "tracts", (json_int_t)st.tracts, "districts",
				      (json_int_t)st.districts, "records", "total", (json_int_t)n,
				      "with_address", (json_int_t)keyed, "geocoded", (json_int_t)geo);
		if (!j) {
			braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			return cli_fail(&err);
		}
		cli_print_json(j);
		json_decref(j);
		return 0;
	}
	if (!st.segments)
		printf("no places loaded (braid places load FILE)\n");
	else
		printf("places: %lld segments on %lld streets in %lld tracts and %lld planning"
		       " districts\n", (long long)st.segments, (long long)st.streets,
		       (long long)st.tracts, (long long)st.districts);
	print_rate("records", n, keyed, geo);
	return 0;
}

int cmd_places(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "load"))
		return places_load(cli, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "geocode")) {
		if (argc > 2)
			return cli_usage_error("places geocode takes no arguments");
		return places_geocode(cli);
	}
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			const char *f = argv[++i];
			if (!strcmp(f, "json"))
				json = 1;
			else if (strcmp(f, "table"))
				return cli_usage_error("--format: expected table or json");
		} else {
			return cli_usage_error("places: unknown argument '%s' (see braid places --help)",
					       argv[i]);
		}
	}
	return places_show(cli, json);
}
