/*
 * persist.c — a saved model read back: braid_linker_load_model takes the
 * JSON that braid_linker_model_json wrote (the link_run.model_json of an
 * earlier run) and puts its parameters into a linker, so that explain,
 * review and incremental runs use exactly the weights the run used.
 *
 * What is restored: the prior (lambda and its log2 odds), m, u and weight
 * of every level of every comparison the run used (the other comparisons
 * become inactive), the blocking rules by name, threshold and review band,
 * whether term frequencies adjust weights, and the bookkeeping counts.
 * Weights are taken as saved, not recomputed from m and u, and jansson
 * writes reals with 17 significant digits, so a round trip is exact.  Term
 * frequencies are not in the model: they are counted on the linker's own
 * records (a run over more records sees slightly different frequencies).
 *
 * It does not validate that the model fits the data (a comparison the data
 * now lacks is simply null everywhere), and it never estimates anything.
 */
#include "link_int.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

/* Rule ids are small integers (a base rule and two refinements in bits
 * 0..10): the name of each is known to block.c, so the id of a saved name
 * is found by asking for every id's name. */
static int rule_by_name(const char *name)
{
	for (int id = 0; id < 2048; id++) {
		const char *nm = braid__rule_name(id);
		if (strcmp(nm, "?") && !strcmp(nm, name))
			return id;
	}
	return -1;
}

static int cmp_by_name(const char *name)
{
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		if (!strcmp(braid_link_cmp_name((enum braid_link_cmp)c), name))
			return c;
	return -1;
}

static int level_by_name(int c, const char *name)
{
	int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
	for (int k = 1; k < nl; k++)
		if (!strcmp(braid_link_level_name((enum braid_link_cmp)c, k), name))
			return k;
	return -1;
}

static int get_real(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || !json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) ? 0 : -1;
}

static double w_of_p(double p)
{
	return log2(p / (1 - p));
}

static braid_rc load(struct braid_linker *l, json_t *root, struct braid_err *err)
{
	struct braid__model md;
	memset(&md, 0, sizeof md);
	double thr, rlo, rhi;
	if (!json_is_object(root))
		return braid_err_set(err, BRAID_EPARSE, "model: expected a JSON object");
	if (get_real(root, "lambda", &md.lambda) || md.lambda <= 0 || md.lambda >= 1)
		return braid_err_set(err, BRAID_EPARSE, "model: expected 'lambda' (a probability)");
	if (get_real(root, "prior_weight", &md.prior))
		return braid_err_set(err, BRAID_EPARSE, "model: expected 'prior_weight' (a number)");
	if (get_real(root, "threshold", &thr) || get_real(root, "review_low", &rlo) ||
	    get_real(root, "review_high", &rhi))
		return braid_err_set(err, BRAID_EPARSE,
				     "model: expected 'threshold', 'review_low' and 'review_high'"
				     " (numbers)");
	json_t *tf = json_object_get(root, "tf_adjustment");
	if (!json_is_boolean(tf))
		return braid_err_set(err, BRAID_EPARSE, "model: expected 'tf_adjustment' (true or false)");
	json_t *v;
	if ((v = json_object_get(root, "u_pairs_sampled")) && json_is_integer(v))
		md.u_pairs = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(root, "em_iterations")) && json_is_integer(v))
		md.em_iters_run = (int)json_integer_value(v);
	if ((v = json_object_get(root, "labelled_matches")) && json_is_integer(v))
		md.labelled_matches = (uint64_t)json_integer_value(v);

	json_t *rules = json_object_get(root, "blocking_rules");
	if (!json_is_array(rules) || json_array_size(rules) > BRAID__MAX_RULES)
		return braid_err_set(err, BRAID_EPARSE,
				     "model: expected 'blocking_rules' (an array of at most %d names)",
				     BRAID__MAX_RULES);
	int ids[BRAID__MAX_RULES], nr = 0;
	size_t i;
	json_array_foreach(rules, i, v) {
		int id = json_is_string(v) ? rule_by_name(json_string_value(v)) : -1;
		if (id < 0)
			return braid_err_set(err, BRAID_EPARSE,
					     "model: blocking_rules[%zu] is not a known rule name", i);
		ids[nr++] = id;
	}

	json_t *cmps = json_object_get(root, "comparisons");
	if (!json_is_array(cmps))
		return braid_err_set(err, BRAID_EPARSE, "model: expected 'comparisons' (an array)");
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		md.m[c][0] = md.u[c][0] = 1.0;
		md.w[c][0] = 0;
	}
	/* the match classes (model.c), absent from single-class models */
	json_t *mcl = json_object_get(root, "match_classes");
	if (mcl) {
		if (!json_is_array(mcl) || json_array_size(mcl) < 1 ||
		    json_array_size(mcl) > BRAID__MAX_CLASSES)
			return braid_err_set(err, BRAID_EPARSE,
					     "model: expected 'match_classes' (an array of 1 to %d"
					     " probabilities)", BRAID__MAX_CLASSES);
		json_array_foreach(mcl, i, v) {
			md.pi[i] = json_is_number(v) ? json_number_value(v) : -1;
			if (!(md.pi[i] > 0 && md.pi[i] <= 1))
				return braid_err_set(err, BRAID_EPARSE,
						     "model: match_classes[%zu]: expected a probability", i);
			for (int c = 0; c < BRAID_LC__COUNT; c++)
				md.mk[i][c][0] = 1.0;
		}
		md.nclass = (int)json_array_size(mcl);
	}
	uint32_t active = 0;
	json_t *co;
	json_array_foreach(cmps, i, co) {
		json_t *nm = json_object_get(co, "name"), *lv = json_object_get(co, "levels");
		int c = json_is_string(nm) ? cmp_by_name(json_string_value(nm)) : -1;
		if (c < 0)
			return braid_err_set(err, BRAID_EPARSE,
					     "model: comparisons[%zu].name is not a known comparison", i);
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		if (!json_is_array(lv) || json_array_size(lv) != (size_t)(nl - 1))
			return braid_err_set(err, BRAID_EPARSE,
					     "model: comparisons[%zu].levels: expected %d levels for '%s'",
					     i, nl - 1, braid_link_cmp_name((enum braid_link_cmp)c));
		if ((v = json_object_get(co, "m_from_rules")) && json_is_integer(v))
			md.m_source[c] = (int)json_integer_value(v);
		uint32_t seen = 0;
		size_t j;
		json_t *e;
		json_array_foreach(lv, j, e) {
			json_t *ln = json_object_get(e, "level");
			int k = json_is_string(ln) ? level_by_name(c, json_string_value(ln)) : -1;
			double m, u, w;
			if (k < 0 || (seen & (1u << k)))
				return braid_err_set(err, BRAID_EPARSE,
						     "model: comparisons[%zu].levels[%zu].level is not a"
						     " level of '%s' (or is repeated)", i, j,
						     braid_link_cmp_name((enum braid_link_cmp)c));
			if (get_real(e, "m", &m) || get_real(e, "u", &u) || get_real(e, "weight", &w) ||
			    m <= 0 || u <= 0)
				return braid_err_set(err, BRAID_EPARSE,
						     "model: comparisons[%zu].levels[%zu]: expected 'm' and"
						     " 'u' (positive) and 'weight' (a number)", i, j);
			json_t *mb = json_object_get(e, "m_by_class"), *x;
			size_t q;
			if (md.nclass && (!json_is_array(mb) || json_array_size(mb) != (size_t)md.nclass))
				return braid_err_set(err, BRAID_EPARSE,
						     "model: comparisons[%zu].levels[%zu]: expected 'm_by_class'"
						     " (%d probabilities)", i, j, md.nclass);
			if (md.nclass)
				json_array_foreach(mb, q, x) {
					md.mk[q][c][k] = json_is_number(x) ? json_number_value(x) : -1;
					if (!(md.mk[q][c][k] > 0 && md.mk[q][c][k] <= 1))
						return braid_err_set(err, BRAID_EPARSE,
								     "model: comparisons[%zu].levels[%zu]"
								     ".m_by_class[%zu]: expected a probability",
								     i, j, q);
				}
			seen |= 1u << k;
			md.m[c][k] = m;
			md.u[c][k] = u;
			md.w[c][k] = w;
			/* u given an agreeing surname (model.c's household
			 * adjustment), present when it was estimated */
			double uc;
			if (!get_real(e, "u_same_surname", &uc) && uc > 0) {
				md.uc[c][k] = uc;
				md.has_uc = 1;
			}
		}
		active |= 1u << c;
	}

	/* everything parsed: only now change the linker */
	l->model = md;
	l->cx.active = active;
	l->opts.no_tf = !json_is_true(tf);
	l->nrules = nr;
	memset(l->plan, 0, sizeof l->plan);
	for (int k = 0; k < nr; k++) {
		l->rules[k] = ids[k];
		l->plan[k].name = braid__rule_name(ids[k]);
	}
	struct braid_link_stats *s = &l->stats;
	s->lambda = md.lambda;
	if (l->opts.has_threshold) {
		/* the same band as score.c gives a threshold it was told */
		s->threshold = l->opts.threshold;
		s->review_low = fmin(w_of_p(0.05), s->threshold);
		s->review_high = fmax(w_of_p(0.95), s->threshold);
	} else {
		s->threshold = thr;
		s->review_low = rlo;
		s->review_high = rhi;
	}
	l->ran = 1;
	l->model_loaded = 1;
	return BRAID_OK;
}

braid_rc braid_linker_load_model(struct braid_linker *l, const char *json,
				 struct braid_err *err)
{
	if (l->ran)
		return braid_err_set(err, BRAID_EINVAL,
				     "link: load a model into a linker that has not run");
	if (!json)
		return braid_err_set(err, BRAID_EINVAL, "model: no model text");
	json_error_t je;
	json_t *root = json_loads(json, 0, &je);
	if (!root)
		return braid_err_at(err, BRAID_EPARSE, "model", je.line, je.column, "%s", je.text);
	braid_rc rc = load(l, root, err);
	json_decref(root);
	return rc;
}
