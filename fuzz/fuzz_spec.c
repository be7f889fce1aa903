/*
 * Fuzz target for the source spec parser: any bytes must parse or fail with
 * a positioned error, never crash, leak or read out of bounds; a spec that
 * parses must survive a round trip through its canonical YAML.
 */
#include "braid/ingest.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct braid_spec *s = NULL;
	struct braid_err e;
	braid_err_clear(&e);
	if (braid_spec_parse((const char *)data, size, "fuzz.yaml", &s, &e) == BRAID_OK) {
		char *y = braid_spec_to_yaml(s);
		struct braid_spec *s2 = NULL;
		if (y && braid_spec_parse(y, strlen(y), "round.yaml", &s2, &e) != BRAID_OK)
			abort(); /* canonical output must parse back */
		char *y2 = s2 ? braid_spec_to_yaml(s2) : NULL;
		if (y && y2 && strcmp(y, y2))
			abort();
		free(y);
		free(y2);
		braid_spec_free(s2);
		braid_spec_free(s);
	}
	return 0;
}
