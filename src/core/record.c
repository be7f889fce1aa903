/*
 * Names and classes of the standard person fields (braid/record.h).
 */
#include "braid/record.h"

#include <string.h>

static const char *const names[BRAID_F__COUNT] = {
	"first_name", "middle_name", "last_name", "suffix", "full_name", "dob",
	"birth_year", "sex", "ssn", "other_id", "street_number", "street_name",
	"address", "unit", "city", "state", "zip", "phone", "email", "race",
	"ethnicity",
};

const char *braid_field_name(enum braid_field f)
{
	return (unsigned)f < BRAID_F__COUNT ? names[f] : NULL;
}

int braid_field_by_name(const char *name)
{
	for (int i = 0; i < BRAID_F__COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int braid_field_is_identifier(enum braid_field f)
{
	switch (f) {
	case BRAID_F_SEX: case BRAID_F_RACE: case BRAID_F_ETHNICITY:
	case BRAID_F_BIRTH_YEAR: case BRAID_F_ZIP: case BRAID_F_CITY:
	case BRAID_F_STATE:
		return 0;
	default:
		return 1;
	}
}
