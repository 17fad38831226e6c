/*
 * floor.c: the cost floor of the benchmark crawl -- what libxml2 and SQLite alone need for
 * the work every crawl of the corpus must do, with no network, no framework, no IPC.
 *
 *   floor --corpus DIR [--threads 1,2] [--reps 3] [--db FILE] [--json FILE] [--limit N]
 *
 * Loads every product page listed in DIR/products.tsv (file, URL) into memory, then times
 *   (a) parse:   htmlReadMemory + xmlFreeDoc
 *   (b) extract: parse + the seven product fields with compiled XPath (the expressions a
 *                CSS-to-XPath compiler writes for the rule file's selectors) + every
 *                //a/@href resolved against the page URL (xmlBuildURI) and deduplicated in
 *                a hash set
 *   (b') follow: as (b), but only the links the rule file follows (category nav, next
 *                page, product cards) are resolved and deduplicated -- the work a crawl
 *                with bench/rules/shop.yaml must do; (b) is the "every link" upper case
 *   (c) store:   the extracted rows inserted into SQLite (WAL, one prepared INSERT, one
 *                transaction) -- one writer, so one thread only
 * (a), (b) and (b') on each thread count given (pages split evenly between threads).  Each
 * figure is the median of --reps repetitions: pages/s = pages / wall time, CPU ms per page
 * = process CPU time (all threads, CLOCK_PROCESS_CPUTIME_ID) / pages.
 *
 * The rows go into a table `product` in --db (default floor.db) with the columns
 * bench/check.py reads, so the floor's own extraction is checked against the manifest too.
 *
 * Build: cc -O2 -o floor floor.c $(pkg-config --cflags --libs libxml-2.0 sqlite3) -lpthread
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/uri.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <sqlite3.h>

#define CLS(c) "contains(concat(' ',normalize-space(@class),' '),' " c " ')"
#define MAIN "//div[" CLS("product-main") "]"

enum { F_TITLE, F_PRICE, F_SKU, F_RATING, F_AVAIL, F_DESC, F_LINKS, F_NAV, F_NEXT, F_CARD, NEXPR };

static const char *const exprs[NEXPR] = {
	[F_TITLE] = MAIN "//h1/text()",
	[F_PRICE] = MAIN "//p[" CLS("price") "]/text()",
	[F_SKU] = "//table[contains(@class,'product-info')]//th[.='SKU']/following-sibling::td/text()",
	[F_RATING] = MAIN "//p[" CLS("star-rating") "]/@data-rating",
	[F_AVAIL] = MAIN "//p[" CLS("availability") "]",
	[F_DESC] = "//div[" CLS("description") "]//p",
	[F_LINKS] = "//a/@href",
	/* the rule file's follow selectors */
	[F_NAV] = "//nav[" CLS("category-nav") "]//a/@href",
	[F_NEXT] = "//ul[" CLS("pager") "]//li[" CLS("next") "]//a/@href",
	[F_CARD] = "//article[" CLS("product-card") "]//h3//a/@href",
};

enum { PASS_PARSE, PASS_ALL_LINKS, PASS_FOLLOW };
static const char *const pass_names[] = { "parse", "parse+extract+links", "parse+extract+follow" };

struct page {
	char *url;
	char *body;
	size_t len;
};

struct row {
	char *title, *sku, *avail, *desc;
	double price;
	int rating, stock;
	int has_price, has_rating;
};

static struct page *pages;
static struct row *rows;
static size_t npages;

static const int PARSE_OPTS = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			      HTML_PARSE_NONET | HTML_PARSE_COMPACT;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "floor: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static double
now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a string hash set (open addressing, FNV-1a) ---- */

struct set {
	char **slot;
	size_t cap, n;
};

static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Takes ownership of s; returns 1 when it was new. */
static int
set_add(struct set *st, char *s)
{
	if ((st->n + 1) * 2 > st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 1024;
		char **ns = calloc(ncap, sizeof *ns);
		if (ns == NULL)
			die("%s", "out of memory");
		for (size_t i = 0; i < st->cap; i++) {
			if (st->slot[i] == NULL)
				continue;
			size_t j = fnv(st->slot[i]) & (ncap - 1);
			while (ns[j] != NULL)
				j = (j + 1) & (ncap - 1);
			ns[j] = st->slot[i];
		}
		free(st->slot);
		st->slot = ns;
		st->cap = ncap;
	}
	size_t j = fnv(s) & (st->cap - 1);
	while (st->slot[j] != NULL) {
		if (strcmp(st->slot[j], s) == 0) {
			free(s);
			return 0;
		}
		j = (j + 1) & (st->cap - 1);
	}
	st->slot[j] = s;
	st->n++;
	return 1;
}

static void
set_free(struct set *st)
{
	for (size_t i = 0; i < st->cap; i++)
		free(st->slot[i]);
	free(st->slot);
	memset(st, 0, sizeof *st);
}

/* ---- extraction ---- */

/* Whitespace-normalised copy: trimmed, runs of ASCII white space collapsed to one space. */
static char *
normalise(const xmlChar *in)
{
	const char *s = (const char *)in;
	char *out = malloc(strlen(s) + 1), *o = out;
	int space = 0;

	if (out == NULL)
		die("%s", "out of memory");
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f') {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* First node's string value (document order), normalised; NULL when none. */
static char *
first_value(xmlXPathCompExprPtr e, xmlXPathContextPtr ctx)
{
	xmlXPathObjectPtr r = xmlXPathCompiledEval(e, ctx);
	char *v = NULL;

	if (r != NULL && r->type == XPATH_NODESET && r->nodesetval && r->nodesetval->nodeNr > 0) {
		xmlChar *c = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
		if (c != NULL) {
			v = normalise(c);
			xmlFree(c);
		}
	}
	xmlXPathFreeObject(r);
	return v;
}

struct worker {
	pthread_t tid;
	size_t from, to;
	int extract;
	size_t links, unique_links;
};

static void
extract_page(struct page *pg, struct row *row, xmlXPathCompExprPtr *ce, struct set *seen,
	     struct worker *w)
{
	htmlDocPtr doc = htmlReadMemory(pg->body, (int)pg->len, pg->url, "UTF-8", PARSE_OPTS);
	xmlXPathContextPtr ctx;
	char *v;

	if (doc == NULL)
		die("cannot parse %s", pg->url);
	ctx = xmlXPathNewContext(doc);
	memset(row, 0, sizeof *row);
	row->title = first_value(ce[F_TITLE], ctx);
	if ((v = first_value(ce[F_PRICE], ctx)) != NULL) {
		char *d = v;
		while (*d && !isdigit((unsigned char)*d))
			d++;
		if (*d) {
			row->price = strtod(d, NULL);
			row->has_price = 1;
		}
		free(v);
	}
	row->sku = first_value(ce[F_SKU], ctx);
	if ((v = first_value(ce[F_RATING], ctx)) != NULL) {
		row->rating = atoi(v);
		row->has_rating = 1;
		free(v);
	}
	row->avail = first_value(ce[F_AVAIL], ctx);
	if (row->avail != NULL) {
		const char *p = strchr(row->avail, '(');
		for (; p != NULL; p = strchr(p + 1, '(')) {
			char *end;
			long n = strtol(p + 1, &end, 10);
			if (end > p + 1 && strncmp(end, " available)", 11) == 0) {
				row->stock = (int)n;
				break;
			}
		}
	}
	row->desc = first_value(ce[F_DESC], ctx);

	for (int k = F_LINKS; k < NEXPR; k++) {
		if ((w->extract == PASS_ALL_LINKS) != (k == F_LINKS))
			continue;
		xmlXPathObjectPtr r = xmlXPathCompiledEval(ce[k], ctx);
		if (r != NULL && r->nodesetval != NULL) {
			for (int i = 0; i < r->nodesetval->nodeNr; i++) {
				xmlNodePtr a = r->nodesetval->nodeTab[i];
				const xmlChar *href = a->children ? a->children->content : NULL;
				xmlChar *abs;
				if (href == NULL)
					continue;
				w->links++;
				abs = xmlBuildURI(href, (const xmlChar *)pg->url);
				if (abs == NULL)
					continue;
				char *copy = strdup((const char *)abs);
				xmlFree(abs);
				w->unique_links += (size_t)set_add(seen, copy);
			}
		}
		xmlXPathFreeObject(r);
	}
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

static void
free_row(struct row *r)
{
	free(r->title);
	free(r->sku);
	free(r->avail);
	free(r->desc);
	memset(r, 0, sizeof *r);
}

static void *
run_worker(void *arg)
{
	struct worker *w = arg;
	xmlXPathCompExprPtr ce[NEXPR] = { 0 };
	struct set seen = { 0 };

	if (w->extract) {
		for (int i = 0; i < NEXPR; i++) {
			if ((ce[i] = xmlXPathCompile((const xmlChar *)exprs[i])) == NULL)
				die("bad XPath %s", exprs[i]);
		}
	}
	for (size_t i = w->from; i < w->to; i++) {
		if (w->extract) {
			free_row(&rows[i]);
			extract_page(&pages[i], &rows[i], ce, &seen, w);
		} else {
			htmlDocPtr doc = htmlReadMemory(pages[i].body, (int)pages[i].len, pages[i].url,
							"UTF-8", PARSE_OPTS);
			if (doc == NULL)
				die("cannot parse %s", pages[i].url);
			xmlFreeDoc(doc);
		}
	}
	for (int i = 0; i < NEXPR; i++)
		xmlXPathFreeCompExpr(ce[i]);
	set_free(&seen);
	return NULL;
}

struct result {
	double wall, cpu;
	size_t links, unique_links;
};

static struct result
run_pass(int nthreads, int extract)
{
	struct worker w[64];
	struct result res = { 0 };
	double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);

	for (int t = 0; t < nthreads; t++) {
		memset(&w[t], 0, sizeof w[t]);
		w[t].from = npages * (size_t)t / (size_t)nthreads;
		w[t].to = npages * (size_t)(t + 1) / (size_t)nthreads;
		w[t].extract = extract;
		if (pthread_create(&w[t].tid, NULL, run_worker, &w[t]) != 0)
			die("%s", "pthread_create failed");
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(w[t].tid, NULL);
		res.links += w[t].links;
		res.unique_links += w[t].unique_links;
	}
	res.wall = now(CLOCK_MONOTONIC) - t0;
	res.cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return res;
}

static struct result
run_store(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct result res = { 0 };
	double t0, c0;

	char side[4200];

	unlink(path); /* and a stale -wal/-shm, which SQLite would apply to the new file */
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("cannot open %s", path);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE product(url TEXT PRIMARY KEY, title TEXT, price REAL, sku TEXT,"
			 " rating INTEGER, availability TEXT, stock INTEGER, description TEXT);",
		     NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT INTO product VALUES (?,?,?,?,?,?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < npages; i++) {
		struct row *r = &rows[i];
		sqlite3_bind_text(st, 1, pages[i].url, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->title, -1, SQLITE_STATIC);
		if (r->has_price)
			sqlite3_bind_double(st, 3, r->price);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_text(st, 4, r->sku, -1, SQLITE_STATIC);
		if (r->has_rating)
			sqlite3_bind_int(st, 5, r->rating);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_text(st, 6, r->avail, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, r->stock);
		sqlite3_bind_text(st, 8, r->desc, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("commit: %s", sqlite3_errmsg(db));
	res.wall = now(CLOCK_MONOTONIC) - t0;
	res.cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return res;
}

static void
load(const char *dir, size_t limit)
{
	char path[4096], *line = NULL;
	size_t cap = 0, alloc = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/products.tsv", dir);
	if ((f = fopen(path, "r")) == NULL)
		die("cannot open %s (a corpus from bench/gen_corpus.py?)", path);
	while (getline(&line, &cap, f) > 0 && (limit == 0 || npages < limit)) {
		char *tab = strchr(line, '\t'), *nl;
		FILE *pf;
		if (tab == NULL)
			continue;
		*tab = '\0';
		if ((nl = strchr(tab + 1, '\n')) != NULL)
			*nl = '\0';
		if (npages == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((pages = realloc(pages, alloc * sizeof *pages)) == NULL)
				die("%s", "out of memory");
		}
		struct page *pg = &pages[npages];
		if ((pf = fopen(line, "rb")) == NULL)
			die("cannot open %s", line);
		fseek(pf, 0, SEEK_END);
		pg->len = (size_t)ftell(pf);
		rewind(pf);
		pg->body = malloc(pg->len + 1);
		if (pg->body == NULL || fread(pg->body, 1, pg->len, pf) != pg->len)
			die("cannot read %s", line);
		pg->body[pg->len] = '\0';
		fclose(pf);
		pg->url = strdup(tab + 1);
		npages++;
	}
	free(line);
	fclose(f);
	if (npages == 0)
		die("no pages listed in %s", path);
	rows = calloc(npages, sizeof *rows);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The repetition with the median wall time. */
static struct result
median_of(struct result *r, int n)
{
	double walls[64];

	for (int i = 0; i < n; i++)
		walls[i] = r[i].wall;
	qsort(walls, (size_t)n, sizeof walls[0], cmp_double);
	for (int i = 0; i < n; i++) {
		if (r[i].wall == walls[n / 2])
			return r[i];
	}
	return r[0];
}

int
main(int argc, char **argv)
{
	const char *corpus = NULL, *dbpath = "floor.db", *jsonpath = NULL, *threads = "1,2";
	int reps = 3;
	size_t limit = 0, bytes = 0;
	FILE *json = NULL;
	int first = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--corpus") == 0 && v) corpus = v, i++;
		else if (strcmp(a, "--threads") == 0 && v) threads = v, i++;
		else if (strcmp(a, "--reps") == 0 && v) reps = atoi(v), i++;
		else if (strcmp(a, "--db") == 0 && v) dbpath = v, i++;
		else if (strcmp(a, "--json") == 0 && v) jsonpath = v, i++;
		else if (strcmp(a, "--limit") == 0 && v) limit = (size_t)atol(v), i++;
		else {
			fprintf(stderr, "usage: floor --corpus DIR [--threads 1,2] [--reps 3] [--db FILE]"
					" [--json FILE] [--limit N]\n");
			return 2;
		}
	}
	if (corpus == NULL || reps < 1 || reps > 64) {
		fprintf(stderr, "floor: --corpus DIR is required (and 1 <= --reps <= 64)\n");
		return 2;
	}
	xmlInitParser();
	load(corpus, limit);
	for (size_t i = 0; i < npages; i++)
		bytes += pages[i].len;
	printf("floor: %zu product pages, %.1f MB, %d repetitions (median shown)\n", npages,
	       (double)bytes / 1e6, reps);
	if (jsonpath && (json = fopen(jsonpath, "w")) == NULL)
		die("cannot write %s", jsonpath);
	if (json)
		fprintf(json, "{\"pages\": %zu, \"bytes\": %zu, \"reps\": %d, \"runs\": [", npages, bytes,
			reps);

	/* a warm-up pass: page faults of the loaded bodies, libxml2's lazy initialisation */
	run_pass(1, 0);

	char tlist[64];
	snprintf(tlist, sizeof tlist, "%s", threads);
	for (char *save = NULL, *tok = strtok_r(tlist, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int nt = atoi(tok);
		if (nt < 1 || nt > 64)
			continue;
		for (int extract = PASS_PARSE; extract <= PASS_FOLLOW; extract++) {
			struct result r[64];
			for (int k = 0; k < reps; k++)
				r[k] = run_pass(nt, extract);
			struct result m = median_of(r, reps);
			const char *what = pass_names[extract];
			printf("  %-21s %d thread%s  %8.0f pages/s  %6.3f CPU ms/page  %5.1f MB/s", what, nt,
			       nt > 1 ? "s" : " ", (double)npages / m.wall, m.cpu * 1000.0 / (double)npages,
			       (double)bytes / 1e6 / m.wall);
			if (extract)
				printf("  (%zu links, %zu unique per thread set)", m.links, m.unique_links);
			printf("\n");
			if (json)
				fprintf(json,
					"%s\n {\"pass\": \"%s\", \"threads\": %d, \"wall_s\": %.6f, \"cpu_s\": %.6f,"
					" \"pages_per_s\": %.1f, \"cpu_ms_per_page\": %.4f, \"links\": %zu,"
					" \"unique_links\": %zu}",
					first ? "" : ",", what, nt, m.wall, m.cpu, (double)npages / m.wall,
					m.cpu * 1000.0 / (double)npages, m.links, m.unique_links);
			first = 0;
		}
	}
	{
		struct result r[64];
		for (int k = 0; k < reps; k++)
			r[k] = run_store(dbpath);
		struct result m = median_of(r, reps);
		printf("  %-21s 1 thread   %8.0f rows/s   %6.4f CPU ms/row  (%s)\n", "sqlite insert",
		       (double)npages / m.wall, m.cpu * 1000.0 / (double)npages, dbpath);
		if (json)
			fprintf(json,
				"%s\n {\"pass\": \"sqlite insert\", \"threads\": 1, \"wall_s\": %.6f, \"cpu_s\": %.6f,"
				" \"pages_per_s\": %.1f, \"cpu_ms_per_page\": %.4f}",
				first ? "" : ",", m.wall, m.cpu, (double)npages / m.wall,
				m.cpu * 1000.0 / (double)npages);
	}
	if (json) {
		fprintf(json, "\n], \"db\": \"%s\"}\n", dbpath);
		fclose(json);
	}
	for (size_t i = 0; i < npages; i++) {
		free_row(&rows[i]);
		free(pages[i].body);
		free(pages[i].url);
	}
	free(rows);
	free(pages);
	xmlCleanupParser();
	return 0;
}
