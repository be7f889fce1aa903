/*
 * braid/geo.h — geography: the gazetteer (street segments with house-number
 * ranges, each in a 2010 census tract and a planning district), geocoding
 * of records against it, and the household key of each record's address.
 *
 * The gazetteer lives in braid.db as
 *
 *     places(street TEXT NOT NULL, from_no INTEGER NOT NULL,
 *            to_no INTEGER NOT NULL, parity TEXT NOT NULL, zip5 TEXT,
 *            tract TEXT NOT NULL, district TEXT NOT NULL)
 *
 * one row per side of a street segment, street standardised with braid's
 * own address normaliser ("N BROAD ST"), parity odd, even or all.  The
 * releases layer reads it for the tract -> planning district -> city
 * hierarchy.  A record is geocoded when its standardised house number falls
 * in a segment's range with the right parity on its street (the ZIP picks
 * among segments of one street when several match); it gets records.tract
 * and records.district, and records.addr_key (braid_store_addr_key of
 * number, street, unit and ZIP) whether or not it geocodes.
 *
 * What this layer does not do: it has no geometry (no coordinates, no
 * point-in-polygon; ranges only), does not correct misspelt street names
 * beyond the normaliser's standardisation, and never writes an address
 * anywhere outside the vault: only tract, district and the keyed hash.
 *
 * Ownership: a struct braid_gazetteer is the caller's (braid_gazetteer_free,
 * NULL accepted); strings it hands out are borrowed until then.
 */
#ifndef BRAID_GEO_H
#define BRAID_GEO_H

#include "braid/core.h"
#include "braid/store.h"

#include <stdint.h>

/* Rows of a places file larger than this are refused (a city has ~100k). */
#define BRAID_PLACES_MAX_ROWS 10000000

struct braid_places_stats {
	int64_t segments, streets, tracts, districts;
};

/* Create the places table when missing (idempotent). */
braid_rc braid_places_prepare(struct braid_store *s, struct braid_err *err);

/* Load the places CSV at path (header street,from,to,parity,zip5,tract,
 * district, in any order; extra columns ignored) into the places table,
 * inside the caller's transaction.  BRAID_EEXIST when places are already
 * loaded and !replace (replace deletes them first).  A bad row is
 * BRAID_EPARSE at file:line:column naming the field and what was
 * expected.  *st (may be NULL) gets the summary after the load. */
braid_rc braid_places_load(struct braid_store *s, const char *path, int replace,
			   struct braid_places_stats *st, struct braid_err *err);

/* Counts of the loaded places (all 0 when none). */
braid_rc braid_places_summary(struct braid_store *s, struct braid_places_stats *st,
			      struct braid_err *err);

/* -------------------------------------------------------------- lookups */
struct braid_gazetteer;
/* The places of s in memory; *out is NULL (and BRAID_OK) when none are
 * loaded. */
braid_rc braid_gazetteer_load(struct braid_store *s, struct braid_gazetteer **out,
			      struct braid_err *err);
void braid_gazetteer_free(struct braid_gazetteer *g);
/* Find number ("1234", "1234A", "1234-36": its leading digits) on street
 * (standardised, "N BROAD ST"); zip5 ("" or NULL = unknown) prefers a
 * segment in that ZIP.  1 and *tract, *district (borrowed) when found. */
int braid_gazetteer_find(const struct braid_gazetteer *g, const char *number,
			 const char *street, const char *zip5, const char **tract,
			 const char **district);

/* ----------------------------------------------------------- geocoding */
#include "braid/record.h"
/* The geography and household key of one identity (its standardised
 * street number, street, unit and ZIP): *tract and *district (borrowed
 * from g; NULL when not found or g is NULL) and *key (0 when the identity
 * has no street).  Returns 1 when the identity has a street.  Only reads
 * s's keys once braid_store_addr_key has run on s once, so a loader's
 * producing thread may call it. */
int braid_geo_identity(struct braid_store *s, const struct braid_gazetteer *g,
		       const struct braid_identity *id, const char **tract,
		       const char **district, int64_t *key, struct braid_err *err);

struct braid_geo_stats {
	int64_t records;        /* records looked at */
	int64_t with_address;   /* of which with a street name */
	int64_t geocoded;       /* of which found in the places */
	int64_t keyed;          /* of which given a household key */
};
/* Geocode and key the records of source_id (0 = all) loaded by batches
 * with id > after_batch (0 = all), from their identities (the vault),
 * inside the caller's transaction: sets records.tract, district (NULL
 * when not found) and addr_key.  Without places only keys are set. */
braid_rc braid_geo_fill(struct braid_store *s, int64_t source_id, int64_t after_batch,
			struct braid_geo_stats *st, struct braid_err *err);

/* Geocode rate of the records of source_id (0 = all): *records,
 * *with_address (those with a household key) and *geocoded (a tract). */
braid_rc braid_geo_rate(struct braid_store *s, int64_t source_id, int64_t *records,
			int64_t *keyed, int64_t *geocoded, struct braid_err *err);

#endif
