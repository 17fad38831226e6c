/*
 * buf.h: growable byte buffers with a hard maximum size.
 *
 * Every buffer is created with the most it may ever hold; growing past that is an
 * error (-1, errno EMSGSIZE), never an unbounded realloc.  The data is always kept
 * NUL-terminated so a buffer of text can be used as a C string.  A zeroed struct
 * buf with max 0 is not usable: call buf_init first.
 */
#ifndef SCRAPER_BUF_H
#define SCRAPER_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NUL-terminated; NULL until the first append */
	size_t len;	/* bytes in use, not counting the terminator */
	size_t cap;	/* bytes allocated */
	size_t max;	/* the most len may reach */
};

/* Prepare an empty buffer that may grow to max bytes.  Allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Free the storage; the buffer is empty and usable again (same max). */
void buf_free(struct buf *b);

/* Forget the contents but keep the storage. */
void buf_reset(struct buf *b);

/* Make room for n more bytes.  0, or -1 with errno ENOMEM or EMSGSIZE. */
int buf_reserve(struct buf *b, size_t n);

/* Append bytes, a C string, one byte, or printf-formatted text.  0 or -1 as buf_reserve;
 * on failure the buffer is unchanged. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, int c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The contents as a C string ("" when empty; never NULL). */
const char *buf_str(const struct buf *b);

/* Hand the storage to the caller (free() it) and leave the buffer empty.  Returns a
 * NUL-terminated string, "" allocated when empty; NULL only when out of memory. */
char *buf_steal(struct buf *b);

/* Cut the contents back to the first n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

/* Drop the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);

#endif
