/*
 * audit.c — the interval audit.  For every primary (sensitive) cell of a
 * release, and of the earlier releases in the ledger, it computes the
 * smallest and largest value that cell can take given every published
 * number and every additive constraint, all cells non-negative: two linear
 * programs per cell, solved with GLPK's simplex.  Published cells become
 * constants, so each program has one variable per suppressed cell, and the
 * system is split into independent components (suppressed cells linked by
 * constraints) so that programs stay small; within a component the basis
 * of one solve warm-starts the next.
 *
 * Deliberately not done: integer programming.  The LP interval contains the
 * integer one, so it can overstate protection where the constraint matrix
 * is not totally unimodular (two-way tables and hierarchies are; many
 * linked tables may not be) — docs/releases.md says so.
 */
#include "release_int.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- system */

void braid__sys_release(struct braid__sys *s)
{
	free(s->known);
	free(s->val);
	free(s->sens);
	free(s->id);
	free(s->lmap);
	free(s->con_total);
	free(s->con_off);
	free(s->parts);
	memset(s, 0, sizeof *s);
}

braid_rc braid__sys_build(struct braid__sys *s, const struct braid_cellset *cs,
			  const struct braid_ledger *ledger,
			  struct braid_err *err)
{
	memset(s, 0, sizeof *s);
	const struct braid_cellset *lc = ledger ? ledger->cs : NULL;
	size_t nl = lc ? lc->n : 0;
	size_t nv = cs->n + nl; /* upper bound */
	size_t ncon = cs->ncon + (lc ? lc->ncon : 0);
	size_t np = cs->nparts + (lc ? lc->nparts : 0);
	s->ncur = cs->n;
	s->known = calloc(nv ? nv : 1, 1);
	s->sens = calloc(nv ? nv : 1, 1);
	s->val = calloc(nv ? nv : 1, sizeof *s->val);
	s->id = calloc(nv ? nv : 1, sizeof *s->id);
	s->lmap = calloc(nl ? nl : 1, sizeof *s->lmap);
	s->con_total = calloc(ncon ? ncon : 1, sizeof *s->con_total);
	s->con_off = calloc(ncon + 1, sizeof *s->con_off);
	s->parts = calloc(np ? np : 1, sizeof *s->parts);
	if (!s->known || !s->sens || !s->val || !s->id || !s->lmap ||
	    !s->con_total || !s->con_off || !s->parts) {
		braid__sys_release(s);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct braid_cell *c = &cs->cells[i];
		s->id[i] = c->id;
		s->known[i] = c->status == BRAID_CELL_SHOWN;
		s->val[i] = c->shown;
		s->sens[i] = c->status == BRAID_CELL_PRIMARY;
	}
	s->nvar = cs->n;
	for (size_t j = 0; j < nl; j++) {
		const struct braid_cell *c = &lc->cells[j];
		size_t v = braid_cellset_find(cs, c->id);
		if (v == SIZE_MAX) {
			v = s->nvar++;
			s->id[v] = c->id;
		} else if (c->status == BRAID_CELL_SHOWN && s->known[v] &&
			   s->val[v] != c->shown) {
			braid_err_set(err, BRAID_EINVAL,
				      "cell '%s' was published earlier with a different value",
				      c->id);
			braid__sys_release(s);
			return BRAID_EINVAL;
		}
		s->lmap[j] = v;
		if (c->status == BRAID_CELL_SHOWN) {
			s->known[v] = 1;
			s->val[v] = c->shown;
		} else if (c->status == BRAID_CELL_PRIMARY)
			s->sens[v] = 1;
	}
	size_t k = 0, q = 0;
	for (size_t c = 0; c < cs->ncon; c++, k++) {
		s->con_total[k] = cs->con_total[c];
		for (size_t j = cs->con_off[c]; j < cs->con_off[c + 1]; j++)
			s->parts[q++] = cs->parts[j];
		s->con_off[k + 1] = q;
	}
	for (size_t c = 0; lc && c < lc->ncon; c++, k++) {
		s->con_total[k] = s->lmap[lc->con_total[c]];
		for (size_t j = lc->con_off[c]; j < lc->con_off[c + 1]; j++)
			s->parts[q++] = s->lmap[lc->parts[j]];
		s->con_off[k + 1] = q;
	}
	s->ncon = k;
	return BRAID_OK;
}

/* ---------------------------------------------------------------- audit */

void braid_audit_init(struct braid_audit *a)
{
	memset(a, 0, sizeof *a);
	a->min_width = INFINITY;
}

void braid_audit_release(struct braid_audit *a)
{
	free(a->cells);
	braid_audit_init(a);
}

static size_t uf_find(size_t *p, size_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}

struct term {
	size_t var;
	double coef;
};

static int cmp_term(const void *a, const void *b)
{
	size_t x = ((const struct term *)a)->var, y = ((const struct term *)b)->var;
	return x < y ? -1 : x > y;
}

struct audit_ctx {
	const struct braid__sys *s;
	size_t *uf;       /* union-find over vars */
	size_t *col;      /* var -> column in its component's LP (1-based) */
	double *rhs;      /* per constraint, after substituting knowns */
	size_t *nunk;     /* unknowns per constraint */
	struct term *terms;
};

static double solve(glp_prob *lp, int dir, int col, int ncols, size_t *nlp,
		    int *ok)
{
	(void)ncols;
	/* The caller zeroes the coefficient after both directions. */
	glp_set_obj_dir(lp, dir);
	glp_set_obj_coef(lp, col, 1.0);
	glp_smcp parm;
	glp_init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.presolve = GLP_OFF;
	(*nlp)++;
	if (glp_simplex(lp, &parm) != 0) {
		/* A singular warm basis: rebuild it and try once more. */
		glp_adv_basis(lp, 0);
		if (glp_simplex(lp, &parm) != 0) {
			*ok = 0;
			return 0;
		}
	}
	int st = glp_get_status(lp);
	if (st == GLP_UNBND)
		return dir == GLP_MAX ? INFINITY : -INFINITY;
	if (st != GLP_OPT) {
		*ok = 0;
		return 0;
	}
	return glp_get_obj_val(lp);
}

/* Widen each column's seen range with the current basic solution when it
 * is feasible (an unbounded max still ends on a feasible vertex). */
static void seen_update(glp_prob *lp, size_t ncols, double *lo, double *hi)
{
	if (glp_get_prim_stat(lp) != GLP_FEAS)
		return;
	for (size_t j = 1; j <= ncols; j++) {
		double x = glp_get_col_prim(lp, (int)j);
		if (x < lo[j])
			lo[j] = x;
		if (x > hi[j])
			hi[j] = x;
	}
}

/* What a reader knows bounds a hidden count from below: 0, or 1 when the
 * release shows zeros.  A suppressed true zero (primary from the ledger)
 * keeps 0: the reader's rule does not hold for it and the program would
 * be infeasible. */
static double lower_bound(const struct braid__sys *s,
			  const struct braid_cellset *cs, size_t v,
			  unsigned flags)
{
	if ((flags & BRAID_AUDIT_ZEROS_SHOWN) && v < s->ncur && cs->cells[v].value > 0)
		return 1.0;
	return 0.0;
}

#ifndef BATCH_LPS
#define BATCH_LPS 16
#endif

/* A few LPs whose objectives move many sensitive cells at once (all up,
 * all down, then mixed signs): their optima are feasible points that
 * certify most cells before any per-cell LP. */
static void batch_points(glp_prob *lp, const struct braid__sys *s,
			 const size_t *mem, size_t nmem, const size_t *col,
			 double *lo, double *hi, size_t *nlp)
{
	glp_smcp parm;
	glp_init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.presolve = GLP_OFF;
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < BATCH_LPS; round++) {
		for (size_t m = 0; m < nmem; m++) {
			double c = 0;
			if (s->sens[mem[m]]) {
				h ^= h << 13, h ^= h >> 7, h ^= h << 17;
				c = round < 2 ? 1.0 : (h & 1 ? 1.0 : -1.0);
			}
			glp_set_obj_coef(lp, (int)col[mem[m]], c);
		}
		glp_set_obj_dir(lp, round == 1 ? GLP_MIN : GLP_MAX);
		(*nlp)++;
		if (glp_simplex(lp, &parm) == 0)
			seen_update(lp, nmem, lo, hi);
	}
	for (size_t m = 0; m < nmem; m++)
		glp_set_obj_coef(lp, (int)col[mem[m]], 0.0);
}

braid_rc braid_release_audit(const struct braid_cellset *cs,
			     const struct braid_ledger *ledger,
			     int64_t protection, unsigned flags,
			     struct braid_audit *out, struct braid_err *err)
{
	struct braid__sys s;
	braid_audit_release(out);
	braid_rc rc = braid__sys_build(&s, cs, ledger, err);
	if (rc)
		return rc;
	glp_term_out(GLP_OFF);
	size_t nv = s.nvar, nc = s.ncon;
	struct audit_ctx a = {&s, NULL, NULL, NULL, NULL, NULL};
	size_t maxlen = 1;
	for (size_t k = 0; k < nc; k++)
		if (s.con_off[k + 1] - s.con_off[k] + 1 > maxlen)
			maxlen = s.con_off[k + 1] - s.con_off[k] + 1;
	a.uf = braid_reallocarray(NULL, nv ? nv : 1, sizeof *a.uf);
	a.col = calloc(nv ? nv : 1, sizeof *a.col);
	a.rhs = calloc(nc ? nc : 1, sizeof *a.rhs);
	a.nunk = calloc(nc ? nc : 1, sizeof *a.nunk);
	a.terms = braid_reallocarray(NULL, maxlen, sizeof *a.terms);
	size_t nsens = 0;
	for (size_t v = 0; v < nv; v++)
		nsens += s.sens[v] && !s.known[v];
	size_t nsens_all = 0;
	for (size_t v = 0; v < nv; v++)
		nsens_all += s.sens[v];
	out->cells = calloc(nsens_all ? nsens_all : 1, sizeof *out->cells);
	size_t *members = braid_reallocarray(NULL, nv ? nv : 1, sizeof *members);
	size_t *cstart = calloc(nv + 1, sizeof *cstart);
	size_t *crow = braid_reallocarray(NULL, nc ? nc : 1, sizeof *crow);
	size_t *rstart = calloc(nv + 1, sizeof *rstart);
	int *ia = NULL, *ja = NULL;
	double *ar = NULL, *seen_lo = NULL, *seen_hi = NULL;
	const double need = (double)protection - 1e-6;
	if (!a.uf || !a.col || !a.rhs || !a.nunk || !a.terms || !out->cells ||
	    !members || !cstart || !crow || !rstart) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t v = 0; v < nv; v++)
		a.uf[v] = v;
	/* Substitute published values; link the unknowns of each constraint. */
	for (size_t k = 0; k < nc; k++) {
		double rhs = 0;
		size_t first = SIZE_MAX, t = s.con_total[k];
		if (s.known[t])
			rhs -= (double)s.val[t];
		else
			first = t, a.nunk[k]++;
		for (size_t j = s.con_off[k]; j < s.con_off[k + 1]; j++) {
			size_t v = s.parts[j];
			if (s.known[v])
				rhs += (double)s.val[v];
			else {
				a.nunk[k]++;
				if (first == SIZE_MAX)
					first = v;
				else
					a.uf[uf_find(a.uf, v)] = uf_find(a.uf, first);
			}
		}
		a.rhs[k] = rhs;
		if (!a.nunk[k] && rhs != 0) {
			rc = braid_err_set(err, BRAID_EINVAL,
					   "published cells contradict each other at '%s'",
					   s.id[t]);
			goto out;
		}
	}
	/* Group unknown vars and constraints by component (counting sort). */
	for (size_t v = 0; v < nv; v++)
		if (!s.known[v])
			cstart[uf_find(a.uf, v) + 1]++;
	for (size_t v = 0; v < nv; v++)
		cstart[v + 1] += cstart[v];
	{
		size_t *fill = calloc(nv ? nv : 1, sizeof *fill);
		if (!fill) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t v = 0; v < nv; v++)
			if (!s.known[v]) {
				size_t r = uf_find(a.uf, v);
				members[cstart[r] + fill[r]++] = v;
			}
		free(fill);
	}
	for (size_t k = 0; k < nc; k++)
		if (a.nunk[k]) {
			size_t t = s.con_total[k];
			size_t v = s.known[t] ? SIZE_MAX : t;
			for (size_t j = s.con_off[k]; v == SIZE_MAX; j++)
				if (!s.known[s.parts[j]])
					v = s.parts[j];
			rstart[uf_find(a.uf, v) + 1]++;
		}
	for (size_t v = 0; v < nv; v++)
		rstart[v + 1] += rstart[v];
	{
		size_t *fill = calloc(nv ? nv : 1, sizeof *fill);
		if (!fill) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < nc; k++)
			if (a.nunk[k]) {
				size_t t = s.con_total[k];
				size_t v = s.known[t] ? SIZE_MAX : t;
				for (size_t j = s.con_off[k]; v == SIZE_MAX; j++)
					if (!s.known[s.parts[j]])
						v = s.parts[j];
				size_t r = uf_find(a.uf, v);
				crow[rstart[r] + fill[r]++] = k;
			}
		free(fill);
	}
	/* A sensitive cell that was published (here or earlier) has an
	 * interval of width zero. */
	for (size_t v = 0; v < nv; v++)
		if (s.sens[v] && s.known[v]) {
			struct braid_audit_cell *c = &out->cells[out->n++];
			c->id = s.id[v];
			c->cell = v < s.ncur ? v : SIZE_MAX;
			c->lo = c->hi = (double)s.val[v];
			c->exact = 1;
		}
	for (size_t r = 0; r < nv; r++) {
		size_t nmem = cstart[r + 1] - cstart[r];
		if (!nmem)
			continue;
		int has_sens = 0, has_cur = 0;
		for (size_t m = cstart[r]; m < cstart[r + 1]; m++) {
			has_sens |= s.sens[members[m]];
			has_cur |= members[m] < s.ncur;
		}
		/* A component whose cells and sums all belong to earlier
		 * releases is as it was when the release that last touched it
		 * was audited: the ledger grows only by audited releases, and a
		 * new relation always names a cell of this release. */
		for (size_t i = rstart[r]; !has_cur && i < rstart[r + 1]; i++) {
			size_t k = crow[i];
			has_cur |= s.con_total[k] < s.ncur;
			for (size_t j = s.con_off[k]; !has_cur && j < s.con_off[k + 1]; j++)
				has_cur |= s.parts[j] < s.ncur;
		}
		if (!has_sens || (!has_cur && (flags & BRAID_AUDIT_SKIP_OLD)))
			continue;
		size_t nrow = rstart[r + 1] - rstart[r];
		if (nrow == 0) {
			/* isolated unknowns: anything from 0 up */
			for (size_t m = cstart[r]; m < cstart[r + 1]; m++)
				if (s.sens[members[m]]) {
					struct braid_audit_cell *c = &out->cells[out->n++];
					c->id = s.id[members[m]];
					c->cell = members[m] < s.ncur ? members[m] : SIZE_MAX;
					c->lo = lower_bound(&s, cs, members[m], flags);
					c->hi = INFINITY;
					c->exact = 1;
				}
			continue;
		}
		for (size_t m = cstart[r]; m < cstart[r + 1]; m++)
			a.col[members[m]] = m - cstart[r] + 1;
		size_t ne = 0;
		for (size_t i = rstart[r]; i < rstart[r + 1]; i++)
			ne += a.nunk[crow[i]];
		free(ia);
		free(ja);
		free(ar);
		ia = braid_reallocarray(NULL, ne + 1, sizeof *ia);
		ja = braid_reallocarray(NULL, ne + 1, sizeof *ja);
		ar = braid_reallocarray(NULL, ne + 1, sizeof *ar);
		if (!ia || !ja || !ar) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		glp_prob *lp = glp_create_prob();
		glp_add_rows(lp, (int)nrow);
		glp_add_cols(lp, (int)nmem);
		for (size_t m = cstart[r]; m < cstart[r + 1]; m++)
			glp_set_col_bnds(lp, (int)a.col[members[m]], GLP_LO,
					 lower_bound(&s, cs, members[m], flags), 0.0);
		size_t e = 0;
		for (size_t i = 0; i < nrow; i++) {
			size_t k = crow[rstart[r] + i];
			size_t nt = 0, t = s.con_total[k];
			/* total - sum(parts) = 0, knowns moved to the right */
			if (!s.known[t])
				a.terms[nt++] = (struct term){t, 1.0};
			for (size_t j = s.con_off[k]; j < s.con_off[k + 1]; j++)
				if (!s.known[s.parts[j]])
					a.terms[nt++] = (struct term){s.parts[j], -1.0};
			/* GLPK refuses duplicate entries: merge a cell named
			 * twice in one constraint. */
			qsort(a.terms, nt, sizeof *a.terms, cmp_term);
			size_t w = 0;
			for (size_t x = 0; x < nt; x++) {
				if (w && a.terms[w - 1].var == a.terms[x].var)
					a.terms[w - 1].coef += a.terms[x].coef;
				else
					a.terms[w++] = a.terms[x];
			}
			for (size_t x = 0; x < w; x++) {
				if (a.terms[x].coef == 0)
					continue;
				e++;
				ia[e] = (int)(i + 1);
				ja[e] = (int)a.col[a.terms[x].var];
				ar[e] = a.terms[x].coef;
			}
			glp_set_row_bnds(lp, (int)(i + 1), GLP_FX, a.rhs[k], a.rhs[k]);
		}
		glp_load_matrix(lp, (int)e, ia, ja, ar);
		free(seen_lo);
		free(seen_hi);
		seen_lo = braid_reallocarray(NULL, nmem + 1, sizeof *seen_lo);
		seen_hi = braid_reallocarray(NULL, nmem + 1, sizeof *seen_hi);
		if (!seen_lo || !seen_hi) {
			glp_delete_prob(lp);
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		/* The true values are one feasible point (ledger-only cells
		 * have none here). */
		for (size_t m = cstart[r]; m < cstart[r + 1]; m++) {
			size_t v = members[m], j = a.col[v];
			seen_lo[j] = v < s.ncur ? (double)cs->cells[v].value : INFINITY;
			seen_hi[j] = v < s.ncur ? (double)cs->cells[v].value : -INFINITY;
		}
		batch_points(lp, &s, members + cstart[r], nmem, a.col,
				     seen_lo, seen_hi, &out->n_lp);
		for (size_t m = cstart[r]; m < cstart[r + 1]; m++) {
			size_t v = members[m];
			if (!s.sens[v])
				continue;
			int ok = 1, j = (int)a.col[v];
			struct braid_audit_cell *c = &out->cells[out->n++];
			c->id = s.id[v];
			c->cell = v < s.ncur ? v : SIZE_MAX;
			if (!(flags & BRAID_AUDIT_EXACT) && seen_hi[j] - seen_lo[j] >= need) {
				c->lo = seen_lo[j];
				c->hi = seen_hi[j];
				continue;
			}
			c->hi = solve(lp, GLP_MAX, j, (int)nmem, &out->n_lp, &ok);
			seen_update(lp, nmem, seen_lo, seen_hi);
			if (ok && !(flags & BRAID_AUDIT_EXACT) && c->hi - seen_lo[j] >= need) {
				c->lo = seen_lo[j];
			} else if (ok && seen_lo[j] <= lower_bound(&s, cs, v, flags) + 1e-9) {
				/* a feasible point at the lower bound is the
				 * minimum */
				c->lo = lower_bound(&s, cs, v, flags);
				c->exact = 1;
			} else {
				c->lo = solve(lp, GLP_MIN, j, (int)nmem, &out->n_lp, &ok);
				seen_update(lp, nmem, seen_lo, seen_hi);
				c->exact = 1;
			}
			glp_set_obj_coef(lp, j, 0.0);
			if (!ok) {
				glp_delete_prob(lp);
				/* the truth is a solution, so this is a ledger or
				 * table that contradicts itself */
				rc = braid_err_set(err, BRAID_EINVAL,
						   "audit: the published numbers admit no non-negative value for cell '%s' (inconsistent ledger or table)",
						   c->id);
				goto out;
			}
		}
		glp_delete_prob(lp);
	}
	for (size_t i = 0; i < out->n; i++) {
		struct braid_audit_cell *c = &out->cells[i];
		double w = c->hi - c->lo;
		/* LP optima are floating point: forgive rounding, not widths. */
		c->ok = w >= (double)protection - 1e-6;
		if (!c->ok)
			out->n_failed++;
		if (w < out->min_width)
			out->min_width = w;
	}
out:
	free(a.uf);
	free(a.col);
	free(a.rhs);
	free(a.nunk);
	free(a.terms);
	free(members);
	free(cstart);
	free(crow);
	free(rstart);
	free(ia);
	free(ja);
	free(ar);
	free(seen_lo);
	free(seen_hi);
	braid__sys_release(&s);
	return rc;
}

braid_rc braid_release_verify(const struct braid_cellset *cs,
			      const struct braid_ledger *ledger,
			      int64_t protection, unsigned flags,
			      struct braid_err *err)
{
	struct braid_audit a;
	braid_audit_init(&a);
	braid_rc rc = braid_release_audit(cs, ledger, protection, flags, &a, err);
	for (size_t i = 0; !rc && i < a.n; i++)
		if (!a.cells[i].ok) {
			rc = braid_err_set(err, BRAID_EDENIED,
					   "refusing to publish: suppressed cell '%s' can be narrowed to an interval of width %.1f (protection requires %lld)",
					   a.cells[i].id, a.cells[i].hi - a.cells[i].lo,
					   (long long)protection);
		}
	braid_audit_release(&a);
	return rc;
}
