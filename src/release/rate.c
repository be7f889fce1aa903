/*
 * rate.c — percentages as they may be published: suppressed whenever the
 * numerator or the denominator is (a rate recomputes a hidden count),
 * coded "<5%" / ">95%" when the agreement asks (near 0 or 100 % a rate
 * tells nearly everyone's value), and flagged unreliable on a small
 * denominator.  The flag is statistical advice, kept apart from
 * confidentiality: an unreliable rate is still shown.
 *
 * It does not suppress the cells themselves (suppress.c does).
 */
#include "release_int.h"

#include <stdio.h>

braid_rc braid_release_rate(const struct braid_cellset *cs, size_t num,
			    size_t den, int code_5_95, int64_t min_denominator,
			    struct braid_rate *out, struct braid_err *err)
{
	if (num >= cs->n || den >= cs->n)
		return braid_err_set(err, BRAID_EINVAL, "rate: no such cell");
	const struct braid_cell *n = &cs->cells[num], *d = &cs->cells[den];
	out->pct = 0;
	out->code = BRAID_RATE_SHOWN;
	out->unreliable = 0;
	if (n->status != BRAID_CELL_SHOWN || d->status != BRAID_CELL_SHOWN) {
		out->code = BRAID_RATE_SUPPRESSED;
		return BRAID_OK;
	}
	if (d->shown <= 0 || n->shown > d->shown)
		return braid_err_set(err, BRAID_EINVAL,
				     "rate '%s' / '%s': the denominator must be positive and not below the numerator",
				     n->id, d->id);
	out->unreliable = d->shown < min_denominator;
	out->pct = 100.0 * (double)n->shown / (double)d->shown;
	if (code_5_95 && out->pct < 5.0)
		out->code = BRAID_RATE_LT5;
	else if (code_5_95 && out->pct > 95.0)
		out->code = BRAID_RATE_GT95;
	return BRAID_OK;
}

void braid_rate_format(const struct braid_rate *r, char *out, size_t n)
{
	if (!n)
		return;
	switch (r->code) {
	case BRAID_RATE_LT5:
		snprintf(out, n, "<5%%");
		break;
	case BRAID_RATE_GT95:
		snprintf(out, n, ">95%%");
		break;
	case BRAID_RATE_SHOWN:
		snprintf(out, n, "%.1f%%", r->pct);
		break;
	default:
		out[0] = 0;
	}
}
