/*
 * manifest.c — the release manifest: what was released (query, sources,
 * agreement, time), how (each method with its parameters: suppression and
 * its audit, noise and epsilon, percentage coding, row generalisation and
 * its risk report), what was suppressed or perturbed (cell ids, never
 * values; which suppressions are primary only in the internal copy), and a BLAKE2b-256 content hash of the published bytes, so that
 * anyone can check that a table is the one the manifest describes.
 *
 * It does not sign the manifest or write files (`braid release` does).
 */
#include "release_int.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static json_t *real_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *methods(const struct braid_manifest *m)
{
	json_t *o = json_object();
	if (m->protect) {
		const struct braid_protect_opts *p = m->protect;
		json_object_set_new(o, "primary_suppression",
				    json_pack("{s:I,s:b}", "min_cell", (json_int_t)p->min_cell,
					      "zeros_shown", p->allow_zero));
		json_t *c = json_pack("{s:I}", "protection",
				      (json_int_t)(p->protection > 0 ? p->protection : p->min_cell));
		if (m->audit) {
			const struct braid_audit *a = m->audit;
			/* a certified cell's width is a lower bound of its
			 * true width, hence "at least" */
			json_object_set_new(c, "audit",
					    json_pack("{s:s,s:I,s:I,s:I,s:o}",
						      "method", "LP interval bounds (GLPK simplex)",
						      "cells_audited", (json_int_t)a->n,
						      "cells_failed", (json_int_t)a->n_failed,
						      "linear_programs", (json_int_t)a->n_lp,
						      "narrowest_interval_at_least", real_or_null(a->min_width)));
		}
		json_object_set_new(o, "complementary_suppression", c);
	}
	if (m->noise) {
		const struct braid_noise_opts *n = m->noise;
		json_t *x = json_pack("{s:s,s:f,s:I,s:o,s:s}", "mechanism",
				      n->mech == BRAID_NOISE_DGAUSS ? "discrete_gaussian" : "discrete_laplace",
				      "epsilon", n->epsilon,
				      "sensitivity", (json_int_t)(n->sensitivity ? n->sensitivity : 1),
				      "scale", real_or_null(m->noise_scale),
				      "post_processing", "leaves clamped at 0, totals summed from leaves");
		if (n->mech == BRAID_NOISE_DGAUSS)
			json_object_set_new(x, "delta", json_real(n->delta));
		json_object_set_new(o, "noise", x);
	}
	if (m->code_5_95 || m->min_denominator)
		json_object_set_new(o, "percentages",
				    json_pack("{s:b,s:I}", "coded_5_95", m->code_5_95,
					      "reliability_min_denominator",
					      (json_int_t)m->min_denominator));
	if (m->deid || m->risk) {
		json_t *x = json_object();
		if (m->deid) {
			json_object_set_new(x, "k", json_integer((json_int_t)m->deid->k));
			json_object_set_new(x, "l", json_integer((json_int_t)m->deid->l));
			json_t *cols = json_array();
			static const char *rule[] = {"keep", "drop", "date_to_year", "age_90_plus",
						     "zip3_over_population", "tract_to_district",
						     "birth_year_90_plus"};
			for (size_t i = 0; i < m->deid->ncols; i++) {
				const struct braid_deid_column *c = &m->deid->cols[i];
				json_array_append_new(cols, json_pack("{s:s,s:s,s:b,s:b}", "name", c->name,
								      "rule", rule[c->rule], "quasi", c->quasi,
								      "sensitive", c->sensitive));
			}
			json_object_set_new(x, "columns", cols);
			json_object_set_new(x, "zip3_min_population",
					    json_integer(m->deid->zip3_min_pop ? m->deid->zip3_min_pop : 20000));
		}
		if (m->risk) {
			const struct braid_risk_report *r = m->risk;
			json_object_set_new(x, "risk", json_pack(
				"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f}",
				"rows_in", (json_int_t)r->rows_in, "rows_out", (json_int_t)r->rows_out,
				"rows_dropped", (json_int_t)r->rows_dropped,
				"values_generalised", (json_int_t)r->values_generalised,
				"values_suppressed", (json_int_t)r->values_suppressed,
				"classes", (json_int_t)r->classes, "min_class", (json_int_t)r->min_class,
				"rows_below_k_before", (json_int_t)r->rows_below_k_before,
				"min_l", (json_int_t)r->min_l, "max_risk", r->max_risk,
				"mean_risk", r->mean_risk));
		}
		json_object_set_new(o, "row_extract", x);
	}
	return o;
}

braid_rc braid_manifest_json(const struct braid_manifest *m,
			     const struct braid_cellset *cs,
			     const void *table_bytes, size_t table_len,
			     char **out, struct braid_err *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return braid_err_set(err, BRAID_ECRYPTO, "libsodium failed to initialise");
	struct braid_buf csv;
	braid_buf_init(&csv, 0);
	if (!table_bytes && cs) {
		if (braid_cellset_csv(cs, &csv))
			return braid_err_set(err, BRAID_ENOMEM, "out of memory");
		table_bytes = csv.data;
		table_len = csv.len;
	}
	unsigned char h[crypto_generichash_BYTES];
	char hex[2 * sizeof h + 1];
	crypto_generichash(h, sizeof h, table_bytes, table_bytes ? table_len : 0, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	braid_buf_release(&csv);

	char when[32] = "";
	struct tm tm;
	if (gmtime_r(&m->created, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *root = json_object(), *src = json_array(), *sup = json_array(), *per = json_array();
	json_t *unrel = json_array();
	for (size_t i = 0; i < m->nsources; i++)
		json_array_append_new(src, json_string(m->sources[i]));
	size_t nsup = 0, nper = 0;
	for (size_t i = 0; cs && i < cs->n; i++) {
		const struct braid_cell *c = &cs->cells[i];
		if (c->status != BRAID_CELL_SHOWN) {
			nsup++;
			if (!m->internal) {
				json_array_append_new(sup, json_string(c->id));
				continue;
			}
			json_array_append_new(sup, json_pack("{s:s,s:s}", "cell", c->id, "reason",
							     c->status == BRAID_CELL_PRIMARY
							     ? (c->flags & BRAID_CELLF_LEDGER ? "primary (earlier release)" : "primary")
							     : "complementary"));
		} else if (c->flags & BRAID_CELLF_NOISE) {
			nper++;
			json_array_append_new(per, json_string(c->id));
		}
		if (c->status == BRAID_CELL_SHOWN && (c->flags & BRAID_CELLF_UNRELIABLE))
			json_array_append_new(unrel, json_string(c->id));
	}
	json_object_set_new(root, "format", json_string("braid-release-manifest/1"));
	json_object_set_new(root, "copy", json_string(m->internal ? "internal" : "public"));
	json_t *q = json_string(m->query ? m->query : "");
	json_t *ag = json_string(m->agreement ? m->agreement : "");
	if (!q || !ag) {
		json_decref(q);
		json_decref(ag);
		json_decref(root);
		json_decref(src);
		json_decref(sup);
		json_decref(per);
		json_decref(unrel);
		return braid_err_set(err, BRAID_EUTF8, "manifest: query or agreement is not valid UTF-8");
	}
	json_object_set_new(root, "query", q);
	json_object_set_new(root, "sources", src);
	json_object_set_new(root, "agreement", ag);
	json_object_set_new(root, "created", json_string(when));
	json_object_set_new(root, "methods", methods(m));
	json_object_set_new(root, "cells", json_integer(cs ? (json_int_t)cs->n : 0));
	json_object_set_new(root, "suppressed_count", json_integer((json_int_t)nsup));
	json_object_set_new(root, "suppressed", sup);
	json_object_set_new(root, "perturbed_count", json_integer((json_int_t)nper));
	json_object_set_new(root, "perturbed", per);
	/* reliability is advice, not confidentiality: listed apart */
	json_object_set_new(root, "unreliable", unrel);
	json_object_set_new(root, "content_hash",
			    json_pack("{s:s,s:s,s:I}", "algorithm", "blake2b-256", "hex", hex,
				      "bytes", (json_int_t)(table_bytes ? table_len : 0)));
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!*out)
		return braid_err_set(err, BRAID_ENOMEM, "manifest: out of memory");
	return BRAID_OK;
}
