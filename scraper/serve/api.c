/*
 * api.c: the HTTP server (libmicrohttpd): authentication, bodies, routing, and the
 * handlers of jobs, status, events and the dashboard's files.
 *
 * Threading: libmicrohttpd's own threads (MHD_USE_INTERNAL_POLLING_THREAD with a pool
 * of API_THREADS threads, epoll), not an external select loop in the supervisor.  The
 * API must stay quick while a query or an items export reads a big project database
 * or a client reads slowly, and the supervisor must reap and start jobs on time
 * whatever the API is doing; separate threads give both, and the shared state is one
 * mutex over a small SQLite database (service.h).  Streaming answers run in the pool
 * thread that serves their connection; the others go on serving.
 *
 * Every request to /api/ and /metrics needs "Authorization: Bearer TOKEN" when the
 * service has a token, compared in constant time (the time depends on the token's
 * length only, never on how much of a guess was right).  The dashboard's own files
 * (/, /app.js, /app.css) are served without it: they hold no data, and the page asks
 * for the token and sends it with each API call.
 *
 * Bodies are read into a buffer of at most SERVE_BODY_MAX bytes: a Content-Length over
 * it is answered 413 before the body is read; a chunked body that grows past it is
 * drained and answered 413.  An unknown path is 404, a known path with the wrong
 * method 405 with an Allow header.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "serve/api.h"
#include "serve/spec.h"

#define API_THREADS 4
#define API_CONNECTIONS 1000
#define API_TIMEOUT 120		/* seconds a connection may be idle */
#define PATH_PIECES 8
#define LOG_TAIL_MAX (16u << 20)

/* ---- answers ---- */

enum MHD_Result
api_send(struct request *r, unsigned status, struct MHD_Response *resp, const char *type)
{
	enum MHD_Result rc;

	if (resp == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"scraper\"");
	rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	return rc;
}

enum MHD_Result
api_json(struct request *r, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	struct MHD_Response *resp;
	size_t n;

	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	n = strlen(text);
	text = realloc(text, n + 2);
	if (text == NULL)
		return MHD_NO;
	text[n++] = '\n';
	text[n] = '\0';
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	return api_send(r, status, resp, "application/json");
}

enum MHD_Result
api_error(struct request *r, unsigned status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return api_json(r, status, json_pack("{s:s}", "error", msg));
}

const char *
api_arg(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- authentication ---- */

static bool
token_equal(const struct service *s, const char *given)
{
	size_t n = strlen(given);
	unsigned char diff = n != s->token_len;

	/* As many steps as the token is long, whatever was given. */
	for (size_t i = 0; i < s->token_len; i++)
		diff |= (unsigned char)s->token[i] ^ (unsigned char)(i < n ? given[i] : 0);
	return diff == 0;
}

static bool
authorized(struct request *r)
{
	const char *h;

	if (r->s->token == NULL)
		return true;
	h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return token_equal(r->s, h);
}

/* ---- small handlers ---- */

static enum MHD_Result
status_get(struct request *r)
{
	static const char *const states[] = { "queued", "running", "finished", "failed",
					      "cancelled", NULL };
	struct service *s = r->s;
	json_t *jobs = json_object(), *o;
	sqlite3_stmt *st;
	json_int_t projects = 0;

	for (size_t i = 0; states[i] != NULL; i++)
		json_object_set_new(jobs, states[i], json_integer(0));
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &st,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(jobs, (const char *)sqlite3_column_text(st, 0),
					    json_integer(sqlite3_column_int64(st, 1)));
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM projects", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			projects = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);
	o = json_pack("{s:s, s:f, s:o, s:I, s:i, s:b}", "version", PACKAGE_VERSION, "uptime_s",
		      clock_mono() - s->started_mono, "jobs", jobs, "projects", projects,
		      "max_jobs", s->max_jobs, "auth", s->token != NULL);
	return api_json(r, MHD_HTTP_OK, o);
}

/* A job id: 1 to 18 digits, not 0. */
static int64_t
parse_id(const char *p)
{
	int64_t v = 0;
	size_t n = 0;

	for (; *p >= '0' && *p <= '9' && n < 18; p++, n++)
		v = v * 10 + (*p - '0');
	return *p == '\0' && n > 0 ? v : 0;
}

static enum MHD_Result
jobs_list(struct request *r)
{
	static const char *const states[] = { "queued", "running", "finished", "failed",
					      "cancelled", NULL };
	const char *project = api_arg(r, "project"), *state = api_arg(r, "state");
	const char *limit_arg = api_arg(r, "limit");
	long limit = 100;
	json_t *a;
	size_t i;

	if (project != NULL && !spec_name_ok(project))
		return api_error(r, 400, "project: \"%.100s\" is not a project name ([a-z0-9_-]{1,64})",
				 project);
	if (state != NULL) {
		for (i = 0; states[i] != NULL && strcmp(states[i], state) != 0; i++)
			;
		if (states[i] == NULL)
			return api_error(r, 400, "state: \"%.100s\" is not one of queued, running,"
					 " finished, failed, cancelled", state);
	}
	if (limit_arg != NULL) {
		char *end;
		limit = strtol(limit_arg, &end, 10);
		if (*limit_arg == '\0' || *end != '\0' || limit < 1 || limit > 10000)
			return api_error(r, 400, "limit: give a number from 1 to 10000");
	}
	pthread_mutex_lock(&r->s->lock);
	a = svcdb_jobs_json(r->s, project, state, limit);
	pthread_mutex_unlock(&r->s->lock);
	if (a == NULL)
		return api_error(r, 500, "service.db: cannot list jobs");
	return api_json(r, 200, json_pack("{s:o}", "jobs", a));
}

static enum MHD_Result
job_get(struct request *r, int64_t id)
{
	json_t *o;

	pthread_mutex_lock(&r->s->lock);
	o = svcdb_job_json(r->s, id, true);
	if (o != NULL) {
		struct job_live *j = jobs_find(r->s, id);
		json_object_set_new(o, "cancelling", json_boolean(j != NULL && j->cancel));
	}
	pthread_mutex_unlock(&r->s->lock);
	if (o == NULL)
		return api_error(r, 404, "no job %lld", (long long)id);
	return api_json(r, 200, o);
}

static enum MHD_Result
job_cancel(struct request *r, int64_t id)
{
	char state[16];
	json_t *o = NULL;
	int rc;

	pthread_mutex_lock(&r->s->lock);
	rc = jobs_cancel(r->s, id, state, sizeof state);
	if (rc == 0) {
		o = svcdb_job_json(r->s, id, false);
		if (o != NULL)
			json_object_set_new(o, "cancelling", json_boolean(strcmp(state, "running") == 0));
	}
	pthread_mutex_unlock(&r->s->lock);
	if (rc == -1)
		return api_error(r, 404, "no job %lld", (long long)id);
	if (rc == 1)
		return api_error(r, 409, "job %lld has already ended (%s)", (long long)id, state);
	service_wake(r->s);
	return o ? api_json(r, 200, o) : api_error(r, 500, "service.db: cannot read job");
}

static enum MHD_Result
job_log(struct request *r, int64_t id)
{
	char project[SERVE_NAME_MAX + 1] = "", rest[64], path[4096];
	const char *tail = api_arg(r, "tail");
	struct MHD_Response *resp;
	sqlite3_stmt *st;
	struct stat sb;
	uint64_t off = 0, want = 0;
	int fd;

	if (tail != NULL) {
		char *end;
		long long v = strtoll(tail, &end, 10);
		if (*tail == '\0' || *end != '\0' || v < 1 || v > (long long)LOG_TAIL_MAX)
			return api_error(r, 400, "tail: give a number of bytes from 1 to %u", LOG_TAIL_MAX);
		want = (uint64_t)v;
	}
	pthread_mutex_lock(&r->s->lock);
	if (sqlite3_prepare_v2(r->s->db, "SELECT project FROM jobs WHERE id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(project, sizeof project, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&r->s->lock);
	if (project[0] == '\0')
		return api_error(r, 404, "no job %lld", (long long)id);
	snprintf(rest, sizeof rest, "jobs/%lld.log", (long long)id);
	if (service_project_path(r->s, project, rest, path, sizeof path) == -1)
		return api_error(r, 500, "path too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT) /* queued, never started: an empty log */
			return api_send(r, 200, MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT),
					"text/plain; charset=utf-8");
		return api_error(r, 500, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return api_error(r, 500, "%s: %s", path, strerror(errno));
	}
	if (want > 0 && (uint64_t)sb.st_size > want)
		off = (uint64_t)sb.st_size - want;
	resp = MHD_create_response_from_fd_at_offset64((uint64_t)sb.st_size - off, fd, off);
	if (resp == NULL)
		close(fd);
	return api_send(r, 200, resp, "text/plain; charset=utf-8");
}

static enum MHD_Result
events_list(struct request *r)
{
	const char *project = api_arg(r, "project"), *limit_arg = api_arg(r, "limit");
	json_t *a = json_array();
	sqlite3_stmt *st;
	long limit = 100;

	if (project != NULL && !spec_name_ok(project)) {
		json_decref(a);
		return api_error(r, 400, "project: \"%.100s\" is not a project name", project);
	}
	if (limit_arg != NULL) {
		char *end;
		limit = strtol(limit_arg, &end, 10);
		if (*limit_arg == '\0' || *end != '\0' || limit < 1 || limit > 10000) {
			json_decref(a);
			return api_error(r, 400, "limit: give a number from 1 to 10000");
		}
	}
	pthread_mutex_lock(&r->s->lock);
	if (sqlite3_prepare_v2(r->s->db, "SELECT id, at, project, job, kind, message FROM events"
					 " WHERE (?1 IS NULL OR project = ?1) ORDER BY id DESC LIMIT ?2",
			       -1, &st, NULL) == SQLITE_OK) {
		if (project != NULL)
			sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, limit);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char iso[32];
			service_iso_time(sqlite3_column_double(st, 1), iso);
			json_array_append_new(a, json_pack("{s:I, s:s, s:s?, s:o, s:s, s:s}",
				"id", (json_int_t)sqlite3_column_int64(st, 0), "at", iso,
				"project", (const char *)sqlite3_column_text(st, 2),
				"job", sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null() :
					json_integer(sqlite3_column_int64(st, 3)),
				"kind", (const char *)sqlite3_column_text(st, 4),
				"message", (const char *)sqlite3_column_text(st, 5)));
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&r->s->lock);
	return api_json(r, 200, json_pack("{s:o}", "events", a));
}

static enum MHD_Result
dashboard_get(struct request *r, const struct dashboard_file *f)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	return api_send(r, 200, resp, f->type);
}

/* ---- routing ---- */

/* The answer to a known path with a method it does not take. */
static enum MHD_Result
wrong_method(struct request *r, const char *allow)
{
	static const char text[] = "{\"error\":\"method not allowed\"}\n";
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(sizeof text - 1, (void *)text,
					       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	return api_send(r, 405, resp, "application/json");
}

static bool
is(const char *method, const char *want)
{
	return strcmp(method, want) == 0 || (strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static enum MHD_Result
route_project(struct request *r, char **p, int n)
{
	const char *m = r->method;
	const char *name = p[3];

	if (!spec_name_ok(name))
		return api_error(r, 400, "\"%.100s\" is not a project name ([a-z0-9_-]{1,64})", name);
	if (n == 4) {
		if (is(m, "GET"))
			return project_get(r, name);
		if (is(m, "PUT"))
			return project_put(r, name);
		if (is(m, "DELETE"))
			return project_delete(r, name);
		return wrong_method(r, "GET, HEAD, PUT, DELETE");
	}
	if (n == 5 && strcmp(p[4], "jobs") == 0)
		return is(m, "POST") ? project_start_job(r, name) : wrong_method(r, "POST");
	if (n == 5 && strcmp(p[4], "query") == 0)
		return is(m, "GET") ? readapi_query(r, name) : wrong_method(r, "GET, HEAD");
	if (n == 6 && strcmp(p[4], "items") == 0)
		return is(m, "GET") ? readapi_items(r, name, p[5]) : wrong_method(r, "GET, HEAD");
	return api_error(r, 404, "no such path");
}

static enum MHD_Result
route_job(struct request *r, char **p, int n)
{
	const char *m = r->method;
	int64_t id = parse_id(p[3]);

	if (id <= 0)
		return api_error(r, 404, "no job \"%.40s\"", p[3]);
	if (n == 4)
		return is(m, "GET") ? job_get(r, id) : wrong_method(r, "GET, HEAD");
	if (n == 5 && strcmp(p[4], "cancel") == 0)
		return is(m, "POST") ? job_cancel(r, id) : wrong_method(r, "POST");
	if (n == 5 && strcmp(p[4], "log") == 0)
		return is(m, "GET") ? job_log(r, id) : wrong_method(r, "GET, HEAD");
	return api_error(r, 404, "no such path");
}

/* The path in pieces: "/api/v1/jobs/3" -> api, v1, jobs, 3.  -1 when it has an empty
 * piece (//), a dot piece, or too many. */
static int
split_path(char *path, char **p)
{
	int n = 0;

	if (path[0] != '/')
		return -1;
	if (path[1] == '\0')
		return 0;
	for (char *s = path + 1;;) {
		char *slash = strchr(s, '/');
		if (n == PATH_PIECES)
			return -1;
		if (slash != NULL)
			*slash = '\0';
		if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
			return -1;
		p[n++] = s;
		if (slash == NULL)
			return n;
		s = slash + 1;
	}
}

static enum MHD_Result
route(struct request *r)
{
	char *p[PATH_PIECES];
	const char *m = r->method;
	int n;

	if (strncmp(r->path, "/api/", 5) != 0 && strcmp(r->path, "/metrics") != 0) {
		for (size_t i = 0; i < dashboard_nfiles; i++) {
			if (strcmp(r->path, dashboard_files[i].path) == 0)
				return is(m, "GET") ? dashboard_get(r, &dashboard_files[i]) :
						      wrong_method(r, "GET, HEAD");
		}
		return api_error(r, 404, "no such path");
	}
	if (strcmp(r->path, "/metrics") == 0)
		return is(m, "GET") ? metrics_answer(r) : wrong_method(r, "GET, HEAD");
	n = split_path(r->path, p);
	if (n < 3 || strcmp(p[0], "api") != 0 || strcmp(p[1], "v1") != 0)
		return api_error(r, 404, "no such path (the API is under /api/v1/)");
	if (n == 3 && strcmp(p[2], "status") == 0)
		return is(m, "GET") ? status_get(r) : wrong_method(r, "GET, HEAD");
	if (n == 3 && strcmp(p[2], "projects") == 0)
		return is(m, "GET") ? projects_list(r) : wrong_method(r, "GET, HEAD");
	if (n == 3 && strcmp(p[2], "jobs") == 0)
		return is(m, "GET") ? jobs_list(r) : wrong_method(r, "GET, HEAD");
	if (n == 3 && strcmp(p[2], "events") == 0)
		return is(m, "GET") ? events_list(r) : wrong_method(r, "GET, HEAD");
	if (n >= 4 && strcmp(p[2], "projects") == 0)
		return route_project(r, p, n);
	if (n >= 4 && strcmp(p[2], "jobs") == 0)
		return route_job(r, p, n);
	return api_error(r, 404, "no such path");
}

/* ---- libmicrohttpd's callbacks ---- */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	struct service *s = cls;
	struct request *r = *ctx;
	const char *len;

	(void)version;
	if (r == NULL) {
		/* The head has come; the body (if any) has not. */
		r = xcalloc(1, sizeof *r);
		r->s = s;
		r->conn = conn;
		r->method = method;
		r->path = xstrdup(url);
		r->started = clock_mono();
		buf_init(&r->body, SERVE_BODY_MAX);
		*ctx = r;
		if ((strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0) && !authorized(r)) {
			r->answered = true;
			return api_error(r, 401, "a valid \"Authorization: Bearer TOKEN\" header is required");
		}
		len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (len != NULL && strtoull(len, NULL, 10) > SERVE_BODY_MAX) {
			r->answered = true;
			return api_error(r, 413, "the body is larger than %u bytes", SERVE_BODY_MAX);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->answered && !r->too_big && buf_append(&r->body, upload, *upload_size) == -1) {
			r->too_big = true;
			buf_free(&r->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	r->answered = true;
	if (r->too_big)
		return api_error(r, 413, "the body is larger than %u bytes", SERVE_BODY_MAX);
	return route(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
	     enum MHD_RequestTerminationCode why)
{
	struct service *s = cls;
	struct request *r = *ctx;

	(void)conn;
	if (r == NULL)
		return;
	if (s->verbose > 0)
		log_info("%s %s: %u in %.1f ms%s", r->method, r->path, r->status,
			 (clock_mono() - r->started) * 1000,
			 why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (not completed)");
	buf_free(&r->body);
	free(r->path);
	free(r);
	*ctx = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

int
api_start(struct service *s, const char *listen, int *port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool loopback;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (spec_parse_listen(listen, &ss, &sslen, &loopback, err, errlen) == -1)
		return -1;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	else
		flags |= MHD_USE_POLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->httpd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)API_THREADS,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONNECTIONS,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_TIMEOUT,
				    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
				    MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
				    MHD_OPTION_END);
	if (s->httpd == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
			 errno ? strerror(errno) : "libmicrohttpd failed to start");
		return -1;
	}
	info = MHD_get_daemon_info(s->httpd, MHD_DAEMON_INFO_BIND_PORT);
	*port = info != NULL ? info->port : 0;
	return 0;
}

void
api_stop(struct service *s)
{
	if (s->httpd != NULL)
		MHD_stop_daemon(s->httpd);
	s->httpd = NULL;
}
