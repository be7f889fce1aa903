/*
 * noise.c — optional differential privacy for count tables: integer noise
 * from the discrete Laplace (two-sided geometric) or the discrete Gaussian
 * distribution, random bits from libsodium (randombytes, or a seeded
 * ChaCha20 stream for tests), a per-agreement epsilon budget that refuses
 * once spent, and post-processing to non-negative, consistent totals.
 *
 * Post-processing is the simple kind: noise the leaves (cells that are no
 * constraint's total), clamp at zero, and add up.  It is consistent and
 * costs no extra budget, but clamping biases small cells upward and totals
 * carry the noise of all their leaves; least-squares estimation is not done.
 * Samplers draw from doubles (53-bit uniforms), not the exact-arithmetic
 * samplers of Canonne-Kamath-Steinke: the floating-point tail is not
 * guaranteed (see docs/releases.md).
 */
#include "release_int.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- random */

braid_rc braid_rng_init_secure(struct braid_rng *r, struct braid_err *err)
{
	memset(r, 0, sizeof *r);
	if (sodium_init() < 0)
		return braid_err_set(err, BRAID_ECRYPTO, "libsodium failed to initialise");
	r->pos = sizeof r->buf;
	return BRAID_OK;
}

void braid_rng_init_seeded(struct braid_rng *r, uint64_t seed)
{
	memset(r, 0, sizeof *r);
	/* hashing and ChaCha20 need no initialisation; randombytes does */
	int init = sodium_init();
	(void)init;
	unsigned char s[8];
	for (int i = 0; i < 8; i++)
		s[i] = (unsigned char)(seed >> (8 * i));
	crypto_generichash(r->key, sizeof r->key, s, sizeof s, NULL, 0);
	r->seeded = 1;
	r->pos = sizeof r->buf;
}

static void refill(struct braid_rng *r)
{
	if (r->seeded) {
		static const unsigned char zero[64];
		unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
		crypto_stream_chacha20_ietf_xor_ic(r->buf, zero, sizeof r->buf, nonce,
						   r->block++, r->key);
	} else {
		randombytes_buf(r->buf, sizeof r->buf);
	}
	r->pos = 0;
}

uint64_t braid_rng_u64(struct braid_rng *r)
{
	if (r->pos + 8 > sizeof r->buf)
		refill(r);
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x |= (uint64_t)r->buf[r->pos + (size_t)i] << (8 * i);
	r->pos += 8;
	return x;
}

double braid_rng_unit(struct braid_rng *r)
{
	return (double)((braid_rng_u64(r) >> 11) + 1) * 0x1p-53;
}

/* ---------------------------------------------------------------- samplers */

/* P(G = k) = (1-q) q^k with q = exp(-1/t): P(G >= k) = q^k = P(U <= q^k). */
static int64_t geometric(struct braid_rng *r, double t)
{
	double g = floor(-t * log(braid_rng_unit(r)));
	return g > 4e18 ? (int64_t)4e18 : (int64_t)g;
}

int64_t braid_noise_dlaplace(struct braid_rng *r, double t)
{
	return geometric(r, t) - geometric(r, t);
}

double braid_noise_dlaplace_pmf(int64_t k, double t)
{
	double q = exp(-1.0 / t);
	return (1 - q) / (1 + q) * pow(q, (double)llabs(k));
}

/* Canonne, Kamath, Steinke (2020), Algorithm 3: discrete Laplace
 * proposals with t = floor(sigma) + 1, accepted with probability
 * exp(-(|y| - sigma^2/t)^2 / (2 sigma^2)). */
int64_t braid_noise_dgauss(struct braid_rng *r, double sigma)
{
	double t = floor(sigma) + 1, s2 = sigma * sigma;
	for (;;) {
		int64_t y = braid_noise_dlaplace(r, t);
		double d = (double)llabs(y) - s2 / t;
		if (braid_rng_unit(r) <= exp(-d * d / (2 * s2)))
			return y;
	}
}

double braid_noise_dgauss_pmf(int64_t k, double sigma)
{
	double s2 = sigma * sigma, z = 0;
	long K = (long)ceil(sigma * 40) + 10;
	for (long i = -K; i <= K; i++)
		z += exp(-(double)i * (double)i / (2 * s2));
	return exp(-(double)k * (double)k / (2 * s2)) / z;
}

/* ---------------------------------------------------------------- budget */

void braid_budget_init(struct braid_budget *b, const char *agreement,
		       double total)
{
	memset(b, 0, sizeof *b);
	size_t n = agreement ? strlen(agreement) : 0;
	if (n >= sizeof b->agreement)
		n = sizeof b->agreement - 1;
	if (n)
		memcpy(b->agreement, agreement, n);
	b->total = total;
}

/* Spending to exactly the total must work despite float sums of steps. */
#define BUDGET_SLACK 1e-9

static braid_rc budget_check(const struct braid_budget *b, double eps,
			     struct braid_err *err)
{
	if (!(eps > 0) || !isfinite(eps))
		return braid_err_set(err, BRAID_EINVAL, "epsilon must be a positive number");
	if (b->spent + eps > b->total + BUDGET_SLACK)
		return braid_err_set(err, BRAID_EDENIED,
				     "privacy budget of agreement '%s' exhausted: %.4g of %.4g spent, %.4g asked",
				     b->agreement, b->spent, b->total, eps);
	return BRAID_OK;
}

braid_rc braid_budget_spend(struct braid_budget *b, double eps,
			    struct braid_err *err)
{
	braid_rc rc = budget_check(b, eps, err);
	if (rc == BRAID_OK)
		b->spent += eps;
	return rc;
}

/* ---------------------------------------------------------------- apply */

braid_rc braid_release_add_noise(struct braid_cellset *cs,
				 const struct braid_noise_opts *opt,
				 struct braid_budget *budget,
				 struct braid_rng *rng, double *scale_out,
				 struct braid_err *err)
{
	double sens = opt->sensitivity ? (double)opt->sensitivity : 1.0, scale;
	if (opt->mech == BRAID_NOISE_DLAPLACE) {
		scale = sens / opt->epsilon;
	} else if (opt->mech == BRAID_NOISE_DGAUSS) {
		if (!(opt->delta > 0 && opt->delta < 1))
			return braid_err_set(err, BRAID_EINVAL,
					     "discrete Gaussian needs delta in (0, 1)");
		/* the classical Gaussian-mechanism calibration, L2 sensitivity
		 * sqrt(sens) for sens leaves changed by one */
		scale = sqrt(2 * log(1.25 / opt->delta)) * sqrt(sens) / opt->epsilon;
	} else {
		return braid_err_set(err, BRAID_EINVAL, "unknown noise mechanism");
	}
	braid_rc rc = budget_check(budget, opt->epsilon, err);
	if (rc)
		return rc;
	int64_t *val = braid_reallocarray(NULL, cs->n ? cs->n : 1, sizeof *val);
	double *var = calloc(cs->n ? cs->n : 1, sizeof *var);
	unsigned char *done = calloc(cs->n ? cs->n : 1, 1);
	/* per-leaf noise variance: 2q/(1-q)^2 for the discrete Laplace; the
	 * discrete Gaussian's is just under sigma^2 */
	double q = exp(-1.0 / scale);
	double leaf_var = opt->mech == BRAID_NOISE_DLAPLACE ? 2 * q / ((1 - q) * (1 - q))
							    : scale * scale;
	if (!val || !var || !done) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < cs->ncon; k++)
		done[cs->con_total[k]] = 2; /* a total: derived below */
	for (size_t i = 0; i < cs->n; i++) {
		if (done[i])
			continue;
		int64_t z = opt->mech == BRAID_NOISE_DLAPLACE
			? braid_noise_dlaplace(rng, scale)
			: braid_noise_dgauss(rng, scale);
		int64_t x = cs->cells[i].value + z;
		val[i] = x < 0 ? 0 : x;
		var[i] = leaf_var;
		done[i] = 1;
	}
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t k = 0; k < cs->ncon; k++) {
			size_t t = cs->con_total[k];
			if (done[t] == 1)
				continue;
			int64_t s = 0;
			double sv = 0;
			size_t j = cs->con_off[k];
			for (; j < cs->con_off[k + 1] && done[cs->parts[j]] == 1; j++) {
				s += val[cs->parts[j]];
				sv += var[cs->parts[j]];
			}
			if (j < cs->con_off[k + 1])
				continue;
			val[t] = s;
			var[t] = sv;
			done[t] = 1;
			changed = 1;
		}
	}
	for (size_t i = 0; i < cs->n; i++)
		if (done[i] != 1) {
			rc = braid_err_set(err, BRAID_EINVAL,
					   "noise: total '%s' is not a sum of leaves (cyclic constraints)",
					   cs->cells[i].id);
			goto out;
		}
	/* A total defined twice by different breakdowns of the same people
	 * (two tables sharing a margin) cannot be made consistent by adding
	 * up: refuse before anything is spent or published. */
	for (size_t k = 0; k < cs->ncon; k++) {
		int64_t s = 0;
		for (size_t j = cs->con_off[k]; j < cs->con_off[k + 1]; j++)
			s += val[cs->parts[j]];
		if (s != val[cs->con_total[k]]) {
			rc = braid_err_set(err, BRAID_EINVAL,
					   "noise: cell '%s' is the total of two different breakdowns; noise each table as its own release",
					   cs->cells[cs->con_total[k]].id);
			goto out;
		}
	}
	if ((rc = braid_budget_spend(budget, opt->epsilon, err)))
		goto out;
	double rse = opt->max_rse > 0 ? opt->max_rse : 0.3;
	for (size_t i = 0; i < cs->n; i++) {
		cs->cells[i].shown = val[i];
		cs->cells[i].flags |= BRAID_CELLF_NOISE;
		cs->cells[i].flags &= (uint8_t)~BRAID_CELLF_UNRELIABLE;
		/* statistical advice only: the number is still published */
		if (sqrt(var[i]) > rse * (double)val[i])
			cs->cells[i].flags |= BRAID_CELLF_UNRELIABLE;
	}
	if (scale_out)
		*scale_out = scale;
out:
	free(val);
	free(var);
	free(done);
	return rc;
}
