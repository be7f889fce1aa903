/*
 * The streaming RFC 4180 reader behind braid/csv.h.
 *
 * Input is read through a fixed window (64 KiB chunks) that only grows while
 * one record does not fit, and never past max_record plus two chunks; fields
 * are decoded into a second buffer bounded by three times the window (room
 * for Latin-1 doubling and the NUL terminators).  Memory is therefore
 * constant whatever the file size.  A record is scanned from its first byte
 * each time: when it straddles the end of the window the window is refilled
 * (geometrically) and the scan restarts, which keeps the hot loop free of
 * saved state and costs one rescan per 64 KiB.
 *
 * Errors come in two kinds.  Structural ones (a quote inside an unquoted
 * field, text after a closing quote, an unterminated quote, a NUL byte, a
 * record over max_record) stop the scan; the reader then skips to the end of
 * the physical line holding the offending byte and resumes there.  Content
 * ones (invalid UTF-8, too many fields) let the scan frame the record to its
 * real end, so the next record starts exactly where it should.
 *
 * What it deliberately does not do: guess the delimiter or the encoding,
 * interpret headers, convert Windows-1252 (bytes 0x80-0x9F are taken as
 * Latin-1 C1 controls), or accept a lone quote in an unquoted field the way
 * lenient readers do — agencies' files are rejected row by row instead of
 * being silently misread.  A bare CR outside quotes ends a record (classic
 * Mac exports); only LF counts as a line inside quoted fields.
 */
#include "braid/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define CHUNK (64 * 1024)

struct braid_csv {
	FILE *f;
	char name[256];
	char delim;
	int trim, latin1;
	size_t max_record, max_fields;

	/* Input window: own (FILE mode) or the caller's memory. */
	char *own;
	size_t cap;
	const char *win;
	size_t len;   /* valid bytes in win */
	size_t pos;   /* first byte of the next record */
	int eof;
	int started;  /* BOM check done */
	unsigned long long consumed; /* bytes dropped before win[0] */
	long line;    /* physical line of win[pos] */

	/* Last returned record (or rejected one). */
	long rec_line;
	size_t rec_start, rec_len;

	/* Decoded fields. */
	char *out;
	size_t out_cap;
	char **fields;
	size_t fcap;

	unsigned char cls[256]; /* bytes that stop the unquoted scan */
	unsigned char sp[256];  /* bytes trimmed around unquoted fields */
};

/* ---------------------------------------------------------------- setup */

static int delim_ok(char d)
{
	return d != '"' && d != '\r' && d != '\n';
}

static struct braid_csv *reader_new(const char *name,
				    const struct braid_csv_opts *opts)
{
	struct braid_csv *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	struct braid_csv_opts o = {0};
	if (opts)
		o = *opts;
	r->delim = o.delimiter ? o.delimiter : ',';
	r->trim = !o.notrim;
	r->latin1 = o.encoding == BRAID_CSV_LATIN1;
	r->max_record = o.max_record ? o.max_record : 1024 * 1024;
	r->max_fields = o.max_fields ? o.max_fields : 4096;
	snprintf(r->name, sizeof r->name, "%s", name ? name : "");
	r->line = 1;
	unsigned char d = (unsigned char)r->delim;
	r->cls[d] = r->cls['"'] = r->cls['\r'] = r->cls['\n'] = r->cls[0] = 1;
	for (int c = 0x80; c < 256; c++)
		r->cls[c] = 1;
	r->sp[' '] = r->sp['\t'] = 1;
	r->sp[d] = 0; /* a tab delimiter is never trimmed away */
	return r;
}

struct braid_csv *braid_csv_new(FILE *f, const char *name,
				const struct braid_csv_opts *opts)
{
	struct braid_csv *r = reader_new(name, opts);
	if (!r)
		return NULL;
	r->f = f;
	r->cap = 2 * CHUNK;
	r->own = malloc(r->cap);
	if (!r->own) {
		free(r);
		return NULL;
	}
	r->win = r->own;
	return r;
}

void braid_csv_free(struct braid_csv *r)
{
	if (!r)
		return;
	free(r->own);
	free(r->out);
	free(r->fields);
	free(r);
}

long braid_csv_record_line(const struct braid_csv *r)
{
	return r->rec_line;
}

const char *braid_csv_record_raw(const struct braid_csv *r, size_t *len)
{
	if (len)
		*len = r->rec_len;
	return r->win ? r->win + r->rec_start : "";
}

unsigned long long braid_csv_bytes_read(const struct braid_csv *r)
{
	return r->consumed + r->pos;
}

/* ---------------------------------------------------------------- input */

/* Drop the bytes before pos and read more after len.  *shift receives how
 * far indices moved down.  Sets eof when the file has no more bytes. */
static braid_rc fill(struct braid_csv *r, size_t *shift, struct braid_err *err)
{
	*shift = 0;
	if (!r->f) {
		r->eof = 1;
		return BRAID_OK;
	}
	if (r->pos) {
		memmove(r->own, r->own + r->pos, r->len - r->pos);
		r->consumed += r->pos;
		r->len -= r->pos;
		*shift = r->pos;
		r->pos = 0;
	}
	if (r->cap - r->len < CHUNK) {
		size_t nc = r->cap * 2;
		if (nc < r->len + CHUNK)
			nc = r->len + CHUNK;
		char *p = realloc(r->own, nc);
		if (!p)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory reading '%s'",
					     r->name);
		r->own = p;
		r->win = p;
		r->cap = nc;
	}
	size_t n = fread(r->own + r->len, 1, r->cap - r->len, r->f);
	if (n == 0) {
		if (ferror(r->f))
			return braid_err_at(err, BRAID_EIO, r->name, r->line, 0,
					    "cannot read '%s'", r->name);
		r->eof = 1;
	}
	r->len += n;
	return BRAID_OK;
}

static long count_lf(const char *p, size_t n)
{
	long k = 0;
	const char *e = p + n;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
		k++;
		p++;
	}
	return k;
}

/* Physical line and byte column of win[idx] (idx >= pos). */
static void locate(const struct braid_csv *r, size_t idx, long *line, long *col)
{
	long l = r->line;
	size_t ls = r->pos;
	for (size_t i = r->pos; i < idx; i++)
		if (r->win[i] == '\n') {
			l++;
			ls = i + 1;
		}
	*line = l;
	*col = (long)(idx - ls) + 1;
}

/* After an error at win[from]: the rejected record's raw bytes start at pos;
 * resume after the next LF at or after from (or at EOF).  Bytes beyond
 * max_record are dropped while searching, so memory stays bounded. */
static braid_rc skip_line(struct braid_csv *r, size_t from, struct braid_err *err)
{
	r->line += count_lf(r->win + r->pos, from - r->pos);
	size_t raw_cap = r->max_record;
	for (;;) {
		const char *c = memchr(r->win + from, '\n', r->len - from);
		if (c) {
			size_t lf = (size_t)(c - r->win);
			r->rec_start = r->pos;
			r->rec_len = lf - r->pos < raw_cap ? lf - r->pos : raw_cap;
			if (r->rec_len && r->win[r->rec_start + r->rec_len - 1] == '\r')
				r->rec_len--;
			r->pos = lf + 1;
			r->line++;
			return BRAID_OK;
		}
		if (r->eof) {
			r->rec_start = r->pos;
			r->rec_len = r->len - r->pos < raw_cap ? r->len - r->pos : raw_cap;
			r->pos = r->len;
			return BRAID_OK;
		}
		/* Keep at most max_record bytes of the rejected record. */
		size_t keep = r->pos + raw_cap;
		if (r->len > keep) {
			r->consumed += r->len - keep;
			r->len = keep;
		}
		from = r->len; /* searched already */
		size_t shift;
		braid_rc rc = fill(r, &shift, err);
		if (rc)
			return rc;
		from -= shift;
	}
}

/* ---------------------------------------------------------------- scan */

enum { S_DONE, S_MORE, S_BAD, S_GROW };

struct scan {
	size_t end;      /* first byte after the record's terminator */
	size_t raw_end;  /* first byte of the terminator */
	size_t nf;
	long nl;         /* LFs consumed (embedded + terminator) */
	int quoted;      /* some field was quoted */
	braid_rc code;   /* error (S_BAD) or pending content error */
	size_t err_idx;
	const char *what;
};

static int utf8_check(const char *p, size_t n, size_t *bad)
{
	size_t i = 0;
	while (i < n) {
		if (!((unsigned char)p[i] & 0x80)) {
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0) {
			*bad = i;
			return 0;
		}
		i += (size_t)k;
	}
	return 1;
}

static void pend(struct scan *s, braid_rc code, size_t idx, const char *what)
{
	if (!s->code) {
		s->code = code;
		s->err_idx = idx;
		s->what = what;
	}
}

/* Eight bytes at a time (SWAR) on little-endian machines: a mask with the
 * high bit set in each byte that ends an unquoted run — the delimiter, a
 * quote, CR, LF, NUL or a byte >= 0x80.  The zero-byte test can flag bytes
 * above a true match (borrows) but never below it, so the lowest set bit
 * is exact, which is all the caller uses. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#define LO8 0x0101010101010101ULL
#define HI8 0x8080808080808080ULL
#define HASZERO(v) (((v) - LO8) & ~(v) & HI8)
static inline uint64_t stop_mask(uint64_t x, uint64_t dl)
{
	return (x & HI8) | HASZERO(x) | HASZERO(x ^ dl) | HASZERO(x ^ (LO8 * '"')) |
	       HASZERO(x ^ (LO8 * '\n')) | HASZERO(x ^ (LO8 * '\r'));
}
#else
#define SWAR 0
#endif

/* A field with a high-bit byte was copied verbatim to [fo, *o) from input
 * starting at win[a]: convert it from Latin-1, or check that it is UTF-8.
 * Kept out of line: most fields are ASCII. */
static __attribute__((noinline)) void high_bytes(struct braid_csv *r, struct scan *s,
						 size_t a, unsigned char *fo,
						 unsigned char **o)
{
	size_t n = (size_t)(*o - fo);
	if (r->latin1) {
		/* Re-convert from the input: the output may expand. */
		const unsigned char *p = (const unsigned char *)r->win + a;
		unsigned char *q = fo;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = p[i];
			if (c < 0x80) {
				*q++ = c;
			} else {
				*q++ = (unsigned char)(0xC0 | (c >> 6));
				*q++ = (unsigned char)(0x80 | (c & 0x3F));
			}
		}
		*o = q;
		return;
	}
	size_t bad_at;
	if (!utf8_check((const char *)fo, n, &bad_at))
		pend(s, BRAID_EUTF8, a + bad_at,
		     "invalid UTF-8 sequence; expected UTF-8 text (declare the "
		     "encoding latin1 for Latin-1 files)");
}

/* A quoted field with a high-bit byte, opening quote at win[a-1], already
 * scanned whole: decode it again chunk by chunk between quotes, so that a
 * UTF-8 error is reported at its input position despite doubled quotes. */
static __attribute__((noinline)) void quoted_high_bytes(struct braid_csv *r,
							struct scan *s, size_t a,
							unsigned char **o)
{
	const char *p = r->win;
	for (;;) {
		const char *cq = memchr(p + a, '"', r->len - a);
		size_t stop = cq ? (size_t)(cq - p) : r->len;
		unsigned char *fo = *o;
		memcpy(fo, p + a, stop - a);
		*o = fo + (stop - a);
		high_bytes(r, s, a, fo, o);
		if (!cq || stop + 1 >= r->len || p[stop + 1] != '"')
			return;
		*(*o)++ = '"';
		a = stop + 2;
	}
}

static int bad(struct scan *s, braid_rc code, size_t idx, const char *what)
{
	s->code = code;
	s->err_idx = idx;
	s->what = what;
	return S_BAD;
}

/* Scan one record from win[pos] up to win[end] (at_eof: nothing follows
 * end).  Fields are written to r->out, which the caller sized for the
 * window, and r->fields; S_GROW asks the caller to enlarge r->fields.
 * Everything the loop touches is in locals: the output is bytes, which may
 * alias anything, so fields of r would be reloaded after every store. */
static int scan(struct braid_csv *r, size_t end, int at_eof, struct scan *s)
{
	const unsigned char *const p = (const unsigned char *)r->win;
	const unsigned char *const cls = r->cls, *const sp = r->sp;
	const unsigned char delim = (unsigned char)r->delim;
	const int trim = r->trim;
	const size_t maxf = r->max_fields, fcap = r->fcap;
	char **const fields = r->fields;
	unsigned char *o = (unsigned char *)r->out;
	size_t i = r->pos, nf = 0;
#if SWAR
	const uint64_t dl = 0x0101010101010101ULL * delim;
#endif
	memset(s, 0, sizeof *s);

	for (;;) {
		if (trim)
			while (i < end && sp[p[i]])
				i++;
		if (nf < maxf) {
			if (nf == fcap)
				return S_GROW;
			fields[nf] = (char *)o;
		} else if (nf == maxf) {
			pend(s, BRAID_ETOOBIG, i, "too many fields in the record");
		}
		nf++;

		unsigned char c;
		unsigned char *fo = o;
		if (i < end && p[i] == '"') {
			size_t q = i++;
			s->quoted = 1;
			unsigned hi = 0;
			for (;;) {
				const unsigned char *cq = memchr(p + i, '"', end - i);
				size_t stop = cq ? (size_t)(cq - p) : end;
				for (; i < stop; i++) {
					unsigned char ch = p[i];
					hi |= ch;
					if (ch == '\n')
						s->nl++;
					else if (!ch)
						return bad(s, BRAID_EPARSE, i, "NUL byte; expected text");
					*o++ = ch;
				}
				if (!cq) {
					if (!at_eof)
						return S_MORE;
					return bad(s, BRAID_EPARSE, q,
						   "quote opened here is never closed");
				}
				i++;
				if (i == end && !at_eof)
					return S_MORE; /* "" or closing quote? */
				if (i < end && p[i] == '"') {
					*o++ = '"';
					i++;
					continue;
				}
				break;
			}
			if (hi & 0x80) {
				o = fo;
				quoted_high_bytes(r, s, q + 1, &o);
			}
			if (trim)
				while (i < end && sp[p[i]])
					i++;
			if (i == end) {
				if (!at_eof)
					return S_MORE;
				*o++ = 0;
				s->raw_end = s->end = i;
				break;
			}
			c = p[i];
			if (c != delim && c != '\n' && c != '\r')
				return bad(s, BRAID_EPARSE, i,
					   "text after the closing quote; expected the "
					   "delimiter or the end of the line");
		} else {
			size_t s0 = i;
			int hi = 0;
			for (;;) {
#if SWAR
				while (i + 8 <= end) {
					uint64_t x;
					memcpy(&x, p + i, 8);
					uint64_t m = stop_mask(x, dl);
					/* out has room: it is sized 3x the window */
					memcpy(o, &x, 8);
					if (m) {
						size_t k = (size_t)__builtin_ctzll(m) >> 3;
						o += k;
						i += k;
						break;
					}
					o += 8;
					i += 8;
				}
#endif
				while (i < end && !cls[p[i]])
					*o++ = p[i++];
				if (i == end)
					break;
				c = p[i];
				if (c == delim || c == '\n' || c == '\r')
					break;
				if (c == '"')
					return bad(s, BRAID_EPARSE, i,
						   "quote inside an unquoted field; expected "
						   "the whole field quoted, with quotes doubled");
				if (!c)
					return bad(s, BRAID_EPARSE, i, "NUL byte; expected text");
				hi = 1;
				*o++ = c;
				i++;
			}
			if (i == end && !at_eof)
				return S_MORE;
			if (trim)
				while (o > fo && sp[o[-1]])
					o--;
			if (hi)
				high_bytes(r, s, s0, fo, &o);
			if (i == end) {
				*o++ = 0;
				s->raw_end = s->end = i;
				break;
			}
			c = p[i];
		}
		*o++ = 0;
		if (c == delim) {
			i++;
			continue;
		}
		/* End of line: LF, CRLF or a bare CR. */
		s->raw_end = i;
		if (c == '\r') {
			if (i + 1 == end && !at_eof)
				return S_MORE;
			if (i + 1 < end && p[i + 1] == '\n')
				i++;
		}
		s->end = i + 1;
		s->nl++;
		break;
	}
	s->nf = nf;
	return S_DONE;
}

/* ---------------------------------------------------------------- API */

static braid_rc report(struct braid_csv *r, const struct scan *s,
		       struct braid_err *err)
{
	long line, col;
	locate(r, s->err_idx, &line, &col);
	return braid_err_at(err, s->code, r->name, line, col, "%s", s->what);
}

/* The record at pos exceeds max_record: report and resync. */
static braid_rc too_big(struct braid_csv *r, struct braid_err *err)
{
	long line, col;
	size_t idx = r->pos + r->max_record;
	locate(r, idx, &line, &col);
	r->rec_line = r->line;
	braid_err_at(err, BRAID_ETOOBIG, r->name, line, col,
		     "record longer than %zu bytes (an unclosed quote?)",
		     r->max_record);
	braid_rc rc = skip_line(r, idx, err);
	return rc ? rc : BRAID_ETOOBIG;
}

braid_rc braid_csv_next(struct braid_csv *r, char ***fields, size_t *nfields,
			struct braid_err *err)
{
	braid_rc rc;
	size_t shift;
	if (!delim_ok(r->delim))
		return braid_err_set(err, BRAID_EINVAL,
				     "delimiter must not be a quote, CR or LF");
	if (!r->started) {
		while (r->len < 3 && !r->eof)
			if ((rc = fill(r, &shift, err)))
				return rc;
		if (!r->latin1 && r->len >= 3 && !memcmp(r->win, "\xEF\xBB\xBF", 3))
			r->pos = 3;
		r->started = 1;
	}
	for (;;) {
		if (r->pos >= r->len) {
			if (r->eof)
				return BRAID_ENOTFOUND;
			if ((rc = fill(r, &shift, err)))
				return rc;
			continue;
		}
		size_t end = r->len;
		if (end - r->pos > r->max_record + 2)
			end = r->pos + r->max_record + 2;
		size_t need = 3 * (end - r->pos) + 16;
		if (need > r->out_cap) {
			size_t nc = r->out_cap ? r->out_cap : 4096;
			while (nc < need)
				nc *= 2;
			char *p = realloc(r->out, nc);
			if (!p)
				return braid_err_set(err, BRAID_ENOMEM, "out of memory");
			r->out = p;
			r->out_cap = nc;
		}
		/* A window already max_record+2 long is never "at EOF": whether
		 * the record is too big must not depend on how the bytes came in
		 * (memory or a FILE whose EOF is not yet seen). */
		int at_eof = r->eof && end == r->len && end - r->pos < r->max_record + 2;
		struct scan s;
		int st = scan(r, end, at_eof, &s);
		if (st == S_GROW) {
			size_t nc = r->fcap ? r->fcap * 2 : 64;
			if (nc > r->max_fields)
				nc = r->max_fields;
			char **nfp = braid_reallocarray(r->fields, nc, sizeof *nfp);
			if (!nfp)
				return braid_err_set(err, BRAID_ENOMEM, "out of memory");
			r->fields = nfp;
			r->fcap = nc;
			continue;
		}
		if (st == S_MORE) {
			if (end - r->pos >= r->max_record + 2)
				return too_big(r, err);
			if ((rc = fill(r, &shift, err)))
				return rc;
			continue;
		}
		r->rec_line = r->line;
		r->rec_start = r->pos;
		if (st == S_BAD) {
			braid_rc code = report(r, &s, err);
			rc = skip_line(r, s.err_idx, err);
			return rc ? rc : code;
		}
		if (s.raw_end - r->pos > r->max_record)
			return too_big(r, err);
		r->rec_len = s.raw_end - r->pos;
		if (s.code) {
			braid_rc code = report(r, &s, err);
			r->pos = s.end;
			r->line += s.nl;
			return code;
		}
		r->pos = s.end;
		r->line += s.nl;
		if (s.nf == 1 && !s.quoted && !r->fields[0][0])
			continue; /* empty (or blank) line */
		*fields = r->fields;
		*nfields = s.nf;
		return BRAID_OK;
	}
}

braid_rc braid_csv_parse_buffer(const char *data, size_t len,
				const struct braid_csv_opts *opts,
				braid_csv_cb cb, void *ctx)
{
	struct braid_csv *r = reader_new("", opts);
	if (!r)
		return BRAID_ENOMEM;
	r->win = data ? data : "";
	r->len = data ? len : 0;
	r->eof = 1;
	struct braid_err e; /* set in full on each error: cleared once */
	braid_err_clear(&e);
	for (;;) {
		char **f;
		size_t n;
		braid_rc rc = braid_csv_next(r, &f, &n, &e);
		if (rc == BRAID_ENOTFOUND)
			break;
		if (rc == BRAID_ENOMEM || rc == BRAID_EINVAL) {
			cb(ctx, NULL, 0, &e);
			braid_csv_free(r);
			return rc;
		}
		if (cb(ctx, rc ? NULL : f, rc ? 0 : n, rc ? &e : NULL))
			break;
	}
	braid_csv_free(r);
	return BRAID_OK;
}
