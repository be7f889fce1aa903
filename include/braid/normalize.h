/*
 * braid/normalize.h — turning what agencies write into the city standard,
 * and into the canonical forms linkage compares.
 *
 * Two kinds of functions live here:
 *  - validators used at ingest (dates, SSN, ZIP, phone, sex): they either
 *    return a canonical value or say why the value is invalid, so that a bad
 *    value is stored as missing with a quality flag, never as a wrong value;
 *  - canonicalisers used by linkage (text folding, name parsing, nicknames,
 *    phonetic codes, address standardisation).
 * Nothing here touches a store or prints.  All output strings are written
 * into caller buffers; all functions are thread-safe once tables are loaded.
 */
#ifndef BRAID_NORMALIZE_H
#define BRAID_NORMALIZE_H

#include "braid/core.h"

/* ------------------------------------------------------------------ dates */
struct braid_date {
	int y, m, d; /* 0 = unknown component is not allowed: all three set */
};
/* True when y-m-d is a real calendar date (Gregorian, leap years). */
int braid_date_valid(int y, int m, int d);
/* Parse s with a strftime-like format: %Y (4-digit year), %y (2-digit year,
 * pivot: years > pivot_yy are 19yy; pass -1 for the default of the current
 * year's last two digits), %m %d (1 or 2 digits), %b (Jan..Dec, any case),
 * %B (January..), %j is not supported; any other character must match
 * literally.  fmt NULL or "auto" tries, in order: YYYY-MM-DD, YYYYMMDD,
 * MM/DD/YYYY, M/D/YYYY, DD-Mon-YYYY, YYYY/MM/DD.  A time part after the date
 * ("2020-01-02 13:45:00", "…T13:45") is ignored.  Returns BRAID_OK, or
 * BRAID_EPARSE when s does not match or is not a real date. */
braid_rc braid_date_parse(const char *s, const char *fmt, int pivot_yy,
			  struct braid_date *out);
/* Days since 1970-01-01 (negative before), and back. */
long braid_date_to_days(struct braid_date d);
struct braid_date braid_date_from_days(long days);
/* "YYYY-MM-DD" into out (at least 11 bytes). */
void braid_date_iso(struct braid_date d, char *out);
/* Today's date (UTC), overridable by $BRAID_TODAY=YYYY-MM-DD for tests. */
struct braid_date braid_date_today(void);

/* ------------------------------------------------------------------ SSN */
enum braid_ssn_problem {
	BRAID_SSN_OK = 0,
	BRAID_SSN_MALFORMED,   /* not 9 digits after removing - and spaces */
	BRAID_SSN_AREA,        /* area 000, 666 or 900-999 */
	BRAID_SSN_GROUP,       /* group 00 */
	BRAID_SSN_SERIAL,      /* serial 0000 */
	BRAID_SSN_PLACEHOLDER  /* 123-45-6789, 111-11-1111 ... 999-99-9999,
				  078-05-1120 (the Woolworth card),
				  219-09-9999 (an SSA pamphlet sample);
				  checked before the area rule */
};
/* Canonical 9 digits into out[10]; returns the problem (BRAID_SSN_OK when
 * the SSN could exist). */
enum braid_ssn_problem braid_ssn_check(const char *s, char out[10]);
const char *braid_ssn_problem_str(enum braid_ssn_problem p);

/* ------------------------------------------------------------------ ZIP */
/* US ZIP5 / ZIP+4 ("19104", "19104-2345", "191042345") → zip5 "19104" and
 * plus4 "2345" (or ""); returns BRAID_OK with *is_us = 1.  Another
 * plausible postcode (3-10 characters of letters, digits, space or '-',
 * at least one digit, e.g. "4011", "SW1A 1AA") is kept as upper-case text
 * in zip5 (up to 10 chars) with *is_us = 0.  Anything else, or 00000, or
 * what looks like a broken US ZIP (5+ digits only, "19104-23"), returns
 * BRAID_EPARSE.  zip5 must hold 11 bytes, plus4 5 bytes. */
braid_rc braid_zip_check(const char *s, char zip5[11], char plus4[5], int *is_us);

/* ------------------------------------------------------------------ phone */
/* Digits only; a US number with a leading 1 loses it.  Valid: 10 digits
 * (US, area code not starting 0/1) or 7-15 digits otherwise.  Punctuation
 * " ()-./" is ignored, an extension ("x12", "ext 12", "#12") dropped, a
 * leading "+" or "011" marks an international number; letters and one
 * digit repeated ("000-0000") are invalid.  out[16]. */
braid_rc braid_phone_check(const char *s, char out[16]);

/* ------------------------------------------------------------------ sex */
/* M/MALE/1 → 'M', F/FEMALE/2 → 'F', U/X/UNKNOWN/empty-ish → 0 with
 * BRAID_OK when explicitly unknown; anything else BRAID_EPARSE. */
braid_rc braid_sex_check(const char *s, char *out);

/* ------------------------------------------------------------------ email */
/* Lower-cased, trimmed; must have one @ with text on both sides and a dot
 * in the domain.  out must hold strlen(s)+1. */
braid_rc braid_email_check(const char *s, char *out);

/* ------------------------------------------------------------------ text */
/* Fold a UTF-8 string for comparison: NFKC, casefold, strip combining marks
 * (utf8proc), then upper-case; apostrophes and periods removed (O'Brien →
 * OBRIEN, St. → ST), other punctuation and runs of whitespace become one
 * space, hyphens kept; leading/trailing spaces trimmed.  Output is ASCII
 * whenever the input letters have ASCII bases.  BRAID_EUTF8 on invalid
 * UTF-8, BRAID_ETOOBIG when out (n bytes) is too small. */
braid_rc braid_text_fold(const char *s, char *out, size_t n);
/* True when s is valid UTF-8 of length len. */
int braid_utf8_valid(const char *s, size_t len);
/* Latin-1 → UTF-8 (out needs 2*len+1 bytes). Returns bytes written. */
size_t braid_latin1_to_utf8(const char *s, size_t len, char *out);

/* ------------------------------------------------------------------ names */
/* A person's name in canonical parts: folded upper case, titles removed
 * (MR, MRS, MS, DR, REV, ...), suffix separated (JR, SR, II, III, IV),
 * a middle name found in the first-name field moved to middle, particles
 * kept with the surname (DE LA CRUZ, VAN DER BERG, O CONNOR → OCONNOR),
 * hyphenated surnames kept whole ("GARCIA-LOPEZ"). */
struct braid_name {
	char first[64];
	char middle[64];
	char last[96];
	char suffix[8];
};
/* Clean separate parts (any may be NULL or empty). */
braid_rc braid_name_clean(const char *first, const char *middle,
			  const char *last, const char *suffix,
			  struct braid_name *out);
/* Parse a whole name: "LAST, FIRST MIDDLE", "FIRST MIDDLE LAST JR",
 * "DR. JANE Q. PUBLIC-SMITH". */
braid_rc braid_name_parse_full(const char *full, struct braid_name *out);

/* Nickname equivalence classes from nicknames_carltonnorthern.csv
 * (name1,relationship,name2).  A name may belong to several classes
 * (RON → AARON, RONALD, VERONICA). */
struct braid_nicknames;
/* path NULL = braid_data_path("names/nicknames_carltonnorthern.csv"). */
struct braid_nicknames *braid_nicknames_load(const char *path, struct braid_err *err);
void braid_nicknames_free(struct braid_nicknames *nk);
/* True when a and b (folded upper case) are the same name or nicknames of
 * a common name. */
int braid_nicknames_related(const struct braid_nicknames *nk, const char *a,
			    const char *b);
/* A canonical form for blocking: of the classes a belongs to, the formal
 * name of the largest (ties: alphabetically first); a itself when a is in
 * no class.  Borrowed, or a. */
const char *braid_nickname_canon(const struct braid_nicknames *nk, const char *a);

/* Phonetic codes: Double Metaphone primary and alternate (up to 6 chars,
 * "" when none).  out_primary/out_alt need 8 bytes. */
void braid_double_metaphone(const char *name, char out_primary[8], char out_alt[8]);
/* NYSIIS code (up to 6 chars, original algorithm's truncation). out[8]. */
void braid_nysiis(const char *name, char out[8]);
/* Soundex (4 chars). out[5]. */
void braid_soundex(const char *name, char out[5]);

/* ------------------------------------------------------------------ address */
/* A US street address standardised with USPS Publication 28 tables
 * (suffixes: STREET → ST; directionals: NORTH → N; unit designators:
 * APARTMENT → APT) and Philadelphia spellings.  Fields folded upper case. */
struct braid_address {
	char number[16];   /* "1234", "1234A", "1234-36" */
	char predir[4];    /* N, S, E, W, NE, ... */
	char street[64];   /* street name only: "MARKET", "10TH", "SAINT JAMES" */
	char suffix[8];    /* ST, AVE, BLVD ... */
	char postdir[4];
	char unit[24];     /* "APT 3B", "UNIT 2" */
};
struct braid_address_tables;
/* dir NULL = braid_data_path("address"). */
struct braid_address_tables *braid_address_tables_load(const char *dir,
						       struct braid_err *err);
void braid_address_tables_free(struct braid_address_tables *t);
/* Parse a whole line ("1234 N. Broad Street Apt 3B"). */
braid_rc braid_address_parse(const struct braid_address_tables *t,
			     const char *line, struct braid_address *out);
/* Standardise separate parts (number and street name given apart). */
braid_rc braid_address_from_parts(const struct braid_address_tables *t,
				  const char *number, const char *street,
				  const char *unit, struct braid_address *out);
/* "1234 N BROAD ST APT 3B" into out. */
void braid_address_format(const struct braid_address *a, char *out, size_t n);

#endif
