/*
 * log.c: prefixed diagnostics on stderr (see log.h).
 *
 * The whole line is formatted first and written with one write(2), so lines from the
 * coordinator and its workers, which share stderr, never interleave mid-line.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	char prefix[300];
	enum log_level level;
	void (*hook)(void);
} logger = { "scraper: ", LOGL_INFO, NULL };

void
log_init(const char *role, const char *site, enum log_level level)
{
	if (role == NULL)
		snprintf(logger.prefix, sizeof logger.prefix, "scraper: ");
	else if (site == NULL)
		snprintf(logger.prefix, sizeof logger.prefix, "scraper[%s]: ", role);
	else
		snprintf(logger.prefix, sizeof logger.prefix, "scraper[%s %s]: ", role, site);
	logger.level = level;
}

enum log_level
log_level(void)
{
	return logger.level;
}

void
log_set_hook(void (*before_write)(void))
{
	logger.hook = before_write;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error: ", "warning: ", "", "" };
	char line[4096];
	va_list ap;
	int n;

	if (level > logger.level)
		return;
	n = snprintf(line, sizeof line, "%s%s", logger.prefix, names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (logger.hook != NULL)
		logger.hook();
	/* Nothing sensible to do if stderr is gone. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
