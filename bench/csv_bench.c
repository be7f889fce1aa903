/*
 * CSV reader benchmark: generates (or reads) a person file of N rows and 15
 * columns — ids, names with some accents and quoted commas, dates, SSNs,
 * addresses, ZIPs, phones — and times braid_csv_next() over it, the reader
 * alone (no validation, no store).  Prints rows/s and MB/s, best of R runs,
 * for the streaming FILE reader and for braid_csv_parse_buffer().
 *
 *   csv_bench [-n ROWS] [-r RUNS] [-f FILE] [-s]
 *
 * FILE is generated if absent; -s runs the streaming reader only (to see
 * its peak memory with /usr/bin/time -v).
 *
 * Not part of the library: built by bench/csv.sh against build/libbraid.a.
 */
#include "braid/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *firsts[] = {"James", "Mary", "Robert", "Patricia", "John", "Jennifer",
			       "Michael", "Linda", "José", "María", "DeShawn", "Aaliyah",
			       "Nguyen", "Mohammed", "Anne-Marie", "Zoë"};
static const char *lasts[] = {"Smith", "Johnson", "Williams", "Brown", "Jones", "García",
			      "Miller", "Davis", "Rodríguez", "O'Brien", "Van Der Berg",
			      "Lee", "Washington", "Nguyen", "Müller", "Kowalski"};
static const char *streets[] = {"N Broad St", "Market St", "Germantown Ave", "W Girard Ave",
				"S 52nd St", "Frankford Ave", "Baltimore Ave", "Ridge Ave"};

static int generate(const char *path, long rows)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	fputs("id,first_name,middle_name,last_name,suffix,dob,sex,ssn,street_number,"
	      "street,unit,city,state,zip,phone\n", f);
	for (long i = 0; i < rows; i++) {
		const char *last = lasts[rnd(16)];
		int quoted_last = rnd(20) == 0; /* "Smith, Jr" style */
		fprintf(f, "%ld,%s,%c,%s%s%s,%s,%04u-%02u-%02u,%c,%03u-%02u-%04u,%u,%s,%s,"
			   "Philadelphia,PA,191%02u,(215) %03u-%04u\n",
			i + 1, firsts[rnd(16)], 'A' + rnd(26), quoted_last ? "\"" : "", last,
			quoted_last ? ", Jr\"" : "", rnd(10) == 0 ? "JR" : "",
			1930 + rnd(90), 1 + rnd(12), 1 + rnd(28), rnd(2) ? 'M' : 'F',
			1 + rnd(665), 1 + rnd(99), 1 + rnd(9999), 1 + rnd(9999),
			streets[rnd(8)], rnd(5) == 0 ? "Apt 3B" : "", rnd(55), 200 + rnd(799),
			rnd(10000));
	}
	return fclose(f) != 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a machine shared with compiles, wall time
 * includes waiting for a core; both are reported. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count_cb(void *ctx, char **f, size_t n, const struct braid_err *e)
{
	(void)e;
	long *c = ctx;
	if (f && n == 15)
		c[0]++;
	else
		c[1]++;
	return 0;
}

int main(int argc, char **argv)
{
	long rows = 1000000;
	int runs = 3;
	const char *path = "/tmp/braid-csv-bench.csv";
	int opt, stream_only = 0;
	while ((opt = getopt(argc, argv, "n:r:f:s")) != -1) {
		if (opt == 'n')
			rows = strtol(optarg, NULL, 10);
		else if (opt == 'r')
			runs = (int)strtol(optarg, NULL, 10);
		else if (opt == 'f')
			path = optarg;
		else if (opt == 's')
			stream_only = 1;
		else
			return 2;
	}
	if (access(path, R_OK) != 0) {
		double t = now();
		if (generate(path, rows)) {
			perror(path);
			return 1;
		}
		printf("generated %s (%ld rows) in %.2f s\n", path, rows, now() - t);
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	double best = 1e9, bestc = 1e9;
	long nrec = 0, nfields = 0;
	for (int k = 0; k < runs; k++) {
		rewind(f);
		double t = now(), tc = cpu();
		struct braid_csv *r = braid_csv_new(f, path, NULL);
		char **fl;
		size_t n;
		struct braid_err e;
		braid_rc rc;
		nrec = nfields = 0;
		while ((rc = braid_csv_next(r, &fl, &n, &e)) != BRAID_ENOTFOUND) {
			if (rc) {
				fprintf(stderr, "%s:%ld:%ld: %s\n", path, e.line, e.column, e.msg);
				return 1;
			}
			nrec++;
			nfields += (long)n;
		}
		braid_csv_free(r);
		double dt = now() - t, dc = cpu() - tc;
		if (dt < best)
			best = dt;
		if (dc < bestc)
			bestc = dc;
	}
	printf("FILE reader:   %ld records (%ld fields), %.1f MB, best of %d:\n"
	       "  wall %.3f s = %.0f rows/s, %.0f MB/s; cpu %.3f s = %.0f rows/s, %.0f MB/s\n",
	       nrec, nfields, size / 1e6, runs, best, nrec / best, size / 1e6 / best,
	       bestc, nrec / bestc, size / 1e6 / bestc);

	if (stream_only) {
		fclose(f);
		return 0;
	}
	/* In-memory parse (the whole file loaded first; load time excluded). */
	char *buf = malloc((size_t)size);
	rewind(f);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		return 1;
	fclose(f);
	best = bestc = 1e9;
	long c[2] = {0, 0};
	for (int k = 0; k < runs; k++) {
		c[0] = c[1] = 0;
		double t = now(), tc = cpu();
		braid_csv_parse_buffer(buf, (size_t)size, NULL, count_cb, c);
		double dt = now() - t, dc = cpu() - tc;
		if (dt < best)
			best = dt;
		if (dc < bestc)
			bestc = dc;
	}
	printf("memory parser: %ld records of 15 fields (%ld other), best of %d:\n"
	       "  wall %.3f s = %.0f rows/s, %.0f MB/s; cpu %.3f s = %.0f rows/s, %.0f MB/s\n",
	       c[0], c[1], runs, best, c[0] / best, size / 1e6 / best, bestc, c[0] / bestc,
	       size / 1e6 / bestc);
	free(buf);
	return 0;
}
