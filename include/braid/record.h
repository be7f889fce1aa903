/*
 * braid/record.h — the city data standard: one person as one source sees
 * them, after validation and canonicalisation at ingest.
 *
 * This is what the vault stores (encrypted) for each record and what linkage
 * reads back.  All strings are folded upper-case UTF-8 (see
 * braid_text_fold), "" when missing.  A value that failed validation is
 * stored as missing and its field's bit is set in `invalid`.
 */
#ifndef BRAID_RECORD_H
#define BRAID_RECORD_H

#include <stdint.h>

/* Standard person fields, in a fixed order (values never renumbered: the
 * quality flags and spec parser index by them). */
enum braid_field {
	BRAID_F_FIRST_NAME = 0,
	BRAID_F_MIDDLE_NAME,
	BRAID_F_LAST_NAME,
	BRAID_F_SUFFIX,
	BRAID_F_FULL_NAME,     /* input only: parsed into first/middle/last/suffix */
	BRAID_F_DOB,           /* canonical "YYYY-MM-DD" */
	BRAID_F_BIRTH_YEAR,    /* "YYYY"; derived from dob when dob is known */
	BRAID_F_SEX,           /* "M", "F" */
	BRAID_F_SSN,           /* 9 digits */
	BRAID_F_OTHER_ID,      /* any other identifier, compared exactly */
	BRAID_F_STREET_NUMBER,
	BRAID_F_STREET_NAME,   /* standardised: "N BROAD ST" */
	BRAID_F_ADDRESS,       /* input only: parsed into number/street/unit */
	BRAID_F_UNIT,
	BRAID_F_CITY,
	BRAID_F_STATE,
	BRAID_F_ZIP,           /* ZIP5, or another postcode as text */
	BRAID_F_PHONE,         /* digits */
	BRAID_F_EMAIL,         /* lower case */
	BRAID_F_RACE,          /* OMB: white, black, asian, aian, nhpi, other, multiple */
	BRAID_F_ETHNICITY,     /* hispanic, not_hispanic */
	BRAID_F__COUNT
};

/* "first_name" ... ; NULL for an out-of-range value. */
const char *braid_field_name(enum braid_field f);
/* Field by its standard name; -1 when unknown. */
int braid_field_by_name(const char *name);
/* Identifiers (kept only in the vault) versus attributes the analytic store
 * may hold (sex, race, ethnicity, birth_year, zip). */
int braid_field_is_identifier(enum braid_field f);

/* One record's identity.  Strings point into storage owned by whoever
 * produced the record (an arena of the reader); "" when missing. */
struct braid_identity {
	int64_t record_key;    /* the store's pseudonymous record key */
	int32_t source_id;
	const char *source_record_id;
	const char *v[BRAID_F__COUNT];
	uint32_t invalid;      /* bit f set: field f was present but invalid */
};

#endif
