/*
 * What the enforcement point adds to a real query: the Allegheny cohort
 * (jail bookings with a shelter stay and a mental-health service in the
 * 180 days before, counted by race and ZIP) on a store made by
 * bench/query (bench/query/run.sh PEOPLE DIR), run the way `braid query`
 * runs it — braid_qplan_request, braid_policy_authorize, the counts,
 * braid_policy_commit (the audit append into audit.db) — against the same
 * query without the two policy calls.  Plain and audited runs alternate so
 * that the machine's load falls on both alike; the policy calls are also
 * timed on their own inside the audited runs, which is the steadier
 * figure (the difference of two noisy query times is not).
 *
 * 50 agreements are stored and the covering one sorts last, so every check
 * scans them all.  The policy tables and audit.db are added to DIR's
 * workspace (a bench store is not anyone's data).
 *
 * usage: bench_audit_query DIR [RUNS=11]
 * Not built by the Makefile; bench/policy/run_query.sh compiles it.
 */
#include "braid/policy.h"
#include "braid/query.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); exit(1); } while (0)

static const char allegheny[] =
	"define homeless = event shelter_stay\n"
	"define mental_health = event mh_service\n"
	"index event jail_booking\n"
	"require homeless within 180 days before\n"
	"require mental_health within 180 days before\n"
	"count persons by race, zip\n";

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* An agreement covering user u for purpose `evaluation` over the plan's
 * sources and fields (ok = 1), or a decoy naming other purposes. */
static char *agreement_for(const struct braid_qplan *plan, int i, int ok)
{
	static char t[8192];
	size_t at = (size_t)snprintf(t, sizeof t,
				     "id: %s-%03d\ntitle: t\nstatus: active\nparties: [City, Agency]\n"
				     "purposes: [%s]\nlegal_basis: [STATE]\nsources:\n",
				     ok ? "zz-allegheny" : "ag", i, ok ? "evaluation" : "other-study");
	const char *const *srcs;
	const struct braid_field_ref *fl;
	size_t ns = braid_qplan_sources(plan, &srcs), nf = braid_qplan_fields(plan, &fl);
	for (size_t s = 0; s < ns; s++) {
		at += (size_t)snprintf(t + at, sizeof t - at, "  %s: [", srcs[s]);
		int first = 1;
		for (size_t f = 0; f < nf; f++)
			if (!strcmp(fl[f].source, srcs[s])) {
				at += (size_t)snprintf(t + at, sizeof t - at, "%s%s", first ? "" : ", ",
						       fl[f].field);
				first = 0;
			}
		at += (size_t)snprintf(t + at, sizeof t - at, "]\n");
	}
	snprintf(t + at, sizeof t - at,
		 "use: aggregate\ncovers:\n  users: [ana]\nstart: 2020-01-01\nend: 2099-12-31\n"
		 "destruction: {what: [exports], within_days: 30}\nsummary: s\n");
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		DIE("usage: bench_audit_query DIR [RUNS]");
	int runs = argc > 2 ? atoi(argv[2]) : 11;
	if (runs < 1 || runs > 1000)
		runs = 11;
	struct braid_err err;
	struct braid_store *s;
	struct braid_policy *p;
	if (braid_store_open(argv[1], &s, &err))
		DIE("open: %s", err.msg);
	if (braid_query_prepare_store(s, &err))
		DIE("prepare: %s", err.msg);
	struct braid_query *q;
	struct braid_qcatalog *cat;
	struct braid_qplan *plan;
	if (braid_query_parse(allegheny, strlen(allegheny), "allegheny", &q, &err) ||
	    braid_qcatalog_load(s, &cat, &err) || braid_query_compile(q, cat, &plan, &err))
		DIE("plan: %s", err.msg);

	char key[BRAID_KEY_LEN + 1];
	braid_rc rc = braid_policy_bootstrap(s, "root", key, &err);
	if (rc && rc != BRAID_EEXIST)
		DIE("bootstrap: %s", err.msg);
	if (braid_policy_open(s, &p, &err))
		DIE("policy: %s", err.msg);
	struct braid_user ana = {.name = "ana", .role = BRAID_ROLE_ANALYST, .org = "Analytics"};
	if (!rc) { /* a fresh bench workspace: its users and agreements */
		struct braid_user admin;
		char akey[BRAID_KEY_LEN + 1];
		if (braid_policy_authenticate(p, "root", key, &admin, &err) ||
		    braid_policy_user_add(p, &admin, &ana, akey, &err))
			DIE("users: %s", err.msg);
		for (int i = 0; i < 50; i++) {
			const char *t = agreement_for(plan, i, i == 49);
			if (braid_policy_agreement_add(p, &admin, t, strlen(t), "bench", &err))
				DIE("agreement: %s", err.msg);
		}
	}
	printf("audit log: %s (BRAID_AUDIT_SYNC=%s)\n", braid_policy_audit_path(p),
	       getenv("BRAID_AUDIT_SYNC") ? getenv("BRAID_AUDIT_SYNC") : "normal");

	double *plain = calloc((size_t)runs, sizeof *plain);
	double *audited = calloc((size_t)runs, sizeof *audited);
	double *pol = calloc((size_t)runs, sizeof *pol);
	if (!plain || !audited || !pol)
		DIE("out of memory");
	int64_t cells = 0;
	/* One cold run first (page cache, query indexes), not counted. */
	for (int i = -1; i < runs; i++) {
		struct braid_qcounts *c;
		double t0 = now();
		if (braid_qplan_counts(s, plan, 11, &c, &err))
			DIE("query: %s", err.msg);
		double t1 = now();
		braid_qcounts_free(c);
		if (i >= 0)
			plain[i] = t1 - t0;

		t0 = now();
		struct braid_request req;
		braid_qplan_request(plan, BRAID_ACT_QUERY_COUNTS, "evaluation", allegheny, &req);
		struct braid_decision d;
		if (braid_policy_authorize(p, &ana, &req, &d, &err))
			DIE("denied: %s", err.msg);
		double ta = now() - t0;
		if (braid_qplan_counts(s, plan, d.min_cell_size, &c, &err))
			DIE("query: %s", err.msg);
		cells = (int64_t)c->nscalars;
		for (size_t k = 0; k < c->ntables; k++)
			cells += (int64_t)c->tables[k].ncells;
		braid_qcounts_free(c);
		double tc = now();
		if (braid_policy_commit(p, &ana, &req, &d, cells, &err))
			DIE("audit: %s", err.msg);
		double t2 = now();
		if (i >= 0) {
			audited[i] = t2 - t0;
			pol[i] = ta + (t2 - tc);
		}
	}
	int64_t n;
	char head[BRAID_HASH_HEX];
	if (braid_policy_audit_verify(p, &n, head, &err))
		DIE("verify: %s", err.msg);
	qsort(plain, (size_t)runs, sizeof *plain, cmp_d);
	qsort(audited, (size_t)runs, sizeof *audited, cmp_d);
	qsort(pol, (size_t)runs, sizeof *pol, cmp_d);
	int m = runs / 2;
	printf("allegheny, %d runs each, %lld cells returned\n", runs, (long long)cells);
	printf("  plain query:                 best %.1f ms, median %.1f ms\n", plain[0] * 1e3,
	       plain[m] * 1e3);
	printf("  with check + audit:          best %.1f ms, median %.1f ms\n", audited[0] * 1e3,
	       audited[m] * 1e3);
	printf("  check + audit alone:         best %.1f us, median %.1f us, worst %.1f us\n",
	       pol[0] * 1e6, pol[m] * 1e6, pol[runs - 1] * 1e6);
	printf("  share (check+audit median / plain median): %.3f %%\n", 100 * pol[m] / plain[m]);
	printf("  share (audited best / plain best - 1):     %.2f %%\n",
	       100 * (audited[0] / plain[0] - 1));
	printf("  audit log verified: %lld entries\n", (long long)n);
	free(plain);
	free(audited);
	free(pol);
	braid_qplan_free(plan);
	braid_qcatalog_free(cat);
	braid_query_free(q);
	braid_policy_close(p);
	braid_store_close(s);
	return 0;
}
