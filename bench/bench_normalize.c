/*
 * bench_normalize.c — throughput of the canonicalisers on real name and
 * street lists from the shared reference data (census surnames, SSA first
 * names, Philadelphia centerline street names).  Not part of the build:
 *   cc -std=c17 -O2 -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
 *      bench/bench_normalize.c build/libbraid.a $(pkg-config --libs ...) -o /tmp/bn
 * Prints calls per second for each function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "braid/normalize.h"

#define MAXN 200000

static char *names[MAXN];
static int nnames;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* First column of a CSV (header skipped), folded upper case. */
static int load_col(const char *rel, int col, char **out, int max)
{
	char path[4096], line[1024];
	if (braid_data_path(rel, path, sizeof path))
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int n = 0;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return 0;
	}
	while (n < max && fgets(line, sizeof line, f)) {
		char *p = line;
		for (int c = 0; c < col && p; c++) {
			p = strchr(p, ',');
			if (p)
				p++;
		}
		if (!p)
			continue;
		size_t k = strcspn(p, ",\r\n");
		p[k] = '\0';
		char buf[256];
		if (braid_text_fold(p, buf, sizeof buf) || !buf[0])
			continue;
		out[n++] = braid_strdup(buf);
	}
	fclose(f);
	return n;
}

int main(void)
{
	volatile unsigned sink = 0;
	nnames = load_col("names/census2010_surnames_joined.csv", 0, names, 150000);
	static char *first[50000];
	int nfirst = load_col("names/ssa_names_by_decade.csv", 2, first, 50000);
	printf("surnames %d, first names %d\n", nnames, nfirst);
	const int R = 10;
	double t0, t;
	char out[256], p[8], a[8];

	/* ASCII fold */
	t0 = now();
	for (int r = 0; r < R; r++)
		for (int i = 0; i < nnames; i++) {
			braid_text_fold(names[i], out, sizeof out);
			sink += (unsigned char)out[0];
		}
	t = now() - t0;
	printf("text_fold ascii      %6.2f M/s\n", R * nnames / t / 1e6);

	/* Unicode fold */
	const char *uni[] = { "José", "Müller", "García-López", "Søren", "Ñúñez", "Straße", "Zoë", "Đorđević" };
	int nu = (int)(sizeof uni / sizeof uni[0]);
	t0 = now();
	long calls = 0;
	for (int r = 0; r < 200000; r++)
		for (int i = 0; i < nu; i++, calls++) {
			braid_text_fold(uni[i], out, sizeof out);
			sink += (unsigned char)out[0];
		}
	t = now() - t0;
	printf("text_fold unicode    %6.2f M/s\n", calls / t / 1e6);

	t0 = now();
	for (int r = 0; r < R; r++)
		for (int i = 0; i < nnames; i++) {
			braid_double_metaphone(names[i], p, a);
			sink += (unsigned char)p[0];
		}
	t = now() - t0;
	printf("double_metaphone     %6.2f M/s\n", R * nnames / t / 1e6);

	t0 = now();
	for (int r = 0; r < R; r++)
		for (int i = 0; i < nnames; i++) {
			braid_nysiis(names[i], p);
			sink += (unsigned char)p[0];
		}
	t = now() - t0;
	printf("nysiis               %6.2f M/s\n", R * nnames / t / 1e6);

	t0 = now();
	for (int r = 0; r < R; r++)
		for (int i = 0; i < nnames; i++) {
			braid_soundex(names[i], p);
			sink += (unsigned char)p[0];
		}
	t = now() - t0;
	printf("soundex              %6.2f M/s\n", R * nnames / t / 1e6);

	struct braid_name nm;
	t0 = now();
	for (int r = 0; r < R; r++)
		for (int i = 0; i < nnames; i++) {
			braid_name_clean(first[i % nfirst], NULL, names[i], NULL, &nm);
			sink += (unsigned char)nm.last[0];
		}
	t = now() - t0;
	printf("name_clean           %6.2f M/s\n", R * nnames / t / 1e6);

	t0 = now();
	for (int r = 0; r < R; r++)
		for (int i = 0; i < nnames; i++) {
			char full[300];
			snprintf(full, sizeof full, "%s, %s A", names[i], first[i % nfirst]);
			braid_name_parse_full(full, &nm);
			sink += (unsigned char)nm.last[0];
		}
	t = now() - t0;
	printf("name_parse_full      %6.2f M/s (incl. snprintf)\n", R * nnames / t / 1e6);

	struct braid_err err = { 0 };
	t0 = now();
	struct braid_nicknames *nk = braid_nicknames_load(NULL, &err);
	printf("nicknames load       %6.2f ms\n", (now() - t0) * 1e3);
	if (!nk)
		return 1;
	t0 = now();
	calls = 0;
	for (int r = 0; r < 20; r++)
		for (int i = 1; i < nfirst; i++, calls++)
			sink += (unsigned)braid_nicknames_related(nk, first[i], first[i - 1]);
	t = now() - t0;
	printf("nicknames_related    %6.2f M/s\n", calls / t / 1e6);
	braid_nicknames_free(nk);

	t0 = now();
	struct braid_address_tables *at = braid_address_tables_load(NULL, &err);
	printf("address tables load  %6.2f ms\n", (now() - t0) * 1e3);
	if (!at)
		return 1;
	static char *streets[5000];
	int ns = load_col("geo/philadelphia/passyunk_centerline.csv", 0, streets, 5000);
	(void)ns;
	/* synthetic lines: number, direction, street, suffix spelled out, unit */
	const char *st[] = { "Broad Street", "Market St.", "Spring Garden Street", "Tenth St",
			     "St James Place", "Girard Avenue", "Ridge Ave", "Old York Road" };
	const char *dirs[] = { "", "N ", "South ", "W. " };
	const char *units[] = { "", " Apt 3B", " #2", " Fl 2" };
	static char lines[4096][128];
	for (int i = 0; i < 4096; i++)
		snprintf(lines[i], sizeof lines[i], "%d %s%s%s", 100 + i, dirs[i % 4],
			 st[(i / 4) % 8], units[(i / 32) % 4]);
	struct braid_address ad;
	t0 = now();
	calls = 0;
	for (int r = 0; r < 100; r++)
		for (int i = 0; i < 4096; i++, calls++) {
			braid_address_parse(at, lines[i], &ad);
			sink += (unsigned char)ad.street[0];
		}
	t = now() - t0;
	printf("address_parse        %6.2f M/s\n", calls / t / 1e6);
	braid_address_tables_free(at);
	for (int i = 0; i < nnames; i++)
		free(names[i]);
	for (int i = 0; i < nfirst; i++)
		free(first[i]);
	for (int i = 0; i < ns; i++)
		free(streets[i]);
	return sink == 42;
}
