/*
 * bench/linkage/common.h — shared by the linkage benchmarks: load a CSV
 * with a header into struct braid_identity records (folded with braid's own
 * braid_text_fold) plus a truth entity per record.  Benchmark code only:
 * not part of the library.
 */
#ifndef BENCH_LINKAGE_COMMON_H
#define BENCH_LINKAGE_COMMON_H

#include "braid/core.h"
#include "braid/csv.h"
#include "braid/link.h"
#include "braid/normalize.h"
#include "braid/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct dataset {
	struct braid_identity *r;
	uint32_t *truth;
	size_t n, cap;
	struct braid_arena arena;
	/* truth strings -> ids */
	char **tnames;
	size_t ntn, tcap;
};

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline const char *fold(struct dataset *d, const char *s)
{
	char buf[512];
	if (!s || !*s)
		return "";
	if (braid_text_fold(s, buf, sizeof buf) != BRAID_OK)
		return "";
	return braid_arena_strdup(&d->arena, buf);
}

static inline struct braid_identity *ds_add(struct dataset *d)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->r = realloc(d->r, d->cap * sizeof *d->r);
		d->truth = realloc(d->truth, d->cap * sizeof *d->truth);
		if (!d->r || !d->truth) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	struct braid_identity *id = &d->r[d->n];
	memset(id, 0, sizeof *id);
	for (int f = 0; f < BRAID_F__COUNT; f++)
		id->v[f] = "";
	id->record_key = (int64_t)d->n;
	d->n++;
	return id;
}

/* Truth entity as a string, numbered densely by first appearance (a hash
 * would be faster; the sets here are small). */
struct tslot { char *s; uint32_t id; };
static struct tslot *tslots;
static size_t ntslots;
static uint32_t next_tid;

static inline uint32_t truth_id(const char *s)
{
	if (!tslots) {
		ntslots = 1 << 22;
		tslots = calloc(ntslots, sizeof *tslots);
	}
	uint64_t h = braid_hash64(s, strlen(s), 7) & (ntslots - 1);
	while (tslots[h].s) {
		if (!strcmp(tslots[h].s, s))
			return tslots[h].id;
		h = (h + 1) & (ntslots - 1);
	}
	tslots[h].s = braid_strdup(s);
	tslots[h].id = next_tid++;
	return tslots[h].id;
}

typedef void (*row_fn)(struct dataset *d, char **f, size_t nf, const int *col,
		       const char *party);

/* Read path; col[i] = header index of names[i] (-1 when absent). */
static inline int ds_load(struct dataset *d, const char *path, const char *const *names,
			  int nnames, row_fn fn, const char *party)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	struct braid_csv_opts o = {0};
	struct braid_csv *r = braid_csv_new(fp, path, &o);
	char **f;
	size_t nf;
	struct braid_err err = {0};
	int col[32];
	for (int i = 0; i < nnames; i++)
		col[i] = -1;
	if (braid_csv_next(r, &f, &nf, &err) != BRAID_OK) {
		fprintf(stderr, "%s: no header\n", path);
		return -1;
	}
	for (size_t j = 0; j < nf; j++)
		for (int i = 0; i < nnames; i++)
			if (!strcmp(f[j], names[i]))
				col[i] = (int)j;
	braid_rc rc;
	while ((rc = braid_csv_next(r, &f, &nf, &err)) != BRAID_ENOTFOUND) {
		if (rc)
			continue;
		fn(d, f, nf, col, party);
	}
	braid_csv_free(r);
	fclose(fp);
	return 0;
}

static inline const char *colv(char **f, size_t nf, const int *col, int i)
{
	return col[i] >= 0 && (size_t)col[i] < nf ? f[col[i]] : "";
}

#endif
