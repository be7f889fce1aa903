/*
 * Benchmark of the policy enforcement point with real braid_policy_* calls:
 * the check alone; authorize + commit (the check and one audit append into
 * audit.db, one transaction per action: WAL with synchronous=NORMAL, or
 * with BRAID_AUDIT_SYNC=full an fsync per entry); a denied request
 * (authorize appends the deny); and the same with group commit (appends
 * of up to G actions share one transaction; each answer waits for its
 * batch's commit).  Compares with the time of a representative cohort
 * count query on a bench-owned events table of E rows in braid.db, to
 * express the enforcement point's cost as a share of a query (see
 * bench_audit_query.c for the real Allegheny query).
 *
 * usage: bench_policy WORKDIR [E=1000000]
 * Not built by the Makefile; bench/policy/run.sh compiles it.
 */
#include "braid/policy.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of the process (user + system): what an action costs when the
 * machine is not shared. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); exit(1); } while (0)

static char *agreement_text(int i)
{
	static char t[2048];
	snprintf(t, sizeof t,
		 "id: ag-%03d\ntitle: t\nstatus: active\nparties: [City, Agency %d]\n"
		 "purposes: [study-%d, evaluation]\nlegal_basis: [STATE]\nsources:\n"
		 "  src%d: [jail_booking, start, end, program, provider, zip, race, sex]\n"
		 "  hmis: [shelter_stay, start, end, program]\n"
		 "  jail: [jail_booking, start, end, facility]\n"
		 "use: deidentified-row\ncovers:\n  orgs: [Org %d]\n  users: [u%d]\n"
		 "start: 2020-01-01\nend: 2099-12-31\n"
		 "destruction: {what: [exports], within_days: 30}\nsummary: s\n",
		 i, i, i, i, i, i);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		DIE("usage: bench_policy WORKDIR [EVENTS]");
	long events = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	char ws[512], kf[600];
	snprintf(ws, sizeof ws, "%s/ws", argv[1]);
	snprintf(kf, sizeof kf, "%s/vault.key", argv[1]);
	setenv("BRAID_KEY_FILE", kf, 1);
	struct braid_err err;
	struct braid_store *s;
	struct braid_policy *p;
	char key[BRAID_KEY_LEN + 1];
	if (braid_workspace_init(ws, &err) || braid_store_open(ws, &s, &err) ||
	    braid_policy_bootstrap(s, "root", key, &err) || braid_policy_open(s, &p, &err))
		DIE("setup: %s", err.msg);
	struct braid_user admin;
	if (braid_policy_authenticate(p, "root", key, &admin, &err))
		DIE("login: %s", err.msg);
	/* 50 agreements; the covering one is the last, so every check scans
	 * them all (the worst case for the linear scan). */
	for (int i = 0; i < 50; i++) {
		const char *t = agreement_text(i);
		if (braid_policy_agreement_add(p, &admin, t, strlen(t), "bench", &err))
			DIE("agreement: %s", err.msg);
	}
	struct braid_user ana = {.name = "u49", .role = BRAID_ROLE_ANALYST, .org = "Org 49"};
	const char *src[] = {"hmis", "jail"};
	struct braid_field_ref f[] = {{"hmis", "shelter_stay"}, {"hmis", "start"},
				      {"jail", "jail_booking"}, {"jail", "start"}};
	struct braid_request req = {.action = BRAID_ACT_QUERY_COUNTS, .purpose = "study-49",
				    .sources = src, .nsources = 2, .fields = f, .nfields = 4,
				    .date = "2026-06-01",
				    .query = "count persons with jail_booking after shelter_stay within 180 days"};
	struct braid_agreement *const *ags;
	size_t nags = braid_policy_agreements(p, &ags);
	struct braid_decision d;

	/* 1. the check alone */
	long n = 2000000;
	double t0 = now();
	for (long i = 0; i < n; i++)
		if (braid_policy_check(&ana, ags, nags, &req, &d, NULL))
			DIE("check denied: %s", d.reason);
	double t_check = (now() - t0) / n;

	/* 2. check + append, one transaction each (fsync each with
	 * BRAID_AUDIT_SYNC=full: fewer of them then) */
	const char *sync = getenv("BRAID_AUDIT_SYNC");
	long n2 = sync && !strcmp(sync, "full") ? 300 : 200000;
	double c0 = cpu();
	t0 = now();
	for (long i = 0; i < n2; i++) {
		if (braid_policy_authorize(p, &ana, &req, &d, &err) ||
		    braid_policy_commit(p, &ana, &req, &d, 17, &err))
			DIE("audit: %s", err.msg);
	}
	double t_single = (now() - t0) / n2, c_single = (cpu() - c0) / n2;
	/* 2b. denied requests: authorize appends the deny itself */
	struct braid_request deny = req;
	deny.purpose = "marketing";
	long n3 = n2 / 2;
	t0 = now();
	for (long i = 0; i < n3; i++)
		if (braid_policy_authorize(p, &ana, &deny, &d, &err) != BRAID_EDENIED)
			DIE("not denied");
	double t_deny = (now() - t0) / n3;

	/* 3. group commit, batches of G */
	long groups[] = {10, 100, 1000};
	double t_group[3];
	for (int g = 0; g < 3; g++) {
		long total = 100000, G = groups[g];
		t0 = now();
		for (long i = 0; i < total; i += G) {
			if (braid_policy_batch_begin(p, &err))
				DIE("batch: %s", err.msg);
			for (long k = 0; k < G; k++)
				if (braid_policy_authorize(p, &ana, &req, &d, &err) ||
				    braid_policy_commit(p, &ana, &req, &d, 17, &err))
					DIE("audit: %s", err.msg);
			if (braid_policy_batch_end(p, &err))
				DIE("batch end: %s", err.msg);
		}
		t_group[g] = (now() - t0) / total;
	}
	int64_t count;
	char head[BRAID_HASH_HEX];
	t0 = now();
	if (braid_policy_audit_verify(p, &count, head, &err))
		DIE("verify: %s", err.msg);
	double t_verify = now() - t0;

	/* 4. a representative cohort query on E events */
	if (braid_store_exec(s, "CREATE TABLE bench_events(person INTEGER, type INTEGER, day INTEGER);"
			     "CREATE INDEX bench_events_tp ON bench_events(type, person, day);", &err))
		DIE("table: %s", err.msg);
	struct braid_stmt *ins;
	braid_store_begin(s, &err);
	if (braid_store_prepare(s, "INSERT INTO bench_events VALUES(?1, ?2, ?3)", &ins, &err))
		DIE("prepare: %s", err.msg);
	srand(7);
	for (long i = 0; i < events; i++) {
		braid_stmt_bind_int64(ins, 1, rand() % (events / 10 + 1));
		braid_stmt_bind_int64(ins, 2, rand() % 8);
		braid_stmt_bind_int64(ins, 3, rand() % 3000);
		int row;
		if (braid_stmt_step(ins, &row, &err))
			DIE("insert: %s", err.msg);
		braid_stmt_reset(ins);
	}
	braid_stmt_finalize(ins);
	if (braid_store_commit(s, &err))
		DIE("commit: %s", err.msg);
	const char *q = "SELECT count(DISTINCT j.person) FROM bench_events j JOIN bench_events h"
			" ON h.person = j.person AND h.type = 1 AND h.day BETWEEN j.day - 180 AND j.day"
			" WHERE j.type = 0";
	struct braid_stmt *qs;
	if (braid_store_prepare(s, q, &qs, &err))
		DIE("query: %s", err.msg);
	int reps = 5, row;
	int64_t cohort = 0;
	t0 = now();
	for (int r = 0; r < reps; r++) {
		braid_stmt_reset(qs);
		if (braid_stmt_step(qs, &row, &err))
			DIE("query: %s", err.msg);
		cohort = braid_stmt_int64(qs, 0);
	}
	double t_query = (now() - t0) / reps;
	braid_stmt_finalize(qs);

	printf("agreements scanned per check: %zu\n", nags);
	printf("check only:                   %.2f us  (%.0f /s)\n", t_check * 1e6, 1 / t_check);
	printf("audit log: %s (BRAID_AUDIT_SYNC=%s)\n", braid_policy_audit_path(p),
	       sync ? sync : "normal");
	printf("check + append, 1 tx each:    %.2f us  (%.0f /s, %ld actions)\n", t_single * 1e6,
	       1 / t_single, n2);
	printf("  cpu time per action:        %.2f us  (%.0f /s on an unshared core)\n",
	       c_single * 1e6, 1 / c_single);
	printf("denied + append, 1 tx each:   %.2f us  (%.0f /s)\n", t_deny * 1e6, 1 / t_deny);
	for (int g = 0; g < 3; g++)
		printf("check + append, group of %-4ld %.2f us  (%.0f /s)\n", groups[g],
		       t_group[g] * 1e6, 1 / t_group[g]);
	printf("verify %lld entries:        %.3f s (%.0f entries/s)\n", (long long)count, t_verify,
	       count / t_verify);
	printf("cohort query over %ld events: %.1f ms (cohort %lld)\n", events, t_query * 1e3,
	       (long long)cohort);
	printf("enforcement share of the query: %.2f%% (1 tx each), %.3f%% (group of 100)\n",
	       100 * t_single / t_query, 100 * t_group[1] / t_query);
	braid_policy_close(p);
	braid_store_close(s);
	return 0;
}
