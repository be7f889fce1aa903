/*
 * Arenas: bump allocation for data that dies together (an ingest batch, a
 * comparison block, an HTTP request).  Reset keeps the first chunk so a
 * per-row arena costs no malloc in steady state.
 */
#include "braid/core.h"

#include <stdlib.h>
#include <string.h>

struct braid_arena_chunk {
	struct braid_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char mem[];
};

void braid_arena_init(struct braid_arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
	a->total = 0;
}

void braid_arena_release(struct braid_arena *a)
{
	struct braid_arena_chunk *c = a->head;
	while (c) {
		struct braid_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->total = 0;
}

void braid_arena_reset(struct braid_arena *a)
{
	struct braid_arena_chunk *c = a->head;
	if (!c)
		return;
	/* keep the oldest chunk (end of the list); free the rest */
	while (c->next) {
		struct braid_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	c->used = 0;
	a->head = c;
	a->total = 0;
}

void *braid_arena_alloc(struct braid_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct braid_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t sz = n > a->chunk_size ? n : a->chunk_size;
		struct braid_arena_chunk *nc = malloc(sizeof *nc + sz);
		if (!nc)
			return NULL;
		nc->size = sz;
		nc->used = 0;
		nc->next = c;
		a->head = c = nc;
	}
	void *p = c->mem + c->used;
	c->used += n;
	a->total += n;
	return p;
}

void *braid_arena_zalloc(struct braid_arena *a, size_t n)
{
	void *p = braid_arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

char *braid_arena_strndup(struct braid_arena *a, const char *s, size_t n)
{
	char *p = braid_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *braid_arena_strdup(struct braid_arena *a, const char *s)
{
	return braid_arena_strndup(a, s, strlen(s));
}
