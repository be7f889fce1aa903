/*
 * What the files of the ingest layer share.  Not a public contract.
 */
#ifndef BRAID_INGEST_INT_H
#define BRAID_INGEST_INT_H

#include "braid/ingest.h"

#endif
