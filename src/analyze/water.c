/*
 * The water-shutoff analysis (Philadelphia, 2022): which water accounts
 * are shut off or facing shutoff, which belong to low-income households,
 * and how many at-risk accounts a low-income protection rule would cover.
 *
 * An account is a record whose events are monthly statuses (the account
 * source's status_type events); its class is its latest status on or
 * before the as-of date: shut off, at risk (a shutoff notice: arrears
 * with a notice), closed, or current.  It is low-income when the person
 * the account holder's record is linked to (through the person index,
 * like any person record) meets the low-income condition at the as-of
 * date: by default enrolled in SNAP or Medicaid within 365 days, or
 * granted LIHEAP within 365 days (written in the rules language, so it
 * can be changed without code).  The account's race is the holder's (the
 * most common value over their records in the sources the analysis
 * reads); its ZIP is the service ZIP on the account.
 *
 * Households: an account is also low-income when anyone in its
 * household participates.  The household is the account's service address
 * (the record's household key, records.addr_key: a keyed hash of the
 * standardised number, street, unit and ZIP, src/geo), and "at about the
 * same time" is read from the qualifying record itself: a record whose
 * own events meet the low-income condition at the as-of date (a SNAP or
 * Medicaid spell reaching into the last 365 days, a LIHEAP grant in them)
 * and whose address has the account's key.  So the condition is evaluated
 * twice: per person (the holder, through the person index) and per record
 * (each record its own unit, so a qualifying record counts for the address
 * on it, whoever it was linked to).  docs/query-language.md has the rule.
 *
 * What it does not do: addresses over time.  A record keeps the address
 * of its first row (rows: event sources), so a household member whose
 * qualifying record carries an older address is missed unless linkage
 * puts them in the holder's person.  It does not decide who may see the
 * answer (the caller asks the policy layer with the plan).
 */
#include "braid/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Water assistance (TAP) on the as-of date: the gap is low-income account
 * holders without it. */
#define DEFAULT_ASSISTED "enrolled(event water_assistance)"

#define DEFAULT_LOW_INCOME \
	"enrolled(event benefit_enrollment where program in (\"SNAP\", \"MA\"), within 365 days)" \
	" or enrolled(event liheap_grant, within 365 days)"

void braid_water_opts_init(struct braid_water_opts *o, const char *as_of)
{
	memset(o, 0, sizeof *o);
	o->as_of = as_of;
	o->status_type = "water_status";
	o->shutoff = "SHUT_OFF";
	o->notice = "SHUTOFF_NOTICE";
	o->closed = "CLOSED";
	o->low_income = NULL;
}

static braid_rc sql_str(struct braid_buf *b, const char *s)
{
	braid_rc rc = braid_buf_putc(b, '\'');
	for (; !rc && *s; s++)
		rc = *s == '\'' ? braid_buf_puts(b, "''") : braid_buf_putc(b, *s);
	return rc ? rc : braid_buf_putc(b, '\'');
}

braid_rc braid_water_plan(const struct braid_qcatalog *cat, const struct braid_water_opts *o,
			  struct braid_qplan **out, struct braid_err *err)
{
	*out = NULL;
	if (!o->as_of || !braid_iso_date_valid(o->as_of))
		return braid_err_set(err, BRAID_EINVAL, "as-of date must be YYYY-MM-DD");
	int known = 0;
	for (size_t i = 0; i < braid_qcatalog_count(cat); i++)
		known |= !strcmp(braid_qcatalog_type(cat, i), o->status_type);
	if (!known)
		return braid_err_set(err, BRAID_ENOTFOUND,
				     "no source declares account status events of type '%s'", o->status_type);

	/* The low-income condition is a one-program rules file. */
	struct braid_buf rules;
	braid_buf_init(&rules, 64 * 1024);
	const char *li = o->low_income ? o->low_income : DEFAULT_LOW_INCOME;
	const char *as = o->assisted ? o->assisted : DEFAULT_ASSISTED;
	if (braid_buf_printf(&rules, "program low_income:\n  eligible if %s;\n  enrolled if %s;\n", li, as)) {
		braid_buf_release(&rules);
		return braid_err_set(err, BRAID_ETOOBIG, "low-income condition too long");
	}
	struct braid_query *q = NULL;
	struct braid_qplan *lp = NULL, *p = NULL;
	braid_rc rc = braid_rules_parse(rules.data, rules.len, "--low-income", &q, err);
	if (!rc)
		rc = braid_rules_compile(q, cat, "low_income", o->as_of, &lp, err);
	braid_buf_release(&rules);
	braid_query_free(q);
	if (rc)
		return rc;

	/* The same condition with every record its own unit: the rules SQL
	 * reaches people only through person_record, which becomes the
	 * identity map of records. */
	struct braid_buf recsql;
	braid_buf_init(&recsql, 1u << 22);
	for (const char *q0 = braid_qplan_sql(lp), *hit; !rc && q0;) {
		hit = strstr(q0, "person_record");
		if (!hit) {
			rc = braid_buf_puts(&recsql, q0);
			break;
		}
		rc = braid_buf_append(&recsql, q0, (size_t)(hit - q0));
		if (!rc)
			rc = braid_buf_puts(&recsql, "(SELECT record_key AS person_id, record_key"
					    " FROM records)");
		q0 = hit + strlen("person_record");
	}
	if (rc) {
		braid_buf_release(&recsql);
		braid_qplan_free(lp);
		return braid_err_set(err, BRAID_ETOOBIG, "analysis SQL too large");
	}
	struct braid_buf b;
	braid_buf_init(&b, 1u << 20);
	/* Sources whose records give the holder's race: those of the
	 * low-income events and the account source. */
	const char *const *ls;
	size_t nls = braid_qplan_sources(lp, &ls);
	rc = braid_buf_puts(&b, "WITH q_src(id) AS (SELECT id FROM sources WHERE name IN (");
	for (size_t i = 0; !rc && i < nls; i++) {
		if (i)
			rc = braid_buf_puts(&b, ", ");
		if (!rc)
			rc = sql_str(&b, ls[i]);
	}
	if (!rc)
		rc = braid_buf_puts(&b, nls ? ", " : "");
	/* ... and every source producing the status events. */
	if (!rc)
		rc = braid_buf_puts(&b, "NULL) OR id IN (SELECT DISTINCT source_id FROM batches b"
				    " WHERE EXISTS (SELECT 1 FROM events e WHERE e.batch_id = b.id AND e.type = ");
	if (!rc)
		rc = sql_str(&b, o->status_type);
	if (!rc)
		rc = braid_buf_puts(&b, "))),\nlow AS (SELECT person_id FROM (\n");
	if (!rc)
		rc = braid_buf_puts(&b, braid_qplan_sql(lp));
	if (!rc)
		rc = braid_buf_puts(&b, "\n) WHERE eligible),\nassisted AS (SELECT person_id FROM (\n");
	if (!rc)
		rc = braid_buf_puts(&b, braid_qplan_sql(lp));
	if (!rc)
		rc = braid_buf_puts(&b, "\n) WHERE enrolled),\nlowrec AS (SELECT person_id AS rk FROM (\n");
	if (!rc)
		rc = braid_buf_append(&b, recsql.data, recsql.len);
	if (!rc)
		rc = braid_buf_puts(&b, "\n) WHERE eligible),\n"
				    "hh AS (SELECT DISTINCT r.addr_key AS k FROM lowrec JOIN records r"
				    " ON r.record_key = lowrec.rk WHERE r.addr_key IS NOT NULL),\n"
				    "st AS (SELECT e.record_key AS rk, e.program AS status, row_number() OVER"
				    " (PARTITION BY e.record_key ORDER BY e.start_date DESC, e.id DESC) AS rn"
				    " FROM events e WHERE e.type = ");
	if (!rc)
		rc = sql_str(&b, o->status_type);
	if (!rc)
		rc = braid_buf_puts(&b, " AND e.start_date <= ");
	if (!rc)
		rc = sql_str(&b, o->as_of);
	if (!rc)
		rc = braid_buf_puts(&b, "),\nacct AS (SELECT st.rk, st.status, r.zip5 AS zip, r.district AS district,"
				    " r.addr_key AS k, pr.person_id AS pid"
				    " FROM st JOIN records r ON r.record_key = st.rk"
				    " LEFT JOIN person_record pr ON pr.record_key = st.rk WHERE st.rn = 1),\n"
				    "w AS (SELECT rk AS account, CASE WHEN status = ");
	if (!rc)
		rc = sql_str(&b, o->shutoff);
	if (!rc)
		rc = braid_buf_puts(&b, " THEN 'shut_off' WHEN status = ");
	if (!rc)
		rc = sql_str(&b, o->notice);
	if (!rc)
		rc = braid_buf_puts(&b, " THEN 'at_risk' WHEN status = ");
	if (!rc)
		rc = sql_str(&b, o->closed);
	if (!rc)
		rc = braid_buf_puts(&b, " THEN 'closed' ELSE 'current' END AS class, zip, district,\n"
				    "  (SELECT r.race FROM person_record pm JOIN records r ON r.record_key = pm.record_key"
				    " WHERE pm.person_id = acct.pid AND r.race IS NOT NULL AND r.race <> ''"
				    " AND r.source_id IN (SELECT id FROM q_src)"
				    " GROUP BY r.race ORDER BY count(*) DESC, r.race LIMIT 1) AS race,\n"
				    "  (pid IS NOT NULL AND pid IN (SELECT person_id FROM low)) AS holder_low,\n"
				    "  (k IS NOT NULL AND k IN (SELECT k FROM hh)) AS household_low,\n"
				    "  pid AS holder, (pid IS NOT NULL AND pid IN (SELECT person_id FROM assisted))"
				    " AS assisted\n"
				    "FROM acct)\n"
				    "SELECT account, class, zip, district, race,"
				    " (holder_low OR household_low) AS low_income, holder_low, holder, assisted"
				    " FROM w");
	if (rc) {
		braid_buf_release(&b);
		braid_buf_release(&recsql);
		braid_qplan_free(lp);
		return braid_err_set(err, BRAID_ETOOBIG, "analysis SQL too large");
	}
	rc = braid_qplan_new_sql(b.data, &p, err);
	braid_buf_release(&b);
	braid_buf_release(&recsql);
	if (!rc)
		rc = braid_qplan_merge(p, lp);
	static const char *const evf[] = {NULL, "start", "program", "zip", "household", "district"};
	for (size_t i = 0; !rc && i < 6; i++)
		rc = braid_qplan_touch_type(p, cat, o->status_type, evf[i]);
	/* The household key of the low-income condition's records. */
	for (size_t i = 0; !rc && i < nls; i++)
		rc = braid_qplan_touch(p, ls[i], "household");
	/* Race from every source read that maps it. */
	const char *const *srcs;
	size_t ns = rc ? 0 : braid_qplan_sources(p, &srcs);
	char **copy = ns ? calloc(ns, sizeof *copy) : NULL;
	for (size_t i = 0; copy && i < ns; i++)
		copy[i] = strdup(srcs[i]);
	for (size_t i = 0; !rc && copy && i < ns; i++)
		if (copy[i] && braid_qcatalog_source_maps(cat, copy[i], "race"))
			rc = braid_qplan_touch(p, copy[i], "race");
	for (size_t i = 0; copy && i < ns; i++)
		free(copy[i]);
	free(copy);
	braid_qplan_free(lp);
	if (rc) {
		braid_qplan_free(p);
		if (!err || !err->code)
			braid_err_set(err, rc, "out of memory");
		return rc;
	}
	*out = p;
	return BRAID_OK;
}

static braid_rc one_count(struct braid_store *s, const char *sql, int64_t *n, struct braid_err *err)
{
	struct braid_stmt *st;
	braid_rc rc = braid_store_prepare(s, sql, &st, err);
	if (rc)
		return rc;
	int row;
	rc = braid_stmt_step(st, &row, err);
	*n = !rc && row ? braid_stmt_int64(st, 0) : 0;
	braid_stmt_finalize(st);
	return rc;
}

braid_rc braid_water_counts(struct braid_store *s, const struct braid_qplan *plan, long min_cell,
			    struct braid_qcounts **out, struct braid_err *err)
{
	*out = NULL;
	braid_rc rc = braid_qplan_materialize(s, plan, "q_water", err);
	if (rc)
		return rc;
	static const struct {
		const char *name, *where;
	} scalars[] = {
		{"accounts", "1"},
		{"open", "class <> 'closed'"},
		{"shut_off", "class = 'shut_off'"},
		{"at_risk", "class = 'at_risk'"},
		{"low_income_open", "class <> 'closed' AND low_income"},
		/* Of those, low-income through the holder alone (the rule
		 * without households): the difference is the household's. */
		{"low_income_open_holder", "class <> 'closed' AND holder_low"},
		{"at_risk_protected", "class = 'at_risk' AND low_income"},
		{"shut_off_low_income", "class = 'shut_off' AND low_income"},
	};
	struct braid_qcounts *c = braid_qcounts_new(min_cell);
	if (!c) {
		braid_store_exec(s, "DROP TABLE IF EXISTS temp.q_water", NULL);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	/* Account holders (people, through the person index) of open
	 * low-income accounts, and of them those without water assistance:
	 * the auto-enrollment gap.  An account without a person (not linked
	 * yet) has no holder to reach and is not counted. */
	static const struct {
		const char *name, *where;
	} people[] = {
		{"assistance_eligible", "1"},
		{"assistance_gap", "NOT assisted"},
	};
	char sql[256];
	for (size_t i = 0; !rc && i < sizeof scalars / sizeof scalars[0]; i++) {
		int64_t n;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM temp.q_water WHERE %s", scalars[i].where);
		if (!(rc = one_count(s, sql, &n, err)) && braid_qcounts_scalar(c, scalars[i].name, n))
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	for (size_t i = 0; !rc && i < sizeof people / sizeof people[0]; i++) {
		int64_t n;
		snprintf(sql, sizeof sql, "SELECT count(DISTINCT holder) FROM temp.q_water WHERE"
			 " class <> 'closed' AND low_income AND holder IS NOT NULL AND %s",
			 people[i].where);
		if (!(rc = one_count(s, sql, &n, err)) && braid_qcounts_scalar(c, people[i].name, n))
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	static const char *const cz[] = {"class", "zip"}, *const cr[] = {"class", "race"},
				 *const z[] = {"zip"};
	if (!rc)
		rc = braid_qcounts_table_sql(c, s, "class_zip", cz, 2,
					     "SELECT class, zip, count(*) FROM temp.q_water WHERE class <> 'closed'"
					     " GROUP BY 1, 2 ORDER BY 1, 2", err);
	static const char *const cd[] = {"class", "district"};
	if (!rc)
		rc = braid_qcounts_table_sql(c, s, "class_district", cd, 2,
					     "SELECT class, district, count(*) FROM temp.q_water"
					     " WHERE class <> 'closed' GROUP BY 1, 2 ORDER BY 1, 2", err);
	if (!rc)
		rc = braid_qcounts_table_sql(c, s, "class_race", cr, 2,
					     "SELECT class, race, count(*) FROM temp.q_water WHERE class <> 'closed'"
					     " GROUP BY 1, 2 ORDER BY 1, 2", err);
	if (!rc)
		rc = braid_qcounts_table_sql(c, s, "at_risk_protected_zip", z, 1,
					     "SELECT zip, count(*) FROM temp.q_water WHERE class = 'at_risk'"
					     " AND low_income GROUP BY 1 ORDER BY 1", err);
	braid_store_exec(s, "DROP TABLE IF EXISTS temp.q_water", NULL);
	if (rc) {
		braid_qcounts_free(c);
		return rc;
	}
	*out = c;
	return BRAID_OK;
}
