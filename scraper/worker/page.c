/*
 * page.c: decode and parse a fetched HTML body (see page.h).
 */
#include "config.h"

#include "worker/page.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "worker/charset.h"

/* XML_PARSE_HUGE lifts libxml2's nesting limit (256 levels, past which the rest of the
 * page was dropped without a word): max_bytes bounds the tree, max_page_cpu and
 * max_memory_mb the work, and nothing of ours walks it by recursion. */
#define PARSE_OPTIONS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
		       HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE)

bool
page_is_html(const char *content_type, const char *body, size_t len)
{
	size_t i = 0;

	if (content_type != NULL && *content_type != '\0')
		return strncasecmp(content_type, "text/html", 9) == 0 ||
		       strncasecmp(content_type, "application/xhtml+xml", 21) == 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	return i < len && body[i] == '<';
}

xmlDocPtr
page_parse(const char *body, size_t len, const char *content_type, const char *url,
	   char *note, size_t notelen, char *cut, size_t cutlen)
{
	struct charset_choice cs;
	htmlParserCtxtPtr ctxt;
	struct buf utf8;
	xmlDocPtr doc;

	charset_detect(content_type, body, len, &cs);
	charset_describe(&cs, note, notelen);
	/* Up to 3 bytes of UTF-8 per input byte (U+FFFD for one bad byte). */
	buf_init(&utf8, len * 3 + 64);
	/* Valid UTF-8 is parsed where it lies; anything else is converted first. */
	if (strcmp(cs.name, "UTF-8") != 0 || cs.bom > 0 || !charset_valid_utf8(body, len)) {
		if (charset_to_utf8(&cs, body, len, &utf8) == -1) {
			/* Parsing half a page would store half its items as if whole. */
			size_t n = strlen(note);
			snprintf(note + n, notelen - n, "; could not be decoded (out of memory)");
			buf_free(&utf8);
			return NULL;
		}
		body = buf_str(&utf8);
		len = utf8.len;
	}
	if (len > (size_t)0x7fffffff)
		len = 0x7fffffff;
	if (cutlen > 0)
		cut[0] = '\0';
	/* A parser context of its own per page: in a worker it lives in the page's arena. */
	if ((ctxt = htmlNewParserCtxt()) == NULL) {
		buf_free(&utf8);
		return NULL;
	}
	doc = htmlCtxtReadMemory(ctxt, len ? body : " ", len ? (int)len : 1, url, "UTF-8",
				 PARSE_OPTIONS);
	/* Should a libxml2 still stop at a nesting limit, the page says what was lost. */
	if (doc != NULL && ctxt->lastError.message != NULL &&
	    strstr(ctxt->lastError.message, "depth") != NULL && cutlen > 0) {
		size_t n;
		snprintf(cut, cutlen, "the page was cut where it nests too deep (libxml2: %s",
			 ctxt->lastError.message);
		n = strcspn(cut, "\n");
		snprintf(cut + n, cutlen - n, "): what lies deeper or after was not read");
	}
	htmlFreeParserCtxt(ctxt);
	buf_free(&utf8);
	return doc;
}
