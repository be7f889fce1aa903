/*
 * Data-sharing agreements as YAML files: parse (libyaml's document API, so
 * every node keeps its line and column), validate, and describe for the
 * public register.  The file format is documented in docs/governance.md.
 *
 * Validation refuses anything ambiguous: unknown or repeated keys, missing
 * required keys, bad dates, an end before the start, identifier fields
 * offered below linked-row use, and agreements that would grant a role more
 * than the role may ever receive.  Errors say file:line:column, the key and
 * the reason, and never echo a value.  Input is bounded (1 MiB, 256 sources,
 * 512 entries per list).  It does not store agreements (see store.c).
 */
#include "policy_int.h"
#include "braid/record.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define LIST_MAX 512
#define SOURCES_MAX 256
#define TEXT_MAX 4000

struct ctx {
	yaml_document_t *doc;
	const char *file;
	struct braid_err *err;
	struct braid_agreement *a;
};

static braid_rc fail_at(struct ctx *c, const yaml_node_t *n, const char *key, const char *fmt,
			const char *what)
{
	char msg[300];
	snprintf(msg, sizeof msg, fmt, what ? what : "");
	if (n)
		return braid_err_at(c->err, BRAID_EPARSE, c->file, (long)n->start_mark.line + 1,
				    (long)n->start_mark.column + 1, "'%s': %s", key, msg);
	return braid_err_at(c->err, BRAID_EPARSE, c->file, 1, 1, "'%s': %s", key, msg);
}

static yaml_node_t *node(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

/* A scalar copied into the arena; empty strings and embedded NULs refused. */
static braid_rc get_scalar(struct ctx *c, yaml_node_t *n, const char *key, size_t max,
			   const char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return fail_at(c, n, key, "expected a single value%s", "");
	size_t len = n->data.scalar.length;
	const char *v = (const char *)n->data.scalar.value;
	if (len == 0)
		return fail_at(c, n, key, "must not be empty%s", "");
	if (len > max || memchr(v, 0, len))
		return fail_at(c, n, key, "too long or contains a NUL byte%s", "");
	char *s = braid_arena_strndup(&c->a->arena, v, len);
	if (!s)
		return braid_err_set(c->err, BRAID_ENOMEM, "out of memory");
	*out = s;
	return BRAID_OK;
}

typedef int (*check_fn)(const char *s);

static int ok_token(const char *s) { return braid__policy_token_ok(s, BRAID_NAME_MAX); }
static int ok_user(const char *s) { return braid_user_name_check(s, NULL) == BRAID_OK; }
static int ok_org(const char *s) { return braid_user_org_check(s, NULL) == BRAID_OK; }

/* A list of scalars (a lone scalar counts as a list of one).  Each item
 * must pass check (which says what is expected in expect); duplicates are
 * refused. */
static braid_rc get_list(struct ctx *c, yaml_node_t *n, const char *key, check_fn check,
			 const char *expect, const char ***out, size_t *nout)
{
	yaml_node_item_t *items = NULL, one = 0;
	size_t count;
	if (n && n->type == YAML_SCALAR_NODE) {
		one = (yaml_node_item_t)(n - c->doc->nodes.start) + 1;
		items = &one;
		count = 1;
	} else if (n && n->type == YAML_SEQUENCE_NODE) {
		items = n->data.sequence.items.start;
		count = (size_t)(n->data.sequence.items.top - items);
	} else {
		return fail_at(c, n, key, "expected a list%s", "");
	}
	if (count == 0)
		return fail_at(c, n, key, "must not be empty%s", "");
	if (count > LIST_MAX)
		return fail_at(c, n, key, "more than 512 entries%s", "");
	const char **arr = braid_arena_alloc(&c->a->arena, count * sizeof *arr);
	if (!arr)
		return braid_err_set(c->err, BRAID_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *it = node(c, items[i]);
		braid_rc rc = get_scalar(c, it, key, TEXT_MAX, &arr[i]);
		if (rc)
			return rc;
		if (!check(arr[i]))
			return fail_at(c, it, key, "expected %s", expect);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(arr[j], arr[i]))
				return fail_at(c, it, key, "repeated entry%s", "");
	}
	*out = arr;
	*nout = count;
	return BRAID_OK;
}

static braid_rc get_date(struct ctx *c, yaml_node_t *n, const char *key, char out[11])
{
	const char *s;
	braid_rc rc = get_scalar(c, n, key, 10, &s);
	if (rc)
		return rc;
	if (!braid_iso_date_valid(s))
		return fail_at(c, n, key, "expected a date YYYY-MM-DD%s", "");
	memcpy(out, s, 11);
	return BRAID_OK;
}

static braid_rc get_long(struct ctx *c, yaml_node_t *n, const char *key, long lo, long hi,
			 long *out)
{
	const char *s;
	braid_rc rc = get_scalar(c, n, key, 20, &s);
	if (rc)
		return rc;
	long v;
	if (braid_parse_long(s, &v) || v < lo || v > hi) {
		char range[64];
		snprintf(range, sizeof range, "a whole number from %ld to %ld", lo, hi);
		return fail_at(c, n, key, "expected %s", range);
	}
	*out = v;
	return BRAID_OK;
}

static int regime_by_name(const char *s)
{
	static const struct { const char *name; unsigned bit; } t[] = {
		{"HIPAA", BRAID_REG_HIPAA}, {"FERPA", BRAID_REG_FERPA},
		{"PART2", BRAID_REG_PART2}, {"42 CFR Part 2", BRAID_REG_PART2},
		{"CJIS", BRAID_REG_CJIS},   {"STATE", BRAID_REG_STATE},
		{"NONE", BRAID_REG_NONE},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(s, t[i].name))
			return (int)t[i].bit;
	return 0;
}

static const char *regime_name(unsigned bit)
{
	switch (bit) {
	case BRAID_REG_HIPAA: return "HIPAA";
	case BRAID_REG_FERPA: return "FERPA";
	case BRAID_REG_PART2: return "PART2";
	case BRAID_REG_CJIS: return "CJIS";
	case BRAID_REG_STATE: return "STATE";
	default: return "NONE";
	}
}

/* Iterate a mapping: for each pair, key must be a scalar named in keys[];
 * repeated keys are refused.  Returns the index of the key in keys[] via
 * *which, or an error. */
#define FOR_PAIRS(c, map, pair)                                                        \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start;                  \
	     pair < (map)->data.mapping.pairs.top; pair++)

static braid_rc key_of(struct ctx *c, yaml_node_pair_t *p, const char *where,
		       const char *const *keys, size_t nkeys, unsigned *seen, size_t *which)
{
	yaml_node_t *k = node(c, p->key);
	if (!k || k->type != YAML_SCALAR_NODE)
		return fail_at(c, k, where, "keys must be plain names%s", "");
	const char *ks = (const char *)k->data.scalar.value;
	for (size_t i = 0; i < nkeys; i++)
		if (k->data.scalar.length == strlen(keys[i]) && !strcmp(ks, keys[i])) {
			if (*seen & (1u << i))
				return fail_at(c, k, keys[i], "repeated key%s", "");
			*seen |= 1u << i;
			*which = i;
			return BRAID_OK;
		}
	/* Echo the key only when it is a short plain name: keys are the
	 * format's vocabulary, but a typo could be anything. */
	int plain = k->data.scalar.length > 0 && k->data.scalar.length <= 40;
	for (size_t i = 0; plain && i < k->data.scalar.length; i++)
		plain = (ks[i] >= 'a' && ks[i] <= 'z') || ks[i] == '_';
	const char *shown = plain ? ks : "?";
	return fail_at(c, k, shown, "unknown key in %s", where);
}

static braid_rc parse_sources(struct ctx *c, yaml_node_t *n)
{
	struct braid_agreement *a = c->a;
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "sources", "expected a mapping of source: [fields]%s", "");
	size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (count == 0)
		return fail_at(c, n, "sources", "must not be empty%s", "");
	if (count > SOURCES_MAX)
		return fail_at(c, n, "sources", "more than 256 sources%s", "");
	a->sources = braid_arena_zalloc(&a->arena, count * sizeof *a->sources);
	if (!a->sources)
		return braid_err_set(c->err, BRAID_ENOMEM, "out of memory");
	FOR_PAIRS(c, n, p) {
		yaml_node_t *k = node(c, p->key);
		struct braid_agreement_source *s = &a->sources[a->nsources];
		braid_rc rc = get_scalar(c, k, "sources", BRAID_NAME_MAX, &s->name);
		if (rc)
			return rc;
		if (!ok_token(s->name))
			return fail_at(c, k, "sources", "expected a source name [a-z][a-z0-9_.-]*%s", "");
		for (size_t j = 0; j < a->nsources; j++)
			if (!strcmp(a->sources[j].name, s->name))
				return fail_at(c, k, "sources", "repeated source%s", "");
		rc = get_list(c, node(c, p->value), s->name, ok_token,
			      "field names [a-z][a-z0-9_.-]*", &s->fields, &s->nfields);
		if (rc)
			return rc;
		a->nsources++;
	}
	return BRAID_OK;
}

static braid_rc parse_covers(struct ctx *c, yaml_node_t *n)
{
	static const char *const keys[] = {"users", "orgs", "roles"};
	struct braid_agreement *a = c->a;
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "covers", "expected a mapping with users, orgs and/or roles%s", "");
	unsigned seen = 0;
	FOR_PAIRS(c, n, p) {
		size_t w;
		braid_rc rc = key_of(c, p, "covers", keys, 3, &seen, &w);
		if (rc)
			return rc;
		yaml_node_t *v = node(c, p->value);
		if (w == 0) {
			rc = get_list(c, v, "users", ok_user, "user names", &a->cover_users,
				      &a->ncover_users);
		} else if (w == 1) {
			rc = get_list(c, v, "orgs", ok_org, "organisation names", &a->cover_orgs,
				      &a->ncover_orgs);
		} else {
			const char **roles;
			size_t nroles;
			rc = get_list(c, v, "roles", ok_token, "role names", &roles, &nroles);
			for (size_t i = 0; !rc && i < nroles; i++) {
				int r = braid_role_by_name(roles[i]);
				if (r < 0)
					rc = fail_at(c, v, "roles",
						     "expected admin, steward, linker, analyst, "
						     "caseworker, cbo or public%s", "");
				else
					a->cover_roles |= 1u << r;
			}
		}
		if (rc)
			return rc;
	}
	if (!a->ncover_users && !a->ncover_orgs && !a->cover_roles)
		return fail_at(c, n, "covers", "names no user, organisation or role%s", "");
	return BRAID_OK;
}

static braid_rc parse_basis(struct ctx *c, yaml_node_t *n)
{
	struct braid_agreement *a = c->a;
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "legal_basis", "expected a list of {regime, citation}%s", "");
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0 || count > 16)
		return fail_at(c, n, "legal_basis", "expected 1 to 16 entries%s", "");
	a->basis = braid_arena_zalloc(&a->arena, count * sizeof *a->basis);
	if (!a->basis)
		return braid_err_set(c->err, BRAID_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *it = node(c, n->data.sequence.items.start[i]);
		struct braid_legal_basis *b = &a->basis[i];
		const char *reg = NULL;
		yaml_node_t *regnode = it;
		b->citation = "";
		braid_rc rc = BRAID_OK;
		if (it && it->type == YAML_SCALAR_NODE) {
			rc = get_scalar(c, it, "legal_basis", 64, &reg);
		} else if (it && it->type == YAML_MAPPING_NODE) {
			static const char *const keys[] = {"regime", "citation"};
			unsigned seen = 0;
			FOR_PAIRS(c, it, p) {
				size_t w;
				rc = key_of(c, p, "legal_basis", keys, 2, &seen, &w);
				if (rc)
					return rc;
				if (w == 0) {
					regnode = node(c, p->value);
					rc = get_scalar(c, regnode, "regime", 64, &reg);
				} else {
					rc = get_scalar(c, node(c, p->value), "citation", TEXT_MAX,
							&b->citation);
				}
				if (rc)
					return rc;
			}
			if (!reg)
				return fail_at(c, it, "legal_basis", "missing 'regime'%s", "");
		} else {
			return fail_at(c, it, "legal_basis", "expected a regime or {regime, citation}%s", "");
		}
		if (rc)
			return rc;
		int bit = regime_by_name(reg);
		if (!bit)
			return fail_at(c, regnode, "regime",
				       "expected HIPAA, FERPA, PART2, CJIS, STATE or NONE%s", "");
		b->regime = (enum braid_regime)bit;
		a->regimes |= (unsigned)bit;
		a->nbasis++;
	}
	return BRAID_OK;
}

static braid_rc parse_destruction(struct ctx *c, yaml_node_t *n)
{
	static const char *const keys[] = {"what", "within_days"};
	static const struct { const char *name; unsigned bit; } vocab[] = {
		{"exports", BRAID_DESTROY_EXPORTS}, {"source_rows", BRAID_DESTROY_SOURCE_ROWS},
		{"identifiers", BRAID_DESTROY_IDENTIFIERS}, {"links", BRAID_DESTROY_LINKS},
		{"nothing", 0},
	};
	struct braid_agreement *a = c->a;
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "destruction", "expected a mapping {what, within_days}%s", "");
	unsigned seen = 0;
	FOR_PAIRS(c, n, p) {
		size_t w;
		braid_rc rc = key_of(c, p, "destruction", keys, 2, &seen, &w);
		if (rc)
			return rc;
		yaml_node_t *v = node(c, p->value);
		if (w == 1) {
			rc = get_long(c, v, "within_days", 0, 3650, &a->destroy_within_days);
			if (rc)
				return rc;
			continue;
		}
		const char **what;
		size_t nwhat;
		rc = get_list(c, v, "what", ok_token, "exports, source_rows, identifiers, links or nothing",
			      &what, &nwhat);
		if (rc)
			return rc;
		for (size_t i = 0; i < nwhat; i++) {
			size_t k = 0;
			while (k < sizeof vocab / sizeof vocab[0] && strcmp(vocab[k].name, what[i]))
				k++;
			if (k == sizeof vocab / sizeof vocab[0] || (!vocab[k].bit && nwhat > 1))
				return fail_at(c, v, "what",
					       "expected exports, source_rows, identifiers, links, "
					       "or nothing alone%s", "");
			a->destroy_what |= vocab[k].bit;
		}
	}
	if ((seen & 3u) != 3u)
		return fail_at(c, n, "destruction", "needs both 'what' and 'within_days'%s", "");
	return BRAID_OK;
}

enum key {
	K_ID, K_TITLE, K_STATUS, K_PARTIES, K_PURPOSES, K_BASIS, K_SOURCES, K_USE, K_COVERS,
	K_MINCELL, K_START, K_END, K_DESTRUCTION, K_SUMMARY, K_REVOKED, K__COUNT
};
static const char *const top_keys[K__COUNT] = {
	"id", "title", "status", "parties", "purposes", "legal_basis", "sources", "use",
	"covers", "min_cell_size", "start", "end", "destruction", "summary", "revoked_on",
};

static braid_rc parse_top(struct ctx *c, yaml_node_t *root)
{
	struct braid_agreement *a = c->a;
	if (!root)
		return braid_err_at(c->err, BRAID_EPARSE, c->file, 1, 1, "empty agreement");
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(c, root, "(top)", "expected a mapping of keys%s", "");
	unsigned seen = 0;
	yaml_node_t *at[K__COUNT] = {0};
	FOR_PAIRS(c, root, p) {
		size_t w;
		braid_rc rc = key_of(c, p, "the agreement", top_keys, K__COUNT, &seen, &w);
		if (rc)
			return rc;
		yaml_node_t *v = node(c, p->value);
		at[w] = v;
		const char *s;
		switch ((enum key)w) {
		case K_ID:
			rc = get_scalar(c, v, "id", BRAID_NAME_MAX, &a->id);
			if (!rc && !ok_token(a->id))
				rc = fail_at(c, v, "id", "expected [a-z][a-z0-9._-]*, at most 64%s", "");
			break;
		case K_TITLE: rc = get_scalar(c, v, "title", 200, &a->title); break;
		case K_SUMMARY: rc = get_scalar(c, v, "summary", TEXT_MAX, &a->summary); break;
		case K_STATUS:
			rc = get_scalar(c, v, "status", 16, &s);
			if (rc)
				break;
			if (!strcmp(s, "draft"))
				a->status = BRAID_AG_DRAFT;
			else if (!strcmp(s, "active"))
				a->status = BRAID_AG_ACTIVE;
			else if (!strcmp(s, "revoked"))
				a->status = BRAID_AG_REVOKED;
			else
				rc = fail_at(c, v, "status",
					     "expected draft, active or revoked (expired follows from "
					     "the dates)%s", "");
			break;
		case K_PARTIES:
			rc = get_list(c, v, "parties", ok_org, "organisation names", &a->parties,
				      &a->nparties);
			break;
		case K_PURPOSES:
			rc = get_list(c, v, "purposes", ok_token, "purpose names [a-z][a-z0-9._-]*",
				      &a->purposes, &a->npurposes);
			break;
		case K_BASIS: rc = parse_basis(c, v); break;
		case K_SOURCES: rc = parse_sources(c, v); break;
		case K_USE: {
			rc = get_scalar(c, v, "use", 32, &s);
			int u = rc ? -1 : braid_use_by_name(s);
			if (!rc && u < 0)
				rc = fail_at(c, v, "use",
					     "expected linked-row, deidentified-row or aggregate%s", "");
			else if (!rc)
				a->use = (enum braid_use)u;
			break;
		}
		case K_COVERS: rc = parse_covers(c, v); break;
		case K_MINCELL: rc = get_long(c, v, "min_cell_size", 1, 1000, &a->min_cell_size); break;
		case K_START: rc = get_date(c, v, "start", a->start); break;
		case K_END: rc = get_date(c, v, "end", a->end); break;
		case K_REVOKED: rc = get_date(c, v, "revoked_on", a->revoked_on); break;
		case K_DESTRUCTION: rc = parse_destruction(c, v); break;
		case K__COUNT: break;
		}
		if (rc)
			return rc;
	}
	for (int k = 0; k < K__COUNT; k++) {
		if (k == K_MINCELL || k == K_REVOKED || (seen & (1u << k)))
			continue;
		return braid_err_at(c->err, BRAID_EPARSE, c->file, (long)root->start_mark.line + 1,
				    (long)root->start_mark.column + 1, "'%s': required key missing",
				    top_keys[k]);
	}
	if (strcmp(a->end, a->start) < 0)
		return fail_at(c, at[K_END], "end", "is before the start date%s", "");
	if (a->revoked_on[0] && a->status != BRAID_AG_REVOKED)
		return fail_at(c, at[K_REVOKED], "revoked_on", "given but status is not revoked%s", "");
	/* Identifiers only ever leave the vault at linked-row level (to the
	 * linker): an agreement offering them for less is a mistake. */
	for (size_t i = 0; i < a->nsources; i++)
		for (size_t j = 0; j < a->sources[i].nfields; j++) {
			int f = braid_field_by_name(a->sources[i].fields[j]);
			if (f >= 0 && braid_field_is_identifier((enum braid_field)f) &&
			    a->use != BRAID_USE_LINKED) {
				char what[200];
				snprintf(what, sizeof what, "identifier field '%s.%s' needs use linked-row",
					 a->sources[i].name, a->sources[i].fields[j]);
				return fail_at(c, at[K_SOURCES], "sources", "%s", what);
			}
		}
	for (int r = 0; r < BRAID_ROLE__COUNT; r++)
		if ((a->cover_roles & (1u << r)) && a->use > braid_role_max_use((enum braid_role)r)) {
			char what[200];
			snprintf(what, sizeof what, "covers role %s, which may receive at most %s",
				 braid_role_name((enum braid_role)r),
				 braid_use_name(braid_role_max_use((enum braid_role)r)));
			return fail_at(c, at[K_USE], "use", "exceeds the role bound: %s", what);
		}
	return BRAID_OK;
}

braid_rc braid_agreement_parse(const char *text, size_t len, const char *file,
			       struct braid_agreement **out, struct braid_err *err)
{
	*out = NULL;
	if (!file)
		file = "(agreement)";
	if (len > BRAID_AGREEMENT_MAX)
		return braid_err_at(err, BRAID_ETOOBIG, file, 0, 0, "agreement larger than 1 MiB");
	struct braid_agreement *a = calloc(1, sizeof *a);
	if (!a)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	braid_arena_init(&a->arena, 4096);
	a->min_cell_size = 11;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		braid_agreement_free(a);
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	braid_rc rc;
	if (!yaml_parser_load(&parser, &doc)) {
		rc = braid_err_at(err, BRAID_EPARSE, file, (long)parser.problem_mark.line + 1,
				  (long)parser.problem_mark.column + 1, "YAML: %s",
				  parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		braid_agreement_free(a);
		return rc;
	}
	struct ctx c = {&doc, file, err, a};
	rc = parse_top(&c, yaml_document_get_root_node(&doc));
	if (!rc) {
		/* One agreement per file: a second document is a mistake. */
		yaml_document_t more;
		if (!yaml_parser_load(&parser, &more)) {
			rc = braid_err_at(err, BRAID_EPARSE, file, (long)parser.problem_mark.line + 1,
					  (long)parser.problem_mark.column + 1, "YAML: %s",
					  parser.problem ? parser.problem : "syntax error");
		} else {
			if (yaml_document_get_root_node(&more))
				rc = braid_err_at(err, BRAID_EPARSE, file, 0, 0,
						  "more than one YAML document; one agreement per file");
			yaml_document_delete(&more);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		braid_agreement_free(a);
		return rc;
	}
	*out = a;
	return BRAID_OK;
}

braid_rc braid_agreement_load(const char *path, struct braid_agreement **out,
			      struct braid_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_at(err, BRAID_EIO, path, 0, 0, "cannot open agreement file");
	struct braid_buf b;
	braid_buf_init(&b, BRAID_AGREEMENT_MAX);
	char chunk[8192];
	size_t n;
	braid_rc rc = BRAID_OK;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = braid_buf_append(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (rc == BRAID_ETOOBIG)
		rc = braid_err_at(err, rc, path, 0, 0, "agreement larger than 1 MiB");
	else if (rc || bad)
		rc = braid_err_at(err, rc ? rc : BRAID_EIO, path, 0, 0, "cannot read agreement file");
	if (!rc)
		rc = braid_agreement_parse(b.data ? b.data : "", b.len, path, out, err);
	braid_buf_release(&b);
	return rc;
}

void braid_agreement_free(struct braid_agreement *a)
{
	if (!a)
		return;
	braid_arena_release(&a->arena);
	free(a);
}

const char *braid_agreement_status_name(enum braid_agreement_status s)
{
	switch (s) {
	case BRAID_AG_DRAFT: return "draft";
	case BRAID_AG_ACTIVE: return "active";
	case BRAID_AG_REVOKED: return "revoked";
	case BRAID_AG_EXPIRED: return "expired";
	case BRAID_AG_PENDING: return "pending";
	}
	return "unknown";
}

enum braid_agreement_status braid_agreement_status_on(const struct braid_agreement *a,
						      const char *date)
{
	if (a->status != BRAID_AG_ACTIVE)
		return a->status;
	if (strcmp(date, a->start) < 0)
		return BRAID_AG_PENDING;
	if (strcmp(date, a->end) > 0)
		return BRAID_AG_EXPIRED;
	return BRAID_AG_ACTIVE;
}

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

char *braid_agreement_public_json(const struct braid_agreement *a, const char *date)
{
	char today[11];
	if (!date) {
		braid_today(today);
		date = today;
	}
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "title", json_string(a->title));
	json_object_set_new(o, "status", json_string(braid_agreement_status_name(
						 braid_agreement_status_on(a, date))));
	json_object_set_new(o, "summary", json_string(a->summary));
	json_object_set_new(o, "parties", str_array(a->parties, a->nparties));
	json_object_set_new(o, "purposes", str_array(a->purposes, a->npurposes));
	json_t *basis = json_array();
	for (size_t i = 0; i < a->nbasis; i++)
		json_array_append_new(basis, json_pack("{s:s,s:s}", "regime",
						       regime_name(a->basis[i].regime),
						       "citation", a->basis[i].citation));
	json_object_set_new(o, "legal_basis", basis);
	json_t *src = json_object();
	for (size_t i = 0; i < a->nsources; i++)
		json_object_set_new(src, a->sources[i].name,
				    str_array(a->sources[i].fields, a->sources[i].nfields));
	json_object_set_new(o, "sources", src);
	json_object_set_new(o, "use", json_string(braid_use_name(a->use)));
	json_object_set_new(o, "min_cell_size", json_integer(a->min_cell_size));
	json_object_set_new(o, "start", json_string(a->start));
	json_object_set_new(o, "end", json_string(a->end));
	if (a->revoked_on[0])
		json_object_set_new(o, "revoked_on", json_string(a->revoked_on));
	json_t *what = json_array();
	static const char *const dn[] = {"exports", "source_rows", "identifiers", "links"};
	for (int i = 0; i < 4; i++)
		if (a->destroy_what & (1u << i))
			json_array_append_new(what, json_string(dn[i]));
	json_object_set_new(o, "destruction", json_pack("{s:o,s:I}", "what", what, "within_days",
							 (json_int_t)a->destroy_within_days));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
