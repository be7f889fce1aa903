/*
 * Error detail and result codes.  Messages are built here once so that every
 * layer reports errors the same way: "file:line:col: message".
 */
#include "braid/core.h"

#include <stdio.h>
#include <string.h>

const char *braid_strerror(braid_rc rc)
{
	switch (rc) {
	case BRAID_OK: return "ok";
	case BRAID_ENOMEM: return "out of memory";
	case BRAID_EIO: return "input/output error";
	case BRAID_EPARSE: return "malformed input";
	case BRAID_EINVAL: return "invalid argument";
	case BRAID_ENOTFOUND: return "not found";
	case BRAID_EEXIST: return "already exists";
	case BRAID_ETOOBIG: return "too large";
	case BRAID_ESTORE: return "store error";
	case BRAID_EDENIED: return "denied";
	case BRAID_ECRYPTO: return "cryptographic error";
	case BRAID_EUTF8: return "invalid encoding";
	case BRAID_EINTERNAL: return "internal error";
	}
	return "unknown error";
}

static void vset(struct braid_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

braid_rc braid_err_set(struct braid_err *err, braid_rc code, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	err->file[0] = 0;
	err->line = err->column = 0;
	va_list ap;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return code;
}

braid_rc braid_err_at(struct braid_err *err, braid_rc code, const char *file,
		      long line, long column, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->file, sizeof err->file, "%s", file ? file : "");
	err->line = line;
	err->column = column;
	va_list ap;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return code;
}

void braid_err_clear(struct braid_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

void braid_err_prefix(struct braid_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char pre[256], old[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t n = strlen(pre);
	if (n > sizeof err->msg - 3)
		n = sizeof err->msg - 3;
	memcpy(err->msg, pre, n);
	memcpy(err->msg + n, ": ", 2);
	size_t rest = sizeof err->msg - n - 3;
	size_t ol = strnlen(old, rest);
	memcpy(err->msg + n + 2, old, ol);
	err->msg[n + 2 + ol] = 0;
}

void braid_err_format(const struct braid_err *err, char *out, size_t n)
{
	if (!n)
		return;
	if (!err) {
		out[0] = 0;
		return;
	}
	const char *msg = err->msg[0] ? err->msg : braid_strerror(err->code);
	if (err->file[0] && err->line > 0 && err->column > 0)
		snprintf(out, n, "%s:%ld:%ld: %s", err->file, err->line, err->column, msg);
	else if (err->file[0] && err->line > 0)
		snprintf(out, n, "%s:%ld: %s", err->file, err->line, msg);
	else if (err->file[0])
		snprintf(out, n, "%s: %s", err->file, msg);
	else
		snprintf(out, n, "%s", msg);
}

int braid_rc_exit_code(braid_rc rc)
{
	switch (rc) {
	case BRAID_OK: return 0;
	case BRAID_EINVAL: return 2;
	case BRAID_EPARSE: case BRAID_EUTF8: case BRAID_ETOOBIG: return 3;
	case BRAID_ENOTFOUND: return 4;
	case BRAID_EEXIST: return 5;
	case BRAID_EDENIED: return 6;
	default: return 1;
	}
}
