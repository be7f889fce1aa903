/*
 * The lexer of cohort and rules files: identifiers, "strings", numbers,
 * ISO dates (2024-12-31 is one token), operators and punctuation; '#'
 * starts a comment to the end of the line.  Keywords are ordinary
 * identifiers here: the parser decides what a word means where it stands,
 * so new keywords never break old names.
 *
 * Positions are 1-based lines and columns counted in characters (UTF-8
 * continuation bytes do not advance the column), so that a caret printed
 * under the line lands under the token.  It does not validate UTF-8 beyond
 * that: bytes >= 0x80 are only allowed inside strings and comments.
 */
#include "query_int.h"

#include <stdio.h>
#include <string.h>

void braid__q_lex_init(struct q_lexer *lx, const char *text, size_t len, const char *file,
		       struct braid_arena *arena)
{
	lx->text = lx->p = text;
	lx->end = text + len;
	lx->line = lx->col = 1;
	lx->file = file ? file : "";
	lx->arena = arena;
}

const char *braid__q_tok_name(enum q_tok k)
{
	static const char *const names[] = {
		"end of file", "name", "string", "number", "date", "'='", "'!='", "'<'",
		"'<='", "'>'", "'>='", "','", "'('", "')'", "':'", "';'", "'.'"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "token";
}

static void adv(struct q_lexer *lx)
{
	unsigned char c = (unsigned char)*lx->p++;
	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		lx->col++;
	}
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static int looks_like_date(const char *p, const char *end)
{
	if (end - p < 10)
		return 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (p[i] != '-')
				return 0;
		} else if (!is_digit((unsigned char)p[i])) {
			return 0;
		}
	}
	return end - p == 10 || !(is_digit((unsigned char)p[10]) || is_alpha((unsigned char)p[10]));
}

braid_rc braid__q_lex_next(struct q_lexer *lx, struct q_token *t, struct braid_err *err)
{
	memset(t, 0, sizeof *t);
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
					   *lx->p == '\n'))
			adv(lx);
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				adv(lx);
			continue;
		}
		break;
	}
	t->p = lx->p;
	t->line = lx->line;
	t->col = lx->col;
	if (lx->p >= lx->end) {
		t->kind = T_EOF;
		return BRAID_OK;
	}
	unsigned char c = (unsigned char)*lx->p;
	if (is_alpha(c)) {
		while (lx->p < lx->end && (is_alpha((unsigned char)*lx->p) || is_digit((unsigned char)*lx->p)))
			adv(lx);
		t->kind = T_IDENT;
		t->n = (size_t)(lx->p - t->p);
		if (t->n > 64)
			return braid_err_at(err, BRAID_EPARSE, lx->file, t->line, t->col,
					    "name longer than 64 characters");
		t->str = braid_arena_strndup(lx->arena, t->p, t->n);
		if (!t->str)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		return BRAID_OK;
	}
	if (is_digit(c) || (c == '-' && lx->p + 1 < lx->end && is_digit((unsigned char)lx->p[1]))) {
		if (looks_like_date(lx->p, lx->end)) {
			for (int i = 0; i < 10; i++)
				adv(lx);
			t->kind = T_DATE;
			t->n = 10;
			t->str = braid_arena_strndup(lx->arena, t->p, 10);
			if (!t->str)
				return braid_err_set(err, BRAID_ENOMEM, "out of memory");
			return BRAID_OK;
		}
		adv(lx);
		int dot = 0;
		while (lx->p < lx->end && (is_digit((unsigned char)*lx->p) || (*lx->p == '.' && !dot))) {
			dot |= *lx->p == '.';
			adv(lx);
		}
		t->kind = T_NUMBER;
		t->n = (size_t)(lx->p - t->p);
		if (t->n > 32)
			return braid_err_at(err, BRAID_EPARSE, lx->file, t->line, t->col, "number too long");
		t->str = braid_arena_strndup(lx->arena, t->p, t->n);
		if (!t->str)
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		if (braid_parse_double(t->str, &t->num))
			return braid_err_at(err, BRAID_EPARSE, lx->file, t->line, t->col,
					    "malformed number");
		return BRAID_OK;
	}
	if (c == '"') {
		adv(lx);
		struct braid_buf b;
		braid_buf_init(&b, 1024);
		braid_rc rc = BRAID_OK;
		for (;;) {
			if (lx->p >= lx->end || *lx->p == '\n') {
				rc = braid_err_at(err, BRAID_EPARSE, lx->file, t->line, t->col,
						  "string not closed on its line (expected '\"')");
				break;
			}
			char ch = *lx->p;
			if (ch == '"') {
				adv(lx);
				break;
			}
			if (ch == '\\' && lx->p + 1 < lx->end && (lx->p[1] == '"' || lx->p[1] == '\\')) {
				adv(lx);
				ch = *lx->p;
			}
			if ((unsigned char)ch < 0x20 && ch != '\t') {
				rc = braid_err_at(err, BRAID_EPARSE, lx->file, lx->line, lx->col,
						  "control character in a string");
				break;
			}
			if ((rc = braid_buf_putc(&b, ch))) {
				rc = braid_err_at(err, rc, lx->file, t->line, t->col,
						  "string longer than 1024 bytes");
				break;
			}
			adv(lx);
		}
		if (!rc) {
			t->kind = T_STRING;
			t->n = (size_t)(lx->p - t->p);
			t->str = braid_arena_strndup(lx->arena, b.data ? b.data : "", b.len);
			if (!t->str)
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		}
		braid_buf_release(&b);
		return rc;
	}
	const char *p = lx->p;
	char c2 = p + 1 < lx->end ? p[1] : 0;
	enum q_tok k;
	size_t n = 1;
	switch (c) {
	case '=': k = T_EQ; if (c2 == '=') n = 2; break;
	case '!':
		if (c2 != '=')
			goto bad;
		k = T_NE; n = 2; break;
	case '<': k = c2 == '=' ? T_LE : c2 == '>' ? T_NE : T_LT; n = (c2 == '=' || c2 == '>') ? 2 : 1; break;
	case '>': k = c2 == '=' ? T_GE : T_GT; n = c2 == '=' ? 2 : 1; break;
	case ',': k = T_COMMA; break;
	case '(': k = T_LPAREN; break;
	case ')': k = T_RPAREN; break;
	case ':': k = T_COLON; break;
	case ';': k = T_SEMI; break;
	case '.': k = T_DOT; break;
	default:
		goto bad;
	}
	for (size_t i = 0; i < n; i++)
		adv(lx);
	t->kind = k;
	t->n = n;
	return BRAID_OK;
bad:
	if (c >= 0x20 && c < 0x7f)
		return braid_err_at(err, BRAID_EPARSE, lx->file, t->line, t->col,
				    "unexpected character '%c'", c);
	return braid_err_at(err, BRAID_EPARSE, lx->file, t->line, t->col,
			    "unexpected byte 0x%02x (only names, numbers, dates, strings and operators)", c);
}

braid_rc braid_query_caret(const char *text, size_t len, long line, long column,
			   struct braid_buf *out)
{
	if (!text || line < 1)
		return BRAID_OK;
	const char *p = text, *end = text + len;
	for (long l = 1; l < line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return BRAID_OK;
		p = nl + 1;
	}
	const char *e = memchr(p, '\n', (size_t)(end - p));
	if (!e)
		e = end;
	if (e > p && e[-1] == '\r')
		e--;
	size_t n = (size_t)(e - p);
	if (n > 400)
		n = 400; /* a caret under a very long line helps nobody */
	braid_rc rc = braid_buf_append(out, p, n);
	if (!rc)
		rc = braid_buf_putc(out, '\n');
	/* Pad with the line's own tabs so that the caret lines up. */
	long c = 1;
	for (const char *q = p; !rc && q < p + n && c < column; q++) {
		if (((unsigned char)*q & 0xC0) == 0x80)
			continue;
		rc = braid_buf_putc(out, *q == '\t' ? '\t' : ' ');
		c++;
	}
	for (; !rc && c < column; c++)
		rc = braid_buf_putc(out, ' ');
	if (!rc)
		rc = braid_buf_puts(out, "^\n");
	return rc;
}

size_t braid_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 64 || nb > 64)
		return cap + 1;
	size_t d = na > nb ? na - nb : nb - na;
	if (d > cap)
		return cap + 1;
	size_t row[65];
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t prev = row[0], best;
		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= nb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
			if (row[j] < best)
				best = row[j];
		}
		if (best > cap)
			return cap + 1;
	}
	return row[nb] > cap ? cap + 1 : row[nb];
}
