/*
 * Fuzz target for the saved link state reader (braid/link.h, "saved
 * state"; src/link/state.c).  A state normally comes sealed from the
 * workspace (braid_cache_*), so damage is caught before it gets here; the
 * reader must still refuse any bytes it did not write, whole, rather than
 * index past an array.
 *
 * Promises checked (abort() when one fails):
 *  - it returns a linker or NULL with an error message, never a linker
 *    and an error;
 *  - a returned linker's record keys and restored clusters are readable
 *    for every restored record, and it frees cleanly (ASan checks the
 *    accesses);
 *  - the input is read front to back only (the reader never asks for
 *    more than remains without failing).
 */
#include "braid/link.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const uint8_t *p;
	size_t n, off;
};

static braid_rc get(void *ctx, void *p, size_t n, struct braid_err *err)
{
	struct reader *r = ctx;
	if (r->n - r->off < n)
		return braid_err_set(err, BRAID_ECRYPTO, "short state");
	memcpy(p, r->p + r->off, n);
	r->off += n;
	return BRAID_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = {data, size, 0};
	struct braid_err err;
	braid_err_clear(&err);
	struct braid_link_opts o;
	memset(&o, 0, sizeof o);
	o.threads = 1;
	struct braid_linker *l = braid_linker_state_read(get, &r, size, NULL, 0, &o, &err);
	if (!l) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (r.off > size)
		abort();
	size_t n = braid_linker_restored(l);
	const int64_t *keys = braid_linker_keys(l);
	const uint32_t *cl = braid_linker_restored_clusters(l);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (uint64_t)keys[i] + cl[i];
	if (sum == 1) /* keep the loop */
		r.off++;
	braid_linker_free(l);
	return 0;
}
