/*
 * bench/linkage/jw — Jaro–Winkler micro-benchmark: comparisons per second
 * on one core over name-length strings (pairs drawn from a list of real
 * surnames and first names, so lengths and letter mixes are realistic).
 *
 *   build/bench/link_jw [N_MILLION]
 */
#include "common.h"

int main(int argc, char **argv)
{
	long millions = 20;
	if (argc > 1 && braid_parse_long(argv[1], &millions))
		return 2;
	/* names: a fixed pseudo-random mix of syllables (no data file needed) */
	static const char *const syl[] = {"MAR", "TIN", "EZ", "SON", "JO", "HN", "AN", "DER",
		"SMI", "TH", "WIL", "LI", "AMS", "BRO", "WN", "GAR", "CIA", "LEE", "KIM",
		"NGU", "YEN", "ROD", "RI", "GUEZ", "ELL", "A", "O", "E", "ST", "ON"};
	enum { NN = 4096 };
	static char names[NN][24];
	static size_t lens[NN];
	uint64_t s = 42;
	for (int i = 0; i < NN; i++) {
		int k = 2 + (int)((s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 62);
		names[i][0] = 0;
		for (int j = 0; j < k; j++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			strncat(names[i], syl[(s >> 33) % (sizeof syl / sizeof syl[0])],
				sizeof names[i] - strlen(names[i]) - 1);
		}
		lens[i] = strlen(names[i]);
	}
	double tot = 0, avg_len = 0;
	for (int i = 0; i < NN; i++)
		avg_len += (double)lens[i];
	long n = millions * 1000000L;
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	double t0 = bench_now();
	uint32_t x = 1;
	for (long i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		uint32_t a = (x >> 8) % NN, b = (x >> 20) % NN ^ (uint32_t)(i & 7);
		tot += braid_jaro_winkler(names[a], lens[a], names[b % NN], lens[b % NN]);
	}
	double t1 = bench_now();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
	/* CPU time of this thread as well as wall time: on a shared machine
	 * the wall rate says more about the neighbours than about the code */
	printf("jaro-winkler: %ld comparisons in %.3f s wall = %.1f million/s; %.3f s CPU = "
	       "%.1f million/s per core (mean length %.1f, checksum %.3f)\n",
	       n, t1 - t0, (double)n / (t1 - t0) / 1e6, cpu, (double)n / cpu / 1e6,
	       avg_len / NN, tot);
	return 0;
}
