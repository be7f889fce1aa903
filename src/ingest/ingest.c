/*
 * Loading CSV files of one source into the store, as ONE transaction.
 *
 * For each file: hash its bytes (BLAKE2b via crypto_generichash) and refuse
 * content already loaded for the source unless replace; read the header
 * and resolve the spec's columns by name; then, row by row, in a per-row
 * arena: reject what cannot be loaded (bad CSV, invalid UTF-8, wrong
 * number of columns, missing or duplicate record id) into the reject log
 * with the raw row sealed in the vault; validate each mapped value (a bad
 * value is stored as missing and flagged, never as a wrong value); write the
 * analytic record (no identifiers), the identity (vault) and the events.
 *
 * Duplicate record ids (rows: person) are found with a Bloom filter of
 * bounded size over the keyed id hashes, so memory does not grow with the
 * file; rows that hit the filter are checked exactly at the end of the load
 * against the vault's id hashes and the later copies moved to the reject
 * log.  Sources with rows: event keep a map id hash → record key instead
 * (one entry per distinct record).
 *
 * It does not print, does not link and does not interpret events beyond
 * dates and amounts.
 */
#include "ingest_int.h"

#include "braid/csv.h"
#include "braid/geo.h"
#include "braid/normalize.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CELL_MAX 4096 /* canonical values longer than this are flagged */

/* ------------------------------------------------------------ values */
static const char *const omb_race[] = {
	"white", "black", "asian", "aian", "nhpi", "other", "multiple", NULL};
static const char *const omb_eth[] = {"hispanic", "not_hispanic", NULL};

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static int copy_out(const char *s, char *out, size_t n)
{
	size_t k = strlen(s);
	if (k >= n)
		return 1;
	memcpy(out, s, k + 1);
	return 0;
}

/* Today in days, looked up once per process ($BRAID_TODAY is read by
 * braid_date_today, which is too slow to call per value). */
static long today_days(void)
{
	static long today = -1000000;
	if (today == -1000000)
		today = braid_date_to_days(braid_date_today());
	return today;
}

int braid_ingest_check_value(enum braid_field f, const char *raw,
			     const struct braid_colspec *cs, char *out, size_t n)
{
	out[0] = 0;
	while (*raw == ' ' || *raw == '\t')
		raw++;
	if (!*raw)
		return 0;
	switch (f) {
	case BRAID_F_DOB: {
		struct braid_date d;
		if (braid_date_parse(raw, cs ? cs->format : NULL, -1, &d))
			return 1;
		if (d.y < 1900 || braid_date_to_days(d) > today_days())
			return 1;
		if (n < 11)
			return 1;
		braid_date_iso(d, out);
		return 0;
	}
	case BRAID_F_BIRTH_YEAR: {
		long y;
		if (braid_parse_long(raw, &y) || y < 1900 ||
		    y > braid_date_from_days(today_days()).y)
			return 1;
		snprintf(out, n, "%ld", y);
		return 0;
	}
	case BRAID_F_SEX: {
		char c = 0;
		if (braid_sex_check(raw, &c))
			return 1;
		if (c && n >= 2) {
			out[0] = c;
			out[1] = 0;
		}
		return 0;
	}
	case BRAID_F_SSN: {
		char d[10];
		if (braid_ssn_check(raw, d) != BRAID_SSN_OK)
			return 1;
		return copy_out(d, out, n);
	}
	case BRAID_F_ZIP: {
		char z[11], p4[5];
		int us;
		if (braid_zip_check(raw, z, p4, &us))
			return 1;
		return copy_out(z, out, n);
	}
	case BRAID_F_PHONE: {
		char d[16];
		if (braid_phone_check(raw, d))
			return 1;
		return copy_out(d, out, n);
	}
	case BRAID_F_EMAIL: {
		if (strlen(raw) >= n)
			return 1;
		return braid_email_check(raw, out) != BRAID_OK;
	}
	case BRAID_F_RACE:
	case BRAID_F_ETHNICITY: {
		const char *const *l = f == BRAID_F_RACE ? omb_race : omb_eth;
		for (; *l; l++)
			if (ieq(raw, *l))
				return copy_out(*l, out, n);
		return 1;
	}
	case BRAID_F_FULL_NAME: /* parsed whole later: folding would lose "LAST, FIRST" */
	case BRAID_F_OTHER_ID: {
		if (copy_out(raw, out, n))
			return 1;
		braid_trim(out);
		return 0;
	}
	default:
		/* Names, address parts, city, state: folded text. */
		if (braid_text_fold(raw, out, n)) {
			out[0] = 0;
			return 1;
		}
		return 0;
	}
}

/* ------------------------------------------------------------ id sets */
/* Open addressing map: rid hash (63-bit, never 0 after +1) → record key. */
struct idmap {
	int64_t *h, *k;
	size_t cap, n;
};

static void idmap_free(struct idmap *m)
{
	free(m->h);
	free(m->k);
	memset(m, 0, sizeof *m);
}

static int idmap_put(struct idmap *m, int64_t h, int64_t key);

static int idmap_grow(struct idmap *m)
{
	struct idmap g = {0};
	g.cap = m->cap ? m->cap * 2 : 1024;
	g.h = calloc(g.cap, sizeof *g.h);
	g.k = calloc(g.cap, sizeof *g.k);
	if (!g.h || !g.k) {
		idmap_free(&g);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->h[i])
			idmap_put(&g, m->h[i] - 1, m->k[i]);
	idmap_free(m);
	*m = g;
	return 0;
}

/* Returns the slot of h (existing or empty). */
static size_t idmap_slot(const struct idmap *m, int64_t h)
{
	size_t i = (size_t)braid_hash64(&h, sizeof h, 7) & (m->cap - 1);
	while (m->h[i] && m->h[i] != h + 1)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int idmap_put(struct idmap *m, int64_t h, int64_t key)
{
	if ((m->n + 1) * 2 > m->cap && idmap_grow(m))
		return -1;
	size_t i = idmap_slot(m, h);
	if (!m->h[i]) {
		m->h[i] = h + 1;
		m->n++;
	}
	m->k[i] = key;
	return 0;
}

/* 0 when absent. */
static int64_t idmap_get(const struct idmap *m, int64_t h)
{
	if (!m->cap)
		return 0;
	size_t i = idmap_slot(m, h);
	return m->h[i] ? m->k[i] : 0;
}

/* A blocked Bloom filter: each id sets 4 bits inside one 64-byte block,
 * so a lookup costs one cache miss instead of four.  The id hashes are
 * already uniform (keyed SipHash), so their bits are used directly. */
struct bloom {
	uint64_t *words;
	uint64_t nblocks; /* power of two; 8 words per block */
};

/* Adds h; returns 1 when all its bits were already set (maybe seen). */
static int bloom_add(struct bloom *b, int64_t h)
{
	uint64_t u = (uint64_t)h;
	uint64_t *blk = b->words + ((u & (b->nblocks - 1)) << 3);
	uint64_t r = u >> 20 | (u << 44); /* bits not used to pick the block */
	int seen = 1;
	for (int i = 0; i < 4; i++) {
		unsigned bit = (unsigned)(r >> (9 * i)) & 511;
		uint64_t m = 1ULL << (bit & 63);
		if (!(blk[bit >> 6] & m)) {
			seen = 0;
			blk[bit >> 6] |= m;
		}
	}
	return seen;
}

/* ------------------------------------------------------------ loader */
struct cand {
	int64_t key, hash, flagged, batch;
	long line;
	char *raw;
	size_t raw_len;
	char *file;
};

struct evcols {
	int start, end, program, provider, amount;
	int *attr;
};

/* ------------------------------------------------------------ pipeline
 * One thread (the producer) reads, validates and seals rows into chunks of
 * ready-to-store operations; the calling thread (the writer) stores them.
 * NCHUNK chunks rotate, so memory stays bounded whatever the file size;
 * the producer never touches the connection (keys are assigned from
 * braid_store_next_id and sealing uses its own braid_sealer). */
#define NCHUNK 3
#define CHUNK_OPS 2048

enum op_kind { OP_RECORD, OP_EVENT, OP_REJECT };
struct op {
	enum op_kind kind;
	union {
		struct braid_record_row rec;
		struct braid_event_row ev;
		struct braid_reject rej;
	};
	const unsigned char *sealed;
	size_t sealed_len;
	int plain;                /* sealed holds the encoded identity: seal it */
};
struct chunk {
	struct op *ops;
	size_t n;
	struct braid_arena arena; /* strings and sealed blobs of ops */
	int full, last;
	int64_t rows;             /* rows read in this chunk */
	unsigned long long bytes; /* input bytes read when it was closed */
};
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk ch[NCHUNK];
	size_t fill, take;        /* chunk being filled / next to store */
	int abort;                /* the writer failed: stop producing */
};

struct loader {
	struct braid_store *s;
	const struct braid_spec *spec;
	const struct braid_ingest_opts *opts;
	struct braid_ingest_stats *st;
	struct braid_err *err;
	int64_t source_id;
	struct bloom bloom;
	struct idmap ids;
	struct cand *cands;
	size_t ncands, capcands;
	struct braid_arena row;
	struct braid_buf json;
	unsigned long long total_bytes, done_bytes, rows_all;

	/* Per file. */
	const char *file;
	char hash_hex[65];
	int64_t batch_id;
	int fcol[BRAID_F__COUNT];
	int idcol;
	int idcol_none;           /* no id column: row numbers are the ids */
	int qualify_rows;         /* ...qualified by the content hash: the
				     source already holds another file */
	struct evcols *ev;
	int *attrcol;             /* record-level attribute columns */
	struct braid_address_tables *addr; /* NULL: no reference data */
	size_t ncols;

	/* Pipeline (the producer's side: chunk, sealer, next ids). */
	struct pipe *pipe;
	struct chunk *cur;
	struct braid_sealer *sealer;
	struct braid_buf sealbuf;
	struct braid_sealer *wsealer; /* the writer's own */
	struct braid_buf wsealbuf;
	int64_t next_key, next_reject;
	struct braid_csv *csv;
	struct braid_err perr;    /* the producer's error */
	braid_rc prc;

	/* Withdrawal (braid withdraw): tokens of persons who opted out,
	 * sorted, read once before the load; their rows are counted and
	 * dropped, never stored. */
	unsigned char *wtok;
	size_t nwtok;

	/* Geography (src/geo): the places in memory (NULL when none are
	 * loaded) and the producer's counts of new records with a street and
	 * of those found in the places. */
	struct braid_gazetteer *gaz;
	int64_t geo_addr, geo_found;
};

static braid_rc file_hash(const char *path, char hex[65], unsigned long long *size,
			  struct braid_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot open '%s': %s", path, strerror(errno));
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	static unsigned char buf[1 << 16];
	size_t n;
	*size = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		crypto_generichash_update(&h, buf, n);
		*size += n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return braid_err_set(err, BRAID_EIO, "cannot read '%s'", path);
	unsigned char out[32];
	crypto_generichash_final(&h, out, sizeof out);
	sodium_bin2hex(hex, 65, out, sizeof out);
	return BRAID_OK;
}

static int prefill_cb(void *ctx, int64_t key, int64_t hash)
{
	struct loader *L = ctx;
	if (L->spec->rows_event)
		return idmap_put(&L->ids, hash, key) ? 1 : 0;
	bloom_add(&L->bloom, hash);
	return 0;
}

/* Hand the filled chunk to the writer and take the next free one. */
static braid_rc chunk_pass(struct loader *L, int last)
{
	struct pipe *P = L->pipe;
	pthread_mutex_lock(&P->mu);
	L->cur->last = last;
	L->cur->bytes = braid_csv_bytes_read(L->csv);
	L->cur->full = 1;
	P->fill = (P->fill + 1) % NCHUNK;
	pthread_cond_broadcast(&P->cv);
	struct chunk *c = &P->ch[P->fill];
	while (!last && c->full && !P->abort)
		pthread_cond_wait(&P->cv, &P->mu);
	int abort = P->abort;
	pthread_mutex_unlock(&P->mu);
	if (last)
		return BRAID_OK;
	c->n = 0;
	c->rows = 0;
	braid_arena_reset(&c->arena);
	L->cur = c;
	return abort ? BRAID_EINTERNAL : BRAID_OK;
}

static struct op *op_new(struct loader *L, enum op_kind k)
{
	struct op *o = &L->cur->ops[L->cur->n++];
	memset(o, 0, sizeof *o);
	o->kind = k;
	return o;
}

/* Copy s into the chunk (NULL stays NULL). */
static const char *keep(struct loader *L, const char *s)
{
	if (!s)
		return NULL;
	const char *c = braid_arena_strdup(&L->cur->arena, s);
	if (!c)
		L->prc = braid_err_set(&L->perr, BRAID_ENOMEM, "out of memory");
	return c ? c : "";
}

static braid_rc keep_sealed(struct loader *L, struct op *o)
{
	unsigned char *p = braid_arena_alloc(&L->cur->arena, L->sealbuf.len);
	if (!p)
		return braid_err_set(&L->perr, BRAID_ENOMEM, "out of memory");
	memcpy(p, L->sealbuf.data, L->sealbuf.len);
	o->sealed = p;
	o->sealed_len = L->sealbuf.len;
	return BRAID_OK;
}

static braid_rc reject(struct loader *L, long line, long col, const char *reason,
		       const char *raw, size_t raw_len)
{
	L->st->rows_rejected++;
	struct op *o = op_new(L, OP_REJECT);
	int64_t id = L->next_reject++;
	o->rej = (struct braid_reject){.id = id, .source_id = L->source_id,
				       .batch_id = L->batch_id, .file = L->file, .line = line,
				       .column = col, .reason = keep(L, reason)};
	if (braid_sealer_raw(L->sealer, id, raw, raw_len, &L->sealbuf))
		return braid_err_set(&L->perr, BRAID_ETOOBIG, "row too large to seal");
	braid_rc rc = keep_sealed(L, o);
	o->rej.sealed = o->sealed;
	o->rej.sealed_len = o->sealed_len;
	return rc ? rc : L->prc;
}

/* A reject written directly (after the pipeline, on the writer's thread). */
static braid_rc store_reject(struct loader *L, long line, long col, const char *reason,
			     const char *raw, size_t raw_len)
{
	struct braid_reject j = {.source_id = L->source_id, .batch_id = L->batch_id,
				 .file = L->file, .line = line, .column = col,
				 .reason = reason, .raw = raw, .raw_len = raw_len};
	L->st->rows_rejected++;
	return braid_store_reject_add(L->s, &j, L->err);
}

static int find_col(char **hdr, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return (int)i;
	return -1;
}

static braid_rc need_col(struct loader *L, char **hdr, size_t n, const char *col,
			 const char *what, int *out)
{
	*out = -1;
	if (!col)
		return BRAID_OK;
	*out = find_col(hdr, n, col);
	if (*out >= 0)
		return BRAID_OK;
	char cols[300] = "";
	for (size_t i = 0; i < n && strlen(cols) < sizeof cols - 40; i++) {
		if (i)
			strncat(cols, ", ", sizeof cols - strlen(cols) - 1);
		strncat(cols, hdr[i], sizeof cols - strlen(cols) - 1);
	}
	return braid_err_at(L->err, BRAID_EPARSE, L->file, 1, 0,
			    "column '%s' (for %s) is not in the header (columns: %s)", col,
			    what, cols);
}

static braid_rc resolve_header(struct loader *L, char **hdr, size_t n)
{
	braid_rc rc;
	L->ncols = n;
	if ((rc = need_col(L, hdr, n, L->spec->id, "the record id", &L->idcol)))
		return rc;
	for (int f = 0; f < BRAID_F__COUNT; f++)
		if ((rc = need_col(L, hdr, n, L->spec->fields[f].column,
				   braid_field_name((enum braid_field)f), &L->fcol[f])))
			return rc;
	for (size_t a = 0; a < L->spec->nattrs; a++)
		if ((rc = need_col(L, hdr, n, L->spec->attrs[a].value, "attributes",
				   &L->attrcol[a])))
			return rc;
	for (size_t e = 0; e < L->spec->nevents; e++) {
		const struct braid_event_spec *es = &L->spec->events[e];
		struct evcols *c = &L->ev[e];
		char what[100];
		snprintf(what, sizeof what, "event %s", es->type);
		if ((rc = need_col(L, hdr, n, es->start.column, what, &c->start)) ||
		    (rc = need_col(L, hdr, n, es->end.column, what, &c->end)) ||
		    (rc = need_col(L, hdr, n, es->program.column, what, &c->program)) ||
		    (rc = need_col(L, hdr, n, es->provider.column, what, &c->provider)) ||
		    (rc = need_col(L, hdr, n, es->amount.column, what, &c->amount)))
			return rc;
		for (size_t a = 0; a < es->nattrs; a++)
			if ((rc = need_col(L, hdr, n, es->attrs[a].value, what, &c->attr[a])))
				return rc;
	}
	return BRAID_OK;
}

/* The cell after the spec's missing list and value map; "" when missing. */
static const char *cell(char **fields, int col, const struct braid_colspec *cs)
{
	if (col < 0)
		return "";
	const char *v = fields[col];
	while (*v == ' ' || *v == '\t')
		v++;
	for (size_t i = 0; i < cs->nmissing; i++)
		if (ieq(v, cs->missing[i]))
			return "";
	for (size_t i = 0; i < cs->nmap; i++) {
		const char *k = cs->map[i].key;
		size_t kl = strlen(k), vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (kl == vl && !strncasecmp(v, k, kl))
			return cs->map[i].value;
	}
	return v;
}

static void json_str(struct braid_buf *b, const char *s)
{
	braid_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			braid_buf_putc(b, '\\');
			braid_buf_putc(b, (char)*p);
		} else if (*p < 0x20) {
			braid_buf_printf(b, "\\u%04x", *p);
		} else {
			braid_buf_putc(b, (char)*p);
		}
	}
	braid_buf_putc(b, '"');
}

/* A whole address line, while no address parser is linked: leading house
 * number, the rest as the street; a unit after APT/UNIT/#/STE split off. */
static void split_address(struct braid_arena *a, const char *folded, const char **num,
			  const char **street, const char **unit)
{
	const char *p = folded;
	size_t k = 0;
	while (p[k] >= '0' && p[k] <= '9')
		k++;
	while (p[k] && p[k] != ' ' && k && k < 12)
		k++; /* 1234A, 1234-36 */
	if (k && p[k] == ' ') {
		*num = braid_arena_strndup(a, p, k);
		p += k + 1;
	} else {
		*num = "";
	}
	static const char *const des[] = {" APT ", " UNIT ", " STE ", " # ", " FL ", " RM ", NULL};
	const char *cut = NULL;
	for (int i = 0; des[i] && !cut; i++)
		cut = strstr(p, des[i]);
	if (cut) {
		*street = braid_arena_strndup(a, p, (size_t)(cut - p));
		*unit = braid_arena_strdup(a, cut + 1);
	} else {
		*street = p;
		*unit = "";
	}
	if (!*num || !*street || !*unit) {
		*num = *num ? *num : "";
		*street = *street ? *street : "";
		*unit = *unit ? *unit : "";
	}
}

/* The standardised parts of a parsed address into id: street_name is
 * "PREDIR NAME SUFFIX POSTDIR" ("N BROAD ST"). */
static void set_address(struct loader *L, struct braid_identity *id,
			const struct braid_address *a)
{
	char street[128];
	size_t k = 0;
	const char *parts[] = {a->predir, a->street, a->suffix, a->postdir};
	for (int i = 0; i < 4; i++) {
		if (!parts[i][0])
			continue;
		int w = snprintf(street + k, sizeof street - k, "%s%s", k ? " " : "", parts[i]);
		if (w < 0 || (size_t)w >= sizeof street - k)
			break;
		k += (size_t)w;
	}
	street[k] = 0;
	const char *num = braid_arena_strdup(&L->row, a->number);
	const char *st = braid_arena_strdup(&L->row, street);
	/* A unit in a column of its own (liheap's APT) stays when the line
	 * names none. */
	const char *unit = !a->unit[0] && id->v[BRAID_F_UNIT] && *id->v[BRAID_F_UNIT]
				   ? id->v[BRAID_F_UNIT]
				   : braid_arena_strdup(&L->row, a->unit);
	id->v[BRAID_F_STREET_NUMBER] = num ? num : "";
	id->v[BRAID_F_STREET_NAME] = st ? st : "";
	id->v[BRAID_F_UNIT] = unit ? unit : "";
}

/* Validate and canonicalise one row into id (strings in L->row). */
static int64_t build_identity(struct loader *L, char **fields, struct braid_identity *id,
			      uint32_t *present)
{
	int64_t flagged = 0;
	char buf[CELL_MAX];
	*present = 0;
	for (int f = 0; f < BRAID_F__COUNT; f++) {
		id->v[f] = "";
		if (L->fcol[f] < 0)
			continue;
		const struct braid_colspec *cs = &L->spec->fields[f];
		const char *raw = cell(fields, L->fcol[f], cs);
		if (!*raw)
			continue;
		if (f <= BRAID_F_SUFFIX) {
			/* Name parts are folded once, by braid_name_clean below. */
			*present |= 1u << f;
			id->v[f] = raw;
			continue;
		}
		if (braid_ingest_check_value((enum braid_field)f, raw, cs, buf, sizeof buf)) {
			*present |= 1u << f;
			id->invalid |= 1u << f;
			flagged++;
			continue;
		}
		if (!buf[0])
			continue; /* explicitly unknown (sex U/X): missing, not invalid */
		*present |= 1u << f;
		id->v[f] = braid_arena_strdup(&L->row, buf);
		if (!id->v[f])
			id->v[f] = "";
	}
	/* Names: canonical parts (titles, suffixes, particles). */
	const char *const *v = id->v;
	if (*v[BRAID_F_FULL_NAME] || *v[BRAID_F_FIRST_NAME] || *v[BRAID_F_LAST_NAME] ||
	    *v[BRAID_F_MIDDLE_NAME] || *v[BRAID_F_SUFFIX]) {
		struct braid_name nm;
		braid_rc rc;
		int parts = *v[BRAID_F_FIRST_NAME] || *v[BRAID_F_LAST_NAME] ||
			    *v[BRAID_F_MIDDLE_NAME] || *v[BRAID_F_SUFFIX];
		if (parts)
			rc = braid_name_clean(v[BRAID_F_FIRST_NAME], v[BRAID_F_MIDDLE_NAME],
					      v[BRAID_F_LAST_NAME], v[BRAID_F_SUFFIX], &nm);
		else
			rc = braid_name_parse_full(v[BRAID_F_FULL_NAME], &nm);
		if (rc && parts) {
			/* Too long to parse: each part folded on its own. */
			for (int f = BRAID_F_FIRST_NAME; f <= BRAID_F_SUFFIX; f++) {
				if (!*v[f])
					continue;
				if (braid_text_fold(v[f], buf, sizeof buf))
					buf[0] = 0;
				id->v[f] = braid_arena_strdup(&L->row, buf);
				if (!id->v[f])
					id->v[f] = "";
			}
		}
		if (!rc) {
			id->v[BRAID_F_FIRST_NAME] = braid_arena_strdup(&L->row, nm.first);
			id->v[BRAID_F_MIDDLE_NAME] = braid_arena_strdup(&L->row, nm.middle);
			id->v[BRAID_F_LAST_NAME] = braid_arena_strdup(&L->row, nm.last);
			id->v[BRAID_F_SUFFIX] = braid_arena_strdup(&L->row, nm.suffix);
			for (int f = BRAID_F_FIRST_NAME; f <= BRAID_F_SUFFIX; f++)
				if (!id->v[f])
					id->v[f] = "";
		}
	}
	if (*v[BRAID_F_FULL_NAME]) {
		/* Kept folded like every other string of the identity. */
		if (braid_text_fold(v[BRAID_F_FULL_NAME], buf, sizeof buf))
			buf[0] = 0;
		id->v[BRAID_F_FULL_NAME] = braid_arena_strdup(&L->row, buf);
		if (!id->v[BRAID_F_FULL_NAME])
			id->v[BRAID_F_FULL_NAME] = "";
	}
	struct braid_address ad;
	if (L->addr && *v[BRAID_F_ADDRESS] && !*v[BRAID_F_STREET_NAME] &&
	    braid_address_parse(L->addr, v[BRAID_F_ADDRESS], &ad) == BRAID_OK) {
		set_address(L, id, &ad);
	} else if (L->addr && (*v[BRAID_F_STREET_NAME] || *v[BRAID_F_STREET_NUMBER]) &&
		   braid_address_from_parts(L->addr, v[BRAID_F_STREET_NUMBER],
					    v[BRAID_F_STREET_NAME], v[BRAID_F_UNIT],
					    &ad) == BRAID_OK) {
		set_address(L, id, &ad);
	} else if (*v[BRAID_F_ADDRESS] && !*v[BRAID_F_STREET_NAME]) {
		/* No address tables (no reference data): a plain split. */
		const char *num, *street, *unit;
		split_address(&L->row, v[BRAID_F_ADDRESS], &num, &street, &unit);
		id->v[BRAID_F_STREET_NUMBER] = num;
		id->v[BRAID_F_STREET_NAME] = street;
		if (!*v[BRAID_F_UNIT])
			id->v[BRAID_F_UNIT] = unit;
	}
	if (*v[BRAID_F_DOB] && !*v[BRAID_F_BIRTH_YEAR])
		id->v[BRAID_F_BIRTH_YEAR] = braid_arena_strndup(&L->row, v[BRAID_F_DOB], 4);
	if (!id->v[BRAID_F_BIRTH_YEAR])
		id->v[BRAID_F_BIRTH_YEAR] = "";
	return flagged;
}

static braid_rc add_events(struct loader *L, char **fields, int64_t key, int64_t *flagged)
{
	char s_iso[11], e_iso[11];
	for (size_t e = 0; e < L->spec->nevents; e++) {
		const struct braid_event_spec *es = &L->spec->events[e];
		const struct evcols *c = &L->ev[e];
		const char *sv = cell(fields, c->start, &es->start);
		if (!*sv)
			continue; /* no date, no event on this row */
		struct braid_event_row ev = {.record_key = key, .batch_id = L->batch_id,
					     .type = es->type};
		struct braid_date d;
		if (braid_date_parse(sv, es->start.format, -1, &d) == BRAID_OK) {
			braid_date_iso(d, s_iso);
			ev.start = s_iso;
		} else {
			ev.invalid |= 1;
		}
		const char *evv = cell(fields, c->end, &es->end);
		if (*evv) {
			if (braid_date_parse(evv, es->end.format, -1, &d) == BRAID_OK) {
				braid_date_iso(d, e_iso);
				ev.end = e_iso;
			} else {
				ev.invalid |= 2;
			}
		}
		ev.program = cell(fields, c->program, &es->program);
		ev.provider = cell(fields, c->provider, &es->provider);
		const char *am = cell(fields, c->amount, &es->amount);
		if (*am) {
			/* "$1,250.00" is how agencies write money. */
			char tmp[64];
			size_t k = 0;
			for (const char *p = am; *p && k < sizeof tmp - 1; p++)
				if (*p != '$' && *p != ',')
					tmp[k++] = *p;
			tmp[k] = 0;
			if (braid_parse_double(tmp, &ev.amount) == BRAID_OK)
				ev.has_amount = 1;
			else
				ev.invalid |= 4;
		}
		if (es->nattrs) {
			braid_buf_reset(&L->json);
			braid_buf_putc(&L->json, '{');
			for (size_t a = 0; a < es->nattrs; a++) {
				if (a)
					braid_buf_putc(&L->json, ',');
				json_str(&L->json, es->attrs[a].key);
				braid_buf_putc(&L->json, ':');
				json_str(&L->json, c->attr[a] >= 0 ? fields[c->attr[a]] : "");
			}
			if (braid_buf_putc(&L->json, '}'))
				return braid_err_set(&L->perr, BRAID_ETOOBIG,
						     "event attributes too large");
			ev.attrs_json = L->json.data;
		}
		*flagged += __builtin_popcount(ev.invalid);
		struct op *o = op_new(L, OP_EVENT);
		o->ev = ev;
		o->ev.start = keep(L, ev.start);
		o->ev.end = keep(L, ev.end);
		o->ev.program = keep(L, ev.program);
		o->ev.provider = keep(L, ev.provider);
		o->ev.attrs_json = keep(L, ev.attrs_json);
		if (L->prc)
			return L->prc;
		L->st->events++;
	}
	return BRAID_OK;
}

static braid_rc load_row(struct loader *L, struct braid_csv *r, char **fields, size_t nf,
			 int64_t row_no)
{
	long line = braid_csv_record_line(r);
	size_t raw_len = 0;
	const char *raw = braid_csv_record_raw(r, &raw_len);
	if (nf != L->ncols) {
		char why[100];
		snprintf(why, sizeof why, "wrong number of columns: expected %zu, got %zu",
			 L->ncols, nf);
		return reject(L, line, 0, why, raw, raw_len);
	}
	const char *rid;
	char rowid[96];
	if (L->idcol >= 0) {
		rid = braid_trim(fields[L->idcol]);
		if (!*rid)
			return reject(L, line, L->idcol + 1, "missing record id", raw, raw_len);
	} else if (L->qualify_rows) {
		/* A later file of a source without ids: qualified by its
		 * content so that it never collides with the first. */
		snprintf(rowid, sizeof rowid, "%.12s:%lld", L->hash_hex, (long long)row_no);
		rid = rowid;
	} else {
		/* The source's first file: the data row number, as the spec
		 * format promises (and ground-truth files use). */
		snprintf(rowid, sizeof rowid, "%lld", (long long)row_no);
		rid = rowid;
	}
	int64_t h = braid_store_rid_hash(L->s, rid, strlen(rid));
	int64_t flagged = 0, key = 0;
	braid_rc rc;
	if (L->spec->rows_event)
		key = idmap_get(&L->ids, h);
	int maybe_dup = 0;
	if (!key) {
		if (!L->spec->rows_event)
			maybe_dup = bloom_add(&L->bloom, h);
		struct braid_identity id = {.source_id = (int32_t)L->source_id,
					    .source_record_id = rid};
		uint32_t present;
		flagged = build_identity(L, fields, &id, &present);
		if (L->nwtok) {
			unsigned char tok[2][BRAID_TOKEN_LEN];
			int nt = braid_store_person_tokens(L->s, &id, tok);
			for (int t = 0; t < nt; t++)
				if (braid_token_find(L->wtok, L->nwtok, tok[t])) {
					L->st->rows_withdrawn++;
					return BRAID_OK;
				}
		}
		/* Tract, district and household key from the standardised
		 * address, before the identity is sealed: nothing but these
		 * leaves the vault. */
		const char *tract = NULL, *district = NULL;
		int64_t hkey = 0;
		if (braid_geo_identity(L->s, L->gaz, &id, &tract, &district, &hkey, &L->perr)) {
			L->geo_addr++;
			L->geo_found += tract != NULL;
		}
		const char *const *v = id.v;
		long by = 0;
		if (*v[BRAID_F_BIRTH_YEAR])
			braid_parse_long(v[BRAID_F_BIRTH_YEAR], &by);
		struct braid_record_row rec = {
			.source_id = L->source_id, .batch_id = L->batch_id, .row = row_no,
			.sex = v[BRAID_F_SEX], .race = v[BRAID_F_RACE],
			.ethnicity = v[BRAID_F_ETHNICITY], .zip5 = v[BRAID_F_ZIP],
			.birth_year = (int)by, .present = present, .invalid = id.invalid,
			.rid_hash = h, .tract = tract, .district = district, .addr_key = hkey};
		key = rec.record_key = L->next_key++;
		id.record_key = key;
		struct op *o = op_new(L, OP_RECORD);
		o->rec = rec;
		o->rec.sex = keep(L, rec.sex);
		o->rec.race = keep(L, rec.race);
		o->rec.ethnicity = keep(L, rec.ethnicity);
		o->rec.zip5 = keep(L, rec.zip5);
		o->rec.tract = keep(L, rec.tract);
		o->rec.district = keep(L, rec.district);
		if (L->spec->nattrs) {
			braid_buf_reset(&L->json);
			braid_buf_putc(&L->json, '{');
			for (size_t a = 0; a < L->spec->nattrs; a++) {
				if (a)
					braid_buf_putc(&L->json, ',');
				json_str(&L->json, L->spec->attrs[a].key);
				braid_buf_putc(&L->json, ':');
				json_str(&L->json, L->attrcol[a] >= 0 ? fields[L->attrcol[a]] : "");
			}
			if (braid_buf_putc(&L->json, '}'))
				return braid_err_set(&L->perr, BRAID_ETOOBIG,
						     "line %ld: attributes too large", line);
			o->rec.attrs_json = keep(L, L->json.data);
		}
		/* Seven identities in eight are only encoded here and sealed by
		 * the writer: sealing is a third of this thread's work, and
		 * this split leaves both threads with about the same work
		 * (callgrind: ~20 k instructions per row each). */
		o->plain = (key & 7) != 0;
		if (o->plain ? braid_identity_encode(&id, &L->sealbuf)
			     : braid_sealer_identity(L->sealer, &id, &L->sealbuf))
			return braid_err_set(&L->perr, BRAID_ETOOBIG,
					     "line %ld: identity too large to store", line);
		if ((rc = keep_sealed(L, o)) || (rc = L->prc))
			return rc;
		if (L->spec->rows_event && idmap_put(&L->ids, h, key))
			return braid_err_set(&L->perr, BRAID_ENOMEM, "out of memory");
		L->st->records_new++;
	}
	if ((rc = add_events(L, fields, key, &flagged)))
		return rc;
	L->st->rows_loaded++;
	L->st->values_flagged += flagged;
	if (maybe_dup) {
		if (L->ncands == L->capcands) {
			size_t nc = L->capcands ? L->capcands * 2 : 64;
			struct cand *p = braid_reallocarray(L->cands, nc, sizeof *p);
			if (!p)
				return braid_err_set(&L->perr, BRAID_ENOMEM, "out of memory");
			L->cands = p;
			L->capcands = nc;
		}
		struct cand *c = &L->cands[L->ncands];
		*c = (struct cand){.key = key, .hash = h, .flagged = flagged, .line = line,
				   .batch = L->batch_id,
				   .raw_len = raw_len};
		c->raw = malloc(raw_len + 1);
		c->file = braid_strdup(L->file);
		if (!c->raw || !c->file) {
			free(c->raw);
			free(c->file);
			return braid_err_set(&L->perr, BRAID_ENOMEM, "out of memory");
		}
		memcpy(c->raw, raw, raw_len);
		L->ncands++;
	}
	return BRAID_OK;
}

/* The producer: every data row of L->csv into chunks of operations. */
static void *produce(void *arg)
{
	struct loader *L = arg;
	struct braid_csv *r = L->csv;
	char **fields;
	size_t nf;
	struct braid_err cerr;
	int64_t row_no = 0;
	braid_rc rc = BRAID_OK;
	while (!rc) {
		/* Room for a row's record, its events and a reject. */
		if (L->cur->n + L->spec->nevents + 2 > CHUNK_OPS &&
		    (rc = chunk_pass(L, 0)))
			break;
		braid_err_clear(&cerr);
		braid_rc r2 = braid_csv_next(r, &fields, &nf, &cerr);
		if (r2 == BRAID_ENOTFOUND)
			break;
		row_no++;
		L->st->rows_read++;
		L->cur->rows++;
		braid_arena_reset(&L->row);
		if (r2 == BRAID_EUTF8 || r2 == BRAID_EPARSE || r2 == BRAID_ETOOBIG) {
			size_t raw_len = 0;
			const char *raw = braid_csv_record_raw(r, &raw_len);
			char why[600];
			if (r2 == BRAID_EUTF8)
				snprintf(why, sizeof why, "invalid UTF-8");
			else if (r2 == BRAID_ETOOBIG)
				snprintf(why, sizeof why, "record too long: %s", cerr.msg);
			else
				snprintf(why, sizeof why, "malformed CSV: %s", cerr.msg);
			rc = reject(L, cerr.line ? cerr.line : braid_csv_record_line(r),
				    cerr.column, why, raw, raw_len);
		} else if (r2) {
			L->perr = cerr;
			rc = r2;
		} else {
			rc = load_row(L, r, fields, nf, row_no);
		}
	}
	if (rc && !L->prc)
		L->prc = rc;
	chunk_pass(L, 1);
	return NULL;
}

static braid_rc store_op(struct loader *L, const struct op *o)
{
	int64_t key;
	switch (o->kind) {
	case OP_RECORD: {
		braid_rc rc = braid_store_record_add(L->s, &o->rec, &key, L->err);
		const unsigned char *sealed = o->sealed;
		size_t n = o->sealed_len;
		if (!rc && o->plain) {
			rc = braid_sealer_raw(L->wsealer, o->rec.record_key, o->sealed, o->sealed_len,
					      &L->wsealbuf);
			if (rc)
				return braid_err_set(L->err, rc, "identity too large to store");
			sodium_memzero((void *)o->sealed, o->sealed_len);
			sealed = (const unsigned char *)L->wsealbuf.data;
			n = L->wsealbuf.len;
		}
		if (!rc)
			rc = braid_store_identity_put_sealed(L->s, o->rec.record_key, o->rec.source_id,
							     o->rec.batch_id, sealed, n, L->err);
		return rc;
	}
	case OP_EVENT:
		return braid_store_event_add(L->s, &o->ev, L->err);
	case OP_REJECT:
		return braid_store_reject_add(L->s, &o->rej, L->err);
	}
	return BRAID_EINTERNAL;
}

/* The writer: store chunks as the producer fills them. */
static braid_rc run_pipeline(struct loader *L)
{
	struct pipe *P = L->pipe;
	P->fill = P->take = 0;
	P->abort = 0;
	for (int i = 0; i < NCHUNK; i++) {
		P->ch[i].full = P->ch[i].last = 0;
		P->ch[i].n = 0;
		P->ch[i].rows = 0;
		braid_arena_reset(&P->ch[i].arena);
	}
	L->cur = &P->ch[0];
	L->prc = BRAID_OK;
	braid_err_clear(&L->perr);
	pthread_t th;
	if (pthread_create(&th, NULL, produce, L))
		return braid_err_set(L->err, BRAID_EINTERNAL, "cannot start a thread");
	braid_rc rc = BRAID_OK;
	unsigned long long rows = 0;
	for (;;) {
		pthread_mutex_lock(&P->mu);
		struct chunk *c = &P->ch[P->take];
		while (!c->full)
			pthread_cond_wait(&P->cv, &P->mu);
		pthread_mutex_unlock(&P->mu);
		for (size_t i = 0; !rc && i < c->n; i++)
			rc = store_op(L, &c->ops[i]);
		rows += (unsigned long long)c->rows;
		if (!rc && L->opts->progress)
			L->opts->progress(L->opts->progress_ctx, rows, L->done_bytes + c->bytes,
					  L->total_bytes);
		int last = c->last;
		pthread_mutex_lock(&P->mu);
		c->full = 0;
		if (rc)
			P->abort = 1; /* the producer stops at its next chunk */
		P->take = (P->take + 1) % NCHUNK;
		pthread_cond_broadcast(&P->cv);
		pthread_mutex_unlock(&P->mu);
		if (last)
			break;
	}
	pthread_join(th, NULL);
	if (!rc && L->prc) {
		*L->err = L->perr;
		rc = L->prc;
		if (!L->err->code)
			braid_err_set(L->err, rc, "%s", braid_strerror(rc));
	}
	return rc;
}

/* A cheap fingerprint of a file: BLAKE2b of its size, first and last
 * 64 KiB.  Equal content gives equal fingerprints, so a file whose
 * fingerprint matches no earlier load cannot be a repeat, and its full hash
 * can be computed while it loads. */
static braid_rc quick_hash(const char *path, char hex[65], struct braid_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot open '%s': %s", path, strerror(errno));
	static unsigned char buf[1 << 16];
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	struct stat st;
	int bad = fstat(fileno(f), &st);
	uint64_t size = bad ? 0 : (uint64_t)st.st_size;
	crypto_generichash_update(&h, (const unsigned char *)&size, sizeof size);
	size_t n = fread(buf, 1, sizeof buf, f);
	crypto_generichash_update(&h, buf, n);
	if (size > 2 * sizeof buf && !fseeko(f, -(off_t)sizeof buf, SEEK_END)) {
		n = fread(buf, 1, sizeof buf, f);
		crypto_generichash_update(&h, buf, n);
	}
	bad |= ferror(f);
	fclose(f);
	if (bad)
		return braid_err_set(err, BRAID_EIO, "cannot read '%s'", path);
	unsigned char out[32];
	crypto_generichash_final(&h, out, sizeof out);
	sodium_bin2hex(hex, 65, out, sizeof out);
	return BRAID_OK;
}

struct hasher {
	const char *path;
	char hex[65];
	unsigned long long size;
	struct braid_err err;
	braid_rc rc;
};

static void *hash_thread(void *arg)
{
	struct hasher *h = arg;
	h->rc = file_hash(h->path, h->hex, &h->size, &h->err);
	return NULL;
}

/* Refuse or replace an earlier load of the same content. */
/* *any = 1 when the source already holds a batch (of another file). */
static braid_rc other_batches(struct loader *L, int *any)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(L->s, "SELECT count(*) FROM batches WHERE source_id=?1",
					  &st, L->err);
	if (rc)
		return rc;
	braid_stmt_bind_int64(st, 1, L->source_id);
	int row = 0;
	rc = braid_stmt_step(st, &row, L->err);
	*any = !rc && row && braid_stmt_int64(st, 0) > 0;
	braid_stmt_finalize(st);
	return rc;
}

static braid_rc earlier_load(struct loader *L, const char *path, const char *hash)
{
	int64_t old;
	braid_rc rc = braid_store_batch_find(L->s, L->source_id, hash, &old, L->err);
	if (rc == BRAID_ENOTFOUND)
		return BRAID_OK;
	if (rc)
		return rc;
	if (!L->opts->replace)
		return braid_err_set(L->err, BRAID_EEXIST,
				     "'%s' was already loaded into '%s' (batch %lld); use "
				     "--replace to load it again", path, L->spec->source,
				     (long long)old);
	if ((rc = braid_store_batch_delete(L->s, old, L->err)))
		return rc;
	L->st->replaced_batches++;
	return BRAID_OK;
}

static braid_rc load_file(struct loader *L, const char *path)
{
	L->file = path;
	char quick[65];
	braid_rc rc = quick_hash(path, quick, L->err);
	if (rc)
		return rc;
	/* The full hash comes first when the fingerprint matches an earlier
	 * load (a repeat to refuse or replace) or when row numbers are the
	 * ids (they are qualified by it); otherwise it is computed by a
	 * thread while the file loads, off the critical path. */
	int64_t old;
	rc = braid_store_batch_find_quick(L->s, L->source_id, quick, &old, L->err);
	if (rc && rc != BRAID_ENOTFOUND)
		return rc;
	int serial = rc == BRAID_OK || L->idcol_none;
	struct hasher h = {.path = path};
	pthread_t th;
	int threaded = 0;
	if (serial) {
		if ((rc = file_hash(path, h.hex, &h.size, L->err)) ||
		    (rc = earlier_load(L, path, h.hex)))
			return rc;
	} else {
		if (pthread_create(&th, NULL, hash_thread, &h))
			return braid_err_set(L->err, BRAID_EINTERNAL, "cannot start a thread");
		threaded = 1;
	}
	memcpy(L->hash_hex, serial ? h.hex : quick, sizeof L->hash_hex);
	if (L->idcol_none && (rc = other_batches(L, &L->qualify_rows)))
		return rc;
	struct braid_batch b = {.source_id = L->source_id, .file = path,
				.content_hash = L->hash_hex, .quick_hash = quick};
	rc = braid_store_batch_begin(L->s, &b, L->err);
	L->batch_id = b.id;
	struct braid_ingest_stats before = *L->st;

	FILE *f = rc ? NULL : fopen(path, "rb");
	if (!rc && !f)
		rc = braid_err_set(L->err, BRAID_EIO, "cannot open '%s': %s", path,
				   strerror(errno));
	struct braid_csv_opts co = {
		.delimiter = L->opts->delimiter ? L->opts->delimiter : L->spec->delimiter,
		.notrim = L->opts->notrim,
		.encoding = (L->opts->latin1 || L->spec->latin1) ? BRAID_CSV_LATIN1
								  : BRAID_CSV_UTF8,
	};
	struct braid_csv *r = f ? braid_csv_new(f, path, &co) : NULL;
	if (!rc && !r)
		rc = braid_err_set(L->err, BRAID_ENOMEM, "out of memory");
	char **fields;
	size_t nf;
	struct braid_err cerr;
	braid_err_clear(&cerr);
	if (!rc) {
		rc = braid_csv_next(r, &fields, &nf, &cerr);
		if (rc == BRAID_ENOTFOUND) {
			rc = braid_err_at(L->err, BRAID_EPARSE, path, 1, 0,
					  "empty file: expected a header line");
		} else if (rc) {
			*L->err = cerr;
			braid_err_prefix(L->err, "header");
		} else {
			rc = resolve_header(L, fields, nf);
		}
	}
	if (!rc) {
		L->csv = r;
		rc = run_pipeline(L);
	}
	braid_csv_free(r);
	if (f)
		fclose(f);
	if (threaded) {
		pthread_join(th, NULL);
		if (!rc && h.rc) {
			*L->err = h.err;
			rc = h.rc;
		}
		/* Equal content has an equal fingerprint, so this cannot
		 * match; checked all the same. */
		if (!rc && braid_store_batch_find(L->s, L->source_id, h.hex, &old, L->err) !=
			   BRAID_ENOTFOUND)
			rc = braid_err_set(L->err, BRAID_EINTERNAL,
					   "'%s': content matches batch %lld but not its fingerprint",
					   path, (long long)old);
	}
	L->done_bytes += h.size;
	if (rc)
		return rc;
	b.content_hash = h.hex;
	b.rows_read = L->st->rows_read - before.rows_read;
	b.rows_loaded = L->st->rows_loaded - before.rows_loaded;
	b.rows_rejected = L->st->rows_rejected - before.rows_rejected;
	b.values_flagged = L->st->values_flagged - before.values_flagged;
	return braid_store_batch_finish(L->s, &b, L->err);
}

/* Exact check of the rows that hit the Bloom filter: a candidate is a
 * duplicate when a record of the source with the same id hash has a
 * smaller key.  Duplicates move to the reject log. */
struct mincheck {
	struct idmap min; /* hash → smallest key seen */
};

static int min_cb(void *ctx, int64_t key, int64_t hash)
{
	struct mincheck *m = ctx;
	if (!m->min.cap)
		return 0;
	size_t i = idmap_slot(&m->min, hash);
	if (m->min.h[i] && (m->min.k[i] == 0 || key < m->min.k[i]))
		m->min.k[i] = key;
	return 0;
}

/* The batch's counts after one of its rows became a reject. */
static braid_rc batch_moved_to_rejects(struct loader *L, const struct cand *c)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(L->s,
		"UPDATE batches SET rows_loaded=rows_loaded-1, rows_rejected=rows_rejected+1,"
		" values_flagged=values_flagged-?2 WHERE id=?1", &st, L->err);
	if (rc)
		return rc;
	braid_stmt_bind_int64(st, 1, c->batch);
	braid_stmt_bind_int64(st, 2, c->flagged);
	int row;
	rc = braid_stmt_step(st, &row, L->err);
	braid_stmt_finalize(st);
	return rc;
}

static braid_rc settle_duplicates(struct loader *L)
{
	if (!L->ncands)
		return BRAID_OK;
	struct mincheck m = {0};
	for (size_t i = 0; i < L->ncands; i++)
		if (idmap_put(&m.min, L->cands[i].hash, 0)) {
			idmap_free(&m.min);
			return braid_err_set(L->err, BRAID_ENOMEM, "out of memory");
		}
	braid_rc rc = braid_store_rid_scan(L->s, L->source_id, min_cb, &m, L->err);
	for (size_t i = 0; !rc && i < L->ncands; i++) {
		struct cand *c = &L->cands[i];
		int64_t first = idmap_get(&m.min, c->hash);
		if (!first || first >= c->key)
			continue;
		if ((rc = braid_store_record_delete(L->s, c->key, L->err)))
			break;
		L->st->rows_loaded--;
		L->st->records_new--;
		L->st->values_flagged -= c->flagged;
		/* The reject belongs to the file and batch that read the row. */
		const char *saved = L->file;
		int64_t saved_batch = L->batch_id;
		L->file = c->file;
		L->batch_id = c->batch;
		rc = store_reject(L, c->line, L->idcol + 1, "duplicate record id", c->raw,
				  c->raw_len);
		L->file = saved;
		L->batch_id = saved_batch;
		if (!rc)
			rc = batch_moved_to_rejects(L, c);
	}
	idmap_free(&m.min);
	return rc;
}

static void loader_release(struct loader *L)
{
	free(L->bloom.words);
	if (L->pipe) {
		for (int i = 0; i < NCHUNK; i++) {
			free(L->pipe->ch[i].ops);
			braid_arena_release(&L->pipe->ch[i].arena);
		}
		pthread_mutex_destroy(&L->pipe->mu);
		pthread_cond_destroy(&L->pipe->cv);
		free(L->pipe);
	}
	braid_sealer_free(L->sealer);
	braid_sealer_free(L->wsealer);
	braid_buf_release(&L->wsealbuf);
	if (L->sealbuf.data)
		sodium_memzero(L->sealbuf.data, L->sealbuf.cap);
	braid_buf_release(&L->sealbuf);
	idmap_free(&L->ids);
	for (size_t i = 0; i < L->ncands; i++) {
		sodium_memzero(L->cands[i].raw, L->cands[i].raw_len);
		free(L->cands[i].raw);
		free(L->cands[i].file);
	}
	free(L->cands);
	braid_arena_release(&L->row);
	braid_buf_release(&L->json);
	if (L->ev)
		for (size_t e = 0; e < L->spec->nevents; e++)
			free(L->ev[e].attr);
	free(L->ev);
	free(L->attrcol);
	braid_address_tables_free(L->addr);
	free(L->wtok);
}

braid_rc braid_ingest_files(struct braid_store *s, const char *name,
			    const char *const *files, int n,
			    const struct braid_ingest_opts *opts,
			    struct braid_ingest_stats *stats, struct braid_err *err)
{
	static const struct braid_ingest_opts defaults;
	if (!opts)
		opts = &defaults;
	memset(stats, 0, sizeof *stats);
	struct loader L = {.s = s, .opts = opts, .st = stats, .err = err};
	char *spec_text = NULL;
	struct braid_spec *spec = NULL;
	braid_rc rc = braid_store_source_get(s, name, &L.source_id, &spec_text, err);
	if (rc)
		return rc;
	rc = braid_spec_parse(spec_text, strlen(spec_text), name, &spec, err);
	free(spec_text);
	if (rc) {
		braid_err_prefix(err, "stored spec of '%s'", name);
		return rc;
	}
	L.spec = spec;
	L.idcol_none = spec->id == NULL;
	if (spec->fields[BRAID_F_ADDRESS].column || spec->fields[BRAID_F_STREET_NAME].column ||
	    spec->fields[BRAID_F_STREET_NUMBER].column)
		/* Without the reference data addresses are only split; not
		 * an error, so that a load never depends on it. */
		L.addr = braid_address_tables_load(NULL, NULL);
	braid_arena_init(&L.row, 64 * 1024);
	braid_buf_init(&L.json, 1 << 20);
	L.ev = calloc(spec->nevents + 1, sizeof *L.ev);
	L.attrcol = calloc(spec->nattrs + 1, sizeof *L.attrcol);
	if (!L.ev || !L.attrcol)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	for (size_t e = 0; !rc && e < spec->nevents; e++) {
		L.ev[e].attr = calloc(spec->events[e].nattrs + 1, sizeof(int));
		if (!L.ev[e].attr)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	/* Bloom size from the input size: ~24 bits per expected row, at most
	 * 16 MiB (a false hit only costs an exact check at the end). */
	for (int i = 0; !rc && i < n; i++) {
		struct stat stt;
		if (stat(files[i], &stt))
			rc = braid_err_set(err, BRAID_EIO, "cannot open '%s': %s", files[i],
					   strerror(errno));
		else
			L.total_bytes += (unsigned long long)stt.st_size;
	}
	if (!rc && !spec->rows_event) {
		uint64_t bits = 1u << 20;
		while (bits < (1ULL << 27) && bits < L.total_bytes / 32 * 24)
			bits <<= 1;
		L.bloom.nblocks = bits / 512;
		L.bloom.words = calloc(bits / 64, sizeof(uint64_t));
		if (!L.bloom.words)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	braid_buf_init(&L.sealbuf, 1 << 22);
	braid_buf_init(&L.wsealbuf, 1 << 22);
	if (!rc) {
		L.pipe = calloc(1, sizeof *L.pipe);
		L.sealer = braid_sealer_new(s);
		L.wsealer = braid_sealer_new(s);
		if (!L.pipe || !L.sealer || !L.wsealer)
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	if (!rc) {
		pthread_mutex_init(&L.pipe->mu, NULL);
		pthread_cond_init(&L.pipe->cv, NULL);
		for (int i = 0; !rc && i < NCHUNK; i++) {
			braid_arena_init(&L.pipe->ch[i].arena, 2 << 20);
			L.pipe->ch[i].ops = calloc(CHUNK_OPS, sizeof(struct op));
			if (!L.pipe->ch[i].ops)
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
	}
	if (!rc)
		rc = braid_store_begin(s, err);
	if (rc) {
		loader_release(&L);
		braid_spec_free(spec);
		return rc;
	}
	rc = braid_store_withdrawn_tokens(s, &L.wtok, &L.nwtok, err);
	/* The places, and the household key's state made here, on this
	 * thread: the producer then only reads them. */
	int64_t hk;
	if (!rc)
		rc = braid_gazetteer_load(s, &L.gaz, err);
	if (!rc)
		rc = braid_store_addr_key(s, "", "", "", "", &hk, err);
	if (!rc)
		rc = braid_store_rid_scan(s, L.source_id, prefill_cb, &L, err);
	if (!rc)
		rc = braid_store_next_id(s, "records", &L.next_key, err);
	if (!rc)
		rc = braid_store_next_id(s, "rejects", &L.next_reject, err);
	for (int i = 0; !rc && i < n; i++) {
		rc = load_file(&L, files[i]);
		stats->files++;
	}
	if (!rc)
		rc = settle_duplicates(&L);
	stats->geo_with_address = L.geo_addr;
	stats->geo_geocoded = L.geo_found;
	if (!rc)
		rc = braid_store_commit(s, err);
	else
		braid_store_rollback(s);
	braid_gazetteer_free(L.gaz);
	loader_release(&L);
	braid_spec_free(spec);
	return rc;
}
