/*
 * places_from_synth: write the demo city's gazetteer (places.csv: street,
 * from,to,parity,zip5,tract,district) from the synthesizer's own reference
 * tables, for a seed, exactly as src/synth places segments in tracts.  A
 * stop-gap for tests and benchmarks until `braid synth` writes
 * DIR/reference/places.csv itself; it reads synth internals and is not
 * part of the build.
 *
 *   cc -std=c17 -Iinclude -Isrc/synth -D_DEFAULT_SOURCE \
 *      -DBRAID_DATA_DEFAULT='"/work/shared/data"' bench/query/places_from_synth.c \
 *      build/libbraid.a $(pkg-config --libs sqlite3 libsodium libutf8proc jansson yaml-0.1) \
 *      -lglpk -lm -lpthread -o build/places_from_synth
 *   build/places_from_synth SEED > places.csv
 */
#include "synth_int.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long seed = 1;
	if (argc > 1 && braid_parse_long(argv[1], &seed)) {
		fprintf(stderr, "usage: places_from_synth [SEED]\n");
		return 2;
	}
	struct ref ref;
	struct braid_err err;
	braid_err_clear(&err);
	if (braid__ref_load(&ref, (uint64_t)seed, &err)) {
		fprintf(stderr, "places_from_synth: %s\n", err.msg);
		return 1;
	}
	printf("street,from,to,parity,zip5,tract,district\n");
	for (size_t i = 0; i < ref.nstreets; i++) {
		const struct street *s = &ref.streets[i];
		const struct tract *t = &ref.tracts[s->tract];
		for (int side = 0; side < 2; side++) {
			/* The generator's own rule (city.c new_address). */
			int lo = s->lo[side], hi = s->hi[side];
			if (hi <= 0)
				continue;
			if (lo <= 0)
				lo = (hi & 1) ? 1 : 2;
			if (hi < lo)
				hi = lo;
			printf("%s%s%s%s%s%s%s,%d,%d,%s,%s,%s,%s\n", s->pre, *s->pre ? " " : "",
			       s->name, *s->type ? " " : "", s->type, *s->post ? " " : "", s->post,
			       lo, hi, (lo & 1) ? "odd" : "even", t->zip, t->geoid,
			       ref.districts[t->district]);
		}
	}
	braid__ref_release(&ref);
	return 0;
}
