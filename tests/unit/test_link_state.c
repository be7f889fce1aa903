/* Saved link states and sealed caches: a linker restored from a state and
 * given new records links exactly as a full run of everything with the same
 * model, while comparing only the new records' pairs; damaged states and
 * caches are refused, never misread. */
#include "test.h"
#include "../../src/link/link_int.h"
#include "braid/store.h"
#include "link_town.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static struct town T;

static braid_rc buf_put(void *ctx, const void *p, size_t n, struct braid_err *err)
{
	(void)err;
	return braid_buf_append(ctx, p, n);
}

struct reader {
	const unsigned char *p;
	size_t n, off;
};

static braid_rc buf_get(void *ctx, void *p, size_t n, struct braid_err *err)
{
	struct reader *r = ctx;
	if (r->n - r->off < n)
		return braid_err_set(err, BRAID_ECRYPTO, "short state");
	memcpy(p, r->p + r->off, n);
	r->off += n;
	return BRAID_OK;
}

static int cmp_pair(const void *x, const void *y)
{
	const struct braid_link_pair *p = x, *q = y;
	uint32_t pa = p->a < p->b ? p->a : p->b, qa = q->a < q->b ? q->a : q->b;
	uint32_t pb = p->a < p->b ? p->b : p->a, qb = q->a < q->b ? q->b : q->a;
	if (pa != qa)
		return pa < qa ? -1 : 1;
	return pb < qb ? -1 : pb > qb;
}

static struct braid_linker *restore(const struct braid_buf *b, size_t from, size_t to,
				    const char *json, size_t *used)
{
	struct reader r = {(const unsigned char *)b->data, b->len, 0};
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_state_read(buf_get, &r, b->len, T.r + from, to - from,
							 NULL, &err);
	if (!l)
		TEST_FAIL_("state_read: %s", err.msg);
	*used = r.off;
	if (braid_linker_load_model(l, json, &err))
		TEST_FAIL_("load_model: %s", err.msg);
	return l;
}

TEST(link_state_restored_run_equals_a_full_run_with_the_model)
{
	make_town(&T, 1800);
	size_t half = T.n / 2, n3 = T.n * 3 / 4;
	struct braid_err err = {0};
	struct braid_linker *first = braid_linker_new(T.r, half, NULL, &err);
	ASSERT_EQ(braid_linker_run(first, &err), BRAID_OK);
	char *json = braid_linker_model_json(first);
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_linker_state_write(first, buf_put, &b, &err), BRAID_OK);

	/* second run: the next quarter of the records against the first half */
	size_t used;
	struct braid_linker *li = restore(&b, half, n3, json, &used);
	ASSERT_EQ(used, b.len);
	ASSERT_EQ(braid_linker_restored(li), half);
	ASSERT_EQ(braid_linker_run_restored(li, &err), BRAID_OK);
	struct braid_linker *lf = braid_linker_new(T.r, n3, NULL, &err);
	ASSERT_EQ(braid_linker_load_model(lf, json, &err), BRAID_OK);
	ASSERT_EQ(braid_linker_run_incremental(lf, NULL, NULL, 0, &err), BRAID_OK);
	ASSERT(same_partition(braid_linker_clusters(li), braid_linker_clusters(lf), n3));
	/* a third of the records are new: about 5/9 of the pairs involve one */
	ASSERT(braid_linker_stats(li)->pairs_compared < braid_linker_stats(lf)->pairs_compared * 3 / 4);
	ASSERT(braid_linker_stats(li)->pairs_rescored > 0);
	for (size_t i = 0; i < n3; i++)
		ASSERT_EQ(braid_linker_keys(li)[i], T.r[i].record_key);
	/* the same weights, pair by pair */
	struct braid_link_pair *pi, *pf;
	size_t ni, nf;
	ASSERT_EQ(braid_linker_pairs(li, braid_linker_stats(li)->review_low, &pi, &ni, &err), 0);
	ASSERT_EQ(braid_linker_pairs(lf, braid_linker_stats(lf)->review_low, &pf, &nf, &err), 0);
	ASSERT_EQ(ni, nf);
	qsort(pi, ni, sizeof *pi, cmp_pair);
	qsort(pf, nf, sizeof *pf, cmp_pair);
	size_t differ = 0;
	for (size_t i = 0; i < ni; i++)
		differ += pi[i].a != pf[i].a || pi[i].b != pf[i].b || pi[i].weight != pf[i].weight;
	ASSERT_EQ(differ, 0);
	free(pi);
	free(pf);
	/* people were found across the runs (else equality is cheap) */
	size_t across = 0;
	const uint32_t *ci = braid_linker_clusters(li);
	for (size_t i = half; i < n3 && !across; i++)
		for (size_t k = 0; k < half && !across; k++)
			across += ci[i] == ci[k];
	ASSERT(across > 0);

	/* third run from the second's state: the rest of the records */
	struct braid_buf b2;
	braid_buf_init(&b2, 0);
	ASSERT_EQ(braid_linker_state_write(li, buf_put, &b2, &err), BRAID_OK);
	struct braid_linker *l3 = restore(&b2, n3, T.n, json, &used);
	ASSERT_EQ(braid_linker_run_restored(l3, &err), BRAID_OK);
	struct braid_linker *l3f = braid_linker_new(T.r, T.n, NULL, &err);
	ASSERT_EQ(braid_linker_load_model(l3f, json, &err), BRAID_OK);
	ASSERT_EQ(braid_linker_run_incremental(l3f, NULL, NULL, 0, &err), BRAID_OK);
	ASSERT(same_partition(braid_linker_clusters(l3), braid_linker_clusters(l3f), T.n));
	/* the saved clusters are the run's that wrote the state */
	ASSERT(same_partition(braid_linker_restored_clusters(l3), braid_linker_clusters(li), n3));

	braid_buf_release(&b);
	braid_buf_release(&b2);
	free(json);
	braid_linker_free(first);
	braid_linker_free(li);
	braid_linker_free(lf);
	braid_linker_free(l3);
	braid_linker_free(l3f);
}

TEST(link_state_refuses_damaged_bytes)
{
	make_town(&T, 300);
	struct braid_err err = {0};
	struct braid_linker *l = braid_linker_new(T.r, T.n, NULL, &err);
	/* a linker that has not run has no state to write */
	struct braid_buf b;
	braid_buf_init(&b, 0);
	ASSERT_EQ(braid_linker_state_write(l, buf_put, &b, &err), BRAID_EINVAL);
	ASSERT_EQ(braid_linker_run(l, &err), BRAID_OK);
	braid_buf_reset(&b);
	ASSERT_EQ(braid_linker_state_write(l, buf_put, &b, &err), BRAID_OK);
	unsigned char *good = malloc(b.len);
	memcpy(good, b.data, b.len);
	/* truncated */
	struct reader r = {good, b.len / 2, 0};
	ASSERT(braid_linker_state_read(buf_get, &r, r.n, NULL, 0, NULL, &err) == NULL);
	/* another layout (another build) */
	memcpy(b.data, good, b.len);
	b.data[8] ^= 1;
	r = (struct reader){(unsigned char *)b.data, b.len, 0};
	ASSERT(braid_linker_state_read(buf_get, &r, r.n, NULL, 0, NULL, &err) == NULL);
	ASSERT(strstr(err.msg, "another version") != NULL);
	/* a record pointing past the string table */
	memcpy(b.data, good, b.len);
	uint64_t h[11];
	memcpy(h, good, sizeof h);
	size_t recs = sizeof h + h[2] * (sizeof(int64_t) + sizeof(uint32_t));
	struct braid__lrec lr;
	memcpy(&lr, good + recs, sizeof lr);
	lr.last = (uint32_t)h[3] + 5;
	memcpy(b.data + recs, &lr, sizeof lr);
	r = (struct reader){(unsigned char *)b.data, b.len, 0};
	ASSERT(braid_linker_state_read(buf_get, &r, r.n, NULL, 0, NULL, &err) == NULL);
	ASSERT(strstr(err.msg, "out of range") != NULL);
	/* the good bytes still restore */
	r = (struct reader){good, b.len, 0};
	struct braid_linker *ok = braid_linker_state_read(buf_get, &r, 0, NULL, 0, NULL, &err);
	ASSERT(ok != NULL);
	ASSERT_EQ(braid_linker_restored(ok), T.n);
	braid_linker_free(ok);
	free(good);
	braid_buf_release(&b);
	braid_linker_free(l);
}

/* ---------------------------------------------------------------- caches */

static struct braid_store *workspace(const char *sub, char *dir, size_t n)
{
	snprintf(dir, n, "%s/%s", test_tmpdir(), sub);
	struct braid_err e = {0};
	if (braid_workspace_init(dir, &e))
		TEST_FAIL_("init: %s", e.msg);
	struct braid_store *s = NULL;
	if (braid_store_open(dir, &s, &e))
		TEST_FAIL_("open: %s", e.msg);
	return s;
}

static braid_rc read_back(struct braid_store *s, unsigned char *out, size_t n)
{
	struct braid_cache_r *r;
	struct braid_err e = {0};
	braid_rc rc = braid_cache_open(s, "t", &r, &e);
	if (!rc)
		rc = braid_cache_get(r, out, n, &e);
	if (!rc)
		rc = braid_cache_end(r, &e);
	braid_cache_close(r);
	return rc;
}

static void file_edit(const char *path, long at, int op)
{
	FILE *f = fopen(path, "r+b");
	ASSERT(f != NULL);
	if (op == 'x') { /* flip a byte */
		fseek(f, at, SEEK_SET);
		int c = fgetc(f);
		fseek(f, at, SEEK_SET);
		fputc(c ^ 0x20, f);
	} else if (op == 'a') { /* append a byte */
		fseek(f, 0, SEEK_END);
		fputc(0, f);
	}
	fclose(f);
	if (op == 't')
		ASSERT_EQ(truncate(path, at), 0);
}

TEST(cache_round_trip_and_damage_is_refused)
{
	char dir[512], path[600];
	struct braid_store *s = workspace("cache", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/t.cache", dir);
	size_t n = 3 * 1024 * 1024 + 12345;
	unsigned char *data = malloc(n), *back = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 11));
	unsigned char one;
	ASSERT_EQ(read_back(s, &one, 1), BRAID_ENOTFOUND);
	struct braid_cache_w *w;
	struct braid_err e = {0};
	ASSERT_EQ(braid_cache_create(s, "t", &w, &e), BRAID_OK);
	for (size_t off = 0; off < n; off += 100000)
		ASSERT_EQ(braid_cache_put(w, data + off, n - off < 100000 ? n - off : 100000, &e), 0);
	ASSERT_EQ(braid_cache_commit(w, &e), BRAID_OK);
	struct stat st;
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT(st.st_size > (off_t)n);
	memset(back, 0, n);
	ASSERT_EQ(read_back(s, back, n), BRAID_OK);
	ASSERT(!memcmp(back, data, n));
	/* the plaintext is not in the file */
	FILE *f = fopen(path, "rb");
	unsigned char *raw = malloc((size_t)st.st_size);
	ASSERT_EQ(fread(raw, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	int found = 0;
	for (off_t i = 0; i + 64 <= st.st_size && !found; i++)
		found = !memcmp(raw + i, data + 4096, 64);
	ASSERT(!found);
	free(raw);
	/* reading less than was written is not the end */
	{
		struct braid_cache_r *r;
		ASSERT_EQ(braid_cache_open(s, "t", &r, &e), BRAID_OK);
		ASSERT_EQ(braid_cache_get(r, back, n - 1, &e), BRAID_OK);
		ASSERT_EQ(braid_cache_end(r, &e), BRAID_ECRYPTO);
		braid_cache_close(r);
	}
	/* a flipped byte in the middle, a byte appended, a truncated file */
	file_edit(path, (long)(n / 2), 'x');
	ASSERT_EQ(read_back(s, back, n), BRAID_ECRYPTO);
	file_edit(path, (long)(n / 2), 'x'); /* undone */
	ASSERT_EQ(read_back(s, back, n), BRAID_OK);
	file_edit(path, 0, 'a');
	ASSERT_EQ(read_back(s, back, n), BRAID_ECRYPTO);
	file_edit(path, (long)(st.st_size - 10), 't');
	ASSERT_EQ(read_back(s, back, n), BRAID_ECRYPTO);
	/* an aborted write leaves the previous cache and no temporary */
	ASSERT_EQ(braid_cache_create(s, "t", &w, &e), BRAID_OK);
	ASSERT_EQ(braid_cache_put(w, data, 10, &e), BRAID_OK);
	braid_cache_abort(w);
	char tmp[620];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	ASSERT(stat(tmp, &st) != 0);
	ASSERT(stat(path, &st) == 0);
	braid_cache_drop(s, "t");
	ASSERT_EQ(read_back(s, back, n), BRAID_ENOTFOUND);
	free(data);
	free(back);
	braid_store_close(s);
}
