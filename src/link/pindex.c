/*
 * The master person index (braid/pindex.h): maps one linkage run's
 * clusters onto stable person ids and records merges and splits.
 *
 * The assignment is a greedy maximum-overlap matching between the new
 * clusters and the earlier persons: candidates (cluster, earlier person,
 * shared records) are taken largest first, each side used once.  Greedy is
 * deterministic and, for the common case of small changes, gives the same
 * answer as an optimal matching; it does not try to be optimal when a big
 * cluster is torn into many similar pieces.  Only rows whose person changed
 * are written, so an incremental run touches little of the index.
 */
#include "braid/pindex.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS person(person_id TEXT PRIMARY KEY,"
	" created TEXT NOT NULL, updated TEXT NOT NULL, size INTEGER NOT NULL,"
	" status TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS person_record(record_key INTEGER PRIMARY KEY,"
	" person_id TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS person_record_pid ON person_record(person_id);"
	"CREATE TABLE IF NOT EXISTS person_history(id INTEGER PRIMARY KEY,"
	" time TEXT NOT NULL, person_id TEXT NOT NULL, event TEXT NOT NULL,"
	" other_id TEXT NOT NULL DEFAULT '', records INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS person_history_pid ON person_history(person_id);"
	"CREATE INDEX IF NOT EXISTS person_history_other ON person_history(other_id);"
	/* One row per link run: what was done, with the fitted model. */
	"CREATE TABLE IF NOT EXISTS link_run(id INTEGER PRIMARY KEY, time TEXT NOT NULL,"
	" mode TEXT NOT NULL, records INTEGER, pairs INTEGER, accepted INTEGER,"
	" review INTEGER, persons INTEGER, threshold REAL, model_json TEXT,"
	" model_text TEXT, stats_json TEXT);"
	/* The uncertain pairs of the latest run (review band, both sides of
	 * the threshold), by record key (pseudonymous): status 'match' or
	 * 'review'.  Certain matches are not kept here (the person index has
	 * them; the saved link state keeps their comparison vectors). */
	"CREATE TABLE IF NOT EXISTS link_pair(a INTEGER NOT NULL, b INTEGER NOT NULL,"
	" weight REAL NOT NULL, probability REAL NOT NULL, status TEXT NOT NULL,"
	" PRIMARY KEY(a,b));"
	/* Deleted records, counted so that a saved link state (linkstate.c)
	 * knows when records it holds are gone. */
	"CREATE TABLE IF NOT EXISTS link_gen(id INTEGER PRIMARY KEY, deleted INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO link_gen VALUES(1, 0);"
	"CREATE TRIGGER IF NOT EXISTS link_gen_records AFTER DELETE ON records"
	" BEGIN UPDATE link_gen SET deleted = deleted + 1 WHERE id = 1; END;"
	/* Clerical decisions, honoured by every later run. */
	"CREATE TABLE IF NOT EXISTS link_decision(a INTEGER NOT NULL, b INTEGER NOT NULL,"
	" decision TEXT NOT NULL, user TEXT NOT NULL, time TEXT NOT NULL,"
	" PRIMARY KEY(a,b));";

braid_rc braid_pindex_schema(struct braid_store *s, struct braid_err *err)
{
	return braid_store_exec(s, schema, err);
}

typedef char pid_t13[BRAID_PERSON_ID_LEN + 1];

static void new_person_id(char *out)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford */
	unsigned char r[12];
	randombytes_buf(r, sizeof r);
	out[0] = 'P';
	for (int i = 0; i < 12; i++)
		out[1 + i] = b32[r[i] & 31];
	out[BRAID_PERSON_ID_LEN] = 0;
}

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------ the update */

struct old_row {
	int64_t key;
	uint32_t pid; /* index into olds */
};

struct cand {
	uint32_t cluster, pid;
	uint32_t count;
};

struct upd {
	struct braid_store *s;
	struct braid_err *err;
	/* earlier persons, sorted by id */
	pid_t13 *olds;
	size_t nolds, capolds;
	struct old_row *rows;
	size_t nrows, caprows;
};

static int cmp_str13(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int cmp_old_row(const void *a, const void *b)
{
	const struct old_row *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_cand_key(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->cluster != y->cluster)
		return x->cluster < y->cluster ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_cand_rank(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->cluster < y->cluster ? -1 : x->cluster > y->cluster;
}

struct by_id {
	pid_t13 id;
	uint32_t c;
};

static int cmp_by_id(const void *a, const void *b)
{
	return strcmp(((const struct by_id *)a)->id, ((const struct by_id *)b)->id);
}

/* The index's rows: all of them, or (keys not NULL) those of the n keys. */
static braid_rc load_old(struct upd *u, const int64_t *keys, size_t n)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(u->s, keys
		? "SELECT record_key, person_id FROM person_record WHERE record_key = ?1"
		: "SELECT record_key, person_id FROM person_record", &st, u->err);
	if (rc)
		return rc;
	/* First pass: rows with the id as text, interned after sorting. */
	char (*ids)[BRAID_PERSON_ID_LEN + 1] = NULL;
	size_t cap = 0, next = 0;
	for (;;) {
		int row;
		if (keys) {
			if (next == n)
				break;
			braid_stmt_reset(st);
			braid_stmt_bind_int64(st, 1, keys[next++]);
		}
		if ((rc = braid_stmt_step(st, &row, u->err)))
			break;
		if (!row) {
			if (keys)
				continue;
			break;
		}
		if (u->nrows == cap) {
			cap = cap ? cap * 2 : 4096;
			void *p1 = braid_reallocarray(u->rows, cap, sizeof *u->rows);
			if (p1)
				u->rows = p1;
			void *p2 = p1 ? braid_reallocarray(ids, cap, sizeof *ids) : NULL;
			if (p2)
				ids = p2;
			if (!p1 || !p2) {
				rc = braid_err_set(u->err, BRAID_ENOMEM, "person index: out of memory");
				break;
			}
		}
		u->rows[u->nrows].key = braid_stmt_int64(st, 0);
		snprintf(ids[u->nrows], sizeof ids[0], "%s", braid_stmt_text(st, 1));
		u->nrows++;
	}
	braid_stmt_finalize(st);
	if (rc) {
		free(ids);
		return rc;
	}
	/* Intern: sorted unique ids, then each row's index by binary search. */
	u->olds = malloc((u->nrows ? u->nrows : 1) * sizeof *u->olds);
	if (!u->olds) {
		free(ids);
		return braid_err_set(u->err, BRAID_ENOMEM, "person index: out of memory");
	}
	if (!u->nrows) { /* a new index: nothing to intern */
		free(ids);
		return BRAID_OK;
	}
	memcpy(u->olds, ids, u->nrows * sizeof *ids);
	qsort(u->olds, u->nrows, sizeof *u->olds, cmp_str13);
	size_t k = 0;
	for (size_t i = 0; i < u->nrows; i++)
		if (!k || strcmp(u->olds[k - 1], u->olds[i]))
			memmove(u->olds[k++], u->olds[i], sizeof *u->olds);
	u->nolds = k;
	for (size_t i = 0; i < u->nrows; i++) {
		pid_t13 *p = bsearch(ids[i], u->olds, u->nolds, sizeof *u->olds, cmp_str13);
		u->rows[i].pid = (uint32_t)(p - u->olds);
	}
	free(ids);
	qsort(u->rows, u->nrows, sizeof *u->rows, cmp_old_row);
	return BRAID_OK;
}

static int64_t old_pid_of(const struct upd *u, int64_t key)
{
	size_t lo = 0, hi = u->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u->rows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < u->nrows && u->rows[lo].key == key ? (int64_t)u->rows[lo].pid : -1;
}

static braid_rc history(struct braid_stmt *st, const char *when, const char *pid,
			const char *event, const char *other, int64_t records,
			const char *reason, struct braid_err *err)
{
	braid_stmt_reset(st);
	braid_stmt_bind_text(st, 1, when, -1);
	braid_stmt_bind_text(st, 2, pid, -1);
	braid_stmt_bind_text(st, 3, event, -1);
	braid_stmt_bind_text(st, 4, other ? other : "", -1);
	braid_stmt_bind_int64(st, 5, records);
	braid_stmt_bind_text(st, 6, reason ? reason : "", -1);
	int row;
	return braid_stmt_step(st, &row, err);
}

static braid_rc exec1(struct braid_stmt *st, struct braid_err *err)
{
	int row;
	return braid_stmt_step(st, &row, err);
}

static braid_rc apply(struct braid_store *s, const int64_t *keys, const uint32_t *clusters,
		      size_t n, int part, const char *reason, struct braid_pindex_stats *stats,
		      struct braid_err *err)
{
	struct braid_pindex_stats st0;
	memset(&st0, 0, sizeof st0);
	struct upd u = {.s = s, .err = err};
	braid_rc rc = braid_pindex_schema(s, err);
	if (rc || (rc = load_old(&u, part ? keys : NULL, n)))
		goto out_early;

	uint32_t nclusters = 0;
	for (size_t i = 0; i < n; i++)
		if (clusters[i] + 1 > nclusters)
			nclusters = clusters[i] + 1;

	int64_t *oldpid = malloc((n ? n : 1) * sizeof *oldpid);
	struct cand *cands = malloc((n ? n : 1) * sizeof *cands);
	int64_t *assigned = malloc((nclusters ? nclusters : 1) * sizeof *assigned);
	int64_t *given_to = malloc((u.nolds ? u.nolds : 1) * sizeof *given_to);
	uint32_t *csize = calloc(nclusters ? nclusters : 1, sizeof *csize);
	uint32_t *oldsize = calloc(u.nolds ? u.nolds : 1, sizeof *oldsize);
	uint32_t *oldkept = calloc(u.nolds ? u.nolds : 1, sizeof *oldkept);
	uint8_t *cchanged = calloc(nclusters ? nclusters : 1, 1);
	pid_t13 *newids = calloc(nclusters ? nclusters : 1, sizeof *newids);
	struct braid_stmt *q_hist = NULL, *q_set = NULL, *q_del = NULL, *q_person = NULL,
			  *q_status = NULL;
	size_t *cstart = NULL; /* nclusters + 1: cluster c's ranks are byclus[cstart[c]..] */
	uint32_t *byclus = NULL;
	uint8_t *incand = NULL; /* by earlier person */
	struct by_id *byid = NULL;
	int bulk = 0;
	if (!oldpid || !cands || !assigned || !given_to || !csize || !oldsize ||
	    !oldkept || !cchanged || !newids) {
		rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
		goto out;
	}
	for (size_t i = 0; i < u.nrows; i++)
		oldsize[u.rows[i].pid]++;

	/* Candidates: (cluster, earlier person) with the records they share. */
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		oldpid[i] = old_pid_of(&u, keys[i]);
		csize[clusters[i]]++;
		if (oldpid[i] >= 0)
			cands[nc++] = (struct cand){clusters[i], (uint32_t)oldpid[i], 1};
	}
	qsort(cands, nc, sizeof *cands, cmp_cand_key);
	size_t m = 0;
	for (size_t i = 0; i < nc; i++) {
		if (m && cands[m - 1].cluster == cands[i].cluster && cands[m - 1].pid == cands[i].pid)
			cands[m - 1].count++;
		else
			cands[m++] = cands[i];
	}
	qsort(cands, m, sizeof *cands, cmp_cand_rank);
	/* The ranked candidates of each cluster, in rank order (a stable
	 * counting sort), and whether an earlier person is anyone's candidate:
	 * the history below looks these up per changed cluster and per
	 * orphaned person, which scanning all of cands made quadratic (an
	 * incremental run creates thousands of persons against a million
	 * candidates). */
	cstart = calloc((size_t)nclusters + 1, sizeof *cstart);
	byclus = malloc((m ? m : 1) * sizeof *byclus);
	incand = calloc(u.nolds ? u.nolds : 1, 1);
	if (!cstart || !byclus || !incand) {
		rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
		goto out;
	}
	for (size_t i = 0; i < m; i++) {
		cstart[cands[i].cluster + 1]++;
		incand[cands[i].pid] = 1;
	}
	for (uint32_t c = 0; c < nclusters; c++)
		cstart[c + 1] += cstart[c];
	{
		size_t *fill = malloc(((size_t)nclusters + 1) * sizeof *fill);
		if (!fill) {
			rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
			goto out;
		}
		memcpy(fill, cstart, ((size_t)nclusters + 1) * sizeof *fill);
		for (size_t i = 0; i < m; i++)
			byclus[fill[cands[i].cluster]++] = (uint32_t)i;
		free(fill);
	}
	for (uint32_t c = 0; c < nclusters; c++)
		assigned[c] = -1;
	for (size_t p = 0; p < u.nolds; p++)
		given_to[p] = -1;
	for (size_t i = 0; i < m; i++) {
		if (assigned[cands[i].cluster] >= 0 || given_to[cands[i].pid] >= 0)
			continue;
		assigned[cands[i].cluster] = cands[i].pid;
		given_to[cands[i].pid] = cands[i].cluster;
		oldkept[cands[i].pid] = cands[i].count;
	}
	for (uint32_t c = 0; c < nclusters; c++) {
		if (assigned[c] >= 0)
			memcpy(newids[c], u.olds[assigned[c]], sizeof newids[c]);
		else if (csize[c])
			new_person_id(newids[c]);
	}

	char when[32];
	now_iso(when);
	if ((rc = braid_store_prepare(s,
		"INSERT INTO person_history(time,person_id,event,other_id,records,reason)"
		" VALUES(?1,?2,?3,?4,?5,?6)", &q_hist, err)) ||
	    (rc = braid_store_prepare(s,
		"INSERT OR REPLACE INTO person_record(record_key,person_id) VALUES(?1,?2)",
		&q_set, err)) ||
	    (rc = braid_store_prepare(s, "DELETE FROM person_record WHERE record_key=?1",
				      &q_del, err)) ||
	    (rc = braid_store_prepare(s,
		"INSERT INTO person(person_id,created,updated,size,status)"
		" VALUES(?1,?2,?2,?3,'active') ON CONFLICT(person_id) DO UPDATE"
		" SET updated=?2, size=?3, status='active'", &q_person, err)) ||
	    (rc = braid_store_prepare(s,
		"UPDATE person SET status=?2, updated=?3, size=0 WHERE person_id=?1",
		&q_status, err)))
		goto out;

	/* A large rewrite (the first run, a full re-link that moved many
	 * records) writes without the secondary indexes and builds them again
	 * at the end: SQLite builds an index by sorting, where a million
	 * inserts in random person-id order cost most of a full link. */
	size_t writes = 0;
	for (size_t i = 0; i < n; i++)
		writes += !(oldpid[i] >= 0 && assigned[clusters[i]] == oldpid[i]);
	if (writes >= 50000 && writes * 4 >= u.nrows) {
		if ((rc = braid_store_exec(s, "DROP INDEX IF EXISTS person_record_pid;"
					   "DROP INDEX IF EXISTS person_history_pid;"
					   "DROP INDEX IF EXISTS person_history_other;", err)))
			goto out;
		bulk = 1;
	}
	/* Records: write only those whose person changed. */
	for (size_t i = 0; i < n; i++) {
		uint32_t c = clusters[i];
		if (oldpid[i] >= 0 && assigned[c] == oldpid[i])
			continue;
		cchanged[c] = 1;
		if (oldpid[i] >= 0) {
			st0.records_moved++;
			cchanged[given_to[oldpid[i]] >= 0 ? given_to[oldpid[i]] : c] = 1;
		}
		braid_stmt_reset(q_set);
		braid_stmt_bind_int64(q_set, 1, keys[i]);
		braid_stmt_bind_text(q_set, 2, newids[c], -1);
		if ((rc = exec1(q_set, err)))
			goto out;
	}
	/* Records that left the index (withdrawn, or not in this run). */
	{
		int64_t *sorted = malloc((n ? n : 1) * sizeof *sorted);
		if (!sorted) {
			rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
			goto out;
		}
		if (n)
			memcpy(sorted, keys, n * sizeof *keys);
		qsort(sorted, n, sizeof *sorted, cmp_i64);
		for (size_t i = 0; i < u.nrows && !rc; i++) {
			int64_t k = u.rows[i].key;
			size_t lo = 0, hi = n;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (sorted[mid] < k)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < n && sorted[lo] == k)
				continue;
			if (given_to[u.rows[i].pid] >= 0)
				cchanged[given_to[u.rows[i].pid]] = 1;
			braid_stmt_reset(q_del);
			braid_stmt_bind_int64(q_del, 1, k);
			rc = exec1(q_del, err);
		}
		free(sorted);
		if (rc)
			goto out;
	}

	/* Persons and their history, in person-id order (the person table's
	 * key: appends instead of random inserts). */
	byid = malloc((nclusters ? nclusters : 1) * sizeof *byid);
	if (!byid) {
		rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
		goto out;
	}
	size_t nby = 0;
	for (uint32_t c = 0; c < nclusters; c++)
		if (csize[c]) {
			memcpy(byid[nby].id, newids[c], sizeof byid[nby].id);
			byid[nby++].c = c;
		}
	qsort(byid, nby, sizeof *byid, cmp_by_id);
	for (size_t bi = 0; bi < nby; bi++) {
		uint32_t c = byid[bi].c;
		if (assigned[c] >= 0) {
			st0.kept++;
			if (!cchanged[c] && oldkept[assigned[c]] == oldsize[assigned[c]] &&
			    csize[c] == oldsize[assigned[c]]) {
				st0.unchanged++;
				continue;
			}
		}
		braid_stmt_reset(q_person);
		braid_stmt_bind_text(q_person, 1, newids[c], -1);
		braid_stmt_bind_text(q_person, 2, when, -1);
		braid_stmt_bind_int64(q_person, 3, csize[c]);
		if ((rc = exec1(q_person, err)))
			goto out;
		int any_old = 0;
		for (size_t k = cstart[c]; k < cstart[c + 1]; k++) {
			/* this cluster's candidates, in rank order */
			size_t i = byclus[k];
			if ((int64_t)cands[i].pid == assigned[c])
				continue;
			any_old = 1;
			const char *q = u.olds[cands[i].pid];
			if (given_to[cands[i].pid] < 0 && assigned[c] >= 0) {
				/* the whole earlier person (what is left of it) joins c */
				if ((rc = history(q_hist, when, q, "merged_into", newids[c],
						  cands[i].count, reason, err)) ||
				    (rc = history(q_hist, when, newids[c], "absorbed", q,
						  cands[i].count, reason, err)))
					goto out;
			} else {
				if ((rc = history(q_hist, when, newids[c], "split_from", q,
						  cands[i].count, reason, err)) ||
				    (rc = history(q_hist, when, q, "split", newids[c],
						  cands[i].count, reason, err)))
					goto out;
			}
		}
		if (assigned[c] < 0) {
			if (any_old)
				st0.split++;
			else
				st0.created++;
			if (!any_old && (rc = history(q_hist, when, newids[c], "created", "",
						      csize[c], reason, err)))
				goto out;
		}
	}
	/* Earlier persons that no cluster took: merged away or retired. */
	for (size_t p = 0; p < u.nolds; p++) {
		if (given_to[p] >= 0)
			continue;
		int merged = incand[p];
		braid_stmt_reset(q_status);
		braid_stmt_bind_text(q_status, 1, u.olds[p], -1);
		braid_stmt_bind_text(q_status, 2, merged ? "merged" : "retired", -1);
		braid_stmt_bind_text(q_status, 3, when, -1);
		if ((rc = exec1(q_status, err)))
			goto out;
		if (merged) {
			st0.merged++;
		} else {
			st0.retired++;
			if ((rc = history(q_hist, when, u.olds[p], "retired", "", oldsize[p],
					  reason, err)))
				goto out;
		}
	}
	for (uint32_t c = 0; c < nclusters; c++)
		if (csize[c])
			st0.persons++;
	if (bulk)
		rc = braid_pindex_schema(s, err); /* the indexes, built by sorting */

out:
	free(byid);
	braid_stmt_finalize(q_hist);
	braid_stmt_finalize(q_set);
	braid_stmt_finalize(q_del);
	braid_stmt_finalize(q_person);
	braid_stmt_finalize(q_status);
	free(cstart);
	free(byclus);
	free(incand);
	free(oldpid);
	free(cands);
	free(assigned);
	free(given_to);
	free(csize);
	free(oldsize);
	free(oldkept);
	free(cchanged);
	free(newids);
out_early:
	free(u.olds);
	free(u.rows);
	if (stats)
		*stats = st0;
	return rc;
}

braid_rc braid_pindex_apply(struct braid_store *s, const int64_t *keys,
			    const uint32_t *clusters, size_t n, const char *reason,
			    struct braid_pindex_stats *stats, struct braid_err *err)
{
	return apply(s, keys, clusters, n, 0, reason, stats, err);
}

/* The index outside the part is left alone.  Restricted to the part, the
 * greedy matching takes the same decisions as over the whole index: a
 * cluster outside is one earlier person whole, whose only candidate is
 * that cluster, so it competes with nothing inside. */
braid_rc braid_pindex_apply_part(struct braid_store *s, const int64_t *keys,
				 const uint32_t *clusters, size_t n, const char *reason,
				 struct braid_pindex_stats *stats, struct braid_err *err)
{
	return apply(s, keys, clusters, n, 1, reason, stats, err);
}

/* ------------------------------------------------------------ reading */

braid_rc braid_pindex_person_of(struct braid_store *s, int64_t record_key,
				char *out, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_pindex_schema(s, err);
	if (rc || (rc = braid_store_prepare(s,
		"SELECT person_id FROM person_record WHERE record_key=?1", &st, err)))
		return rc;
	braid_stmt_bind_int64(st, 1, record_key);
	int row = 0;
	rc = braid_stmt_step(st, &row, err);
	if (!rc && row)
		snprintf(out, BRAID_PERSON_ID_LEN + 1, "%s", braid_stmt_text(st, 0));
	braid_stmt_finalize(st);
	if (!rc && !row)
		rc = braid_err_set(err, BRAID_ENOTFOUND,
				   "record %lld is not in the person index (run 'braid link')",
				   (long long)record_key);
	return rc;
}

braid_rc braid_pindex_members(struct braid_store *s, const char *person_id,
			      int (*cb)(void *ctx, int64_t record_key),
			      void *ctx, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_pindex_schema(s, err);
	if (rc || (rc = braid_store_prepare(s,
		"SELECT record_key FROM person_record WHERE person_id=?1 ORDER BY record_key",
		&st, err)))
		return rc;
	braid_stmt_bind_text(st, 1, person_id, -1);
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (cb(ctx, braid_stmt_int64(st, 0)))
			break;
	}
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_pindex_history(struct braid_store *s, const char *person_id,
			      int (*cb)(void *ctx, const struct braid_pindex_event *e),
			      void *ctx, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_pindex_schema(s, err);
	if (rc || (rc = braid_store_prepare(s,
		"SELECT time, person_id, event, other_id, records, reason FROM person_history"
		" WHERE person_id=?1 ORDER BY id", &st, err)))
		return rc;
	braid_stmt_bind_text(st, 1, person_id, -1);
	int any = 0;
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		any = 1;
		struct braid_pindex_event e = {
			braid_stmt_text(st, 0), braid_stmt_text(st, 1), braid_stmt_text(st, 2),
			braid_stmt_text(st, 3), braid_stmt_int64(st, 4), braid_stmt_text(st, 5),
		};
		if (cb(ctx, &e))
			break;
	}
	braid_stmt_finalize(st);
	if (!rc && !any)
		rc = braid_err_set(err, BRAID_ENOTFOUND, "no person '%s' in the index", person_id);
	return rc;
}

braid_rc braid_pindex_scan(struct braid_store *s,
			   int (*cb)(void *ctx, int64_t record_key, const char *person_id),
			   void *ctx, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_pindex_schema(s, err);
	if (rc || (rc = braid_store_prepare(s,
		"SELECT record_key, person_id FROM person_record ORDER BY record_key", &st, err)))
		return rc;
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (cb(ctx, braid_stmt_int64(st, 0), braid_stmt_text(st, 1)))
			break;
	}
	braid_stmt_finalize(st);
	return rc;
}
