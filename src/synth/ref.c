/*
 * ref.c — the demo city's raw material: a seeded PRNG (xoshiro256**),
 * civil dates as day numbers, and the reference tables the generator draws
 * from (SSA first names by decade and sex, Census surnames weighted by their
 * race/ethnicity shares, nickname pairs, Philadelphia street segments with
 * address ranges, 2010 census tracts with their ZIP and planning district).
 *
 * Streets carry no geometry, so each street segment is placed in a tract by
 * hashing (street code, 800-number stretch, seed): consecutive blocks of one
 * street land in the same tract, and the placement is stable for a seed.
 * A tract's ZIP and planning district are the polygons containing its
 * interior point (INTPTLAT10/INTPTLON10), found with a ray-casting test.
 *
 * The reference files are trusted public tables without quoting, so a
 * plain comma split is enough here; this is not a general CSV reader.
 */
#include "synth_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- PRNG */
uint64_t braid__splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void braid__rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = braid__splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t braid__rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double braid__rng_unif(struct rng *r)
{
	return (double)(braid__rng_next(r) >> 11) * 0x1.0p-53;
}

long braid__rng_range(struct rng *r, long lo, long hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = (uint64_t)(hi - lo) + 1;
	return lo + (long)(braid__rng_next(r) % span);
}

int braid__rng_chance(struct rng *r, double p)
{
	return braid__rng_unif(r) < p;
}

double braid__rng_normal(struct rng *r)
{
	/* Box-Muller; one value per call keeps the stream simple to reason about. */
	double u1 = braid__rng_unif(r), u2 = braid__rng_unif(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---------------------------------------------------------------- dates
 * Howard Hinnant's days_from_civil / civil_from_days. */
int32_t braid__days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

void braid__civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int yy = (int)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

/* ---------------------------------------------------------------- tables */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	size_t l = strlen(p);
	while (l && (p[l - 1] == '\n' || p[l - 1] == '\r'))
		p[--l] = 0;
	f[n++] = p;
	for (; *p && n < max; p++)
		if (*p == ',') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static braid_rc open_ref(const char *rel, FILE **f, char *path, size_t n,
			 struct braid_err *err)
{
	if (braid_data_path(rel, path, n))
		return braid_err_set(err, BRAID_ETOOBIG, "reference data path too long: %s", rel);
	*f = fopen(path, "r");
	if (!*f)
		return braid_err_set(err, BRAID_ENOTFOUND,
				     "cannot open reference data '%s' (set BRAID_DATA_DIR)", path);
	return BRAID_OK;
}

struct dist_builder {
	const char **name;
	double *cum;
	size_t n, cap;
};

static braid_rc db_push(struct dist_builder *b, const char *name, double w)
{
	if (w <= 0)
		return BRAID_OK;
	if (b->n == b->cap) {
		size_t c = b->cap ? b->cap * 2 : 256;
		const char **nn = braid_reallocarray(b->name, c, sizeof *nn);
		if (!nn)
			return BRAID_ENOMEM;
		b->name = nn;
		double *nc = braid_reallocarray(b->cum, c, sizeof *nc);
		if (!nc)
			return BRAID_ENOMEM;
		b->cum = nc;
		b->cap = c;
	}
	b->name[b->n] = name;
	b->cum[b->n] = (b->n ? b->cum[b->n - 1] : 0) + w;
	b->n++;
	return BRAID_OK;
}

static void db_finish(struct dist_builder *b, struct name_dist *d)
{
	d->name = b->name;
	d->cum = b->cum;
	d->n = b->n;
}

static void dist_free(struct name_dist *d)
{
	free(d->name);
	free(d->cum);
	memset(d, 0, sizeof *d);
}

const char *braid__name_draw(const struct name_dist *d, struct rng *r)
{
	if (!d->n)
		return "";
	double x = braid__rng_unif(r) * d->cum[d->n - 1];
	size_t lo = 0, hi = d->n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return d->name[lo];
}

static braid_rc load_first(struct ref *ref, struct braid_err *err)
{
	char path[1024], line[512], *f[8];
	FILE *fp;
	braid_rc rc = open_ref("names/ssa_names_by_decade.csv", &fp, path, sizeof path, err);
	if (rc)
		return rc;
	struct dist_builder b[14][2];
	memset(b, 0, sizeof b);
	long ln = 0;
	while (fgets(line, sizeof line, fp)) {
		if (++ln == 1)
			continue;
		if (split(line, f, 8) != 4) {
			rc = braid_err_at(err, BRAID_EPARSE, path, ln, 0, "expected decade,sex,name,count");
			break;
		}
		long dec, cnt;
		if (braid_parse_long(f[0], &dec) || braid_parse_long(f[3], &cnt) || dec < 1880 || dec > 2010) {
			rc = braid_err_at(err, BRAID_EPARSE, path, ln, 0, "bad decade or count");
			break;
		}
		/* Rare names cost memory and time for nothing in a city sample. */
		if (cnt < 30)
			continue;
		int sx = f[1][0] == 'M';
		char *nm = braid_arena_strdup(&ref->arena, f[2]);
		if (!nm || db_push(&b[(dec - 1880) / 10][sx], nm, (double)cnt)) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading first names");
			break;
		}
	}
	fclose(fp);
	for (int i = 0; i < 14; i++)
		for (int s = 0; s < 2; s++)
			db_finish(&b[i][s], &ref->first[i][s]);
	return rc;
}

/* Title-case a surname from the Census (upper case) table, and give the
 * Spanish and Irish/Italian spellings their marks back: Census strips
 * accents and apostrophes, city records often keep them. */
static const char *const accented[][2] = {
	{"GARCIA", "García"}, {"RODRIGUEZ", "Rodríguez"}, {"MARTINEZ", "Martínez"},
	{"HERNANDEZ", "Hernández"}, {"LOPEZ", "López"}, {"GONZALEZ", "González"},
	{"PEREZ", "Pérez"}, {"SANCHEZ", "Sánchez"}, {"RAMIREZ", "Ramírez"},
	{"DIAZ", "Díaz"}, {"GOMEZ", "Gómez"}, {"JIMENEZ", "Jiménez"},
	{"ALVAREZ", "Álvarez"}, {"FERNANDEZ", "Fernández"}, {"MUNOZ", "Muñoz"},
	{"CASTANEDA", "Castañeda"}, {"NUNEZ", "Núñez"}, {"IBANEZ", "Ibáñez"},
	{"OBRIEN", "O'Brien"}, {"OCONNOR", "O'Connor"}, {"ONEILL", "O'Neill"},
	{"ONEIL", "O'Neil"}, {"ODONNELL", "O'Donnell"}, {"OHARA", "O'Hara"},
	{"OMALLEY", "O'Malley"}, {"OCONNELL", "O'Connell"}, {"DANGELO", "D'Angelo"},
	{"DAMICO", "D'Amico"}, {"OROURKE", "O'Rourke"}, {"OSULLIVAN", "O'Sullivan"},
};

static char *title_case(struct braid_arena *a, const char *up)
{
	for (size_t i = 0; i < sizeof accented / sizeof accented[0]; i++)
		if (!strcmp(up, accented[i][0]))
			return braid_arena_strdup(a, accented[i][1]);
	char *s = braid_arena_strdup(a, up);
	if (!s)
		return NULL;
	int start = 1;
	for (char *p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z' && !start)
			*p = (char)(*p - 'A' + 'a');
		start = !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'));
	}
	/* McDonald, MacArthur stay simple: Mcdonald is what most systems print. */
	return s;
}

static braid_rc load_last(struct ref *ref, struct braid_err *err)
{
	char path[1024], line[512], *f[12];
	FILE *fp;
	braid_rc rc = open_ref("names/census2010_surnames_joined.csv", &fp, path, sizeof path, err);
	if (rc)
		return rc;
	struct dist_builder b[RACE__N];
	memset(b, 0, sizeof b);
	long ln = 0;
	while (fgets(line, sizeof line, fp)) {
		if (++ln == 1)
			continue;
		if (split(line, f, 12) != 9) {
			rc = braid_err_at(err, BRAID_EPARSE, path, ln, 0, "expected 9 columns");
			break;
		}
		long cnt;
		double pct[5];
		if (braid_parse_long(f[2], &cnt)) {
			rc = braid_err_at(err, BRAID_EPARSE, path, ln, 3, "bad count");
			break;
		}
		if (cnt < 400)
			continue;
		for (int k = 0; k < 5; k++)
			if (braid_parse_double(f[4 + k], &pct[k]))
				pct[k] = 0;
		char *nm = title_case(&ref->arena, f[0]);
		if (!nm) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading surnames");
			break;
		}
		/* columns: pctwhite, pctblack, pctapi, pcthispanic, pctother */
		for (int k = 0; k < RACE__N && !rc; k++)
			if (db_push(&b[k], nm, cnt * pct[k] / 100.0))
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading surnames");
		if (rc)
			break;
	}
	fclose(fp);
	for (int k = 0; k < RACE__N; k++)
		db_finish(&b[k], &ref->last[k]);
	return rc;
}

static int nick_cmp(const void *a, const void *b)
{
	const struct nick *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->nick, y->nick);
}

static braid_rc load_nicks(struct ref *ref, struct braid_err *err)
{
	char path[1024], line[256], *f[6];
	FILE *fp;
	braid_rc rc = open_ref("names/nicknames_carltonnorthern.csv", &fp, path, sizeof path, err);
	if (rc)
		return rc;
	size_t cap = 0;
	long ln = 0;
	while (fgets(line, sizeof line, fp)) {
		if (++ln == 1 || split(line, f, 6) != 3 || strcmp(f[1], "has_nickname"))
			continue;
		if (ref->nnicks == cap) {
			cap = cap ? cap * 2 : 1024;
			struct nick *nn = braid_reallocarray(ref->nicks, cap, sizeof *nn);
			if (!nn) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading nicknames");
				break;
			}
			ref->nicks = nn;
		}
		braid_ascii_upper(f[0]);
		braid_ascii_upper(f[2]);
		struct nick *k = &ref->nicks[ref->nnicks++];
		k->name = braid_arena_strdup(&ref->arena, f[0]);
		k->nick = braid_arena_strdup(&ref->arena, f[2]);
		if (!k->name || !k->nick) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading nicknames");
			break;
		}
	}
	fclose(fp);
	if (!rc && ref->nnicks)
		qsort(ref->nicks, ref->nnicks, sizeof *ref->nicks, nick_cmp);
	return rc;
}

const char *braid__nick_of(const struct ref *ref, const char *name, struct rng *r)
{
	size_t lo = 0, hi = ref->nnicks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(ref->nicks[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	while (lo + n < ref->nnicks && !strcmp(ref->nicks[lo + n].name, name))
		n++;
	if (!n)
		return NULL;
	return ref->nicks[lo + (size_t)braid__rng_range(r, 0, (long)n - 1)].nick;
}

/* ---------------------------------------------------------------- geography */
static int ring_contains(json_t *ring, double x, double y)
{
	int in = 0;
	size_t n = json_array_size(ring);
	for (size_t i = 0, j = n - 1; i < n; j = i++) {
		json_t *a = json_array_get(ring, i), *b = json_array_get(ring, j);
		double xi = json_number_value(json_array_get(a, 0)), yi = json_number_value(json_array_get(a, 1));
		double xj = json_number_value(json_array_get(b, 0)), yj = json_number_value(json_array_get(b, 1));
		if (((yi > y) != (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi))
			in = !in;
	}
	return in;
}

/* Point in a Polygon or MultiPolygon geometry (outer rings, holes honoured). */
static int geom_contains(json_t *geom, double x, double y)
{
	const char *type = json_string_value(json_object_get(geom, "type"));
	json_t *coords = json_object_get(geom, "coordinates");
	if (!type || !coords)
		return 0;
	size_t np = 1;
	int multi = !strcmp(type, "MultiPolygon");
	if (multi)
		np = json_array_size(coords);
	for (size_t p = 0; p < np; p++) {
		json_t *poly = multi ? json_array_get(coords, p) : coords;
		int in = 0;
		for (size_t k = 0; k < json_array_size(poly); k++)
			if (ring_contains(json_array_get(poly, k), x, y))
				in = !in;
		if (in)
			return 1;
	}
	return 0;
}

static braid_rc load_json(const char *rel, json_t **out, struct braid_err *err)
{
	char path[1024];
	if (braid_data_path(rel, path, sizeof path))
		return braid_err_set(err, BRAID_ETOOBIG, "reference data path too long: %s", rel);
	json_error_t je;
	*out = json_load_file(path, 0, &je);
	if (!*out)
		return braid_err_at(err, BRAID_EPARSE, path, je.line, je.column, "%s", je.text);
	return BRAID_OK;
}

/* Find the feature whose polygon holds (x, y); returns its index or -1. */
static long feature_at(json_t *feats, double x, double y)
{
	for (size_t i = 0; i < json_array_size(feats); i++)
		if (geom_contains(json_object_get(json_array_get(feats, i), "geometry"), x, y))
			return (long)i;
	return -1;
}

static braid_rc load_geo(struct ref *ref, uint64_t seed, struct braid_err *err)
{
	json_t *tr = NULL, *zp = NULL, *pd = NULL;
	braid_rc rc = load_json("geo/philadelphia/Census_Tracts_2010.geojson", &tr, err);
	if (!rc)
		rc = load_json("geo/philadelphia/Zipcodes_Poly.geojson", &zp, err);
	if (!rc)
		rc = load_json("geo/philadelphia/Planning_Districts.geojson", &pd, err);
	if (rc)
		goto out;
	json_t *tf = json_object_get(tr, "features"), *zf = json_object_get(zp, "features"),
	       *pf = json_object_get(pd, "features");
	size_t n = json_array_size(tf);
	ref->ndistricts = json_array_size(pf);
	ref->tracts = calloc(n ? n : 1, sizeof *ref->tracts);
	ref->districts = calloc(ref->ndistricts ? ref->ndistricts : 1, sizeof *ref->districts);
	if (!ref->tracts || !ref->districts) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading tracts");
		goto out;
	}
	for (size_t i = 0; i < ref->ndistricts; i++) {
		const char *nm = json_string_value(json_object_get(
			json_object_get(json_array_get(pf, i), "properties"), "DIST_NAME"));
		snprintf(ref->districts[i], sizeof ref->districts[i], "%s", nm ? nm : "");
	}
	struct rng r;
	braid__rng_seed(&r, seed ^ 0x7472616374ULL);
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_object_get(json_array_get(tf, i), "properties");
		const char *g = json_string_value(json_object_get(p, "GEOID10"));
		const char *la = json_string_value(json_object_get(p, "INTPTLAT10"));
		const char *lo = json_string_value(json_object_get(p, "INTPTLON10"));
		struct tract *t = &ref->tracts[ref->ntracts];
		if (!g || !la || !lo || braid_parse_double(la, &t->lat) || braid_parse_double(lo, &t->lon))
			continue; /* a tract without its interior point cannot be placed */
		snprintf(t->geoid, sizeof t->geoid, "%s", g);
		long z = feature_at(zf, t->lon, t->lat);
		if (z < 0) /* on the river or the county edge: the nearest ZIP's neighbour */
			z = (long)(i % json_array_size(zf));
		json_t *code = json_object_get(json_object_get(json_array_get(zf, (size_t)z), "properties"), "CODE");
		snprintf(t->zip, sizeof t->zip, "%s", json_is_string(code) ? json_string_value(code) : "19100");
		long d = feature_at(pf, t->lon, t->lat);
		t->district = d < 0 ? 0 : (int)d;
		/* Poverty: skewed like a large US city's tracts (median ~18 %,
		 * some above 50 %); race/ethnicity mix follows poverty loosely, as
		 * segregation makes it do in Philadelphia. */
		double u = braid__rng_unif(&r);
		t->poverty = 0.03 + 0.60 * pow(u, 1.7);
		double b = t->poverty * 1.3 + 0.25 * (braid__rng_unif(&r) - 0.3);
		double h = 0.05 + 0.25 * pow(braid__rng_unif(&r), 3) + (t->poverty > 0.35 ? 0.1 : 0);
		double a = 0.02 + 0.12 * pow(braid__rng_unif(&r), 3);
		if (b < 0.02)
			b = 0.02;
		if (b + h + a > 0.95)
			b = 0.95 - h - a;
		t->mix[RACE_BLACK] = b;
		t->mix[RACE_HISP] = h;
		t->mix[RACE_API] = a;
		t->mix[RACE_OTHER] = 0.03;
		t->mix[RACE_WHITE] = 1.0 - b - h - a - 0.03;
		ref->ntracts++;
	}
	if (!ref->ntracts)
		rc = braid_err_set(err, BRAID_EPARSE, "no census tracts in Census_Tracts_2010.geojson");
out:
	json_decref(tr);
	json_decref(zp);
	json_decref(pd);
	return rc;
}

int braid__street_side(const struct street *s, int side, int *lo, int *hi)
{
	if (s->hi[side] <= 0)
		return 0;
	int l = s->lo[side], h = s->hi[side];
	if (l <= 0) /* a range starting at 0: the first number of the side's parity */
		l = (h & 1) ? 1 : 2;
	if (h < l)
		h = l;
	*lo = l;
	*hi = l + 2 * ((h - l) / 2);
	return 1;
}

/* Sides of segments, for finding overlapping address ranges. */
struct side_ref {
	const struct street *s;
	uint32_t seg;
	int lo, hi;
};

static int side_cmp(const void *a, const void *b)
{
	const struct side_ref *x = a, *y = b;
	int c;
	if ((c = strcmp(x->s->name, y->s->name)) || (c = strcmp(x->s->pre, y->s->pre)) ||
	    (c = strcmp(x->s->type, y->s->type)) || (c = strcmp(x->s->post, y->s->post)))
		return c;
	if ((x->lo & 1) != (y->lo & 1))
		return (x->lo & 1) - (y->lo & 1);
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->seg < y->seg ? -1 : x->seg > y->seg;
}

static int same_street(const struct street *a, const struct street *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->pre, b->pre) && !strcmp(a->type, b->type) &&
	       !strcmp(a->post, b->post);
}

/* A few centerline segments of one street overlap in their address ranges
 * (a long segment and the short ones that later split it).  The tract hash
 * could put them in different tracts, and then one address would have two
 * tracts: an overlapping segment takes the tract of the one it overlaps, so
 * that every address has exactly one tract and ZIP (reference/places.csv
 * relies on this). */
static void unify_overlaps(struct ref *ref)
{
	struct side_ref *v = calloc(ref->nstreets * 2 + 1, sizeof *v);
	if (!v)
		return; /* only the gazetteer's consistency on a handful of segments is lost */
	for (int pass = 0; pass < 4; pass++) {
		size_t n = 0;
		for (size_t i = 0; i < ref->nstreets; i++)
			for (int side = 0; side < 2; side++) {
				int lo, hi;
				if (braid__street_side(&ref->streets[i], side, &lo, &hi))
					v[n++] = (struct side_ref){&ref->streets[i], (uint32_t)i, lo, hi};
			}
		qsort(v, n, sizeof *v, side_cmp);
		int changed = 0;
		for (size_t i = 0, g = 0; i < n; i++) {
			if (i == 0 || !same_street(v[i].s, v[g].s) || (v[i].lo & 1) != (v[g].lo & 1) ||
			    v[i].lo > v[g].hi) {
				g = i; /* a new run of overlapping ranges */
				continue;
			}
			struct street *s = &ref->streets[v[i].seg];
			if (s->tract != v[g].s->tract) {
				s->tract = v[g].s->tract;
				changed = 1;
			}
			if (v[i].hi > v[g].hi)
				v[g].hi = v[i].hi;
		}
		if (!changed)
			break;
	}
	free(v);
}

static braid_rc load_streets(struct ref *ref, uint64_t seed, struct braid_err *err)
{
	char path[1024], line[512], *f[16];
	FILE *fp;
	braid_rc rc = open_ref("geo/philadelphia/passyunk_centerline.csv", &fp, path, sizeof path, err);
	if (rc)
		return rc;
	size_t cap = 0;
	long ln = 0;
	while (fgets(line, sizeof line, fp)) {
		if (++ln == 1)
			continue;
		if (split(line, f, 16) < 9) {
			rc = braid_err_at(err, BRAID_EPARSE, path, ln, 0, "expected centerline columns");
			break;
		}
		long v[4], code;
		int ok = 1;
		for (int k = 0; k < 4; k++)
			ok &= !braid_parse_long(f[4 + k], &v[k]);
		if (!ok || braid_parse_long(f[8], &code) || !*f[1])
			continue;
		/* Ramps and expressways have no homes. */
		if (!strcmp(f[2], "RAMP") || !strcmp(f[2], "EXPY") || (v[1] <= 0 && v[3] <= 0))
			continue;
		if (ref->nstreets == cap) {
			cap = cap ? cap * 2 : 8192;
			struct street *ns = braid_reallocarray(ref->streets, cap, sizeof *ns);
			if (!ns) {
				rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading streets");
				break;
			}
			ref->streets = ns;
		}
		struct street *s = &ref->streets[ref->nstreets];
		s->pre = braid_arena_strdup(&ref->arena, f[0]);
		s->name = braid_arena_strdup(&ref->arena, f[1]);
		s->type = braid_arena_strdup(&ref->arena, f[2]);
		s->post = braid_arena_strdup(&ref->arena, f[3]);
		if (!s->pre || !s->name || !s->type || !s->post) {
			rc = braid_err_set(err, BRAID_ENOMEM, "out of memory loading streets");
			break;
		}
		s->lo[0] = (int)v[0], s->hi[0] = (int)v[1];
		s->lo[1] = (int)v[2], s->hi[1] = (int)v[3];
		long lo = v[0] > 0 ? v[0] : v[2];
		uint64_t key[3] = {(uint64_t)code, (uint64_t)(lo / 800), seed};
		s->tract = (int)(braid_hash64(key, sizeof key, 0x5eed) % ref->ntracts);
		ref->nstreets++;
	}
	fclose(fp);
	if (!rc && !ref->nstreets)
		rc = braid_err_set(err, BRAID_EPARSE, "no usable street segments in %s", path);
	if (rc)
		return rc;
	unify_overlaps(ref);
	/* Index streets by tract (counting sort) for moves within a neighbourhood. */
	ref->tract_first = calloc(ref->ntracts + 1, sizeof *ref->tract_first);
	ref->tract_street = calloc(ref->nstreets, sizeof *ref->tract_street);
	if (!ref->tract_first || !ref->tract_street)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory indexing streets");
	for (size_t i = 0; i < ref->nstreets; i++)
		ref->tract_first[ref->streets[i].tract + 1]++;
	for (size_t t = 0; t < ref->ntracts; t++)
		ref->tract_first[t + 1] += ref->tract_first[t];
	size_t *fill = calloc(ref->ntracts ? ref->ntracts : 1, sizeof *fill);
	if (!fill)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory indexing streets");
	for (size_t i = 0; i < ref->nstreets; i++) {
		size_t t = (size_t)ref->streets[i].tract;
		ref->tract_street[ref->tract_first[t] + fill[t]++] = (uint32_t)i;
	}
	free(fill);
	return BRAID_OK;
}

braid_rc braid__ref_load(struct ref *ref, uint64_t seed, struct braid_err *err)
{
	memset(ref, 0, sizeof *ref);
	braid_arena_init(&ref->arena, 1 << 20);
	braid_rc rc = load_first(ref, err);
	if (!rc)
		rc = load_last(ref, err);
	if (!rc)
		rc = load_nicks(ref, err);
	if (!rc)
		rc = load_geo(ref, seed, err);
	if (!rc)
		rc = load_streets(ref, seed, err);
	if (rc)
		braid__ref_release(ref);
	return rc;
}

void braid__ref_release(struct ref *ref)
{
	for (int i = 0; i < 14; i++)
		for (int s = 0; s < 2; s++)
			dist_free(&ref->first[i][s]);
	for (int k = 0; k < RACE__N; k++)
		dist_free(&ref->last[k]);
	free(ref->nicks);
	free(ref->streets);
	free(ref->tract_first);
	free(ref->tract_street);
	free(ref->tracts);
	free(ref->districts);
	braid_arena_release(&ref->arena);
	memset(ref, 0, sizeof *ref);
}
