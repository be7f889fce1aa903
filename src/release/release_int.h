/*
 * release_int.h — what the files of src/release share: the cellset's
 * layout (cells, constraints in compressed rows, an id hash) and the ledger,
 * which is a cellset whose suppressed cells carry no value.
 */
#ifndef BRAID_RELEASE_INT_H
#define BRAID_RELEASE_INT_H

#include "braid/release.h"

struct braid_cellset {
	struct braid_cell *cells;
	size_t n, cap;
	/* constraint c: cells[con_total[c]] = sum of parts[con_off[c] ..
	 * con_off[c+1]-1]; con_off has ncon+1 entries. */
	size_t *con_total;
	size_t *con_off;
	size_t ncon, capcon;
	size_t *parts;
	size_t nparts, capparts;
	/* open addressing over cell indices, SIZE_MAX = empty */
	size_t *slots;
	size_t nslots;
	struct braid_arena arena; /* ids */
	/* fingerprints of people sets (fingerprint.c): fp[i] valid when
	 * has_fp[i]; both grown to fpcap >= the index set */
	struct braid_fp *fp;
	unsigned char *has_fp;
	size_t fpcap;
};

struct braid_ledger {
	struct braid_cellset *cs; /* value kept only for SHOWN cells */
	/* constraint dedup: hash per constraint, open addressing */
	uint64_t *chash;
	size_t nchash;
};

/* Add constraint given by ids-already-indexed, skipping an exact duplicate
 * when dedup is set (ledger). */
braid_rc braid__cellset_constrain(struct braid_cellset *cs, size_t total,
				  const size_t *parts, size_t n);
/* Index of cell by id with length. */
size_t braid__cellset_findn(const struct braid_cellset *cs, const char *id,
			    size_t len);

/* The ledger's cell by id with the merged status (shown wins, then
 * primary), added when missing; and a constraint unless already there
 * (parts reordered). */
braid_rc braid__ledger_put(struct braid_ledger *l, const char *id, int status,
			   int64_t shown, size_t *idx, struct braid_err *err);
braid_rc braid__ledger_con(struct braid_ledger *l, size_t total, size_t *parts,
			   size_t n);
/* Copy cell src's fingerprint of cs (if any) to cell dst of to. */
braid_rc braid__fp_copy(struct braid_cellset *to, size_t dst,
			const struct braid_cellset *cs, size_t src);

/* The audit's view of a release plus ledger: one variable per distinct
 * cell id, known (published) or not, sensitive or not. */
struct braid__sys {
	size_t nvar;        /* cs->n current cells, then ledger-only cells */
	size_t ncur;
	unsigned char *known;
	int64_t *val;       /* known value */
	unsigned char *sens;/* primary (needs protection) */
	const char **id;
	size_t *lmap;       /* ledger cell -> var */
	/* constraints over vars */
	size_t ncon;
	size_t *con_total, *con_off, *parts;
};
braid_rc braid__sys_build(struct braid__sys *s, const struct braid_cellset *cs,
			  const struct braid_ledger *ledger,
			  struct braid_err *err);
void braid__sys_release(struct braid__sys *s);

#endif
