/*
 * Fuzz target for the cohort language and rules parser (braid/query.h).
 *
 * The first byte chooses cohort (even) or rules (odd); the rest is the
 * file.  Promises checked, abort()ing when one fails:
 *  - parse returns a query or an error, never both or neither;
 *  - an error is BRAID_EPARSE or BRAID_ETOOBIG with a message and, when it
 *    has a position, a line within the input and a column >= 1; the caret
 *    for it is produced;
 *  - a parsed query compiles against a small fixed catalog either to an
 *    error with a position or to SQL whose parentheses balance and whose
 *    string literals close (the planner quotes every value it emits);
 *  - every program of a rules file compiles the same way.
 * It does not run the SQL (the unit tests do, against hand answers).
 */
#include "braid/query.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct braid_qcatalog *catalog(void)
{
	static struct braid_qcatalog *c;
	if (!c) {
		static const char *const types[] = {"jail_booking", "shelter_stay", "mh_service",
						    "benefit_enrollment", "water_status"};
		static const int ends[] = {1, 1, 0, 1, 0};
		struct braid_err err;
		if (braid_qcatalog_from_types(types, ends, 5, &c, &err))
			abort();
	}
	return c;
}

static void check_sql(const char *sql)
{
	long depth = 0;
	int in_str = 0;
	if (!*sql)
		abort();
	for (const char *p = sql; *p; p++) {
		if (*p == '\'') {
			if (in_str && p[1] == '\'') {
				p++;
				continue;
			}
			in_str = !in_str;
		} else if (!in_str && *p == '(') {
			depth++;
		} else if (!in_str && *p == ')') {
			if (--depth < 0)
				abort();
		}
	}
	if (depth || in_str)
		abort();
}

static void check_err(braid_rc rc, const struct braid_err *err, const char *text, size_t len)
{
	if ((rc != BRAID_EPARSE && rc != BRAID_ETOOBIG && rc != BRAID_ENOTFOUND) || !err->msg[0])
		abort();
	long lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (err->line && (err->line < 1 || err->line > lines || err->column < 1))
		abort();
	struct braid_buf b;
	braid_buf_init(&b, 0);
	if (braid_query_caret(text, len, err->line, err->column, &b))
		abort();
	braid_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int rules = data[0] & 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct braid_query *q = NULL;
	struct braid_err err;
	braid_err_clear(&err);
	braid_rc rc = rules ? braid_rules_parse(text, len, "fuzz", &q, &err)
			    : braid_query_parse(text, len, "fuzz", &q, &err);
	if ((rc == BRAID_OK) != (q != NULL))
		abort();
	if (rc) {
		check_err(rc, &err, text, len);
		return 0;
	}
	struct braid_qplan *p = NULL;
	if (!rules) {
		braid_err_clear(&err);
		rc = braid_query_compile(q, catalog(), &p, &err);
		if ((rc == BRAID_OK) != (p != NULL))
			abort();
		if (rc)
			check_err(rc, &err, text, len);
		else
			check_sql(braid_qplan_sql(p));
		braid_qplan_free(p);
	} else {
		const char *const *names;
		size_t n = braid_rules_programs(q, &names);
		if (!n)
			abort();
		for (size_t i = 0; i < n; i++) {
			p = NULL;
			braid_err_clear(&err);
			rc = braid_rules_compile(q, catalog(), names[i], "2024-12-31", &p, &err);
			if ((rc == BRAID_OK) != (p != NULL))
				abort();
			if (rc)
				check_err(rc, &err, text, len);
			else
				check_sql(braid_qplan_sql(p));
			braid_qplan_free(p);
		}
	}
	braid_query_free(q);
	return 0;
}
