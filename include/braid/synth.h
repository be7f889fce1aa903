/*
 * braid/synth.h — the demo city generator (`braid synth`).
 *
 * Writes a synthetic city with ground truth into a directory:
 *   sources/NAME.csv   one file per agency, in that agency's own columns,
 *                      formats and error profile;
 *   specs/NAME.yaml    a source spec per source (docs/spec-format.md);
 *   truth/persons.csv  source,record_id,entity for every person record;
 *   truth/households.csv, truth/people.csv (the uncorrupted identities),
 *   truth/addresses.csv (each household's address history),
 *   truth/errors.json  (configured error rates and applied counts),
 *   truth/facts.json   (the planted facts, computed from the true events);
 *   reference/places.csv  the gazetteer: street,from,to,parity,zip5,tract,
 *                      district for every segment side an address is put on;
 *   README.md          what the city is.
 *
 * Everything is a pure function of (people, seed, years, error_scale): the
 * same options give the same bytes.  The generator does not read any store
 * and does not link; it only writes files.
 */
#ifndef BRAID_SYNTH_H
#define BRAID_SYNTH_H

#include "braid/core.h"

#include <stdint.h>

struct braid_synth_opts {
	long people;          /* residents to generate (>= 10) */
	uint64_t seed;        /* PRNG seed */
	int year_from;        /* first year of the event window (default 2016) */
	int year_to;          /* last year; the analysis date is Dec 31 of it */
	double error_scale;   /* multiplies every error rate (default 1; 0 = clean) */
	const char *out_dir;  /* created if missing; existing files are replaced */
	/* Optional progress callback: done/total households (may be NULL). */
	void (*progress)(void *ctx, unsigned long long done, unsigned long long total);
	void *progress_ctx;
};

struct braid_synth_stats {
	long people;          /* residents generated (incl. births in the window) */
	long households;
	long long rows;       /* data rows written over all person/account sources */
	long long records;    /* distinct source records (truth/persons.csv lines) */
	int sources;          /* source files written (incl. sites) */
	long long source_rows[16];
	long long source_records[16];
	const char *source_names[16]; /* static strings */
};

/* Defaults: 3000 people, seed 1, 2016-2024, error_scale 1. */
void braid_synth_opts_init(struct braid_synth_opts *o);

/* Generate the city.  stats may be NULL.  Errors: BRAID_EINVAL for bad
 * options, BRAID_EIO when the directory or a file cannot be written,
 * BRAID_EPARSE / BRAID_ENOTFOUND when the reference data is missing or
 * malformed (the message names the file and line). */
braid_rc braid_synth_run(const struct braid_synth_opts *o,
			 struct braid_synth_stats *stats, struct braid_err *err);

#endif
