/*
 * Fuzz target for the CSV reader (braid/csv.h).
 *
 * Each input is parsed with several option sets (defaults; delimiter taken
 * from the first byte with Latin-1, no trimming and small limits) and the
 * reader's promises are checked, abort()ing when one fails:
 *  - a record has 1..max_fields fields, each valid UTF-8 (both encodings
 *    produce UTF-8), and its raw bytes fit max_record;
 *  - an error is one of the input errors and carries a line and column;
 *  - record lines never go backwards and the reader always ends;
 *  - the streaming reader over a FILE gives exactly the same records and
 *    errors as the in-memory parser — on a copy of the input tiled past the
 *    64 KiB read window for some inputs, so refills land everywhere.
 * It does not check field values against an oracle (the unit tests do).
 */
#include "braid/csv.h"
#include "braid/normalize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state {
	const struct braid_csv_opts *o;
	uint64_t hash;
	size_t calls, limit;
};

static void check_record(const struct braid_csv_opts *o, char **f, size_t n)
{
	size_t maxf = o->max_fields ? o->max_fields : 4096;
	if (n == 0 || n > maxf)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!braid_utf8_valid(f[i], strlen(f[i])))
			abort();
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	return braid_hash64(p, n, h);
}

static uint64_t hash_event(uint64_t h, char **f, size_t n, const struct braid_err *e)
{
	if (!f) {
		long v[3] = {(long)e->code, e->line, e->column};
		return mix(h ^ 0x9e37, v, sizeof v);
	}
	h = mix(h, &n, sizeof n);
	for (size_t i = 0; i < n; i++)
		h = mix(h, f[i], strlen(f[i]) + 1);
	return h;
}

static void check_error(const struct braid_err *e)
{
	if (e->code != BRAID_EPARSE && e->code != BRAID_EUTF8 &&
	    e->code != BRAID_ETOOBIG)
		abort();
	if (e->line < 1 || e->column < 1)
		abort();
}

static int cb(void *ctx, char **f, size_t n, const struct braid_err *e)
{
	struct state *s = ctx;
	if (++s->calls > s->limit)
		abort(); /* more events than bytes: no progress */
	if (f)
		check_record(s->o, f, n);
	else
		check_error(e);
	s->hash = hash_event(s->hash, f, n, e);
	return 0;
}

/* The same input through a FILE; returns the event hash. */
static uint64_t stream(const char *data, size_t len, const struct braid_csv_opts *o,
		       size_t *events)
{
	FILE *f = fmemopen((void *)data, len, "r");
	if (!f)
		abort();
	struct braid_csv *r = braid_csv_new(f, "fuzz", o);
	if (!r)
		abort();
	uint64_t h = 0;
	long prev = 0;
	size_t maxrec = o->max_record ? o->max_record : 1024 * 1024;
	*events = 0;
	for (;;) {
		char **fl = NULL;
		size_t n = 0, rl;
		struct braid_err e;
		braid_err_clear(&e);
		braid_rc rc = braid_csv_next(r, &fl, &n, &e);
		if (rc == BRAID_ENOTFOUND)
			break;
		if (++*events > len + 1)
			abort();
		if (rc == BRAID_OK)
			check_record(o, fl, n);
		else
			check_error(&e);
		if (braid_csv_record_line(r) < prev)
			abort();
		prev = braid_csv_record_line(r);
		braid_csv_record_raw(r, &rl);
		if (rl > maxrec)
			abort();
		h = hash_event(h, rc ? NULL : fl, n, &e);
	}
	if (braid_csv_bytes_read(r) != len)
		abort();
	braid_csv_free(r);
	fclose(f);
	return h;
}

static void run(const char *data, size_t len, const struct braid_csv_opts *o)
{
	struct state s = {o, 0, 0, len + 1};
	if (braid_csv_parse_buffer(data, len, o, cb, &s) != BRAID_OK)
		abort();
	if (len == 0)
		return; /* fmemopen may refuse an empty buffer */
	size_t events;
	uint64_t h = stream(data, len, o, &events);
	if (h != s.hash || events != s.calls)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct braid_csv_opts def = {0};
	run(d, size, &def);
	if (size == 0)
		return 0;

	char delim = d[0];
	if (delim == '"' || delim == '\r' || delim == '\n')
		delim = ';';
	struct braid_csv_opts odd = {.delimiter = delim,
				     .notrim = d[0] & 1,
				     .encoding = BRAID_CSV_LATIN1,
				     .max_record = 64,
				     .max_fields = 8};
	run(d + 1, size - 1, &odd);
	struct braid_csv_opts tab = {.delimiter = '\t', .notrim = 1, .max_record = 1 + size / 3};
	run(d, size, &tab);

	/* Tile small inputs past the read window so that refills, and the
	 * rescans they cause, fall at every kind of position. */
	if ((d[0] & 15) == 0 && size < 4096) {
		size_t reps = 150000 / size + 1, n = reps * size;
		char *big = malloc(n);
		if (!big)
			return 0;
		for (size_t i = 0; i < reps; i++)
			memcpy(big + i * size, d, size);
		struct braid_csv_opts small = {.max_record = 100000};
		run(big, n, &small);
		free(big);
	}
	return 0;
}
