/*
 * Retention: when what an agreement names must be destroyed.  Pure date
 * arithmetic on the parsed agreement (end or revocation date plus the
 * declared delay); the destruction itself is braid_destroy_source and the
 * CLI (braid retention run), which also keeps the sources other active
 * agreements still cover.
 */
#include "policy_int.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a valid "YYYY-MM-DD" (H. Hinnant's algorithm). */
static long days_of(const char *d)
{
	long y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	long m = (d[5] - '0') * 10 + (d[6] - '0'), day = (d[8] - '0') * 10 + (d[9] - '0');
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void date_of(long z, char out[11])
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y % 10000) % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

int braid_retention_due(const struct braid_agreement *a, const char *as_of, char due[11])
{
	due[0] = 0;
	if (a->status == BRAID_AG_DRAFT || !braid_iso_date_valid(as_of))
		return 0;
	const char *end = a->end;
	if (a->status == BRAID_AG_REVOKED && a->revoked_on[0] && strcmp(a->revoked_on, end) < 0)
		end = a->revoked_on;
	if (!braid_iso_date_valid(end))
		return 0;
	/* The agreement still holds on its end date (inclusive): the delay
	 * counts from the day after. */
	long d = days_of(end) + 1 + (a->destroy_within_days > 0 ? a->destroy_within_days : 0);
	date_of(d, due);
	return a->destroy_what != 0 && strcmp(as_of, due) >= 0;
}
