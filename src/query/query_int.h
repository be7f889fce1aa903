/*
 * What the files of the query layer share: tokens, the syntax tree of
 * cohort and rules files, the catalog and the plan.  Everything of one
 * parsed file lives in its arena.
 */
#ifndef BRAID_QUERY_INT_H
#define BRAID_QUERY_INT_H

#include "braid/query.h"

#include <stdint.h>

/* ------------------------------------------------------------- tokens */
enum q_tok {
	T_EOF = 0, T_IDENT, T_STRING, T_NUMBER, T_DATE,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
	T_COMMA, T_LPAREN, T_RPAREN, T_COLON, T_SEMI, T_DOT
};
struct q_token {
	enum q_tok kind;
	const char *p;   /* into the text */
	size_t n;
	long line, col;  /* 1-based; col in characters */
	char *str;       /* T_STRING: unescaped (arena); T_IDENT: a copy */
	double num;
};
struct q_lexer {
	const char *text, *end, *p;
	long line, col;
	const char *file;
	struct braid_arena *arena;
};
void braid__q_lex_init(struct q_lexer *lx, const char *text, size_t len, const char *file,
		       struct braid_arena *arena);
braid_rc braid__q_lex_next(struct q_lexer *lx, struct q_token *t, struct braid_err *err);
const char *braid__q_tok_name(enum q_tok k);

/* ------------------------------------------------------------- tree */
enum q_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN, OP_BETWEEN };
enum q_vkind { V_STR, V_NUM, V_DATE };
struct q_value {
	enum q_vkind kind;
	const char *text; /* string or date text; number as written */
	double num;
};
/* Event fields a condition may name. */
enum q_efield { EF_PROGRAM, EF_PROVIDER, EF_AMOUNT, EF_START, EF_END, EF_ATTR };
struct q_cond {
	int field;          /* enum q_efield, or enum q_pattr for person conditions */
	const char *attr;   /* EF_ATTR: attribute name */
	enum q_op op;
	struct q_value *vals;
	size_t nvals;
	long line, col;
};
struct q_atom {
	const char *type;
	struct q_cond *conds;
	size_t nconds;
	long line, col;     /* of the type name */
};
struct q_evspec {
	struct q_atom *atoms;
	size_t n;
};
enum q_wkind { W_WITHIN_BEFORE, W_WITHIN_AFTER, W_WITHIN_AROUND, W_DURING, W_EVER,
	       W_BEFORE, W_AFTER, W_AT };
struct q_window {
	enum q_wkind kind;
	long n;
	int unit;           /* 'd' days, 'm' months, 'y' years (weeks become days) */
};
struct q_clause {
	int exclude;
	struct q_evspec ev;
	struct q_window w;
	long line, col;
};
/* Person attributes.  Tract and district are those of the person's
 * geocoded records (records.tract, records.district: src/geo). */
enum q_pattr { PA_AGE, PA_AGE_BAND, PA_SEX, PA_RACE, PA_ETHNICITY, PA_ZIP, PA_YEAR,
	       PA_TRACT, PA_DISTRICT, PA__COUNT };
extern const char *const braid__q_pattr_names[PA__COUNT];

struct q_define {
	const char *name;
	struct q_evspec ev;
	long line, col;
};

/* Rules: a boolean tree of predicates. */
enum r_kind { R_OR, R_AND, R_NOT, R_ENROLLED, R_LATEST_IN, R_PERSON };
struct r_node {
	enum r_kind kind;
	struct r_node *a, *b;
	struct q_evspec ev;      /* R_ENROLLED, R_LATEST_IN */
	struct q_window w;       /* R_ENROLLED: W_AT (on the date), W_WITHIN_BEFORE or W_EVER */
	int negate;              /* R_LATEST_IN: not in */
	struct q_value *vals;    /* R_LATEST_IN: program values */
	size_t nvals;
	struct q_cond pc;        /* R_PERSON */
	long line, col;
};
struct r_program {
	const char *name;
	struct r_node *eligible, *enrolled;
	long line, col;
};

struct braid_query {
	int is_rules;
	const char *file;         /* for error positions (arena) */
	struct braid_arena arena;
	struct q_define *defs;
	size_t ndefs;
	/* cohort */
	int has_index;
	struct q_evspec index;
	long index_line, index_col;
	struct q_clause *clauses;
	size_t nclauses;
	struct q_cond *pconds;
	size_t npconds;
	int *dims;               /* enum q_pattr */
	size_t ndims;
	/* rules */
	struct r_program *progs;
	size_t nprogs;
	const char **prog_names;
};

/* ------------------------------------------------------------- catalog */
struct q_ctype {
	char *type;
	int has_end;
	char **sources;       /* sources producing this type */
	size_t nsources;
	unsigned fields;      /* per-type union: bit 0 program, 1 provider, 2 amount */
};
struct q_csource {
	char *name;
	int64_t id;
	int kind;             /* enum braid_kind */
	unsigned person_fields; /* bit per enum q_pattr the source maps */
};
struct braid_qcatalog {
	struct q_ctype *types;
	size_t ntypes;
	struct q_csource *sources;
	size_t nsources;
};
const struct q_ctype *braid__q_catalog_find(const struct braid_qcatalog *c, const char *type);
const struct q_csource *braid__q_catalog_source(const struct braid_qcatalog *c, const char *name);
/* Check every atom of ev against the catalog; unknown types fail with the
 * nearest known type (or definition) as a suggestion. */
braid_rc braid__q_check_evspec(const struct braid_query *q, const struct braid_qcatalog *c,
			       const struct q_evspec *ev, struct braid_err *err);

/* ------------------------------------------------------------- plans */
struct braid__rfast;
struct braid_qplan {
	struct braid_buf sql;
	struct braid_arena arena;
	const char **sources;
	size_t nsources;
	struct braid_field_ref *fields;
	size_t nfields, capfields;
	const char **dims;
	size_t ndims;
	int kind;                 /* 0 cohort, 1 rules */
	const struct braid__rfast *fast; /* rules: the plan in parts for braid_rules_materialize
	                                  * (rules.c), in the arena; NULL when there is none */
};
braid_rc braid__q_plan_new(struct braid_qplan **out, struct braid_err *err);
/* Record that the plan reads field of every source producing type. */
braid_rc braid__q_plan_touch_type(struct braid_qplan *p, const struct braid_qcatalog *c,
				  const char *type, const char *field);
braid_rc braid__q_plan_touch(struct braid_qplan *p, const char *source, const char *field);
/* Sort and deduplicate sources and fields. */
void braid__q_plan_finish(struct braid_qplan *p);

/* SQL pieces shared by cohorts and rules. */
/* Append a quoted SQL string literal of s (n bytes). */
braid_rc braid__q_sql_str(struct braid_buf *b, const char *s, size_t n);
/* Append the conditions of an atom on the events alias al ("AND ..." each). */
braid_rc braid__q_sql_conds(struct braid_buf *b, const char *al, const struct q_atom *a,
			    struct braid_qplan *p, const struct braid_qcatalog *c);
/* The modifier "-N days" etc. for date(). */
braid_rc braid__q_sql_shift(struct braid_buf *b, const struct q_window *w, int sign);
/* The end of an event for overlap tests: o.end_date (or the far future
 * when open) for spell types, o.start_date for point types. */
braid_rc braid__q_sql_end(struct braid_buf *b, const char *al, const struct q_ctype *t);
/* The most common non-missing value of records column col over the
 * records of person pid_expr in the plan's sources. */
braid_rc braid__q_sql_mode(struct braid_buf *b, const char *col, const char *pid_expr,
			   const struct braid_qplan *p);
/* Columns sex, race, ethnicity, zip and age (at date_expr) for the
 * person pid_expr, each ", (subquery) AS name", for the bits of need. */
braid_rc braid__q_sql_attrs(struct braid_buf *b, unsigned need, const char *pid_expr,
			    const char *date_expr, const struct braid_qplan *p);
/* CREATE TEMP TABLE table AS the plan's SQL (dropping an earlier one). */
braid_rc braid__q_materialize(struct braid_store *s, const struct braid_qplan *p,
			      const char *table, struct braid_err *err);
/* A person condition against the expression expr (age, zip, ...). */
braid_rc braid__q_sql_value(struct braid_buf *b, const struct q_value *v);

#endif
