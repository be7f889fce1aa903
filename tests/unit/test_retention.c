/*
 * Retention: the day from which an agreement's destruction is due (end or
 * revocation date, the delay counted from the day after), across month,
 * year and leap-day boundaries; nothing is due for a draft or an agreement
 * that names nothing to destroy.
 */
#include "test.h"
#include "braid/policy.h"

static struct braid_agreement *ret_ag(const char *status, const char *end, const char *what,
				      long days)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "id: r\ntitle: t\nstatus: %s\nparties: [City]\npurposes: [study]\n"
		 "legal_basis: [STATE]\nsources:\n  jail: [jail_booking]\nuse: aggregate\n"
		 "covers:\n  roles: [analyst]\nstart: 2020-01-01\nend: %s\n"
		 "destruction: {what: [%s], within_days: %ld}\nsummary: s\n",
		 status, end, what, days);
	struct braid_agreement *a = NULL;
	struct braid_err err;
	if (braid_agreement_parse(text, strlen(text), "r.yaml", &a, &err))
		TEST_FAIL_("fixture agreement does not parse: %s:%ld:%ld: %s", err.file, err.line,
			   err.column, err.msg);
	return a;
}

TEST(retention_due_counts_the_delay_from_the_day_after_the_end)
{
	struct braid_agreement *a = ret_ag("active", "2026-12-31", "source_rows", 30);
	char due[11];
	ASSERT_EQ(braid_retention_due(a, "2027-01-30", due), 0);
	ASSERT_STR_EQ(due, "2027-01-31");
	ASSERT_EQ(braid_retention_due(a, "2027-01-31", due), 1);
	ASSERT_EQ(braid_retention_due(a, "2030-06-01", due), 1);
	braid_agreement_free(a);
}

TEST(retention_due_crosses_a_leap_day)
{
	struct braid_agreement *a = ret_ag("active", "2028-02-27", "identifiers", 1);
	char due[11];
	ASSERT_EQ(braid_retention_due(a, "2028-02-28", due), 0);
	ASSERT_STR_EQ(due, "2028-02-29");
	braid_agreement_free(a);
	a = ret_ag("active", "2027-02-28", "links", 0);
	ASSERT_EQ(braid_retention_due(a, "2027-03-01", due), 1);
	ASSERT_STR_EQ(due, "2027-03-01");
	braid_agreement_free(a);
}

TEST(retention_nothing_due_when_nothing_named_or_draft)
{
	struct braid_agreement *a = ret_ag("active", "2020-12-31", "nothing", 0);
	char due[11];
	ASSERT_EQ(braid_retention_due(a, "2026-01-01", due), 0);
	braid_agreement_free(a);
	a = ret_ag("draft", "2020-12-31", "source_rows", 0);
	ASSERT_EQ(braid_retention_due(a, "2026-01-01", due), 0);
	ASSERT_STR_EQ(due, "");
	braid_agreement_free(a);
}
