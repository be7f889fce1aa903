/*
 * suppress.c — primary and complementary cell suppression.  Primary: every
 * count below the agreement's minimum (zeros too unless allowed) and every
 * cell an earlier release suppressed as primary.  Complementary: to a fixed
 * point, every additive constraint (this release's and the ledger's) with
 * exactly one unpublished cell gets its cheapest other cell suppressed;
 * then the LP audit runs, and each cell it finds too narrow gets the
 * cheapest further suppression next to it, until the audit passes.
 *
 * "Cheapest" is a heuristic (smallest count that can still absorb the
 * protection, else the largest smaller one), not an optimal pattern: the
 * optimal one is an integer program and not worth its cost here.  Cells
 * published by an earlier release can never be suppressed again.
 */
#include "release_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t prot_of(const struct braid_protect_opts *o)
{
	return o->protection > 0 ? o->protection : o->min_cell;
}

braid_rc braid_suppress_primary(struct braid_cellset *cs,
				const struct braid_protect_opts *opt,
				const struct braid_ledger *ledger,
				struct braid_err *err)
{
	if (opt->min_cell < 1)
		return braid_err_set(err, BRAID_EINVAL, "min_cell must be at least 1");
	for (size_t i = 0; i < cs->n; i++) {
		struct braid_cell *c = &cs->cells[i];
		c->status = BRAID_CELL_SHOWN;
		c->flags &= (uint8_t)~BRAID_CELLF_LEDGER;
		if ((c->value > 0 || !opt->allow_zero) && c->value < opt->min_cell)
			c->status = BRAID_CELL_PRIMARY;
		if (ledger) {
			size_t j = braid_cellset_find(ledger->cs, c->id);
			if (j != SIZE_MAX &&
			    ledger->cs->cells[j].status == BRAID_CELL_PRIMARY) {
				c->status = BRAID_CELL_PRIMARY;
				c->flags |= BRAID_CELLF_LEDGER;
			}
		}
	}
	return BRAID_OK;
}

/* Var -> constraints incidence (CSR) over a built system. */
struct incid {
	size_t *off, *con;
};

static braid_rc incid_build(struct incid *in, const struct braid__sys *s)
{
	size_t np = s->con_off[s->ncon] + s->ncon;
	in->off = calloc(s->nvar + 1, sizeof *in->off);
	in->con = braid_reallocarray(NULL, np ? np : 1, sizeof *in->con);
	size_t *fill = calloc(s->nvar ? s->nvar : 1, sizeof *fill);
	if (!in->off || !in->con || !fill) {
		free(fill);
		return BRAID_ENOMEM;
	}
	for (size_t k = 0; k < s->ncon; k++) {
		in->off[s->con_total[k] + 1]++;
		for (size_t j = s->con_off[k]; j < s->con_off[k + 1]; j++)
			in->off[s->parts[j] + 1]++;
	}
	for (size_t v = 0; v < s->nvar; v++)
		in->off[v + 1] += in->off[v];
	for (size_t k = 0; k < s->ncon; k++) {
		size_t t = s->con_total[k];
		in->con[in->off[t] + fill[t]++] = k;
		for (size_t j = s->con_off[k]; j < s->con_off[k + 1]; j++) {
			size_t v = s->parts[j];
			in->con[in->off[v] + fill[v]++] = k;
		}
	}
	free(fill);
	return BRAID_OK;
}

static void incid_release(struct incid *in)
{
	free(in->off);
	free(in->con);
}

/* Lower is cheaper: a partner must be able to move by the protection, so
 * the smallest count >= p is best; below p, larger is better. */
static double cost(int64_t v, int64_t p)
{
	return v >= p ? (double)v : 1e15 - (double)v;
}

/* The cheapest cell of constraint k that may still be suppressed: a cell of
 * this release, shown, and not published by an earlier release. */
static size_t cheapest_in(const struct braid__sys *s,
			  const struct braid_cellset *cs,
			  const unsigned char *ledger_known, size_t k,
			  int64_t p, int zeros_shown)
{
	size_t best = SIZE_MAX;
	double bc = INFINITY;
	for (size_t j = s->con_off[k]; j <= s->con_off[k + 1]; j++) {
		size_t v = j < s->con_off[k + 1] ? s->parts[j] : s->con_total[k];
		if (v >= s->ncur || s->known[v] == 0 || ledger_known[v])
			continue;
		/* where zeros are shown, a hidden zero would break the
		 * reader's (and the audit's) "hidden means at least 1" */
		if (zeros_shown && cs->cells[v].value == 0)
			continue;
		double c = cost(cs->cells[v].value, p);
		if (c < bc) {
			bc = c;
			best = v;
		}
	}
	return best;
}

static void mark(struct braid_cellset *cs, struct braid__sys *s, size_t v)
{
	cs->cells[v].status = BRAID_CELL_COMPLEMENT;
	s->known[v] = 0;
}

/* Which vars the ledger published (they stay known whatever we do). */
static unsigned char *ledger_known_of(const struct braid__sys *s,
				      const struct braid_cellset *cs)
{
	unsigned char *lk = calloc(s->nvar ? s->nvar : 1, 1);
	if (!lk)
		return NULL;
	for (size_t v = 0; v < s->nvar; v++)
		lk[v] = s->known[v] &&
			(v >= s->ncur || cs->cells[v].status != BRAID_CELL_SHOWN);
	return lk;
}

/* Constraint k has a published total and a sensitive unpublished part,
 * and its unpublished parts sum (true values) to less than p. */
static int sum_too_small(const struct braid__sys *s,
			 const struct braid_cellset *cs, size_t k, int64_t p)
{
	if (!s->known[s->con_total[k]])
		return 0;
	int sens = 0;
	int64_t sum = 0;
	for (size_t j = s->con_off[k]; j < s->con_off[k + 1]; j++) {
		size_t v = s->parts[j];
		if (s->known[v])
			continue;
		if (v >= s->ncur) /* an earlier release's cell: value unknown */
			return 0;
		sum += cs->cells[v].value;
		sens |= s->sens[v];
	}
	return sens && sum < p;
}

/* Two cheap rules, to a fixed point, before any LP:
 *  - a constraint with exactly one unpublished cell gives it away;
 *  - when a constraint's total is published, its unpublished parts sum to
 *    a known number S, so none of them can range wider than S: if one is
 *    sensitive and S < p, the pattern is too narrow already.
 * Each violation gets the constraint's cheapest other cell suppressed. */
static braid_rc singletons(struct braid_cellset *cs, struct braid__sys *s,
			   const unsigned char *lk, int64_t p, int zs)
{
	int changed = 1;
	while (changed) {
		changed = 0;
		for (size_t k = 0; k < s->ncon; k++) {
			size_t t = s->con_total[k];
			size_t unk = !s->known[t];
			int small = sum_too_small(s, cs, k, p);
			for (size_t j = s->con_off[k]; j < s->con_off[k + 1]; j++)
				unk += !s->known[s->parts[j]];
			if (unk == 0)
				continue;
			if (unk != 1 && !small)
				continue;
			size_t v = cheapest_in(s, cs, lk, k, p, zs);
			if (v != SIZE_MAX) {
				mark(cs, s, v);
				changed = 1;
			}
		}
	}
	return BRAID_OK;
}

braid_rc braid_suppress_complementary(struct braid_cellset *cs,
				      const struct braid_protect_opts *opt,
				      const struct braid_ledger *ledger,
				      struct braid_err *err)
{
	struct braid__sys s;
	braid_rc rc = braid__sys_build(&s, cs, ledger, err);
	if (rc)
		return rc;
	unsigned char *lk = ledger_known_of(&s, cs);
	if (!lk)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	else
		rc = singletons(cs, &s, lk, prot_of(opt), opt->allow_zero);
	free(lk);
	braid__sys_release(&s);
	return rc;
}

/* One more suppression next to failing var f: first in a constraint of f,
 * then in a constraint of a cell sharing one with f.  SIZE_MAX if none. */
static size_t widen(const struct braid__sys *s, const struct braid_cellset *cs,
		    const struct incid *in, const unsigned char *lk, size_t f,
		    int64_t p, int zs)
{
	size_t best = SIZE_MAX;
	double bc = INFINITY;
	for (int depth = 0; depth < 2 && best == SIZE_MAX; depth++) {
		for (size_t a = in->off[f]; a < in->off[f + 1]; a++) {
			size_t k = in->con[a];
			size_t n = s->con_off[k + 1] - s->con_off[k] + 1;
			for (size_t j = 0; j < (depth ? n : 1); j++) {
				size_t k2 = k;
				if (depth) {
					size_t g = j < n - 1 ? s->parts[s->con_off[k] + j] : s->con_total[k];
					if (s->known[g] || g == f)
						continue;
					for (size_t b = in->off[g]; b < in->off[g + 1]; b++) {
						size_t v = cheapest_in(s, cs, lk, in->con[b], p, zs);
						if (v != SIZE_MAX && cost(cs->cells[v].value, p) < bc) {
							bc = cost(cs->cells[v].value, p);
							best = v;
						}
					}
					continue;
				}
				size_t v = cheapest_in(s, cs, lk, k2, p, zs);
				if (v != SIZE_MAX && cost(cs->cells[v].value, p) < bc) {
					bc = cost(cs->cells[v].value, p);
					best = v;
				}
			}
		}
	}
	return best;
}

braid_rc braid_release_protect(struct braid_cellset *cs,
			       const struct braid_protect_opts *opt,
			       const struct braid_ledger *ledger,
			       struct braid_audit *audit,
			       struct braid_err *err)
{
	struct braid_audit local;
	struct braid_audit *a = audit ? audit : &local;
	braid_audit_init(&local);
	if (audit)
		braid_audit_release(audit);
	int64_t p = prot_of(opt);
	unsigned rounds = opt->max_rounds ? opt->max_rounds : 200;
	braid_rc rc = braid_suppress_primary(cs, opt, ledger, err);
	if (rc)
		return rc;
	for (unsigned round = 0;; round++) {
		struct braid__sys s;
		struct incid in = {NULL, NULL};
		unsigned char *lk = NULL;
		if ((rc = braid__sys_build(&s, cs, ledger, err)))
			break;
		lk = ledger_known_of(&s, cs);
		if (!lk || incid_build(&in, &s)) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto next;
		}
		singletons(cs, &s, lk, p, opt->allow_zero);
		if ((rc = braid_release_audit(cs, ledger, p,
						 (opt->allow_zero ? BRAID_AUDIT_ZEROS_SHOWN : 0) |
							 (opt->audit_flags & BRAID_AUDIT_SKIP_OLD),
						 a, err)))
			goto next;
		a->rounds = round + 1;
		if (a->n_failed == 0)
			goto next;
		size_t added = 0;
		const char *stuck = NULL;
		for (size_t i = 0; i < a->n; i++) {
			if (a->cells[i].ok)
				continue;
			size_t f = a->cells[i].cell;
			if (f == SIZE_MAX) /* ledger-only: find its var */
				for (size_t v = s.ncur; v < s.nvar; v++)
					if (s.id[v] == a->cells[i].id)
						f = v;
			if (f == SIZE_MAX || s.known[f]) {
				/* published (here by the ledger's say, or earlier):
				 * no suppression can take it back */
				stuck = a->cells[i].id;
				added = 0;
				break;
			}
			size_t v = widen(&s, cs, &in, lk, f, p, opt->allow_zero);
			if (v == SIZE_MAX) {
				if (!stuck)
					stuck = a->cells[i].id;
				continue;
			}
			mark(cs, &s, v);
			added++;
		}
		if (!stuck)
			for (size_t i = 0; i < a->n && !stuck; i++)
				if (!a->cells[i].ok)
					stuck = a->cells[i].id;
		if (!added || round + 1 >= rounds) {
			rc = braid_err_set(err, BRAID_EDENIED,
					   "cannot protect suppressed cell '%s': no suppression pattern widens its interval to %lld (published earlier?)",
					   stuck, (long long)p);
			goto next;
		}
	next:
		free(lk);
		incid_release(&in);
		braid__sys_release(&s);
		if (rc || a->n_failed == 0)
			break;
	}
	braid_audit_release(&local);
	return rc;
}
