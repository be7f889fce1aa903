/*
 * Source specs: parsing YAML (libyaml's document API), building the same
 * struct from command-line arguments, and writing it back as canonical
 * YAML (what the store keeps and `braid source show` prints).
 *
 * Every error names the file, line and column of the offending key or value
 * and what was expected; an unknown key or standard field suggests the
 * nearest known name.  YAML aliases are refused (a spec has no use for
 * them and they allow exponential documents).  This file does not touch
 * data files or the store.
 */
#include "braid/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_SPEC (1 << 20)
#define MAX_NAME 63

const char *braid_spec_regime_name(enum braid_spec_regime r)
{
	static const char *const n[] = {"NONE", "HIPAA", "FERPA", "PART2", "CJIS", "STATE"};
	return (unsigned)r < 6 ? n[r] : "NONE";
}

const char *braid_kind_name(enum braid_kind k)
{
	static const char *const n[] = {"person", "account", "site"};
	return (unsigned)k < 3 ? n[k] : "person";
}

static struct braid_spec *spec_new(void)
{
	struct braid_spec *s = calloc(1, sizeof *s);
	if (s)
		braid_arena_init(&s->arena, 16 * 1024);
	return s;
}

void braid_spec_free(struct braid_spec *s)
{
	if (!s)
		return;
	braid_arena_release(&s->arena);
	free(s);
}

/* Edit distance, for "did you mean".  Names are short (< 64). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t prev[64], cur[64];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			cur[j] = c;
		}
		memcpy(prev, cur, sizeof cur);
	}
	return prev[lb];
}

/* Nearest of names (NULL-terminated) to s, or NULL when none is close. */
static const char *nearest(const char *s, const char *const *names)
{
	const char *best = NULL;
	size_t bd = 4;
	for (; *names; names++) {
		size_t d = distance(s, *names);
		if (d < bd) {
			bd = d;
			best = *names;
		}
	}
	return best;
}

static const char *const top_keys[] = {
	"source", "title", "steward", "regime", "kind", "id", "rows", "delimiter",
	"encoding", "fields", "events", "attributes", NULL};
static const char *const col_keys[] = {"column", "format", "map", "missing", NULL};
static const char *const event_keys[] = {
	"type", "start", "end", "program", "provider", "amount", "attributes", NULL};

static const char *const *field_names(void)
{
	static const char *names[BRAID_F__COUNT + 1];
	for (int i = 0; i < BRAID_F__COUNT; i++)
		names[i] = braid_field_name((enum braid_field)i);
	return names;
}

static int valid_ident(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z') || strlen(s) > MAX_NAME)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static const char *const race_values[] = {
	"white", "black", "asian", "aian", "nhpi", "other", "multiple", NULL};
static const char *const eth_values[] = {"hispanic", "not_hispanic", NULL};
static const char *const sex_values[] = {"M", "F", "U", NULL};

static int in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return 1;
	return 0;
}

/* ------------------------------------------------------------ YAML walk */
struct P {
	yaml_document_t doc;
	const char *file;
	struct braid_spec *s;
	struct braid_err *err;
	unsigned char *seen; /* node visited, to refuse aliases */
	size_t nnodes;
};

static yaml_node_t *node(struct P *p, int id)
{
	return yaml_document_get_node(&p->doc, id);
}

static braid_rc at(struct P *p, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static braid_rc at(struct P *p, yaml_node_t *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return braid_err_at(p->err, BRAID_EPARSE, p->file,
			    n ? (long)n->start_mark.line + 1 : 0,
			    n ? (long)n->start_mark.column + 1 : 0, "%s", msg);
}

static braid_rc visit(struct P *p, yaml_node_t *n)
{
	size_t i = (size_t)(n - p->doc.nodes.start);
	if (i < p->nnodes) {
		if (p->seen[i])
			return at(p, n, "YAML aliases are not supported in a spec");
		p->seen[i] = 1;
	}
	return BRAID_OK;
}

/* A scalar's text copied into the spec's arena. */
static braid_rc scalar(struct P *p, yaml_node_t *n, const char *what, const char **out)
{
	braid_rc rc = visit(p, n);
	if (rc)
		return rc;
	if (n->type != YAML_SCALAR_NODE)
		return at(p, n, "%s: expected a text value", what);
	*out = braid_arena_strndup(&p->s->arena, (const char *)n->data.scalar.value,
				   n->data.scalar.length);
	if (!*out)
		return braid_err_set(p->err, BRAID_ENOMEM, "out of memory");
	if (strlen(*out) != n->data.scalar.length)
		return at(p, n, "%s: NUL byte in value", what);
	return BRAID_OK;
}

static braid_rc mapping(struct P *p, yaml_node_t *n, const char *what)
{
	braid_rc rc = visit(p, n);
	if (rc)
		return rc;
	if (n->type != YAML_MAPPING_NODE)
		return at(p, n, "%s: expected a mapping (key: value lines)", what);
	return BRAID_OK;
}

/* Key of a pair as text (keys must be scalars). */
static braid_rc key_text(struct P *p, yaml_node_pair_t *pr, const char **k, yaml_node_t **kn)
{
	*kn = node(p, pr->key);
	if (!*kn)
		return braid_err_set(p->err, BRAID_EINTERNAL, "yaml: missing node");
	if ((*kn)->type != YAML_SCALAR_NODE)
		return at(p, *kn, "expected a key name");
	return scalar(p, *kn, "key", k);
}

/* Duplicate keys are an error: YAML says keys are unique and a second
 * mapping for the same field is almost surely a mistake. */
static braid_rc check_dup(struct P *p, yaml_node_t *map, yaml_node_pair_t *upto,
			  const char *k, yaml_node_t *kn)
{
	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < upto; q++) {
		yaml_node_t *o = node(p, q->key);
		if (o && o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == strlen(k) &&
		    !memcmp(o->data.scalar.value, k, strlen(k)))
			return at(p, kn, "duplicate key '%s' (first on line %lu)", k,
				  (unsigned long)o->start_mark.line + 1);
	}
	return BRAID_OK;
}

static braid_rc kv_map(struct P *p, yaml_node_t *n, const char *what, struct braid_kv **out,
		       size_t *nout)
{
	braid_rc rc = mapping(p, n, what);
	if (rc)
		return rc;
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	*out = cnt ? braid_arena_zalloc(&p->s->arena, cnt * sizeof **out) : NULL;
	if (cnt && !*out)
		return braid_err_set(p->err, BRAID_ENOMEM, "out of memory");
	*nout = 0;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn;
		const char *k, *v;
		if ((rc = key_text(p, pr, &k, &kn)) || (rc = check_dup(p, n, pr, k, kn)))
			return rc;
		if ((rc = scalar(p, node(p, pr->value), what, &v)))
			return rc;
		(*out)[*nout].key = k;
		(*out)[(*nout)++].value = v;
	}
	return BRAID_OK;
}

static braid_rc colspec(struct P *p, yaml_node_t *n, const char *what,
			struct braid_colspec *cs)
{
	if (n->type == YAML_SCALAR_NODE) {
		braid_rc rc = scalar(p, n, what, &cs->column);
		if (!rc && !*cs->column)
			return at(p, n, "%s: expected a column name", what);
		return rc;
	}
	braid_rc rc = mapping(p, n, what);
	if (rc)
		return rc;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn, *vn = node(p, pr->value);
		const char *k;
		if ((rc = key_text(p, pr, &k, &kn)) || (rc = check_dup(p, n, pr, k, kn)))
			return rc;
		if (!strcmp(k, "column"))
			rc = scalar(p, vn, "column", &cs->column);
		else if (!strcmp(k, "format"))
			rc = scalar(p, vn, "format", &cs->format);
		else if (!strcmp(k, "map"))
			rc = kv_map(p, vn, "map", &cs->map, &cs->nmap);
		else if (!strcmp(k, "missing")) {
			if ((rc = visit(p, vn)))
				return rc;
			if (vn->type != YAML_SEQUENCE_NODE)
				return at(p, vn, "missing: expected a list of values");
			size_t cnt = (size_t)(vn->data.sequence.items.top -
					      vn->data.sequence.items.start);
			cs->missing = braid_arena_zalloc(&p->s->arena, (cnt + 1) * sizeof(char *));
			if (!cs->missing)
				return braid_err_set(p->err, BRAID_ENOMEM, "out of memory");
			for (yaml_node_item_t *it = vn->data.sequence.items.start;
			     !rc && it < vn->data.sequence.items.top; it++)
				rc = scalar(p, node(p, *it), "missing",
					    &cs->missing[cs->nmissing++]);
		} else {
			const char *near = nearest(k, col_keys);
			return at(p, kn, "%s: unknown key '%s'%s%s%s (expected column, format, "
				  "map or missing)", what, k, near ? " (did you mean '" : "",
				  near ? near : "", near ? "'?)" : "");
		}
		if (rc)
			return rc;
	}
	if (!cs->column || !*cs->column)
		return at(p, n, "%s: expected a 'column' key", what);
	return BRAID_OK;
}

static braid_rc check_map_targets(struct P *p, yaml_node_t *n, enum braid_field f,
				  const struct braid_colspec *cs)
{
	const char *const *allowed = f == BRAID_F_RACE ? race_values :
				     f == BRAID_F_ETHNICITY ? eth_values :
				     f == BRAID_F_SEX ? sex_values : NULL;
	if (!allowed)
		return BRAID_OK;
	for (size_t i = 0; i < cs->nmap; i++)
		if (!in_list(cs->map[i].value, allowed)) {
			char list[200] = "";
			for (const char *const *a = allowed; *a; a++) {
				strncat(list, *a, sizeof list - strlen(list) - 3);
				if (a[1])
					strncat(list, ", ", sizeof list - strlen(list) - 1);
			}
			return at(p, n, "%s: map value '%s' is not one of %s",
				  braid_field_name(f), cs->map[i].value, list);
		}
	return BRAID_OK;
}

static braid_rc fields(struct P *p, yaml_node_t *n)
{
	braid_rc rc = mapping(p, n, "fields");
	if (rc)
		return rc;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn;
		const char *k;
		if ((rc = key_text(p, pr, &k, &kn)) || (rc = check_dup(p, n, pr, k, kn)))
			return rc;
		int f = braid_field_by_name(k);
		if (f < 0) {
			const char *near = nearest(k, field_names());
			if (near)
				return at(p, kn, "unknown standard field '%s' (did you mean '%s'?)",
					  k, near);
			return at(p, kn, "unknown standard field '%s' (see docs/spec-format.md)",
				  k);
		}
		if ((rc = colspec(p, node(p, pr->value), k, &p->s->fields[f])))
			return rc;
		if ((rc = check_map_targets(p, node(p, pr->value), (enum braid_field)f,
					    &p->s->fields[f])))
			return rc;
	}
	return BRAID_OK;
}

static braid_rc event(struct P *p, yaml_node_t *n, struct braid_event_spec *ev)
{
	braid_rc rc = mapping(p, n, "event");
	if (rc)
		return rc;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn, *vn = node(p, pr->value);
		const char *k;
		if ((rc = key_text(p, pr, &k, &kn)) || (rc = check_dup(p, n, pr, k, kn)))
			return rc;
		if (!strcmp(k, "type")) {
			if ((rc = scalar(p, vn, "type", &ev->type)))
				return rc;
			if (!valid_ident(ev->type))
				return at(p, vn, "event type '%s': expected lower-case letters, "
					  "digits and _ (starting with a letter)", ev->type);
		} else if (!strcmp(k, "start"))
			rc = colspec(p, vn, "start", &ev->start);
		else if (!strcmp(k, "end"))
			rc = colspec(p, vn, "end", &ev->end);
		else if (!strcmp(k, "program"))
			rc = colspec(p, vn, "program", &ev->program);
		else if (!strcmp(k, "provider"))
			rc = colspec(p, vn, "provider", &ev->provider);
		else if (!strcmp(k, "amount"))
			rc = colspec(p, vn, "amount", &ev->amount);
		else if (!strcmp(k, "attributes"))
			rc = kv_map(p, vn, "attributes", &ev->attrs, &ev->nattrs);
		else {
			const char *near = nearest(k, event_keys);
			return at(p, kn, "unknown event key '%s'%s%s%s (expected type, start, end, "
				  "program, provider, amount or attributes)", k,
				  near ? " (did you mean '" : "", near ? near : "",
				  near ? "'?)" : "");
		}
		if (rc)
			return rc;
	}
	if (!ev->type)
		return at(p, n, "event: expected a 'type' key");
	if (!ev->start.column)
		return at(p, n, "event '%s': expected a 'start' key (the column of its date)",
			  ev->type);
	return BRAID_OK;
}

static braid_rc events(struct P *p, yaml_node_t *n)
{
	braid_rc rc = visit(p, n);
	if (rc)
		return rc;
	if (n->type != YAML_SEQUENCE_NODE)
		return at(p, n, "events: expected a list (lines starting with '- ')");
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	p->s->events = cnt ? braid_arena_zalloc(&p->s->arena, cnt * sizeof *p->s->events) : NULL;
	if (cnt && !p->s->events)
		return braid_err_set(p->err, BRAID_ENOMEM, "out of memory");
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++)
		if ((rc = event(p, node(p, *it), &p->s->events[p->s->nevents++])))
			return rc;
	return BRAID_OK;
}

static braid_rc enum_value(struct P *p, yaml_node_t *vn, const char *what,
			   const char *const *names, int *out, int upper)
{
	const char *v;
	braid_rc rc = scalar(p, vn, what, &v);
	if (rc)
		return rc;
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%s", v);
	if (upper)
		braid_ascii_upper(tmp);
	else
		braid_ascii_lower(tmp);
	for (int i = 0; names[i]; i++)
		if (!strcmp(tmp, names[i])) {
			*out = i;
			return BRAID_OK;
		}
	char list[200] = "";
	for (int i = 0; names[i]; i++) {
		strncat(list, names[i], sizeof list - strlen(list) - 3);
		if (names[i + 1])
			strncat(list, " | ", sizeof list - strlen(list) - 1);
	}
	return at(p, vn, "%s: '%s' is not one of %s", what, v, list);
}

static braid_rc top(struct P *p, yaml_node_t *root)
{
	struct braid_spec *s = p->s;
	braid_rc rc = mapping(p, root, "spec");
	if (rc)
		return rc;
	yaml_node_t *source_node = NULL;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn, *vn = node(p, pr->value);
		const char *k;
		if ((rc = key_text(p, pr, &k, &kn)) || (rc = check_dup(p, root, pr, k, kn)))
			return rc;
		if (!strcmp(k, "source")) {
			if ((rc = scalar(p, vn, "source", &s->source)))
				return rc;
			source_node = vn;
		} else if (!strcmp(k, "title"))
			rc = scalar(p, vn, "title", &s->title);
		else if (!strcmp(k, "steward"))
			rc = scalar(p, vn, "steward", &s->steward);
		else if (!strcmp(k, "regime")) {
			static const char *const n[] = {"NONE", "HIPAA", "FERPA", "PART2", "CJIS",
							"STATE", NULL};
			int v = 0;
			rc = enum_value(p, vn, "regime", n, &v, 1);
			s->regime = (enum braid_spec_regime)v;
		} else if (!strcmp(k, "kind")) {
			static const char *const n[] = {"person", "account", "site", NULL};
			int v = 0;
			rc = enum_value(p, vn, "kind", n, &v, 0);
			s->kind = (enum braid_kind)v;
		} else if (!strcmp(k, "rows")) {
			static const char *const n[] = {"person", "event", NULL};
			rc = enum_value(p, vn, "rows", n, &s->rows_event, 0);
		} else if (!strcmp(k, "encoding")) {
			static const char *const n[] = {"utf-8", "latin1", "utf8", "latin-1", NULL};
			int v = 0;
			rc = enum_value(p, vn, "encoding", n, &v, 0);
			s->latin1 = v % 2;
		} else if (!strcmp(k, "delimiter")) {
			const char *d;
			if ((rc = scalar(p, vn, "delimiter", &d)))
				return rc;
			if (strlen(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r')
				return at(p, vn, "delimiter: expected one character (\"\\t\" for tab)");
			s->delimiter = d[0];
		} else if (!strcmp(k, "id")) {
			if ((rc = scalar(p, vn, "id", &s->id)))
				return rc;
			if (!*s->id)
				return at(p, vn, "id: expected a column name");
		} else if (!strcmp(k, "fields"))
			rc = fields(p, vn);
		else if (!strcmp(k, "events"))
			rc = events(p, vn);
		else if (!strcmp(k, "attributes"))
			rc = kv_map(p, vn, "attributes", &s->attrs, &s->nattrs);
		else {
			const char *near = nearest(k, top_keys);
			if (near)
				return at(p, kn, "unknown key '%s' (did you mean '%s'?)", k, near);
			return at(p, kn, "unknown key '%s' (expected one of source, title, steward, "
				  "regime, kind, id, rows, delimiter, encoding, fields, events, "
				  "attributes)", k);
		}
		if (rc)
			return rc;
	}
	if (!s->source)
		return at(p, root, "expected a 'source' key (the source's name)");
	if (!valid_ident(s->source))
		return at(p, source_node, "source '%s': expected a name of lower-case letters, "
			  "digits and _ starting with a letter (at most %d)", s->source, MAX_NAME);
	if (s->rows_event && !s->nevents)
		return at(p, root, "rows: event needs an 'events' list");
	return BRAID_OK;
}

braid_rc braid_spec_parse(const char *data, size_t len, const char *name,
			  struct braid_spec **out, struct braid_err *err)
{
	*out = NULL;
	if (!name)
		name = "<spec>";
	if (len > MAX_SPEC)
		return braid_err_at(err, BRAID_ETOOBIG, name, 0, 0,
				    "spec is larger than %d bytes", MAX_SPEC);
	struct P p = {.file = name, .err = err};
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &p.doc)) {
		braid_rc rc = braid_err_at(err, BRAID_EPARSE, name,
					   (long)parser.problem_mark.line + 1,
					   (long)parser.problem_mark.column + 1, "YAML: %s%s%s",
					   parser.problem ? parser.problem : "malformed",
					   parser.context ? " " : "",
					   parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return rc;
	}
	braid_rc rc = BRAID_OK;
	yaml_node_t *root = yaml_document_get_root_node(&p.doc);
	if (!root) {
		rc = braid_err_at(err, BRAID_EPARSE, name, 1, 1,
				  "empty spec: expected at least 'source: NAME'");
		goto done;
	}
	yaml_document_t extra;
	if (yaml_parser_load(&parser, &extra)) {
		int more = yaml_document_get_root_node(&extra) != NULL;
		yaml_document_delete(&extra);
		if (more) {
			rc = braid_err_at(err, BRAID_EPARSE, name, 0, 0,
					  "expected one YAML document, found several");
			goto done;
		}
	}
	p.nnodes = (size_t)(p.doc.nodes.top - p.doc.nodes.start);
	p.seen = calloc(p.nnodes + 1, 1);
	p.s = spec_new();
	if (!p.seen || !p.s) {
		rc = braid_err_set(err, BRAID_ENOMEM, "out of memory");
		goto done;
	}
	rc = top(&p, root);
done:
	free(p.seen);
	yaml_document_delete(&p.doc);
	yaml_parser_delete(&parser);
	if (rc)
		braid_spec_free(p.s);
	else
		*out = p.s;
	return rc;
}

braid_rc braid_spec_load(const char *path, struct braid_spec **out, struct braid_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return braid_err_set(err, BRAID_EIO, "cannot open spec '%s': %s", path,
				     strerror(errno));
	struct braid_buf b;
	braid_buf_init(&b, MAX_SPEC + 1);
	char chunk[8192];
	size_t n;
	braid_rc rc = BRAID_OK;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = braid_buf_append(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (rc == BRAID_ETOOBIG)
		rc = braid_err_at(err, rc, path, 0, 0, "spec is larger than %d bytes", MAX_SPEC);
	else if (rc)
		rc = braid_err_set(err, rc, "out of memory");
	else if (bad)
		rc = braid_err_set(err, BRAID_EIO, "cannot read spec '%s'", path);
	else
		rc = braid_spec_parse(b.data ? b.data : "", b.len, path, out, err);
	braid_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------ inline */
static braid_rc arg_err(struct braid_err *err, int i, const char *arg, const char *msg)
{
	return braid_err_set(err, BRAID_EINVAL, "argument %d '%s': %s", i, arg, msg);
}

/* "COL[:FORMAT]" into cs.  A column name may itself hold ':' only when no
 * format follows, so we split at the first ':' only when a '%' follows. */
static braid_rc col_format(struct braid_spec *s, const char *v, struct braid_colspec *cs)
{
	const char *c = strchr(v, ':');
	if (c && strchr(c, '%')) {
		cs->column = braid_arena_strndup(&s->arena, v, (size_t)(c - v));
		cs->format = braid_arena_strdup(&s->arena, c + 1);
	} else {
		cs->column = braid_arena_strdup(&s->arena, v);
	}
	return cs->column ? BRAID_OK : BRAID_ENOMEM;
}

/* Append one kv to a growable arena array (arrays are small). */
static braid_rc kv_push(struct braid_spec *s, struct braid_kv **arr, size_t *n,
			const char *k, size_t klen, const char *v)
{
	struct braid_kv *na = braid_arena_alloc(&s->arena, (*n + 1) * sizeof *na);
	if (!na)
		return BRAID_ENOMEM;
	if (*n)
		memcpy(na, *arr, *n * sizeof *na);
	na[*n].key = braid_arena_strndup(&s->arena, k, klen);
	na[*n].value = braid_arena_strdup(&s->arena, v);
	if (!na[*n].key || !na[*n].value)
		return BRAID_ENOMEM;
	*arr = na;
	(*n)++;
	return BRAID_OK;
}

braid_rc braid_spec_from_args(int argc, char **argv, struct braid_spec **out,
			      struct braid_err *err)
{
	*out = NULL;
	if (argc < 1 || argv[0][0] == '-')
		return braid_err_set(err, BRAID_EINVAL, "expected the source name first");
	struct braid_spec *s = spec_new();
	if (!s)
		return braid_err_set(err, BRAID_ENOMEM, "out of memory");
	braid_rc rc = BRAID_OK;
	s->source = braid_arena_strdup(&s->arena, argv[0]);
	if (!valid_ident(s->source)) {
		rc = arg_err(err, 1, argv[0], "expected a source name of lower-case letters, "
			     "digits and _ starting with a letter");
		goto out;
	}
	struct braid_event_spec *ev = NULL;
	size_t cap_ev = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = strcmp(a, "--help") != 0;
		if (takes && !v) {
			rc = arg_err(err, i + 1, a, "expected a value after it");
			goto out;
		}
		if (!strcmp(a, "--id")) {
			s->id = braid_arena_strdup(&s->arena, v);
		} else if (!strcmp(a, "--field")) {
			const char *eq = strchr(v, '=');
			char name[64];
			if (!eq || eq == v || !eq[1] || (size_t)(eq - v) >= sizeof name) {
				rc = arg_err(err, i + 2, v, "expected STD=COL[:FORMAT]");
				goto out;
			}
			memcpy(name, v, (size_t)(eq - v));
			name[eq - v] = 0;
			int f = braid_field_by_name(name);
			if (f < 0) {
				const char *near = nearest(name, field_names());
				char msg[200];
				snprintf(msg, sizeof msg, "unknown standard field '%s'%s%s%s", name,
					 near ? " (did you mean '" : "", near ? near : "",
					 near ? "'?)" : "");
				rc = arg_err(err, i + 2, v, msg);
				goto out;
			}
			if (s->fields[f].column) {
				rc = arg_err(err, i + 2, v, "field given twice");
				goto out;
			}
			rc = col_format(s, eq + 1, &s->fields[f]);
		} else if (!strcmp(a, "--event")) {
			if (!valid_ident(v)) {
				rc = arg_err(err, i + 2, v, "expected an event type of lower-case "
					     "letters, digits and _");
				goto out;
			}
			if (s->nevents == cap_ev) {
				cap_ev = cap_ev ? cap_ev * 2 : 4;
				struct braid_event_spec *ne =
					braid_arena_zalloc(&s->arena, cap_ev * sizeof *ne);
				if (!ne) {
					rc = BRAID_ENOMEM;
					goto out;
				}
				if (s->nevents)
					memcpy(ne, s->events, s->nevents * sizeof *ne);
				s->events = ne;
			}
			ev = &s->events[s->nevents++];
			ev->type = braid_arena_strdup(&s->arena, v);
		} else if (!strcmp(a, "--start") || !strcmp(a, "--end") ||
			   !strcmp(a, "--program") || !strcmp(a, "--provider") ||
			   !strcmp(a, "--amount") || !strcmp(a, "--attr")) {
			if (!ev) {
				rc = arg_err(err, i + 1, a, "must follow --event TYPE");
				goto out;
			}
			if (!strcmp(a, "--attr")) {
				const char *eq = strchr(v, '=');
				if (!eq || eq == v || !eq[1]) {
					rc = arg_err(err, i + 2, v, "expected NAME=COL");
					goto out;
				}
				rc = kv_push(s, &ev->attrs, &ev->nattrs, v, (size_t)(eq - v), eq + 1);
			} else {
				struct braid_colspec *cs = a[2] == 's' && a[3] == 't' ? &ev->start :
							   a[2] == 'e' ? &ev->end :
							   a[3] == 'r' && a[4] == 'o' && a[5] == 'g'
								   ? &ev->program :
							   a[2] == 'p' ? &ev->provider : &ev->amount;
				rc = col_format(s, v, cs);
			}
		} else if (!strcmp(a, "--rows")) {
			if (strcmp(v, "event") && strcmp(v, "person")) {
				rc = arg_err(err, i + 2, v, "expected person or event");
				goto out;
			}
			s->rows_event = !strcmp(v, "event");
		} else if (!strcmp(a, "--title")) {
			s->title = braid_arena_strdup(&s->arena, v);
		} else if (!strcmp(a, "--steward")) {
			s->steward = braid_arena_strdup(&s->arena, v);
		} else if (!strcmp(a, "--regime")) {
			char tmp[16];
			snprintf(tmp, sizeof tmp, "%s", v);
			braid_ascii_upper(tmp);
			int found = 0;
			for (int r = 0; r < 6; r++)
				if (!strcmp(tmp, braid_spec_regime_name((enum braid_spec_regime)r))) {
					s->regime = (enum braid_spec_regime)r;
					found = 1;
				}
			if (!found) {
				rc = arg_err(err, i + 2, v,
					     "expected HIPAA, FERPA, PART2, CJIS, STATE or NONE");
				goto out;
			}
		} else if (!strcmp(a, "--delimiter")) {
			if (strlen(v) != 1 && strcmp(v, "\\t")) {
				rc = arg_err(err, i + 2, v, "expected one character");
				goto out;
			}
			s->delimiter = strcmp(v, "\\t") ? v[0] : '\t';
		} else if (!strcmp(a, "--encoding")) {
			if (strcmp(v, "latin1") && strcmp(v, "utf-8") && strcmp(v, "utf8")) {
				rc = arg_err(err, i + 2, v, "expected utf-8 or latin1");
				goto out;
			}
			s->latin1 = !strcmp(v, "latin1");
		} else {
			rc = arg_err(err, i + 1, a, "unknown option");
			goto out;
		}
		if (rc == BRAID_ENOMEM) {
			braid_err_set(err, rc, "out of memory");
			goto out;
		}
		i++;
	}
	for (size_t e = 0; e < s->nevents; e++)
		if (!s->events[e].start.column) {
			rc = braid_err_set(err, BRAID_EINVAL,
					   "--event %s: expected --start COL[:FORMAT]",
					   s->events[e].type);
			goto out;
		}
	if (s->rows_event && !s->nevents)
		rc = braid_err_set(err, BRAID_EINVAL, "--rows event needs an --event");
out:
	if (rc) {
		braid_spec_free(s);
		return rc;
	}
	*out = s;
	return BRAID_OK;
}

/* ------------------------------------------------------------ emit */
static void q(struct braid_buf *b, const char *s)
{
	braid_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			braid_buf_putc(b, '\\');
			braid_buf_putc(b, (char)*p);
		} else if (*p == '\t') {
			braid_buf_puts(b, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			braid_buf_printf(b, "\\x%02x", *p);
		} else {
			braid_buf_putc(b, (char)*p);
		}
	}
	braid_buf_putc(b, '"');
}

static void emit_col(struct braid_buf *b, const struct braid_colspec *cs)
{
	if (!cs->format && !cs->nmap && !cs->nmissing) {
		q(b, cs->column);
		return;
	}
	braid_buf_puts(b, "{column: ");
	q(b, cs->column);
	if (cs->format) {
		braid_buf_puts(b, ", format: ");
		q(b, cs->format);
	}
	if (cs->nmap) {
		braid_buf_puts(b, ", map: {");
		for (size_t i = 0; i < cs->nmap; i++) {
			if (i)
				braid_buf_puts(b, ", ");
			q(b, cs->map[i].key);
			braid_buf_puts(b, ": ");
			q(b, cs->map[i].value);
		}
		braid_buf_putc(b, '}');
	}
	if (cs->nmissing) {
		braid_buf_puts(b, ", missing: [");
		for (size_t i = 0; i < cs->nmissing; i++) {
			if (i)
				braid_buf_puts(b, ", ");
			q(b, cs->missing[i]);
		}
		braid_buf_putc(b, ']');
	}
	braid_buf_putc(b, '}');
}

static void emit_kvs(struct braid_buf *b, const char *indent, const struct braid_kv *kv,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		braid_buf_puts(b, indent);
		q(b, kv[i].key);
		braid_buf_puts(b, ": ");
		q(b, kv[i].value);
		braid_buf_putc(b, '\n');
	}
}

char *braid_spec_to_yaml(const struct braid_spec *s)
{
	struct braid_buf b;
	braid_buf_init(&b, 0);
	braid_buf_printf(&b, "source: %s\n", s->source);
	if (s->title) {
		braid_buf_puts(&b, "title: ");
		q(&b, s->title);
		braid_buf_putc(&b, '\n');
	}
	if (s->steward) {
		braid_buf_puts(&b, "steward: ");
		q(&b, s->steward);
		braid_buf_putc(&b, '\n');
	}
	braid_buf_printf(&b, "regime: %s\nkind: %s\n", braid_spec_regime_name(s->regime),
			 braid_kind_name(s->kind));
	if (s->id) {
		braid_buf_puts(&b, "id: ");
		q(&b, s->id);
		braid_buf_putc(&b, '\n');
	}
	braid_buf_printf(&b, "rows: %s\n", s->rows_event ? "event" : "person");
	if (s->delimiter) {
		char d[2] = {s->delimiter, 0};
		braid_buf_puts(&b, "delimiter: ");
		q(&b, d);
		braid_buf_putc(&b, '\n');
	}
	braid_buf_printf(&b, "encoding: %s\n", s->latin1 ? "latin1" : "utf-8");
	int any = 0;
	for (int f = 0; f < BRAID_F__COUNT; f++) {
		if (!s->fields[f].column)
			continue;
		if (!any++)
			braid_buf_puts(&b, "fields:\n");
		braid_buf_printf(&b, "  %s: ", braid_field_name((enum braid_field)f));
		emit_col(&b, &s->fields[f]);
		braid_buf_putc(&b, '\n');
	}
	if (s->nevents)
		braid_buf_puts(&b, "events:\n");
	for (size_t e = 0; e < s->nevents; e++) {
		const struct braid_event_spec *ev = &s->events[e];
		braid_buf_printf(&b, "  - type: %s\n    start: ", ev->type);
		emit_col(&b, &ev->start);
		braid_buf_putc(&b, '\n');
		const struct { const char *k; const struct braid_colspec *c; } opt[] = {
			{"end", &ev->end}, {"program", &ev->program},
			{"provider", &ev->provider}, {"amount", &ev->amount}};
		for (size_t i = 0; i < 4; i++)
			if (opt[i].c->column) {
				braid_buf_printf(&b, "    %s: ", opt[i].k);
				emit_col(&b, opt[i].c);
				braid_buf_putc(&b, '\n');
			}
		if (ev->nattrs) {
			braid_buf_puts(&b, "    attributes:\n");
			emit_kvs(&b, "      ", ev->attrs, ev->nattrs);
		}
	}
	if (s->nattrs) {
		braid_buf_puts(&b, "attributes:\n");
		emit_kvs(&b, "  ", s->attrs, s->nattrs);
	}
	return braid_buf_detach(&b);
}
