/*
 * spec.c: checking what the API accepts: names, request bodies, the listen address
 * (see spec.h).
 *
 * Bodies are parsed with jansson, strictly: a member this API does not know is an
 * error naming it (a typo such as "shedule" must not be silently ignored), a value of
 * the wrong type is an error naming the field and the type wanted, and nothing is
 * kept unless the whole body is good.
 */
#include "config.h"

#include "serve/spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "serve/cron.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

bool
spec_name_ok(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p != '\0'; p++, n++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	}
	return n >= 1 && n <= 64;
}

bool
spec_rule_file_ok(const char *name)
{
	size_t n = strlen(name);

	if (n <= 5 || n > 128 || strcmp(name + n - 5, ".yaml") != 0 || name[0] == '.' ||
	    strstr(name, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool
spec_url_ok(const char *url)
{
	const char *host;
	size_t n = strlen(url);

	if (n > SPEC_URL_MAX)
		return false;
	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':' || *host == '?' || *host == '#')
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

void
spec_free(struct project_spec *s)
{
	for (size_t i = 0; i < s->nrules; i++) {
		free(s->rules[i].file);
		free(s->rules[i].text);
	}
	free(s->rules);
	for (size_t i = 0; i < s->nseeds; i++)
		free(s->seeds[i]);
	free(s->seeds);
	free(s->schedule);
	free(s->notify);
	memset(s, 0, sizeof *s);
	s->max_depth = -1;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* body: a JSON object; -1 with err otherwise. */
static json_t *
parse_object(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		fail(err, errlen, "invalid JSON at line %d, column %d: %s", je.line, je.column,
		     je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		fail(err, errlen, "the body must be a JSON object, not %s", type_name(root));
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Every member of obj is one of the names (NULL-terminated)? */
static int
known_members(const json_t *obj, const char *where, const char *const *names, char *err,
	      size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		for (i = 0; names[i] != NULL && strcmp(names[i], key) != 0; i++)
			;
		if (names[i] == NULL)
			return fail(err, errlen, "%s%sunknown field \"%.100s\"", where,
				    *where ? ": " : "", key);
	}
	return 0;
}

/* An integer member in [min, max], or null / absent (then *out is left alone). */
static int
get_long(const json_t *obj, const char *name, long min, long max, long *out, char *err,
	 size_t errlen)
{
	json_t *v = json_object_get(obj, name);
	json_int_t n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return fail(err, errlen, "options.%s must be an integer, not %s", name,
			    type_name(v));
	n = json_integer_value(v);
	if (n < min || n > max)
		return fail(err, errlen, "options.%s must be from %ld to %ld", name, min, max);
	*out = (long)n;
	return 0;
}

static int
parse_rules(struct project_spec *s, const json_t *rules, char *err, size_t errlen)
{
	const char *file;
	json_t *text;

	if (!json_is_object(rules))
		return fail(err, errlen, "rules must be an object of \"NAME.yaml\": \"yaml text\", not %s",
			    type_name(rules));
	if (json_object_size(rules) > SPEC_RULES_MAX)
		return fail(err, errlen, "rules: at most %d files", SPEC_RULES_MAX);
	s->rules = calloc(json_object_size(rules) + 1, sizeof *s->rules);
	if (s->rules == NULL)
		return fail(err, errlen, "out of memory");
	json_object_foreach((json_t *)rules, file, text) {
		struct spec_rule *r;
		if (!spec_rule_file_ok(file))
			return fail(err, errlen,
				    "rules: \"%.200s\" is not a plain file name ending in .yaml", file);
		if (!json_is_string(text))
			return fail(err, errlen, "rules.%s must be a string, not %s", file,
				    type_name(text));
		r = &s->rules[s->nrules++];
		r->file = strdup(file);
		r->len = json_string_length(text);
		r->text = malloc(r->len + 1);
		if (r->file == NULL || r->text == NULL)
			return fail(err, errlen, "out of memory");
		memcpy(r->text, json_string_value(text), r->len + 1);
		if (memchr(r->text, '\0', r->len) != NULL)
			return fail(err, errlen, "rules.%s holds a NUL character", file);
	}
	return 0;
}

static int
parse_seeds(struct project_spec *s, const json_t *seeds, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	if (!json_is_array(seeds))
		return fail(err, errlen, "seeds must be an array of URLs, not %s", type_name(seeds));
	if (json_array_size(seeds) == 0)
		return fail(err, errlen, "seeds: give at least one URL");
	if (json_array_size(seeds) > SPEC_SEEDS_MAX)
		return fail(err, errlen, "seeds: at most %d URLs", SPEC_SEEDS_MAX);
	if ((s->seeds = calloc(json_array_size(seeds), sizeof *s->seeds)) == NULL)
		return fail(err, errlen, "out of memory");
	json_array_foreach((json_t *)seeds, i, v) {
		if (!json_is_string(v))
			return fail(err, errlen, "seeds[%zu] must be a string, not %s", i, type_name(v));
		if (!spec_url_ok(json_string_value(v)))
			return fail(err, errlen, "seeds[%zu]: \"%.200s\" is not an absolute http(s) URL",
				    i, json_string_value(v));
		if ((s->seeds[s->nseeds++] = strdup(json_string_value(v))) == NULL)
			return fail(err, errlen, "out of memory");
	}
	return 0;
}

static int
parse_options(struct project_spec *s, const json_t *opt, char *err, size_t errlen)
{
	static const char *const names[] = { "workers", "max_pages", "max_depth", NULL };

	if (json_is_null(opt))
		return 0;
	if (!json_is_object(opt))
		return fail(err, errlen, "options must be an object, not %s", type_name(opt));
	if (known_members(opt, "options", names, err, errlen) == -1 ||
	    get_long(opt, "workers", 1, 4096, &s->workers, err, errlen) == -1 ||
	    get_long(opt, "max_pages", 1, LONG_MAX, &s->max_pages, err, errlen) == -1 ||
	    get_long(opt, "max_depth", 0, 100000, &s->max_depth, err, errlen) == -1)
		return -1;
	return 0;
}

/* A string member or null; *out is a copy or NULL. */
static int
get_string_or_null(const json_t *obj, const char *name, char **out, char *err,
		   size_t errlen)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(err, errlen, "%s must be a string or null, not %s", name, type_name(v));
	if ((*out = strdup(json_string_value(v))) == NULL)
		return fail(err, errlen, "out of memory");
	return 0;
}

int
spec_parse_project(struct project_spec *s, const char *body, size_t len, char *err,
		   size_t errlen)
{
	static const char *const names[] = { "rules", "seeds", "options", "schedule",
					      "notify", NULL };
	json_t *root, *v;
	struct cron c;
	char cerr[256];
	int rc = -1;

	memset(s, 0, sizeof *s);
	s->max_depth = -1;
	if ((root = parse_object(body, len, err, errlen)) == NULL)
		return -1;
	if (known_members(root, "", names, err, errlen) == -1)
		goto done;
	if ((v = json_object_get(root, "rules")) != NULL && !json_is_null(v) &&
	    parse_rules(s, v, err, errlen) == -1)
		goto done;
	if ((v = json_object_get(root, "seeds")) == NULL) {
		fail(err, errlen, "seeds: give at least one URL");
		goto done;
	}
	if (parse_seeds(s, v, err, errlen) == -1)
		goto done;
	if ((v = json_object_get(root, "options")) != NULL && parse_options(s, v, err, errlen) == -1)
		goto done;
	if (get_string_or_null(root, "schedule", &s->schedule, err, errlen) == -1 ||
	    get_string_or_null(root, "notify", &s->notify, err, errlen) == -1)
		goto done;
	if (s->schedule != NULL && cron_parse(&c, s->schedule, cerr, sizeof cerr) == -1) {
		fail(err, errlen, "schedule: %s", cerr);
		goto done;
	}
	if (s->notify != NULL && !spec_url_ok(s->notify)) {
		fail(err, errlen, "notify: \"%.200s\" is not an absolute http(s) URL", s->notify);
		goto done;
	}
	rc = 0;
done:
	json_decref(root);
	if (rc == -1)
		spec_free(s);
	return rc;
}

int
spec_parse_job(const char *body, size_t len, bool *recrawl, bool *fresh, char *err,
	       size_t errlen)
{
	static const char *const names[] = { "recrawl", "fresh", NULL };
	const char *key;
	json_t *root, *v;
	size_t i;
	int rc = -1;

	*recrawl = *fresh = false;
	for (i = 0; i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
				body[i] == '\n'); i++)
		;
	if (i == len)
		return 0;
	if ((root = parse_object(body, len, err, errlen)) == NULL)
		return -1;
	if (known_members(root, "", names, err, errlen) == -1)
		goto done;
	json_object_foreach(root, key, v) {
		if (!json_is_boolean(v)) {
			fail(err, errlen, "%s must be true or false, not %s", key, type_name(v));
			goto done;
		}
		*(strcmp(key, "recrawl") == 0 ? recrawl : fresh) = json_is_true(v);
	}
	if (*recrawl && *fresh) {
		fail(err, errlen, "recrawl and fresh do not go together");
		goto done;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

int
spec_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
		  bool *loopback, char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port;
	char *end;
	long p;

	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return fail(err, errlen, "--listen: '%s' is not [ADDRESS]:PORT", s);
		if ((size_t)(close - s - 1) >= sizeof host)
			return fail(err, errlen, "--listen: address too long");
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		port = close + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return fail(err, errlen, "--listen: '%s' is not ADDRESS:PORT", s);
		if ((size_t)(colon - s) >= sizeof host)
			return fail(err, errlen, "--listen: address too long");
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno != 0 || p < 0 || p > 65535)
		return fail(err, errlen, "--listen: '%s' is not a port number from 0 to 65535", port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	else if (host[0] == '\0')
		strcpy(host, "0.0.0.0");
	if (s[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return fail(err, errlen, "--listen: '%s' is not an IPv4 address (IPv6: [ADDRESS]:PORT)", host);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		*sslen = sizeof *in;
		*loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return fail(err, errlen, "--listen: '%s' is not an IPv6 address", host);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof *in6;
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}
