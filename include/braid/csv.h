/*
 * braid/csv.h — a streaming RFC 4180 reader.
 *
 * Reads one record at a time from a FILE* in constant memory whatever the
 * file size (each record is bounded by max_record bytes).  Handles quoted
 * fields, doubled quotes, embedded newlines, CRLF or LF line ends, a UTF-8
 * BOM, any single-byte delimiter, optional trimming of spaces around
 * unquoted fields, and Latin-1 input converted to UTF-8.
 *
 * Errors are positioned: the reader knows the physical line and the column
 * (1-based, in bytes of the input line) of the first offending byte.  A
 * malformed record (e.g. a stray quote inside an unquoted field, text after
 * a closing quote, an unterminated quote at EOF, invalid UTF-8) is reported
 * with BRAID_EPARSE / BRAID_EUTF8, and the reader resynchronises at the next
 * line so that the caller can reject that row and go on.
 *
 * Ownership: field pointers returned by braid_csv_next() are borrowed and
 * valid until the next call on the same reader.
 */
#ifndef BRAID_CSV_H
#define BRAID_CSV_H

#include "braid/core.h"

#include <stdio.h>

enum braid_csv_encoding { BRAID_CSV_UTF8 = 0, BRAID_CSV_LATIN1 = 1 };

struct braid_csv_opts {
	char delimiter;      /* default ',' (0 means ',') */
	int notrim;          /* 1 = keep spaces/tabs around unquoted fields
				(default: trimmed, as agency exports write "a, b") */
	enum braid_csv_encoding encoding;
	size_t max_record;   /* bytes per record, 0 = 1 MiB */
	size_t max_fields;   /* fields per record, 0 = 4096 */
};

struct braid_csv;

/* Open a reader over f (not closed by the reader).  name is used in error
 * messages (the file name).  Returns NULL on OOM. */
struct braid_csv *braid_csv_new(FILE *f, const char *name,
				const struct braid_csv_opts *opts);
void braid_csv_free(struct braid_csv *r);

/* Read the next record.  On success *fields points to nfields
 * NUL-terminated strings (borrowed).  Returns BRAID_OK, or BRAID_ENOTFOUND
 * at end of input, or an error (err has file/line/column); after an error
 * the next call continues with the following line.
 * Empty lines (and, when trimming, lines of only spaces) are skipped. */
braid_rc braid_csv_next(struct braid_csv *r, char ***fields, size_t *nfields,
			struct braid_err *err);

/* Physical line (1-based) on which the last returned record started, and
 * the raw bytes of that record as read, without its line end and cut at
 * max_record (for the reject log; borrowed until the next call). */
long braid_csv_record_line(const struct braid_csv *r);
const char *braid_csv_record_raw(const struct braid_csv *r, size_t *len);
/* Bytes consumed so far (for progress). */
unsigned long long braid_csv_bytes_read(const struct braid_csv *r);

/* Parse a whole in-memory buffer (for tests and fuzzing): calls cb for each
 * record; stops at the first callback that returns non-zero.  Errors are
 * passed to cb with fields==NULL and err set.  Returns BRAID_OK, or
 * BRAID_ENOMEM / BRAID_EINVAL (a delimiter that is a quote, CR or LF; also
 * passed to cb) when no record can be read at all. */
typedef int (*braid_csv_cb)(void *ctx, char **fields, size_t n,
			    const struct braid_err *err);
braid_rc braid_csv_parse_buffer(const char *data, size_t len,
				const struct braid_csv_opts *opts,
				braid_csv_cb cb, void *ctx);

#endif
