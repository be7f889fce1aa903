/*
 * braid/query.h — the cohort language and eligibility rules: parse a small
 * text file, check it against the event types the store knows, compile it
 * to SQL over the person index and the events, run it, and count.
 *
 * A cohort file (docs/query-language.md has the grammar):
 *
 *     define homeless = event shelter_stay
 *     index event jail_booking where start >= 2020-01-01
 *     require homeless within 180 days before
 *     require event mh_service within 6 months before
 *     exclude event jail_booking within 1 year before
 *     where age >= 18
 *     count persons by race, zip
 *
 * A rules file defines programs and who is eligible for and enrolled in
 * them at an as-of date:
 *
 *     define snap = event benefit_enrollment where program = "SNAP"
 *     program water_assistance:
 *       eligible if enrolled(snap, within 365 days) or enrolled(medicaid);
 *       enrolled if enrolled(tap);
 *
 * What this layer does not do: it never reads the vault (person attributes
 * come from the pseudonymous records: sex, race, ethnicity, birth year,
 * ZIP), it never decides who may see an answer (callers ask the policy
 * layer with the sources and fields a plan touches: braid_qplan_*), and it
 * only applies primary suppression to counts (src/release does the full
 * disclosure control).
 *
 * Ownership: a struct braid_query, braid_qcatalog, braid_qplan or
 * braid_qcounts is the caller's and is released with its _free (NULL
 * accepted).  Strings handed out by them are borrowed until that _free.
 * Error messages name line:column and the token, never data values.
 */
#ifndef BRAID_QUERY_H
#define BRAID_QUERY_H

#include "braid/core.h"
#include "braid/policy.h"
#include "braid/store.h"

#include <stdint.h>

/* Files larger than this are refused (BRAID_ETOOBIG): queries are short. */
#define BRAID_QUERY_MAX (256u * 1024u)

struct braid_query;
struct braid_qcatalog;
struct braid_qplan;

/* ------------------------------------------------------------- parsing */
/* Parse a cohort file.  file names the input in error positions.  On error
 * *out is NULL and err has line, column and a message naming the token and
 * what was expected. */
braid_rc braid_query_parse(const char *text, size_t len, const char *file,
			   struct braid_query **out, struct braid_err *err);
/* Parse a rules file (defines and programs). */
braid_rc braid_rules_parse(const char *text, size_t len, const char *file,
			   struct braid_query **out, struct braid_err *err);
void braid_query_free(struct braid_query *q);
/* Names of the programs of a rules file (borrowed). */
size_t braid_rules_programs(const struct braid_query *q, const char *const **names);

/* Append to out the source line `line` of text (1-based) and under it a
 * caret at `column` (1-based, in characters), each ending in '\n': what
 * the CLI prints under an error.  Nothing is appended when line is out of
 * range. */
braid_rc braid_query_caret(const char *text, size_t len, long line, long column,
			   struct braid_buf *out);

/* Levenshtein distance between a and b, capped at cap+1 (to stop early):
 * used to suggest the nearest known name. */
size_t braid_edit_distance(const char *a, const char *b, size_t cap);

/* ------------------------------------------------------------- catalog */
/* The event types the store knows: those declared by the specs of the
 * registered sources, each with the sources that produce it and whether
 * its events carry an end date (spells) or not (point events). */
braid_rc braid_qcatalog_load(struct braid_store *s, struct braid_qcatalog **out,
			     struct braid_err *err);
/* A catalog without a store (tests, fuzzing): n event types, each from
 * one source named "src" that maps no person attribute; has_end[i] says
 * whether type i is a spell. */
braid_rc braid_qcatalog_from_types(const char *const *types, const int *has_end, size_t n,
				   struct braid_qcatalog **out, struct braid_err *err);
void braid_qcatalog_free(struct braid_qcatalog *c);
/* Number of known event types; name of the i-th (borrowed). */
size_t braid_qcatalog_count(const struct braid_qcatalog *c);
const char *braid_qcatalog_type(const struct braid_qcatalog *c, size_t i);

/* Create, when missing, the indexes queries need (events by type, record
 * and date; records by key are the rowid).  Idempotent; run by every
 * query command before it plans. */
braid_rc braid_query_prepare_store(struct braid_store *s, struct braid_err *err);

/* ------------------------------------------------------------- planning */
/* Compile a cohort to SQL.  Checks every event type against the catalog
 * (BRAID_EPARSE at the token's line:column with the nearest known type).
 * The plan's SQL selects one row per person: person_id, index_date, then
 * one column per breakdown dimension. */
braid_rc braid_query_compile(const struct braid_query *q, const struct braid_qcatalog *cat,
			     struct braid_qplan **out, struct braid_err *err);
/* Compile program `program` of a rules file at as_of ("YYYY-MM-DD").  The
 * SQL selects one row per person eligible or enrolled: person_id,
 * eligible (0/1), enrolled (0/1), zip. */
braid_rc braid_rules_compile(const struct braid_query *q, const struct braid_qcatalog *cat,
			     const char *program, const char *as_of,
			     struct braid_qplan **out, struct braid_err *err);
/* Materialise a rules plan into temp table `table` (as braid_qplan_materialize,
 * the same rows): programs without person-attribute conditions are evaluated
 * in C over one scan per event type, mapped to persons once; others run the
 * plan's SQL. */
braid_rc braid_rules_materialize(struct braid_store *s, const struct braid_qplan *p,
				 const char *table, struct braid_err *err);
void braid_qplan_free(struct braid_qplan *p);

/* The SQL (borrowed). */
const char *braid_qplan_sql(const struct braid_qplan *p);
/* The sources and (source, field) pairs the plan reads, for the policy
 * request (borrowed; sorted, without duplicates). */
size_t braid_qplan_sources(const struct braid_qplan *p, const char *const **out);
size_t braid_qplan_fields(const struct braid_qplan *p, const struct braid_field_ref **out);
/* Breakdown dimensions (column names after person_id, index_date). */
size_t braid_qplan_dims(const struct braid_qplan *p, const char *const **out);
/* Fill a policy request (action, purpose, sources, fields, query text)
 * that stays valid while p lives. */
void braid_qplan_request(const struct braid_qplan *p, enum braid_action action,
			 const char *purpose, const char *query_text,
			 struct braid_request *req);

/* ------------------------------------------------------------- running */
/* Run the plan; cb gets each row (ncols values, "" for NULL) and may stop
 * with a non-zero return.  *nrows counts the rows given to cb. */
braid_rc braid_qplan_rows(struct braid_store *s, const struct braid_qplan *p,
			  int (*cb)(void *ctx, int ncols, const char *const *names,
				    const char *const *vals),
			  void *ctx, int64_t *nrows, struct braid_err *err);

/* Counts with primary suppression: a cell whose count is between 1 and
 * min_cell - 1 is reported as suppressed (its count is never kept). */
struct braid_qcell {
	const char **keys;  /* one per dimension of the table ("" = missing) */
	int64_t count;      /* -1 when suppressed */
};
struct braid_qtable {
	const char *name;   /* "race", "race_zip", ... */
	const char **dims;
	size_t ndims;
	struct braid_qcell *cells;
	size_t ncells;
};
struct braid_qscalar {
	const char *name;   /* "total", "eligible", ... */
	int64_t count;      /* -1 when suppressed */
	int is_rate;        /* then rate holds the value (NaN when suppressed) */
	double rate;
};
struct braid_qcounts {
	long min_cell;
	struct braid_qscalar *scalars;
	size_t nscalars;
	struct braid_qtable *tables;
	size_t ntables;
	int64_t cells_suppressed;
	struct braid_arena arena; /* owns everything above */
};
/* Count the cohort of a cohort plan: the scalar "total" (distinct people),
 * one table per breakdown dimension and, with two or more, their cross
 * table.  *out is the caller's (braid_qcounts_free). */
braid_rc braid_qplan_counts(struct braid_store *s, const struct braid_qplan *p,
			    long min_cell, struct braid_qcounts **out, struct braid_err *err);
void braid_qcounts_free(struct braid_qcounts *c);

/* Building counts (for the analyses in src/analyze): a new empty set; add
 * a scalar or a rate; add a table `name` by running sql (ndims dimension
 * columns named dims, then a count column last) on s.  Suppression is applied as cells are added. */
struct braid_qcounts *braid_qcounts_new(long min_cell);
braid_rc braid_qcounts_scalar(struct braid_qcounts *c, const char *name, int64_t n);
/* num/den as a rate; suppressed when den or num is a small cell. */
braid_rc braid_qcounts_rate(struct braid_qcounts *c, const char *name, int64_t num,
			    int64_t den);
braid_rc braid_qcounts_table_sql(struct braid_qcounts *c, struct braid_store *s,
				 const char *name, const char *const *dims, size_t ndims,
				 const char *sql, struct braid_err *err);

enum braid_qformat { BRAID_QFMT_TABLE = 0, BRAID_QFMT_CSV, BRAID_QFMT_JSON };
/* -1 when unknown. */
int braid_qformat_by_name(const char *name);
/* Render counts: JSON is one object {"total": n, "min_cell_size": k,
 * "<scalar>": n, ..., "by": {"<table>": [{"<dim>": v, ..., "count": n}]}}
 * with suppressed counts as null; CSV is one block per table
 * (table,dims...,count) with suppressed counts as "<k"; the table format is
 * aligned text for a terminal. */
braid_rc braid_qcounts_render(const struct braid_qcounts *c, enum braid_qformat f,
			      struct braid_buf *out);

/* Plans built by hand (for the analyses in src/analyze): the SQL and what
 * it reads.  touch_type records (source, field) for every source that
 * produces the event type (field NULL = the type itself). */
braid_rc braid_qplan_new_sql(const char *sql, struct braid_qplan **out, struct braid_err *err);
braid_rc braid_qplan_touch(struct braid_qplan *p, const char *source, const char *field);
braid_rc braid_qplan_touch_type(struct braid_qplan *p, const struct braid_qcatalog *c,
				const char *type, const char *field);
/* Add every source and field of other to p. */
braid_rc braid_qplan_merge(struct braid_qplan *p, const struct braid_qplan *other);
/* Whether source maps person attribute field ("race", "zip", "sex",
 * "ethnicity", "birth_year"). */
int braid_qcatalog_source_maps(const struct braid_qcatalog *c, const char *source,
			       const char *field);
/* CREATE TEMP TABLE table AS the plan's SQL (an earlier one is dropped);
 * table is one of our own names, never user input. */
braid_rc braid_qplan_materialize(struct braid_store *s, const struct braid_qplan *p,
				 const char *table, struct braid_err *err);

/* ------------------------------------------------------------ analyses
 * Service gaps (src/analyze/gaps.c): run a rules plan (braid_rules_compile)
 * into temp table q_gaps and count: eligible, enrolled among the eligible,
 * the gap (eligible, not enrolled), the enrollment rate among the
 * eligible, and the gap and the eligible by ZIP.  BRAID_GAPS_ROWS_SQL then
 * lists the gap (the outreach list) until braid_gaps_clear. */
braid_rc braid_gaps_run(struct braid_store *s, const struct braid_qplan *rules_plan,
			long min_cell, struct braid_qcounts **out, struct braid_err *err);
#define BRAID_GAPS_ROWS_SQL \
	"SELECT person_id, zip FROM temp.q_gaps WHERE eligible AND NOT enrolled ORDER BY person_id"
void braid_gaps_clear(struct braid_store *s);

/* Water shutoff (src/analyze/water.c): classify every account (a record
 * with events of status_type) by its latest status on or before as_of:
 * shut off, at risk (a shutoff notice), closed, or current; low-income
 * when the account holder's person (through the person index) meets the
 * low_income condition (rules syntax, e.g. "enrolled(snap, within 365
 * days)") at as_of, or when a record at the account's household key
 * (records.addr_key, src/geo) meets it on its own (anyone in the
 * household).  The assistance gap: holders of open low-income accounts
 * who do not meet the assisted condition. */
struct braid_water_opts {
	const char *as_of;        /* "YYYY-MM-DD" */
	const char *status_type;  /* "water_status" */
	const char *shutoff;      /* status meaning shut off: "SHUT_OFF" */
	const char *notice;       /* status meaning a shutoff notice: "SHUTOFF_NOTICE" */
	const char *closed;       /* status meaning closed: "CLOSED" */
	const char *low_income;   /* a rules condition; NULL = the demo city's default */
	const char *assisted;     /* a rules condition: receives water assistance at
				     as_of; NULL = "enrolled(event water_assistance)" */
};
void braid_water_opts_init(struct braid_water_opts *o, const char *as_of);
/* The plan (one row per account: account, class, zip, district, race,
 * low_income, holder_low, holder (person id), assisted)
 * with every source and field it reads, for the policy request. */
braid_rc braid_water_plan(const struct braid_qcatalog *cat, const struct braid_water_opts *o,
			  struct braid_qplan **out, struct braid_err *err);
/* Counts: accounts open, shut off, at risk, low-income (and through the
 * holder alone), at risk and low-income (those the low-income rule would
 * protect), the assistance eligible and gap (people); tables by class and
 * ZIP, class and planning district, class and race. */
braid_rc braid_water_counts(struct braid_store *s, const struct braid_qplan *plan,
			    long min_cell, struct braid_qcounts **out, struct braid_err *err);

/* Run sql (ncols columns named names) and render its rows into out:
 * CSV with a header, a JSON array of objects, or an aligned table.
 * *nrows is the number of rows rendered. */
braid_rc braid_query_rows_render(struct braid_store *s, const char *sql,
				 const char *const *names, int ncols, enum braid_qformat f,
				 struct braid_buf *out, int64_t *nrows, struct braid_err *err);

/* Read a query or rules file (at most BRAID_QUERY_MAX bytes) into a new
 * NUL-terminated string (*text, the caller's) of *len bytes. */
braid_rc braid_query_read_file(const char *path, char **text, size_t *len,
			       struct braid_err *err);

#endif
