/*
 * rules.c: loading rule files with libyaml (see rules.h).
 *
 * The file is loaded as a YAML document tree, then walked: each key of the top-level
 * mapping has a handler that checks the value's kind and range and stores it.  A
 * problem is recorded with the node's position and the walk carries on, so one run
 * reports every error in every file.
 */
#include "config.h"

#include "rules/rules.h"

#include "base/exitcode.h"
#include "base/sha256.h"
#include "rules/check.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#define MAX_RULE_FILE (4L << 20)
#define MAX_YAML_DEPTH 64 /* collections in collections; a rule file needs under 10 */

struct loader {
	const char *path;
	yaml_document_t doc;
	struct diags *d;
	int errors;
	struct site_rules *r;
	struct ex_rules *scratch;	/* checks fields whose item or keys were bad */
};

/* ---- diagnostics ---- */

void
diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
{
	struct diag *v;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if ((v = realloc(d->v, (d->n + 1) * sizeof *v)) == NULL)
		return;
	d->v = v;
	v[d->n].file = strdup(file);
	v[d->n].line = line;
	v[d->n].col = col;
	v[d->n].msg = strdup(msg);
	d->n++;
}

static int
by_position(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

void
diags_print(struct diags *d, FILE *f)
{
	/* In the order of the files: a file's problems are found in several passes. */
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].file == NULL || d->v[i].msg == NULL)
			return;
	}
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, by_position);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (g->line > 0)
			fprintf(f, "%s:%d:%d: %s\n", g->file, g->line, g->col, g->msg);
		else
			fprintf(f, "%s: %s\n", g->file, g->msg);
	}
}

void
diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static void err_at(struct loader *L, const yaml_node_t *n, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record an error at node n; offset moves the column into a one-line scalar. */
static void
err_at(struct loader *L, const yaml_node_t *n, size_t offset, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	int col = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n != NULL) {
		col = (int)n->start_mark.column + 1;
		if (offset != EX_NO_POS && n->type == YAML_SCALAR_NODE &&
		    n->start_mark.line == n->end_mark.line) {
			if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
				col++;
			col += (int)offset;
		}
	}
	diags_add(L->d, L->path, n ? (int)n->start_mark.line + 1 : 0, col, "%s", msg);
	L->errors++;
}

/* ---- reading values ---- */

static yaml_node_t *
node(struct loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

static const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* The text of a scalar node, or NULL (and an error) for another kind. */
static const char *
scalar(struct loader *L, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		err_at(L, n, EX_NO_POS, "'%s' must be a single value, not %s", key, kind_name(n));
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static const char *
text_value(struct loader *L, const yaml_node_t *n, const char *key)
{
	const char *s = scalar(L, n, key);

	if (s != NULL && *s == '\0') {
		err_at(L, n, EX_NO_POS, "'%s' must not be empty", key);
		return NULL;
	}
	return s;
}

static int
int_value(struct loader *L, const yaml_node_t *n, const char *key, long min, long max,
	  long *out)
{
	const char *s = scalar(L, n, key);
	char *end;
	long v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		err_at(L, n, EX_NO_POS, "'%s' wants a whole number from %ld to %ld, not '%s'",
		       key, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
number_value(struct loader *L, const yaml_node_t *n, const char *key, double min,
	     double max, double *out)
{
	const char *s = scalar(L, n, key);
	char *end;
	double v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max)) {
		err_at(L, n, EX_NO_POS, "'%s' wants a number from %g to %g, not '%s'", key, min,
		       max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
bool_value(struct loader *L, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s = scalar(L, n, key);

	if (s == NULL)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	err_at(L, n, EX_NO_POS, "'%s' wants true or false, not '%s'", key, s);
	return -1;
}

/* One of words (NULL-terminated); its index or -1. */
static int
word_value(struct loader *L, const yaml_node_t *n, const char *key,
	   const char *const *words)
{
	const char *s = scalar(L, n, key);
	char expected[200] = "";

	if (s == NULL)
		return -1;
	for (int i = 0; words[i] != NULL; i++) {
		if (strcmp(s, words[i]) == 0)
			return i;
		snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
			 "%s%s", i ? " or " : "", words[i]);
	}
	err_at(L, n, EX_NO_POS, "'%s' wants %s, not '%s'", key, expected, s);
	return -1;
}

static bool
is_identifier(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	}
	return true;
}

/* ---- the site key ---- */

/* A site pattern: host, host:port, *.domain, [v6]:port.  Lower-cased in place. */
static bool
valid_site_pattern(char *s)
{
	char *p = s, *colon;

	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (*p == '[') {
		char *close = strchr(p, ']');
		if (close == NULL)
			return false;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			return false;
	} else {
		colon = strchr(p, ':');
		for (char *c = p; *c && c != colon; c++) {
			if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
				return false;
		}
		if (colon == p || *p == '\0')
			return false;
	}
	if (colon != NULL) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
			return false;
	}
	return true;
}

static void
add_site(struct loader *L, const yaml_node_t *n)
{
	const char *s = text_value(L, n, "site");
	char **v, *copy;

	if (s == NULL)
		return;
	if (strstr(s, "://") != NULL || strchr(s, '/') != NULL) {
		err_at(L, n, EX_NO_POS,
		       "'site' is a host or host:port (like example.com or 127.0.0.1:8080), not a URL: '%s'",
		       s);
		return;
	}
	if ((copy = strdup(s)) == NULL)
		return;
	if (!valid_site_pattern(copy)) {
		err_at(L, n, EX_NO_POS, "'%s' is not a host, host:port or *.domain", s);
		free(copy);
		return;
	}
	if ((v = realloc(L->r->sites, (L->r->nsites + 1) * sizeof *v)) == NULL) {
		free(copy);
		return;
	}
	L->r->sites = v;
	v[L->r->nsites++] = copy;
}

static void
read_site(struct loader *L, const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE) {
		if (n->data.sequence.items.top == n->data.sequence.items.start)
			err_at(L, n, EX_NO_POS, "'site' lists no sites");
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			add_site(L, node(L, *it));
	} else {
		add_site(L, n);
	}
}

/* ---- selectors, follow rules, items ---- */

/* Report an extraction compile error at the node the part came from. */
static void
ex_err(struct loader *L, const yaml_node_t *n, size_t base, const struct ex_error *e)
{
	if (e->pos == EX_NO_POS)
		err_at(L, n, EX_NO_POS, "%s", e->msg);
	else
		err_at(L, n, base + e->pos, "%s (at character %zu)", e->msg, base + e->pos + 1);
}

/* A short-form selector "css: ..." / "xpath: ...". *base: where the expression
 * starts in the scalar (for error columns). */
static int
short_selector(struct loader *L, const yaml_node_t *n, const char *key,
	       struct ex_selector *sel, size_t *base)
{
	const char *s = text_value(L, n, key);
	struct ex_error e;

	if (s == NULL)
		return -1;
	if (ex_selector_parse(s, sel, &e) == -1) {
		err_at(L, n, EX_NO_POS, "'%s': %s, not '%s'", key, e.msg, s);
		return -1;
	}
	*base = (size_t)(sel->expr - s);
	return 0;
}

/* Edit distance between short strings (insertions, deletions, substitutions). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* The allowed key a misspelt one most likely meant (within 2 edits), or NULL. */
static const char *
nearest(const char *key, const char *const *allowed)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (int i = 0; allowed[i] != NULL; i++) {
		size_t d = edit_distance(key, allowed[i]);
		if (d < best_d) {
			best = allowed[i];
			best_d = d;
		}
	}
	return best;
}

struct pair {
	const char *key;
	yaml_node_t *k, *v;
};

/* The pairs of a mapping node, checked against the allowed keys (NULL-terminated).
 * Returns the number of pairs, or -1 (with an error) when n is not a mapping. */
static int
pairs(struct loader *L, const yaml_node_t *n, const char *what,
      const char *const *allowed, struct pair *out, int max)
{
	int count = 0;

	if (n->type != YAML_MAPPING_NODE) {
		err_at(L, n, EX_NO_POS, "%s must be a mapping, not %s", what, kind_name(n));
		return -1;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(L, p->key), *v = node(L, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
		bool ok = allowed == NULL;
		for (int i = 0; allowed != NULL && allowed[i] != NULL && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (k->type != YAML_SCALAR_NODE) {
			err_at(L, k, EX_NO_POS, "a key in %s must be a name", what);
			continue;
		}
		if (!ok) {
			const char *near = nearest(key, allowed);
			char list[400] = "";
			for (int i = 0; allowed[i] != NULL; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
					 i ? ", " : "", allowed[i]);
			if (near != NULL)
				err_at(L, k, EX_NO_POS, "unknown key '%s' in %s: did you mean '%s'?",
				       key, what, near);
			else
				err_at(L, k, EX_NO_POS, "unknown key '%s' in %s (expected one of: %s)",
				       key, what, list);
			continue;
		}
		for (int i = 0; i < count; i++) {
			if (strcmp(out[i].key, key) == 0) {
				err_at(L, k, EX_NO_POS, "'%s' given twice in %s", key, what);
				ok = false;
			}
		}
		if (ok && count == max) {
			err_at(L, k, EX_NO_POS, "%s has more than %d entries", what, max);
			ok = false;
			max = -1; /* said once */
		}
		if (ok && count < max)
			out[count++] = (struct pair){ key, k, v };
	}
	return count;
}

static struct pair *
find(struct pair *p, int n, const char *key)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(p[i].key, key) == 0)
			return &p[i];
	}
	return NULL;
}

/* The selector of a mapping: exactly one of css or xpath, or for a field also jsonld
 * or microdata. */
static int
mapped_selector(struct loader *L, const yaml_node_t *map, struct pair *p, int n,
		const char *what, bool field, struct ex_selector *sel, yaml_node_t **at)
{
	static const char *const names[] = { "css", "xpath", "jsonld", "microdata" };
	static const enum ex_sel_kind kinds[] = { EX_CSS, EX_XPATH, EX_JSONLD, EX_MICRODATA };
	struct pair *found = NULL, *second = NULL, *q;

	for (size_t k = 0; k < (field ? 4u : 2u); k++) {
		if ((q = find(p, n, names[k])) == NULL)
			continue;
		if (found == NULL) {
			found = q;
			sel->kind = kinds[k];
		} else if (second == NULL) {
			second = q;
		}
	}
	if (found == NULL || second != NULL) {
		err_at(L, second != NULL ? second->k : map, EX_NO_POS, "%s needs exactly one of %s",
		       what, field ? "'css', 'xpath', 'jsonld' or 'microdata'" : "'css' or 'xpath'");
		return -1;
	}
	*at = found->v;
	sel->expr = text_value(L, *at, found->key);
	return sel->expr != NULL ? 0 : -1;
}

static const char *
opt_text(struct loader *L, struct pair *p, int n, const char *key)
{
	struct pair *q = find(p, n, key);

	return q != NULL ? text_value(L, q->v, key) : NULL;
}

static void
read_follow_rule(struct loader *L, const yaml_node_t *n)
{
	static const char *const keys[] = { "css", "xpath", "allow", "deny", NULL };
	struct ex_selector sel;
	struct ex_error e;
	enum ex_part part;
	struct pair p[8], *re;
	yaml_node_t *at = (yaml_node_t *)n;
	const char *allow = NULL, *deny = NULL;
	size_t base = 0;
	int np = 0;

	if (n->type == YAML_SCALAR_NODE) {
		if (short_selector(L, n, "follow", &sel, &base) == -1)
			return;
	} else {
		if ((np = pairs(L, n, "a follow rule", keys, p, 8)) < 0 ||
		    mapped_selector(L, n, p, np, "a follow rule", false, &sel, &at) == -1)
			return;
		allow = opt_text(L, p, np, "allow");
		deny = opt_text(L, p, np, "deny");
	}
	if (ex_add_follow(L->r->ex, &sel, allow, deny, &e, &part) == 0)
		return;
	if (part == EX_PART_ALLOW || part == EX_PART_DENY) {
		re = find(p, np, part == EX_PART_ALLOW ? "allow" : "deny");
		ex_err(L, re->v, 0, &e);
	} else {
		ex_err(L, at, base, &e);
	}
}

static void
read_follow(struct loader *L, const yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		err_at(L, n, EX_NO_POS, "'follow' must be a list of rules");
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
		read_follow_rule(L, node(L, *it));
}

static const char *const reserved_types[] = {
	"pages", "items", "frontier", "robots", "runs", "item_keys", "item_versions",
	"changes", "problems", "bodies", NULL,
};

/* Every item view has these columns besides its fields (store.c, create views), and
 * a name to suggest instead. */
static const char *const view_columns[][2] = {
	{ "id", "item_id" }, { "url", "link" }, { "site", "site_name" }, { "idx", "position" },
	{ "scraped_at", "scraped" }, { NULL, NULL },
};

static void
record_field(struct rule_item *ri, const struct ex_field_spec *spec)
{
	struct rule_field *v = realloc(ri->fields, (ri->nfields + 1) * sizeof *v);

	if (v == NULL)
		return;
	ri->fields = v;
	v[ri->nfields] = (struct rule_field){ strdup(spec->name), spec->type, spec->all,
					      spec->join != NULL };
	ri->nfields++;
}

/* The mapping form of a field. */
static int
field_mapping(struct loader *L, const yaml_node_t *n, struct ex_field_spec *spec,
	      struct pair *p, int *np, yaml_node_t **sel_at)
{
	static const char *const keys[] = {
		"css", "xpath", "jsonld", "microdata", "re", "attr", "type", "all", "join",
		"default", "required", NULL,
	};
	static const char *const types[] = { "string", "int", "number", "bool", "url", "html", "date", NULL };
	struct pair *q;
	int t, errors = L->errors;

	if ((*np = pairs(L, n, "a field", keys, p, 16)) < 0 ||
	    mapped_selector(L, n, p, *np, "a field", true, &spec->sel, sel_at) == -1)
		return -1;
	spec->re = opt_text(L, p, *np, "re");
	spec->attr = opt_text(L, p, *np, "attr");
	spec->join = (q = find(p, *np, "join")) ? scalar(L, q->v, "join") : NULL;
	spec->def = (q = find(p, *np, "default")) ? scalar(L, q->v, "default") : NULL;
	if ((q = find(p, *np, "type")) != NULL && (t = word_value(L, q->v, "type", types)) >= 0)
		spec->type = (enum ex_type)t;
	if ((q = find(p, *np, "all")) != NULL)
		bool_value(L, q->v, "all", &spec->all);
	if ((q = find(p, *np, "required")) != NULL)
		bool_value(L, q->v, "required", &spec->required);
	if (spec->join != NULL && !spec->all)
		err_at(L, find(p, *np, "join")->k, EX_NO_POS, "'join' needs 'all: true'");
	if (spec->sel.kind == EX_JSONLD || spec->sel.kind == EX_MICRODATA) {
		const char *kind = spec->sel.kind == EX_JSONLD ? "jsonld" : "microdata";
		if ((q = find(p, *np, "attr")) != NULL)
			err_at(L, q->k, EX_NO_POS,
			       "'attr' needs 'css' or 'xpath': a %s path gives values, not elements",
			       kind);
		if (spec->type == EX_HTML)
			err_at(L, find(p, *np, "type")->v, EX_NO_POS,
			       "'type: html' needs 'css' or 'xpath': a %s path gives values, not "
			       "elements", kind);
		/* Said here, where the key is: not again when the field is compiled. */
		spec->attr = NULL;
		spec->type = spec->type == EX_HTML ? EX_STRING : spec->type;
	}
	return L->errors == errors ? 0 : -1;
}

static void
read_field(struct loader *L, struct rule_item *ri, int item, const yaml_node_t *k,
	   const yaml_node_t *n)
{
	struct ex_field_spec spec = { .name = (const char *)k->data.scalar.value };
	yaml_node_t *at = (yaml_node_t *)n;
	struct pair p[16], *q;
	struct ex_error e;
	enum ex_part part;
	size_t base = 0;
	int np = 0;

	if (!is_identifier(spec.name)) {
		err_at(L, k, EX_NO_POS,
		       "field name '%s' must be letters, digits and _ (it becomes a SQL column)",
		       spec.name);
		return;
	}
	for (int i = 0; view_columns[i][0] != NULL; i++) {
		if (strcasecmp(spec.name, view_columns[i][0]) == 0) {
			err_at(L, k, EX_NO_POS,
			       "field name '%s' is taken: every item view has the columns id, url "
			       "(the page's address), site, idx and scraped_at; name the field "
			       "otherwise (e.g. '%s')", spec.name, view_columns[i][1]);
			return;
		}
	}
	struct ex_rules *target = L->r->ex;
	bool usable = true;

	if (n->type == YAML_SCALAR_NODE) {
		if (short_selector(L, n, spec.name, &spec.sel, &base) == -1)
			return;
	} else if (field_mapping(L, n, &spec, p, &np, &at) == -1) {
		if (spec.sel.expr == NULL)
			return;
		usable = false;
	}
	/* A field of a bad item, or with a bad key, is still compiled (into a scratch
	 * item) so that every error in it is reported. */
	if (item < 0 || !usable) {
		if (L->scratch == NULL && (L->scratch = ex_rules_new()) != NULL &&
		    ex_add_item(L->scratch, "scratch", NULL, NULL, &e, &part) != 0) {
			ex_rules_free(L->scratch);
			L->scratch = NULL;
		}
		if ((target = L->scratch) == NULL)
			return;
		item = 0;
		usable = false;
	}
	if (ex_add_field(target, item, &spec, &e, &part) == -1) {
		if (part == EX_PART_RE && (q = find(p, np, "re")) != NULL)
			ex_err(L, q->v, 0, &e);
		else if (part == EX_PART_DEFAULT && (q = find(p, np, "default")) != NULL)
			ex_err(L, q->v, EX_NO_POS, &e);
		else
			ex_err(L, at, base, &e);
		return;
	}
	if (usable)
		record_field(ri, &spec);
}

/* Add one key field name (checked against the item's fields) to the JSON array in b. */
static void
key_name(struct loader *L, const char *type, const yaml_node_t *n, struct pair *fp, int nf,
	 char *b, size_t blen)
{
	const char *name = text_value(L, n, "key");
	char quoted[300];
	bool known = false;

	if (name == NULL)
		return;
	for (int i = 0; i < nf && !known; i++)
		known = strcmp(fp[i].key, name) == 0;
	if (!known) {
		err_at(L, n, EX_NO_POS, "'key' of item '%s' names '%s', which is not one of its fields",
		       type, name);
		return;
	}
	snprintf(quoted, sizeof quoted, "\"%s\"", name);
	if (strstr(b, quoted) != NULL) {
		err_at(L, n, EX_NO_POS, "'key' of item '%s' names '%s' twice", type, name);
		return;
	}
	if (strlen(b) + strlen(quoted) + 3 > blen) {
		err_at(L, n, EX_NO_POS, "'key' of item '%s' is too long", type);
		return;
	}
	snprintf(b + strlen(b), blen - strlen(b), "%s%s", b[1] != '\0' ? "," : "", quoted);
}

/*
 * key: a field name or a list of them, the item's identity: items of the type with the
 * same values of these fields on a later crawl are the same item (README.md, "Items
 * over time").  Field names are identifiers (checked), so the JSON needs no escapes.
 */
static void
read_key(struct loader *L, struct rule_item *ri, const char *type, const yaml_node_t *n,
	 struct pair *fp, int nf)
{
	char json[2048] = "[";
	int errors = L->errors;

	if (n->type == YAML_SEQUENCE_NODE) {
		if (n->data.sequence.items.top == n->data.sequence.items.start)
			err_at(L, n, EX_NO_POS, "'key' of item '%s' lists no fields", type);
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			key_name(L, type, node(L, *it), fp, nf, json, sizeof json);
	} else if (n->type == YAML_SCALAR_NODE) {
		key_name(L, type, n, fp, nf, json, sizeof json);
	} else {
		err_at(L, n, EX_NO_POS, "'key' of item '%s' must be a field name or a list of them, not %s",
		       type, kind_name(n));
	}
	strcat(json, "]");
	if (L->errors == errors && ri != NULL)
		ri->key_json = strdup(json);
}

/* Does p[i]'s name differ only in case from an earlier one?  SQL names ignore case, so
 * the two would be one column (or one view): an error at p[i]. */
static bool
same_but_case(struct loader *L, const struct pair *p, int i, const char *what,
	      const char *becomes)
{
	for (int j = 0; j < i; j++) {
		if (strcasecmp(p[i].key, p[j].key) == 0 && strcmp(p[i].key, p[j].key) != 0) {
			err_at(L, p[i].k, EX_NO_POS,
			       "%s '%s' differs only in case from %s '%s' (line %d): SQL names "
			       "ignore case, so they would be one %s; rename one", what,
			       p[i].key, what, p[j].key, (int)p[j].k->start_mark.line + 1, becomes);
			return true;
		}
	}
	return false;
}

static void
read_item(struct loader *L, const yaml_node_t *k, const yaml_node_t *n)
{
	static const char *const keys[] = { "match", "each", "fields", "key", NULL };
	const char *type = (const char *)k->data.scalar.value;
	struct ex_selector each, *eachp = NULL;
	struct rule_item *items, *ri = NULL;
	yaml_node_t *each_at = NULL;
	struct pair p[5], *q;
	struct ex_error e;
	enum ex_part part;
	size_t base = 0;
	int np, item = -1;

	if (!is_identifier(type)) {
		err_at(L, k, EX_NO_POS,
		       "item type '%s' must be letters, digits and _ (it becomes a SQL view)", type);
		return;
	}
	for (int i = 0; reserved_types[i] != NULL; i++) {
		if (strcasecmp(type, reserved_types[i]) == 0 || strncasecmp(type, "sqlite_", 7) == 0) {
			err_at(L, k, EX_NO_POS, "item type '%s' is reserved (a table of the database)", type);
			return;
		}
	}
	if ((np = pairs(L, n, "an item", keys, p, 5)) < 0)
		return;
	if ((q = find(p, np, "each")) != NULL) {
		each_at = q->v;
		if (short_selector(L, q->v, "each", &each, &base) == 0)
			eachp = &each;
	}
	if ((q = find(p, np, "fields")) == NULL) {
		err_at(L, k, EX_NO_POS, "item '%s' has no 'fields'", type);
		return;
	}
	if (each_at == NULL || eachp != NULL) {
		item = ex_add_item(L->r->ex, type, opt_text(L, p, np, "match"), eachp, &e, &part);
		if (item < 0)
			ex_err(L, part == EX_PART_RE ? find(p, np, "match")->v : each_at,
			       part == EX_PART_RE ? 0 : base, &e);
	}
	if (item >= 0 && (items = realloc(L->r->items, (L->r->nitems + 1) * sizeof *items)) != NULL) {
		L->r->items = items;
		ri = &items[L->r->nitems++];
		*ri = (struct rule_item){ strdup(type), NULL, 0, NULL };
	}
	if (q->v->type != YAML_MAPPING_NODE || q->v->data.mapping.pairs.start == q->v->data.mapping.pairs.top) {
		err_at(L, q->v, EX_NO_POS, "'fields' of item '%s' must map field names to selectors", type);
		return;
	}
	{
		struct pair fp[256];
		int nf = pairs(L, q->v, "fields", NULL, fp, 256);
		/* Without a good item the fields are still checked, just not added. */
		for (int i = 0; i < nf; i++) {
			if (same_but_case(L, fp, i, "field", "column"))
				continue;
			read_field(L, ri, ri != NULL ? item : -1, fp[i].k, fp[i].v);
		}
		if ((q = find(p, np, "key")) != NULL)
			read_key(L, ri, type, q->v, fp, nf);
	}
}

static void
read_items(struct loader *L, const yaml_node_t *n)
{
	struct pair p[256];
	int np = pairs(L, n, "'items'", NULL, p, 256);

	for (int i = 0; i < np; i++) {
		if (!same_but_case(L, p, i, "item type", "view"))
			read_item(L, p[i].k, p[i].v);
	}
}

/* ---- the file ---- */

static void
read_setting(struct loader *L, const char *key, const yaml_node_t *v)
{
	static const char *const robots_words[] = { "obey", "ignore", NULL };
	static const char *const scope_words[] = { "site", "any", NULL };
	struct site_rules *r = L->r;
	const char *s;
	long n;
	int w;

	if (strcmp(key, "concurrency") == 0 && int_value(L, v, key, 1, 256, &n) == 0)
		r->concurrency = (int)n;
	else if (strcmp(key, "delay") == 0)
		number_value(L, v, key, 0, 3600, &r->delay);
	else if (strcmp(key, "robots") == 0 && (w = word_value(L, v, key, robots_words)) >= 0)
		r->robots = w == 0;
	else if (strcmp(key, "user_agent") == 0 && (s = text_value(L, v, key)) != NULL) {
		free(r->user_agent);
		r->user_agent = strdup(s);
	} else if (strcmp(key, "max_depth") == 0 && int_value(L, v, key, 0, 100000, &n) == 0)
		r->max_depth = (int)n;
	else if (strcmp(key, "max_pages") == 0)
		int_value(L, v, key, 1, 1000000000L, &r->max_pages);
	else if (strcmp(key, "timeout") == 0)
		number_value(L, v, key, 0.1, 3600, &r->timeout);
	else if (strcmp(key, "max_bytes") == 0)
		int_value(L, v, key, 1024, 1L << 30, &r->max_bytes);
	else if (strcmp(key, "retries") == 0 && int_value(L, v, key, 0, 20, &n) == 0)
		r->retries = (int)n;
	else if (strcmp(key, "proxy") == 0 && (s = text_value(L, v, key)) != NULL) {
		free(r->proxy);
		r->proxy = strdup(s);
	} else if (strcmp(key, "ca_file") == 0 && (s = text_value(L, v, key)) != NULL) {
		free(r->ca_file);
		r->ca_file = strdup(s);
	} else if (strcmp(key, "max_memory_mb") == 0)
		int_value(L, v, key, 32, 1L << 20, &r->max_memory_mb);
	else if (strcmp(key, "max_page_cpu") == 0)
		number_value(L, v, key, 1, 3600, &r->max_page_cpu);
	else if (strcmp(key, "scope") == 0 && (w = word_value(L, v, key, scope_words)) >= 0)
		r->scope = w == 0 ? SCOPE_SITE : SCOPE_ANY;
	else if (strcmp(key, "store_bodies") == 0)
		bool_value(L, v, key, &r->store_bodies);
	else if (strcmp(key, "sitemap") == 0)
		bool_value(L, v, key, &r->sitemap);
	else if (strcmp(key, "sitemap_allow") == 0 && (s = text_value(L, v, key)) != NULL) {
		struct ex_error e;
		if (ex_set_sitemap_allow(r->ex, s, &e) == -1)
			ex_err(L, v, 0, &e);
	}
}

static void
read_root(struct loader *L, const yaml_node_t *root)
{
	static const char *const keys[] = {
		"site", "concurrency", "delay", "robots", "user_agent", "max_depth", "max_pages",
		"timeout", "max_bytes", "retries", "proxy", "ca_file", "max_memory_mb", "max_page_cpu",
		"scope", "sitemap", "sitemap_allow", "follow", "items", "store_bodies", NULL,
	};
	struct pair p[32];
	int np = pairs(L, root, "a rule file", keys, p, 32);

	for (int i = 0; i < np; i++) {
		if (strcmp(p[i].key, "site") == 0)
			read_site(L, p[i].v);
		else if (strcmp(p[i].key, "follow") == 0)
			read_follow(L, p[i].v);
		else if (strcmp(p[i].key, "items") == 0)
			read_items(L, p[i].v);
		else
			read_setting(L, p[i].key, p[i].v);
	}
	if (find(p, np, "sitemap_allow") != NULL && !L->r->sitemap)
		err_at(L, find(p, np, "sitemap_allow")->k, EX_NO_POS,
		       "'sitemap_allow' filters what the sitemaps list: it needs 'sitemap: true'");
}

static struct site_rules *
rules_defaults(void)
{
	struct site_rules *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->concurrency = 4;
	r->delay = 0.25;
	r->robots = true;
	r->user_agent = strdup("scraper/" PACKAGE_VERSION);
	r->max_depth = 20;
	r->max_pages = 100000;
	r->timeout = 30;
	r->max_bytes = 10L << 20;
	r->retries = 3;
	r->max_memory_mb = 1024;
	r->max_page_cpu = 10;
	r->scope = SCOPE_SITE;
	r->ex = ex_rules_new();
	if (r->user_agent == NULL || r->ex == NULL) {
		rules_free(r);
		return NULL;
	}
	return r;
}

struct site_rules *
rules_builtin(void)
{
	struct site_rules *r = rules_defaults();
	struct ex_field_spec title = { .name = "title", .sel = { EX_CSS, "title" } };
	struct rule_field *f;
	struct ex_error e;
	enum ex_part part;
	int item;

	if (r == NULL)
		return NULL;
	item = ex_add_item(r->ex, "page", NULL, NULL, &e, &part);
	r->items = calloc(1, sizeof *r->items);
	f = calloc(1, sizeof *f);
	if (item < 0 || ex_add_field(r->ex, item, &title, &e, &part) == -1 || r->items == NULL ||
	    f == NULL) {
		free(f);
		rules_free(r);
		return NULL;
	}
	*f = (struct rule_field){ strdup("title"), EX_STRING, false, false };
	r->items[0] = (struct rule_item){ strdup("page"), f, 1, NULL };
	r->nitems = 1;
	return r;
}

/*
 * Is the YAML text nested deeper than MAX_YAML_DEPTH?  Then say where, and 1.  libyaml's
 * scanner does work in proportion to the nesting for every token, so a file of
 * "[[[[..." takes time in the square of its size (2 MB: over two minutes); reading
 * events only as far as the first one too deep stops it early.  A syntax error found
 * here is left to the load, which reports it.
 */
static int
too_deep(struct loader *L, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, rc = 0;

	if (!yaml_parser_initialize(&parser))
		return 0;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (rc == 0 && yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t type = ev.type;
		if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
			if (++depth > MAX_YAML_DEPTH) {
				diags_add(L->d, L->path, (int)ev.start_mark.line + 1,
					  (int)ev.start_mark.column + 1,
					  "YAML nested deeper than %d levels", MAX_YAML_DEPTH);
				L->errors++;
				rc = 1;
			}
		} else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* Parse the YAML text into L->doc.  0, or -1 with a diagnostic. */
static int
parse_yaml(struct loader *L, const char *text, size_t len)
{
	yaml_parser_t parser;
	int rc = 0;

	if (too_deep(L, text, len))
		return -1;
	if (!yaml_parser_initialize(&parser))
		return -1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &L->doc)) {
		diags_add(L->d, L->path, (int)parser.problem_mark.line + 1,
			  (int)parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
			  parser.problem ? parser.problem : "malformed",
			  parser.context ? " " : "", parser.context ? parser.context : "");
		L->errors++;
		rc = -1;
	}
	yaml_parser_delete(&parser);
	return rc;
}

struct site_rules *
rules_load_mem(const char *name, const char *text, size_t len, struct diags *d)
{
	struct loader L = { .path = name, .d = d };
	yaml_node_t *root;

	if ((L.r = rules_defaults()) == NULL || (L.r->path = strdup(name)) == NULL ||
	    (L.r->text = strndup(text, len)) == NULL) {
		rules_free(L.r);
		return NULL;
	}
	sha256_hex(text, len, L.r->fingerprint);
	if (parse_yaml(&L, text, len) == 0) {
		if ((root = yaml_document_get_root_node(&L.doc)) == NULL) {
			diags_add(d, name, 0, 0, "the rule file is empty");
			L.errors++;
		} else {
			read_root(&L, root);
		}
		yaml_document_delete(&L.doc);
	}
	ex_rules_free(L.scratch);
	if (L.errors > 0) {
		rules_free(L.r);
		return NULL;
	}
	return L.r;
}

struct site_rules *
rules_load_file(const char *path, struct diags *d)
{
	struct site_rules *r = NULL;
	struct stat st;
	char *text;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		diags_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size > MAX_RULE_FILE) {
		diags_add(d, path, 0, 0, "rule file is larger than %ld bytes", MAX_RULE_FILE);
		fclose(f);
		return NULL;
	}
	if ((text = malloc((size_t)st.st_size + 1)) != NULL) {
		n = fread(text, 1, (size_t)st.st_size, f);
		r = rules_load_mem(path, text, n, d);
		free(text);
	}
	fclose(f);
	return r;
}

static bool
is_default_file(const char *name)
{
	return strcmp(name, "default.yaml") == 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does s contain needle, ignoring ASCII case? */
static bool
contains_nocase(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++) {
		if (strncasecmp(s, needle, n) == 0)
			return true;
	}
	return false;
}

/*
 * A file in the rule folder that is not *.yaml but looks meant as a rule file: its name
 * says YAML (books.yml, books.YAML, books.yaml.bak, books.yaml~), or it begins, after
 * blank and comment lines, with a rule file's key (site:, follow:, items:).
 */
static bool
looks_like_rules(const char *dir, const char *name)
{
	static const char *keys[] = { "site:", "follow:", "items:" };
	char path[4096], line[512];
	struct stat st;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return false;
	if (contains_nocase(name, ".yml") || contains_nocase(name, ".yaml"))
		return true;
	if (st.st_size > (1 << 20) || (f = fopen(path, "r")) == NULL)
		return false;
	for (int i = 0; i < 50 && fgets(line, sizeof line, f) != NULL; i++) {
		size_t sp = strspn(line, " \t\r\n");
		if (line[sp] == '\0' || line[sp] == '#' || strncmp(line, "---", 3) == 0)
			continue;
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			found |= strncmp(line, keys[k], strlen(keys[k])) == 0;
		break;
	}
	fclose(f);
	return found;
}

static int
add_name(char ***names, size_t *n, const char *name)
{
	char **v = realloc(*names, (*n + 2) * sizeof *v);

	if (v == NULL)
		return -1;
	*names = v;
	if ((v[*n] = strdup(name)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* The *.yaml names in dir, sorted.  NULL with a diagnostic when dir cannot be read.
 * Names that look like rule files but are not *.yaml go to *ignored (sorted too). */
static char **
yaml_names(const char *dir, size_t *n, char ***ignored, size_t *nignored, struct diags *d)
{
	struct dirent *de;
	char **names = NULL;
	DIR *dp;

	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		diags_add(d, dir, 0, 0, "cannot read the rule folder: %s", strerror(errno));
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0) {
			if (looks_like_rules(dir, de->d_name))
				add_name(ignored, nignored, de->d_name);
			continue;
		}
		if (add_name(&names, n, de->d_name) == -1)
			break;
	}
	closedir(dp);
	if (names == NULL)
		names = calloc(1, sizeof *names);
	if (names != NULL && *n > 1)
		qsort(names, *n, sizeof *names, by_name);
	if (*ignored != NULL && *nignored > 1)
		qsort(*ignored, *nignored, sizeof **ignored, by_name);
	return names;
}

/* Every pattern is claimed by one file only. */
static void
check_overlaps(struct rule_set *set, struct diags *d)
{
	for (size_t i = 0; i < set->nfiles; i++) {
		for (size_t j = 0; j < set->files[i]->nsites; j++) {
			for (size_t k = i + 1; k < set->nfiles; k++) {
				for (size_t m = 0; m < set->files[k]->nsites; m++) {
					if (strcmp(set->files[i]->sites[j], set->files[k]->sites[m]) == 0)
						diags_add(d, set->files[k]->path, 0, 0,
							  "site '%s' is also claimed by %s",
							  set->files[k]->sites[m], set->files[i]->path);
				}
			}
		}
	}
}

struct rule_set *
rules_load_dir(const char *dir, bool missing_ok, struct diags *d)
{
	struct rule_set *set = calloc(1, sizeof *set);
	size_t n, before = d->n;
	char **names = NULL;
	struct stat st;

	if (set == NULL)
		return NULL;
	if (missing_ok && stat(dir, &st) == -1 && errno == ENOENT) {
		if ((set->fallback = rules_builtin()) == NULL) {
			free(set);
			return NULL;
		}
		return set;
	}
	if ((names = yaml_names(dir, &n, &set->ignored, &set->nignored, d)) == NULL) {
		for (size_t i = 0; i < set->nignored; i++)
			free(set->ignored[i]);
		free(set->ignored);
		free(set);
		return NULL;
	}
	set->files = calloc(n + 1, sizeof *set->files);
	for (size_t i = 0; i < n && set->files != NULL; i++) {
		char path[4096];
		struct site_rules *r;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if ((r = rules_load_file(path, d)) == NULL)
			continue;
		if (is_default_file(names[i]))
			set->fallback = r;
		else if (r->nsites == 0) {
			diags_add(d, path, 0, 0, "no 'site': say which site these rules are for");
			rules_free(r);
		} else
			set->files[set->nfiles++] = r;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (set->files != NULL)
		check_overlaps(set, d);
	if (set->fallback == NULL)
		set->fallback = rules_builtin();
	if (d->n > before || set->files == NULL || set->fallback == NULL) {
		rule_set_free(set);
		return NULL;
	}
	return set;
}

/* How well pattern matches site: 3 exact host:port, 2 host (any port), 1 glob (longer
 * domain wins via the caller), 0 no. */
static int
pattern_match(const char *pattern, const char *site)
{
	const char *colon = strrchr(site, ':'), *host_end;
	size_t hostlen, plen = strlen(pattern);

	if (colon != NULL && strchr(colon, ']') != NULL)
		colon = NULL; /* "[::1]" without a port */
	host_end = colon != NULL ? colon : site + strlen(site);
	hostlen = (size_t)(host_end - site);
	if (strcmp(pattern, site) == 0)
		return 3;
	if (strchr(pattern, ':') == NULL || pattern[0] == '[') {
		if (plen == hostlen && strncmp(pattern, site, hostlen) == 0)
			return 2;
	}
	if (strncmp(pattern, "*.", 2) == 0) {
		const char *dom = pattern + 1; /* ".example.com" */
		size_t dlen = strlen(dom);
		const char *pcolon = strchr(dom, ':');
		if (pcolon != NULL) {
			/* "*.example.com:8080": the port must match too. */
			if (colon == NULL || strcmp(pcolon, colon) != 0)
				return 0;
			dlen = (size_t)(pcolon - dom);
		}
		if (hostlen > dlen && strncmp(host_end - dlen, dom, dlen) == 0)
			return 1;
	}
	return 0;
}

const struct site_rules *
rules_for_site(const struct rule_set *set, const char *site)
{
	const struct site_rules *best = NULL;
	int best_score = 0;
	size_t best_len = 0;

	for (size_t i = 0; i < set->nfiles; i++) {
		for (size_t j = 0; j < set->files[i]->nsites; j++) {
			const char *p = set->files[i]->sites[j];
			int score = pattern_match(p, site);
			if (score > best_score || (score == best_score && score > 0 && strlen(p) > best_len)) {
				best = set->files[i];
				best_score = score;
				best_len = strlen(p);
			}
		}
	}
	return best != NULL ? best : set->fallback;
}

void
rules_free(struct site_rules *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->text);
	for (size_t i = 0; i < r->nsites; i++)
		free(r->sites[i]);
	free(r->sites);
	free(r->user_agent);
	free(r->proxy);
	free(r->ca_file);
	ex_rules_free(r->ex);
	for (size_t i = 0; i < r->nitems; i++) {
		for (size_t j = 0; j < r->items[i].nfields; j++)
			free(r->items[i].fields[j].name);
		free(r->items[i].fields);
		free(r->items[i].type);
		free(r->items[i].key_json);
	}
	free(r->items);
	free(r);
}

const char *
rules_item_key(const struct site_rules *r, const char *type)
{
	for (size_t i = 0; r != NULL && i < r->nitems; i++) {
		if (strcmp(r->items[i].type, type) == 0)
			return r->items[i].key_json;
	}
	return NULL;
}

void
rule_set_free(struct rule_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->nfiles; i++)
		rules_free(set->files[i]);
	free(set->files);
	rules_free(set->fallback);
	for (size_t i = 0; i < set->nignored; i++)
		free(set->ignored[i]);
	free(set->ignored);
	free(set);
}

/* 'scraper check': load every rule file and list every problem. */
int
check_run(const struct check_opts *o)
{
	struct diags d = { 0 };
	struct rule_set *set;
	size_t files;

	ex_init();
	set = rules_load_dir(o->config_dir, false, &d);
	diags_print(&d, stdout);
	if (set == NULL) {
		printf("%zu error%s in the rule files of %s\n", d.n, d.n == 1 ? "" : "s",
		       o->config_dir);
		diags_free(&d);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < set->nignored; i++)
		printf("%s/%s: warning: ignored: only files named *.yaml are rule files\n",
		       o->config_dir, set->ignored[i]);
	files = set->nfiles + (set->fallback->path != NULL);
	printf("%zu rule file%s in %s: all valid\n", files, files == 1 ? "" : "s", o->config_dir);
	rule_set_free(set);
	diags_free(&d);
	return EXIT_DONE;
}
