/*
 * Bounded growable buffers (curl's dynbuf idea): every buffer fed by outside
 * data has a maximum and fails with BRAID_ETOOBIG past it.
 */
#include "braid/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void braid_buf_init(struct braid_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : SIZE_MAX / 2;
}

void braid_buf_release(struct braid_buf *b)
{
	size_t max = b->max;
	free(b->data);
	braid_buf_init(b, max);
}

void braid_buf_reset(struct braid_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

braid_rc braid_buf_grow(struct braid_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return BRAID_ETOOBIG;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return BRAID_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return BRAID_ENOMEM;
	b->data = p;
	b->cap = cap;
	return BRAID_OK;
}

braid_rc braid_buf_append(struct braid_buf *b, const void *p, size_t n)
{
	braid_rc rc = braid_buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return BRAID_OK;
}

braid_rc braid_buf_puts(struct braid_buf *b, const char *s)
{
	return braid_buf_append(b, s, strlen(s));
}

braid_rc braid_buf_putc(struct braid_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = 0;
		return BRAID_OK;
	}
	return braid_buf_append(b, &c, 1);
}

braid_rc braid_buf_printf(struct braid_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return BRAID_EINTERNAL;
	braid_rc rc = braid_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BRAID_OK;
}

char *braid_buf_detach(struct braid_buf *b)
{
	char *p = b->data;
	if (!p)
		p = braid_strdup("");
	braid_buf_init(b, b->max);
	return p;
}
