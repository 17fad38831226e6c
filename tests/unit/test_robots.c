/*
 * test_robots.c: robots.txt parsing and matching (scraper/worker/robots.c).
 *
 * Every expectation of tests/fixtures/robots/cases.txt (the RFC 9309 case table,
 * format described at its top) is one TAP test case named "BLOCK: allow /path", run
 * beside targeted tests of the API: product tokens, Crawl-delay values, status codes,
 * the size and rule limits, and the matcher's cost on hostile patterns.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "worker/robots.h"
#include "unit.h"

/* ---- the case table ---- */

#define CASES_MAX_BODY (1024 * 1024)

/* One block of cases.txt: how robots.txt is served, and to whom. */
struct block {
	char *name;
	char *agent;
	int status;
	int redirects;
	struct buf body;	/* as served: line ends, BOM applied */
	struct block *next;
};

/* One expectation line: one test case. */
struct expect {
	const struct block *block;
	int line;
	enum { EXPECT_ALLOW, EXPECT_DISALLOW, EXPECT_DELAY } kind;
	char *path;		/* for EXPECT_ALLOW and EXPECT_DISALLOW */
	double delay;		/* for EXPECT_DELAY; negative = none */
	char *title;		/* the TAP test name */
};

struct table {
	struct block *blocks;
	struct expect *expects;
	size_t n, cap;
	char error[512];	/* why the file could not be read, or "" */
};

static struct table table;

/* The header lines of the block being read, before its body. */
struct header {
	const char *eol;
	bool bom, final_eol;
};

static void
table_error(int line, const char *what)
{
	if (table.error[0] == '\0')
		snprintf(table.error, sizeof table.error, "cases.txt:%d: %s", line, what);
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static struct block *
block_new(const char *name)
{
	struct block *b = calloc(1, sizeof *b);

	if (b == NULL)
		abort();
	b->name = xstrdup(name);
	b->status = 200;
	buf_init(&b->body, CASES_MAX_BODY);
	b->next = table.blocks;
	table.blocks = b;
	return b;
}

static void
block_header(struct block *b, struct header *h, const char *s, int line)
{
	if (strncmp(s, "agent: ", 7) == 0) {
		free(b->agent);
		b->agent = xstrdup(s + 7);
	} else if (strncmp(s, "status: ", 8) == 0)
		b->status = atoi(s + 8);
	else if (strncmp(s, "redirects: ", 11) == 0)
		b->redirects = atoi(s + 11);
	else if (strcmp(s, "eol: lf") == 0)
		h->eol = "\n";
	else if (strcmp(s, "eol: crlf") == 0)
		h->eol = "\r\n";
	else if (strcmp(s, "eol: cr") == 0)
		h->eol = "\r";
	else if (strcmp(s, "bom: yes") == 0)
		h->bom = true;
	else if (strcmp(s, "final-eol: no") == 0)
		h->final_eol = false;
	else
		table_error(line, "unknown header line");
}

static void
expect_add(const struct block *b, const char *s, int line)
{
	struct expect e = { .block = b, .line = line };
	struct buf title;

	if (strncmp(s, "allow ", 6) == 0) {
		e.kind = EXPECT_ALLOW;
		e.path = xstrdup(s + 6);
	} else if (strncmp(s, "disallow ", 9) == 0) {
		e.kind = EXPECT_DISALLOW;
		e.path = xstrdup(s + 9);
	} else if (strncmp(s, "crawl-delay: ", 13) == 0) {
		e.kind = EXPECT_DELAY;
		e.delay = strcmp(s + 13, "none") == 0 ? -1 : atof(s + 13);
	} else {
		table_error(line, "expected allow, disallow or crawl-delay");
		return;
	}
	buf_init(&title, 8192);
	if (buf_printf(&title, "%s: %s", b->name, s) == -1 || (e.title = buf_steal(&title)) == NULL)
		abort();
	if (table.n == table.cap) {
		table.cap = table.cap ? table.cap * 2 : 64;
		table.expects = realloc(table.expects, table.cap * sizeof *table.expects);
		if (table.expects == NULL)
			abort();
	}
	table.expects[table.n++] = e;
}

/* Append the body lines gathered so far, each with its line end. */
static void
block_body(struct block *b, const struct header *h, struct buf *lines)
{
	const char *s = buf_str(lines), *nl;
	struct buf *out = &b->body;

	if (h->bom)
		buf_puts(out, "\xef\xbb\xbf");
	while ((nl = strchr(s, '\n')) != NULL) {
		buf_append(out, s, (size_t)(nl - s));
		if (nl[1] != '\0' || h->final_eol)
			buf_puts(out, h->eol);
		s = nl + 1;
	}
}

static void
table_read(FILE *f)
{
	enum { OUTSIDE, HEADER, BODY, EXPECTS } where = OUTSIDE;
	struct block *b = NULL;
	struct header h = { "\n", false, true };
	struct buf lines;
	char s[4096];
	int line = 0;

	buf_init(&lines, CASES_MAX_BODY);
	while (fgets(s, sizeof s, f) != NULL) {
		line++;
		s[strcspn(s, "\n")] = '\0';
		if (where == BODY) {
			if (strcmp(s, "==") != 0) {
				buf_printf(&lines, "%s\n", s);
				continue;
			}
			block_body(b, &h, &lines);
			buf_reset(&lines);
			where = EXPECTS;
		} else if (strncmp(s, "== case ", 8) == 0) {
			b = block_new(s + 8);
			h = (struct header){ "\n", false, true };
			where = HEADER;
		} else if (s[0] == '\0' || s[0] == '#')
			continue;
		else if (where == HEADER && strcmp(s, "robots:") == 0) {
			if (b->agent == NULL)
				table_error(line, "no agent: line");
			where = BODY;
		} else if (where == HEADER)
			block_header(b, &h, s, line);
		else if (where == EXPECTS)
			expect_add(b, s, line);
		else
			table_error(line, "outside a block");
	}
	if (where == BODY || where == HEADER)
		table_error(line, "file ends inside a block");
	buf_free(&lines);
}

static void
table_load(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/fixtures/robots/cases.txt", top ? top : ".");
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(table.error, sizeof table.error, "cannot open %.400s", path);
		return;
	}
	table_read(f);
	fclose(f);
}

static void
table_free(void)
{
	while (table.blocks != NULL) {
		struct block *b = table.blocks;

		table.blocks = b->next;
		free(b->name);
		free(b->agent);
		buf_free(&b->body);
		free(b);
	}
	for (size_t i = 0; i < table.n; i++) {
		free(table.expects[i].path);
		free(table.expects[i].title);
	}
	free(table.expects);
}

/* The rules the crawler ends up with for a block: what robots_from_status gives for the
 * status, or for a redirect left unfollowed when there are too many. */
static struct robots *
block_robots(const struct block *b)
{
	int status = b->redirects > ROBOTS_MAX_REDIRECTS ? 302 : b->status;

	return robots_from_status(status, b->body.data, b->body.len, b->agent);
}

static void
test_case(void **state)
{
	const struct expect *e = *state;
	struct robots *r = block_robots(e->block);
	bool got;

	assert_non_null(r);
	if (e->kind == EXPECT_DELAY) {
		double d = robots_crawl_delay(r);

		robots_free(r);
		if (e->delay < 0 ? d >= 0 : fabs(d - e->delay) > 1e-9)
			fail_msg("cases.txt:%d: %s: crawl-delay is %g", e->line, e->title, d);
		return;
	}
	got = robots_allows(r, e->path);
	robots_free(r);
	if (got != (e->kind == EXPECT_ALLOW))
		fail_msg("cases.txt:%d: %s: got %s", e->line, e->title, got ? "allow" : "disallow");
}

static void
test_table_read(void **state)
{
	if (table.error[0] != '\0')
		fail_msg("%s", table.error);
	assert_true(table.n >= 60);
}

/* ---- the API ---- */

static bool
allows(const char *body, const char *agent, const char *path)
{
	struct robots *r = robots_parse(body, strlen(body), agent);
	bool ok;

	assert_non_null(r);
	ok = robots_allows(r, path);
	robots_free(r);
	return ok;
}

static double
delay_of(const char *value)
{
	char body[1024];
	struct robots *r;
	double d;

	snprintf(body, sizeof body, "User-agent: *\nCrawl-delay: %s\n", value);
	r = robots_parse(body, strlen(body), "scraper");
	assert_non_null(r);
	d = robots_crawl_delay(r);
	robots_free(r);
	return d;
}

static void
test_product_token(void **state)
{
	char out[32];

	assert_int_equal(robots_product_token("scraper/1.0 (+http://x)", out, sizeof out), 7);
	assert_string_equal(out, "scraper");
	assert_int_equal(robots_product_token("  Mozilla/5.0 (compatible)", out, sizeof out), 7);
	assert_string_equal(out, "Mozilla");
	assert_int_equal(robots_product_token("my_bot-2", out, sizeof out), 7);
	assert_string_equal(out, "my_bot-");
	assert_int_equal(robots_product_token("*", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(robots_product_token("", out, sizeof out), 0);
	assert_int_equal(robots_product_token(NULL, out, sizeof out), 0);
	assert_string_equal(out, "");
	/* Cut to fit, but the whole length returned. */
	assert_int_equal(robots_product_token("scraper/1.0", out, 4), 7);
	assert_string_equal(out, "scr");
	out[0] = 'x';
	assert_int_equal(robots_product_token("scraper", out, 0), 7);
	assert_int_equal(out[0], 'x');
}

static void
test_agent_token_selects_group(void **state)
{
	const char *body = "User-agent: scraper\nDisallow: /s\n\nUser-agent: *\nDisallow: /g\n";

	assert_false(allows(body, "Scraper/1.0 (+http://example.com/bot)", "/s"));
	assert_true(allows(body, "Scraper/1.0", "/g"));
	/* Our product token is the first one, not any word in the value. */
	assert_true(allows(body, "Mozilla/5.0 (compatible; scraper/1.0)", "/s"));
	assert_false(allows(body, "Mozilla/5.0 (compatible; scraper/1.0)", "/g"));
	/* No token at all: only "*" groups apply; an empty token matches nothing. */
	assert_false(allows(body, NULL, "/g"));
	assert_false(allows(body, "/1.0", "/g"));
	assert_true(allows("User-agent: /1.0\nDisallow: /\n", "/1.0", "/x"));
}

static void
test_allow_and_disallow_all(void **state)
{
	struct robots *a = robots_allow_all(), *d = robots_disallow_all();

	assert_non_null(a);
	assert_non_null(d);
	assert_true(robots_allows(a, "/"));
	assert_true(robots_allows(a, "/x?y"));
	assert_false(robots_allows(d, "/"));
	assert_false(robots_allows(d, ""));
	assert_false(robots_allows(d, "x"));
	assert_true(robots_allows(d, "/robots.txt"));
	assert_true(robots_allows(d, "/robots.txt?x=1"));
	assert_true(robots_allows(d, "/robots%2Etxt"));
	assert_true(robots_crawl_delay(a) < 0);
	assert_true(robots_crawl_delay(d) < 0);
	robots_free(a);
	robots_free(d);
	robots_free(NULL);
}

static void
test_status(void **state)
{
	static const struct {
		int status;
		bool allowed;
	} want[] = {
		{ 200, false }, { 206, false }, { 299, false }, { 300, true }, { 304, true },
		{ 399, true }, { 400, true }, { 401, true }, { 404, true }, { 410, true },
		{ 499, true }, { 429, false }, { 500, false }, { 503, false }, { 599, false },
		{ 0, false }, { -1, false }, { 100, false }, { 199, false }, { 600, false },
	};
	const char *body = "User-agent: *\nDisallow: /\n";
	struct robots *r;

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		r = robots_from_status(want[i].status, body, strlen(body), "x");
		assert_non_null(r);
		if (robots_allows(r, "/page") != want[i].allowed)
			fail_msg("status %d: expected %s", want[i].status,
			    want[i].allowed ? "allow" : "disallow");
		assert_true(robots_allows(r, "/robots.txt"));
		robots_free(r);
	}
	/* A 2xx with no body (or NULL) allows everything. */
	r = robots_from_status(204, NULL, 0, "x");
	assert_non_null(r);
	assert_true(robots_allows(r, "/page"));
	robots_free(r);
}

static void
test_crawl_delay_values(void **state)
{
	assert_true(fabs(delay_of("10") - 10) < 1e-9);
	assert_true(fabs(delay_of("0.25") - 0.25) < 1e-9);
	assert_true(fabs(delay_of(".5") - 0.5) < 1e-9);
	assert_true(fabs(delay_of("3.") - 3) < 1e-9);
	assert_true(fabs(delay_of("  7  # seconds") - 7) < 1e-9);
	assert_true(delay_of("0") == 0);
	assert_true(delay_of("") < 0);
	assert_true(delay_of(".") < 0);
	assert_true(delay_of("-1") < 0);
	assert_true(delay_of("+1") < 0);
	assert_true(delay_of("1e3") < 0);
	assert_true(delay_of("0x10") < 0);
	assert_true(delay_of("inf") < 0);
	assert_true(delay_of("nan") < 0);
	assert_true(delay_of("1,5") < 0);
	assert_true(delay_of("1 2") < 0);
}

static void
test_crawl_delay_overflow(void **state)
{
	char digits[700];

	memset(digits, '9', sizeof digits - 1);
	digits[sizeof digits - 1] = '\0';
	assert_true(delay_of(digits) < 0); /* 1e700 is not a finite double */
}

/* A body of exactly `size` bytes: the lines, then comment lines as padding, then the
 * tail starting at byte `at`. */
static char *
padded(const char *head, size_t at, const char *tail, size_t *len)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(at + tl + 1);

	assert_non_null(s);
	assert_true(hl + 2 <= at);
	memcpy(s, head, hl);
	memset(s + hl, ' ', at - hl);
	s[hl] = '#';
	s[at - 1] = '\n';
	memcpy(s + at, tail, tl + 1);
	*len = at + tl;
	return s;
}

static void
test_size_limit(void **state)
{
	const char *head = "User-agent: *\nDisallow: /a\n";
	struct robots *r;
	size_t len;
	char *s;

	/* A rule wholly past the limit is not read. */
	s = padded(head, ROBOTS_MAX_BYTES + 10, "Disallow: /b\n", &len);
	r = robots_parse(s, len, "scraper");
	assert_non_null(r);
	assert_false(robots_allows(r, "/a"));
	assert_true(robots_allows(r, "/b"));
	robots_free(r);
	free(s);

	/* A rule ending right at the limit is read, with or without a line end. */
	s = padded(head, ROBOTS_MAX_BYTES - 12, "Disallow: /b", &len);
	assert_int_equal(len, ROBOTS_MAX_BYTES);
	r = robots_parse(s, len, "scraper");
	assert_false(robots_allows(r, "/b"));
	robots_free(r);
	free(s);
	s = padded(head, ROBOTS_MAX_BYTES - 12, "Disallow: /b\nDisallow: /c\n", &len);
	r = robots_parse(s, len, "scraper");
	assert_false(robots_allows(r, "/b"));
	assert_true(robots_allows(r, "/c"));
	robots_free(r);
	free(s);
}

static void
test_size_limit_cut_line(void **state)
{
	/* The limit falls inside "Allow: /public/x": read as far as "Allow: /" it would
	 * allow everything, so the cut line must be dropped whole. */
	struct robots *r;
	size_t len;
	char *s = padded("User-agent: *\nDisallow: /\n", ROBOTS_MAX_BYTES - 8,
	    "Allow: /public/x\n", &len);

	r = robots_parse(s, len, "scraper");
	assert_non_null(r);
	assert_false(robots_allows(r, "/x"));
	assert_false(robots_allows(r, "/public/x"));
	robots_free(r);
	free(s);
}

static void
test_rule_limit(void **state)
{
	struct buf b;
	struct robots *r;

	buf_init(&b, ROBOTS_MAX_BYTES);
	buf_puts(&b, "User-agent: *\n");
	for (int i = 0; i < ROBOTS_MAX_RULES + 5000; i++)
		assert_int_equal(buf_printf(&b, "Disallow: /p%d$\n", i), 0);
	r = robots_parse(b.data, b.len, "scraper");
	assert_non_null(r);
	assert_false(robots_allows(r, "/p0"));
	assert_false(robots_allows(r, "/p19999"));
	assert_true(robots_allows(r, "/p20000"));
	assert_true(robots_allows(r, "/p24999"));
	assert_true(robots_allows(r, "/q"));
	robots_free(r);
	buf_free(&b);
}

static void
test_wildcards_stay_linear(void **state)
{
	size_t n = 200000;
	struct buf body;
	struct robots *r;
	char *path = malloc(n + 2);
	clock_t t0 = clock();

	assert_non_null(path);
	path[0] = '/';
	memset(path + 1, 'a', n);
	path[n + 1] = '\0';
	buf_init(&body, ROBOTS_MAX_BYTES);
	buf_puts(&body, "User-agent: *\nDisallow: /");
	for (int i = 0; i < 200; i++)
		buf_puts(&body, "*a");
	buf_puts(&body, "*b\nDisallow: /*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab$\n");
	buf_puts(&body, "Disallow: /*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n");
	r = robots_parse(body.data, body.len, "scraper");
	assert_non_null(r);
	for (int i = 0; i < 20; i++)
		assert_true(robots_allows(r, path));
	path[n] = 'b';
	assert_false(robots_allows(r, path));
	robots_free(r);
	buf_free(&body);
	free(path);
	/* Backtracking would take hours; linear takes milliseconds (more under ASan). */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 10);
}

/* Whether the pattern, the only rule, matches path. */
static bool
matches(const char *pattern, const char *path)
{
	char body[1024];

	snprintf(body, sizeof body, "User-agent: *\nDisallow: %s\n", pattern);
	return !allows(body, "s", path);
}

static void
test_wildcard_matching(void **state)
{
	assert_true(matches("/a**b", "/ab"));
	assert_true(matches("/a**b", "/aXYZb/c"));
	assert_false(matches("/a**b", "/a"));
	assert_true(matches("/x*y*z$", "/xyz"));
	assert_true(matches("/x*y*z$", "/x1y2z"));
	assert_true(matches("/x*y*z$", "/xzyz"));
	assert_false(matches("/x*y*z$", "/xyzz/"));
	assert_false(matches("/x*y*z$", "/xzy"));
	/* Segments that overlap themselves (the KMP failure function at work). */
	assert_true(matches("/abab*abac", "/ababababac"));
	assert_true(matches("/*aabaaab", "/aabaabaaab"));
	assert_false(matches("/*aabaaab", "/aabaabaaa"));
	assert_true(matches("/*abcabd", "/abcabcabd"));
	assert_true(matches("/*aabaaaa", "/aabaaabaaaa"));
	assert_true(matches("/*x*aaab", "/xaaaab"));
	assert_true(matches("/m*issip$", "/mississip"));
	assert_false(matches("/m*issip$", "/mississippi"));
	assert_true(matches("/a*bcbcd$", "/abcbcbcd"));
	assert_false(matches("/a*bcbcd$", "/abcbcbcde"));
	/* The anchored last segment may not overlap what came before it. */
	assert_false(matches("/ab*ab$", "/ab"));
	assert_true(matches("/ab*ab$", "/abab"));
	assert_false(matches("/ab*b*ab$", "/abab"));
	assert_true(matches("/ab*b*ab$", "/abbab"));
	assert_false(matches("$", "/"));
	assert_true(matches("*$", "/"));
	assert_true(matches("/*", "/"));
	assert_false(matches("/*/", "/"));
}

/* The obvious exponential matcher, as a reference: does pat[0..m) (anchored at its
 * end when `end`) match a prefix of path t (the whole of t when `end`)? */
static bool
reference_match(const char *pat, const char *t, bool end)
{
	if (*pat == '\0')
		return !end || *t == '\0';
	if (*pat == '*')
		for (const char *u = t;; u++) {
			if (reference_match(pat + 1, u, end))
				return true;
			if (*u == '\0')
				return false;
		}
	return *t == *pat && reference_match(pat + 1, t + 1, end);
}

static void
random_string(char *s, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[(size_t)rand() % k];
	s[n] = '\0';
}

static void
test_wildcards_against_reference(void **state)
{
	char pat[16], path[24], rule[20];

	srand(9309);
	for (int i = 0; i < 50000; i++) {
		bool end = rand() % 3 == 0;

		pat[0] = path[0] = '/';
		random_string(pat + 1, (size_t)rand() % 11, i % 2 ? "aab*" : "aaaab*");
		random_string(path + 1, (size_t)rand() % 20, i % 3 ? "ab" : "aaab");
		snprintf(rule, sizeof rule, "%s%s", pat, end ? "$" : "");
		if (matches(rule, path) != reference_match(pat, path, end))
			fail_msg("pattern %s, path %s: expected %s", rule, path,
			    reference_match(pat, path, end) ? "a match" : "no match");
	}
}

static void
test_percent_edges(void **state)
{
	const char *body = "User-agent: *\nDisallow: /a%zz\nDisallow: /b%4\nDisallow: /c%\n";

	assert_false(allows(body, "s", "/a%zz"));
	assert_false(allows(body, "s", "/a%25zz"));
	assert_false(allows(body, "s", "/b%4"));
	assert_false(allows(body, "s", "/b%254"));
	assert_false(allows(body, "s", "/c%"));
	assert_true(allows(body, "s", "/c"));
	/* A raw UTF-8 path is compared encoded, as is a raw NUL in the file. */
	assert_false(allows("User-agent: *\nDisallow: /caf%c3%a9\n", "s", "/café"));
	assert_false(allows("User-agent: *\nDisallow: /x%7c\n", "s", "/x|y"));
	{
		static const char nul[] = "User-agent: *\nDisallow: /a\0b\n";
		struct robots *r = robots_parse(nul, sizeof nul - 1, "s");

		assert_non_null(r);
		assert_false(robots_allows(r, "/a%00b"));
		assert_true(robots_allows(r, "/a"));
		robots_free(r);
	}
}

static void
test_odd_inputs(void **state)
{
	struct robots *r = robots_parse(NULL, 0, "scraper");
	char longpath[5000];

	assert_non_null(r);
	assert_true(robots_allows(r, "/"));
	robots_free(r);
	/* "" is "/"; paths longer than the stack buffer take the heap. */
	assert_false(allows("User-agent: *\nDisallow: /$\n", "s", ""));
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	assert_false(allows("User-agent: *\nDisallow: /x*x$\n", "s", longpath));
	longpath[1] = '\xc3'; /* each byte encoded: three times longer */
	assert_false(allows("User-agent: *\nDisallow: /%C3\n", "s", longpath));
	/* Only a whole BOM is skipped. */
	assert_true(allows("\xef\xbbUser-agent: *\nDisallow: /\n", "s", "/x"));
	/* A lone CR then LF is one line end; LF CR is two, and a blank line is fine. */
	assert_false(allows("User-agent: *\n\r\rDisallow: /\n\r", "s", "/x"));
}

/* ---- main ---- */

int
main(void)
{
	static const struct CMUnitTest api[] = {
		cmocka_unit_test(test_table_read),
		cmocka_unit_test(test_product_token),
		cmocka_unit_test(test_agent_token_selects_group),
		cmocka_unit_test(test_allow_and_disallow_all),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_crawl_delay_values),
		cmocka_unit_test(test_crawl_delay_overflow),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_size_limit_cut_line),
		cmocka_unit_test(test_rule_limit),
		cmocka_unit_test(test_wildcards_stay_linear),
		cmocka_unit_test(test_wildcard_matching),
		cmocka_unit_test(test_wildcards_against_reference),
		cmocka_unit_test(test_percent_edges),
		cmocka_unit_test(test_odd_inputs),
	};
	size_t napi = sizeof api / sizeof api[0];
	struct CMUnitTest *tests;
	int rc;

	table_load();
	tests = calloc(napi + table.n, sizeof *tests);
	if (tests == NULL)
		return 1;
	memcpy(tests, api, sizeof api);
	for (size_t i = 0; i < table.n; i++) {
		tests[napi + i].name = table.expects[i].title;
		tests[napi + i].test_func = test_case;
		tests[napi + i].initial_state = &table.expects[i];
	}
	rc = _cmocka_run_group_tests("robots", tests, napi + table.n, NULL, NULL);
	free(tests);
	table_free();
	return rc;
}
