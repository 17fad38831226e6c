/*
 * charset.c: encoding detection and conversion to UTF-8 (see charset.h).
 */
#include "config.h"

#include "worker/charset.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

#define PRESCAN_BYTES 1024	/* the HTML standard's prescan window */

/*
 * Every label of the WHATWG Encoding Standard (encodings.json), with the name of its
 * encoding as this file and iconv know it (sorted by label, for bsearch).  A label
 * that is not here names no encoding a page may use: iconv knows many more (TSCII,
 * UTF-7, EBCDIC...), which browsers do not read, and which a sandboxed worker could
 * not load.  Beyond the standard: the UTF-16 aliases it once had, and UTF-32.
 * Where the standard's decoder is a superset, the superset: GBK is read as GB18030,
 * Shift_JIS as CP932, EUC-KR as CP949, ISO-8859-1 and ASCII as windows-1252,
 * ISO-8859-9 as windows-1254, ISO-8859-11 as CP874.  UTF-16 without a BOM is
 * little-endian on the web (iconv's "UTF-16" would take it as big-endian).
 */
static const struct label {
	const char *label;
	const char *iconv;
} labels[] = {
	{ "866", "IBM866" }, { "ansi_x3.4-1968", "WINDOWS-1252" }, { "arabic", "ISO-8859-6" },
	{ "ascii", "WINDOWS-1252" }, { "asmo-708", "ISO-8859-6" }, { "big5", "BIG5" },
	{ "big5-hkscs", "BIG5-HKSCS" }, { "chinese", "GB18030" }, { "cn-big5", "BIG5" },
	{ "cp1250", "WINDOWS-1250" }, { "cp1251", "WINDOWS-1251" },
	{ "cp1252", "WINDOWS-1252" }, { "cp1253", "WINDOWS-1253" },
	{ "cp1254", "WINDOWS-1254" }, { "cp1255", "WINDOWS-1255" },
	{ "cp1256", "WINDOWS-1256" }, { "cp1257", "WINDOWS-1257" },
	{ "cp1258", "WINDOWS-1258" }, { "cp819", "WINDOWS-1252" }, { "cp866", "IBM866" },
	{ "csbig5", "BIG5" }, { "cseuckr", "CP949" }, { "cseucpkdfmtjapanese", "EUC-JP" },
	{ "csgb2312", "GB18030" }, { "csibm866", "IBM866" }, { "csiso2022jp", "ISO-2022-JP" },
	{ "csiso58gb231280", "GB18030" }, { "csiso88596e", "ISO-8859-6" },
	{ "csiso88596i", "ISO-8859-6" }, { "csiso88598e", "ISO-8859-8" },
	{ "csiso88598i", "ISO-8859-8" }, { "csisolatin1", "WINDOWS-1252" },
	{ "csisolatin2", "ISO-8859-2" }, { "csisolatin3", "ISO-8859-3" },
	{ "csisolatin4", "ISO-8859-4" }, { "csisolatin5", "WINDOWS-1254" },
	{ "csisolatin6", "ISO-8859-10" }, { "csisolatin9", "ISO-8859-15" },
	{ "csisolatinarabic", "ISO-8859-6" }, { "csisolatincyrillic", "ISO-8859-5" },
	{ "csisolatingreek", "ISO-8859-7" }, { "csisolatinhebrew", "ISO-8859-8" },
	{ "cskoi8r", "KOI8-R" }, { "csksc56011987", "CP949" }, { "csmacintosh", "MACINTOSH" },
	{ "csshiftjis", "CP932" }, { "csunicode", "UTF-16LE" }, { "cyrillic", "ISO-8859-5" },
	{ "dos-874", "CP874" }, { "ecma-114", "ISO-8859-6" }, { "ecma-118", "ISO-8859-7" },
	{ "elot_928", "ISO-8859-7" }, { "euc-jp", "EUC-JP" }, { "euc-kr", "CP949" },
	{ "gb18030", "GB18030" }, { "gb2312", "GB18030" }, { "gb_2312", "GB18030" },
	{ "gb_2312-80", "GB18030" }, { "gbk", "GB18030" }, { "greek", "ISO-8859-7" },
	{ "greek8", "ISO-8859-7" }, { "hebrew", "ISO-8859-8" }, { "ibm819", "WINDOWS-1252" },
	{ "ibm866", "IBM866" }, { "iso-10646-ucs-2", "UTF-16LE" },
	{ "iso-2022-jp", "ISO-2022-JP" }, { "iso-8859-1", "WINDOWS-1252" },
	{ "iso-8859-10", "ISO-8859-10" }, { "iso-8859-11", "CP874" },
	{ "iso-8859-13", "ISO-8859-13" }, { "iso-8859-14", "ISO-8859-14" },
	{ "iso-8859-15", "ISO-8859-15" }, { "iso-8859-16", "ISO-8859-16" },
	{ "iso-8859-2", "ISO-8859-2" }, { "iso-8859-3", "ISO-8859-3" },
	{ "iso-8859-4", "ISO-8859-4" }, { "iso-8859-5", "ISO-8859-5" },
	{ "iso-8859-6", "ISO-8859-6" }, { "iso-8859-6-e", "ISO-8859-6" },
	{ "iso-8859-6-i", "ISO-8859-6" }, { "iso-8859-7", "ISO-8859-7" },
	{ "iso-8859-8", "ISO-8859-8" }, { "iso-8859-8-e", "ISO-8859-8" },
	{ "iso-8859-8-i", "ISO-8859-8" }, { "iso-8859-9", "WINDOWS-1254" },
	{ "iso-ir-100", "WINDOWS-1252" }, { "iso-ir-101", "ISO-8859-2" },
	{ "iso-ir-109", "ISO-8859-3" }, { "iso-ir-110", "ISO-8859-4" },
	{ "iso-ir-126", "ISO-8859-7" }, { "iso-ir-127", "ISO-8859-6" },
	{ "iso-ir-138", "ISO-8859-8" }, { "iso-ir-144", "ISO-8859-5" },
	{ "iso-ir-148", "WINDOWS-1254" }, { "iso-ir-149", "CP949" },
	{ "iso-ir-157", "ISO-8859-10" }, { "iso-ir-58", "GB18030" },
	{ "iso8859-1", "WINDOWS-1252" }, { "iso8859-10", "ISO-8859-10" },
	{ "iso8859-11", "CP874" }, { "iso8859-13", "ISO-8859-13" },
	{ "iso8859-14", "ISO-8859-14" }, { "iso8859-15", "ISO-8859-15" },
	{ "iso8859-2", "ISO-8859-2" }, { "iso8859-3", "ISO-8859-3" },
	{ "iso8859-4", "ISO-8859-4" }, { "iso8859-5", "ISO-8859-5" },
	{ "iso8859-6", "ISO-8859-6" }, { "iso8859-7", "ISO-8859-7" },
	{ "iso8859-8", "ISO-8859-8" }, { "iso8859-9", "WINDOWS-1254" },
	{ "iso88591", "WINDOWS-1252" }, { "iso885910", "ISO-8859-10" },
	{ "iso885911", "CP874" }, { "iso885913", "ISO-8859-13" },
	{ "iso885914", "ISO-8859-14" }, { "iso885915", "ISO-8859-15" },
	{ "iso88592", "ISO-8859-2" }, { "iso88593", "ISO-8859-3" },
	{ "iso88594", "ISO-8859-4" }, { "iso88595", "ISO-8859-5" },
	{ "iso88596", "ISO-8859-6" }, { "iso88597", "ISO-8859-7" },
	{ "iso88598", "ISO-8859-8" }, { "iso88599", "WINDOWS-1254" },
	{ "iso_8859-1", "WINDOWS-1252" }, { "iso_8859-15", "ISO-8859-15" },
	{ "iso_8859-1:1987", "WINDOWS-1252" }, { "iso_8859-2", "ISO-8859-2" },
	{ "iso_8859-2:1987", "ISO-8859-2" }, { "iso_8859-3", "ISO-8859-3" },
	{ "iso_8859-3:1988", "ISO-8859-3" }, { "iso_8859-4", "ISO-8859-4" },
	{ "iso_8859-4:1988", "ISO-8859-4" }, { "iso_8859-5", "ISO-8859-5" },
	{ "iso_8859-5:1988", "ISO-8859-5" }, { "iso_8859-6", "ISO-8859-6" },
	{ "iso_8859-6:1987", "ISO-8859-6" }, { "iso_8859-7", "ISO-8859-7" },
	{ "iso_8859-7:1987", "ISO-8859-7" }, { "iso_8859-8", "ISO-8859-8" },
	{ "iso_8859-8:1988", "ISO-8859-8" }, { "iso_8859-9", "WINDOWS-1254" },
	{ "iso_8859-9:1989", "WINDOWS-1254" }, { "koi", "KOI8-R" }, { "koi8", "KOI8-R" },
	{ "koi8-r", "KOI8-R" }, { "koi8-u", "KOI8-U" }, { "koi8_r", "KOI8-R" },
	{ "korean", "CP949" }, { "ks_c_5601-1987", "CP949" }, { "ks_c_5601-1989", "CP949" },
	{ "ksc5601", "CP949" }, { "ksc_5601", "CP949" }, { "l1", "WINDOWS-1252" },
	{ "l2", "ISO-8859-2" }, { "l3", "ISO-8859-3" }, { "l4", "ISO-8859-4" },
	{ "l5", "WINDOWS-1254" }, { "l6", "ISO-8859-10" }, { "l9", "ISO-8859-15" },
	{ "latin1", "WINDOWS-1252" }, { "latin2", "ISO-8859-2" }, { "latin3", "ISO-8859-3" },
	{ "latin4", "ISO-8859-4" }, { "latin5", "WINDOWS-1254" }, { "latin6", "ISO-8859-10" },
	{ "logical", "ISO-8859-8" }, { "mac", "MACINTOSH" }, { "macintosh", "MACINTOSH" },
	{ "ms932", "CP932" }, { "ms_kanji", "CP932" }, { "shift-jis", "CP932" },
	{ "shift_jis", "CP932" }, { "sjis", "CP932" }, { "sun_eu_greek", "ISO-8859-7" },
	{ "tis-620", "CP874" }, { "ucs-2", "UTF-16LE" }, { "unicode", "UTF-16LE" },
	{ "unicode-1-1-utf-8", "UTF-8" }, { "unicodefeff", "UTF-16LE" },
	{ "unicodefffe", "UTF-16BE" }, { "us-ascii", "WINDOWS-1252" },
	{ "utf-16", "UTF-16LE" }, { "utf-16be", "UTF-16BE" }, { "utf-16le", "UTF-16LE" },
	{ "utf-32", "UTF-32" }, { "utf-32be", "UTF-32BE" }, { "utf-32le", "UTF-32LE" },
	{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "visual", "ISO-8859-8" },
	{ "windows-1250", "WINDOWS-1250" }, { "windows-1251", "WINDOWS-1251" },
	{ "windows-1252", "WINDOWS-1252" }, { "windows-1253", "WINDOWS-1253" },
	{ "windows-1254", "WINDOWS-1254" }, { "windows-1255", "WINDOWS-1255" },
	{ "windows-1256", "WINDOWS-1256" }, { "windows-1257", "WINDOWS-1257" },
	{ "windows-1258", "WINDOWS-1258" }, { "windows-31j", "CP932" },
	{ "windows-874", "CP874" }, { "windows-949", "CP949" },
	{ "x-cp1250", "WINDOWS-1250" }, { "x-cp1251", "WINDOWS-1251" },
	{ "x-cp1252", "WINDOWS-1252" }, { "x-cp1253", "WINDOWS-1253" },
	{ "x-cp1254", "WINDOWS-1254" }, { "x-cp1255", "WINDOWS-1255" },
	{ "x-cp1256", "WINDOWS-1256" }, { "x-cp1257", "WINDOWS-1257" },
	{ "x-cp1258", "WINDOWS-1258" }, { "x-euc-jp", "EUC-JP" }, { "x-gbk", "GB18030" },
	{ "x-mac-cyrillic", "MAC-CYRILLIC" }, { "x-mac-roman", "MACINTOSH" },
	{ "x-mac-ukrainian", "MAC-CYRILLIC" }, { "x-sjis", "CP932" }, { "x-x-big5", "BIG5" },
};

static int
label_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct label *)elem)->label);
}

/* Copy a charset label, trimmed of spaces and quotes, mapped to an iconv name.  Whether
 * it is a label of the standard. */
static bool
set_name(struct charset_choice *out, const char *label, size_t n)
{
	const struct label *l;

	while (n > 0 && (isspace((unsigned char)*label) || *label == '"' || *label == '\''))
		label++, n--;
	while (n > 0 && (isspace((unsigned char)label[n - 1]) || label[n - 1] == '"' ||
			 label[n - 1] == '\'' || label[n - 1] == ';'))
		n--;
	if (n >= sizeof out->name)
		n = sizeof out->name - 1;
	memcpy(out->name, label, n);
	out->name[n] = '\0';
	l = bsearch(out->name, labels, sizeof labels / sizeof labels[0], sizeof labels[0],
		    label_cmp);
	if (l != NULL) {
		snprintf(out->name, sizeof out->name, "%s", l->iconv);
		return true;
	}
	for (char *p = out->name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return false;
}

/* Find "charset=" in s[0..n) (case-insensitive); the label after it, or NULL. */
static const char *
find_charset_param(const char *s, size_t n, size_t *len)
{
	for (size_t i = 0; i + 8 <= n; i++) {
		if (strncasecmp(s + i, "charset", 7) != 0)
			continue;
		size_t j = i + 7;
		while (j < n && isspace((unsigned char)s[j]))
			j++;
		if (j >= n || s[j] != '=')
			continue;
		j++;
		while (j < n && (isspace((unsigned char)s[j]) || s[j] == '"' || s[j] == '\''))
			j++;
		size_t k = j;
		/* (not NUL: strchr finds the terminator, and a label of NULs is an empty
		 * name, which iconv takes as the locale's encoding) */
		while (k < n && (isalnum((unsigned char)s[k]) ||
				 (s[k] != '\0' && strchr("-_.:", s[k]) != NULL)))
			k++;
		if (k > j) {
			*len = k - j;
			return s + j;
		}
	}
	return NULL;
}

/* The first <meta ...> tag in body[from..limit) with a charset attribute, or an
 * http-equiv whose content names a charset; its label, or NULL.  *at is the tag's
 * offset.  The scan stops at a <body> tag: a declaration is in the head. */
static const char *
meta_charset(const char *body, size_t len, size_t from, size_t limit, size_t *n, size_t *at)
{
	if (limit > len)
		limit = len;
	for (size_t i = from; i + 5 < limit; i++) {
		if (body[i] != '<')
			continue;
		if (strncasecmp(body + i + 1, "body", 4) == 0 &&
		    (isspace((unsigned char)body[i + 5]) || body[i + 5] == '>'))
			return NULL;
		if (strncasecmp(body + i + 1, "meta", 4) != 0 ||
		    !(isspace((unsigned char)body[i + 5]) || body[i + 5] == '/'))
			continue;
		const char *end = memchr(body + i, '>', len - i);
		size_t tag = end != NULL ? (size_t)(end - (body + i)) : len - i;
		const char *cs = find_charset_param(body + i, tag, n);
		if (cs != NULL) {
			*at = i;
			return cs;
		}
	}
	return NULL;
}

int
charset_valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	uint64_t word;
	size_t k;

	if (n == 0)
		return 1; /* s may be NULL then (an empty buffer): no arithmetic on it */
	end = p + n;
	while (p < end) {
		/* Most of a page is ASCII: eight bytes at a time while it is. */
		if ((size_t)(end - p) >= 8) {
			memcpy(&word, p, 8);
			if ((word & 0x8080808080808080ULL) == 0) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_seq_len(p, (size_t)(end - p))) == 0)
			return 0;
		p += k;
	}
	return 1;
}

/* ---- single-byte encodings, by table ---- */

/*
 * The single-byte encodings of the Encoding standard, by the iconv names
 * charset_detect gives them, that glibc converts byte by byte.  Not windows-1255 and
 * windows-1258: glibc composes their base letters with the combining marks after them,
 * so a byte's character depends on the next byte; they stay with iconv.
 */
static const char *const sb_names[] = {
	"IBM866", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6",
	"ISO-8859-7", "ISO-8859-8", "ISO-8859-10", "ISO-8859-13", "ISO-8859-14",
	"ISO-8859-15", "ISO-8859-16", "KOI8-R", "KOI8-U", "MACINTOSH", "MAC-CYRILLIC",
	"CP874", "WINDOWS-874", "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252",
	"WINDOWS-1253", "WINDOWS-1254", "WINDOWS-1256", "WINDOWS-1257",
};

#define NSB (sizeof sb_names / sizeof sb_names[0])
#define SB_NONE 0xffff /* the byte is not a character of the encoding */

static uint16_t sb_map[NSB][256];
static bool sb_ready[NSB];

/* The one code point UTF-8 s[0..n) holds, or -1. */
static long
one_code_point(const unsigned char *s, size_t n)
{
	if (n == 1 && s[0] < 0x80)
		return s[0];
	if (n == 2 && (s[0] & 0xe0) == 0xc0)
		return (long)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	if (n == 3 && (s[0] & 0xf0) == 0xe0)
		return (long)(s[0] & 0x0f) << 12 | (long)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	return -1;
}

/* sb_map[i] from iconv, one byte at a time; false when iconv does not map bytes to
 * characters one to one (a byte held back for the next, or more than one out). */
static bool
sb_build(size_t i)
{
	iconv_t cd = iconv_open("UTF-8", sb_names[i]);
	bool ok = cd != (iconv_t)-1;

	for (int b = 0; ok && b < 256; b++) {
		char in = (char)b, out[16], *ip = &in, *op = out;
		size_t inleft = 1, outleft = sizeof out, produced;
		long cp;

		if (iconv(cd, &ip, &inleft, &op, &outleft) == (size_t)-1) {
			ok = errno == EILSEQ;
			sb_map[i][b] = SB_NONE;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		produced = sizeof out - outleft;
		cp = one_code_point((unsigned char *)out, produced);
		/* Nothing may be left to flush: the byte was the whole character. */
		ok = cp >= 0 && cp < SB_NONE && iconv(cd, NULL, NULL, &op, &outleft) == 0 &&
		     sizeof out - outleft == produced;
		sb_map[i][b] = (uint16_t)cp;
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return ok;
}

int
charset_tables_load(void)
{
	for (size_t i = 0; i < NSB; i++)
		sb_ready[i] = sb_build(i);
	return 0;
}

/* The table for the iconv name, or NULL: none loaded. */
static const uint16_t *
sb_table(const char *name)
{
	for (size_t i = 0; i < NSB; i++)
		if (sb_ready[i] && strcasecmp(name, sb_names[i]) == 0)
			return sb_map[i];
	return NULL;
}

bool
charset_has_table(const char *name)
{
	return sb_table(name) != NULL;
}

/* The other encodings' iconv names, as charset_detect gives them: held by iconv. */
static const char *const held_names[] = {
	"WINDOWS-1255", "WINDOWS-1258", "GBK", "GB18030", "BIG5", "BIG5-HKSCS", "EUC-JP",
	"ISO-2022-JP", "CP932", "SHIFT_JIS", "EUC-KR", "CP949", "UTF-16", "UTF-16LE",
	"UTF-16BE", "UTF-32", "UTF-32LE", "UTF-32BE",
};

#define NHELD (sizeof held_names / sizeof held_names[0])

struct charset_loaded {
	iconv_t cd[NSB + NHELD]; /* (iconv_t)-1: a table, or iconv could not */
};

struct charset_loaded *
charset_load(void)
{
	struct charset_loaded *l = malloc(sizeof *l);

	if (l == NULL)
		return NULL;
	charset_tables_load();
	/* a single-byte encoding iconv would not make a table of stays with iconv */
	for (size_t i = 0; i < NSB; i++)
		l->cd[i] = sb_ready[i] ? (iconv_t)-1 : iconv_open("UTF-8", sb_names[i]);
	for (size_t i = 0; i < NHELD; i++)
		l->cd[NSB + i] = iconv_open("UTF-8", held_names[i]);
	return l;
}

void
charset_loaded_free(struct charset_loaded *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < NSB + NHELD; i++)
		if (l->cd[i] != (iconv_t)-1)
			iconv_close(l->cd[i]);
	free(l);
}

static int
sb_to_utf8(const uint16_t *map, const char *body, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)body, *end = p + len, *run = p;
	unsigned char u[3];

	while (p < end) {
		unsigned cp = map[*p];
		size_t n;

		if (cp == *p && cp < 0x80) { /* ASCII runs are copied whole */
			p++;
			continue;
		}
		if (buf_append(out, (const char *)run, (size_t)(p - run)) == -1)
			return -1;
		if (cp == SB_NONE) {
			memcpy(u, "\xef\xbf\xbd", 3);
			n = 3;
		} else if (cp < 0x80) {
			u[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (unsigned char)(0xc0 | cp >> 6);
			u[1] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 2;
		} else {
			u[0] = (unsigned char)(0xe0 | cp >> 12);
			u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			u[2] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 3;
		}
		if (buf_append(out, (const char *)u, n) == -1)
			return -1;
		run = ++p;
	}
	return buf_append(out, (const char *)run, (size_t)(p - run));
}

/* A declared label that is not one of the standard's (known: false), or whose encoding
 * iconv cannot convert from, is read as UTF-8 (with bad bytes replaced), and the
 * choice says so. */
static void
check_known(struct charset_choice *out, bool known, const char *label, size_t n)
{
	iconv_t cd;

	if (known && (strcmp(out->name, "UTF-8") == 0 || sb_table(out->name) != NULL))
		return;
	if (known && (cd = iconv_open("UTF-8", out->name)) != (iconv_t)-1) {
		iconv_close(cd);
		return;
	}
	snprintf(out->label, sizeof out->label, "%.*s in %s", (int)(n < 40 ? n : 40), label,
		 out->source);
	snprintf(out->name, sizeof out->name, "UTF-8");
	out->source = "unknown";
}

void
charset_describe(const struct charset_choice *cs, char *out, size_t outlen)
{
	if (strcmp(cs->source, "unknown") == 0)
		snprintf(out, outlen, "%s (unknown charset %s)", cs->name, cs->label);
	else if (strcmp(cs->source, "content") == 0)
		snprintf(out, outlen, "UTF-8 (valid UTF-8, though a meta tag says %s)", cs->label);
	else if (strcmp(cs->source, "late meta") == 0)
		snprintf(out, outlen, "%s (meta at byte %zu, after the first %d)", cs->name,
			 cs->meta_at, PRESCAN_BYTES);
	else
		snprintf(out, outlen, "%s (%s)", cs->name, cs->source);
}

/* Does the body hold bytes past ASCII, all of them valid UTF-8? */
static bool
utf8_beyond_ascii(const char *body, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)body[i] >= 0x80)
			return charset_valid_utf8(body, len);
	}
	return false;
}

/* A <meta> declaration was found at byte at: take it, unless the page says UTF-16
 * (it cannot, in its own ASCII-compatible bytes) or says some legacy encoding while
 * every byte is valid UTF-8 beyond ASCII (real pages do: a template declaring euc-kr
 * around UTF-8 text; a legacy text that is also valid UTF-8 is vanishingly rare). */
static void
take_meta(struct charset_choice *out, const char *body, size_t len, const char *label,
	  size_t n, size_t at)
{
	bool known = set_name(out, label, n);

	out->meta_at = at;
	out->source = at < PRESCAN_BYTES ? "meta" : "late meta";
	if (strncmp(out->name, "UTF-16", 6) == 0)
		snprintf(out->name, sizeof out->name, "UTF-8");
	check_known(out, known, label, n);
	if (strcmp(out->name, "UTF-8") != 0 && utf8_beyond_ascii(body, len)) {
		snprintf(out->label, sizeof out->label, "%.*s", (int)(n < 40 ? n : 40), label);
		snprintf(out->name, sizeof out->name, "UTF-8");
		out->source = "content";
	}
}

void
charset_detect(const char *content_type, const char *body, size_t len,
	       struct charset_choice *out)
{
	const char *label;
	size_t n, at;

	out->bom = 0;
	out->meta_at = 0;
	out->label[0] = '\0';
	/* A byte-order mark wins over everything (the HTML standard's BOM sniffing). */
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		out->bom = 3;
	else if (len >= 2 && (memcmp(body, "\xff\xfe", 2) == 0 || memcmp(body, "\xfe\xff", 2) == 0))
		out->bom = 2;
	if (out->bom > 0) {
		snprintf(out->name, sizeof out->name, "%s",
			 out->bom == 3 ? "UTF-8" : body[0] == '\xff' ? "UTF-16LE" : "UTF-16BE");
		out->source = "bom";
		return;
	}
	if (content_type != NULL &&
	    (label = find_charset_param(content_type, strlen(content_type), &n)) != NULL) {
		bool known = set_name(out, label, n);

		out->source = "header";
		check_known(out, known, label, n);
		return;
	}
	if ((label = meta_charset(body, len, 0, PRESCAN_BYTES, &n, &at)) != NULL) {
		take_meta(out, body, len, label, n, at);
		return;
	}
	/* Still a guess: a declaration later in the head changes the encoding, and the
	 * page is decoded in it (the HTML standard's "change the encoding", done here
	 * before the one decode rather than by decoding twice). */
	if ((label = meta_charset(body, len, PRESCAN_BYTES > 5 ? PRESCAN_BYTES - 5 : 0, len,
				  &n, &at)) != NULL) {
		take_meta(out, body, len, label, n, at);
		return;
	}
	snprintf(out->name, sizeof out->name, "%s",
		 charset_valid_utf8(body, len) ? "UTF-8" : "WINDOWS-1252");
	out->source = "default";
}

/* UTF-8 to UTF-8 with every invalid byte replaced by U+FFFD. */
static int
sanitize_utf8(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
	size_t k;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_seq_len(p, (size_t)(end - p))) > 0) {
			p += k;
			continue;
		}
		if (buf_append(out, run, (size_t)(p - run)) == -1 ||
		    buf_append(out, "\xef\xbf\xbd", 3) == -1)
			return -1;
		run = ++p;
	}
	return buf_append(out, run, (size_t)(p - run));
}

/*
 * iconv's UTF-8 from out->data[start..]: glibc writes a code point past U+10FFFF (UCS-4
 * holds up to 0x7FFFFFFF) as the old 4-, 5- or 6-byte form, and a surrogate as its
 * 3 bytes, which are not UTF-8.  Each such sequence becomes one U+FFFD.  0, or -1 when
 * memory ran out.
 */
static int
utf8_after_iconv(struct buf *out, size_t start)
{
	const unsigned char *p, *end;
	unsigned char *copy;
	size_t n = out->len - start;
	int rc = 0;

	if (n == 0 || charset_valid_utf8(out->data + start, n))
		return 0;
	if ((copy = malloc(n)) == NULL)
		return -1;
	memcpy(copy, out->data + start, n);
	out->len = start;
	for (p = copy, end = copy + n; p < end && rc == 0;) {
		size_t k = *p < 0x80 ? 1 : utf8_seq_len(p, (size_t)(end - p)), len, skip;

		if (k > 0) {
			rc = buf_append(out, (const char *)p, k);
			p += k;
			continue;
		}
		len = *p >= 0xfc ? 6 : *p >= 0xf8 ? 5 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
		for (skip = 1; skip < len && p + skip < end && (p[skip] & 0xc0) == 0x80; skip++)
			;
		rc = buf_append(out, "\xef\xbf\xbd", 3);
		p += skip;
	}
	free(copy);
	return rc;
}

/* The size of a code unit of the iconv encoding name: an invalid unit is skipped
 * whole (the Encoding standard's UTF-16 and UTF-32 decoders), never one byte of it. */
static size_t
code_unit(const char *name)
{
	if (strncasecmp(name, "UTF-16", 6) == 0 || strncasecmp(name, "UCS-2", 5) == 0)
		return 2;
	if (strncasecmp(name, "UTF-32", 6) == 0 || strncasecmp(name, "UCS-4", 5) == 0)
		return 4;
	return 1;
}

int
charset_to_utf8(const struct charset_choice *cs, const char *body, size_t len,
		struct buf *out)
{
	size_t unit = code_unit(cs->name), start = out->len;
	const uint16_t *map;
	char chunk[16384];
	iconv_t cd;

	if (cs->bom <= len) {
		body += cs->bom;
		len -= cs->bom;
	}
	if ((map = sb_table(cs->name)) != NULL)
		return sb_to_utf8(map, body, len, out);
	if (strcmp(cs->name, "UTF-8") == 0 ||
	    (cd = iconv_open("UTF-8", cs->name)) == (iconv_t)-1) /* (checked in detect) */
		return sanitize_utf8(body, len, out);
	while (len > 0) {
		char *in = (char *)body, *o = chunk;
		size_t inleft = len, outleft = sizeof chunk;
		size_t rc = iconv(cd, &in, &inleft, &o, &outleft);
		int e = errno;
		if (buf_append(out, chunk, sizeof chunk - outleft) == -1) {
			iconv_close(cd);
			return -1;
		}
		body = in;
		len = inleft;
		if (rc == (size_t)-1 && (e == EILSEQ || e == EINVAL)) {
			/* Not valid in this encoding (or cut short at the end): one U+FFFD
			 * for the offending byte, or code unit in UTF-16/32 (a lone
			 * surrogate), then go on. */
			size_t skip = unit < len ? unit : len;
			if (buf_append(out, "\xef\xbf\xbd", 3) == -1) {
				iconv_close(cd);
				return -1;
			}
			body += skip;
			len -= skip;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return utf8_after_iconv(out, start);
}
