/*
 * braid/core.h — the contract every layer stands on: result codes, error
 * detail, growable bounded buffers, arenas and hashing.
 *
 * Conventions (see ../shared/STYLE.md):
 *  - Every fallible function returns a braid_rc; BRAID_OK is 0.  Detail goes
 *    into a caller-supplied struct braid_err (which may be NULL).
 *  - The library never prints and never exits; the CLI turns an error into a
 *    message and an exit code (braid_rc_exit_code()).
 *  - Error messages never contain identifier values (names, SSNs, dates of
 *    birth, addresses): they name the file, line, column or field instead.
 */
#ifndef BRAID_CORE_H
#define BRAID_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Values are never renumbered: scripts and exit codes depend on them. */
typedef enum braid_rc {
	BRAID_OK = 0,
	BRAID_ENOMEM = 1,    /* out of memory */
	BRAID_EIO = 2,       /* a file or device failed */
	BRAID_EPARSE = 3,    /* malformed input: CSV, spec, agreement, query */
	BRAID_EINVAL = 4,    /* bad argument or usage */
	BRAID_ENOTFOUND = 5, /* no such source, person, workspace, ... */
	BRAID_EEXIST = 6,    /* already exists (duplicate load, source) */
	BRAID_ETOOBIG = 7,   /* a bounded buffer or limit was exceeded */
	BRAID_ESTORE = 8,    /* the store refused or failed */
	BRAID_EDENIED = 9,   /* policy denied the action */
	BRAID_ECRYPTO = 10,  /* key missing, decryption failed */
	BRAID_EUTF8 = 11,    /* invalid UTF-8 / encoding */
	BRAID_EINTERNAL = 12 /* a bug: an invariant did not hold */
} braid_rc;

/* Detail of the last error.  file/line/column are 0/empty when unknown. */
struct braid_err {
	braid_rc code;
	char msg[512];
	char file[256];
	long line;
	long column;
};

/* Short lower-case description of a code ("malformed input"). */
const char *braid_strerror(braid_rc rc);

/* Record an error and return its code, so callers can write
 * `return braid_err_set(err, BRAID_EPARSE, "expected %s", x);`.
 * err may be NULL (the code is still returned). */
braid_rc braid_err_set(struct braid_err *err, braid_rc code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with a position in a file (line/column 1-based, 0 = unknown). */
braid_rc braid_err_at(struct braid_err *err, braid_rc code, const char *file,
		      long line, long column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void braid_err_clear(struct braid_err *err);
/* Prefix the existing message with "context: " (e.g. the file name). */
void braid_err_prefix(struct braid_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "file:line:col: message" (parts that are unknown are left out) into out. */
void braid_err_format(const struct braid_err *err, char *out, size_t n);
/* Process exit code for a result: 0 ok, 2 usage, 3 bad input, 4 not found,
 * 5 exists, 6 denied, 1 anything else. */
int braid_rc_exit_code(braid_rc rc);

/* ---------------------------------------------------------------- buffers
 * A growable byte buffer with a hard maximum: untrusted input never grows
 * memory without bound.  data is always NUL-terminated (when non-NULL). */
struct braid_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 = SIZE_MAX/2 */
};
void braid_buf_init(struct braid_buf *b, size_t max);
void braid_buf_release(struct braid_buf *b); /* frees data, re-inits */
void braid_buf_reset(struct braid_buf *b);   /* len = 0, keeps memory */
braid_rc braid_buf_grow(struct braid_buf *b, size_t extra);
braid_rc braid_buf_append(struct braid_buf *b, const void *p, size_t n);
braid_rc braid_buf_puts(struct braid_buf *b, const char *s);
braid_rc braid_buf_putc(struct braid_buf *b, char c);
braid_rc braid_buf_printf(struct braid_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the heap string to the caller (who frees it); b is re-initialised. */
char *braid_buf_detach(struct braid_buf *b);

/* ---------------------------------------------------------------- arenas
 * Bump allocator for bulk data with one lifetime (a batch, a block, a
 * request).  Allocations are 16-byte aligned; reset keeps the first chunk. */
struct braid_arena_chunk;
struct braid_arena {
	struct braid_arena_chunk *head;
	size_t chunk_size;
	size_t total; /* bytes handed out, for accounting */
};
void braid_arena_init(struct braid_arena *a, size_t chunk_size);
void braid_arena_release(struct braid_arena *a);
void braid_arena_reset(struct braid_arena *a);
void *braid_arena_alloc(struct braid_arena *a, size_t n);  /* NULL on OOM */
void *braid_arena_zalloc(struct braid_arena *a, size_t n);
char *braid_arena_strndup(struct braid_arena *a, const char *s, size_t n);
char *braid_arena_strdup(struct braid_arena *a, const char *s);

/* ---------------------------------------------------------------- misc */
/* 64-bit non-cryptographic hash (for hash tables and blocking keys). */
uint64_t braid_hash64(const void *p, size_t n, uint64_t seed);
/* Checked allocation helpers: return NULL on overflow/OOM.  Arrays of
 * 4 MiB and more are offered huge pages (see braid_big_alloc). */
void *braid_reallocarray(void *p, size_t nmemb, size_t size);
/* Large arrays (the linker's millions of records and pairs): malloc and
 * calloc of nmemb * size, checked, with the kernel asked to back them with
 * huge pages.  On a virtual machine every first touch of a 4 KiB page is
 * a fault, and an incremental link spent more time in those faults than in
 * its own work; free() as usual. */
void *braid_big_alloc(size_t nmemb, size_t size);
void *braid_big_zalloc(size_t nmemb, size_t size);
char *braid_strdup(const char *s);
/* Parse a decimal integer occupying the whole of s (after trimming
 * spaces); BRAID_EPARSE when s is not one. */
braid_rc braid_parse_long(const char *s, long *out);
braid_rc braid_parse_double(const char *s, double *out);
/* Lower-case ASCII copy into out (n bytes incl. NUL). */
void braid_ascii_lower(char *s);
void braid_ascii_upper(char *s);
/* Trim leading/trailing ASCII spaces/tabs in place; returns s. */
char *braid_trim(char *s);
/* Directory of braid's reference data (name frequencies, nicknames, address
 * tables, geography): $BRAID_DATA_DIR, else $BRAID_SHARED_DATA, else the
 * path compiled in at build time (../shared/data beside the source tree).
 * Borrowed. */
const char *braid_data_dir(void);
/* Join braid_data_dir() and rel into out (n bytes); BRAID_ETOOBIG if long. */
braid_rc braid_data_path(const char *rel, char *out, size_t n);

#endif
