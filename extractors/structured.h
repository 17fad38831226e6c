/*
 * structured.h: the structured data a page carries about itself, read by path:
 * JSON-LD (jsonld.c) and microdata (microdata.c).
 *
 * A field `jsonld: "Product.offers.price"` or `microdata: "Product.name"` names a
 * path: the first segment a type (the JSON-LD @type, or the last part of a microdata
 * itemtype URL; `*` for any), then keys (JSON-LD) or itemprop names (microdata), each
 * `*` for any.  Reading a path hands every value it reaches to a callback, in document
 * order; extract.c runs each through the field's pipeline as it would a selector's.
 *
 * Pure functions over a parsed libxml2 document: no I/O, every size bounded.  A page's
 * malformed JSON-LD is reported through a problem callback and reads as no data; it is
 * never fatal.
 */
#ifndef SCRAPER_STRUCTURED_H
#define SCRAPER_STRUCTURED_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "url.h"

#define SD_NO_POS ((size_t)-1)
#define SD_MAX_SEGMENTS 32
#define SD_MAX_PATH 1024		/* bytes of a path as written */
#define JSONLD_MAX_SCRIPT (4u << 20)	/* one <script>: larger ones are skipped */
#define JSONLD_MAX_PAGE (16u << 20)	/* all of a page's JSON-LD together */
#define JSONLD_MAX_SCRIPTS 256		/* scripts read per page */
#define JSONLD_MAX_OBJECTS 10000	/* top-level objects kept per page */
/* Nesting deeper than this is malformed (jansson's own limit is 2048). */
#define JSONLD_MAX_DEPTH 512
#define SD_MAX_VALUES 100000		/* values one path may yield on one page */

/* A compiled path. */
struct sd_path {
	size_t n;			/* segments, at least 1 */
	char *seg[SD_MAX_SEGMENTS];	/* "*" is any */
	char *text;			/* as written, trimmed */
};

/* Compile "Type.key.key".  0; or -1 with msg and *pos (a byte offset into text). */
int sd_path_compile(const char *text, struct sd_path *out, size_t *pos, char *msg,
		    size_t msglen);
void sd_path_free(struct sd_path *p);

/*
 * Where a path's values go: s[0..n) (not NUL-terminated; may hold NUL bytes), in
 * document order.  Return 0 to go on, 1 to stop (the field has what it needs), -1 to
 * stop on an error.
 */
typedef int (*sd_value_fn)(void *ctx, const char *s, size_t n);

/* A problem with the page's data, in words (malformed JSON-LD, a script too large). */
typedef void (*sd_problem_fn)(void *ctx, const char *msg);

/* ---- JSON-LD (jsonld.c) ---- */

struct jsonld;	/* a page's JSON-LD: the list of its top-level objects */

struct jsonld *jsonld_new(void);
void jsonld_free(struct jsonld *ld);

/*
 * Add one script's text: a JSON object, or an array of them; an object's @graph (and
 * a top-level array's elements' @graph) is flattened into the list, the object itself
 * kept too when it has an @type of its own.  HTML comment and CDATA wrappers around
 * the JSON are taken off; raw control characters (line breaks inside strings, which
 * real pages hold) are read as spaces.  0; or -1 with msg when the text is not JSON
 * (or too large or too deep): nothing of it is kept.  -2: out of memory.
 */
int jsonld_add_text(struct jsonld *ld, const char *text, size_t len, char *msg,
		    size_t msglen);

/* Add every <script type="application/ld+json"> of doc, in document order.  Each
 * script that cannot be read is reported to problem (may be NULL) and skipped.
 * Returns the number of problems, or -1 when out of memory. */
int jsonld_add_doc(struct jsonld *ld, xmlDocPtr doc, sd_problem_fn problem, void *ctx);

/* How many top-level objects the list holds. */
size_t jsonld_count(const struct jsonld *ld);

/*
 * Every value path reaches, to fn.  An object matches the first segment when its
 * @type is that name, or a list holding it, or a compact or full IRI ending in it
 * ("schema:Product", "https://schema.org/Product").  An array along the way yields
 * each element.  What a value gives: a string its text, a number its JSON text, a
 * boolean "true"/"false", null nothing; an object {"@value": v} gives v, an object
 * {"@id": iri} with nothing else its IRI, any other object its compact JSON text.
 * Returns 0, or fn's non-zero answer.
 */
int jsonld_values(const struct jsonld *ld, const struct sd_path *p, sd_value_fn fn,
		  void *ctx);

/* ---- microdata (microdata.c) ---- */

/*
 * Every value path reaches in doc's microdata, to fn.  The first segment matches the
 * items that are no other item's property (itemscope without itemprop) whose itemtype
 * holds a URL whose last part ("Product" of "https://schema.org/Product") is the
 * segment; then each segment is an itemprop name (an element may give several,
 * space-separated), nested items reached through properties that are themselves
 * itemscope.  A property's value is as the HTML standard defines it: <meta> its
 * content, <a>/<area>/<link> href, <img>/<audio>/<video>/<source>/<track>/<embed>/
 * <iframe> src, <object> data (those URLs resolved against base when it is not
 * NULL), <data>/<meter> value, <time> datetime (else its text), anything else (a
 * nested item too) its text content.  itemref is not followed.  Returns 0, or fn's
 * non-zero answer.
 */
int microdata_values(xmlDocPtr doc, const struct sd_path *p, const struct url_base *base,
		     sd_value_fn fn, void *ctx);

#endif
