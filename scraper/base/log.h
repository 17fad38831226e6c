/*
 * log.h: the one way scraper writes diagnostics.
 *
 * Every line goes to stderr prefixed with the program, the process role and, in a
 * worker, its site: "scraper[worker 127.0.0.1:8081]: ...".  Library-style modules never
 * print; they return errors to a caller that logs them.  The coordinator's live status
 * line registers a hook so a log line first clears it.
 */
#ifndef SCRAPER_LOG_H
#define SCRAPER_LOG_H

enum log_level { LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/* Set the role ("coordinator", "worker", or NULL for a plain "scraper: " prefix), the
 * site (NULL for none) and the most verbose level written. */
void log_init(const char *role, const char *site, enum log_level level);
enum log_level log_level(void);

/* Called before each line is written (to clear a status line), or NULL. */
void log_set_hook(void (*before_write)(void));

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOGL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOGL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)

#endif
