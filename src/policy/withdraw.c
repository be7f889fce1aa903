/*
 * Withdrawal: a person who opts out, or a source whose agency withdraws
 * (or whose agreement's retention ends), is removed from every store in
 * one transaction — identities and id hashes (vault), records, events and
 * rejects (analytic store), and the person index (person_record; the
 * person's history gets a 'withdrawn' entry, so an id that vanished is
 * explained rather than silently gone).
 *
 * A person leaves keyed tokens behind (braid_store_withdraw_record) so that
 * ingest drops their rows in later loads; a source does not, since its
 * people did not opt out.  A person's rejected rows (the reject log has no
 * record to follow) are found by those tokens (withdraw_rejects.c); a
 * source's go with it.  It does not check who asks (the CLI requires an
 * admin and audits).  Messages name person ids and sources only.
 */
#include "policy_int.h"
#include "braid/pindex.h"
#include "braid/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Run sql with ?1 = a, ?2 = b, ?3 = c (each bound when given); *first
 * gets the first column of the first row (0 when none). */
static braid_rc run(struct braid_store *s, const char *sql, const char *a, int64_t b,
		    const char *c, int64_t *first, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	if (rc)
		return rc;
	if (a)
		braid_stmt_bind_text(st, 1, a, -1);
	if (b)
		braid_stmt_bind_int64(st, 2, b);
	if (c)
		braid_stmt_bind_text(st, 3, c, -1);
	int row = 0;
	rc = braid_stmt_step(st, &row, err);
	if (!rc && first)
		*first = row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	return rc;
}

static braid_rc person_keys(struct braid_store *s, const char *pid, int64_t **keys, size_t *n,
			    struct braid_err *err)
{
	*keys = NULL;
	*n = 0;
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, "SELECT record_key FROM person_record"
					  " WHERE person_id=?1 ORDER BY record_key", &st, err);
	if (rc)
		return rc;
	braid_stmt_bind_text(st, 1, pid, -1);
	size_t cap = 0;
	for (;;) {
		int row;
		if ((rc = braid_stmt_step(st, &row, err)) || !row)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *p = braid_reallocarray(*keys, cap, sizeof *p);
			if (!p) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
				break;
			}
			*keys = p;
		}
		(*keys)[(*n)++] = braid_stmt_int64(st, 0);
	}
	braid_stmt_finalize(st);
	return rc;
}

static braid_rc withdraw_person_tx(struct braid_store *s, const char *pid, unsigned what,
				   struct braid_withdraw_stats *ws, struct braid_err *err)
{
	(void)what; /* a person leaves everything */
	int64_t exists = 0;
	braid_rc rc = run(s, "SELECT count(*) FROM person WHERE person_id=?1", pid, 0, NULL,
			  &exists, err);
	if (rc)
		return rc;
	if (!exists)
		return braid_err_set(err, BRAID_ENOTFOUND, "person '%s' not found in the person index",
				     pid);
	int64_t *keys;
	size_t n;
	if ((rc = person_keys(s, pid, &keys, &n, err)))
		return rc;
	rc = run(s, "SELECT count(*) FROM events WHERE record_key IN"
		 " (SELECT record_key FROM person_record WHERE person_id=?1)", pid, 0, NULL,
		 &ws->events, err);
	for (size_t i = 0; i < n && !rc; i++) {
		static const char *const del[] = {
			"DELETE FROM person_record WHERE record_key=?2",
			"DELETE FROM link_pair WHERE a=?2 OR b=?2",
			"DELETE FROM link_decision WHERE a=?2 OR b=?2",
		};
		rc = braid_store_withdraw_record(s, keys[i], 1, err);
		for (size_t k = 0; k < sizeof del / sizeof del[0] && !rc; k++)
			rc = run(s, del[k], NULL, keys[i], NULL, NULL, err);
	}
	free(keys);
	/* Their rejected rows too (matched by token: rejects have no
	 * record); again on a repeated withdrawal, for rows rejected by
	 * loads since. */
	if (!rc)
		rc = braid__withdraw_rejects(s, &ws->rejects, err);
	if (rc || n == 0)
		return rc; /* withdrawn before: no records left, nothing to record */
	ws->records = (int64_t)n;
	ws->persons = 1;
	char when[32], reason[96];
	now_iso(when);
	snprintf(reason, sizeof reason, "opt-out: %zu record%s withdrawn", n, n == 1 ? "" : "s");
	rc = run(s, "UPDATE person SET size=0, status='withdrawn', updated=?3 WHERE person_id=?1",
		 pid, 0, when, NULL, err);
	if (!rc) {
		struct braid_stmt *st;
		rc = braid_store_prepare(s, "INSERT INTO person_history(time,person_id,event,"
					 "other_id,records,reason) VALUES(?1,?2,'withdrawn','',?3,?4)",
					 &st, err);
		if (!rc) {
			braid_stmt_bind_text(st, 1, when, -1);
			braid_stmt_bind_text(st, 2, pid, -1);
			braid_stmt_bind_int64(st, 3, (int64_t)n);
			braid_stmt_bind_text(st, 4, reason, -1);
			int row;
			rc = braid_stmt_step(st, &row, err);
			braid_stmt_finalize(st);
		}
	}
	return rc;
}

/* what: enum braid_destroy (exports are the CLI's business). */
static braid_rc withdraw_source_tx(struct braid_store *s, const char *name, unsigned what,
				   struct braid_withdraw_stats *ws, struct braid_err *err)
{
	/* Rows imply identifiers and links: records without them would be
	 * rows nobody can link, and links to deleted rows mean nothing. */
	if (what & BRAID_DESTROY_SOURCE_ROWS)
		what |= BRAID_DESTROY_IDENTIFIERS | BRAID_DESTROY_LINKS;
	int64_t sid = 0;
	braid_rc rc = braid_store_source_get(s, name, &sid, NULL, err);
	if (rc)
		return rc;
	char when[32], reason[160];
	now_iso(when);
	snprintf(reason, sizeof reason, "source %s withdrawn", name);
	/* Counts first, then the history of every person who loses records,
	 * then the rows themselves (children before parents). */
	static const char *const count_sql[] = {
		"SELECT count(*) FROM records WHERE source_id=?2",
		"SELECT count(*) FROM events WHERE record_key IN"
		" (SELECT record_key FROM records WHERE source_id=?2)",
		"SELECT count(*) FROM rejects WHERE source_id=?2",
		"SELECT count(DISTINCT pr.person_id) FROM person_record pr"
		" JOIN records r ON r.record_key=pr.record_key WHERE r.source_id=?2",
	};
	int64_t *counts[] = {&ws->records, &ws->events, &ws->rejects, &ws->persons};
	for (size_t i = 0; i < 4 && !rc; i++)
		rc = run(s, count_sql[i], NULL, sid, NULL, counts[i], err);
	enum { L = BRAID_DESTROY_LINKS, R = BRAID_DESTROY_SOURCE_ROWS,
	       I = BRAID_DESTROY_IDENTIFIERS };
	static const unsigned mask[] = {L, L, L, L, L, L, R, I, R, I, R, R};
	static const char *const sql[] = {
		"INSERT INTO person_history(time,person_id,event,other_id,records,reason)"
		" SELECT ?1, pr.person_id, 'withdrawn', '', count(*), ?3 FROM person_record pr"
		" JOIN records r ON r.record_key=pr.record_key WHERE r.source_id=?2"
		" GROUP BY pr.person_id",
		"DELETE FROM link_pair WHERE a IN (SELECT record_key FROM records WHERE source_id=?2)"
		" OR b IN (SELECT record_key FROM records WHERE source_id=?2)",
		"DELETE FROM link_decision WHERE a IN (SELECT record_key FROM records WHERE source_id=?2)"
		" OR b IN (SELECT record_key FROM records WHERE source_id=?2)",
		"DELETE FROM person_record WHERE record_key IN"
		" (SELECT record_key FROM records WHERE source_id=?2)",
		"UPDATE person SET updated=?1,"
		" size=(SELECT count(*) FROM person_record pr WHERE pr.person_id=person.person_id)"
		" WHERE status='active' AND person_id IN (SELECT person_id FROM person_history"
		" WHERE event='withdrawn' AND time=?1 AND reason=?3)",
		"UPDATE person SET status='withdrawn' WHERE status='active' AND size=0",
		"DELETE FROM events WHERE record_key IN"
		" (SELECT record_key FROM records WHERE source_id=?2)",
		"DELETE FROM vault.identities WHERE source_id=?2",
		"DELETE FROM records WHERE source_id=?2",
		"DELETE FROM vault.reject_raw WHERE reject_id IN"
		" (SELECT id FROM rejects WHERE source_id=?2)",
		"DELETE FROM rejects WHERE source_id=?2",
		/* Without its batches the same file may be loaded again should
		 * a new agreement allow it. */
		"DELETE FROM batches WHERE source_id=?2",
	};
	if (!(what & R))
		ws->records = ws->events = ws->rejects = 0;
	if (!(what & L))
		ws->persons = 0;
	for (size_t i = 0; i < sizeof sql / sizeof sql[0] && !rc; i++) {
		struct braid_stmt *st;
		if (!(mask[i] & what))
			continue;
		if ((rc = braid_store_prepare(s, sql[i], &st, err)))
			break;
		/* Statements bind only the parameters they name. */
		if (strstr(sql[i], "?1"))
			braid_stmt_bind_text(st, 1, when, -1);
		if (strstr(sql[i], "?2"))
			braid_stmt_bind_int64(st, 2, sid);
		if (strstr(sql[i], "?3"))
			braid_stmt_bind_text(st, 3, reason, -1);
		int row;
		rc = braid_stmt_step(st, &row, err);
		braid_stmt_finalize(st);
	}
	return rc;
}

static braid_rc in_tx(struct braid_store *s, const char *name, unsigned what,
		      braid_rc (*fn)(struct braid_store *, const char *, unsigned,
				     struct braid_withdraw_stats *, struct braid_err *),
		      struct braid_withdraw_stats *ws, struct braid_err *err)
{
	memset(ws, 0, sizeof *ws);
	braid_rc rc = braid_pindex_schema(s, err);
	if (!rc)
		rc = braid_store_begin(s, err);
	if (rc)
		return rc;
	if ((rc = fn(s, name, what, ws, err)) || (rc = braid_store_commit(s, err))) {
		braid_store_rollback(s);
		memset(ws, 0, sizeof *ws);
	}
	return rc;
}

braid_rc braid_withdraw_person(struct braid_store *s, const char *person_id,
			       struct braid_withdraw_stats *ws, struct braid_err *err)
{
	return in_tx(s, person_id, 0, withdraw_person_tx, ws, err);
}

braid_rc braid_withdraw_source(struct braid_store *s, const char *source,
			       struct braid_withdraw_stats *ws, struct braid_err *err)
{
	return braid_destroy_source(s, source, BRAID_DESTROY_SOURCE_ROWS, ws, err);
}

braid_rc braid_destroy_source(struct braid_store *s, const char *source, unsigned what,
			      struct braid_withdraw_stats *ws, struct braid_err *err)
{
	return in_tx(s, source, what, withdraw_source_tx, ws, err);
}
