/*
 * css.c: CSS selectors compiled to XPath 1.0 (see css.h).
 *
 * A recursive-descent parser over the selector's bytes.  Each compound selector
 * ("li.item:nth-child(2n)") is compiled into an XPath step without its axis
 * ("li[cond][cond]"), then written out behind the axis its combinator calls for:
 *
 *   a b      descendant-or-self::a/descendant::b
 *   a > b    descendant-or-self::a/b
 *   a + b    descendant-or-self::a/following-sibling::*[1]/self::b
 *   a ~ b    descendant-or-self::a/following-sibling::b
 *   a, b     descendant-or-self::a | descendant-or-self::b
 *
 * Conditions are always boolean predicates (never positional), so they can be
 * chained: #x is [@id = 'x'], .x is [contains(concat(' ', normalize-space(@class),
 * ' '), ' x ')], :first-child is [not(preceding-sibling::*[1])], :nth-child(2n+1) is
 * [count(preceding-sibling::*) mod 2 = 0].  Names XPath cannot spell (digits first, a
 * colon, non-ASCII) become *[name() = '...'] and @*[name() = '...'].
 *
 * A selector inside :is(), :where(), :not() or "of S" is a condition on the element,
 * written right to left: "a > b" is self::b[parent::a], "a + b" is
 * self::b[preceding-sibling::*[1]/self::a].  A relative selector of :has() is a path
 * from the element: ":has(> a b)" is [a/descendant::b].  *-of-type without a type
 * counts same-named siblings with two XPath functions (css_xpath_register).
 *
 * Everything written into the XPath is either fixed ASCII text, a decimal number, a
 * safe ASCII name, or text that went through css_put_cp, which admits only characters
 * XML allows; literals are quoted by css_put_literal, with concat() when a value holds
 * both quote characters.  So whatever the input, the output is valid XPath.  Recursion
 * happens only through functional pseudo-classes, bounded by CSS_MAX_DEPTH; the input
 * by CSS_MAX_LEN, the output by its buffer's maximum.
 */
#include "css.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpathInternals.h>

#define CSS_MAX_NUMBER 1000000000LL /* the largest a or b in an+b */

struct css_parser {
	const char *s;	       /* the selector */
	size_t len;	       /* its length (at most CSS_MAX_LEN) */
	size_t pos;	       /* the next byte to read */
	int depth;	       /* functional pseudo-class nesting */
	int in_has;	       /* inside :has() */
	size_t max;	       /* the maximum size of every buffer we fill */
	struct css_error *err; /* NULL: nobody wants the message */
	int failed;	       /* the first error is the one reported */
	struct css_plan *plan; /* NULL: nobody wants one, or the selector has none */
};

enum css_combinator { CSS_START, CSS_DESCENDANT, CSS_CHILD, CSS_ADJACENT, CSS_SIBLING };

enum css_pseudo_element { CSS_PE_NONE, CSS_PE_TEXT, CSS_PE_ATTR };

/* One compound selector, compiled. */
struct css_compound {
	struct buf step;	    /* node test and predicates: "li[...][...]" */
	struct buf type;	    /* node test of its element type ("" none), for *-of-type */
	int has_type;		    /* a type selector was written (not "*", not inherited) */
	int npreds;		    /* predicates in step */
	enum css_pseudo_element pe; /* a trailing ::text or ::attr() */
	struct buf attr;	    /* for ::attr(): "@name" or "@*[name() = '...']" */
	/* The same, for matching without XPath (cssmatch.h): the type and one condition
	 * per predicate that cssmatch models; a predicate it does not model leaves
	 * native.ncond below npreds.  bad: something else it does not model. */
	struct css_ncomp native;
	int bad;
};

/* Pseudo-classes.  The sibling flags say which siblings the condition is about. */
#define CSS_PC_BEFORE 0x01  /* preceding siblings */
#define CSS_PC_AFTER 0x02   /* following siblings */
#define CSS_PC_OFTYPE 0x04  /* only siblings of the same type */
#define CSS_PC_NTH 0x08	    /* takes an+b: the count of those siblings */
#define CSS_PC_EMPTY 0x10
#define CSS_PC_ROOT 0x20
#define CSS_PC_NOT 0x40	    /* with LOGICAL: the condition negated */
#define CSS_PC_LOGICAL 0x80 /* takes a selector list: :is() :where() :not() :has() */
#define CSS_PC_HAS 0x100    /* with LOGICAL: relative selectors */
#define CSS_PC_LANG 0x200
#define CSS_PC_HTML 0x400   /* a fixed condition: css_html_conditions[flags >> 12] */
#define CSS_PC_HTML_N(n) (CSS_PC_HTML | (n) << 12)

static const struct css_pseudo_class {
	const char *name;
	int flags;
} css_pseudo_classes[] = {
	{"first-child", CSS_PC_BEFORE},
	{"last-child", CSS_PC_AFTER},
	{"only-child", CSS_PC_BEFORE | CSS_PC_AFTER},
	{"first-of-type", CSS_PC_BEFORE | CSS_PC_OFTYPE},
	{"last-of-type", CSS_PC_AFTER | CSS_PC_OFTYPE},
	{"only-of-type", CSS_PC_BEFORE | CSS_PC_AFTER | CSS_PC_OFTYPE},
	{"nth-child", CSS_PC_NTH | CSS_PC_BEFORE},
	{"nth-last-child", CSS_PC_NTH | CSS_PC_AFTER},
	{"nth-of-type", CSS_PC_NTH | CSS_PC_BEFORE | CSS_PC_OFTYPE},
	{"nth-last-of-type", CSS_PC_NTH | CSS_PC_AFTER | CSS_PC_OFTYPE},
	{"empty", CSS_PC_EMPTY},
	{"root", CSS_PC_ROOT},
	{"not", CSS_PC_LOGICAL | CSS_PC_NOT},
	{"is", CSS_PC_LOGICAL},
	{"where", CSS_PC_LOGICAL},
	{"has", CSS_PC_LOGICAL | CSS_PC_HAS},
	{"lang", CSS_PC_LANG},
	{"checked", CSS_PC_HTML_N(1)},
	{"disabled", CSS_PC_HTML_N(2)},
	{"enabled", CSS_PC_HTML_N(3)},
	{"link", CSS_PC_HTML_N(4)},
	{"any-link", CSS_PC_HTML_N(4)},
};

/* What a selector list is parsed as: a top-level selector (scoped, may end with a
 * pseudo-element), a condition on an element (:is), a relative selector (:has). */
enum { CSS_TOP, CSS_MATCH, CSS_RELATIVE };

static int css_parse_compound(struct css_parser *p, struct css_compound *c, int nested);

/* ------------------------------------------------------------------------- */
/* Errors and output */

static int css_fail(struct css_parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int css_emit(struct css_parser *p, struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error; always -1. */
static int
css_fail(struct css_parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	if (p->err != NULL) {
		p->err->pos = pos;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
css_append(struct css_parser *p, struct buf *b, const char *s, size_t n)
{
	if (buf_append(b, s, n) == -1)
		return css_fail(p, p->pos, "the XPath would be larger than its buffer allows");
	return 0;
}

static int
css_emit(struct css_parser *p, struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (rc == -1)
		return css_fail(p, p->pos, "the XPath would be larger than its buffer allows");
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Characters */

/* The byte ahead bytes past the current one; 0 at the end. */
static int
css_peek(const struct css_parser *p, size_t ahead)
{
	size_t i = p->pos + ahead;

	return i < p->len ? (unsigned char)p->s[i] : 0;
}

static int
css_is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
css_is_newline(int c)
{
	return c == '\n' || c == '\r' || c == '\f';
}

static int
css_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
css_is_namestart(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int
css_is_namechar(int c)
{
	return css_is_namestart(c) || (c >= '0' && c <= '9') || c == '-';
}

/* A backslash that starts an escape: not followed by a line break or the end. */
static int
css_escape_at(const struct css_parser *p, size_t ahead)
{
	int c = css_peek(p, ahead + 1);

	return css_peek(p, ahead) == '\\' && c != 0 && !css_is_newline(c);
}

/* Whether an identifier starts here (CSS Syntax 3, 4.3.9). */
static int
css_ident_at(const struct css_parser *p, size_t ahead)
{
	int c = css_peek(p, ahead);

	if (c == '-') {
		c = css_peek(p, ahead + 1);
		return css_is_namestart(c) || c == '-' || css_escape_at(p, ahead + 1);
	}
	return css_is_namestart(c) || css_escape_at(p, ahead);
}

/* Whether a compound selector starts here. */
static int
css_compound_at(const struct css_parser *p)
{
	int c = css_peek(p, 0);

	return c == '*' || c == '#' || c == '.' || c == '[' || c == ':' || c == '|' ||
	       css_ident_at(p, 0);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if it is not valid UTF-8. */
static size_t
css_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xf0 && s[1] < 0x90))
		return 0; /* overlong */
	if (s[0] == 0xed && s[1] > 0x9f)
		return 0; /* surrogate */
	if (s[0] == 0xf4 && s[1] > 0x8f)
		return 0; /* past U+10FFFF */
	return len;
}

/* Decode the code point at the current position (valid UTF-8) and step over it. */
static unsigned long
css_next_cp(struct css_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s + p->pos;
	size_t n = css_utf8_len(s, p->len - p->pos);
	unsigned long cp;

	if (n <= 1) {
		p->pos++;
		return s[0];
	}
	cp = s[0] & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	p->pos += n;
	return cp;
}

static int
css_is_xml_char(unsigned long c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Append code point cp (read at pos) as UTF-8; only characters XML allows. */
static int
css_put_cp(struct css_parser *p, struct buf *b, unsigned long cp, size_t pos)
{
	char u[4];
	size_t n;

	if (!css_is_xml_char(cp))
		return css_fail(p, pos, "character U+%04lX cannot be matched in a document", cp);
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return css_append(p, b, u, n);
}

static int
css_check_utf8(struct css_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t n;

	for (size_t i = 0; i < p->len; i += n)
		if ((n = css_utf8_len(s + i, p->len - i)) == 0)
			return css_fail(p, i, "invalid UTF-8");
	return 0;
}

/* Complain about the character at the current position. */
static int
css_fail_unexpected(struct css_parser *p)
{
	size_t at = p->pos;
	int c = css_peek(p, 0);

	if (c == 0)
		return css_fail(p, at, "unexpected end of selector");
	if (c == '\\')
		return css_fail(p, at, "a backslash must escape something");
	if (c > 0x20 && c < 0x7f)
		return css_fail(p, at, "unexpected '%c'", c);
	return css_fail(p, at, "unexpected character U+%04lX", css_next_cp(p));
}

/* ------------------------------------------------------------------------- */
/* Tokens */

static int
css_skip_comment(struct css_parser *p)
{
	const char *end = strstr(p->s + p->pos + 2, "*/");

	if (end == NULL)
		return css_fail(p, p->pos, "unterminated comment");
	p->pos = (size_t)(end - p->s) + 2;
	return 0;
}

/* Skip comments.  They are not white space: "a", a comment, "b" reads "ab", not "a b". */
static int
css_skip_comments(struct css_parser *p)
{
	while (css_peek(p, 0) == '/' && css_peek(p, 1) == '*')
		if (css_skip_comment(p) == -1)
			return -1;
	return 0;
}

/* Skip white space and comments; *saw (if not NULL) says whether there was white space. */
static int
css_skip_ws(struct css_parser *p, int *saw)
{
	int any = 0;

	for (;;) {
		if (css_is_ws(css_peek(p, 0))) {
			p->pos++;
			any = 1;
		} else if (css_peek(p, 0) == '/' && css_peek(p, 1) == '*') {
			if (css_skip_comment(p) == -1)
				return -1;
		} else {
			break;
		}
	}
	if (saw != NULL)
		*saw = any;
	return 0;
}

/* At an escape (css_escape_at): step over it and return its code point. */
static unsigned long
css_read_escape(struct css_parser *p)
{
	unsigned long cp = 0;
	int digits = 0, h;

	p->pos++; /* the backslash */
	while (digits < 6 && (h = css_hex_value(css_peek(p, 0))) >= 0) {
		cp = cp * 16 + (unsigned long)h;
		p->pos++;
		digits++;
	}
	if (digits == 0)
		return css_next_cp(p);
	if (css_peek(p, 0) == '\r' && css_peek(p, 1) == '\n')
		p->pos += 2;
	else if (css_is_ws(css_peek(p, 0)))
		p->pos++;
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	return cp;
}

/* Read the name characters and escapes here (an identifier, or a hash's name). */
static int
css_read_name(struct css_parser *p, struct buf *dst)
{
	for (;;) {
		size_t at = p->pos;
		unsigned long cp;

		if (css_escape_at(p, 0))
			cp = css_read_escape(p);
		else if (css_is_namechar(css_peek(p, 0)))
			cp = css_next_cp(p);
		else
			return 0;
		if (css_put_cp(p, dst, cp, at) == -1)
			return -1;
	}
}

/* Read a quoted string here, without its quotes. */
static int
css_read_string(struct css_parser *p, struct buf *dst)
{
	size_t start = p->pos;
	int quote = css_peek(p, 0);

	p->pos++;
	for (;;) {
		size_t at = p->pos;
		int c = css_peek(p, 0);
		unsigned long cp;

		if (c == quote) {
			p->pos++;
			return 0;
		}
		if (c == 0 || css_is_newline(c) || (c == '\\' && css_peek(p, 1) == 0))
			return css_fail(p, start, "unterminated string");
		if (c == '\\' && css_is_newline(css_peek(p, 1))) {
			/* An escaped line break continues the string. */
			p->pos += css_peek(p, 1) == '\r' && css_peek(p, 2) == '\n' ? 3 : 2;
			continue;
		}
		cp = c == '\\' ? css_read_escape(p) : css_next_cp(p);
		if (css_put_cp(p, dst, cp, at) == -1)
			return -1;
	}
}

static void
css_lower(struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] >= 'A' && b->data[i] <= 'Z')
			b->data[i] = (char)(b->data[i] - 'A' + 'a');
}

/* Read an identifier here (css_ident_at) into dst, lower-cased if lower. */
static int
css_read_ident(struct css_parser *p, struct buf *dst, int lower)
{
	buf_reset(dst);
	if (css_read_name(p, dst) == -1)
		return -1;
	if (lower)
		css_lower(dst);
	return 0;
}

/* Whether the identifier here is keyword (ASCII case-insensitive); steps over it if so. */
static int
css_keyword(struct css_parser *p, const char *keyword)
{
	size_t n = strlen(keyword);

	for (size_t i = 0; i < n; i++) {
		int c = css_peek(p, i);

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (c != keyword[i])
			return 0;
	}
	if (css_is_namechar(css_peek(p, n)) || css_escape_at(p, n))
		return 0;
	p->pos += n;
	return 1;
}

/* Read unsigned decimal digits here into *v; returns how many, or -1 when too large. */
static int
css_read_digits(struct css_parser *p, long long *v)
{
	size_t at = p->pos;
	int n = 0;

	*v = 0;
	while (css_peek(p, 0) >= '0' && css_peek(p, 0) <= '9') {
		*v = *v * 10 + (css_peek(p, 0) - '0');
		if (*v > CSS_MAX_NUMBER)
			return css_fail(p, at, "number too large (the most is %lld)",
					CSS_MAX_NUMBER);
		p->pos++;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------------- */
/* XPath pieces */

/* An XPath string literal for s (n bytes, NUL-terminated): '...', "...", or concat()
 * when s has both quotes. */
static int
css_put_literal(struct css_parser *p, struct buf *b, const char *s, size_t n)
{
	const char *sep = "";
	size_t i = 0, run;

	if (n == 0)
		return css_emit(p, b, "''");
	if (memchr(s, '\'', n) == NULL)
		return css_emit(p, b, "'%.*s'", (int)n, s);
	if (memchr(s, '"', n) == NULL)
		return css_emit(p, b, "\"%.*s\"", (int)n, s);
	if (css_emit(p, b, "concat(") == -1)
		return -1;
	while (i < n) {
		/* Alternate runs without ' (quoted with ') and runs of ' (quoted with "). */
		if (s[i] == '\'') {
			for (run = 0; i + run < n && s[i + run] == '\''; run++)
				;
			if (css_emit(p, b, "%s\"%.*s\"", sep, (int)run, s + i) == -1)
				return -1;
		} else {
			run = strcspn(s + i, "'");
			if (css_emit(p, b, "%s'%.*s'", sep, (int)run, s + i) == -1)
				return -1;
		}
		i += run;
		sep = ", ";
	}
	return css_emit(p, b, ")");
}

/* Whether XPath can write name as a name test as it is. */
static int
css_is_safe_name(const struct buf *name)
{
	const char *s = buf_str(name);

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       name->len;
}

/* A name test for element (prefix "") or attribute (prefix "@") name. */
static int
css_put_name(struct css_parser *p, struct buf *b, const char *prefix, const struct buf *name)
{
	if (css_is_safe_name(name))
		return css_emit(p, b, "%s%s", prefix, buf_str(name));
	if (css_emit(p, b, "%s*[name() = ", prefix) == -1 ||
	    css_put_literal(p, b, name->data, name->len) == -1)
		return -1;
	return css_emit(p, b, "]");
}

/* Append the predicate [before 'value' after] to c. */
static int
css_put_pred(struct css_parser *p, struct css_compound *c, const char *before, const char *value,
	     size_t n, const char *after)
{
	c->npreds++;
	if (css_emit(p, &c->step, "[%s", before) == -1 ||
	    css_put_literal(p, &c->step, value, n) == -1)
		return -1;
	return css_emit(p, &c->step, "%s]", after);
}

/* Whether s holds XML white space (which splits a whitespace-separated list). */
static int
css_has_space(const struct buf *s)
{
	return s->len > 0 && strcspn(s->data, " \t\r\n") < s->len;
}

/* Note condition kind on attribute name (a safe name) with value (NULL: none) for
 * matching without XPath; memory running out only loses the plan. */
static void
css_native_cond(struct css_compound *c, enum css_ncond_kind kind, const char *name,
		const char *value)
{
	struct css_ncomp *n = &c->native;
	struct css_ncond *k;

	if (c->bad)
		return;
	if (n->ncond == n->ccond) {
		size_t cap = n->ccond ? n->ccond * 2 : 4;
		if ((k = realloc(n->cond, cap * sizeof *k)) == NULL) {
			c->bad = 1;
			return;
		}
		n->cond = k;
		n->ccond = cap;
	}
	k = &n->cond[n->ncond];
	k->kind = kind;
	k->name = strdup(name);
	k->value = value != NULL ? strdup(value) : NULL;
	if (k->name == NULL || (value != NULL && k->value == NULL)) {
		free(k->name);
		free(k->value);
		c->bad = 1;
		return;
	}
	n->ncond++;
}

/* ------------------------------------------------------------------------- */
/* Simple selectors: type, #id, .class, [attribute] */

#define CSS_NO_PREFIX_MSG                                                                     \
	"namespace prefixes (ns|name) need an @namespace rule, which rule files cannot declare; " \
	"write *|name or name"

/*
 * A namespace prefix before a type or an attribute name: "*|" (any namespace) is as if
 * there were none; "|" (no namespace) is returned in *none; "ns|" is refused, since
 * only a style sheet's @namespace rule can declare ns.
 */
static int
css_parse_ns_prefix(struct css_parser *p, int *none)
{
	*none = 0;
	if (css_peek(p, 0) == '*' && css_peek(p, 1) == '|' && css_peek(p, 2) != '=') {
		p->pos += 2;
	} else if (css_peek(p, 0) == '|' && css_peek(p, 1) != '=') {
		p->pos++;
		*none = 1;
	} else {
		return 0;
	}
	if (css_peek(p, 0) != '*' && !css_ident_at(p, 0))
		return css_fail(p, p->pos, "expected a name after '|'");
	return 0;
}

/* A type selector (or *), with its namespace prefix.  Every element of an HTML
 * document is in a namespace (HTML's, SVG's or MathML's), so "|p" matches none. */
static int
css_parse_type(struct css_parser *p, struct css_compound *c)
{
	struct buf name;
	int rc, none;

	if ((rc = css_parse_ns_prefix(p, &none)) == -1)
		return -1;
	if (css_peek(p, 0) == '*') {
		p->pos++;
	} else if (css_ident_at(p, 0)) {
		buf_init(&name, p->max);
		buf_reset(&c->type);
		rc = css_read_ident(p, &name, 1);
		if (rc == 0)
			rc = css_put_name(p, &c->type, "", &name);
		if (rc == 0 && !c->bad) {
			/* a name XPath cannot spell is a predicate npreds does not count */
			if (!css_is_safe_name(&name) || (c->native.type = strdup(name.data)) == NULL)
				c->bad = 1;
		}
		buf_free(&name);
		c->has_type = 1;
	}
	if (rc == 0 && css_peek(p, 0) == '|' && css_peek(p, 1) != '=')
		rc = css_fail(p, p->pos, CSS_NO_PREFIX_MSG);
	if (rc == 0)
		rc = css_emit(p, &c->step, "%s", c->has_type ? buf_str(&c->type) : "*");
	if (rc == 0 && none) {
		c->npreds++;
		rc = css_emit(p, &c->step, "[false()]");
	}
	return rc;
}

static int
css_parse_hash(struct css_parser *p, struct css_compound *c)
{
	struct buf id;
	int rc;

	p->pos++;
	if (!css_is_namechar(css_peek(p, 0)) && !css_escape_at(p, 0))
		return css_fail(p, p->pos, "expected a name after '#'");
	buf_init(&id, p->max);
	rc = css_read_name(p, &id);
	if (rc == 0)
		rc = css_put_pred(p, c, "@id = ", id.data, id.len, "");
	if (rc == 0)
		css_native_cond(c, CSS_NC_ID, "id", id.data);
	buf_free(&id);
	return rc;
}

static int
css_parse_class(struct css_parser *p, struct css_compound *c)
{
	struct buf name, word;
	int rc;

	p->pos++;
	if (!css_ident_at(p, 0))
		return css_fail(p, p->pos, "expected a class name after '.'");
	buf_init(&name, p->max);
	buf_init(&word, p->max);
	rc = css_read_name(p, &name);
	if (rc == 0 && css_has_space(&name)) {
		/* An escaped space: no word of a class list holds one. */
		c->npreds++;
		rc = css_emit(p, &c->step, "[false()]");
	} else if (rc == 0) {
		rc = css_emit(p, &word, " %s ", name.data);
		if (rc == 0)
			rc = css_put_pred(p, c,
					  "contains(concat(' ', normalize-space(@class), ' '), ",
					  word.data, word.len, ")");
		if (rc == 0)
			css_native_cond(c, CSS_NC_CLASS, "class", name.data);
	}
	buf_free(&word);
	buf_free(&name);
	return rc;
}

/* The name in [name...], as "@name" (or "@*[name() = '...']") into ref. */
static int
css_parse_attrib_name(struct css_parser *p, struct buf *ref)
{
	struct buf name;
	int rc;

	if (css_skip_ws(p, NULL) == -1)
		return -1;
	/* Attributes of HTML elements are in no namespace: [|a] and [*|a] are [a]. */
	if (css_peek(p, 0) == '|' && css_peek(p, 1) != '=')
		p->pos++;
	else if (css_peek(p, 0) == '*' && css_peek(p, 1) == '|' && css_peek(p, 2) != '=')
		p->pos += 2;
	if (!css_ident_at(p, 0))
		return css_fail(p, p->pos, "expected an attribute name after '['");
	buf_init(&name, p->max);
	rc = css_read_ident(p, &name, 1);
	if (rc == 0 && css_peek(p, 0) == '|' && css_peek(p, 1) != '=')
		rc = css_fail(p, p->pos, CSS_NO_PREFIX_MSG);
	if (rc == 0)
		rc = css_put_name(p, ref, "@", &name);
	buf_free(&name);
	if (rc == 0)
		rc = css_skip_ws(p, NULL);
	return rc;
}

/* The rest of [name op value flag]: *op is '=' or the first byte of ~= |= ^= $= *=. */
static int
css_parse_attrib_match(struct css_parser *p, int *op, struct buf *value, int *icase)
{
	size_t at = p->pos;
	int c = css_peek(p, 0), oplen = 2;

	if (c == '=') {
		p->pos++;
		oplen = 1;
	} else if (c != 0 && strchr("~|^$*", c) != NULL && css_peek(p, 1) == '=') {
		p->pos += 2;
	} else {
		return css_fail(p, at,
				"expected ']' or an attribute operator (=, ~=, |=, ^=, $=, *=)");
	}
	*op = c;
	if (css_skip_ws(p, NULL) == -1)
		return -1;
	c = css_peek(p, 0);
	if (c == '"' || c == '\'') {
		if (css_read_string(p, value) == -1)
			return -1;
	} else if (css_ident_at(p, 0)) {
		if (css_read_ident(p, value, 0) == -1)
			return -1;
	} else if (c >= '0' && c <= '9') {
		return css_fail(p, p->pos, "a value that starts with a digit must be quoted, "
					   "e.g. [colspan=\"2\"]");
	} else {
		return css_fail(p, p->pos, "expected a quoted string or an identifier after '%.*s'",
				oplen, p->s + at);
	}
	if (css_skip_ws(p, NULL) == -1)
		return -1;
	at = p->pos;
	if (css_keyword(p, "i"))
		*icase = 1;
	else if (css_keyword(p, "s"))
		*icase = 0;
	else if (css_ident_at(p, 0))
		return css_fail(p, at, "unknown attribute flag (expected i or s)");
	return css_skip_ws(p, NULL);
}

/* An XPath literal for pre value post. */
static int
css_put_literal3(struct css_parser *p, struct buf *b, const char *pre, const struct buf *value,
		 const char *post)
{
	struct buf t;
	int rc;

	buf_init(&t, p->max);
	rc = css_emit(p, &t, "%s%s%s", pre, buf_str(value), post);
	if (rc == 0)
		rc = css_put_literal(p, b, t.data, t.len);
	buf_free(&t);
	return rc;
}

/* Characters (code points) in s. */
static size_t
css_utf8_count(const struct buf *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->len; i++)
		n += ((unsigned char)s->data[i] & 0xc0) != 0x80;
	return n;
}

/*
 * The condition [s op v] for the attribute's string value s, as CSS 3 defines it: an
 * empty v matches nothing for ~= ^= $= *=, and for ~= neither does a v with white space.
 * XPath 1.0 has no ends-with: $= compares the last string-length(v) characters.
 */
static int
css_put_attrib_cond(struct css_parser *p, struct buf *b, int op, const char *s,
		    const struct buf *v)
{
	const char *pre = "", *post = "", *close = "";
	int rc = 0;

	if ((v->len == 0 && op != '=' && op != '|') || (op == '~' && css_has_space(v)))
		return css_emit(p, b, "false()");
	switch (op) {
	case '=':
		rc = css_emit(p, b, "%s = ", s);
		break;
	case '~':
		rc = css_emit(p, b, "contains(concat(' ', normalize-space(%s), ' '), ", s);
		pre = post = " ";
		close = ")";
		break;
	case '|':
		rc = css_emit(p, b, "%s = ", s);
		if (rc == 0)
			rc = css_put_literal3(p, b, "", v, "");
		if (rc == 0)
			rc = css_emit(p, b, " or starts-with(%s, ", s);
		post = "-";
		close = ")";
		break;
	case '^':
	case '*':
		rc = css_emit(p, b, "%s(%s, ", op == '^' ? "starts-with" : "contains", s);
		close = ")";
		break;
	case '$':
		rc = css_emit(p, b, "substring(%s, string-length(%s) - %zu) = ", s, s,
			      css_utf8_count(v) - 1);
		break;
	}
	if (rc == 0)
		rc = css_put_literal3(p, b, pre, v, post);
	return rc == 0 ? css_emit(p, b, "%s", close) : -1;
}

/* Append the predicate for [ref] or [ref op value], ASCII case-insensitive if icase. */
static int
css_put_attrib(struct css_parser *p, struct css_compound *c, const char *ref, int op,
	       struct buf *value, int icase)
{
	struct buf s;
	int rc;

	c->npreds++;
	/* ref is "@name" for a name XPath spells as it is, else "@*[name() = ...]" */
	if (op == 0 && strchr(ref, '[') == NULL)
		css_native_cond(c, CSS_NC_HAS, ref + 1, NULL);
	if (op == 0)
		return css_emit(p, &c->step, "[%s]", ref);
	buf_init(&s, p->max);
	if (icase) {
		/* translate() of a missing attribute is '', so test that it is there. */
		css_lower(value);
		rc = css_emit(p, &s, "translate(%s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
				     "'abcdefghijklmnopqrstuvwxyz')", ref);
		if (rc == 0)
			rc = css_emit(p, &c->step, "[%s and (", ref);
	} else {
		rc = css_emit(p, &s, "%s", ref);
		if (rc == 0)
			rc = css_emit(p, &c->step, "[");
	}
	if (rc == 0)
		rc = css_put_attrib_cond(p, &c->step, op, s.data, value);
	if (rc == 0)
		rc = css_emit(p, &c->step, icase ? ")]" : "]");
	if (rc == 0 && op == '=' && strchr(ref, '[') == NULL)
		css_native_cond(c, icase ? CSS_NC_EQ_ICASE : CSS_NC_EQ, ref + 1,
				value->len > 0 ? value->data : "");
	buf_free(&s);
	return rc;
}

/*
 * Whether the HTML standard makes values of the attribute ref ("@type") match ASCII
 * case-insensitively when the selector has no flag ([type=TEXT] matches type=text).
 */
static int
css_html_icase_attr(const char *ref)
{
	static const char *const names[] = {
		"accept",   "accept-charset", "align",	  "alink",    "axis",	  "bgcolor",
		"charset",  "checked",	      "clear",	  "codetype", "color",	  "compact",
		"declare",  "defer",	      "dir",	  "direction", "disabled", "enctype",
		"face",	    "frame",	      "hreflang", "http-equiv", "lang",	  "language",
		"link",	    "media",	      "method",	  "multiple", "nohref",	  "noresize",
		"noshade",  "nowrap",	      "readonly", "rel",      "rev",	  "rules",
		"scope",    "scrolling",      "selected", "shape",    "target",	  "text",
		"type",	    "valign",	      "valuetype", "vlink",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(ref + 1, names[i]) == 0)
			return 1;
	return 0;
}

/* An attribute selector, from its '['. */
static int
css_parse_attrib(struct css_parser *p, struct css_compound *c)
{
	struct buf ref, value;
	int op = 0, icase = -1, rc;

	p->pos++;
	buf_init(&ref, p->max);
	buf_init(&value, p->max);
	rc = css_parse_attrib_name(p, &ref);
	if (rc == 0 && css_peek(p, 0) != ']')
		rc = css_parse_attrib_match(p, &op, &value, &icase);
	if (rc == 0 && css_peek(p, 0) != ']')
		rc = css_fail(p, p->pos, "expected ']'");
	if (rc == 0) {
		p->pos++;
		if (icase == -1)
			icase = css_html_icase_attr(ref.data);
		rc = css_put_attrib(p, c, ref.data, op, &value, icase);
	}
	buf_free(&value);
	buf_free(&ref);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Pseudo-classes */

/* The signed offset after the n of an+b ("+ 1", "-3"), if there is one. */
static int
css_parse_anb_offset(struct css_parser *p, long long *b)
{
	long long v;
	int sign, n;

	*b = 0;
	if (css_skip_ws(p, NULL) == -1)
		return -1;
	sign = css_peek(p, 0);
	if (sign != '+' && sign != '-')
		return 0;
	p->pos++;
	if (css_skip_ws(p, NULL) == -1 || (n = css_read_digits(p, &v)) == -1)
		return -1;
	if (n == 0)
		return css_fail(p, p->pos, "expected a number after '%c'", sign);
	*b = sign == '-' ? -v : v;
	return 0;
}

/*
 * an+b (CSS Syntax 3, 6): odd, even, an integer, or [+-]?[digits]n with an optional
 * "+ b" or "- b".  The sign of a sticks to it ("- n" is wrong); around b's sign there
 * may be white space.
 */
static int
css_parse_anb(struct css_parser *p, long long *a, long long *b)
{
	size_t at = p->pos;
	long long v;
	int sign = 1, n;

	if (css_keyword(p, "odd") || css_keyword(p, "even")) {
		*a = 2;
		*b = p->s[at] == 'o' || p->s[at] == 'O';
		return 0;
	}
	if (css_peek(p, 0) == '+' || css_peek(p, 0) == '-') {
		sign = css_peek(p, 0) == '-' ? -1 : 1;
		p->pos++;
	}
	if ((n = css_read_digits(p, &v)) == -1)
		return -1;
	if (css_peek(p, 0) != 'n' && css_peek(p, 0) != 'N') {
		if (n == 0)
			return css_fail(p, at, "expected an+b, 'odd' or 'even'");
		*a = 0;
		*b = sign * v;
		return 0;
	}
	p->pos++;
	*a = sign * (n > 0 ? v : 1);
	return css_parse_anb_offset(p, b);
}

/*
 * The condition that an element whose siblings sib (e.g. "preceding-sibling::*") number
 * count(sib) has index i = count(sib) + 1 = a*k + b for some k >= 0.  Bounds on the
 * count are written as positional tests, "sib[n]" (there are at least n), which libxml2
 * answers by walking n siblings instead of counting them all.
 */
static int
css_put_nth(struct css_parser *p, struct buf *out, const char *sib, long long a, long long b)
{
	long long m = a < 0 ? -a : a, k;
	const char *join = "";

	if ((a == 0 || a < 0) && b < 1)
		return css_emit(p, out, "false()");
	if (a == 0 && b == 1)
		return css_emit(p, out, "not(%s[1])", sib);
	if (a == 0)
		return css_emit(p, out, "%s[%lld] and not(%s[%lld])", sib, b - 1, sib, b);
	if (a > 0 && b > 1) {
		if (css_emit(p, out, "%s[%lld]", sib, b - 1) == -1)
			return -1;
		join = " and ";
	} else if (a < 0) {
		if (css_emit(p, out, "not(%s[%lld])", sib, b) == -1)
			return -1;
		join = " and ";
	}
	if (m == 1)
		return *join != '\0' ? 0 : css_emit(p, out, "true()");
	/* i = b (mod m), i.e. count(sib) + 1 - b = 0 (mod m). */
	k = ((1 - b) % m + m) % m;
	if (k == 0)
		return css_emit(p, out, "%scount(%s) mod %lld = 0", join, sib, m);
	return css_emit(p, out, "%s(count(%s) + %lld) mod %lld = 0", join, sib, k, m);
}

/*
 * The condition that the element is number i = N + 1 = a*k + b (k >= 0) among the
 * siblings it counts, N being the number expression count (for *-of-type without a
 * type: css-before-of-type() and css-after-of-type(), see css_xpath_register).
 */
static int
css_put_nth_count(struct css_parser *p, struct buf *out, const char *count, long long a,
		  long long b)
{
	long long m = a < 0 ? -a : a, k;

	if (a <= 0 && b < 1)
		return css_emit(p, out, "false()");
	if (a == 0)
		return css_emit(p, out, "%s = %lld", count, b - 1);
	if (css_emit(p, out, "%s %s %lld", count, a > 0 ? ">=" : "<=", b - 1) == -1)
		return -1;
	if (m == 1)
		return 0;
	k = ((1 - b) % m + m) % m;
	return css_emit(p, out, " and (%s + %lld) mod %lld = 0", count, k, m);
}

/* The siblings a pseudo-class with flags counts ("preceding-sibling::li"), or with
 * *-of-type and no type the number of them ("css-before-of-type()"); *count says
 * which. */
static int
css_put_siblings(struct css_parser *p, struct buf *b, const struct css_compound *c, int flags,
		 int *count)
{
	int before = (flags & CSS_PC_BEFORE) != 0;

	*count = (flags & CSS_PC_OFTYPE) && c->type.len == 0;
	if (*count)
		return css_emit(p, b, "css-%s-of-type()", before ? "before" : "after");
	return css_emit(p, b, "%s-sibling::%s", before ? "preceding" : "following",
			flags & CSS_PC_OFTYPE ? buf_str(&c->type) : "*");
}

static int css_parse_selector_list(struct css_parser *p, struct buf *out, int mode);

/* :nth-child(an+b) and the like, from after the '('; for nth-child and
 * nth-last-child also "an+b of S": counted among the siblings that match S. */
static int
css_parse_nth(struct css_parser *p, struct css_compound *c, int flags)
{
	struct buf sib, of;
	long long a = 0, b = 0;
	int rc, count;

	if (css_skip_ws(p, NULL) == -1 || css_parse_anb(p, &a, &b) == -1 ||
	    css_skip_ws(p, NULL) == -1)
		return -1;
	buf_init(&of, p->max);
	buf_init(&sib, p->max);
	c->npreds++;
	rc = 0;
	if (!(flags & CSS_PC_OFTYPE) && p->pos > 0 && css_is_ws(p->s[p->pos - 1]) &&
	    css_keyword(p, "of")) {
		if (p->depth >= CSS_MAX_DEPTH)
			rc = css_fail(p, p->pos, "functional pseudo-classes nested more than %d deep",
				      CSS_MAX_DEPTH);
		p->depth++;
		if (rc == 0 && (css_skip_ws(p, NULL) == -1 ||
				css_parse_selector_list(p, &of, CSS_MATCH) == -1))
			rc = -1;
		p->depth--;
	} else if (css_peek(p, 0) != ')') {
		rc = css_fail(p, p->pos, "expected ')'");
	} else {
		p->pos++;
	}
	if (rc == 0)
		rc = css_put_siblings(p, &sib, c, flags, &count);
	if (rc == 0 && of.len > 0)
		rc = css_emit(p, &sib, "[%s]", of.data);
	if (rc == 0)
		rc = css_emit(p, &c->step, of.len > 0 ? "[(%s) and " : "[", of.data);
	if (rc == 0 && count)
		rc = css_put_nth_count(p, &c->step, sib.data, a, b);
	else if (rc == 0)
		rc = css_put_nth(p, &c->step, sib.data, a, b);
	if (rc == 0)
		rc = css_emit(p, &c->step, "]");
	buf_free(&sib);
	buf_free(&of);
	return rc;
}

/* :first-child and the like: there are no such siblings before and/or after ("[1]":
 * libxml2 stops at the first it finds). */
static int
css_put_no_siblings(struct css_parser *p, struct css_compound *c, int flags)
{
	static const int sides[] = {CSS_PC_BEFORE, CSS_PC_AFTER};
	const char *join = "";
	int rc = 0, count;

	c->npreds++;
	if (css_emit(p, &c->step, "[") == -1)
		return -1;
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		int side = (flags & ~(CSS_PC_BEFORE | CSS_PC_AFTER)) | sides[i];
		struct buf sib;

		if (!(flags & sides[i]))
			continue;
		buf_init(&sib, p->max);
		rc = css_put_siblings(p, &sib, c, side, &count);
		if (rc == 0)
			rc = css_emit(p, &c->step, count ? "%s%s = 0" : "%snot(%s[1])", join,
				      sib.data);
		buf_free(&sib);
		join = " and ";
	}
	return rc == 0 ? css_emit(p, &c->step, "]") : -1;
}

static void
css_compound_init(struct css_compound *c, size_t max)
{
	buf_init(&c->step, max);
	buf_init(&c->type, max);
	buf_init(&c->attr, max);
	c->has_type = 0;
	c->npreds = 0;
	c->pe = CSS_PE_NONE;
	memset(&c->native, 0, sizeof c->native);
	c->bad = 0;
}

static void
css_compound_free(struct css_compound *c)
{
	buf_free(&c->step);
	buf_free(&c->type);
	buf_free(&c->attr);
	for (size_t i = 0; i < c->native.ncond; i++) {
		free(c->native.cond[i].name);
		free(c->native.cond[i].value);
	}
	free(c->native.cond);
	free(c->native.type);
}

/* :not(S), :is(S), :where(S), :has(R): a selector list as a condition, from after the
 * '('.  :has() takes relative selectors and may not hold another :has(). */
static int
css_parse_logical(struct css_parser *p, struct css_compound *c, int flags, size_t at)
{
	struct buf cond;
	int rc, mode = flags & CSS_PC_HAS ? CSS_RELATIVE : CSS_MATCH;

	if (p->depth >= CSS_MAX_DEPTH)
		return css_fail(p, at, "functional pseudo-classes nested more than %d deep",
				CSS_MAX_DEPTH);
	if ((flags & CSS_PC_HAS) && p->in_has)
		return css_fail(p, at, ":has() cannot be nested inside :has()");
	buf_init(&cond, p->max);
	p->depth++;
	p->in_has += (flags & CSS_PC_HAS) != 0;
	rc = css_parse_selector_list(p, &cond, mode);
	p->in_has -= (flags & CSS_PC_HAS) != 0;
	p->depth--;
	c->npreds++;
	if (rc == 0)
		rc = css_emit(p, &c->step, flags & CSS_PC_NOT ? "[not(%s)]" : "[%s]", cond.data);
	buf_free(&cond);
	return rc;
}

/* A language range in :lang(): an identifier or a string, lower-cased. */
static int
css_parse_lang_range(struct css_parser *p, struct buf *range)
{
	if (css_skip_ws(p, NULL) == -1)
		return -1;
	if (css_peek(p, 0) == '"' || css_peek(p, 0) == '\'') {
		if (css_read_string(p, range) == -1)
			return -1;
		css_lower(range);
	} else if (css_ident_at(p, 0)) {
		if (css_read_ident(p, range, 1) == -1)
			return -1;
	} else {
		return css_fail(p, p->pos, "expected a language inside :lang(), e.g. :lang(en)");
	}
	return css_skip_ws(p, NULL);
}

#define CSS_LOWER_LANG                                                                          \
	"translate(@lang, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

/* :lang(en, "de-CH"): the nearest lang attribute (the element's own or an ancestor's)
 * is the range or starts with it and '-', ignoring ASCII case.  From after the '('. */
static int
css_parse_lang(struct css_parser *p, struct css_compound *c)
{
	struct buf range, dash;
	const char *join = "";
	int rc = 0;

	c->npreds++;
	if (css_emit(p, &c->step, "[ancestor-or-self::*[@lang][1][") == -1)
		return -1;
	buf_init(&range, p->max);
	buf_init(&dash, p->max);
	for (;;) {
		buf_reset(&range);
		buf_reset(&dash);
		if ((rc = css_parse_lang_range(p, &range)) == -1)
			break;
		rc = css_emit(p, &c->step, "%s" CSS_LOWER_LANG " = ", join);
		if (rc == 0)
			rc = css_put_literal(p, &c->step, range.data, range.len);
		if (rc == 0)
			rc = css_emit(p, &c->step, " or starts-with(" CSS_LOWER_LANG ", ");
		if (rc == 0)
			rc = css_put_literal3(p, &c->step, "", &range, "-");
		if (rc == 0)
			rc = css_emit(p, &c->step, ")");
		join = " or ";
		if (rc == -1 || css_peek(p, 0) == ')')
			break;
		if (css_peek(p, 0) != ',') {
			rc = css_fail(p, p->pos, "expected ')'");
			break;
		}
		p->pos++;
	}
	buf_free(&range);
	buf_free(&dash);
	if (rc == -1)
		return -1;
	p->pos++;
	return css_emit(p, &c->step, "]]");
}

/* The value of the type attribute in lower case (HTML compares it so). */
#define CSS_LOWER_TYPE "translate(@type, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

/* Options not disabled themselves or by their optgroup. */
#define CSS_OPTION_ENABLED "not(@disabled) and not(parent::optgroup[@disabled])"

/*
 * The conditions of the pseudo-classes that depend on what the HTML standard says of
 * form controls and links.  A <select> without multiple and size > 1 has one option
 * checked: the last with selected, else the first that is not disabled.
 */
static const char *const css_html_conditions[] = {
	[0] = "",
	/* :checked */
	[1] = "(self::input and @checked and (" CSS_LOWER_TYPE " = 'checkbox' or "
	      CSS_LOWER_TYPE " = 'radio')) or (self::option and ("
	      "(not(ancestor::select[1][not(@multiple) and not(@size > 1)]) and @selected) or "
	      "(ancestor::select[1][not(@multiple) and not(@size > 1)] and ("
	      "(@selected and count(preceding::option[@selected]) - "
	      "count(ancestor::select[1]/preceding::option[@selected]) + 1 = "
	      "count(ancestor::select[1]//option[@selected])) or "
	      "(not(ancestor::select[1]//option[@selected]) and " CSS_OPTION_ENABLED " and "
	      "count(preceding::option[" CSS_OPTION_ENABLED "]) = "
	      "count(ancestor::select[1]/preceding::option[" CSS_OPTION_ENABLED "]))))))",
	/* :disabled */
	[2] = "((self::button or self::input or self::select or self::textarea or "
	      "self::fieldset) and (@disabled or ancestor-or-self::*[parent::fieldset[@disabled]]"
	      "[not(self::legend and not(preceding-sibling::legend))])) or "
	      "(self::optgroup and @disabled) or (self::option and not(" CSS_OPTION_ENABLED "))",
	/* :enabled */
	[3] = "((self::button or self::input or self::select or self::textarea or "
	      "self::fieldset) and not(@disabled or ancestor-or-self::*[parent::fieldset[@disabled]]"
	      "[not(self::legend and not(preceding-sibling::legend))])) or "
	      "(self::optgroup and not(@disabled)) or (self::option and " CSS_OPTION_ENABLED ")",
	/* :link, :any-link */
	[4] = "(self::a or self::area) and @href",
};

/* Check that pseudo-class pc (named name, at at, func if it has '(') can apply to c. */
static int
css_check_pseudo_class(struct css_parser *p, const struct css_pseudo_class *pc,
		       const char *name, int func, size_t at)
{
	int wants_arg;

	if (pc == NULL)
		return css_fail(p, at, "unknown pseudo-class ':%.60s%s'", name, func ? "()" : "");
	wants_arg = (pc->flags & (CSS_PC_NTH | CSS_PC_LOGICAL | CSS_PC_LANG)) != 0;
	if (wants_arg && !func)
		return css_fail(p, at, "':%s' needs an argument, e.g. :%s", name,
				pc->flags & CSS_PC_LOGICAL ? "not(.ad)"
				: pc->flags & CSS_PC_LANG  ? "lang(en)"
							   : "nth-child(2n+1)");
	if (!wants_arg && func)
		return css_fail(p, at, "':%s' takes no argument", name);
	return 0;
}

static int
css_apply_pseudo_class(struct css_parser *p, struct css_compound *c,
		       const struct css_pseudo_class *pc, size_t at)
{
	if (pc->flags & CSS_PC_LOGICAL)
		return css_parse_logical(p, c, pc->flags, at);
	if (pc->flags & CSS_PC_NTH)
		return css_parse_nth(p, c, pc->flags);
	if (pc->flags & CSS_PC_LANG)
		return css_parse_lang(p, c);
	if (pc->flags & CSS_PC_HTML) {
		c->npreds++;
		return css_emit(p, &c->step, "[%s]", css_html_conditions[pc->flags >> 12]);
	}
	if (pc->flags & (CSS_PC_EMPTY | CSS_PC_ROOT)) {
		c->npreds++;
		return css_emit(p, &c->step, "[%s]",
				pc->flags & CSS_PC_EMPTY ? "not(*) and not(string-length())"
							 : "not(parent::*)");
	}
	return css_put_no_siblings(p, c, pc->flags);
}

/* A pseudo-class, from its ':'. */
static int
css_parse_pseudo_class(struct css_parser *p, struct css_compound *c)
{
	const struct css_pseudo_class *pc = NULL;
	struct buf name;
	size_t at = p->pos;
	int func, rc;

	p->pos++;
	if (!css_ident_at(p, 0))
		return css_fail(p, p->pos, "expected a pseudo-class name after ':'");
	buf_init(&name, p->max);
	rc = css_read_ident(p, &name, 1);
	func = css_peek(p, 0) == '(';
	for (size_t i = 0; rc == 0 && pc == NULL && i < sizeof css_pseudo_classes /
							     sizeof css_pseudo_classes[0];
	     i++)
		if (strcmp(name.data, css_pseudo_classes[i].name) == 0)
			pc = &css_pseudo_classes[i];
	if (rc == 0)
		rc = css_check_pseudo_class(p, pc, name.data, func, at);
	buf_free(&name);
	if (rc == -1)
		return -1;
	p->pos += func;
	return css_apply_pseudo_class(p, c, pc, at);
}

/* ------------------------------------------------------------------------- */
/* Pseudo-elements, compounds, selectors */

/* The argument of ::attr(name), from after the '('. */
static int
css_parse_attr_arg(struct css_parser *p, struct css_compound *c)
{
	struct buf name;
	int rc = css_skip_ws(p, NULL);

	buf_init(&name, p->max);
	if (rc == 0 && (css_peek(p, 0) == '"' || css_peek(p, 0) == '\'')) {
		rc = css_read_string(p, &name);
		css_lower(&name);
	} else if (rc == 0 && css_ident_at(p, 0)) {
		rc = css_read_ident(p, &name, 1);
	}
	if (rc == 0 && name.len == 0)
		rc = css_fail(p, p->pos, "expected an attribute name inside ::attr()");
	if (rc == 0)
		rc = css_skip_ws(p, NULL);
	if (rc == 0 && css_peek(p, 0) != ')')
		rc = css_fail(p, p->pos, "expected ')'");
	if (rc == 0) {
		p->pos++;
		rc = css_put_name(p, &c->attr, "@", &name);
	}
	buf_free(&name);
	return rc;
}

/* Pseudo-element name (lower-cased, read from at) applies to c. */
static int
css_apply_pseudo_element(struct css_parser *p, struct css_compound *c, const char *name,
			 size_t at)
{
	int func = css_peek(p, 0) == '(';

	if (strcmp(name, "text") == 0 && !func) {
		c->pe = CSS_PE_TEXT;
		return 0;
	}
	if (strcmp(name, "attr") == 0 && func) {
		p->pos++;
		c->pe = CSS_PE_ATTR;
		return css_parse_attr_arg(p, c);
	}
	if (strcmp(name, "text") == 0)
		return css_fail(p, at, "'::text' takes no argument");
	if (strcmp(name, "attr") == 0)
		return css_fail(p, at, "'::attr' needs an attribute name, e.g. ::attr(href)");
	return css_fail(p, at, "unknown pseudo-element '::%.60s%s'", name, func ? "()" : "");
}

/* ::text or ::attr(name), from its '::'. */
static int
css_parse_pseudo_element(struct css_parser *p, struct css_compound *c)
{
	struct buf name;
	size_t at = p->pos;
	int rc;

	p->pos += 2;
	if (!css_ident_at(p, 0))
		return css_fail(p, p->pos, "expected a pseudo-element name after '::'");
	buf_init(&name, p->max);
	rc = css_read_ident(p, &name, 1);
	if (rc == 0)
		rc = css_apply_pseudo_element(p, c, name.data, at);
	buf_free(&name);
	return rc;
}

/* A compound selector (css_compound_at): its type, then #id .class [attr] :pseudo, and
 * outside a pseudo-class's argument (nested) a pseudo-element to end it. */
static int
css_parse_compound(struct css_parser *p, struct css_compound *c, int nested)
{
	int rc;

	if (css_parse_type(p, c) == -1)
		return -1;
	for (;;) {
		if (css_skip_comments(p) == -1)
			return -1;
		switch (css_peek(p, 0)) {
		case '#':
			rc = css_parse_hash(p, c);
			break;
		case '.':
			rc = css_parse_class(p, c);
			break;
		case '[':
			rc = css_parse_attrib(p, c);
			break;
		case ':':
			if (css_peek(p, 1) != ':') {
				rc = css_parse_pseudo_class(p, c);
				break;
			}
			if (nested)
				return css_fail(p, p->pos,
						"pseudo-elements are not allowed inside a "
						"pseudo-class's parentheses");
			return css_parse_pseudo_element(p, c);
		default:
			return 0;
		}
		if (rc == -1)
			return -1;
	}
}

/*
 * Write compound c behind the axis its combinator calls for, and its pseudo-element.
 * Scrapy reads a bare "::text" (no type, no condition) after white space or at the
 * start as every text node inside, the left-hand element's own included, and a bare
 * "::attr(x)" after white space as the attribute of the left-hand element and of every
 * element inside it; so do we.
 */
static int
css_put_step(struct css_parser *p, struct buf *out, enum css_combinator comb,
	     const struct css_compound *c)
{
	static const char *const axis[] = {
		[CSS_START] = "descendant-or-self::",
		[CSS_DESCENDANT] = "/descendant::",
		[CSS_CHILD] = "/",
		[CSS_ADJACENT] = "/following-sibling::*[1]/self::",
		[CSS_SIBLING] = "/following-sibling::",
	};
	int bare = !c->has_type && c->npreds == 0;

	if (bare && c->pe == CSS_PE_TEXT && comb == CSS_START)
		return css_emit(p, out, "descendant-or-self::text()");
	if (bare && c->pe == CSS_PE_TEXT && comb == CSS_DESCENDANT)
		return css_emit(p, out, "/descendant::text()");
	if (bare && c->pe == CSS_PE_ATTR && comb == CSS_DESCENDANT)
		return css_emit(p, out, "/descendant-or-self::*/%s", c->attr.data);
	if (css_emit(p, out, "%s%s", axis[comb], c->step.data) == -1)
		return -1;
	if (c->pe == CSS_PE_TEXT)
		return css_emit(p, out, "/text()");
	if (c->pe == CSS_PE_ATTR)
		return css_emit(p, out, "/%s", c->attr.data);
	return 0;
}

/* Whether the selector ends here: at a ',' or the end, or inside a pseudo-class's
 * parentheses at its ')'. */
static int
css_selector_ends(const struct css_parser *p)
{
	int c = css_peek(p, 0);

	return c == ',' || c == 0 || (c == ')' && p->depth > 0);
}

/* After a compound: the combinator to the next one (in *comb), or CSS_START where the
 * selector ends.  pe: the compound ended with a pseudo-element, so nothing may follow. */
static int
css_parse_combinator(struct css_parser *p, enum css_pseudo_element pe, enum css_combinator *comb)
{
	int ws, c;

	if (css_skip_ws(p, &ws) == -1)
		return -1;
	c = css_peek(p, 0);
	*comb = CSS_START;
	if (css_selector_ends(p))
		return 0;
	if (pe != CSS_PE_NONE)
		return css_fail(p, p->pos, "'::%s' must end the selector",
				pe == CSS_PE_TEXT ? "text" : "attr()");
	if (c == '>' || c == '+' || c == '~') {
		p->pos++;
		if (css_skip_ws(p, NULL) == -1)
			return -1;
		if (!css_compound_at(p))
			return css_fail(p, p->pos, "expected a selector after '%c'", c);
		*comb = c == '>' ? CSS_CHILD : c == '+' ? CSS_ADJACENT : CSS_SIBLING;
		return 0;
	}
	if (ws && css_compound_at(p)) {
		*comb = CSS_DESCENDANT;
		return 0;
	}
	return css_fail_unexpected(p);
}

/* A complex selector: compounds c[0..n), comb[i] the combinator before c[i] (for c[0]
 * CSS_START, or a relative selector's leading one). */
struct css_complex {
	struct css_compound *c;
	enum css_combinator *comb;
	size_t n, cap;
};

static void
css_complex_free(struct css_complex *cx)
{
	for (size_t i = 0; i < cx->n; i++)
		css_compound_free(&cx->c[i]);
	free(cx->c);
	free(cx->comb);
}

/* Room for one more compound, initialised; NULL when memory ran out. */
static struct css_compound *
css_complex_add(struct css_parser *p, struct css_complex *cx, enum css_combinator comb)
{
	if (cx->n == cx->cap) {
		size_t cap = cx->cap ? cx->cap * 2 : 8;
		struct css_compound *c = realloc(cx->c, cap * sizeof *c);
		enum css_combinator *k;

		if (c == NULL) {
			css_fail(p, p->pos, "out of memory");
			return NULL;
		}
		cx->c = c;
		if ((k = realloc(cx->comb, cap * sizeof *k)) == NULL) {
			css_fail(p, p->pos, "out of memory");
			return NULL;
		}
		cx->comb = k;
		cx->cap = cap;
	}
	css_compound_init(&cx->c[cx->n], p->max);
	cx->comb[cx->n] = comb;
	return &cx->c[cx->n++];
}

/* A selector: compounds joined by combinators.  mode CSS_RELATIVE: it may start with
 * a combinator (descendant when it does not). */
static int
css_parse_complex(struct css_parser *p, struct css_complex *cx, int mode)
{
	enum css_combinator comb = mode == CSS_RELATIVE ? CSS_DESCENDANT : CSS_START;
	struct css_compound *c;
	int k = css_peek(p, 0);

	if (mode == CSS_RELATIVE && (k == '>' || k == '+' || k == '~')) {
		comb = k == '>' ? CSS_CHILD : k == '+' ? CSS_ADJACENT : CSS_SIBLING;
		p->pos++;
		if (css_skip_ws(p, NULL) == -1)
			return -1;
		if (!css_compound_at(p))
			return css_fail(p, p->pos, "expected a selector after '%c'", k);
	}
	do {
		if ((c = css_complex_add(p, cx, comb)) == NULL ||
		    css_parse_compound(p, c, mode != CSS_TOP) == -1 ||
		    css_parse_combinator(p, c->pe, &comb) == -1)
			return -1;
	} while (comb != CSS_START);
	return 0;
}

static void
css_plan_drop(struct css_parser *p)
{
	css_plan_free(p->plan);
	p->plan = NULL;
}

/*
 * Move cx's compounds into p->plan as one more selector of the group, when cssmatch
 * can match it as its XPath (css_put_scoped) reads: else drop the plan, and the XPath
 * serves.  Every predicate must have its condition (native.ncond == npreds).
 */
static void
css_plan_add(struct css_parser *p, struct css_complex *cx)
{
	struct css_plan *plan = p->plan;
	const struct css_compound *last;
	enum css_nproj proj;
	struct css_nsel *s;
	size_t n = cx->n;
	int bare;

	if (plan == NULL)
		return;
	last = &cx->c[n - 1];
	bare = !last->has_type && last->npreds == 0;
	proj = last->pe == CSS_PE_TEXT ? CSS_NP_TEXT
	       : last->pe == CSS_PE_ATTR ? CSS_NP_ATTR : CSS_NP_ELEMENT;
	if (bare && last->pe == CSS_PE_TEXT && cx->comb[n - 1] == CSS_START) {
		css_plan_drop(p); /* descendant-or-self::text(): not elements */
		return;
	}
	if (bare && last->pe != CSS_PE_NONE && cx->comb[n - 1] == CSS_DESCENDANT) {
		proj = last->pe == CSS_PE_TEXT ? CSS_NP_DESC_TEXT : CSS_NP_DESC_ATTR;
		n--;
	}
	if (last->pe == CSS_PE_ATTR && strchr(last->attr.data, '[') != NULL) {
		css_plan_drop(p);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct css_compound *c = &cx->c[i];
		if (c->bad || c->native.ncond != (size_t)c->npreds ||
		    cx->comb[i] == CSS_ADJACENT || cx->comb[i] == CSS_SIBLING) {
			css_plan_drop(p);
			return;
		}
	}
	if (plan->n > 0 &&
	    (plan->sel[0].proj != proj ||
	     (last->pe == CSS_PE_ATTR && strcmp(plan->sel[0].attr, last->attr.data + 1) != 0))) {
		css_plan_drop(p); /* a union of different kinds of node: leave it to XPath */
		return;
	}
	if (plan->n == plan->cap) {
		size_t cap = plan->cap ? plan->cap * 2 : 2;
		struct css_nsel *sel = realloc(plan->sel, cap * sizeof *sel);
		if (sel == NULL) {
			css_plan_drop(p);
			return;
		}
		plan->sel = sel;
		plan->cap = cap;
	}
	s = &plan->sel[plan->n];
	memset(s, 0, sizeof *s);
	s->proj = proj;
	if ((s->c = calloc(n, sizeof *s->c)) == NULL ||
	    (last->pe == CSS_PE_ATTR && (s->attr = strdup(last->attr.data + 1)) == NULL)) {
		free(s->c);
		css_plan_drop(p);
		return;
	}
	plan->n++;
	for (size_t i = 0; i < n; i++) {
		s->c[i] = cx->c[i].native;
		s->c[i].child = cx->comb[i] == CSS_CHILD;
		memset(&cx->c[i].native, 0, sizeof cx->c[i].native);
	}
	s->n = n;
}

/* The selector, scoped as Scrapy scopes it: from the context node, which it may match. */
static int
css_put_scoped(struct css_parser *p, struct buf *out, const struct css_complex *cx)
{
	for (size_t i = 0; i < cx->n; i++)
		if (css_put_step(p, out, cx->comb[i], &cx->c[i]) == -1)
			return -1;
	return 0;
}

/* The condition that the context node matches the selector, anywhere in the document
 * (as :is() and :not() mean it): "self::c[parent::b[ancestor::a]]" for "a b > c". */
static int
css_put_match(struct css_parser *p, struct buf *out, const struct css_complex *cx)
{
	static const char *const axis[] = {
		[CSS_DESCENDANT] = "ancestor::",
		[CSS_CHILD] = "parent::",
		[CSS_ADJACENT] = "preceding-sibling::*[1]/self::",
		[CSS_SIBLING] = "preceding-sibling::",
	};
	size_t i = cx->n;

	if (css_emit(p, out, "self::%s", cx->c[i - 1].step.data) == -1)
		return -1;
	for (i--; i > 0; i--)
		if (css_emit(p, out, "[%s%s", axis[cx->comb[i]], cx->c[i - 1].step.data) == -1)
			return -1;
	for (i = 1; i < cx->n; i++)
		if (css_emit(p, out, "]") == -1)
			return -1;
	return 0;
}

/* A relative selector of :has() as a path from the context node: "> a b" is
 * "a/descendant::b", "+ a" "following-sibling::*[1]/self::a". */
static int
css_put_relative(struct css_parser *p, struct buf *out, const struct css_complex *cx)
{
	static const char *const axis[] = {
		[CSS_DESCENDANT] = "descendant::",
		[CSS_CHILD] = "",
		[CSS_ADJACENT] = "following-sibling::*[1]/self::",
		[CSS_SIBLING] = "following-sibling::",
	};

	for (size_t i = 0; i < cx->n; i++)
		if (css_emit(p, out, "%s%s%s", i > 0 ? "/" : "", axis[cx->comb[i]],
			     cx->c[i].step.data) == -1)
			return -1;
	return 0;
}

/*
 * The argument of :not(), :is(), :where(), :has() or "of S": selectors separated by
 * commas, up to and over the ')', as one condition on the context node ("a or b").
 */
static int
css_parse_selector_list(struct css_parser *p, struct buf *out, int mode)
{
	const char *expected = "expected a selector inside the parentheses";
	struct css_complex cx;
	int rc;

	for (;;) {
		if (css_skip_ws(p, NULL) == -1)
			return -1;
		if (!css_compound_at(p) &&
		    !(mode == CSS_RELATIVE && css_peek(p, 0) != 0 && strchr(">+~", css_peek(p, 0))))
			return css_fail(p, p->pos, "%s", expected);
		memset(&cx, 0, sizeof cx);
		rc = css_parse_complex(p, &cx, mode);
		if (rc == 0)
			rc = (mode == CSS_RELATIVE ? css_put_relative : css_put_match)(p, out, &cx);
		css_complex_free(&cx);
		if (rc == -1)
			return -1;
		if (css_peek(p, 0) == ')')
			break;
		if (css_peek(p, 0) != ',')
			return css_fail(p, p->pos, "expected ')'");
		p->pos++;
		expected = "expected a selector after ','";
		if (css_emit(p, out, " or ") == -1)
			return -1;
	}
	p->pos++;
	return 0;
}

/* Selectors separated by commas, to the end: their union. */
static int
css_parse_group(struct css_parser *p, struct buf *out)
{
	struct css_complex cx;
	size_t comma;
	int rc;

	if (css_skip_ws(p, NULL) == -1)
		return -1;
	if (css_peek(p, 0) == 0)
		return css_fail(p, 0, "empty selector");
	for (;;) {
		if (!css_compound_at(p)) {
			int c = css_peek(p, 0);

			if (c == ',' || c == '>' || c == '+' || c == '~')
				return css_fail(p, p->pos, "expected a selector before '%c'", c);
			return css_fail_unexpected(p);
		}
		memset(&cx, 0, sizeof cx);
		rc = css_parse_complex(p, &cx, CSS_TOP);
		if (rc == 0)
			rc = css_put_scoped(p, out, &cx);
		if (rc == 0)
			css_plan_add(p, &cx);
		css_complex_free(&cx);
		if (rc == -1)
			return -1;
		if (css_peek(p, 0) == 0)
			return 0;
		if (css_peek(p, 0) != ',')
			return css_fail_unexpected(p);
		comma = p->pos++;
		if (css_skip_ws(p, NULL) == -1)
			return -1;
		if (css_peek(p, 0) == 0)
			return css_fail(p, comma, "trailing comma");
		if (css_peek(p, 0) == ',')
			return css_fail(p, p->pos, "expected a selector after ','");
		if (css_emit(p, out, " | ") == -1)
			return -1;
	}
}

int
css_to_xpath(const char *css, struct buf *out, struct css_error *err)
{
	return css_compile(css, out, NULL, err);
}

int
css_compile(const char *css, struct buf *out, struct css_plan **plan, struct css_error *err)
{
	struct css_parser p = {.s = css != NULL ? css : "", .max = out->max, .err = err};
	size_t start = out->len;
	int rc;

	if (plan != NULL) {
		*plan = NULL;
		p.plan = calloc(1, sizeof *p.plan); /* none: no plan, the XPath serves */
	}
	if (err != NULL) {
		err->pos = 0;
		err->msg[0] = '\0';
	}
	while (p.len <= CSS_MAX_LEN && p.s[p.len] != '\0')
		p.len++;
	if (p.len > CSS_MAX_LEN)
		rc = css_fail(&p, CSS_MAX_LEN, "selector longer than %d bytes", CSS_MAX_LEN);
	else if ((rc = css_check_utf8(&p)) == 0)
		rc = css_parse_group(&p, out);
	if (rc == -1 && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	if (rc == 0 && plan != NULL)
		*plan = p.plan;
	else
		css_plan_free(p.plan);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* XPath functions */

/* The number of the context element's siblings before (after, if after) it that
 * have its name. */
static void
css_xp_of_type(xmlXPathParserContextPtr ctxt, int nargs, int after)
{
	xmlNodePtr n = ctxt->context->node, s;
	double count = 0;

	if (nargs != 0) {
		xmlXPathSetArityError(ctxt);
		return;
	}
	if (n != NULL && n->type == XML_ELEMENT_NODE)
		for (s = after ? n->next : n->prev; s != NULL; s = after ? s->next : s->prev)
			if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, n->name))
				count++;
	xmlXPathReturnNumber(ctxt, count);
}

static void
css_xp_before_of_type(xmlXPathParserContextPtr ctxt, int nargs)
{
	css_xp_of_type(ctxt, nargs, 0);
}

static void
css_xp_after_of_type(xmlXPathParserContextPtr ctxt, int nargs)
{
	css_xp_of_type(ctxt, nargs, 1);
}

int
css_xpath_register(xmlXPathContextPtr ctx)
{
	if (xmlXPathRegisterFunc(ctx, (const xmlChar *)"css-before-of-type",
				 css_xp_before_of_type) != 0 ||
	    xmlXPathRegisterFunc(ctx, (const xmlChar *)"css-after-of-type",
				 css_xp_after_of_type) != 0)
		return -1;
	return 0;
}
