/*
 * bench/linkage/accuracy — links the public test sets with ground truth
 * using braid's linkage engine with its default configuration (only the
 * column-to-field mapping is given here) and prints pairwise precision,
 * recall, F1, cluster counts and time for each.
 *
 *   build/bench/link_accuracy [DATA_DIR] [--explain] [--model] [--errors]
 *                             [--truem] [--pairs CSV] [--only NAME]
 *
 * --truem prints the truth's m per level beside the fitted m, and per
 * comparison pattern the model's probability beside the truth's share.
 * --pairs writes every compared pair (truth, weight, levels) to CSV.
 *
 * DATA_DIR defaults to ../shared/data/linkage.
 */
#include "common.h"
#include "../../src/link/link_int.h"

#include <math.h>

/* ---------------------------------------------------------------- FEBRL */
enum { FB_ID, FB_GIVEN, FB_SUR, FB_NUM, FB_A1, FB_A2, FB_SUB, FB_PC, FB_ST, FB_DOB, FB_SSN };
static const char *const febrl_cols[] = {"rec_id", "given_name", "surname", "street_number",
	"address_1", "address_2", "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"};

static void febrl_row(struct dataset *d, char **f, size_t nf, const int *col, const char *party)
{
	(void)party;
	struct braid_identity *r = ds_add(d);
	const char *id = colv(f, nf, col, FB_ID);
	/* rec-N-org / rec-N-dup-K: entity N */
	char ent[64];
	size_t k = 0;
	const char *p = strchr(id, '-');
	if (p)
		for (p++; *p && *p != '-' && k < sizeof ent - 1; p++)
			ent[k++] = *p;
	ent[k] = 0;
	d->truth[d->n - 1] = truth_id(ent);
	r->source_record_id = braid_arena_strdup(&d->arena, id);
	r->v[BRAID_F_FIRST_NAME] = fold(d, colv(f, nf, col, FB_GIVEN));
	r->v[BRAID_F_LAST_NAME] = fold(d, colv(f, nf, col, FB_SUR));
	r->v[BRAID_F_STREET_NUMBER] = fold(d, colv(f, nf, col, FB_NUM));
	r->v[BRAID_F_STREET_NAME] = fold(d, colv(f, nf, col, FB_A1));
	r->v[BRAID_F_UNIT] = fold(d, colv(f, nf, col, FB_A2));
	r->v[BRAID_F_CITY] = fold(d, colv(f, nf, col, FB_SUB));
	r->v[BRAID_F_ZIP] = fold(d, colv(f, nf, col, FB_PC));
	r->v[BRAID_F_STATE] = fold(d, colv(f, nf, col, FB_ST));
	r->v[BRAID_F_SSN] = fold(d, colv(f, nf, col, FB_SSN));
	const char *dob = colv(f, nf, col, FB_DOB);
	struct braid_date dt;
	if (strlen(dob) == 8 && braid_date_parse(dob, "%Y%m%d", -1, &dt) == BRAID_OK) {
		char iso[16];
		braid_date_iso(dt, iso);
		r->v[BRAID_F_DOB] = braid_arena_strdup(&d->arena, iso);
	}
}

/* ---------------------------------------------------------------- RLdata */
enum { RL_F1, RL_F2, RL_L1, RL_L2, RL_BY, RL_BM, RL_BD, RL_ID };
static const char *const rl_cols[] = {"fname_c1", "fname_c2", "lname_c1", "lname_c2",
	"by", "bm", "bd", "identity"};

static void rl_row(struct dataset *d, char **f, size_t nf, const int *col, const char *party)
{
	(void)party;
	struct braid_identity *r = ds_add(d);
	d->truth[d->n - 1] = truth_id(colv(f, nf, col, RL_ID));
	r->v[BRAID_F_FIRST_NAME] = fold(d, colv(f, nf, col, RL_F1));
	r->v[BRAID_F_MIDDLE_NAME] = fold(d, strcmp(colv(f, nf, col, RL_F2), "NA") ? colv(f, nf, col, RL_F2) : "");
	const char *l2 = colv(f, nf, col, RL_L2);
	if (*l2 && strcmp(l2, "NA")) {
		char both[256];
		snprintf(both, sizeof both, "%s %s", colv(f, nf, col, RL_L1), l2);
		r->v[BRAID_F_LAST_NAME] = fold(d, both);
	} else {
		r->v[BRAID_F_LAST_NAME] = fold(d, colv(f, nf, col, RL_L1));
	}
	long y, m, dd;
	r->v[BRAID_F_BIRTH_YEAR] = fold(d, colv(f, nf, col, RL_BY));
	if (!braid_parse_long(colv(f, nf, col, RL_BY), &y) &&
	    !braid_parse_long(colv(f, nf, col, RL_BM), &m) &&
	    !braid_parse_long(colv(f, nf, col, RL_BD), &dd) && y > 0 && y < 10000 &&
	    m >= 1 && m <= 99 && dd >= 1 && dd <= 99) {
		/* the mapping formats the three columns as a date; a typo
		 * that makes it impossible (02-30) is kept as written */
		char iso[16];
		snprintf(iso, sizeof iso, "%04ld-%02ld-%02ld", y, m, dd);
		r->v[BRAID_F_DOB] = braid_arena_strdup(&d->arena, iso);
	}
}

/* ---------------------------------------------------------------- NCVR */
enum { NC_ID, NC_GIVEN, NC_SUR, NC_SUB, NC_PC };
static const char *const nc_cols[] = {"recid", "givenname", "surname", "suburb", "postcode"};

static void nc_row(struct dataset *d, char **f, size_t nf, const int *col, const char *party)
{
	struct braid_identity *r = ds_add(d);
	d->truth[d->n - 1] = truth_id(colv(f, nf, col, NC_ID));
	r->source_record_id = party;
	r->v[BRAID_F_FIRST_NAME] = fold(d, colv(f, nf, col, NC_GIVEN));
	r->v[BRAID_F_LAST_NAME] = fold(d, colv(f, nf, col, NC_SUR));
	r->v[BRAID_F_CITY] = fold(d, colv(f, nf, col, NC_SUB));
	r->v[BRAID_F_ZIP] = fold(d, colv(f, nf, col, NC_PC));
}

/* ---------------------------------------------------------------- splink fake_1000 */
enum { FK_ID, FK_FIRST, FK_SUR, FK_DOB, FK_CITY, FK_EMAIL, FK_CL };
static const char *const fk_cols[] = {"unique_id", "first_name", "surname", "dob", "city",
	"email", "cluster"};

static void fk_row(struct dataset *d, char **f, size_t nf, const int *col, const char *party)
{
	(void)party;
	struct braid_identity *r = ds_add(d);
	d->truth[d->n - 1] = truth_id(colv(f, nf, col, FK_CL));
	r->source_record_id = braid_arena_strdup(&d->arena, colv(f, nf, col, FK_ID));
	r->v[BRAID_F_FIRST_NAME] = fold(d, colv(f, nf, col, FK_FIRST));
	r->v[BRAID_F_LAST_NAME] = fold(d, colv(f, nf, col, FK_SUR));
	r->v[BRAID_F_CITY] = fold(d, colv(f, nf, col, FK_CITY));
	const char *em = colv(f, nf, col, FK_EMAIL);
	char low[256];
	snprintf(low, sizeof low, "%s", em);
	braid_ascii_lower(low);
	r->v[BRAID_F_EMAIL] = braid_arena_strdup(&d->arena, low);
	struct braid_date dt;
	if (braid_date_parse(colv(f, nf, col, FK_DOB), "%Y-%m-%d", -1, &dt) == BRAID_OK) {
		char iso[16];
		braid_date_iso(dt, iso);
		r->v[BRAID_F_DOB] = braid_arena_strdup(&d->arena, iso);
	}
}

/* ---------------------------------------------------------------- run */
static int show_model, show_explain, show_errors, show_truem;
static const char *dump_pairs;

/* Every wrong pair (same truth, different cluster, or the reverse), one
 * line each with the pair's weight: for tuning, not for the record. */
static void list_errors(struct braid_linker *l, struct dataset *d)
{
	const uint32_t *cl = braid_linker_clusters(l);
	struct braid_err err = {0};
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = i + 1; j < d->n; j++) {
			int st = d->truth[i] == d->truth[j], sp = cl[i] == cl[j];
			if (st == sp)
				continue;
			struct braid_link_explanation e;
			braid_linker_explain(l, (uint32_t)i, (uint32_t)j, &e, &err);
			printf("%s w=%+6.2f", st ? "FN" : "FP", e.weight);
			for (int t = 0; t < e.nterms; t++)
				if (e.terms[t].level)
					printf(" %s=%s(%+.1f%+.1f)", braid_link_cmp_name(e.terms[t].cmp),
					       braid_link_level_name(e.terms[t].cmp, e.terms[t].level),
					       e.terms[t].weight, e.terms[t].tf);
			printf("\n     ");
			for (int f = 0; f < BRAID_F__COUNT; f++)
				if (d->r[i].v[f][0] || d->r[j].v[f][0])
					printf(" %s|%s", d->r[i].v[f], d->r[j].v[f]);
			printf("\n");
		}
}

/* m as the truth gives it: level frequencies among the compared pairs that
 * truly match, beside the fitted m (to see what EM gets wrong). */
static void print_true_m(const struct braid_linker *l, const struct dataset *d)
{
	static uint64_t cnt[BRAID_LC__COUNT][BRAID_LINK_MAX_LEVELS];
	memset(cnt, 0, sizeof cnt);
	uint64_t nm = 0;
	for (size_t i = 0; i < l->npairs; i++) {
		const struct braid__pair *p = &l->pairs[i];
		if (d->truth[p->a] != d->truth[p->b])
			continue;
		nm++;
		braid__cvec v = l->pats.p[p->pat].v;
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			cnt[c][braid__cvec_level(v, c)]++;
	}
	printf("true matches among compared pairs: %llu\n", (unsigned long long)nm);
	/* calibration per pattern with any true match: model weight (with the
	 * prior, without tf) against the truth's share */
	uint64_t *pm = calloc(l->pats.n + 1, sizeof *pm), *pn = calloc(l->pats.n + 1, sizeof *pn);
	for (size_t i = 0; pm && pn && i < l->npairs; i++) {
		const struct braid__pair *p = &l->pairs[i];
		(d->truth[p->a] == d->truth[p->b] ? pm : pn)[p->pat]++;
	}
	for (uint32_t k = 0; pm && pn && k < l->pats.n; k++) {
		if (!pm[k] || pm[k] + pn[k] < 3)
			continue;
		double w = l->model.prior + l->pats.p[k].weight;
		double sh = (double)pm[k] / (double)(pm[k] + pn[k]);
		printf("  pattern w %+7.2f  p %.3f  truth %.3f (%llu/%llu) ", w, 1 / (1 + exp2(-w)), sh,
		       (unsigned long long)pm[k], (unsigned long long)(pm[k] + pn[k]));
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			if (braid__cvec_level(l->pats.p[k].v, c))
				printf(" %s=%s", braid_link_cmp_name((enum braid_link_cmp)c),
				       braid_link_level_name((enum braid_link_cmp)c, braid__cvec_level(l->pats.p[k].v, c)));
		printf("\n");
	}
	free(pm);
	free(pn);
	for (int c = 0; c < BRAID_LC__COUNT; c++) {
		if (!(l->cx.active & (1u << c)))
			continue;
		int nl = braid_link_cmp_nlevels((enum braid_link_cmp)c);
		uint64_t tot = 0;
		for (int k = 1; k < nl; k++)
			tot += cnt[c][k];
		printf("%s (true m over %llu non-null)\n", braid_link_cmp_name((enum braid_link_cmp)c),
		       (unsigned long long)tot);
		for (int k = 1; k < nl; k++)
			printf("  %-28s true %.4f  fitted %.4f\n",
			       braid_link_level_name((enum braid_link_cmp)c, k),
			       tot ? (double)cnt[c][k] / (double)tot : 0.0, l->model.m[c][k]);
	}
}

/* Every compared pair (a, b, same truth, weight, levels) as CSV into
 * path: for studying the ranking outside the harness. */
static void write_pairs(const struct braid_linker *l, const struct dataset *d, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "a,b,truth,weight");
	for (int c = 0; c < BRAID_LC__COUNT; c++)
		fprintf(f, ",%s", braid_link_cmp_name((enum braid_link_cmp)c));
	fprintf(f, "\n");
	for (size_t i = 0; i < l->npairs; i++) {
		const struct braid__pair *p = &l->pairs[i];
		fprintf(f, "%u,%u,%d,%.4f", p->a, p->b, d->truth[p->a] == d->truth[p->b],
			braid__pair_weight(l, p->a, p->b));
		for (int c = 0; c < BRAID_LC__COUNT; c++)
			fprintf(f, ",%d", braid__cvec_level(l->pats.p[p->pat].v, c));
		fprintf(f, "\n");
	}
	fclose(f);
}

static int run(const char *name, struct dataset *d)
{
	struct braid_err err = {0};
	double t0 = bench_now();
	struct braid_linker *l = braid_linker_new(d->r, d->n, NULL, &err);
	if (!l || braid_linker_run(l, &err)) {
		char m[800];
		braid_err_format(&err, m, sizeof m);
		fprintf(stderr, "%s: %s\n", name, m);
		return 1;
	}
	double t1 = bench_now();
	struct braid_link_eval ev;
	braid_link_evaluate(braid_linker_clusters(l), d->truth, d->n, &ev, &err);
	const struct braid_link_stats *s = braid_linker_stats(l);
	fprintf(stderr, "  [prep %.2fs block %.2fs model %.2fs score %.2fs cluster %.2fs]\n", 0.0, s->seconds_block, s->seconds_model, s->seconds_score, s->seconds_cluster);
	printf("%-26s %7zu  pairs %9llu  P %.4f  R %.4f  F1 %.4f  clusters %6llu  over-merged %4llu  split %4llu  guard-split %3llu  thr %+6.2f  %.2fs\n",
	       name, d->n, (unsigned long long)s->pairs_compared, ev.precision, ev.recall,
	       ev.f1, (unsigned long long)ev.predicted_clusters,
	       (unsigned long long)ev.over_merged, (unsigned long long)ev.split,
	       (unsigned long long)s->clusters_split, s->threshold, t1 - t0);
	fflush(stdout);
	if (show_model) {
		char *t = braid_linker_model_text(l);
		const struct braid_link_rule_plan *pl;
		size_t np;
		braid_linker_plan(l, &pl, &np, &err);
		for (size_t i = 0; i < np; i++)
			printf("  rule %-30s records %8llu pairs %10llu new %10llu capped blocks %llu (%llu pairs)\n",
			       pl[i].name, (unsigned long long)pl[i].records,
			       (unsigned long long)pl[i].pairs, (unsigned long long)pl[i].new_pairs,
			       (unsigned long long)pl[i].capped_blocks,
			       (unsigned long long)pl[i].capped_pairs);
		printf("%s", t ? t : "");
		free(t);
	}
	if (show_errors)
		list_errors(l, d);
	if (show_truem)
		print_true_m(l, d);
	if (dump_pairs)
		write_pairs(l, d, dump_pairs);
	if (show_explain) {
		/* the errors: false negatives and false positives near the cut */
		const uint32_t *cl = braid_linker_clusters(l);
		int shown = 0;
		for (size_t i = 0; i < d->n && shown < 12; i++)
			for (size_t j = i + 1; j < d->n && j < i + 400 && shown < 12; j++) {
				int same_t = d->truth[i] == d->truth[j], same_p = cl[i] == cl[j];
				if (same_t == same_p)
					continue;
				struct braid_link_explanation e;
				braid_linker_explain(l, (uint32_t)i, (uint32_t)j, &e, &err);
				struct braid_buf b;
				braid_buf_init(&b, 0);
				braid_link_explanation_format(&e, &b);
				printf("%s %zu %zu\n", same_t ? "MISSED" : "WRONG", i, j);
				for (int f = 0; f < BRAID_F__COUNT; f++)
					if (d->r[i].v[f][0] || d->r[j].v[f][0])
						printf("    %-14s %-24s | %s\n", braid_field_name((enum braid_field)f), d->r[i].v[f], d->r[j].v[f]);
				printf("%s", b.data);
				braid_buf_release(&b);
				shown++;
			}
	}
	braid_linker_free(l);
	return 0;
}

static void ds_free(struct dataset *d)
{
	free(d->r);
	free(d->truth);
	braid_arena_release(&d->arena);
	memset(d, 0, sizeof *d);
}

int main(int argc, char **argv)
{
	const char *dir = "../shared/data/linkage", *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--model"))
			show_model = 1;
		else if (!strcmp(argv[i], "--truem"))
			show_truem = 1;
		else if (!strcmp(argv[i], "--errors"))
			show_errors = 1;
		else if (!strcmp(argv[i], "--explain"))
			show_explain = 1;
		else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
			dump_pairs = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else
			dir = argv[i];
	}
	char path[1024];
	int bad = 0;
	for (int k = 1; k <= 3; k++) {
		char name[32];
		snprintf(name, sizeof name, "febrl%d", k);
		if (only && strcmp(only, name))
			continue;
		struct dataset d = {0};
		braid_arena_init(&d.arena, 1 << 20);
		snprintf(path, sizeof path, "%s/febrl/dataset%d.csv", dir, k);
		if (ds_load(&d, path, febrl_cols, 11, febrl_row, NULL) == 0)
			bad |= run(name, &d);
		ds_free(&d);
	}
	if (!only || !strcmp(only, "rldata10000")) {
		struct dataset d = {0};
		braid_arena_init(&d.arena, 1 << 20);
		snprintf(path, sizeof path, "%s/rldata/RLdata10000.csv", dir);
		if (ds_load(&d, path, rl_cols, 8, rl_row, NULL) == 0)
			bad |= run("rldata10000", &d);
		ds_free(&d);
	}
	static const char *const parties[] = {"p0", "p1", "p2", "p3", "p4"};
	for (int ocp = 0; ocp <= 20; ocp += 20) {
		char name[64];
		snprintf(name, sizeof name, "ncvr5000_ocp%d_5party", ocp);
		if (only && strcmp(only, name))
			continue;
		struct dataset d = {0};
		braid_arena_init(&d.arena, 1 << 20);
		for (int p = 0; p < 5; p++) {
			snprintf(path, sizeof path,
				 "%s/ncvr_multiparty/ncvr_numrec_5000_modrec_2_ocp_%d_myp_%d_nump_5.csv",
				 dir, ocp, p);
			ds_load(&d, path, nc_cols, 5, nc_row, parties[p]);
		}
		bad |= run(name, &d);
		ds_free(&d);
	}
	if (!only || !strcmp(only, "fake_1000")) {
		struct dataset d = {0};
		braid_arena_init(&d.arena, 1 << 20);
		snprintf(path, sizeof path, "%s/splink/fake_1000.csv", dir);
		if (ds_load(&d, path, fk_cols, 7, fk_row, NULL) == 0)
			bad |= run("fake_1000", &d);
		ds_free(&d);
	}
	return bad;
}
