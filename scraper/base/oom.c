/*
 * oom.c: allocate or exit (see oom.h).
 */
#include "config.h"

#include "base/oom.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "base/log.h"

void
oom_exit(void)
{
	log_error("out of memory");
	exit(EXIT_FAILED);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom_exit();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom_exit();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		oom_exit();
	return p;
}

void *
xgrow(void *v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < *cap || ncap > SIZE_MAX / elem)
		oom_exit();
	if ((v = realloc(v, ncap * elem)) == NULL)
		oom_exit();
	*cap = ncap;
	return v;
}
