/*
 * charset.h: which encoding a fetched HTML body is in, and conversion to UTF-8.
 *
 * The decision follows the HTML standard's order: a byte-order mark, then the charset
 * of the Content-Type header, then a <meta> prescan of the first 1024 bytes, then a
 * default (UTF-8 when the bytes are valid UTF-8, else windows-1252) unless a <meta>
 * later in the head changes it (the standard's "change the encoding": a page that
 * declares gb2312 at byte 1180 is read as gb2312).  A <meta> that names a legacy
 * encoding over bytes that are all valid UTF-8 beyond ASCII is overruled: UTF-8.  Labels are
 * mapped as browsers map them (latin1 and us-ascii mean windows-1252, shift_jis means
 * the Windows code page 932).  Conversion never fails on bad input: bytes that are not
 * valid in the encoding become U+FFFD, so the parser always gets valid UTF-8.
 */
#ifndef SCRAPER_CHARSET_H
#define SCRAPER_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct charset_choice {
	char name[48];		/* iconv name: "UTF-8", "WINDOWS-1252", "CP932", ... */
	const char *source;	/* "bom", "header", "meta", "late meta", "default",
				 * "content" (valid UTF-8 despite the meta tag's label) or
				 * "unknown" (a label iconv does not know: read as UTF-8) */
	char label[48];		/* the label as declared, when source is "unknown" or
				 * "content" */
	size_t meta_at;		/* where the meta tag was, when source is "late meta" */
	size_t bom;		/* bytes of byte-order mark to skip */
};

/* Decide the encoding of body (content_type may be NULL). */
void charset_detect(const char *content_type, const char *body, size_t len,
		    struct charset_choice *out);

/* Convert body from the chosen encoding to UTF-8, appending to out.  0, or -1 when
 * out is full. */
int charset_to_utf8(const struct charset_choice *cs, const char *body, size_t len,
		    struct buf *out);

/*
 * Make a table for each single-byte encoding glibc converts byte by byte (from iconv,
 * so the characters are iconv's), and decode those by table from then on.  A worker
 * calls it before its sandbox closes the file system: the converters' modules need not
 * stay loaded (iconv's were a third of a megabyte of private memory per worker).
 * 0 always (an encoding iconv cannot load has no table and stays with iconv).
 */
int charset_tables_load(void);

/* Whether the iconv name is decoded by a table. */
bool charset_has_table(const char *name);

/*
 * Before the sandbox: everything decoding will need, for every encoding of the HTML
 * standard, with no file opened later: the tables (charset_tables_load), and the iconv
 * converters of the other encodings opened and held, so that glibc keeps their modules
 * loaded for later iconv_open calls.  NULL when memory ran out; free with
 * charset_loaded_free.
 */
struct charset_loaded;
struct charset_loaded *charset_load(void);
void charset_loaded_free(struct charset_loaded *l);

/* Is s[0..n) valid UTF-8? */
int charset_valid_utf8(const char *s, size_t n);

/* The decision in words, for the database: "WINDOWS-1252 (header)",
 * "GB18030 (meta at byte 1180, after the first 1024)",
 * "UTF-8 (unknown charset x-klingon in header)". */
void charset_describe(const struct charset_choice *cs, char *out, size_t outlen);

#endif
