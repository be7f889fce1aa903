/*
 * braid/ingest.h — source specs, loading agency files to the city standard,
 * the reject log and the quality report.
 *
 * A source spec (docs/spec-format.md) says which column is which standard
 * field; it is parsed from YAML (libyaml, errors with file:line:column of
 * the offending key) or built from command-line arguments, and stored in
 * the store as canonical YAML text (braid_spec_to_yaml).
 *
 * braid_ingest_files() loads CSV files of one source as ONE transaction:
 * rows that cannot be loaded go to the reject log, bad values are stored as
 * missing with a quality flag, identifiers go to the vault.  Nothing here
 * prints; progress is reported through a callback.
 *
 * Ownership: a struct braid_spec owns all its strings (in its arena) and is
 * released with braid_spec_free.
 */
#ifndef BRAID_INGEST_H
#define BRAID_INGEST_H

#include "braid/core.h"
#include "braid/record.h"
#include "braid/store.h"

#include <stdint.h>

/* ------------------------------------------------------------------ spec */
enum braid_spec_regime {
	BRAID_REGIME_NONE = 0, BRAID_REGIME_HIPAA, BRAID_REGIME_FERPA,
	BRAID_REGIME_PART2, BRAID_REGIME_CJIS, BRAID_REGIME_STATE
};
enum braid_kind { BRAID_KIND_PERSON = 0, BRAID_KIND_ACCOUNT, BRAID_KIND_SITE };

struct braid_kv {
	const char *key, *value;
};

/* A column reference: column name, optional format and value handling. */
struct braid_colspec {
	const char *column;       /* NULL = not mapped */
	const char *format;       /* dates: strftime-like; NULL = auto */
	struct braid_kv *map;     /* value map (keys compared case-insensitively) */
	size_t nmap;
	const char **missing;     /* values meaning missing */
	size_t nmissing;
};

struct braid_event_spec {
	const char *type;
	struct braid_colspec start, end, program, provider, amount;
	struct braid_kv *attrs;   /* attribute name -> column */
	size_t nattrs;
};

struct braid_spec {
	const char *source;       /* [a-z][a-z0-9_]* */
	const char *title, *steward;
	enum braid_spec_regime regime;
	enum braid_kind kind;
	const char *id;           /* record id column; NULL = data row number */
	int rows_event;           /* rows: event (many rows per record) */
	char delimiter;           /* 0 = ',' */
	int latin1;               /* encoding: latin1 */
	struct braid_colspec fields[BRAID_F__COUNT];
	struct braid_event_spec *events;
	size_t nevents;
	struct braid_kv *attrs;   /* record-level attributes */
	size_t nattrs;
	struct braid_arena arena; /* owns everything above */
};

/* Parse a YAML spec from a buffer; name is used in error positions (the
 * file name).  On success *out is the caller's (braid_spec_free).  Errors
 * are BRAID_EPARSE with file:line:column of the offending key or value and
 * what was expected. */
braid_rc braid_spec_parse(const char *data, size_t len, const char *name,
			  struct braid_spec **out, struct braid_err *err);
/* Read and parse a spec file (at most 1 MiB). */
braid_rc braid_spec_load(const char *path, struct braid_spec **out,
			 struct braid_err *err);
/* Build a spec from the inline form of `braid source add`:
 *   NAME --id COL --field STD=COL[:FORMAT] ... [--event TYPE --start
 *   COL[:FORMAT] [--end COL[:FORMAT]] [--program COL] [--provider COL]
 *   [--amount COL] [--attr NAME=COL]...] [--rows event] [--title T]
 *   [--steward S] [--regime R] [--delimiter C] [--encoding E]
 * argv[0] is the source name.  Errors name the argument. */
braid_rc braid_spec_from_args(int argc, char **argv, struct braid_spec **out,
			      struct braid_err *err);
void braid_spec_free(struct braid_spec *s); /* NULL accepted */
/* Canonical YAML text of a spec (parses back to the same spec); the
 * caller frees it.  NULL on OOM. */
char *braid_spec_to_yaml(const struct braid_spec *s);
const char *braid_spec_regime_name(enum braid_spec_regime r);
const char *braid_kind_name(enum braid_kind k);

/* ------------------------------------------------------------------ rows
 * Validation of one value of a standard field (used by the loader and
 * tested on its own).  raw is the cell after the column's value map;
 * out (n bytes) receives the canonical value, "" when missing.  Returns 1
 * when the value was present but invalid (store missing, set the flag),
 * 0 otherwise. */
int braid_ingest_check_value(enum braid_field f, const char *raw,
			     const struct braid_colspec *cs, char *out, size_t n);

/* ------------------------------------------------------------------ load */
struct braid_ingest_opts {
	char delimiter;    /* 0 = the spec's, else ',' */
	int latin1;        /* or the spec's */
	int notrim;
	int replace;       /* replace an earlier load of the same content */
	/* Called now and then with rows read so far; may be NULL. */
	void (*progress)(void *ctx, unsigned long long rows,
			 unsigned long long bytes, unsigned long long total_bytes);
	void *progress_ctx;
};

struct braid_ingest_stats {
	int64_t rows_read, rows_loaded, rows_rejected, values_flagged;
	int64_t records_new, events;
	int64_t replaced_batches;
	int files;
	int64_t rows_withdrawn; /* rows of withdrawn persons, dropped unstored */
	/* New records with a street address, and of them those found in the
	 * places (src/geo; 0 when no places are loaded). */
	int64_t geo_with_address, geo_geocoded;
};

/* Load files (n of them) for source `name` in one transaction.  On any
 * error the store is left as it was.  A file whose content was already
 * loaded for this source is BRAID_EEXIST unless opts->replace. */
braid_rc braid_ingest_files(struct braid_store *s, const char *name,
			    const char *const *files, int n,
			    const struct braid_ingest_opts *opts,
			    struct braid_ingest_stats *stats, struct braid_err *err);

/* ------------------------------------------------------------------ quality
 * The quality report of a source as a JSON object (jansson-free text):
 * {"source":..,"records":N,"fields":[{"field":..,"identifier":bool,
 * "mapped":bool,"present":N,"completeness":x,"invalid":N,"validity":x,
 * "distinct":N,"top":[{"value":..,"count":N}]}],"rejects":[{"reason":..,
 * "count":N}],"batches":N,"rows_read":N,...}.  Identifier fields never
 * show values: "top" is omitted for them.  The caller frees *json. */
braid_rc braid_quality_report(struct braid_store *s, const char *name, int top_n,
			      char **json, struct braid_err *err);

#endif
