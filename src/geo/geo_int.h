/*
 * What the files of the geography layer share: street standardisation.
 * Not a public contract.
 */
#ifndef BRAID_GEO_INT_H
#define BRAID_GEO_INT_H

#include "braid/normalize.h"

/* "NORTH BROAD STREET" -> "N BROAD ST" into out (n bytes), with the
 * address tables t (NULL: folded text only).  BRAID_EPARSE when nothing
 * is left. */
braid_rc braid__geo_street(const struct braid_address_tables *t, const char *in, char *out,
			   size_t n);
/* The street of a parsed address: "PREDIR NAME SUFFIX POSTDIR". */
braid_rc braid__geo_join(const struct braid_address *a, char *out, size_t n);

#endif
