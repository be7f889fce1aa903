/*
 * city.c — simulates the demo city household by household and writes every
 * agency's rows as it goes: people (names, ages, households, twins, Jr/Sr,
 * marriages, moves, deaths, births), their true service events (benefit
 * spells, shelter stays, behavioural-health claims, jail bookings with a
 * re-entry programme, school years, child-welfare referrals, wages, water
 * account statuses, LIHEAP grants, TAP enrolment, CBO visits), then each
 * source's view of them with that source's errors; also the city's
 * gazetteer (reference/places.csv: every street-segment side it puts
 * addresses on, with the tract it placed the segment in).  The planted facts are
 * accumulated from the true events while they are generated, so nothing is
 * kept in memory beyond one household (plus a set of issued SSNs).
 *
 * Each household draws from its own PRNG stream (seed, household number),
 * so output is byte-identical for a seed.  The event model is deliberately
 * simple and monthly; it is tuned to make the planted questions non-trivial,
 * not to be an epidemiological model.
 */
#include "city_int.h"

#include <errno.h>
#include <stddef.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names and addresses are copied into fixed, bounded buffers on purpose:
 * truncating an absurdly long value is the intended behaviour. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define NONE INT32_MAX
#define REENTRY_EFFECT (-0.12) /* planted: change in P(re-booking within 365 days) */

/* Bounded string copy (truncates; always NUL-terminates when n > 0). */
static void scopy(char *d, size_t n, const char *s)
{
	if (!n)
		return;
	size_t k = strlen(s);
	if (k >= n)
		k = n - 1;
	memmove(d, s, k);
	d[k] = 0;
}

/* v in decimal, zero-padded to at least `width` digits (out holds
 * max(width, 10) + 1 bytes). */
static void zpad(char *out, uint32_t v, int width)
{
	char t[16];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	int k = 0;
	for (int i = n; i < width; i++)
		out[k++] = '0';
	while (n)
		out[k++] = t[--n];
	out[k] = 0;
}

/* ---------------------------------------------------------------- error profiles
 * name multi  typo  phon  nick  swap  mif  marks hyph  dm    ydig  mfirst mdob  mssn  ssnty ssnph stale abbrf space dup
 *                                                                                  upper ascii abbr first dob ssn middle datefmt */
const struct src_profile braid__src[S__N] = {
	{"jail", 0, 1, .03, .01, .04, .01, .01, 0, .05, .01, .01, 0, .01, .15, .01, .01, .10, .05, .02, .06, 1, 1, 1, 1, 1, 1, 1, 0},
	{"hmis", 0, 1, .04, .03, .06, .02, .02, .10, .10, .02, .02, .01, .05, .35, .03, .05, .20, .05, .03, .05, 0, 0, 1, 1, 1, 1, 1, 0},
	{"bh_claims", 0, 1, .02, .01, .02, .005, .005, 0, .05, .01, .01, 0, .01, .60, .01, 0, .05, 0, .01, .03, 1, 1, 1, 1, 1, 1, 0, 0},
	{"school", 0, 1, .02, .01, .01, .005, .005, .05, .10, .02, .01, 0, .01, 0, 0, 0, .03, .05, .02, .02, 0, 0, 0, 1, 1, 0, 1, 0},
	{"dhs", 0, 1, .02, .01, .02, .01, .01, 0, .05, .01, .01, 0, .005, .08, .02, .02, .08, .05, .01, .02, 1, 1, 1, 1, 1, 1, 1, 0},
	{"liheap", 1, 0, .03, .02, .05, .02, .02, .10, .10, .02, .01, 0, .03, .25, .02, .03, .05, .10, .03, 0, 1, 0, 0, 1, 1, 1, 1, 0},
	{"water", 1, 1, .03, .01, .08, .01, .01, .10, .10, 0, 0, 0, 0, 0, 0, 0, 0, .10, .03, 0, 1, 1, 1, 1, 0, 0, 0, 0},
	{"tap", 1, 0, .02, .02, .05, .01, .01, .05, .05, .02, .01, 0, .05, 0, 0, 0, .05, .05, .03, .03, 0, 0, 0, 1, 1, 0, 0, .15},
	{"child_welfare", 0, 1, .03, .02, .03, .01, .01, .05, .05, .03, .02, 0, .03, 0, 0, 0, .05, .05, .02, .03, 1, 0, 1, 1, 1, 0, 1, 0},
	{"births", 0, 0, .01, .01, 0, 0, 0, 0, .05, .005, .005, .05, 0, 0, 0, 0, 0, .05, .01, 0, 1, 0, 0, 1, 1, 0, 1, 0},
	{"wages", 0, 1, .02, .01, .03, .02, .01, 0, .05, 0, 0, 0, 0, .02, .02, .005, 0, 0, .01, .02, 1, 1, 1, 1, 0, 1, 1, 0},
	{"cbo", 0, 0, .05, .05, .15, .03, 0, .10, .10, 0, .05, 0, .20, 0, 0, 0, 0, 0, .05, .08, 0, 0, 1, 1, 1, 0, 0, .10},
	{"childcare", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0},
};

double braid__rate(double base, double scale)
{
	double r = base * scale;
	return r > 0.9 ? 0.9 : r < 0 ? 0 : r;
}

/* ---------------------------------------------------------------- the world */
struct spell { int prog; int32_t s, e; };           /* prog 0 MA, 1 SNAP */
struct stay { int32_t s, e; };
struct claim { int32_t d; int code; double amt; };
struct booking { int32_t s, r; int charge, treated, young, priors, mhr, homeless; };

#define MAXEV 512
struct pev { /* one person's true events */
	int nsp, nst, ncl, nbk;
	struct spell sp[64];
	struct stay st[64];
	struct claim cl[MAXEV];
	struct booking bk[64];
};

struct facts {
	long long allegheny;
	long long low_income_accounts, at_risk, at_risk_protected, assistance_gap;
	long long elig_releases, treated, treated_rebooked, untreated_rebooked;
	long long strata_n[16][2], strata_rebooked[16][2];
};

struct world {
	const struct braid_synth_opts *o;
	struct ref ref;
	int32_t w0, A;             /* window start, analysis date */
	FILE *out[S__N];
	FILE *f_persons, *f_households, *f_people, *f_addresses;
	struct src_stats ss[S__N];
	FILE *f_cbo;               /* per batch: the entity of each cbo row, in order */
	long long cbo_row;
	struct facts f;
	struct pev *ev[MAXM];
	int32_t m0[1300];          /* first day of each month of the window */
	int months;
	long people, households;
};

static const char *street_type_full(const char *t)
{
	static const char *const m[][2] = {
		{"ST", "STREET"}, {"AVE", "AVENUE"}, {"RD", "ROAD"}, {"LN", "LANE"},
		{"BLVD", "BOULEVARD"}, {"DR", "DRIVE"}, {"PL", "PLACE"}, {"TER", "TERRACE"},
		{"CT", "COURT"}, {"TRL", "TRAIL"}, {"CIR", "CIRCLE"}, {"PKWY", "PARKWAY"},
		{"SQ", "SQUARE"}, {"HWY", "HIGHWAY"}, {"ALY", "ALLEY"}, {"PIKE", "PIKE"},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (!strcmp(t, m[i][0]))
			return m[i][1];
	return t;
}

static const char *dir_full(const char *d)
{
	if (!strcmp(d, "N")) return "NORTH";
	if (!strcmp(d, "S")) return "SOUTH";
	if (!strcmp(d, "E")) return "EAST";
	if (!strcmp(d, "W")) return "WEST";
	return d;
}

/* ---------------------------------------------------------------- people */
/* Whole years between dob and t, approximately (hot loops only). */
static int age_fast(int32_t dob, int32_t t)
{
	return (int)((t - dob) / 365.2425);
}

static int age_at(int32_t dob, int32_t t)
{
	int y1, m1, d1, y2, m2, d2;
	braid__civil_from_days(dob, &y1, &m1, &d1);
	braid__civil_from_days(t, &y2, &m2, &d2);
	int a = y2 - y1;
	if (m2 < m1 || (m2 == m1 && d2 < d1))
		a--;
	return a;
}

static int draw_adult_age(struct rng *r)
{
	/* Adult age bands of a large US city (share of adults, ACS-like). */
	static const int lo[] = {18, 25, 35, 45, 55, 65, 75, 85};
	static const int hi[] = {24, 34, 44, 54, 64, 74, 84, 95};
	static const double w[] = {12, 20, 15, 13, 14, 11, 6, 2.5};
	double t = 0, x;
	for (int i = 0; i < 8; i++)
		t += w[i];
	x = braid__rng_unif(r) * t;
	for (int i = 0; i < 8; i++) {
		if (x < w[i])
			return (int)braid__rng_range(r, lo[i], hi[i]);
		x -= w[i];
	}
	return 40;
}

static const char *const hisp_first[2][16] = {
	{"Maria", "Carmen", "Ana", "Rosa", "Luz", "Gloria", "Marisol", "Yolanda",
	 "Sofia", "Lucia", "Ines", "Monica", "Elena", "Raquel", "Yesenia", "Jazmin"},
	{"Jose", "Luis", "Carlos", "Juan", "Miguel", "Angel", "Jesus", "Pedro",
	 "Ramon", "Hector", "Raul", "Ruben", "Andres", "Julian", "Joaquin", "Oscar"},
};
static const char *const accent_first[][2] = {
	{"Maria", "María"}, {"Sofia", "Sofía"}, {"Lucia", "Lucía"}, {"Ines", "Inés"},
	{"Monica", "Mónica"}, {"Jazmin", "Jazmín"}, {"Jose", "José"}, {"Angel", "Ángel"},
	{"Jesus", "Jesús"}, {"Ramon", "Ramón"}, {"Hector", "Héctor"}, {"Raul", "Raúl"},
	{"Ruben", "Rubén"}, {"Andres", "Andrés"}, {"Julian", "Julián"},
	{"Joaquin", "Joaquín"}, {"Oscar", "Óscar"},
};

static void pick_first(struct world *w, struct person *p, struct rng *r, char initial)
{
	int y, m, d;
	braid__civil_from_days(p->dob, &y, &m, &d);
	int dec = (y - 1880) / 10;
	dec = dec < 0 ? 0 : dec > 13 ? 13 : dec;
	int sx = p->sex == 'M';
	const char *nm = NULL;
	for (int tries = 0; tries < 40; tries++) {
		if (p->hisp && braid__rng_chance(r, 0.5))
			nm = hisp_first[sx][braid__rng_range(r, 0, 15)];
		else
			nm = braid__name_draw(&w->ref.first[dec][sx], r);
		if (!initial || (nm[0] == initial && strcmp(nm, p->first)))
			break;
	}
	if (p->hisp && braid__rng_chance(r, 0.7))
		for (size_t i = 0; i < sizeof accent_first / sizeof accent_first[0]; i++)
			if (!strcmp(nm, accent_first[i][0]))
				nm = accent_first[i][1];
	scopy(p->first, sizeof p->first, nm);
	if (braid__rng_chance(r, 0.65)) {
		const char *mn = braid__name_draw(&w->ref.first[dec][sx], r);
		scopy(p->middle, sizeof p->middle, mn);
	} else {
		p->middle[0] = 0;
	}
}

/* A permutation of the valid SSN space (area 001-899 except 666, group
 * 01-99, serial 0001-9999) indexed by the entity number: unique without a
 * shared table, so households can be generated in any order. */
static uint32_t ssn_of(uint32_t entity, uint64_t seed)
{
	const uint64_t M = 898ULL * 99 * 9999;
	uint64_t i = ((uint64_t)entity * 1481765933ULL % M + seed % M) % M;
	uint64_t serial = i % 9999 + 1;
	i /= 9999;
	uint64_t group = i % 99 + 1;
	i /= 99;
	uint64_t area = i + 1;
	if (area >= 666)
		area++;
	return (uint32_t)(area * 1000000 + group * 10000 + serial);
}

static void new_phone(char *out, struct rng *r)
{
	static const char *const ac[] = {"215", "267", "445"};
	snprintf(out, 12, "%s%03ld%04ld", ac[braid__rng_range(r, 0, 2)],
		 braid__rng_range(r, 200, 999), braid__rng_range(r, 0, 9999));
}

static void set_omb(struct person *p, struct rng *r)
{
	double u = braid__rng_unif(r);
	p->hisp = p->group == RACE_HISP;
	switch (p->group) {
	case RACE_WHITE: p->omb = 0; break;
	case RACE_BLACK: p->omb = 1; break;
	case RACE_API: p->omb = u < 0.92 ? 2 : 4; break;
	case RACE_HISP: p->omb = u < 0.55 ? 0 : u < 0.9 ? 5 : 1; break;
	default: p->omb = u < 0.3 ? 3 : u < 0.8 ? 6 : 5; break;
	}
}

static struct person *add_person(struct world *w, struct household *h, struct rng *r,
				 int role, char sex, int age, int group)
{
	if (h->n >= MAXM)
		return NULL;
	struct person *p = &h->p[h->n++];
	memset(p, 0, sizeof *p);
	/* Entity numbers come from the household number, not a counter, so
	 * that batches of households can be generated in parallel. */
	p->id = h->id * 16 + (uint32_t)h->n;
	p->role = role;
	p->sex = sex;
	p->group = group;
	set_omb(p, r);
	p->dob = w->A - (int32_t)(age * 365.25) - (int32_t)braid__rng_range(r, 0, 364);
	p->death = p->marriage = NONE;
	p->ssn = ssn_of(p->id, w->o->seed);
	if (age >= 16 && braid__rng_chance(r, 0.7))
		new_phone(p->phone, r);
	pick_first(w, p, r, 0);
	return p;
}

static void draw_surname(struct world *w, int group, struct rng *r, char *out, size_t n)
{
	scopy(out, n, braid__name_draw(&w->ref.last[group], r));
}

static int draw_group(const struct tract *t, struct rng *r)
{
	double x = braid__rng_unif(r);
	for (int g = 0; g < RACE__N; g++) {
		if (x < t->mix[g])
			return g;
		x -= t->mix[g];
	}
	return RACE_WHITE;
}

static void place_address(struct world *w, struct addr *a, int near_tract, struct rng *r, int poor)
{
	const struct ref *ref = &w->ref;
	int s;
	size_t lo_i = near_tract >= 0 ? ref->tract_first[near_tract] : 0;
	size_t hi_i = near_tract >= 0 ? ref->tract_first[near_tract + 1] : 0;
	if (hi_i > lo_i) /* a move within the neighbourhood */
		s = (int)ref->tract_street[lo_i + (size_t)braid__rng_range(r, 0, (long)(hi_i - lo_i) - 1)];
	else
		s = (int)braid__rng_range(r, 0, (long)ref->nstreets - 1);
	const struct street *st = &ref->streets[s];
	int side = st->hi[0] > 0 ? 0 : 1;
	if (st->hi[0] > 0 && st->hi[1] > 0)
		side = (int)braid__rng_range(r, 0, 1);
	int lo, hi;
	braid__street_side(st, side, &lo, &hi);
	a->street = s;
	a->num = lo + 2 * (int)braid__rng_range(r, 0, (hi - lo) / 2);
	a->unit[0] = 0;
	if (braid__rng_chance(r, poor ? 0.45 : 0.3)) {
		static const char *const fmt[] = {"%d", "%d%c", "%d", "%d"};
		int k = (int)braid__rng_range(r, 0, 3);
		snprintf(a->unit, sizeof a->unit, fmt[k], (int)braid__rng_range(r, 1, 12),
			 (char)('A' + braid__rng_range(r, 0, 3)));
	}
}

/* Annual probability of death by age (a Gompertz curve near US life tables). */
static double qx(int age)
{
	double q = 0.0004 * exp(0.085 * (age - 25));
	return q > 0.35 ? 0.35 : q;
}

static void gen_household(struct world *w, struct household *h, uint32_t hid, struct rng *r)
{
	const struct ref *ref = &w->ref;
	memset(h, 0, sizeof *h);
	h->id = hid;
	place_address(w, &h->a[0], -1, r, 0);
	h->tract = ref->streets[h->a[0].street].tract;
	const struct tract *t = &ref->tracts[h->tract];
	h->poor = braid__rng_chance(r, t->poverty * 1.15);
	if (h->a[0].unit[0] == 0 && h->poor && braid__rng_chance(r, 0.2))
		snprintf(h->a[0].unit, sizeof h->a[0].unit, "%ld", braid__rng_range(r, 1, 6));
	int group = draw_group(t, r);
	double u = braid__rng_unif(r);
	int type = u < 0.34 ? 0 : u < 0.58 ? 1 : u < 0.71 ? 2 : u < 0.91 ? 3 : 4;
	/* 0 single, 1 couple, 2 single parent, 3 couple with children, 4 multi-generation */
	int hage = draw_adult_age(r);
	if (type >= 2 && type <= 3 && (hage > 56 || hage < 24))
		hage = (int)braid__rng_range(r, 24, 56);
	if (type == 4 && hage < 45)
		hage = (int)braid__rng_range(r, 45, 75);
	char hsex = (type == 2) ? (braid__rng_chance(r, 0.85) ? 'F' : 'M')
				: (braid__rng_chance(r, 0.55) ? 'M' : 'F');
	struct person *head = add_person(w, h, r, 0, hsex, hage, group);
	draw_surname(w, group, r, head->last, sizeof head->last);
	struct person *spouse = NULL, *father = NULL, *mother = NULL;
	if (hsex == 'M')
		father = head;
	else
		mother = head;
	if (type == 1 || type == 3 || (type == 4 && braid__rng_chance(r, 0.6))) {
		int sgroup = braid__rng_chance(r, 0.85) ? group : draw_group(t, r);
		int sage = hage + (int)braid__rng_range(r, -6, 6);
		sage = sage < 18 ? 18 : sage;
		spouse = add_person(w, h, r, 1, hsex == 'M' ? 'F' : 'M', sage, sgroup);
		struct person *wife = hsex == 'M' ? spouse : head, *husb = hsex == 'M' ? head : spouse;
		if (hsex == 'M')
			mother = spouse;
		else
			father = spouse;
		if (wife == spouse || !husb->last[0])
			draw_surname(w, husb->group, r, husb->last, sizeof husb->last);
		draw_surname(w, wife->group, r, wife->former, sizeof wife->former);
		/* Married women mostly take the husband's surname; some hyphenate,
		 * some keep theirs (then "former" stays empty). */
		double v = braid__rng_unif(r);
		if (v < 0.70) {
			scopy(wife->last, sizeof wife->last, husb->last);
		} else if (v < 0.80) {
			snprintf(wife->last, sizeof wife->last, "%s-%s", wife->former, husb->last);
		} else {
			scopy(wife->last, sizeof wife->last, wife->former);
			wife->former[0] = 0;
		}
		if (wife->former[0]) {
			/* A share of the couples marry during the window: the wife's
			 * records before that date carry her maiden name. */
			int wa = age_at(wife->dob, w->A);
			if (wa < 50 && braid__rng_chance(r, 0.25))
				wife->marriage = w->w0 + (int32_t)braid__rng_range(r, 30, w->A - w->w0 - 30);
			else
				wife->marriage = w->w0 - (int32_t)braid__rng_range(r, 100, 8000);
		}
	}
	/* Children */
	int nkids = 0;
	if (type == 2 || type == 3)
		nkids = 1 + (braid__rng_chance(r, 0.45) ? 1 : 0) + (braid__rng_chance(r, 0.2) ? 1 : 0) +
			(braid__rng_chance(r, h->poor ? 0.12 : 0.05) ? 1 : 0);
	if (type == 4)
		nkids = 1;
	struct person *par = mother ? mother : head;
	int page = age_at(par->dob, w->A);
	char other_surname[96] = "";
	if (type == 2)
		draw_surname(w, group, r, other_surname, sizeof other_surname);
	for (int k = 0; k < nkids && h->n < MAXM - 1; k++) {
		int maxage = type == 4 ? 35 : 17;
		int minage = type == 4 ? 18 : 0;
		if (page - 18 < maxage)
			maxage = page - 18;
		if (maxage < minage)
			break;
		int age = (int)braid__rng_range(r, minage, maxage);
		char sex = braid__rng_chance(r, 0.512) ? 'M' : 'F';
		int kgroup = spouse && braid__rng_chance(r, 0.5) ? spouse->group : group;
		struct person *c = add_person(w, h, r, type == 4 ? 3 : 2, sex, age, kgroup);
		if (!c)
			break;
		c->mother = mother ? mother->id : 0;
		if (father && mother && father->group == RACE_HISP && braid__rng_chance(r, 0.5) &&
		    mother->former[0])
			snprintf(c->last, sizeof c->last, "%s %s", father->last, mother->former);
		else if (father)
			scopy(c->last, sizeof c->last, father->last);
		else if (other_surname[0] && braid__rng_chance(r, 0.3))
			scopy(c->last, sizeof c->last, other_surname);
		else
			scopy(c->last, sizeof c->last, head->last);
		/* Jr / Sr: a son named after his father, 20-40 years apart. */
		if (father && sex == 'M' && age_at(father->dob, w->A) - age >= 20 &&
		    age_at(father->dob, w->A) - age <= 40 && braid__rng_chance(r, 0.06)) {
			scopy(c->first, sizeof c->first, father->first);
			scopy(c->middle, sizeof c->middle, father->middle);
			snprintf(c->suffix, sizeof c->suffix, "JR");
			snprintf(father->suffix, sizeof father->suffix, "SR");
		}
		/* Twins: same birth date and surname, similar first names. */
		if (type != 4 && h->n < MAXM - 1 && braid__rng_chance(r, 0.03)) {
			struct person *tw = add_person(w, h, r, 2, braid__rng_chance(r, 0.5) ? sex : (sex == 'M' ? 'F' : 'M'),
						       age, kgroup);
			if (tw) {
				uint32_t keep_id = tw->id, keep_ssn = tw->ssn;
				char sxx = tw->sex;
				*tw = *c;
				tw->id = keep_id;
				tw->ssn = keep_ssn;
				tw->sex = sxx;
				tw->suffix[0] = 0;
				tw->twin = 1;
				c->twin = 1;
				pick_first(w, tw, r, c->first[0]);
			}
		}
	}
	/* Moves: the household's address history over the window. */
	int moves = 0;
	double mv = braid__rng_unif(r);
	double mp = h->poor ? 1.5 : 1.0;
	moves = mv < 0.55 / mp ? 0 : mv < 0.82 ? 1 : mv < 0.95 ? 2 : 3;
	h->a[0].from = w->w0 - (int32_t)braid__rng_range(r, 30, 7000);
	int32_t last = w->w0;
	h->naddr = 1;
	for (int k = 0; k < moves; k++) {
		int32_t span = w->A - last - 60;
		if (span < 60)
			break;
		int32_t d = last + 30 + (int32_t)braid__rng_range(r, 0, span / (moves - k));
		struct addr *a = &h->a[h->naddr++];
		place_address(w, a, braid__rng_chance(r, 0.5) ? h->tract : -1, r, h->poor);
		a->from = d;
		last = d;
	}
	/* Deaths during the window. */
	int y0, m0, d0, y1, m1, d1;
	braid__civil_from_days(w->w0, &y0, &m0, &d0);
	braid__civil_from_days(w->A, &y1, &m1, &d1);
	for (int i = 0; i < h->n; i++) {
		struct person *p = &h->p[i];
		p->mh = age_at(p->dob, w->A) >= 16 && braid__rng_chance(r, h->poor ? 0.16 : 0.05);
		if (p->mh || h->poor)
			snprintf(p->recip, sizeof p->recip, "%010ld", 1000000000L + (long)p->id * 7 + braid__rng_range(r, 0, 6));
		for (int y = y0; y <= y1 && p->death == NONE; y++) {
			int32_t ys = braid__days_from_civil(y, 1, 1);
			if (ys < p->dob)
				continue;
			if (braid__rng_chance(r, qx(age_fast(p->dob, ys)) * (h->poor ? 1.3 : 1.0)))
				p->death = ys + (int32_t)braid__rng_range(r, 0, 364);
			if (p->death != NONE && p->death > w->A)
				p->death = NONE;
			if (p->death != NONE && p->death <= p->dob)
				p->death = NONE;
		}
	}
}

static const struct addr *addr_at(const struct household *h, int32_t t)
{
	const struct addr *a = &h->a[0];
	for (int k = 1; k < h->naddr; k++)
		if (h->a[k].from <= t)
			a = &h->a[k];
	return a;
}

static const struct addr *addr_before(const struct household *h, int32_t t)
{
	int cur = 0;
	for (int k = 1; k < h->naddr; k++)
		if (h->a[k].from <= t)
			cur = k;
	return cur ? &h->a[cur - 1] : NULL;
}

static int alive(const struct person *p, int32_t t)
{
	return t >= p->dob && t < p->death;
}

/* ---------------------------------------------------------------- true events */
static void gen_events(struct world *w, const struct household *h, const struct person *p,
		       struct pev *e, struct rng *r)
{
	memset(e, 0, offsetof(struct pev, sp));
	int32_t end = p->death < w->A ? p->death : w->A;
	/* Benefit spells: Medicaid (0) and SNAP (1), alternating on/off. */
	for (int prog = 0; prog < 2; prog++) {
		double pon = h->poor ? (prog == 0 ? 0.85 : 0.72) : (p->mh && prog == 0 ? 0.5 : 0.07);
		if (!braid__rng_chance(r, pon))
			continue;
		int32_t t = w->w0 - (int32_t)braid__rng_range(r, 0, 900);
		if (!h->poor)
			t = w->w0 + (int32_t)braid__rng_range(r, 0, w->A - w->w0);
		if (t < p->dob)
			t = p->dob;
		while (t < end && e->nsp < 64) {
			int32_t len = h->poor ? (int32_t)braid__rng_range(r, 180, 1800)
					      : (int32_t)braid__rng_range(r, 90, 540);
			struct spell *s = &e->sp[e->nsp++];
			s->prog = prog;
			s->s = t;
			s->e = t + len;
			if (s->e >= end)
				s->e = p->death < NONE && p->death <= w->A ? p->death : NONE;
			if (!h->poor)
				break;
			t += len + (int32_t)braid__rng_range(r, 30, 360);
		}
	}
	int age_a = age_at(p->dob, w->A);
	if (age_a < 17)
		return;
	int months = w->months;
	const int32_t *m0 = w->m0;
	/* Behavioural-health claims: episodes of care for people with a condition. */
	for (int i = 0; i < months; i++) {
		int32_t ms = m0[i];
		if (!p->mh || !alive(p, ms) || age_fast(p->dob, ms) < 16)
			continue;
		if (!braid__rng_chance(r, 0.035))
			continue;
		int k = (int)braid__rng_range(r, 1, 5);
		int32_t d = ms + (int32_t)braid__rng_range(r, 0, 27);
		for (int j = 0; j < k && e->ncl < MAXEV; j++, d += (int32_t)braid__rng_range(r, 3, 14)) {
			if (d > end)
				break;
			struct claim *c = &e->cl[e->ncl++];
			c->d = d;
			c->code = (int)braid__rng_range(r, 0, 5);
			c->amt = 40 + (double)braid__rng_range(r, 0, 26000) / 100.0;
		}
	}
	/* Shelter stays: poverty and mental illness raise the risk. */
	int32_t busy = 0;
	for (int i = 0; i < months; i++) {
		int32_t ms = m0[i];
		if (ms < busy || !alive(p, ms) || age_fast(p->dob, ms) < 18)
			continue;
		double hz = h->poor ? 0.0035 : 0.0003;
		if (p->mh)
			hz *= 4;
		if (!braid__rng_chance(r, hz) || e->nst >= 64)
			continue;
		struct stay *s = &e->st[e->nst++];
		s->s = ms + (int32_t)braid__rng_range(r, 0, 27);
		s->e = s->s + 1 + (int32_t)(-30.0 * log(1.0 - braid__rng_unif(r) * 0.98));
		if (p->death != NONE && s->e > p->death)
			s->e = p->death;
		busy = s->e + 30;
	}
	/* Jail bookings: a monthly hazard raised by a shelter stay or a
	 * behavioural-health claim in the 180 days before; after a release the
	 * next 365 days are decided by the re-booking model with the planted
	 * re-entry effect. */
	int32_t forced = NONE, quiet = 0, free_at = 0;
	for (int i = 0; i < months && e->nbk < 64; i++) {
		int32_t ms = m0[i], me = i + 1 < months ? m0[i + 1] - 1 : w->A;
		int32_t bday;
		if (forced != NONE && forced <= me) {
			bday = forced;
			forced = NONE;
			if (!alive(p, bday) || bday > w->A)
				continue;
		} else {
			if (forced != NONE || ms < quiet || ms < free_at || !alive(p, ms))
				continue;
			int a = age_fast(p->dob, ms);
			if (a < 18)
				continue;
			double hz = p->sex == 'M' ? (a < 36 ? 0.0035 : a < 60 ? 0.0012 : 0.0002)
						  : (a < 50 ? 0.0006 : 0.0001);
			if (h->poor)
				hz *= 2.5;
			int sh = 0, mh = 0;
			for (int k = 0; k < e->nst; k++)
				if (e->st[k].s <= ms && e->st[k].e >= ms - 180)
					sh = 1;
			for (int k = 0; k < e->ncl; k++)
				if (e->cl[k].d <= ms && e->cl[k].d >= ms - 180)
					mh = 1;
			if (sh)
				hz *= 5;
			if (mh)
				hz *= 3;
			if (!braid__rng_chance(r, hz))
				continue;
			bday = ms + (int32_t)braid__rng_range(r, 0, me - ms);
		}
		struct booking *b = &e->bk[e->nbk++];
		memset(b, 0, sizeof *b);
		b->s = bday;
		int32_t los = 1 + (int32_t)(-12.0 * log(1.0 - braid__rng_unif(r) * 0.99));
		b->r = bday + los;
		b->charge = (int)braid__rng_range(r, 0, 7);
		b->young = age_at(p->dob, bday) < 30;
		b->priors = e->nbk > 1;
		for (int k = 0; k < e->ncl; k++)
			if (e->cl[k].d <= bday && e->cl[k].d >= bday - 180)
				b->mhr = 1;
		for (int k = 0; k < e->nst; k++)
			if (e->st[k].s <= bday && e->st[k].e >= bday - 180)
				b->homeless = 1;
		free_at = b->r + 1;
		if (b->r > w->A || (p->death != NONE && b->r >= p->death)) {
			b->r = b->r > w->A ? NONE : b->r;
			break;
		}
		/* Selection into re-entry depends on observed covariates: staff
		 * enrol the people they see as high-risk, so a naive comparison
		 * understates the programme's effect. */
		double pt = 0.08 + 0.22 * b->priors + 0.22 * b->mhr + 0.12 * b->homeless;
		b->treated = braid__rng_chance(r, pt);
		double pr = 0.18 + 0.12 * b->young + 0.16 * b->priors + 0.12 * b->mhr + 0.10 * b->homeless;
		if (b->treated)
			pr += REENTRY_EFFECT;
		if (braid__rng_chance(r, pr))
			forced = b->r + (int32_t)braid__rng_range(r, 7, 365);
		else
			quiet = b->r + 366;
	}
}

/* ---------------------------------------------------------------- output helpers */
enum { D_ISO, D_US, D_COMPACT, D_DMONY };

static void fmt_ymd(char *out, size_t n, int y, int m, int d, int style)
{
	static const char *const mon[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
	if (n < 12 || y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) {
		snprintf(out, n, "%d-%d-%d", y, m, d);
		return;
	}
	char Y[4] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
		     (char)('0' + y % 10)};
	char M[2] = {(char)('0' + m / 10), (char)('0' + m % 10)};
	char D[2] = {(char)('0' + d / 10), (char)('0' + d % 10)};
	char *o = out;
#define CP(a, k) (memcpy(o, a, k), o += k)
	switch (style) {
	case D_US: CP(M, 2); *o++ = '/'; CP(D, 2); *o++ = '/'; CP(Y, 4); break;
	case D_COMPACT: CP(Y, 4); CP(M, 2); CP(D, 2); break;
	case D_DMONY: CP(D, 2); *o++ = '-'; CP(mon[m - 1], 3); *o++ = '-'; CP(Y, 4); break;
	default: CP(Y, 4); *o++ = '-'; CP(M, 2); *o++ = '-'; CP(D, 2); break;
	}
#undef CP
	*o = 0;
}

static const char *fdate(char *out, int32_t t, int style)
{
	if (t == NONE) {
		out[0] = 0;
		return out;
	}
	int y, m, d;
	braid__civil_from_days(t, &y, &m, &d);
	fmt_ymd(out, 16, y, m, d, style);
	return out;
}

/* One CSV field followed by sep; quoted when it holds a comma, quote or
 * line break (RFC 4180).  The files are written by this thread only, so the
 * unlocked stdio calls are safe and avoid a lock per field. */
static void put(FILE *f, const char *s, char sep)
{
	size_t n = 0;
	int quote = 0;
	for (; s[n]; n++)
		quote |= s[n] == ',' || s[n] == '"' || s[n] == '\n' || s[n] == '\r';
	if (quote) {
		putc_unlocked('"', f);
		for (; *s; s++) {
			if (*s == '"')
				putc_unlocked('"', f);
			putc_unlocked(*s, f);
		}
		putc_unlocked('"', f);
	} else {
		fwrite_unlocked(s, 1, n, f);
	}
	putc_unlocked(sep, f);
}

static char *utoa_rev(char *end, unsigned long v)
{
	*--end = 0;
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static void putl(FILE *f, long v, char sep)
{
	char b[24];
	char *p = utoa_rev(b + sizeof b, (unsigned long)(v < 0 ? -v : v));
	if (v < 0)
		*--p = '-';
	put(f, p, sep);
}

/* Money with two decimals, without printf's floating-point path. */
static void putm(FILE *f, double v, char sep)
{
	long c = lround(v * 100.0);
	char b[32];
	char *p = utoa_rev(b + sizeof b, (unsigned long)(c < 0 ? -c : c) / 100);
	size_t k = strlen(p);
	char out[40];
	size_t o = 0;
	if (c < 0)
		out[o++] = '-';
	memcpy(out + o, p, k);
	o += k;
	long cents = (c < 0 ? -c : c) % 100;
	out[o++] = '.';
	out[o++] = (char)('0' + cents / 10);
	out[o++] = (char)('0' + cents % 10);
	out[o] = 0;
	put(f, out, sep);
}

/* ---------------------------------------------------------------- a source's view of a person */
struct ident {
	char first[160], middle[64], last[192], suffix[8];
	int y, m, d, has_dob;
	char ssn[12];      /* 9 digits or "" */
	int stale, abbr, altdate;
	char phone[12];
};

static void swap_str(char *a, char *b, size_t n)
{
	char t[192];
	scopy(t, sizeof t, a);
	scopy(a, n, b);
	scopy(b, n, t);
}

static void title_ascii(char *s)
{
	int start = 1;
	for (; *s; s++) {
		if (start && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
		else if (!start && *s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
		start = !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s & 0x80));
	}
}

static void make_ident(struct world *w, int src, const struct person *p, int32_t t,
		       struct ident *id, struct rng *r)
{
	const struct src_profile *sp = &braid__src[src];
	struct src_stats *ss = &w->ss[src];
	double sc = w->o->error_scale;
	memset(id, 0, sizeof *id);
	scopy(id->first, sizeof id->first, p->first);
	scopy(id->middle, sizeof id->middle, p->middle);
	scopy(id->last, sizeof id->last, (p->former[0] && t < p->marriage) ? p->former : p->last);
	scopy(id->suffix, sizeof id->suffix, p->suffix);
	ss->with_field[0] += sp->has_first;
	ss->with_field[1] += sp->has_first;
	ss->with_field[2] += sp->has_dob;
	ss->with_field[3] += sp->has_ssn;
	/* names */
	if (braid__rng_chance(r, braid__rate(sp->marks, sc))) {
		int c = braid__err_strip_marks(id->first, sizeof id->first);
		c |= braid__err_strip_marks(id->last, sizeof id->last);
		ss->err[E_MARKS] += c;
	}
	if (braid__rng_chance(r, braid__rate(sp->hyphen, sc)) &&
	    braid__err_hyphen(id->last, sizeof id->last, r))
		ss->err[E_HYPHEN]++;
	if (sp->has_first && braid__rng_chance(r, braid__rate(sp->swap, sc))) {
		swap_str(id->first, id->last, sizeof id->first);
		ss->err[E_SWAP]++;
		ss->err[E_FIRST]++;
		ss->err[E_LAST]++;
	} else if (sp->has_first) {
		double u = braid__rng_unif(r);
		double a = braid__rate(sp->typo, sc), b = a + braid__rate(sp->phon, sc),
		       c = b + braid__rate(sp->nick, sc), d = c + braid__rate(sp->mif, sc),
		       e = d + braid__rate(sp->miss_first, sc);
		int done = 1;
		if (u < a) {
			braid__err_typo(id->first, sizeof id->first, r);
		} else if (u < b) {
			if (!braid__err_phonetic(id->first, sizeof id->first, r))
				braid__err_typo(id->first, sizeof id->first, r);
		} else if (u < c) {
			char upname[64];
			scopy(upname, sizeof upname, id->first);
			braid__err_strip_marks(upname, sizeof upname);
			braid_ascii_upper(upname);
			const char *nk = braid__nick_of(&w->ref, upname, r);
			if (nk) {
				scopy(id->first, sizeof id->first, nk);
				title_ascii(id->first);
				ss->err[E_NICK]++;
			} else {
				braid__err_typo(id->first, sizeof id->first, r);
			}
		} else if (u < d) {
			if (id->middle[0]) {
				size_t l = strlen(id->first);
				snprintf(id->first + l, sizeof id->first - l, " %s", id->middle);
				id->middle[0] = 0;
				ss->err[E_MIF]++;
			} else {
				braid__err_typo(id->first, sizeof id->first, r);
			}
		} else if (u < e) {
			id->first[0] = 0;
		} else {
			done = 0;
		}
		ss->err[E_FIRST] += done;
		u = braid__rng_unif(r);
		a = braid__rate(sp->typo, sc);
		b = a + braid__rate(sp->phon, sc);
		if (u < a) {
			braid__err_typo(id->last, sizeof id->last, r);
			ss->err[E_LAST]++;
		} else if (u < b) {
			if (!braid__err_phonetic(id->last, sizeof id->last, r))
				braid__err_typo(id->last, sizeof id->last, r);
			ss->err[E_LAST]++;
		}
	}
	if (braid__rng_chance(r, braid__rate(sp->space, sc))) {
		braid__extra_spaces(id->last, sizeof id->last, r);
		ss->err[E_SPACE]++;
	}
	if (sp->ascii) {
		braid__err_strip_marks(id->first, sizeof id->first);
		braid__err_strip_marks(id->middle, sizeof id->middle);
		braid__err_strip_marks(id->last, sizeof id->last);
	}
	if (sp->upper) {
		braid__str_upper_utf8(id->first, sizeof id->first);
		braid__str_upper_utf8(id->middle, sizeof id->middle);
		braid__str_upper_utf8(id->last, sizeof id->last);
	}
	/* date of birth */
	braid__civil_from_days(p->dob, &id->y, &id->m, &id->d);
	id->has_dob = 1;
	if (sp->has_dob) {
		double u = braid__rng_unif(r);
		double a = braid__rate(sp->dm, sc), b = a + braid__rate(sp->ydig, sc),
		       c = b + braid__rate(sp->miss_dob, sc);
		if (u < a && id->d <= 12 && id->d != id->m) {
			int x = id->d;
			id->d = id->m;
			id->m = x;
			ss->err[E_DOB]++;
		} else if (u < b) {
			/* wrong year digit: the last digit, or the tens digit */
			int last = id->y % 10, tens = (id->y / 10) % 10;
			if (braid__rng_chance(r, 0.7)) {
				int nd = (last + (int)braid__rng_range(r, 1, 9)) % 10;
				id->y = id->y - last + nd;
			} else {
				int nd = (tens + (int)braid__rng_range(r, 1, 2)) % 10;
				id->y = id->y - tens * 10 + nd * 10;
			}
			ss->err[E_DOB]++;
		} else if (u < c) {
			id->has_dob = 0;
			ss->err[E_DOB]++;
		}
	}
	/* SSN */
	zpad(id->ssn, p->ssn, 9);
	if (sp->has_ssn) {
		double u = braid__rng_unif(r);
		double a = braid__rate(sp->miss_ssn, 1.0), b = a + braid__rate(sp->ssn_ph, sc),
		       c = b + braid__rate(sp->ssn_typo, sc);
		/* Missing SSNs are how agencies work, not an error: not scaled. */
		if (u < a) {
			id->ssn[0] = 0;
			ss->err[E_SSN]++;
		} else if (u < b) {
			static const char *const ph[] = {"999999999", "000000000", "123456789", "111111111"};
			scopy(id->ssn, sizeof id->ssn, ph[braid__rng_range(r, 0, 3)]);
			ss->err[E_SSN]++;
		} else if (u < c) {
			int i = (int)braid__rng_range(r, 0, 7);
			if (id->ssn[i] != id->ssn[i + 1] && braid__rng_chance(r, 0.5)) {
				char x = id->ssn[i];
				id->ssn[i] = id->ssn[i + 1];
				id->ssn[i + 1] = x;
			} else {
				id->ssn[i] = (char)('0' + (id->ssn[i] - '0' + braid__rng_range(r, 1, 9)) % 10);
			}
			ss->err[E_SSN]++;
		}
	}
	id->stale = braid__rng_chance(r, braid__rate(sp->stale, sc));
	id->abbr = braid__rng_chance(r, braid__rate(sp->abbr_flip, sc)) ? !sp->abbr : sp->abbr;
	if (id->abbr != sp->abbr)
		ss->err[E_ABBR]++;
	scopy(id->phone, sizeof id->phone, p->phone);
	id->altdate = sp->datefmt > 0 && braid__rng_chance(r, braid__rate(sp->datefmt, sc));
	ss->err[E_DATEFMT] += id->altdate;
	ss->records++;
}

static const char *fdob(char *out, const struct ident *id, int style)
{
	if (!id->has_dob) {
		out[0] = 0;
		return out;
	}
	fmt_ymd(out, 16, id->y, id->m, id->d, style);
	return out;
}

static const char *fssn(char *out, const struct ident *id, int dashed)
{
	if (!id->ssn[0])
		out[0] = 0;
	else if (dashed)
		snprintf(out, 16, "%.3s-%.2s-%.4s", id->ssn, id->ssn + 3, id->ssn + 5);
	else
		scopy(out, 16, id->ssn);
	return out;
}

static const char *fphone(char *out, const char *ph, int style)
{
	if (!ph[0])
		out[0] = 0;
	else if (style == 1)
		snprintf(out, 20, "(%.3s) %.3s-%.4s", ph, ph + 3, ph + 6);
	else if (style == 2)
		snprintf(out, 20, "%.3s-%.3s-%.4s", ph, ph + 3, ph + 6);
	else if (style == 3)
		snprintf(out, 20, "%.3s.%.3s.%.4s", ph, ph + 3, ph + 6);
	else
		scopy(out, 20, ph);
	return out;
}

/* The address a record shows at time t (a stale one when the ident says
 * so and there is an older one). */
static const struct addr *rec_addr(const struct household *h, const struct ident *id, int32_t t)
{
	const struct addr *a = id->stale ? addr_before(h, t) : NULL;
	return a ? a : addr_at(h, t);
}

/* "1234 N BROAD ST" (abbr) or "1234 NORTH BROAD STREET"; with_unit adds
 * " APT 2". */
static const char *faddr(struct world *w, char *out, size_t n, const struct addr *a, int abbr,
			 int with_unit)
{
	const struct street *s = &w->ref.streets[a->street];
	const char *pre = abbr ? s->pre : dir_full(s->pre);
	const char *type = abbr ? s->type : street_type_full(s->type);
	const char *post = abbr ? s->post : dir_full(s->post);
	/* by hand rather than snprintf: this runs for most rows */
	char num[16];
	zpad(num, (uint32_t)(a->num > 0 ? a->num : 0), 1);
	const char *part[] = {num, pre, s->name, type, post,
			      with_unit && a->unit[0] ? (abbr ? "APT" : "APARTMENT") : "",
			      with_unit && a->unit[0] ? a->unit : ""};
	size_t k = 0;
	for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
		size_t l = strlen(part[i]);
		if (!l)
			continue;
		if (k && k + 1 < n)
			out[k++] = ' ';
		if (k + l >= n)
			l = k + 1 < n ? n - k - 1 : 0;
		memcpy(out + k, part[i], l);
		k += l;
	}
	if (n)
		out[k < n ? k : n - 1] = 0;
	return out;
}

static const char *fzip(struct world *w, const struct addr *a)
{
	return w->ref.tracts[w->ref.streets[a->street].tract].zip;
}

static void truth_line(struct world *w, int src, const char *rid, uint32_t entity)
{
	/* once per record: written by hand, printf's parsing showed in profiles */
	char e[12];
	zpad(e, entity, 7);
	FILE *f = w->f_persons;
	const char *nm = braid__src[src].name;
	fwrite_unlocked(nm, 1, strlen(nm), f);
	putc_unlocked(',', f);
	fwrite_unlocked(rid, 1, strlen(rid), f);
	putc_unlocked(',', f);
	putc_unlocked('P', f);
	fwrite_unlocked(e, 1, strlen(e), f);
	putc_unlocked('\n', f);
}

/* Where a record of n rows splits into two records (a duplicate
 * registration); 0 = no split. */
static int dup_split(struct world *w, int src, int n, struct rng *r)
{
	if (n < 2 || !braid__rng_chance(r, braid__rate(braid__src[src].dup, w->o->error_scale)))
		return 0;
	w->ss[src].err[E_DUP]++;
	return (int)braid__rng_range(r, 1, n - 1);
}

/* ---------------------------------------------------------------- source writers */
static const char *const omb_letter = "WBAIPOO"; /* jail, child welfare */
static const char *const omb_digit = "1234567";  /* dhs */

static void w_jail(struct world *w, const struct household *h, const struct person *p,
		   const struct pev *e, struct rng *r)
{
	static const char *const charge[] = {"DRUG POSS", "RETAIL THEFT", "SIMPLE ASSAULT", "DUI",
					     "TRESPASS", "BURGLARY", "PROB VIOLATION", "AGG ASSAULT"};
	static const char *const fac[] = {"CFCF", "PICC", "RCF", "DC"};
	if (!e->nbk)
		return;
	FILE *f = w->out[S_JAIL];
	int split = dup_split(w, S_JAIL, e->nbk, r);
	struct ident id;
	char pid[24], b1[16], b2[16], b3[16], a[256];
	for (int i = 0; i < e->nbk; i++) {
		if (i == 0 || i == split) {
			make_ident(w, S_JAIL, p, e->bk[i].s, &id, r);
			snprintf(pid, sizeof pid, "%llu", 500000ULL + p->id * 4ULL + (i > 0));
			truth_line(w, S_JAIL, pid, p->id);
		}
		const struct booking *b = &e->bk[i];
		const struct addr *ad = rec_addr(h, &id, b->s);
		put(f, pid, ',');
		put(f, id.last, ',');
		put(f, id.first, ',');
		put(f, id.middle, ',');
		put(f, id.suffix, ',');
		put(f, fdob(b1, &id, D_US), ',');
		put(f, p->sex == 'M' ? "M" : "F", ',');
		char rc[2] = {omb_letter[p->omb], 0};
		put(f, rc, ',');
		put(f, p->hisp ? "Y" : "N", ',');
		put(f, fssn(b2, &id, 1), ',');
		put(f, faddr(w, a, sizeof a, ad, id.abbr, 1), ',');
		put(f, fzip(w, ad), ',');
		char bn[24];
		snprintf(bn, sizeof bn, "B%09llu", p->id * 64ULL + (unsigned)i);
		put(f, bn, ',');
		put(f, fdate(b1, b->s, D_US), ',');
		put(f, fdate(b3, b->r, D_US), ',');
		put(f, charge[b->charge], ',');
		put(f, fac[(b->s + (int32_t)p->id) & 3], ',');
		put(f, b->treated ? "REENTRY" : "", '\n');
		w->ss[S_JAIL].rows++;
	}
}

static void w_hmis(struct world *w, const struct household *h, const struct person *p,
		   const struct pev *e, struct rng *r)
{
	static const char *const hud_race[] = {"5", "3", "2", "1", "4", "99", "8"};
	if (!e->nst)
		return;
	FILE *f = w->out[S_HMIS];
	int split = dup_split(w, S_HMIS, e->nst, r);
	struct ident id;
	char pid[24], b1[16], b2[16];
	for (int i = 0; i < e->nst; i++) {
		if (i == 0 || i == split) {
			make_ident(w, S_HMIS, p, e->st[i].s, &id, r);
			snprintf(pid, sizeof pid, "%llu", 10000ULL + p->id * 4ULL + (i > 0));
			truth_line(w, S_HMIS, pid, p->id);
		}
		const struct addr *ad = rec_addr(h, &id, e->st[i].s);
		put(f, pid, ',');
		put(f, id.first, ',');
		put(f, id.middle, ',');
		put(f, id.last, ',');
		put(f, id.suffix, ',');
		put(f, id.first[0] && id.last[0] ? "1" : "2", ',');
		put(f, fssn(b1, &id, 0), ',');
		put(f, id.ssn[0] ? "1" : "99", ',');
		put(f, fdob(b2, &id, D_ISO), ',');
		put(f, id.has_dob ? "1" : "99", ',');
		put(f, hud_race[p->omb], ',');
		put(f, p->hisp ? "1" : "0", ',');
		put(f, p->sex == 'M' ? "1" : "0", ',');
		putl(f, (long)(p->id * 64L + i), ',');
		put(f, "1", ',');
		put(f, fdate(b1, e->st[i].s, D_ISO), ',');
		put(f, fdate(b2, e->st[i].e > w->A ? NONE : e->st[i].e, D_ISO), ',');
		put(f, fzip(w, ad), '\n');
		w->ss[S_HMIS].rows++;
	}
}

static void w_bh(struct world *w, const struct household *h, const struct person *p,
		 const struct pev *e, struct rng *r)
{
	static const char *const proc[] = {"H0004", "90837", "90792", "H2011", "H0020", "99214"};
	static const char *const dx[] = {"DEPRESSION", "BIPOLAR", "SCHIZOPHRENIA", "ANXIETY",
					 "SUD_OPIOID", "PTSD"};
	if (!e->ncl)
		return;
	FILE *f = w->out[S_BH];
	int split = dup_split(w, S_BH, e->ncl, r);
	struct ident id;
	char mid[24], b1[16], b2[16];
	int dxk = (int)(p->id % 6);
	for (int i = 0; i < e->ncl; i++) {
		if (i == 0 || i == split) {
			make_ident(w, S_BH, p, e->cl[i].d, &id, r);
			snprintf(mid, sizeof mid, "M%09llu", p->id * 4ULL + (i > 0));
			truth_line(w, S_BH, mid, p->id);
		}
		const struct addr *ad = rec_addr(h, &id, e->cl[i].d);
		put(f, mid, ',');
		put(f, braid__rng_chance(r, 0.9) ? p->recip : "", ',');
		put(f, id.last, ',');
		put(f, id.first, ',');
		put(f, fdob(b1, &id, D_COMPACT), ',');
		put(f, p->sex == 'M' ? "1" : "2", ',');
		put(f, fssn(b2, &id, 0), ',');
		put(f, fzip(w, ad), ',');
		char cid[24];
		snprintf(cid, sizeof cid, "C%011llu", p->id * 512ULL + (unsigned)i);
		put(f, cid, ',');
		put(f, fdate(b1, e->cl[i].d, D_COMPACT), ',');
		put(f, proc[e->cl[i].code], ',');
		put(f, dx[dxk], ',');
		putm(f, e->cl[i].amt, ',');
		putl(f, 3000 + (long)((h->tract * 7 + e->cl[i].code) % 40), '\n');
		w->ss[S_BH].rows++;
	}
}

/* One record per case: each programme spell is an application of its own
 * (a renewal after a closure opens a new case with a new CASE_NO), so a
 * person with several spells has several records, tied together only by
 * the identifiers on them (RECIP_NO when the person has one).  A duplicate
 * is a case keyed in twice under two numbers. */
static void w_dhs(struct world *w, const struct household *h, const struct person *p,
		  const struct pev *e, struct rng *r)
{
	FILE *f = w->out[S_DHS];
	struct ident id;
	char cno[24], b1[16], b2[16], a[256];
	for (int i = 0; i < e->nsp; i++) {
		int32_t t = e->sp[i].s < w->w0 ? w->w0 : e->sp[i].s;
		int reps = braid__rng_chance(r, braid__rate(braid__src[S_DHS].dup, w->o->error_scale)) ? 2 : 1;
		if (reps == 2)
			w->ss[S_DHS].err[E_DUP]++;
		for (int k = 0; k < reps; k++) {
			make_ident(w, S_DHS, p, t, &id, r);
			snprintf(cno, sizeof cno, "%011llu", p->id * 256ULL + (unsigned)i * 2 + (unsigned)k);
			truth_line(w, S_DHS, cno, p->id);
			const struct addr *ad = rec_addr(h, &id, t);
			put(f, cno, ',');
			put(f, p->recip, ',');
			put(f, id.last, ',');
			put(f, id.first, ',');
			char mi[2] = {id.middle[0], 0};
			put(f, mi, ',');
			put(f, id.suffix, ',');
			put(f, fdob(b1, &id, D_US), ',');
			put(f, p->sex == 'M' ? "M" : "F", ',');
			put(f, fssn(b2, &id, 1), ',');
			char rc[2] = {omb_digit[p->omb], 0};
			put(f, rc, ',');
			put(f, p->hisp ? "Y" : "N", ',');
			put(f, faddr(w, a, sizeof a, ad, id.abbr, 1), ',');
			put(f, "PHILADELPHIA", ',');
			put(f, fzip(w, ad), ',');
			put(f, e->sp[i].prog ? "SNAP" : "MA", ',');
			put(f, fdate(b1, e->sp[i].s, D_US), ',');
			put(f, fdate(b2, e->sp[i].e, D_US), '\n');
			w->ss[S_DHS].rows++;
		}
	}
}

static void w_school(struct world *w, const struct household *h, const struct person *p,
		     struct rng *r)
{
	int y0, y1, mm, dd;
	braid__civil_from_days(w->w0, &y0, &mm, &dd);
	braid__civil_from_days(w->A, &y1, &mm, &dd);
	/* One row per enrolment spell: consecutive school years at the same
	 * school (same level, same catchment) are one spell. */
	struct { int32_t s, e; int grade, year, code; } yr[32];
	int n = 0;
	for (int y = y0; y <= y1 && n < 32; y++) {
		int32_t s = braid__days_from_civil(y, 9, 1) + (int32_t)((p->id + (uint32_t)y) % 7);
		int32_t e = braid__days_from_civil(y + 1, 6, 15);
		int age = age_at(p->dob, braid__days_from_civil(y, 9, 1));
		if (s > w->A || age < 5 || age > 17 || !alive(p, s))
			continue;
		if (p->death != NONE && p->death < e)
			e = p->death;
		if (e > w->A)
			e = NONE;
		int grade = age - 5, level = grade <= 5 ? 1 : grade <= 8 ? 2 : 3;
		int code = 1000 + (w->ref.streets[addr_at(h, s)->street].tract / 3) * 3 + level;
		if (n && yr[n - 1].code == code && yr[n - 1].year + 1 == y && yr[n - 1].e != NONE) {
			yr[n - 1].e = e;
			yr[n - 1].year = y;
			continue;
		}
		yr[n].s = s, yr[n].e = e, yr[n].grade = grade, yr[n].year = y, yr[n].code = code;
		n++;
	}
	if (!n)
		return;
	FILE *f = w->out[S_SCHOOL];
	int split = dup_split(w, S_SCHOOL, n, r);
	struct ident id;
	char sid[24], b1[16], b2[16], a[256];
	for (int i = 0; i < n; i++) {
		if (i == 0 || i == split) {
			make_ident(w, S_SCHOOL, p, yr[i].s, &id, r);
			snprintf(sid, sizeof sid, "%08llu", 20000000ULL + p->id * 4ULL + (i > 0));
			truth_line(w, S_SCHOOL, sid, p->id);
		}
		const struct addr *ad = rec_addr(h, &id, yr[i].s);
		put(f, sid, ',');
		put(f, id.last, ',');
		put(f, id.first, ',');
		put(f, id.middle, ',');
		put(f, fdob(b1, &id, D_US), ',');
		put(f, p->sex == 'M' ? "M" : "F", ',');
		static const char *const eth[] = {"5", "3", "2", "1", "7", "8", "6"};
		put(f, p->hisp ? "4" : eth[p->omb], ',');
		put(f, faddr(w, a, sizeof a, ad, id.abbr, 0), ',');
		put(f, ad->unit, ',');
		put(f, fzip(w, ad), ',');
		char sy[16];
		int y_in, m_in, d_in;
		braid__civil_from_days(yr[i].s, &y_in, &m_in, &d_in);
		snprintf(sy, sizeof sy, "%d-%d", y_in, y_in + 1);
		put(f, sy, ',');
		putl(f, yr[i].code, ',');
		char gr[4];
		snprintf(gr, sizeof gr, "%s%d", "", yr[i].grade);
		put(f, yr[i].grade ? gr : "K", ',');
		put(f, fdate(b1, yr[i].s, D_US), ',');
		put(f, fdate(b2, yr[i].e, D_US), '\n');
		w->ss[S_SCHOOL].rows++;
	}
}

static void w_cw(struct world *w, const struct household *h, const struct person *p, struct rng *r)
{
	static const char *const alleg[] = {"NEGLECT", "PHYSICAL ABUSE", "INADEQUATE SHELTER",
					    "TRUANCY", "SUBSTANCE EXPOSED", "SEXUAL ABUSE"};
	int32_t adult = p->dob + (int32_t)(18 * 365.25);
	int32_t lo = p->dob > w->w0 ? p->dob : w->w0, hi = adult < w->A ? adult : w->A;
	if (p->death != NONE && p->death < hi)
		hi = p->death;
	if (hi - lo < 60 || !braid__rng_chance(r, h->poor ? 0.15 : 0.02))
		return;
	int n = (int)braid__rng_range(r, 1, 3);
	int32_t d[3];
	for (int i = 0; i < n; i++)
		d[i] = lo + (int32_t)braid__rng_range(r, 0, hi - lo);
	for (int i = 1; i < n; i++) /* tiny insertion sort */
		for (int j = i; j > 0 && d[j] < d[j - 1]; j--) {
			int32_t t = d[j];
			d[j] = d[j - 1];
			d[j - 1] = t;
		}
	FILE *f = w->out[S_CW];
	int split = dup_split(w, S_CW, n, r);
	struct ident id;
	char cid[24], b1[16], a[256];
	for (int i = 0; i < n; i++) {
		if (i == 0 || i == split) {
			make_ident(w, S_CW, p, d[i], &id, r);
			snprintf(cid, sizeof cid, "CW%09llu", p->id * 4ULL + (i > 0));
			truth_line(w, S_CW, cid, p->id);
		}
		const struct addr *ad = rec_addr(h, &id, d[i]);
		put(f, cid, ',');
		put(f, id.first, ',');
		put(f, id.middle, ',');
		put(f, id.last, ',');
		put(f, fdob(b1, &id, D_DMONY), ',');
		put(f, p->sex == 'M' ? "M" : "F", ',');
		static const char *const rl[] = {"W", "B", "A", "I", "P", "O", "M"};
		put(f, rl[p->omb], ',');
		put(f, p->hisp ? "Y" : "N", ',');
		char rid[24];
		snprintf(rid, sizeof rid, "R%09llu", p->id * 4ULL + (unsigned)i);
		put(f, rid, ',');
		put(f, fdate(b1, d[i], D_DMONY), ',');
		int sub = braid__rng_chance(r, 0.3);
		put(f, alleg[braid__rng_range(r, 0, 5)], ',');
		put(f, sub ? "SUBSTANTIATED" : "UNFOUNDED", ',');
		put(f, sub && braid__rng_chance(r, 0.25) ? "Y" : "N", ',');
		int32_t close = d[i] + (int32_t)braid__rng_range(r, 20, 400);
		put(f, fdate(b1, close > w->A ? NONE : close, D_DMONY), ',');
		put(f, faddr(w, a, sizeof a, ad, id.abbr, 1), ',');
		put(f, fzip(w, ad), '\n');
		w->ss[S_CW].rows++;
	}
}

static void w_birth(struct world *w, const struct household *h, const struct person *p,
		    struct rng *r)
{
	if (p->dob < w->w0 || p->dob > w->A)
		return;
	FILE *f = w->out[S_BIRTHS];
	struct ident id;
	make_ident(w, S_BIRTHS, p, p->dob, &id, r);
	int y, m, d;
	braid__civil_from_days(p->dob, &y, &m, &d);
	char cert[24], b1[16], a[256];
	snprintf(cert, sizeof cert, "%d%09u", y, p->id);
	truth_line(w, S_BIRTHS, cert, p->id);
	const struct person *mo = NULL;
	for (int i = 0; i < h->n; i++)
		if (h->p[i].id == p->mother)
			mo = &h->p[i];
	const struct addr *ad = rec_addr(h, &id, p->dob);
	put(f, cert, ',');
	put(f, id.first, ',');
	put(f, id.middle, ',');
	put(f, id.last, ',');
	put(f, fdob(b1, &id, D_COMPACT), ',');
	put(f, p->sex == 'M' ? "1" : "2", ',');
	putl(f, (long)(3300 + 520 * braid__rng_normal(r) - (h->poor ? 180 : 0) - (p->twin ? 800 : 0)), ',');
	put(f, p->twin ? "2" : "1", ',');
	char mf[64] = "", ml[96] = "", mm[96] = "";
	if (mo) {
		scopy(mf, sizeof mf, mo->first);
		scopy(ml, sizeof ml, mo->former[0] && p->dob < mo->marriage ? mo->former : mo->last);
		scopy(mm, sizeof mm, mo->former[0] ? mo->former : mo->last);
		braid__str_upper_utf8(mf, sizeof mf);
		braid__str_upper_utf8(ml, sizeof ml);
		braid__str_upper_utf8(mm, sizeof mm);
	}
	put(f, mf, ',');
	put(f, ml, ',');
	put(f, mm, ',');
	put(f, mo ? fdate(b1, mo->dob, D_COMPACT) : "", ',');
	static const char *const rl[] = {"W", "B", "A", "I", "P", "O", "M"};
	put(f, mo ? rl[mo->omb] : "", ',');
	put(f, mo ? (mo->hisp ? "Y" : "N") : "", ',');
	put(f, faddr(w, a, sizeof a, ad, id.abbr, 1), ',');
	put(f, fzip(w, ad), '\n');
	w->ss[S_BIRTHS].rows++;
}

/* Quarterly wage records of the last WAGE_YEARS years of the window.  The
 * unit an employer reports is a job, and each job carries that employer's
 * own employee key, so a person who changes jobs has several records (as
 * in real UI wage files, where SSN + employer is the key). */
#define WAGE_YEARS 2
#define MAXJOB 24
static void w_wages(struct world *w, const struct household *h, const struct person *p,
		    struct rng *r)
{
	int y1, y0, mm, dd;
	braid__civil_from_days(w->A, &y1, &mm, &dd);
	braid__civil_from_days(w->w0, &y0, &mm, &dd);
	int32_t qs[4 * WAGE_YEARS];
	int nq = 0;
	for (int y = y1 - WAGE_YEARS + 1; y <= y1; y++)
		for (int q = 0; q < 4; q++)
			if (y >= y0)
				qs[nq++] = braid__days_from_civil(y, 1 + 3 * q, 1);
	if (!nq)
		return;
	int age = age_at(p->dob, qs[nq - 1]);
	if (age < 17 || age > 70 || !braid__rng_chance(r, h->poor ? 0.5 : (age > 64 ? 0.35 : 0.8)))
		return;
	/* Jobs, quarter by quarter: a job ends with a quarterly separation
	 * rate (higher in low-wage work), a new one is found with a quarterly
	 * finding rate; a few people hold a second job at the same time. */
	struct { int q0, q1; long ein; double base; } job[MAXJOB];
	int nj = 0, cur[2] = {-1, -1};
	double sep = h->poor ? 0.14 : 0.05, find = h->poor ? 0.35 : 0.55;
	double lvl = (h->poor ? 4200 : 12500) * exp(0.55 * braid__rng_normal(r));
	for (int q = 0; q < nq; q++) {
		int a = age_at(p->dob, qs[q]);
		int ok = alive(p, qs[q]) && a >= 16 && a <= 72;
		for (int k = 0; k < 2; k++)
			if (cur[k] >= 0 && (!ok || braid__rng_chance(r, k ? 0.25 : sep))) {
				job[cur[k]].q1 = q - 1;
				cur[k] = -1;
			}
		if (!ok)
			continue;
		for (int k = 0; k < 2 && nj < MAXJOB; k++) {
			if (cur[k] >= 0)
				continue;
			double pf = k ? (cur[0] >= 0 ? 0.02 : 0) : (q == 0 ? 0.85 : find);
			if (!braid__rng_chance(r, pf))
				continue;
			cur[k] = nj;
			job[nj].q0 = q;
			job[nj].q1 = nq - 1;
			job[nj].ein = 100000000L + (long)braid__rng_range(r, 0, 4999) * 1777;
			job[nj].base = lvl * (k ? 0.35 : 0.8 + 0.4 * braid__rng_unif(r));
			nj++;
		}
	}
	FILE *f = w->out[S_WAGES];
	for (int j = 0; j < nj; j++) {
		int n = job[j].q1 - job[j].q0 + 1;
		if (n <= 0)
			continue;
		int split = dup_split(w, S_WAGES, n, r);
		struct ident id;
		char key[24], b1[16], b2[16], eb[24];
		snprintf(eb, sizeof eb, "%02ld-%07ld", job[j].ein / 10000000, job[j].ein % 10000000);
		for (int k = 0; k < n; k++) {
			int q = job[j].q0 + k;
			if (k == 0 || k == split) {
				make_ident(w, S_WAGES, p, qs[q], &id, r);
				snprintf(key, sizeof key, "E%09llu", p->id * 64ULL + (unsigned)j * 2 + (k > 0));
				truth_line(w, S_WAGES, key, p->id);
			}
			int y, m, d;
			braid__civil_from_days(qs[q], &y, &m, &d);
			put(f, key, ',');
			put(f, fssn(b1, &id, 0), ',');
			put(f, id.last, ',');
			put(f, id.first, ',');
			char mi[2] = {id.middle[0], 0};
			put(f, mi, ',');
			put(f, eb, ',');
			putl(f, y, ',');
			putl(f, (m - 1) / 3 + 1, ',');
			put(f, fdate(b2, qs[q], D_ISO), ',');
			putm(f, job[j].base * (0.85 + 0.3 * braid__rng_unif(r)), '\n');
			w->ss[S_WAGES].rows++;
		}
	}
}

/* The client list of a network of community organisations: one row per
 * programme a person signed up for (the list has no client id, so every
 * row is a record); a duplicate is a second sign-up for the same
 * programme, written later. */
static void w_cbo(struct world *w, const struct household *h, const struct person *p,
		  struct rng *r)
{
	static const char *const prog[] = {"Food Pantry", "Legal Aid", "Job Readiness",
					   "Utility Help", "Youth Mentoring"};
	if (age_at(p->dob, w->A) < 18 || !braid__rng_chance(r, h->poor ? 0.45 : 0.08))
		return;
	int32_t lo = w->w0 > p->dob + 6575 ? w->w0 : p->dob + 6575;
	int32_t hi = p->death < w->A ? p->death : w->A;
	if (hi <= lo)
		return;
	int order[5] = {0, 1, 2, 3, 4};
	for (int i = 4; i > 0; i--) {
		int j = (int)braid__rng_range(r, 0, i), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	int np = 1 + braid__rng_chance(r, 0.6) + braid__rng_chance(r, 0.35) + braid__rng_chance(r, 0.15);
	FILE *f = w->out[S_CBO];
	for (int k = 0; k < np; k++) {
		int32_t v = lo + (int32_t)braid__rng_range(r, 0, hi - lo);
		int reps = braid__rng_chance(r, braid__rate(braid__src[S_CBO].dup, w->o->error_scale)) ? 2 : 1;
		if (reps == 2)
			w->ss[S_CBO].err[E_DUP]++;
		for (int rep = 0; rep < reps; rep++) {
			struct ident id;
			make_ident(w, S_CBO, p, v, &id, r);
			char nm[400], b1[16], ph[20];
			/* the record id is the data row number, known only when the
			 * batches are put in order: the entity is noted for that */
			fprintf(w->f_cbo, "P%07u\n", p->id);
			const struct addr *ad = rec_addr(h, &id, v);
			snprintf(nm, sizeof nm, "%s%s%s", id.first, id.first[0] ? " " : "", id.last);
			put(f, nm, ',');
			put(f, braid__rng_chance(r, 0.3) ? "" : fphone(ph, id.phone, 3), ',');
			put(f, fzip(w, ad), ',');
			if (id.has_dob)
				putl(f, id.y, ',');
			else
				put(f, "", ',');
			put(f, fdate(b1, v, id.altdate ? D_ISO : D_US), ',');
			put(f, prog[order[k]], '\n');
			w->ss[S_CBO].rows++;
			v += (int32_t)braid__rng_range(r, 30, 400);
			if (v > hi)
				v = hi;
		}
	}
}

/* ---------------------------------------------------------------- households: LIHEAP, water, TAP */
struct grant { int32_t d; int who; };

static int first_adult(const struct household *h, int32_t t)
{
	for (int i = 0; i < h->n; i++)
		if (alive(&h->p[i], t) && age_at(h->p[i].dob, t) >= 18)
			return i;
	return -1;
}

/* LIHEAP: per season, a cash grant (45 % of poor households apply, 1.5 %
 * of others) and, for some of them, a crisis grant later in the same
 * season (fuel running out, a shutoff notice) on an application of its own. */
static int w_liheap(struct world *w, const struct household *h, struct grant *g, int maxg,
		    struct rng *r)
{
	static const char *const fuel[] = {"GAS", "ELECTRIC", "OIL", "GAS", "ELECTRIC"};
	int y0, y1, mm, dd, ng = 0;
	braid__civil_from_days(w->w0, &y0, &mm, &dd);
	braid__civil_from_days(w->A, &y1, &mm, &dd);
	FILE *f = w->out[S_LIHEAP];
	for (int y = y0 - 1; y <= y1 && ng < maxg; y++) {
		if (!braid__rng_chance(r, h->poor ? 0.45 : 0.015))
			continue;
		int32_t d = braid__days_from_civil(y, 11, 15) + (int32_t)braid__rng_range(r, 0, 135);
		int32_t season_end = braid__days_from_civil(y + 1, 4, 30);
		int crisis = braid__rng_chance(r, h->poor ? 0.35 : 0.2);
		int32_t dc = d + (int32_t)braid__rng_range(r, 15, 75);
		int fl = (int)braid__rng_range(r, 0, 4);
		for (int k = 0; k <= crisis && ng < maxg; k++) {
			int32_t t = k ? dc : d;
			if (t < w->w0 || t > w->A || t > season_end)
				continue;
			int who = first_adult(h, t);
			if (who < 0)
				continue;
			const struct person *p = &h->p[who];
			g[ng].d = t, g[ng].who = who;
			ng++;
			struct ident id;
			make_ident(w, S_LIHEAP, p, t, &id, r);
			char app[24], nm[400], b1[16], b2[16], ph[20], a[256];
			snprintf(app, sizeof app, "%s%d-%09u", k ? "LC" : "LH", y + 1, h->id);
			truth_line(w, S_LIHEAP, app, p->id);
			const struct addr *ad = rec_addr(h, &id, t);
			snprintf(nm, sizeof nm, "%s, %s%s%s%s%s", id.last, id.first, id.middle[0] ? " " : "",
				 id.middle, id.suffix[0] ? " " : "", id.suffix);
			put(f, app, ',');
			put(f, nm, ',');
			put(f, fdob(b1, &id, D_US), ',');
			put(f, fssn(b2, &id, 1), ',');
			put(f, faddr(w, a, sizeof a, ad, id.abbr, 0), ',');
			put(f, ad->unit, ',');
			put(f, "PHILADELPHIA", ',');
			put(f, fzip(w, ad), ',');
			put(f, fphone(ph, id.phone, 1), ',');
			putl(f, h->n, ',');
			put(f, fdate(b1, t, D_US), ',');
			put(f, k ? "CRISIS" : "CASH", ',');
			putl(f, k ? 100 + 25 * braid__rng_range(r, 0, 16) : 200 + 50 * braid__rng_range(r, 0, 16), ',');
			put(f, fuel[fl], '\n');
			w->ss[S_LIHEAP].rows++;
		}
	}
	return ng;
}

static const char *const wstatus[] = {"CURRENT", "ARREARS", "SHUTOFF_NOTICE", "SHUT_OFF",
				      "RESTORED", "CLOSED"};

static void water_row(struct world *w, const char *acct, const struct ident *id, const char *addr,
		      const char *zip, int32_t d, int st, double bal)
{
	FILE *f = w->out[S_WATER];
	char b1[16];
	put(f, acct, ',');
	put(f, id->last, ',');
	put(f, id->first, ',');
	put(f, addr, ',');
	put(f, zip, ',');
	put(f, id->phone, ',');
	put(f, fdate(b1, d, D_ISO), ',');
	put(f, wstatus[st], ',');
	putm(f, bal, '\n');
	w->ss[S_WATER].rows++;
}

static void w_tap(struct world *w, const struct household *h, const struct person *p,
		  const char *acct, uint64_t an, const struct addr *ad, int32_t s, int32_t e,
		  struct rng *r)
{
	FILE *f = w->out[S_TAP];
	int reps = braid__rng_chance(r, braid__rate(braid__src[S_TAP].dup, w->o->error_scale)) ? 2 : 1;
	if (reps == 2)
		w->ss[S_TAP].err[E_DUP]++;
	for (int k = 0; k < reps; k++) {
		struct ident id;
		make_ident(w, S_TAP, p, s, &id, r);
		char tid[24], b1[16], ph[20], a[256];
		snprintf(tid, sizeof tid, "TAP%010llu", (unsigned long long)(an * 2 + (unsigned)k));
		truth_line(w, S_TAP, tid, p->id);
		put(f, tid, ',');
		put(f, acct, ',');
		put(f, id.first, ',');
		put(f, id.last, ',');
		put(f, fdob(b1, &id, id.altdate ? D_US : D_ISO), ',');
		put(f, fphone(ph, id.phone, 2), ',');
		put(f, faddr(w, a, sizeof a, ad, id.abbr, 1), ',');
		put(f, fzip(w, ad), ',');
		/* the duplicate is a re-application: same enrolment dates */
		put(f, fdate(b1, s, D_ISO), ',');
		put(f, fdate(b1, e, D_ISO), ',');
		putl(f, h->n, ',');
		putl(f, h->poor ? 600 + 25 * braid__rng_range(r, 0, 40) : 2500 + 50 * braid__rng_range(r, 0, 60), '\n');
		w->ss[S_TAP].rows++;
	}
}

static void w_water(struct world *w, const struct household *h, int low_income, struct rng *r)
{
	int nacct = 0;
	for (int k = 0; k < h->naddr; k++) {
		int32_t t = h->a[k].from, close = k + 1 < h->naddr ? h->a[k + 1].from : NONE;
		const struct addr *ad = &h->a[k];
		while (t <= w->A && (close == NONE || t < close)) {
			int32_t t0 = t < w->w0 ? w->w0 : t;
			int who = first_adult(h, t0);
			if (who < 0)
				break;
			const struct person *p = &h->p[who];
			int32_t end = close;
			if (p->death != NONE && (end == NONE || p->death < end))
				end = p->death;
			if (end != NONE && end <= t0)
				break;
			char acct[24], a[256];
			uint64_t an = (uint64_t)h->id * 16 + (uint64_t)nacct++;
			snprintf(acct, sizeof acct, "%03llu%08llu", (unsigned long long)(100 + an % 900),
				 (unsigned long long)an);
			truth_line(w, S_WATER, acct, p->id);
			struct ident id;
			make_ident(w, S_WATER, p, t0, &id, r);
			faddr(w, a, sizeof a, ad, id.abbr, 1);
			const char *zip = fzip(w, ad);
			/* TAP enrolment for this account */
			int32_t tap_s = NONE, tap_e = NONE;
			int32_t lim = end != NONE && end < w->A ? end : w->A;
			if (lim > t0 + 30 && braid__rng_chance(r, h->poor ? 0.38 : 0.01)) {
				tap_s = t0 + (int32_t)braid__rng_range(r, 0, lim - t0 - 1);
				if (braid__rng_chance(r, 0.25)) {
					tap_e = tap_s + (int32_t)braid__rng_range(r, 60, 900);
					if (tap_e >= lim)
						tap_e = end;
				} else {
					tap_e = end;
				}
				if (tap_e != NONE && tap_e > w->A)
					tap_e = NONE;
				w_tap(w, h, p, acct, an, ad, tap_s, tap_e, r);
			}
			int st = 0;
			double bal = 0, bill = 45 + (double)(an % 40);
			water_row(w, acct, &id, a, zip, t0, 0, 0);
			int y, m, d;
			braid__civil_from_days(t0, &y, &m, &d);
			int bday = 1 + (int)(an % 28);
			for (;;) {
				if (++m > 12) {
					m = 1;
					y++;
				}
				int32_t bd = braid__days_from_civil(y, m, bday);
				if (bd > w->A || (end != NONE && bd >= end))
					break;
				int tap = tap_s != NONE && bd >= tap_s && (tap_e == NONE || bd < tap_e);
				double u = braid__rng_unif(r);
				int prev = st;
				switch (st) {
				case 0: st = u < (h->poor ? 0.03 : 0.004) * (tap ? 0.3 : 1.0) ? 1 : 0; break;
				case 1: st = u < 0.35 ? 0 : u < 0.75 ? 1 : 2; break;
				case 2: st = u < 0.25 ? 0 : u < 0.60 ? 2 : (tap ? 2 : 3); break;
				case 3: st = u < 0.45 ? 4 : 3; break;
				default: st = 0; break;
				}
				if (st == 1 || st == 2)
					bal += bill;
				else if (st == 0)
					bal = 0;
				else if (st == 4)
					bal = bal * 0.5;
				/* a row when the status changes (the bill of a month
				 * without a row keeps the last status) */
				if (st != prev)
					water_row(w, acct, &id, a, zip, bd, st, st ? bal : 0);
			}
			if (end != NONE && end <= w->A) {
				water_row(w, acct, &id, a, zip, end, 5, bal);
			} else {
				/* active at the analysis date */
				struct facts *F = &w->f;
				int tap_at_a = tap_s != NONE && tap_s <= w->A && tap_e == NONE;
				if (low_income) {
					F->low_income_accounts++;
					if (!tap_at_a)
						F->assistance_gap++;
				}
				if (st == 2) {
					F->at_risk++;
					F->at_risk_protected += low_income;
				}
			}
			if (end == NONE || end == close)
				break;
			t = end + 1;
		}
	}
}

/* ---------------------------------------------------------------- facts from true events */
static void person_facts(struct world *w, const struct pev *e)
{
	int cohort = 0;
	for (int i = 0; i < e->nbk && !cohort; i++) {
		int32_t b = e->bk[i].s;
		int sh = 0, mh = 0;
		for (int k = 0; k < e->nst; k++)
			if (e->st[k].s <= b && e->st[k].e >= b - 180)
				sh = 1;
		for (int k = 0; k < e->ncl; k++)
			if (e->cl[k].d <= b && e->cl[k].d >= b - 180)
				mh = 1;
		cohort = sh && mh;
	}
	w->f.allegheny += cohort;
	for (int i = 0; i < e->nbk; i++) {
		const struct booking *b = &e->bk[i];
		if (b->r == NONE || b->r > w->A - 365)
			continue;
		int reb = 0;
		for (int j = 0; j < e->nbk; j++)
			if (e->bk[j].s > b->r && e->bk[j].s <= b->r + 365)
				reb = 1;
		int s = b->young | b->priors << 1 | b->mhr << 2 | b->homeless << 3;
		w->f.elig_releases++;
		w->f.strata_n[s][b->treated]++;
		w->f.strata_rebooked[s][b->treated] += reb;
		if (b->treated) {
			w->f.treated++;
			w->f.treated_rebooked += reb;
		} else {
			w->f.untreated_rebooked += reb;
		}
	}
}

static int low_income_household(const struct world *w, const struct household *h,
				const struct grant *g, int ng)
{
	int32_t lo = w->A - 365;
	for (int i = 0; i < h->n; i++) {
		const struct pev *e = w->ev[i];
		for (int k = 0; k < e->nsp; k++)
			if (e->sp[k].s <= w->A && (e->sp[k].e == NONE || e->sp[k].e >= lo))
				return 1;
	}
	for (int k = 0; k < ng; k++)
		if (g[k].d >= lo && g[k].d <= w->A)
			return 1;
	return 0;
}

static const char *const omb_name[] = {"white", "black", "asian", "aian", "nhpi", "other", "multiple"};
static const char *const role_name[] = {"head", "spouse", "child", "relative"};

static void write_truth_people(struct world *w, const struct household *h)
{
	char b1[16], b2[16], b3[16], ssn[12], hid[16];
	snprintf(hid, sizeof hid, "H%07u", h->id);
	const struct street *now = &w->ref.streets[addr_at(h, w->A)->street];
	/* the household's address history (with the tract each address is in) */
	for (int k = 0; k < h->naddr; k++) {
		const struct addr *ad = &h->a[k];
		const struct tract *t = &w->ref.tracts[w->ref.streets[ad->street].tract];
		char a[256];
		put(w->f_addresses, hid, ',');
		put(w->f_addresses, fdate(b1, ad->from, D_ISO), ',');
		put(w->f_addresses, faddr(w, a, sizeof a, ad, 1, 0), ',');
		put(w->f_addresses, ad->unit, ',');
		put(w->f_addresses, t->zip, ',');
		put(w->f_addresses, t->geoid, ',');
		put(w->f_addresses, w->ref.districts[t->district], '\n');
	}
	for (int i = 0; i < h->n; i++) {
		const struct person *p = &h->p[i];
		char ent[16], mo[16] = "";
		snprintf(ent, sizeof ent, "P%07u", p->id);
		if (p->mother)
			snprintf(mo, sizeof mo, "P%07u", p->mother);
		FILE *f = w->f_households;
		put(f, hid, ',');
		put(f, ent, ',');
		put(f, role_name[p->role], ',');
		put(f, mo, ',');
		put(f, w->ref.tracts[h->tract].geoid, ',');
		put(f, w->ref.districts[w->ref.tracts[h->tract].district], ',');
		put(f, h->poor ? "1" : "0", ',');
		put(f, w->ref.tracts[now->tract].geoid, ',');
		put(f, w->ref.districts[w->ref.tracts[now->tract].district], '\n');
		f = w->f_people;
		snprintf(ssn, sizeof ssn, "%09u", p->ssn);
		put(f, ent, ',');
		put(f, hid, ',');
		put(f, p->first, ',');
		put(f, p->middle, ',');
		put(f, p->last, ',');
		put(f, p->former, ',');
		put(f, p->former[0] ? fdate(b1, p->marriage, D_ISO) : "", ',');
		put(f, p->suffix, ',');
		put(f, p->sex == 'M' ? "M" : "F", ',');
		put(f, fdate(b2, p->dob, D_ISO), ',');
		put(f, fdate(b3, p->death, D_ISO), ',');
		put(f, omb_name[p->omb], ',');
		put(f, p->hisp ? "hispanic" : "not_hispanic", ',');
		put(f, ssn, ',');
		put(f, p->phone, '\n');
	}
}

/* Two PRNG streams per household: A draws who lives there (so that the
 * sequential pre-pass that counts people can replay it cheaply), B draws
 * everything that happens to them. */
static void hh_stream(struct rng *r, uint64_t seed, uint32_t hid, int which)
{
	uint64_t key = seed * 0x9e3779b97f4a7c15ULL ^ (uint64_t)hid * 0xd1b54a32d192ed03ULL ^
		       (which ? 0x243f6a8885a308d3ULL : 0);
	braid__rng_seed(r, key);
}

static void do_household(struct world *w, uint32_t hid)
{
	struct household h;
	struct rng ra, rb, *r = &rb;
	hh_stream(&ra, w->o->seed, hid, 0);
	hh_stream(&rb, w->o->seed, hid, 1);
	gen_household(w, &h, hid, &ra);
	w->people += h.n;
	w->households++;
	for (int i = 0; i < h.n; i++)
		gen_events(w, &h, &h.p[i], w->ev[i], r);
	struct grant g[32];
	int ng = w_liheap(w, &h, g, 32, r);
	w_water(w, &h, low_income_household(w, &h, g, ng), r);
	for (int i = 0; i < h.n; i++) {
		const struct person *p = &h.p[i];
		const struct pev *e = w->ev[i];
		w_jail(w, &h, p, e, r);
		w_hmis(w, &h, p, e, r);
		w_bh(w, &h, p, e, r);
		w_dhs(w, &h, p, e, r);
		w_school(w, &h, p, r);
		w_cw(w, &h, p, r);
		w_birth(w, &h, p, r);
		w_wages(w, &h, p, r);
		w_cbo(w, &h, p, r);
		person_facts(w, e);
	}
	write_truth_people(w, &h);
}

/* ---------------------------------------------------------------- sites */
static void w_childcare(struct world *w)
{
	static const char *const word[] = {"Little", "Bright", "Kiddie", "Sunshine", "Tender",
					   "Happy", "Rainbow", "Precious", "Growing", "Busy"};
	static const char *const kind[] = {"Learning Center", "Academy", "Daycare", "Early Learning",
					   "Child Care", "Nursery"};
	static const char *const type[] = {"CENTER", "GROUP", "FAMILY"};
	struct rng r;
	braid__rng_seed(&r, w->o->seed ^ 0xc41dca4eULL);
	long n = w->o->people / 600;
	if (n < 5)
		n = 5;
	FILE *f = w->out[S_CHILDCARE];
	for (long i = 0; i < n; i++) {
		struct addr ad;
		place_address(w, &ad, -1, &r, 0);
		const struct tract *t = &w->ref.tracts[w->ref.streets[ad.street].tract];
		char lic[24], nm[128], a[256];
		snprintf(lic, sizeof lic, "%ld", 100000 + i * 13);
		char sn[64];
		scopy(sn, sizeof sn, w->ref.streets[ad.street].name);
		title_ascii(sn);
		snprintf(nm, sizeof nm, "%s %s %s", word[braid__rng_range(&r, 0, 9)], sn,
			 kind[braid__rng_range(&r, 0, 5)]);
		int ty = (int)braid__rng_range(&r, 0, 2);
		/* Quality stars fall with neighbourhood poverty. */
		double q = 2.6 - 2.5 * t->poverty + braid__rng_normal(&r) * 0.8;
		int stars = q < 1.5 ? 1 : q < 2.5 ? 2 : q < 3.3 ? 3 : 4;
		int scale = ty == 0 ? 4 : ty == 1 ? 2 : 1;
		put(f, lic, ',');
		put(f, nm, ',');
		put(f, faddr(w, a, sizeof a, &ad, 1, 1), ',');
		put(f, t->zip, ',');
		putl(f, stars, ',');
		put(f, type[ty], ',');
		putl(f, scale * braid__rng_range(&r, 0, 4), ',');
		putl(f, scale * braid__rng_range(&r, 2, 8), ',');
		putl(f, scale * braid__rng_range(&r, 4, 14), ',');
		putl(f, scale * braid__rng_range(&r, 0, 12), '\n');
		w->ss[S_CHILDCARE].rows++;
		w->ss[S_CHILDCARE].records++;
	}
}

/* ---------------------------------------------------------------- files */
static const char *const header[S__N] = {
	"PID,LAST_NAME,FIRST_NAME,MIDDLE_NAME,SUFFIX,DOB,SEX,RACE,HISPANIC,SSN,ADDRESS,ZIP,"
	"BOOKING_NO,BOOK_DATE,RELEASE_DATE,CHARGE,FACILITY,RELEASE_PROGRAM",
	"PersonalID,FirstName,MiddleName,LastName,NameSuffix,NameDataQuality,SSN,SSNDataQuality,"
	"DOB,DOBDataQuality,Race,Ethnicity,Gender,EnrollmentID,ProjectType,EntryDate,ExitDate,"
	"LastPermanentZIP",
	"MEMBER_ID,MA_RECIP_ID,MBR_LAST,MBR_FIRST,MBR_DOB,MBR_GENDER,MBR_SSN,MBR_ZIP,CLAIM_ID,"
	"SERVICE_DATE,PROC_CODE,DX_CATEGORY,PAID_AMT,PROVIDER_ID",
	"STUDENT_ID,LAST_NAME,FIRST_NAME,MIDDLE_NAME,BIRTH_DATE,GENDER,ETHNICITY,HOME_ADDRESS,APT,"
	"ZIP,SCHOOL_YEAR,SCHOOL_CODE,GRADE,ENTRY_DATE,WITHDRAW_DATE",
	"CASE_NO,RECIP_NO,LNAME,FNAME,MI,SFX,BIRTH_DT,SEX,SSN,RACE,HISP,ADDR_LINE1,CITY,ZIP,PROGRAM,"
	"BEGIN_DT,END_DT",
	"APPLICATION_NO,APPLICANT_NAME,DOB,SSN,ADDRESS,APT,CITY,ZIP,PHONE,HOUSEHOLD_SIZE,GRANT_DATE,"
	"GRANT_TYPE,GRANT_AMOUNT,FUEL_TYPE",
	"ACCOUNT_NO,CUST_LAST,CUST_FIRST,SERVICE_ADDRESS,ZIP,PHONE,STATUS_DATE,STATUS,BALANCE_DUE",
	"TAP_ID,ACCOUNT_NO,FIRST_NAME,LAST_NAME,DOB,PHONE,ADDRESS,ZIP,ENROLL_DATE,END_DATE,"
	"HOUSEHOLD_SIZE,MONTHLY_INCOME",
	"CLIENT_ID,FIRST,MIDDLE,LAST,DOB,SEX,RACE,HISPANIC,REFERRAL_ID,REFERRAL_DATE,ALLEGATION,"
	"FINDING,PLACEMENT,CLOSE_DATE,ADDRESS,ZIP",
	"CERT_NO,CHILD_FIRST,CHILD_MIDDLE,CHILD_LAST,CHILD_DOB,CHILD_SEX,BIRTH_WEIGHT_G,PLURALITY,"
	"MOTHER_FIRST,MOTHER_LAST,MOTHER_MAIDEN,MOTHER_DOB,MOTHER_RACE,MOTHER_HISPANIC,RES_ADDRESS,"
	"RES_ZIP",
	"EMPLOYEE_KEY,SSN,LAST_NAME,FIRST_NAME,MIDDLE_INIT,EMPLOYER_ID,YEAR,QTR,QTR_START,WAGES",
	"Client Name,Phone,ZIP,Year of Birth,First Visit,Program",
	"LICENSE_NO,PROVIDER_NAME,ADDRESS,ZIP,STARS,TYPE,SLOTS_INFANT,SLOTS_TODDLER,SLOTS_PRESCHOOL,"
	"SLOTS_SCHOOL_AGE",
};

static braid_rc mkdirs(const char *dir, const char *sub, struct braid_err *err)
{
	char p[1024];
	if (snprintf(p, sizeof p, "%s%s%s", dir, sub ? "/" : "", sub ? sub : "") >= (int)sizeof p)
		return braid_err_set(err, BRAID_ETOOBIG, "output path too long");
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0777) && errno != EEXIST)
				return braid_err_set(err, BRAID_EIO, "cannot create '%s': %s", p, strerror(errno));
			*s = '/';
		}
	if (mkdir(p, 0777) && errno != EEXIST)
		return braid_err_set(err, BRAID_EIO, "cannot create '%s': %s", p, strerror(errno));
	return BRAID_OK;
}

static FILE *open_out(const char *dir, const char *rel, struct braid_err *err)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	if (!f) {
		braid_err_set(err, BRAID_EIO, "cannot write '%s': %s", p, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 18);
	return f;
}

static json_t *fact(json_t *v, const char *def)
{
	json_t *o = json_object();
	json_object_set_new(o, "value", v);
	json_object_set_new(o, "definition", json_string(def));
	return o;
}

static braid_rc write_facts(struct world *w, struct braid_err *err)
{
	char ad[16], ws[16], b[1200];
	fdate(ad, w->A, D_ISO);
	fdate(ws, w->w0, D_ISO);
	const struct facts *F = &w->f;
	json_t *root = json_object();
	json_object_set_new(root, "analysis_date", json_string(ad));
	json_object_set_new(root, "window_start", json_string(ws));
	json_object_set_new(root, "lookback_days_cohort", json_integer(180));
	json_object_set_new(root, "lookback_days_low_income", json_integer(365));
	json_object_set_new(root, "followup_days_rebooking", json_integer(365));
	json_object_set_new(root, "seed", json_integer((json_int_t)w->o->seed));
	json_object_set_new(root, "people", json_integer(w->people));
	json_object_set_new(root, "allegheny_cohort", fact(json_integer(F->allegheny),
		"distinct people with a jail booking (jail_booking) who, within the 180 days before that same "
		"booking (booking date - 180 .. booking date, inclusive), had a shelter stay (hmis: entry <= "
		"booking date and exit >= booking date - 180, or no exit) and a behavioural-health claim "
		"(bh_claims SERVICE_DATE in that range)"));
	snprintf(b, sizeof b, "water accounts open at the analysis date %s (latest status is not CLOSED) with "
		 "a household member (truth/households.csv) enrolled in SNAP or Medicaid (a dhs spell with "
		 "BEGIN_DT <= %s and END_DT empty or >= %s - 365 days) or granted LIHEAP (GRANT_DATE in "
		 "[%s - 365 days, %s])", ad, ad, ad, ad, ad);
	json_object_set_new(root, "water_low_income_accounts", fact(json_integer(F->low_income_accounts), b));
	snprintf(b, sizeof b, "water accounts open at %s whose latest status on or before that date is "
		 "SHUTOFF_NOTICE (in arrears with a shutoff notice)", ad);
	json_object_set_new(root, "water_at_risk", fact(json_integer(F->at_risk), b));
	json_object_set_new(root, "water_at_risk_protected", fact(json_integer(F->at_risk_protected),
		"accounts counted in water_at_risk that are also low-income by the water_low_income_accounts rule"));
	snprintf(b, sizeof b, "people holding a low-income water account open at %s (the account holder) "
		 "who are not enrolled in water assistance on that date (no tap record of theirs with "
		 "ENROLL_DATE <= %s and END_DATE empty or after it)", ad, ad);
	json_object_set_new(root, "water_assistance_gap", fact(json_integer(F->assistance_gap), b));
	long long untreated = F->elig_releases - F->treated;
	double pt = F->treated ? (double)F->treated_rebooked / (double)F->treated : 0;
	double pu = untreated ? (double)F->untreated_rebooked / (double)untreated : 0;
	/* Stratified (exact-matching) estimate over the four binary covariates:
	 * the effect on the treated, weighting each stratum by its treated count. */
	double num = 0, den = 0;
	for (int s = 0; s < 16; s++)
		if (F->strata_n[s][0] && F->strata_n[s][1]) {
			double d = (double)F->strata_rebooked[s][1] / (double)F->strata_n[s][1] -
				   (double)F->strata_rebooked[s][0] / (double)F->strata_n[s][0];
			num += d * (double)F->strata_n[s][1];
			den += (double)F->strata_n[s][1];
		}
	json_t *re = fact(json_real(REENTRY_EFFECT),
		"planted change in the probability of another jail booking within 365 days of a release "
		"when the booking's RELEASE_PROGRAM is REENTRY, holding the covariates fixed; selection into the "
		"programme depends on age < 30 at booking, a prior booking, a bh_claims service and a shelter "
		"stay in the 180 days before the booking, so the naive difference is biased");
	json_object_set_new(re, "eligible_releases", json_integer(F->elig_releases));
	json_object_set_new(re, "treated_releases", json_integer(F->treated));
	json_object_set_new(re, "rebooked_treated", json_integer(F->treated_rebooked));
	json_object_set_new(re, "rebooked_untreated", json_integer(F->untreated_rebooked));
	json_object_set_new(re, "naive_difference", json_real(pt - pu));
	json_object_set_new(re, "stratified_estimate", json_real(den > 0 ? num / den : 0));
	json_object_set_new(re, "eligibility", json_string(
		"releases (RELEASE_DATE) on or before the analysis date - 365 days; re-booked = another "
		"booking of the same person with BOOK_DATE in (RELEASE_DATE, RELEASE_DATE + 365]"));
	json_object_set_new(root, "reentry_effect", re);
	char p[1200];
	snprintf(p, sizeof p, "%s/truth/facts.json", w->o->out_dir);
	int rc = json_dump_file(root, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (rc)
		return braid_err_set(err, BRAID_EIO, "cannot write '%s'", p);
	return BRAID_OK;
}

/* ---------------------------------------------------------------- the gazetteer */
struct place_row {
	char street[96];
	int lo, hi;
	uint32_t seg;
};

static int place_cmp(const void *a, const void *b)
{
	const struct place_row *x = a, *y = b;
	int c = strcmp(x->street, y->street);
	if (c)
		return c;
	if ((x->lo & 1) != (y->lo & 1))
		return (x->lo & 1) - (y->lo & 1);
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->seg < y->seg ? -1 : x->seg > y->seg;
}

/* reference/places.csv: the address -> geography table of this city, one
 * row per side of every segment place_address can use, with the tract
 * (and so ZIP and district) the generator placed that segment in.  Sorted
 * by street, parity and first number so that it diffs and reads well. */
static braid_rc write_places(struct world *w, struct braid_err *err)
{
	const struct ref *ref = &w->ref;
	struct place_row *v = calloc(ref->nstreets * 2 + 1, sizeof *v);
	if (!v)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory writing places.csv");
	size_t n = 0;
	for (size_t i = 0; i < ref->nstreets; i++) {
		const struct street *s = &ref->streets[i];
		for (int side = 0; side < 2; side++) {
			struct place_row *p = &v[n];
			if (!braid__street_side(s, side, &p->lo, &p->hi))
				continue;
			snprintf(p->street, sizeof p->street, "%s%s%s%s%s%s%s", s->pre, *s->pre ? " " : "",
				 s->name, *s->type ? " " : "", s->type, *s->post ? " " : "", s->post);
			p->seg = (uint32_t)i;
			n++;
		}
	}
	qsort(v, n, sizeof *v, place_cmp);
	FILE *f = open_out(w->o->out_dir, "reference/places.csv", err);
	if (!f) {
		free(v);
		return err ? err->code : BRAID_EIO;
	}
	fprintf(f, "street,from,to,parity,zip5,tract,district\n");
	for (size_t i = 0; i < n; i++) {
		const struct tract *t = &ref->tracts[ref->streets[v[i].seg].tract];
		put(f, v[i].street, ',');
		putl(f, v[i].lo, ',');
		putl(f, v[i].hi, ',');
		/* numbers step by two from lo, so a side is always one parity */
		put(f, (v[i].lo & 1) ? "odd" : "even", ',');
		put(f, t->zip, ',');
		put(f, t->geoid, ',');
		put(f, ref->districts[t->district], '\n');
	}
	free(v);
	if (fclose(f))
		return braid_err_set(err, BRAID_EIO, "cannot write reference/places.csv");
	return BRAID_OK;
}

/* ---------------------------------------------------------------- batches on threads */
#define BATCH 2048 /* households per batch: the unit of parallel work and of output order */

/* per batch: one buffer per source, persons, households, people, addresses, cbo entities */
#define NBUF (S__N + 5)
struct job {
	struct world w;     /* a copy of the shared world with its own outputs and counters */
	uint32_t first, last;
	char *buf[NBUF];
	size_t len[NBUF];
	braid_rc rc;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct world *w = &j->w;
	FILE **fs[NBUF];
	for (int i = 0; i < S__N; i++)
		fs[i] = &w->out[i];
	fs[S__N] = &w->f_persons;
	fs[S__N + 1] = &w->f_households;
	fs[S__N + 2] = &w->f_people;
	fs[S__N + 3] = &w->f_addresses;
	fs[S__N + 4] = &w->f_cbo;
	j->rc = BRAID_OK;
	for (int i = 0; i < NBUF; i++)
		if (!(*fs[i] = open_memstream(&j->buf[i], &j->len[i])))
			j->rc = BRAID_ENOMEM;
	if (!j->rc)
		for (uint32_t hid = j->first; hid <= j->last; hid++)
			do_household(w, hid);
	for (int i = 0; i < NBUF; i++)
		if (*fs[i] && fclose(*fs[i]))
			j->rc = BRAID_ENOMEM;
	for (int i = 0; i < NBUF; i++)
		*fs[i] = NULL;
	return NULL;
}

/* One thread unless BRAID_SYNTH_THREADS asks for more (capped at the
 * processors): on a machine shared with other work, measured wall time did
 * not improve with two threads (bench/RESULTS.md, "## Synth"). */
static int nthreads(void)
{
	long n = 1, v, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *e = getenv("BRAID_SYNTH_THREADS");
	if (e && !braid_parse_long(e, &v))
		n = v;
	if (cpus > 0 && n > cpus)
		n = cpus;
	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Generate households 1..nhh into w's files, in batch order. */
static braid_rc run_batches(struct world *w, uint32_t nhh, struct braid_err *err)
{
	int T = nthreads();
	struct job *jobs = calloc((size_t)T, sizeof *jobs);
	pthread_t *tid = calloc((size_t)T, sizeof *tid);
	braid_rc rc = BRAID_OK;
	if (!jobs || !tid)
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	for (int t = 0; t < T && !rc; t++)
		for (int i = 0; i < MAXM && !rc; i++)
			if (!(jobs[t].w.ev[i] = malloc(sizeof *jobs[t].w.ev[i])))
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
	for (uint32_t first = 1; first <= nhh && !rc;) {
		int used = 0;
		for (int t = 0; t < T && first <= nhh; t++, used++) {
			struct job *j = &jobs[t];
			struct pev *ev[MAXM];
			memcpy(ev, j->w.ev, sizeof ev);
			j->w = *w;
			memcpy(j->w.ev, ev, sizeof ev);
			memset(j->w.ss, 0, sizeof j->w.ss);
			memset(&j->w.f, 0, sizeof j->w.f);
			j->w.people = j->w.households = 0;
			j->first = first;
			j->last = first + BATCH - 1 > nhh ? nhh : first + BATCH - 1;
			memset(j->buf, 0, sizeof j->buf);
			memset(j->len, 0, sizeof j->len);
			first = j->last + 1;
		}
		int started = 0;
		for (int t = 1; t < used; t++, started++)
			if (pthread_create(&tid[t], NULL, run_job, &jobs[t]))
				break;
		run_job(&jobs[0]);
		for (int t = 1; t <= started; t++)
			pthread_join(tid[t], NULL);
		for (int t = started + 1; t < used; t++)
			run_job(&jobs[t]); /* a thread could not start: do it here */
		for (int t = 0; t < used; t++) {
			struct job *j = &jobs[t];
			if (j->rc && !rc)
				rc = braid_err_set(err, j->rc, "out of memory generating households");
			FILE *dst[NBUF - 1];
			for (int i = 0; i < S__N; i++)
				dst[i] = w->out[i];
			dst[S__N] = w->f_persons;
			dst[S__N + 1] = w->f_households;
			dst[S__N + 2] = w->f_people;
			dst[S__N + 3] = w->f_addresses;
			for (int i = 0; i < NBUF - 1 && !rc; i++)
				if (j->len[i] && fwrite(j->buf[i], 1, j->len[i], dst[i]) != j->len[i])
					rc = braid_err_set(err, BRAID_EIO, "cannot write the city");
			/* cbo rows get their record id (the data row number) here */
			for (char *q = j->buf[NBUF - 1]; !rc && q && *q;) {
				char *nl = strchr(q, '\n');
				if (!nl)
					break;
				*nl = 0;
				fprintf(w->f_persons, "cbo,%lld,%s\n", ++w->cbo_row, q);
				q = nl + 1;
			}
			for (int i = 0; i < NBUF; i++) {
				free(j->buf[i]);
				j->buf[i] = NULL;
			}
			for (int s = 0; s < S__N; s++) {
				w->ss[s].rows += j->w.ss[s].rows;
				w->ss[s].records += j->w.ss[s].records;
				for (int k = 0; k < E__N; k++)
					w->ss[s].err[k] += j->w.ss[s].err[k];
				for (int k = 0; k < 4; k++)
					w->ss[s].with_field[k] += j->w.ss[s].with_field[k];
			}
			struct facts *F = &w->f, *G = &j->w.f;
			F->allegheny += G->allegheny;
			F->low_income_accounts += G->low_income_accounts;
			F->at_risk += G->at_risk;
			F->at_risk_protected += G->at_risk_protected;
			F->assistance_gap += G->assistance_gap;
			F->elig_releases += G->elig_releases;
			F->treated += G->treated;
			F->treated_rebooked += G->treated_rebooked;
			F->untreated_rebooked += G->untreated_rebooked;
			for (int s = 0; s < 16; s++)
				for (int k = 0; k < 2; k++) {
					F->strata_n[s][k] += G->strata_n[s][k];
					F->strata_rebooked[s][k] += G->strata_rebooked[s][k];
				}
			w->people += j->w.people;
			w->households += j->w.households;
		}
		if (w->o->progress)
			w->o->progress(w->o->progress_ctx, (unsigned long long)w->people,
				       (unsigned long long)w->o->people);
	}
	for (int t = 0; jobs && t < T; t++)
		for (int i = 0; i < MAXM; i++)
			free(jobs[t].w.ev[i]);
	free(jobs);
	free(tid);
	return rc;
}

void braid_synth_opts_init(struct braid_synth_opts *o)
{
	memset(o, 0, sizeof *o);
	o->people = 3000;
	o->seed = 1;
	o->year_from = 2016;
	o->year_to = 2024;
	o->error_scale = 1.0;
}

static braid_rc close_all(struct world *w, braid_rc rc, struct braid_err *err)
{
	FILE **fs[] = {&w->f_persons, &w->f_households, &w->f_people, &w->f_addresses};
	for (int i = 0; i < S__N; i++)
		if (w->out[i] && fclose(w->out[i]) && !rc)
			rc = braid_err_set(err, BRAID_EIO, "cannot write %s.csv", braid__src[i].name);
	for (int i = 0; i < 4; i++)
		if (*fs[i] && fclose(*fs[i]) && !rc)
			rc = braid_err_set(err, BRAID_EIO, "cannot write the truth files");
	memset(w->out, 0, sizeof w->out);
	w->f_persons = w->f_households = w->f_people = w->f_addresses = NULL;
	return rc;
}

braid_rc braid_synth_run(const struct braid_synth_opts *o, struct braid_synth_stats *stats,
			 struct braid_err *err)
{
	if (!o || !o->out_dir || !*o->out_dir)
		return braid_err_set(err, BRAID_EINVAL, "no output directory");
	if (o->people < 10 || o->people > 20000000)
		return braid_err_set(err, BRAID_EINVAL, "people must be between 10 and 20000000");
	if (o->year_from < 1990 || o->year_to > 2100 || o->year_to < o->year_from ||
	    o->year_to - o->year_from > 100)
		return braid_err_set(err, BRAID_EINVAL, "years must be YYYY-YYYY with 1990 <= from <= to <= 2100");
	if (!(o->error_scale >= 0 && o->error_scale <= 10))
		return braid_err_set(err, BRAID_EINVAL, "error scale must be between 0 and 10");
	struct world *w = calloc(1, sizeof *w);
	if (!w)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	w->o = o;
	w->w0 = braid__days_from_civil(o->year_from, 1, 1);
	w->A = braid__days_from_civil(o->year_to, 12, 31);
	{
		int y = o->year_from, m = 1;
		for (int32_t t = w->w0; t <= w->A && w->months < 1300;) {
			w->m0[w->months++] = t;
			if (++m > 12) {
				m = 1;
				y++;
			}
			t = braid__days_from_civil(y, m, 1);
		}
	}
	braid_rc rc = braid__ref_load(&w->ref, o->seed, err);
	if (rc) {
		free(w);
		return rc;
	}
	if ((rc = mkdirs(o->out_dir, "sources", err)) || (rc = mkdirs(o->out_dir, "specs", err)) ||
	    (rc = mkdirs(o->out_dir, "truth", err)) || (rc = mkdirs(o->out_dir, "reference", err)) ||
	    (rc = write_places(w, err)))
		goto out;
	for (int i = 0; i < S__N; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "sources/%s.csv", braid__src[i].name);
		if (!(w->out[i] = open_out(o->out_dir, rel, err))) {
			rc = err ? err->code : BRAID_EIO;
			goto out;
		}
		fprintf(w->out[i], "%s\n", header[i]);
	}
	if (!(w->f_persons = open_out(o->out_dir, "truth/persons.csv", err)) ||
	    !(w->f_households = open_out(o->out_dir, "truth/households.csv", err)) ||
	    !(w->f_people = open_out(o->out_dir, "truth/people.csv", err)) ||
	    !(w->f_addresses = open_out(o->out_dir, "truth/addresses.csv", err))) {
		rc = BRAID_EIO;
		goto out;
	}
	fprintf(w->f_persons, "source,record_id,entity\n");
	fprintf(w->f_households, "household,entity,role,mother,tract,district,low_income_household,"
				 "current_tract,current_district\n");
	fprintf(w->f_addresses, "household,from,address,unit,zip,tract,district\n");
	fprintf(w->f_people, "entity,household,first_name,middle_name,last_name,former_last_name,"
			     "marriage_date,suffix,sex,dob,death_date,race,ethnicity,ssn,phone\n");
	/* Count the households needed for the requested people (stream A only),
	 * then generate them in batches on several threads; batches are written
	 * in order, so the bytes do not depend on the number of threads. */
	uint32_t nhh = 0;
	{
		long n = 0;
		struct household *h = malloc(sizeof *h);
		if (!h) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
			goto out;
		}
		while (n < o->people) {
			struct rng ra;
			hh_stream(&ra, o->seed, ++nhh, 0);
			gen_household(w, h, nhh, &ra);
			n += h->n;
		}
		free(h);
	}
	rc = run_batches(w, nhh, err);
	if (rc)
		goto out;
	w_childcare(w);
	rc = close_all(w, rc, err);
	if (!rc)
		rc = write_facts(w, err);
	if (!rc)
		rc = braid__write_errors_json(o->out_dir, o->error_scale, w->ss, err);
	if (!rc)
		rc = braid__write_specs(o->out_dir, err);
	struct braid_synth_stats st;
	memset(&st, 0, sizeof st);
	st.people = w->people;
	st.households = w->households;
	st.sources = S__N;
	for (int i = 0; i < S__N; i++) {
		st.source_names[i] = braid__src[i].name;
		st.source_rows[i] = w->ss[i].rows;
		st.source_records[i] = w->ss[i].records;
		if (i != S_CHILDCARE) {
			st.rows += w->ss[i].rows;
			st.records += w->ss[i].records;
		}
	}
	if (!rc)
		rc = braid__write_readme(o->out_dir, o, &st, err);
	if (stats)
		*stats = st;
out:
	rc = close_all(w, rc, err);
	braid__ref_release(&w->ref);
	free(w);
	return rc;
}
