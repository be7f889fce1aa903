/*
 * Small helpers every layer needs: hashing, checked allocation, whole-string
 * number parsing (instead of atoi/sscanf, which accept garbage).
 */
#include "braid/core.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdint.h>

uint64_t braid_hash64(const void *p, size_t n, uint64_t seed)
{
	/* FNV-1a over bytes, then a murmur-style finaliser for avalanche. */
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#define HUGE_FROM ((size_t)4 << 20)

/* A hint only: the kernel may ignore it (transparent huge pages off) and
 * a failure changes nothing. */
static void huge_hint(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	if (!p || n < HUGE_FROM)
		return;
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *braid_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	size_t n = nmemb * size;
	void *q = realloc(p, n ? n : 1);
	huge_hint(q, n);
	return q;
}

void *braid_big_alloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	size_t n = nmemb * size;
	void *p = malloc(n ? n : 1);
	huge_hint(p, n);
	return p;
}

void *braid_big_zalloc(size_t nmemb, size_t size)
{
	/* not calloc: its zeroing would touch every page before the hint */
	void *p = braid_big_alloc(nmemb, size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

char *braid_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

braid_rc braid_parse_long(const char *s, long *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return BRAID_EPARSE;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s)
		return BRAID_EPARSE;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return BRAID_EPARSE;
	*out = v;
	return BRAID_OK;
}

braid_rc braid_parse_double(const char *s, double *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return BRAID_EPARSE;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s)
		return BRAID_EPARSE;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return BRAID_EPARSE;
	*out = v;
	return BRAID_OK;
}

void braid_ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

void braid_ascii_upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s -= 'a' - 'A';
}

char *braid_trim(char *s)
{
	char *b = s;
	while (*b == ' ' || *b == '\t')
		b++;
	size_t n = strlen(b);
	while (n && (b[n - 1] == ' ' || b[n - 1] == '\t'))
		n--;
	memmove(s, b, n);
	s[n] = 0;
	return s;
}

#ifndef BRAID_DATA_DEFAULT
#define BRAID_DATA_DEFAULT "../shared/data"
#endif

const char *braid_data_dir(void)
{
	const char *d = getenv("BRAID_DATA_DIR");
	if (d && *d)
		return d;
	d = getenv("BRAID_SHARED_DATA");
	if (d && *d)
		return d;
	return BRAID_DATA_DEFAULT;
}

braid_rc braid_data_path(const char *rel, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/%s", braid_data_dir(), rel);
	return k < 0 || (size_t)k >= n ? BRAID_ETOOBIG : BRAID_OK;
}
