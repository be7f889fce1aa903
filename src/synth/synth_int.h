/*
 * synth_int.h — what the demo city generator's files share: the PRNG,
 * day-number dates, the loaded reference data (names, streets, tracts) and
 * the identifier corruption routines.  Private to src/synth (and its unit
 * test).
 */
#ifndef BRAID_SYNTH_INT_H
#define BRAID_SYNTH_INT_H

#include "braid/core.h"
#include "braid/synth.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- PRNG
 * xoshiro256** seeded through splitmix64: our own so that the same seed
 * gives the same bytes on every libc. */
struct rng {
	uint64_t s[4];
};
void braid__rng_seed(struct rng *r, uint64_t seed);
uint64_t braid__rng_next(struct rng *r);
double braid__rng_unif(struct rng *r);            /* [0,1) */
long braid__rng_range(struct rng *r, long lo, long hi); /* lo..hi inclusive */
int braid__rng_chance(struct rng *r, double p);
double braid__rng_normal(struct rng *r);
uint64_t braid__splitmix64(uint64_t *x);

/* ---------------------------------------------------------------- dates
 * Days since 1970-01-01 (negative before); proleptic Gregorian. */
int32_t braid__days_from_civil(int y, int m, int d);
void braid__civil_from_days(int32_t z, int *y, int *m, int *d);

/* ---------------------------------------------------------------- reference data */
struct name_dist {          /* a weighted list of names */
	const char **name;
	double *cum;        /* cumulative weights */
	size_t n;
};
enum { RACE_WHITE, RACE_BLACK, RACE_API, RACE_HISP, RACE_OTHER, RACE__N };

struct street {
	const char *pre, *name, *type, *post;
	int lo[2], hi[2];   /* address ranges: [0] left (even or odd), [1] right */
	int tract;
};
/* The house numbers the generator uses on one side (0 left, 1 right) of a
 * segment: lo, lo + 2, ..., hi.  0 when it puts no address on that side. */
int braid__street_side(const struct street *s, int side, int *lo, int *hi);
struct tract {
	char geoid[16];
	double lat, lon;
	char zip[8];
	double poverty;     /* share of households below the poverty line */
	double mix[RACE__N];/* racial / ethnic mix of the tract */
	int district;       /* planning district index */
};
struct nick {               /* canonical name (upper) -> nickname (upper) */
	const char *name;
	const char *nick;
};

struct ref {
	struct braid_arena arena;
	/* first names by decade (1880..2010 => 0..13) and sex (0 F, 1 M) */
	struct name_dist first[14][2];
	struct name_dist last[RACE__N];
	struct nick *nicks;
	size_t nnicks;
	struct street *streets;
	size_t nstreets;
	size_t *tract_first;  /* streets of tract t: tract_street[tract_first[t] .. tract_first[t+1]) */
	uint32_t *tract_street;
	struct tract *tracts;
	size_t ntracts;
	char (*districts)[48];
	size_t ndistricts;
};
braid_rc braid__ref_load(struct ref *ref, uint64_t seed, struct braid_err *err);
void braid__ref_release(struct ref *ref);
const char *braid__name_draw(const struct name_dist *d, struct rng *r);
/* A nickname of NAME (upper case), or NULL when it has none. */
const char *braid__nick_of(const struct ref *ref, const char *name, struct rng *r);

/* ---------------------------------------------------------------- corruption
 * Each routine rewrites s (a NUL-terminated UTF-8 string of capacity cap)
 * and returns 1 when it changed the folded letters of s, 0 when it could not
 * apply (the caller then falls back to a typo). */
int braid__err_typo(char *s, size_t cap, struct rng *r);     /* keyboard / OCR */
int braid__err_phonetic(char *s, size_t cap, struct rng *r);
int braid__err_strip_marks(char *s, size_t cap);              /* José -> Jose, O'Brien -> OBrien */
int braid__err_hyphen(char *s, size_t cap, struct rng *r);   /* split or join; 1 = changed */
void braid__str_upper_utf8(char *s, size_t cap);              /* "josé" -> "JOSÉ" */
void braid__extra_spaces(char *s, size_t cap, struct rng *r);

#endif
