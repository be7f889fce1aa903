/*
 * linkstate.c — the saved link state in the workspace (braid/pindex.h,
 * "saved link state"): after each run the linker's state (state.c) is
 * sealed into the cache "link" with the counters that say whether it is
 * still current, and the next run starts from it when it is: it reads
 * from the vault only the records of later batches, and it rewrites only
 * the part of the person index whose clusters changed.
 *
 * Current means: the state was written after the latest link run (so the
 * person index is that run's clusters), no record has been deleted since
 * (withdrawal, retention and replacement delete records, and a trigger
 * counts every deletion), and the same vault key seals it.  Records are
 * only ever added otherwise, in batches with higher ids, whose records
 * have higher keys.  Anything else and the caller links everything again.
 */
#include "braid/link.h"
#include "braid/pindex.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_NAME "link"
#define HDR_MAGIC 0x3130454154534c42ULL /* "BLSTAE01" */

static braid_rc int_of(struct braid_store *s, const char *sql, int64_t *out,
		       struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	int row = 0;
	if (!rc)
		rc = braid_stmt_step(st, &row, err);
	*out = !rc && row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_linkstate_now(struct braid_store *s, struct braid_linkstate *now,
			     struct braid_err *err)
{
	memset(now, 0, sizeof *now);
	/* new records are found by batch (vaults made before this index was
	 * part of the vault's schema get it on their first link) */
	braid_rc rc = braid_store_exec(s, "CREATE INDEX IF NOT EXISTS vault.identities_batch"
				       " ON identities(batch_id)", err);
	if (rc)
		return rc;
	if ((rc = int_of(s, "SELECT coalesce(max(id), 0) FROM link_run", &now->run, err)) ||
	    (rc = int_of(s, "SELECT deleted FROM link_gen WHERE id = 1", &now->deleted, err)) ||
	    (rc = int_of(s, "SELECT coalesce(max(id), 0) FROM batches", &now->max_batch, err)))
		return rc;
	return BRAID_OK;
}

static braid_rc put(void *ctx, const void *p, size_t n, struct braid_err *err)
{
	return braid_cache_put(ctx, p, n, err);
}

static braid_rc get(void *ctx, void *p, size_t n, struct braid_err *err)
{
	return braid_cache_get(ctx, p, n, err);
}

/* The state is written on its own thread while the caller updates the
 * person index and commits (both read the linker only); the file is put
 * in place only when the caller says the run was committed. */
struct braid_linkstate_writer {
	const struct braid_linker *l;
	struct braid_cache_w *w;
	pthread_t th;
	int started;
	braid_rc rc;
	struct braid_err err;
};

static void *write_state(void *arg)
{
	struct braid_linkstate_writer *x = arg;
	x->rc = braid_linker_state_write(x->l, put, x->w, &x->err);
	return NULL;
}

braid_rc braid_linkstate_save_begin(struct braid_store *s, const struct braid_linker *l,
				    const struct braid_linkstate *at,
				    struct braid_linkstate_writer **out, struct braid_err *err)
{
	*out = NULL;
	struct braid_linkstate_writer *x = calloc(1, sizeof *x);
	if (!x)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	x->l = l;
	braid_err_clear(&x->err);
	braid_rc rc = braid_cache_create(s, CACHE_NAME, &x->w, err);
	int64_t h[4] = {(int64_t)HDR_MAGIC, at->run, at->deleted, at->max_batch};
	if (!rc)
		rc = braid_cache_put(x->w, h, sizeof h, err);
	if (rc) {
		braid_cache_abort(x->w);
		free(x);
		return rc;
	}
	x->started = !pthread_create(&x->th, NULL, write_state, x);
	if (!x->started)
		write_state(x); /* no thread: write it here */
	*out = x;
	return BRAID_OK;
}

braid_rc braid_linkstate_save_end(struct braid_linkstate_writer *x, int keep,
				  struct braid_err *err)
{
	if (!x)
		return BRAID_OK;
	if (x->started)
		pthread_join(x->th, NULL);
	braid_rc rc = x->rc;
	if (rc)
		*err = x->err;
	/* an older state left in place is harmless: a committed run's number
	 * makes it stale, and after a rollback it still describes the index */
	if (!rc && keep)
		rc = braid_cache_commit(x->w, err);
	else
		braid_cache_abort(x->w);
	free(x);
	return rc;
}

const char *braid_linkstate_miss_text(enum braid_linkstate_miss m)
{
	switch (m) {
	case BRAID_LS_USED: return "the saved link state was used";
	case BRAID_LS_NONE: return "no saved link state";
	case BRAID_LS_UNREADABLE: return "the saved link state does not open (another key, or damaged)";
	case BRAID_LS_STALE: return "the saved link state is not the latest run's";
	case BRAID_LS_DELETED: return "records were withdrawn or removed since the last run";
	}
	return "?";
}

braid_rc braid_linkstate_restore(struct braid_store *s, const struct braid_linkstate *now,
				 const struct braid_link_opts *opts, struct braid_recset *rs,
				 struct braid_linker **out, enum braid_linkstate_miss *why,
				 struct braid_err *err)
{
	*out = NULL;
	*why = BRAID_LS_USED;
	memset(rs, 0, sizeof *rs);
	struct braid_cache_r *r;
	struct braid_err e2;
	braid_err_clear(&e2);
	if (braid_cache_open(s, CACHE_NAME, &r, &e2)) {
		*why = e2.code == BRAID_ENOTFOUND ? BRAID_LS_NONE : BRAID_LS_UNREADABLE;
		return BRAID_OK;
	}
	int64_t h[4];
	braid_rc rc = BRAID_OK;
	if (braid_cache_get(r, h, sizeof h, &e2) || h[0] != (int64_t)HDR_MAGIC)
		*why = BRAID_LS_UNREADABLE;
	else if (h[1] != now->run)
		*why = BRAID_LS_STALE;
	else if (h[2] != now->deleted)
		*why = BRAID_LS_DELETED;
	if (*why) {
		braid_cache_close(r);
		return BRAID_OK;
	}
	if ((rc = braid_recset_load(s, h[3], rs, err))) {
		braid_cache_close(r);
		return rc;
	}
	struct braid_linker *l = braid_linker_state_read(get, r, braid_cache_size(r), rs->recs, rs->n,
							 opts, &e2);
	if (!l || braid_cache_end(r, &e2)) {
		*why = BRAID_LS_UNREADABLE;
		braid_linker_free(l);
		braid_recset_release(rs);
		l = NULL;
	}
	braid_cache_close(r);
	*out = l;
	return BRAID_OK;
}

braid_rc braid_linkstate_apply(struct braid_store *s, const struct braid_linker *l,
			       const char *reason, struct braid_pindex_stats *ps,
			       struct braid_err *err)
{
	size_t n = braid_linker_stats(l)->records, nold = braid_linker_restored(l);
	const uint32_t *cl = braid_linker_clusters(l), *old = braid_linker_restored_clusters(l);
	const int64_t *keys = braid_linker_keys(l);
	uint32_t ncl = 0, nold_cl = 0;
	for (size_t i = 0; i < n; i++)
		ncl = cl[i] + 1 > ncl ? cl[i] + 1 : ncl;
	for (size_t i = 0; i < nold; i++)
		nold_cl = old[i] + 1 > nold_cl ? old[i] + 1 : nold_cl;
	/* A cluster is clean when it is exactly one earlier cluster: all its
	 * records restored, all from the same earlier cluster, as many. */
	uint32_t *oldsize = calloc(nold_cl ? nold_cl : 1, sizeof *oldsize);
	uint32_t *size = calloc(ncl ? ncl : 1, sizeof *size);
	uint32_t *from = malloc((ncl ? ncl : 1) * sizeof *from); /* UINT32_MAX: none yet */
	uint8_t *dirty = calloc(ncl ? ncl : 1, 1);
	int64_t *pk = NULL;
	uint32_t *pc = NULL;
	braid_rc rc = BRAID_OK;
	if (!oldsize || !size || !from || !dirty) {
		rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nold; i++)
		oldsize[old[i]]++;
	memset(from, 0xff, (ncl ? ncl : 1) * sizeof *from);
	for (size_t i = 0; i < n; i++) {
		uint32_t c = cl[i];
		size[c]++;
		if (i >= nold) {
			dirty[c] = 1;
			continue;
		}
		if (from[c] == UINT32_MAX)
			from[c] = old[i];
		else if (from[c] != old[i])
			dirty[c] = 1;
	}
	size_t np = 0, clean = 0;
	for (uint32_t c = 0; c < ncl; c++) {
		if (!size[c])
			continue;
		if (!dirty[c] && size[c] != oldsize[from[c]])
			dirty[c] = 1;
		clean += !dirty[c];
	}
	for (size_t i = 0; i < n; i++)
		np += dirty[cl[i]];
	pk = malloc((np ? np : 1) * sizeof *pk);
	pc = malloc((np ? np : 1) * sizeof *pc);
	if (!pk || !pc) {
		rc = braid_err_set(err, BRAID_ENOMEM, "person index: out of memory");
		goto out;
	}
	/* the part, with the run's own cluster numbers */
	np = 0;
	for (size_t i = 0; i < n; i++)
		if (dirty[cl[i]]) {
			pk[np] = keys[i];
			pc[np++] = cl[i];
		}
	if ((rc = braid_pindex_apply_part(s, pk, pc, np, reason, ps, err)))
		goto out;
	ps->persons += clean;
	ps->kept += clean;
	ps->unchanged += clean;
out:
	free(oldsize);
	free(size);
	free(from);
	free(dirty);
	free(pk);
	free(pc);
	return rc;
}
