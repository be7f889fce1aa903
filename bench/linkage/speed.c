/*
 * bench/linkage/speed — links a synthetic city of N records from scratch
 * and reports wall time per stage, peak memory and accuracy against the
 * synthetic truth.
 *
 *   build/bench/link_speed [N] [THREADS]        (default 1000000, 2)
 *
 * The records: people drawn with real frequencies (2010 Census surnames,
 * SSA first names by sex from the 1950s on), dates of birth 1925-2020,
 * Philadelphia street names and ZIPs, SSN for 70 %, phone for 50 %.  About
 * 30 % of people appear 2-4 times (several agencies), each copy with
 * realistic errors: a typo in a name, a nickname-free first-name swap for
 * an initial, a mistyped date part, day/month transposed, a missing SSN or
 * one mistyped SSN digit, a move to another address.  Deterministic
 * (fixed seed).  This is only a load generator for the engine; the demo
 * city (braid synth) is the realistic test.
 */
#include "common.h"

#include <sys/resource.h>

struct wtab {
	char **s;
	double *cum;
	size_t n, cap;
};

static void wt_add(struct wtab *t, const char *s, double w)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->s = realloc(t->s, t->cap * sizeof *t->s);
		t->cum = realloc(t->cum, t->cap * sizeof *t->cum);
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%s", s);
	braid_ascii_upper(buf);
	t->s[t->n] = braid_strdup(buf);
	t->cum[t->n] = (t->n ? t->cum[t->n - 1] : 0) + w;
	t->n++;
}

static uint64_t rs = 0x5eed;
static uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static const char *wt_draw(const struct wtab *t)
{
	double x = unif() * t->cum[t->n - 1];
	size_t lo = 0, hi = t->n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->cum[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return t->s[lo];
}

static struct wtab sur, fm, ff, streets;

static void load_names(const char *data)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/names/census2010_surnames_joined.csv", data);
	FILE *f = fopen(path, "r");
	char line[512];
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		char *c3 = c2 ? strchr(c2 + 1, ',') : NULL;
		if (!c3 || line[0] == 'n' || memchr(line, ' ', (size_t)(c1 - line)))
			continue; /* header, and the census's "ALL OTHER NAMES" */
		*c1 = *c3 = 0;
		double cnt;
		if (braid_parse_double(c2 + 1, &cnt) == BRAID_OK)
			wt_add(&sur, line, cnt);
	}
	fclose(f);
	snprintf(path, sizeof path, "%s/names/ssa_names_by_decade.csv", data);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		char *p[4];
		p[0] = line;
		int k = 1;
		for (char *q = line; *q && k < 4; q++)
			if (*q == ',') {
				*q = 0;
				p[k++] = q + 1;
			}
		if (k < 4 || line[0] == 'd')
			continue;
		long dec;
		double cnt;
		if (braid_parse_long(p[0], &dec) || dec < 1950 ||
		    braid_parse_double(p[3], &cnt))
			continue;
		wt_add(p[1][0] == 'F' ? &ff : &fm, p[2], cnt);
	}
	fclose(f);
	snprintf(path, sizeof path, "%s/geo/philadelphia/passyunk_centerline_streets.csv", data);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		char *c = strchr(line, ',');
		if (c)
			*c = 0;
		wt_add(&streets, line, 1);
	}
	if (f)
		fclose(f);
}

struct person {
	const char *first, *last;
	char sex;
	int y, m, d;
	char ssn[10], phone[11], zip[6], num[8];
	const char *street;
};

static void typo(char *s)
{
	size_t n = strlen(s);
	if (n < 3)
		return;
	size_t i = 1 + rnd() % (n - 1);
	switch (rnd() % 3) {
	case 0: s[i] = (char)('A' + rnd() % 26); break;
	case 1: if (i + 1 < n) { char t = s[i]; s[i] = s[i + 1]; s[i + 1] = t; } break;
	default: memmove(s + i, s + i + 1, n - i); break;
	}
}

int main(int argc, char **argv)
{
	long n = 1000000, threads = 2;
	if (argc > 1 && braid_parse_long(argv[1], &n))
		return 2;
	if (argc > 2 && braid_parse_long(argv[2], &threads))
		return 2;
	load_names(braid_data_dir());
	struct dataset d = {0};
	braid_arena_init(&d.arena, 1 << 24);
	double tg = bench_now();
	uint32_t pid = 0;
	while ((long)d.n < n) {
		struct person p;
		p.sex = rnd() & 1 ? 'F' : 'M';
		p.first = wt_draw(p.sex == 'F' ? &ff : &fm);
		p.last = wt_draw(&sur);
		p.y = 1925 + (int)(rnd() % 96);
		p.m = 1 + (int)(rnd() % 12);
		p.d = 1 + (int)(rnd() % 28);
		snprintf(p.ssn, sizeof p.ssn, "%09llu", (unsigned long long)(100000000 + rnd() % 699999999));
		snprintf(p.phone, sizeof p.phone, "215%07llu", (unsigned long long)(rnd() % 10000000));
		snprintf(p.zip, sizeof p.zip, "191%02d", (int)(rnd() % 55));
		snprintf(p.num, sizeof p.num, "%d", (int)(1 + rnd() % 6000));
		p.street = wt_draw(&streets);
		int has_ssn = unif() < 0.7, has_phone = unif() < 0.5;
		int copies = unif() < 0.3 ? 2 + (int)(rnd() % 3) : 1;
		for (int c = 0; c < copies && (long)d.n < n; c++) {
			struct braid_identity *r = ds_add(&d);
			d.truth[d.n - 1] = pid;
			char first[64], last[64], dob[16], ssn[10];
			snprintf(first, sizeof first, "%s", p.first);
			snprintf(last, sizeof last, "%s", p.last);
			int y = p.y, m = p.m, dd = p.d;
			snprintf(ssn, sizeof ssn, "%s", p.ssn);
			const char *street = p.street, *num = p.num, *zip = p.zip;
			int ssn_on = has_ssn, phone_on = has_phone;
			if (c > 0) {
				double e = unif();
				if (e < 0.15)
					typo(first);
				else if (e < 0.30)
					typo(last);
				else if (e < 0.35)
					first[1] = 0; /* initial only */
				e = unif();
				if (e < 0.08)
					dd = dd % 28 + 1;
				else if (e < 0.12 && dd <= 12) {
					int t = m;
					m = dd;
					dd = t;
				} else if (e < 0.16)
					y += (int)(rnd() % 2) ? 1 : -1;
				e = unif();
				if (e < 0.3)
					ssn_on = 0;
				else if (e < 0.35)
					ssn[rnd() % 9] = (char)('0' + rnd() % 10);
				if (unif() < 0.3) { /* moved */
					street = wt_draw(&streets);
					char *z = braid_arena_alloc(&d.arena, 6);
					snprintf(z, 6, "191%02d", (int)(rnd() % 55));
					zip = z;
					char *nb = braid_arena_alloc(&d.arena, 8);
					snprintf(nb, 8, "%d", (int)(1 + rnd() % 6000));
					num = nb;
				}
				if (unif() < 0.5)
					phone_on = 0;
			}
			snprintf(dob, sizeof dob, "%04d-%02d-%02d", y, m, dd);
			r->v[BRAID_F_FIRST_NAME] = braid_arena_strdup(&d.arena, first);
			r->v[BRAID_F_LAST_NAME] = braid_arena_strdup(&d.arena, last);
			r->v[BRAID_F_DOB] = braid_arena_strdup(&d.arena, dob);
			r->v[BRAID_F_SEX] = p.sex == 'F' ? "F" : "M";
			r->v[BRAID_F_SSN] = ssn_on ? braid_arena_strdup(&d.arena, ssn) : "";
			r->v[BRAID_F_PHONE] = phone_on ? braid_arena_strdup(&d.arena, p.phone) : "";
			r->v[BRAID_F_STREET_NUMBER] = num;
			r->v[BRAID_F_STREET_NAME] = street;
			r->v[BRAID_F_ZIP] = zip;
		}
		pid++;
	}
	double t0 = bench_now();
	printf("generated %zu records of %u people in %.2f s\n", d.n, pid, t0 - tg);
	struct braid_err err = {0};
	struct braid_link_opts o = {0};
	o.threads = (int)threads;
	struct braid_linker *l = braid_linker_new(d.r, d.n, &o, &err);
	double t1 = bench_now();
	if (!l || braid_linker_run(l, &err)) {
		char msg[800];
		braid_err_format(&err, msg, sizeof msg);
		fprintf(stderr, "link: %s\n", msg);
		return 1;
	}
	double t2 = bench_now();
	const struct braid_link_stats *s = braid_linker_stats(l);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("linked %zu records in %.2f s wall (prepare %.2f, block+compare %.2f, model %.2f, "
	       "score %.2f, cluster %.2f); %llu pairs compared; peak RSS %.2f GiB\n",
	       d.n, t2 - t0, t1 - t0, s->seconds_block, s->seconds_model, s->seconds_score,
	       s->seconds_cluster, (unsigned long long)s->pairs_compared,
	       (double)ru.ru_maxrss / (1024.0 * 1024.0));
	const struct braid_link_rule_plan *pl;
	size_t np;
	braid_linker_plan(l, &pl, &np, &err);
	for (size_t i = 0; i < np; i++)
		printf("  rule %-30s pairs %11llu new %11llu capped blocks %llu (%llu pairs)\n",
		       pl[i].name, (unsigned long long)pl[i].pairs,
		       (unsigned long long)pl[i].new_pairs, (unsigned long long)pl[i].capped_blocks,
		       (unsigned long long)pl[i].capped_pairs);
	struct braid_link_eval ev;
	braid_link_evaluate(braid_linker_clusters(l), d.truth, d.n, &ev, &err);
	printf("accuracy vs synthetic truth: P %.4f R %.4f F1 %.4f (threshold %+.2f)\n",
	       ev.precision, ev.recall, ev.f1, s->threshold);
	braid_linker_free(l);
	return 0;
}
