/*
 * The linker's commands: braid link (run linkage and update the person
 * index), braid eval (accuracy against ground truth), braid export persons,
 * braid person (history, members) and braid model show.
 *
 * All of them read identifiers from the vault, so they run as a user whose
 * role may read the vault (linker, admin) and each run is audited.  The
 * engine itself (braid/link.h) knows nothing of stores; this file moves
 * records from the vault into it and its clusters into the person index.
 */
#include "cli.h"
#include "braid/csv.h"
#include "braid/link.h"
#include "braid/pindex.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ login */

struct session {
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
};

/* Log in and require the vault-read right; audits the action name. */
static int open_linker(struct cli *cli, struct session *ss, const char *action)
{
	int rc = cli_login(cli, &ss->s, &ss->p, &ss->u);
	if (rc)
		return rc;
	struct braid_err err;
	braid_err_clear(&err);
	int ok = braid_role_may(ss->u.role, BRAID_ACT_VAULT_READ);
	char reason[160] = "";
	if (!ok)
		snprintf(reason, sizeof reason, "role '%s' may not read identifiers (%s needs a linker)",
			 braid_role_name(ss->u.role), action);
	if (braid_policy_audit_admin(ss->p, &ss->u, action, "", ok, reason, &err)) {
		cli_logout(ss->s, ss->p);
		return cli_fail(&err);
	}
	if (!ok) {
		cli_logout(ss->s, ss->p);
		braid_err_set(&err, BRAID_EDENIED, "%s", reason);
		return cli_fail(&err);
	}
	return 0;
}

static void close_session(struct session *ss)
{
	cli_logout(ss->s, ss->p);
}

/* ------------------------------------------------------------ braid link */

/* Index of key in the sorted keys (n of them), or -1. */
static long key_index(const int64_t *keys, size_t n, int64_t key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && keys[lo] == key ? (long)lo : -1;
}

/* The clerical decisions, as indexes into the linker's records (whose keys
 * are sorted: the vault's order, restored records before new ones). */
static braid_rc load_labels(struct braid_store *s, const int64_t *keys, size_t nkeys,
			    struct braid_link_label **out, size_t *n, struct braid_err *err)
{
	*out = NULL;
	*n = 0;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, "SELECT a, b, decision FROM link_decision", &st, err);
	if (rc)
		return rc;
	size_t cap = 0;
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		long a = key_index(keys, nkeys, braid_stmt_int64(st, 0));
		long b = key_index(keys, nkeys, braid_stmt_int64(st, 1));
		if (a < 0 || b < 0)
			continue; /* a record since withdrawn */
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct braid_link_label *p = braid_reallocarray(*out, cap, sizeof *p);
			if (!p) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			*out = p;
		}
		(*out)[(*n)++] = (struct braid_link_label){(uint32_t)a, (uint32_t)b,
			!strcmp(braid_stmt_text(st, 2), "match")};
	}
	braid_stmt_finalize(st);
	return rc;
}

/* The latest run's model (caller frees), or NULL with BRAID_OK when none. */
static braid_rc latest_model(struct braid_store *s, char **out, int64_t *run,
			     struct braid_err *err)
{
	*out = NULL;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, "SELECT model_json, id FROM link_run"
					  " WHERE model_json IS NOT NULL ORDER BY id DESC LIMIT 1",
					  &st, err);
	int row = 0;
	if (!rc)
		rc = braid_stmt_step(st, &row, err);
	if (!rc && row) {
		if (!(*out = strdup(braid_stmt_text(st, 0))))
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		if (run)
			*run = braid_stmt_int64(st, 1);
	}
	braid_stmt_finalize(st);
	return rc;
}

enum link_mode { MODE_FULL, MODE_KEPT, MODE_INCREMENTAL };
static const char *const mode_names[] = {"full", "full-kept-model", "incremental"};

static braid_rc put_pair(struct braid_stmt *ins, struct braid_stmt *del, const int64_t *keys,
			 uint32_t ia, uint32_t ib, double w, int band, struct braid_err *err)
{
	int64_t a = keys[ia], b = keys[ib];
	struct braid_stmt *st = band ? ins : del;
	braid_stmt_reset(st);
	braid_stmt_bind_int64(st, 1, a < b ? a : b);
	braid_stmt_bind_int64(st, 2, a < b ? b : a);
	if (band) {
		braid_stmt_bind_double(st, 3, w);
		braid_stmt_bind_double(st, 4, 1.0 / (1.0 + exp2(-w)));
		braid_stmt_bind_text(st, 5, band == 2 ? "match" : "review", -1);
	}
	int row;
	return braid_stmt_step(st, &row, err);
}

/* link_pair after a run: the uncertain pairs (the review band, on both
 * sides of the threshold).  Certain matches are not written: the person
 * index holds their clusters and the saved link state their vectors, and
 * writing millions of rows cost more than the rest of a run.  A full run
 * replaces the table; a run from the saved state inserts the pairs with a
 * new record and touches an earlier pair only when its band changed (its
 * stored weight is then the weight of the run that last moved it; explain
 * and review compute the current one). */
static braid_rc save_pairs(struct braid_store *s, struct braid_linker *l, int from_state,
			   struct braid_err *err)
{
	const struct braid_link_stats *ls = braid_linker_stats(l);
	const int64_t *keys = braid_linker_keys(l);
	size_t nold = from_state ? braid_linker_restored(l) : 0;
	braid_rc rc = from_state ? BRAID_OK : braid_store_exec(s, "DELETE FROM link_pair", err);
	struct braid_link_pair *pairs = NULL;
	struct braid_link_rescored *old = NULL;
	size_t np = 0, nr = 0;
	struct braid_stmt *ins = NULL, *del = NULL;
	if (!rc)
		rc = braid_linker_band_pairs(l, nold, &pairs, &np, err);
	if (!rc && from_state)
		rc = braid_linker_band_changes(l, &old, &nr, err);
	if (!rc)
		rc = braid_store_prepare(s, "INSERT OR REPLACE INTO link_pair(a,b,weight,probability,"
					 "status) VALUES(?1,?2,?3,?4,?5)", &ins, err);
	if (!rc)
		rc = braid_store_prepare(s, "DELETE FROM link_pair WHERE a = ?1 AND b = ?2", &del, err);
	for (size_t i = 0; i < np && !rc; i++)
		rc = put_pair(ins, del, keys, pairs[i].a, pairs[i].b, pairs[i].weight,
			      braid_link_band(ls, pairs[i].weight), err);
	for (size_t i = 0; i < nr && !rc; i++)
		rc = put_pair(ins, del, keys, old[i].a, old[i].b, old[i].now,
			      braid_link_band(ls, old[i].now), err);
	free(pairs);
	free(old);
	braid_stmt_finalize(ins);
	braid_stmt_finalize(del);
	return rc;
}

static braid_rc save_run(struct braid_store *s, struct braid_linker *l,
			 const struct braid_pindex_stats *ps, enum link_mode mode, int from_state,
			 size_t nnew, struct braid_err *err)
{
	const struct braid_link_stats *ls = braid_linker_stats(l);
	braid_rc rc = save_pairs(s, l, from_state, err);
	if (rc)
		return rc;
	struct braid_stmt *st;
	char *mj = braid_linker_model_json(l), *mt = braid_linker_model_text(l);
	json_t *sj = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I}",
			       "mode", mode_names[mode], "new_records", (json_int_t)nnew,
			       "records", (json_int_t)ls->records,
			       "pairs_compared", (json_int_t)ls->pairs_compared,
			       "pairs_accepted", (json_int_t)ls->pairs_accepted,
			       "pairs_review", (json_int_t)ls->pairs_review,
			       "clusters", (json_int_t)ls->clusters,
			       "clusters_split", (json_int_t)ls->clusters_split,
			       "threshold", ls->threshold, "review_low", ls->review_low,
			       "lambda", ls->lambda, "expected_f1", ls->expected_f1,
			       "persons_created", (json_int_t)ps->created,
			       "persons_unchanged", (json_int_t)ps->unchanged,
			       "persons_merged", (json_int_t)ps->merged,
			       "persons_split", (json_int_t)ps->split,
			       "persons_retired", (json_int_t)ps->retired);
	char *sjs = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
	json_decref(sj);
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = braid_store_prepare(s, "INSERT INTO link_run(time,mode,records,pairs,accepted,review,"
				 "persons,threshold,model_json,model_text,stats_json)"
				 " VALUES(?1,?11,?2,?3,?4,?5,?6,?7,?8,?9,?10)", &st, err);
	if (!rc) {
		braid_stmt_bind_text(st, 1, when, -1);
		braid_stmt_bind_int64(st, 2, (int64_t)ls->records);
		braid_stmt_bind_int64(st, 3, (int64_t)ls->pairs_compared);
		braid_stmt_bind_int64(st, 4, (int64_t)ls->pairs_accepted);
		braid_stmt_bind_int64(st, 5, (int64_t)ls->pairs_review);
		braid_stmt_bind_int64(st, 6, (int64_t)ps->persons);
		braid_stmt_bind_double(st, 7, ls->threshold);
		braid_stmt_bind_text(st, 8, mj, -1);
		braid_stmt_bind_text(st, 9, mt, -1);
		braid_stmt_bind_text(st, 10, sjs, -1);
		braid_stmt_bind_text(st, 11, mode_names[mode], -1);
		int row;
		rc = braid_stmt_step(st, &row, err);
		braid_stmt_finalize(st);
	}
	free(mj);
	free(mt);
	free(sjs);
	return rc;
}

static int64_t next_run_id(struct braid_store *s)
{
	struct braid_stmt *st;
	int64_t id = 1;
	if (braid_store_prepare(s, "SELECT coalesce(max(id),0)+1 FROM link_run", &st, NULL))
		return id;
	int row;
	if (!braid_stmt_step(st, &row, NULL) && row)
		id = braid_stmt_int64(st, 0);
	braid_stmt_finalize(st);
	return id;
}

static void print_plan(const struct braid_link_rule_plan *rules, size_t n, int json)
{
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:I,s:I}",
				"rule", rules[i].name, "records", (json_int_t)rules[i].records,
				"pairs", (json_int_t)rules[i].pairs,
				"capped_blocks", (json_int_t)rules[i].capped_blocks,
				"capped_pairs", (json_int_t)rules[i].capped_pairs));
		cli_print_json(a);
		json_decref(a);
		return;
	}
	uint64_t total = 0;
	printf("%-34s %10s %14s %8s %14s\n", "BLOCKING RULE", "RECORDS", "PAIRS", "CAPPED",
	       "CAPPED PAIRS");
	for (size_t i = 0; i < n; i++) {
		printf("%-34s %10llu %14llu %8llu %14llu\n", rules[i].name,
		       (unsigned long long)rules[i].records, (unsigned long long)rules[i].pairs,
		       (unsigned long long)rules[i].capped_blocks,
		       (unsigned long long)rules[i].capped_pairs);
		total += rules[i].pairs;
	}
	printf("estimated pairs before de-duplication: %llu\n", (unsigned long long)total);
}

static int link_usage(void)
{
	printf("usage: braid link [--full [--keep-model] | --incremental] [--plan]\n"
	       "                  [--threshold WEIGHT] [--max-block N] [--format json]\n\n"
	       "Link every loaded record (de-duplication within sources and linkage across\n"
	       "them) and update the person index: unchanged persons keep their ids, merges\n"
	       "and splits are recorded (braid person history ID).  Clerical decisions made\n"
	       "with 'braid review decide' are honoured.\n\n"
	       "When an earlier run left a model and a person index and no indexed record\n"
	       "has been withdrawn since, the run is incremental: only records not yet in\n"
	       "the index are compared (with everyone), with the saved model, and the\n"
	       "earlier run's pairs are carried over.  Otherwise the model is estimated\n"
	       "afresh over everything.\n\n"
	       "  --full            estimate the model again and compare every blocked pair\n"
	       "  --keep-model      (with --full) compare every blocked pair with the saved model\n"
	       "  --incremental     require an incremental run (fail if one is not possible)\n"
	       "  --plan            print the blocking rules and estimated pair counts, then stop\n"
	       "  --threshold W     accept pairs with match weight >= W (default: from the model)\n"
	       "  --max-block N     cap blocks larger than N records (default 1000; keep it\n"
	       "                    the same between incremental runs)\n"
	       "  --format json     machine-readable summary\n"
	       "Runs as a linker (BRAID_USER/BRAID_KEY); every run is audited.\n");
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_link(struct cli *cli, int argc, char **argv)
{
	int plan = 0, json = 0, full = 0, keep = 0, incr = 0;
	struct braid_link_opts opts;
	memset(&opts, 0, sizeof opts);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return link_usage();
		else if (!strcmp(argv[i], "--plan"))
			plan = 1;
		else if (!strcmp(argv[i], "--full"))
			full = 1;
		else if (!strcmp(argv[i], "--keep-model"))
			keep = 1;
		else if (!strcmp(argv[i], "--incremental"))
			incr = 1;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else if (!strcmp(argv[i], "--threshold") && i + 1 < argc) {
			if (braid_parse_double(argv[++i], &opts.threshold))
				return cli_usage_error("--threshold expects a number (a match weight), got '%s'",
						       argv[i]);
			opts.has_threshold = 1;
		} else if (!strcmp(argv[i], "--max-block") && i + 1 < argc) {
			long v;
			if (braid_parse_long(argv[++i], &v) || v < 2)
				return cli_usage_error("--max-block expects a number >= 2, got '%s'", argv[i]);
			opts.max_block = (uint32_t)v;
		} else
			return cli_usage_error("link: unknown argument '%s' (see braid link --help)", argv[i]);
	}
	if (keep && !full)
		return cli_usage_error("link: --keep-model goes with --full");
	if (full && incr)
		return cli_usage_error("link: --full and --incremental exclude each other");
	struct session ss;
	int ec = open_linker(cli, &ss, plan ? "link-plan" : "link");
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_recset rs;
	memset(&rs, 0, sizeof rs);
	struct braid_link_label *labels = NULL;
	size_t nlabels = 0;
	struct braid_linker *l = NULL;
	char *model = NULL;
	int64_t model_run = 0;
	size_t nnew = 0;
	enum link_mode mode = MODE_FULL;
	/* why the saved state was not used (NULL: it was, or not tried) */
	const char *why = NULL;
	enum braid_linkstate_miss miss = BRAID_LS_USED;
	struct braid_linkstate at;
	struct cli_progress pr;
	double t_read = now_s(), t_index = t_read;
	braid_rc rc = braid_pindex_schema(ss.s, &err);
	if (!rc)
		rc = braid_linkstate_now(ss.s, &at, &err);
	if (!rc && !plan)
		rc = latest_model(ss.s, &model, &model_run, &err);
	/* Start from the saved state when it is current: only the records of
	 * later batches are read and prepared. */
	if (!rc && !plan && !full && model && model_run == at.run) {
		cli_progress_begin(&pr, cli, "link: reading the saved state and new records", 0);
		rc = braid_linkstate_restore(ss.s, &at, &opts, &rs, &l, &miss, &err);
		cli_progress_end(&pr);
		if (miss)
			why = braid_linkstate_miss_text(miss);
		if (l) {
			mode = MODE_INCREMENTAL;
			nnew = rs.n;
		}
	} else if (!rc && !plan && !full) {
		why = !model ? "no earlier run has saved a model (run 'braid link')"
		      : "the latest run saved no model";
	}
	if (!rc && !l && incr && !plan)
		rc = braid_err_set(&err, BRAID_EINVAL, "link: cannot link incrementally: %s%s", why,
				   model ? " (run 'braid link')" : "");
	if (!rc && keep && !model)
		rc = braid_err_set(&err, BRAID_EINVAL,
				   "link: --keep-model: no earlier run has saved a model");
	t_index = now_s();
	if (!rc && !l) {
		cli_progress_begin(&pr, cli, "link: reading records", 0);
		rc = braid_recset_load(ss.s, 0, &rs, &err);
		cli_progress_end(&pr);
		t_index = now_s();
		/* Without a current state: estimate afresh when asked to or when
		 * records left since the model was made; else keep the model, as
		 * an incremental run would. */
		if (!plan)
			mode = keep ? MODE_KEPT
			       : full || !model || miss == BRAID_LS_DELETED ? MODE_FULL
			       : MODE_KEPT;
		if (!rc && !(l = braid_linker_new(rs.recs, rs.n, &opts, &err)))
			rc = err.code ? err.code : BRAID_ENOMEM;
		if (!rc && mode != MODE_FULL)
			rc = braid_linker_load_model(l, model, &err);
	} else if (!rc) {
		rc = braid_linker_load_model(l, model, &err);
	}
	if (!rc && !(rc = load_labels(ss.s, braid_linker_keys(l), braid_linker_restored(l) + rs.n,
				      &labels, &nlabels, &err)))
		braid_linker_set_labels(l, labels, nlabels);
	if (!rc && plan) {
		const struct braid_link_rule_plan *rules;
		size_t nr;
		if (!(rc = braid_linker_plan(l, &rules, &nr, &err)))
			print_plan(rules, nr, json);
		goto done;
	}
	double t_run = now_s();
	if (!rc) {
		cli_progress_begin(&pr, cli, mode == MODE_INCREMENTAL
				   ? "link: new records against the index"
				   : "link: blocking, model, scoring, clusters", 0);
		if (mode == MODE_FULL)
			rc = braid_linker_run(l, &err);
		else if (mode == MODE_KEPT)
			rc = braid_linker_run_incremental(l, NULL, NULL, 0, &err);
		else
			rc = braid_linker_run_restored(l, &err);
		cli_progress_end(&pr);
	}
	double t_save = now_s(), t_apply = t_save;
	struct braid_pindex_stats ps;
	memset(&ps, 0, sizeof ps);
	struct braid_linkstate_writer *sw = NULL;
	struct braid_err e2; /* the state is a cache: its failure is a warning */
	braid_err_clear(&e2);
	braid_rc src = BRAID_OK;
	if (!rc && !(rc = braid_store_begin(ss.s, &err))) {
		int64_t run_id = next_run_id(ss.s);
		/* sealed and written on its own thread meanwhile; put in place
		 * only when this run is committed */
		at.run = run_id;
		src = braid_linkstate_save_begin(ss.s, l, &at, &sw, &e2);
		char reason[64];
		snprintf(reason, sizeof reason, "link run %lld (%s)", (long long)run_id,
			 mode_names[mode]);
		if (mode == MODE_INCREMENTAL)
			rc = braid_linkstate_apply(ss.s, l, reason, &ps, &err);
		else
			rc = braid_pindex_apply(ss.s, braid_linker_keys(l), braid_linker_clusters(l),
						braid_linker_stats(l)->records, reason, &ps, &err);
		t_apply = now_s();
		if (!rc)
			/* a threshold given now moves the band of every earlier pair */
			rc = save_run(ss.s, l, &ps, mode, mode == MODE_INCREMENTAL && !opts.has_threshold,
				      nnew, &err);
		if (!rc)
			rc = braid_store_commit(ss.s, &err);
		else
			braid_store_rollback(ss.s);
	}
	double t_commit = now_s();
	if (!src)
		src = braid_linkstate_save_end(sw, !rc, &e2);
	if (!rc && src)
		fprintf(stderr, "braid: warning: the link state was not saved (%s); the next"
			" run links every record\n", e2.msg);
	double t_end = now_s();
	if (!rc) {
		const struct braid_link_stats *st = braid_linker_stats(l);
		if (json) {
			json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f,"
					      "s:{s:f,s:f,s:f,s:f,s:f,s:f,s:f}}",
				"mode", mode_names[mode], "new_records", (json_int_t)nnew,
				"records", (json_int_t)st->records,
				"pairs_compared", (json_int_t)st->pairs_compared,
				"pairs_accepted", (json_int_t)st->pairs_accepted,
				"pairs_review", (json_int_t)st->pairs_review,
				"persons", (json_int_t)ps.persons, "threshold", st->threshold,
				"expected_f1", st->expected_f1,
				"created", (json_int_t)ps.created, "unchanged", (json_int_t)ps.unchanged,
				"merged", (json_int_t)ps.merged, "split", (json_int_t)ps.split,
				"retired", (json_int_t)ps.retired,
				"seconds", st->seconds_block + st->seconds_model + st->seconds_score +
					st->seconds_cluster,
				"wall", "read", t_index - t_read, "prepare", t_run - t_index,
				"link", t_save - t_run, "apply", t_apply - t_save,
				"store", t_commit - t_apply, "state", t_end - t_commit,
				"total", t_end - t_read);
			cli_print_json(o);
			json_decref(o);
		} else {
			if (mode == MODE_INCREMENTAL)
				printf("incremental: %zu new records against %zu indexed, with the saved"
				       " model\n", nnew, (size_t)st->records - nnew);
			else if (mode == MODE_KEPT)
				printf("full run with the saved model (not estimated again)%s%s\n",
				       why && !keep ? ": " : "", why && !keep ? why : "");
			printf("linked %llu records: %llu pairs compared, %llu accepted, %llu for review\n",
			       (unsigned long long)st->records, (unsigned long long)st->pairs_compared,
			       (unsigned long long)st->pairs_accepted, (unsigned long long)st->pairs_review);
			printf("threshold: match weight %.2f", st->threshold);
			if (mode == MODE_FULL)
				printf(" (model's expected F1 %.4f)", st->expected_f1);
			printf("\npersons: %llu (%llu new, %llu unchanged, %llu merged, %llu split off, "
			       "%llu retired; %llu clusters split against chaining)\n",
			       (unsigned long long)ps.persons, (unsigned long long)ps.created,
			       (unsigned long long)ps.unchanged, (unsigned long long)ps.merged,
			       (unsigned long long)ps.split, (unsigned long long)ps.retired,
			       (unsigned long long)st->clusters_split);
			printf("time: block %.2fs, model %.2fs, score %.2fs, cluster %.2fs\n",
			       st->seconds_block, st->seconds_model, st->seconds_score, st->seconds_cluster);
			printf("wall: read records %.2fs, prepare %.2fs, link %.2fs, person index %.2fs,"
			       " store run %.2fs, save state %.2fs; total %.2fs\n",
			       t_index - t_read, t_run - t_index, t_save - t_run, t_apply - t_save,
			       t_commit - t_apply, t_end - t_commit, t_end - t_read);
		}
	}
done:
	braid_linker_free(l);
	free(labels);
	free(model);
	braid_recset_release(&rs);
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}

/* ------------------------------------------------------------ braid eval */

struct truth_row {
	uint64_t h;      /* hash of source \x1f record id */
	uint32_t entity; /* interned */
};

static int cmp_truth(const void *a, const void *b)
{
	const struct truth_row *x = a, *y = b;
	return x->h < y->h ? -1 : x->h > y->h;
}

static uint64_t key_hash(const char *source, const char *rid)
{
	uint64_t h = braid_hash64(source, strlen(source), 7);
	return braid_hash64(rid, strlen(rid), h);
}

struct strtab { /* string → dense int, by sorted hashes */
	uint64_t *h;
	size_t n, cap;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Read truth (source,record_id,entity): rows sorted by key hash, entity
 * numbers dense.  Positioned errors. */
static braid_rc read_truth(const char *path, struct truth_row **out, size_t *n,
			   struct braid_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot open '%s'", path);
	struct braid_csv_opts o;
	memset(&o, 0, sizeof o);
	struct braid_csv *r = braid_csv_new(f, path, &o);
	struct truth_row *rows = NULL;
	uint64_t *ent = NULL;
	size_t cap = 0, k = 0;
	braid_rc rc = r ? BRAID_OK : braid_err_set(err, BRAID_ENOMEM, "out of memory");
	int col[3] = {-1, -1, -1};
	char **fields;
	size_t nf;
	if (!rc && (rc = braid_csv_next(r, &fields, &nf, err)) == BRAID_OK) {
		static const char *want[3] = {"source", "record_id", "entity"};
		for (size_t i = 0; i < nf; i++)
			for (int j = 0; j < 3; j++)
				if (!strcmp(fields[i], want[j]))
					col[j] = (int)i;
		for (int j = 0; j < 3 && !rc; j++)
			if (col[j] < 0)
				rc = braid_err_at(err, BRAID_EPARSE, path, 1, 1,
						  "expected a header with columns source,record_id,entity"
						  " (missing '%s')", want[j]);
	} else if (rc == BRAID_ENOTFOUND) {
		rc = braid_err_at(err, BRAID_EPARSE, path, 1, 1, "empty truth file");
	}
	while (!rc) {
		rc = braid_csv_next(r, &fields, &nf, err);
		if (rc == BRAID_ENOTFOUND) {
			rc = BRAID_OK;
			break;
		}
		if (rc)
			break;
		if (nf <= (size_t)col[0] || nf <= (size_t)col[1] || nf <= (size_t)col[2]) {
			rc = braid_err_at(err, BRAID_EPARSE, path, braid_csv_record_line(r), 1,
					  "expected 3 columns (source,record_id,entity), got %zu", nf);
			break;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 4096;
			struct truth_row *p = braid_reallocarray(rows, cap, sizeof *p);
			uint64_t *q = p ? braid_reallocarray(ent, cap, sizeof *q) : NULL;
			if (p)
				rows = p;
			if (q)
				ent = q;
			if (!p || !q) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
		}
		rows[k].h = key_hash(fields[col[0]], fields[col[1]]);
		ent[k] = braid_hash64(fields[col[2]], strlen(fields[col[2]]), 3);
		k++;
	}
	braid_csv_free(r);
	fclose(f);
	if (!rc) {
		/* dense entity numbers */
		uint64_t *sorted = malloc((k ? k : 1) * sizeof *sorted);
		if (!sorted) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		} else {
			memcpy(sorted, ent, k * sizeof *ent);
			qsort(sorted, k, sizeof *sorted, cmp_u64);
			for (size_t i = 0; i < k; i++) {
				uint64_t *p = bsearch(&ent[i], sorted, k, sizeof *sorted, cmp_u64);
				/* first of equal run */
				while (p > sorted && p[-1] == ent[i])
					p--;
				rows[i].entity = (uint32_t)(p - sorted);
			}
			free(sorted);
			qsort(rows, k, sizeof *rows, cmp_truth);
		}
	}
	free(ent);
	if (rc) {
		free(rows);
		return rc;
	}
	*out = rows;
	*n = k;
	return BRAID_OK;
}

struct pid_ctx {
	const struct braid_recset *rs;
	uint64_t *pid; /* per record index: hash of person id, 0 = none */
};

static int on_pid(void *ctx, int64_t key, const char *person_id)
{
	struct pid_ctx *c = ctx;
	long i = braid_recset_find(c->rs, key);
	if (i >= 0)
		c->pid[i] = braid_hash64(person_id, strlen(person_id), 11) | 1;
	return 0;
}

int cmd_eval(struct cli *cli, int argc, char **argv)
{
	const char *truth = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid eval --truth FILE [--format json]\n\n"
			       "Compare the person index with ground truth: FILE is a CSV with the\n"
			       "columns source,record_id,entity (records with the same entity are the\n"
			       "same person; 'braid synth' writes one in truth/persons.csv).  Prints\n"
			       "pairwise precision, recall and F1, and cluster counts: predicted\n"
			       "persons holding more than one true person (over-merged) and true\n"
			       "persons spread over several predicted ones (split).\n");
			return 0;
		} else if (!strcmp(argv[i], "--truth") && i + 1 < argc)
			truth = argv[++i];
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else
			return cli_usage_error("eval: unknown argument '%s' (see braid eval --help)", argv[i]);
	}
	if (!truth)
		return cli_usage_error("usage: braid eval --truth FILE [--format json]");
	struct braid_err err;
	braid_err_clear(&err);
	struct truth_row *rows = NULL;
	size_t nt = 0;
	braid_rc rc = read_truth(truth, &rows, &nt, &err);
	if (rc)
		return cli_fail(&err);
	struct session ss;
	int ec = open_linker(cli, &ss, "eval");
	if (ec) {
		free(rows);
		return ec;
	}
	struct braid_recset rs;
	if ((rc = braid_recset_load(ss.s, 0, &rs, &err))) {
		free(rows);
		close_session(&ss);
		return cli_fail(&err);
	}
	uint64_t *pid = calloc(rs.n ? rs.n : 1, sizeof *pid);
	uint32_t *pred = malloc((rs.n ? rs.n : 1) * sizeof *pred);
	uint32_t *tru = malloc((rs.n ? rs.n : 1) * sizeof *tru);
	size_t m = 0, unindexed = 0, untruthed = 0;
	struct braid_link_eval ev;
	memset(&ev, 0, sizeof ev);
	if (!pid || !pred || !tru) {
		rc = braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	struct pid_ctx pc = {&rs, pid};
	if ((rc = braid_pindex_scan(ss.s, on_pid, &pc, &err)))
		goto out;
	/* Dense predicted numbers: sort the distinct person hashes. */
	uint64_t *ph = malloc((rs.n ? rs.n : 1) * sizeof *ph);
	if (!ph) {
		rc = braid_err_set(&err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	size_t np = 0;
	for (size_t i = 0; i < rs.n; i++)
		if (pid[i])
			ph[np++] = pid[i];
	qsort(ph, np, sizeof *ph, cmp_u64);
	for (size_t i = 0; i < rs.n; i++) {
		const char *src = braid_recset_source(&rs, rs.recs[i].source_id);
		struct truth_row key = {key_hash(src, rs.recs[i].source_record_id), 0};
		struct truth_row *t = bsearch(&key, rows, nt, sizeof *rows, cmp_truth);
		if (!t) {
			untruthed++;
			continue;
		}
		if (!pid[i]) {
			unindexed++;
			continue;
		}
		uint64_t *p = bsearch(&pid[i], ph, np, sizeof *ph, cmp_u64);
		pred[m] = (uint32_t)(p - ph);
		tru[m] = t->entity;
		m++;
	}
	free(ph);
	if (!m) {
		rc = braid_err_set(&err, BRAID_ENOTFOUND,
				   "no record of the person index is in '%s' (run 'braid link'; check"
				   " that its source names and record ids are the workspace's)", truth);
		goto out;
	}
	if ((rc = braid_link_evaluate(pred, tru, m, &ev, &err)))
		goto out;
	if (json) {
		json_t *o = json_pack("{s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			"records", (json_int_t)m, "true_pairs", (json_int_t)ev.true_pairs,
			"predicted_pairs", (json_int_t)ev.predicted_pairs,
			"precision", ev.precision, "recall", ev.recall, "f1", ev.f1,
			"tp_pairs", (json_int_t)ev.tp_pairs,
			"truth_entities", (json_int_t)ev.truth_entities,
			"predicted_clusters", (json_int_t)ev.predicted_clusters,
			"over_merged", (json_int_t)ev.over_merged, "split", (json_int_t)ev.split,
			"records_not_in_truth", (json_int_t)untruthed,
			"records_not_indexed", (json_int_t)unindexed);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("records evaluated: %zu (%zu not in the truth file, %zu not yet linked)\n", m,
		       untruthed, unindexed);
		printf("pairs: %llu true, %llu predicted, %llu correct\n",
		       (unsigned long long)ev.true_pairs, (unsigned long long)ev.predicted_pairs,
		       (unsigned long long)ev.tp_pairs);
		printf("precision %.4f  recall %.4f  F1 %.4f\n", ev.precision, ev.recall, ev.f1);
		printf("persons: %llu true, %llu predicted; %llu over-merged, %llu split\n",
		       (unsigned long long)ev.truth_entities, (unsigned long long)ev.predicted_clusters,
		       (unsigned long long)ev.over_merged, (unsigned long long)ev.split);
	}
out:
	free(pid);
	free(pred);
	free(tru);
	free(rows);
	braid_recset_release(&rs);
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}

/* ------------------------------------------------------------ braid export */

struct export_ctx {
	const struct braid_recset *rs;
	FILE *out;
	uint64_t n;
};

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int on_export(void *ctx, int64_t key, const char *person_id)
{
	struct export_ctx *c = ctx;
	long i = braid_recset_find(c->rs, key);
	if (i < 0)
		return 0;
	csv_field(c->out, braid_recset_source(c->rs, c->rs->recs[i].source_id));
	fputc(',', c->out);
	csv_field(c->out, c->rs->recs[i].source_record_id);
	fputc(',', c->out);
	fputs(person_id, c->out);
	fputc('\n', c->out);
	c->n++;
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const char *what = NULL, *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid export persons [--out FILE]\n\n"
			       "Write the person index as CSV: source,record_id,person_id (one line\n"
			       "per record).  Record ids are the sources' own identifiers, so this\n"
			       "is the linker's export: it needs a role that may read the vault and\n"
			       "is audited.\n");
			return 0;
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			path = argv[++i];
		else if (!what && argv[i][0] != '-')
			what = argv[i];
		else
			return cli_usage_error("export: unknown argument '%s'", argv[i]);
	}
	if (!what || strcmp(what, "persons"))
		return cli_usage_error("usage: braid export persons [--out FILE]");
	struct session ss;
	int ec = open_linker(cli, &ss, "export-persons");
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_recset rs;
	braid_rc rc = braid_recset_load(ss.s, 0, &rs, &err);
	FILE *out = stdout;
	if (!rc && path && !(out = fopen(path, "w"))) {
		rc = braid_err_set(&err, BRAID_EIO, "cannot write '%s'", path);
		out = stdout;
	}
	struct export_ctx c = {&rs, out, 0};
	if (!rc) {
		fputs("source,record_id,person_id\n", out);
		rc = braid_pindex_scan(ss.s, on_export, &c, &err);
	}
	if (out != stdout && fclose(out) && !rc)
		rc = braid_err_set(&err, BRAID_EIO, "cannot write '%s'", path);
	if (!rc && path)
		fprintf(stderr, "braid: wrote %llu records to %s\n", (unsigned long long)c.n, path);
	braid_recset_release(&rs);
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}

/* ------------------------------------------------------------ braid person */

static int on_hist(void *ctx, const struct braid_pindex_event *e)
{
	(void)ctx;
	printf("%s  %-12s %-13s %5lld record%s  %s\n", e->time, e->event,
	       e->other_id[0] ? e->other_id : "-", (long long)e->records,
	       e->records == 1 ? " " : "s", e->reason);
	return 0;
}

struct members_ctx {
	const struct braid_recset *rs;
	int64_t n;
};

static int on_member(void *ctx, int64_t key)
{
	struct members_ctx *c = ctx;
	long i = braid_recset_find(c->rs, key);
	if (i >= 0)
		printf("%s:%s\n", braid_recset_source(c->rs, c->rs->recs[i].source_id),
		       c->rs->recs[i].source_record_id);
	c->n++;
	return 0;
}

int cmd_person(struct cli *cli, int argc, char **argv)
{
	if (cli_wants_help(argc, argv) || argc < 3) {
		printf("usage: braid person history PERSON_ID\n"
		       "       braid person records PERSON_ID\n\n"
		       "history: how the person came to be (created, merged, split, retired),\n"
		       "with the reason of each change.  records: the person's records as\n"
		       "SOURCE:RECORD_ID (identifiers: linker only).\n");
		return argc < 3 && !cli_wants_help(argc, argv) ? 2 : 0;
	}
	struct session ss;
	int ec = open_linker(cli, &ss, "person");
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	braid_rc rc;
	if (!strcmp(argv[1], "history")) {
		printf("%-20s  %-12s %-13s %13s  %s\n", "TIME", "EVENT", "OTHER", "RECORDS", "REASON");
		rc = braid_pindex_history(ss.s, argv[2], on_hist, NULL, &err);
	} else if (!strcmp(argv[1], "records")) {
		struct braid_recset rs;
		rc = braid_recset_load(ss.s, 0, &rs, &err);
		struct members_ctx c = {&rs, 0};
		if (!rc)
			rc = braid_pindex_members(ss.s, argv[2], on_member, &c, &err);
		if (!rc && !c.n)
			rc = braid_err_set(&err, BRAID_ENOTFOUND, "no person '%s' in the index", argv[2]);
		braid_recset_release(&rs);
	} else {
		close_session(&ss);
		return cli_usage_error("person: unknown subcommand '%s' (history, records)", argv[1]);
	}
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}

/* ------------------------------------------------------------ braid model */

int cmd_model(struct cli *cli, int argc, char **argv)
{
	int json = 0;
	if (cli_wants_help(argc, argv) || argc < 2 || strcmp(argv[1], "show")) {
		printf("usage: braid model show [--format json]\n\n"
		       "The Fellegi-Sunter model of the latest link run: per comparison and\n"
		       "level, the m and u probabilities and the match weight log2(m/u).\n");
		return cli_wants_help(argc, argv) ? 0 : 2;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
	struct braid_store *s;
	struct braid_policy *p;
	struct braid_user u;
	int ec = cli_login(cli, &s, &p, &u);
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_stmt *st = NULL;
	braid_rc rc = braid_pindex_schema(s, &err);
	if (!rc)
		rc = braid_store_prepare(s, "SELECT model_json, model_text, time FROM link_run"
					 " ORDER BY id DESC LIMIT 1", &st, &err);
	int row = 0;
	if (!rc)
		rc = braid_stmt_step(st, &row, &err);
	if (!rc && !row)
		rc = braid_err_set(&err, BRAID_ENOTFOUND, "no model yet: run 'braid link' first");
	if (!rc) {
		if (json)
			printf("%s\n", braid_stmt_text(st, 0));
		else
			printf("model of the link run at %s\n\n%s", braid_stmt_text(st, 2),
			       braid_stmt_text(st, 1));
	}
	braid_stmt_finalize(st);
	cli_logout(s, p);
	return rc ? cli_fail(&err) : 0;
}

/* ------------------------------------------------------------ braid explain, review */

/* Every record and a linker holding the latest run's model (no run). */
struct explainer {
	struct braid_recset rs;
	struct braid_linker *l;
	int64_t run;
};

static braid_rc explainer_open(struct braid_store *s, struct explainer *x, struct braid_err *err)
{
	memset(x, 0, sizeof *x);
	char *model = NULL;
	braid_rc rc = braid_pindex_schema(s, err);
	if (!rc)
		rc = latest_model(s, &model, &x->run, err);
	if (!rc && !model)
		rc = braid_err_set(err, BRAID_ENOTFOUND, "no model yet: run 'braid link' first");
	if (!rc)
		rc = braid_recset_load(s, 0, &x->rs, err);
	else
		memset(&x->rs, 0, sizeof x->rs);
	if (!rc && !(x->l = braid_linker_new(x->rs.recs, x->rs.n, NULL, err)))
		rc = err && err->code ? err->code : BRAID_ENOMEM;
	if (!rc)
		rc = braid_linker_load_model(x->l, model, err);
	free(model);
	return rc;
}

static void explainer_close(struct explainer *x)
{
	braid_linker_free(x->l);
	braid_recset_release(&x->rs);
}

/* SOURCE:RECORD_ID into a record index of x. */
static braid_rc find_ref(const struct explainer *x, const char *ref, uint32_t *idx,
			 struct braid_err *err)
{
	const char *colon = strchr(ref, ':');
	char source[256];
	if (!colon || colon == ref || !colon[1] || (size_t)(colon - ref) >= sizeof source)
		return braid_err_set(err, BRAID_EINVAL,
				     "expected a record as SOURCE:RECORD_ID (argument %s)",
				     colon ? "has an empty part" : "has no ':'");
	memcpy(source, ref, (size_t)(colon - ref));
	source[colon - ref] = 0;
	int64_t key;
	braid_rc rc = braid_recset_lookup(&x->rs, source, colon + 1, &key, err);
	if (rc)
		return rc;
	*idx = (uint32_t)braid_recset_find(&x->rs, key);
	return BRAID_OK;
}

static const char *decision_of(const struct braid_link_stats *st, double w)
{
	return w >= st->threshold ? "match" : w >= st->review_low ? "review" : "nonmatch";
}

static json_t *explanation_json(const struct braid_link_explanation *e,
				const struct braid_link_stats *st)
{
	json_t *terms = json_array();
	for (int i = 0; i < e->nterms; i++) {
		const struct braid_link_term *t = &e->terms[i];
		json_array_append_new(terms, json_pack("{s:s,s:s,s:f,s:f,s:f,s:f}",
			"comparison", braid_link_cmp_name(t->cmp),
			"level", braid_link_level_name(t->cmp, t->level), "m", t->m, "u", t->u,
			"weight", t->weight, "tf", t->tf));
	}
	return json_pack("{s:f,s:o,s:f,s:f,s:f,s:f,s:s}", "prior", e->prior, "terms", terms,
			 "interaction", e->interaction, "weight", e->weight, "probability", e->probability,
			 "threshold", st->threshold, "decision", decision_of(st, e->weight));
}

static void print_json(json_t *o)
{
	cli_print_json(o);
	json_decref(o);
}

int cmd_explain(struct cli *cli, int argc, char **argv)
{
	const char *ref[2] = {NULL, NULL};
	int json = 0, nref = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: braid explain SOURCE:RECORD_ID SOURCE:RECORD_ID [--format json]\n\n"
			       "The match weight of two records under the latest run's model, as a\n"
			       "waterfall: the prior, then per comparison the level the pair reached,\n"
			       "its weight log2(m/u) and any term-frequency adjustment; they add up\n"
			       "to the total, whose probability decides match, review or non-match.\n"
			       "Shows levels, never the values compared.  Linker only; audited.\n");
			return 0;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else if (argv[i][0] != '-' && nref < 2)
			ref[nref++] = argv[i];
		else
			return cli_usage_error("explain: unknown argument '%s' (see braid explain --help)",
					       argv[i]);
	}
	if (nref != 2)
		return cli_usage_error("usage: braid explain SOURCE:RECORD_ID SOURCE:RECORD_ID"
				       " [--format json]");
	struct session ss;
	int ec = open_linker(cli, &ss, "explain");
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	struct explainer x;
	uint32_t a = 0, b = 0;
	struct braid_link_explanation e;
	braid_rc rc = explainer_open(ss.s, &x, &err);
	if (!rc)
		rc = find_ref(&x, ref[0], &a, &err);
	if (!rc)
		rc = find_ref(&x, ref[1], &b, &err);
	if (!rc && a == b)
		rc = braid_err_set(&err, BRAID_EINVAL, "explain: the two records are the same record");
	if (!rc)
		rc = braid_linker_explain(x.l, a, b, &e, &err);
	if (!rc) {
		const struct braid_link_stats *st = braid_linker_stats(x.l);
		if (json) {
			print_json(explanation_json(&e, st));
		} else {
			struct braid_buf buf;
			braid_buf_init(&buf, 0);
			rc = braid_link_explanation_format(&e, &buf);
			if (rc)
				rc = braid_err_set(&err, rc, "out of memory");
			else
				printf("model of link run %lld; threshold %.2f\n%s%s: %s\n",
				       (long long)x.run, st->threshold, (buf.data ? buf.data : ""),
				       "  decision", decision_of(st, e.weight));
			braid_buf_release(&buf);
		}
	}
	explainer_close(&x);
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}

static int review_usage(void)
{
	printf("usage: braid review [--limit N] [--format json]\n"
	       "       braid review decide SOURCE:RECORD_ID SOURCE:RECORD_ID match|nonmatch\n\n"
	       "The pairs the latest run was unsure of (its review band), strongest first,\n"
	       "each with its explanation; pairs already decided are left out.  'decide'\n"
	       "stores a clerical decision that every later 'braid link' honours: a\n"
	       "non-match is never joined (a split stays split), a match is always\n"
	       "joined.  Run 'braid link' to apply decisions.  Linker only; audited.\n");
	return 0;
}

static int review_decide(struct cli *cli, const char *r1, const char *r2, const char *what)
{
	if (strcmp(what, "match") && strcmp(what, "nonmatch"))
		return cli_usage_error("review decide: expected 'match' or 'nonmatch', got '%s'", what);
	struct session ss;
	int ec = open_linker(cli, &ss, "review-decide");
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	struct explainer x;
	memset(&x, 0, sizeof x);
	uint32_t a = 0, b = 0;
	braid_rc rc = braid_pindex_schema(ss.s, &err);
	if (!rc)
		rc = braid_recset_load(ss.s, 0, &x.rs, &err);
	if (!rc)
		rc = find_ref(&x, r1, &a, &err);
	if (!rc)
		rc = find_ref(&x, r2, &b, &err);
	if (!rc && a == b)
		rc = braid_err_set(&err, BRAID_EINVAL, "review decide: the two records are the same record");
	struct braid_stmt *st = NULL;
	if (!rc)
		rc = braid_store_prepare(ss.s, "INSERT OR REPLACE INTO link_decision(a,b,decision,user,time)"
					 " VALUES(?1,?2,?3,?4,?5)", &st, &err);
	if (!rc) {
		int64_t ka = x.rs.recs[a].record_key, kb = x.rs.recs[b].record_key;
		char when[32];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		braid_stmt_bind_int64(st, 1, ka < kb ? ka : kb);
		braid_stmt_bind_int64(st, 2, ka < kb ? kb : ka);
		braid_stmt_bind_text(st, 3, what, -1);
		braid_stmt_bind_text(st, 4, ss.u.name, -1);
		braid_stmt_bind_text(st, 5, when, -1);
		int row;
		rc = braid_stmt_step(st, &row, &err);
	}
	braid_stmt_finalize(st);
	if (!rc)
		printf("recorded: %s; the next 'braid link' applies it\n", what);
	braid_recset_release(&x.rs);
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}

int cmd_review(struct cli *cli, int argc, char **argv)
{
	long limit = 20;
	int json = 0;
	if (cli_wants_help(argc, argv))
		return review_usage();
	if (argc >= 2 && !strcmp(argv[1], "decide")) {
		if (argc != 5)
			return cli_usage_error("usage: braid review decide SOURCE:RECORD_ID"
					       " SOURCE:RECORD_ID match|nonmatch");
		return review_decide(cli, argv[2], argv[3], argv[4]);
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
			if (braid_parse_long(argv[++i], &limit) || limit < 1)
				return cli_usage_error("--limit expects a number >= 1, got '%s'", argv[i]);
		} else
			return cli_usage_error("review: unknown argument '%s' (see braid review --help)",
					       argv[i]);
	}
	struct session ss;
	int ec = open_linker(cli, &ss, "review");
	if (ec)
		return ec;
	struct braid_err err;
	braid_err_clear(&err);
	struct explainer x;
	braid_rc rc = explainer_open(ss.s, &x, &err);
	struct braid_stmt *st = NULL;
	if (!rc)
		rc = braid_store_prepare(ss.s, "SELECT p.a, p.b FROM link_pair p LEFT JOIN link_decision d"
					 " ON d.a = p.a AND d.b = p.b WHERE p.status = 'review'"
					 " AND d.a IS NULL ORDER BY p.weight DESC, p.a, p.b LIMIT ?1",
					 &st, &err);
	json_t *arr = json ? json_array() : NULL;
	size_t shown = 0;
	if (!rc)
		braid_stmt_bind_int64(st, 1, limit);
	while (!rc) {
		int row;
		if ((rc = braid_stmt_step(st, &row, &err)) || !row)
			break;
		long a = braid_recset_find(&x.rs, braid_stmt_int64(st, 0));
		long b = braid_recset_find(&x.rs, braid_stmt_int64(st, 1));
		if (a < 0 || b < 0)
			continue; /* withdrawn since the run */
		struct braid_link_explanation e;
		if ((rc = braid_linker_explain(x.l, (uint32_t)a, (uint32_t)b, &e, &err)))
			break;
		const struct braid_identity *ra = &x.rs.recs[a], *rb = &x.rs.recs[b];
		const char *sa = braid_recset_source(&x.rs, ra->source_id);
		const char *sb = braid_recset_source(&x.rs, rb->source_id);
		shown++;
		if (json) {
			json_t *o = explanation_json(&e, braid_linker_stats(x.l));
			json_object_set_new(o, "a", json_pack("{s:s,s:s}", "source", sa, "record_id",
							      ra->source_record_id));
			json_object_set_new(o, "b", json_pack("{s:s,s:s}", "source", sb, "record_id",
							      rb->source_record_id));
			json_array_append_new(arr, o);
			continue;
		}
		struct braid_buf buf;
		braid_buf_init(&buf, 0);
		if (braid_link_explanation_format(&e, &buf)) {
			braid_buf_release(&buf);
			rc = braid_err_set(&err, BRAID_ENOMEM, "out of memory");
			break;
		}
		printf("%s%s:%s  %s:%s  weight %.2f  probability %.4f\n%s", shown > 1 ? "\n" : "", sa,
		       ra->source_record_id, sb, rb->source_record_id, e.weight, e.probability,
		       (buf.data ? buf.data : ""));
		braid_buf_release(&buf);
	}
	braid_stmt_finalize(st);
	if (!rc && json)
		print_json(arr);
	else
		json_decref(arr);
	if (!rc && !json && !shown)
		printf("no pairs to review\n");
	explainer_close(&x);
	close_session(&ss);
	return rc ? cli_fail(&err) : 0;
}
