/*
 * Service gaps: who is eligible for a program but not enrolled in it, how
 * many, where (by ZIP), and the enrollment rate among the eligible.
 *
 * The eligibility and enrollment sets come from a rules plan
 * (braid_rules_compile); this file materialises it once into a temporary
 * table (braid_rules_materialize: in C over integer person numbers when
 * the program allows) and counts over it, with primary suppression of
 * small cells.  The
 * outreach list itself (person ids) is read by the caller with
 * BRAID_GAPS_ROWS_SQL, and only after the policy layer allowed linked
 * rows.  It does not contact anyone or write the list anywhere.
 */
#include "braid/query.h"
#include "braid/store.h"

#include <string.h>

braid_rc braid_gaps_run(struct braid_store *s, const struct braid_qplan *rules_plan,
			long min_cell, struct braid_qcounts **out, struct braid_err *err)
{
	*out = NULL;
	braid_rc rc = braid_rules_materialize(s, rules_plan, "q_gaps", err);
	if (rc)
		return rc;
	int64_t eligible = 0, enrolled_el = 0, enrolled = 0;
	/* The three counts in one pass over the table. */
	struct braid_stmt *st;
	if ((rc = braid_store_prepare(s, "SELECT count(CASE WHEN eligible THEN 1 END),"
					 " count(CASE WHEN eligible AND enrolled THEN 1 END),"
					 " count(CASE WHEN enrolled THEN 1 END) FROM temp.q_gaps", &st, err)))
		return rc;
	int row;
	rc = braid_stmt_step(st, &row, err);
	if (!rc && row) {
		eligible = braid_stmt_int64(st, 0);
		enrolled_el = braid_stmt_int64(st, 1);
		enrolled = braid_stmt_int64(st, 2);
	}
	braid_stmt_finalize(st);
	if (rc)
		return rc;
	struct braid_qcounts *c = braid_qcounts_new(min_cell);
	if (!c)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	static const char *const zip[] = {"zip"};
	rc = braid_qcounts_scalar(c, "eligible", eligible);
	if (!rc)
		rc = braid_qcounts_scalar(c, "enrolled", enrolled);
	if (!rc)
		rc = braid_qcounts_scalar(c, "eligible_enrolled", enrolled_el);
	if (!rc)
		rc = braid_qcounts_scalar(c, "gap", eligible - enrolled_el);
	if (!rc)
		rc = braid_qcounts_rate(c, "enrollment_rate", enrolled_el, eligible);
	if (rc) {
		braid_qcounts_free(c);
		return braid_err_set(err, rc, "out of memory");
	}
	rc = braid_qcounts_table_sql(c, s, "gap_by_zip", zip, 1,
				     "SELECT zip, count(*) FROM temp.q_gaps WHERE eligible AND NOT enrolled"
				     " GROUP BY 1 ORDER BY 1", err);
	if (!rc)
		rc = braid_qcounts_table_sql(c, s, "eligible_by_zip", zip, 1,
					     "SELECT zip, count(*) FROM temp.q_gaps WHERE eligible"
					     " GROUP BY 1 ORDER BY 1", err);
	if (rc) {
		braid_qcounts_free(c);
		return rc;
	}
	*out = c;
	return BRAID_OK;
}

void braid_gaps_clear(struct braid_store *s)
{
	braid_store_exec(s, "DROP TABLE IF EXISTS temp.q_gaps", NULL);
}
