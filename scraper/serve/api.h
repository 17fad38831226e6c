/*
 * api.h: what the HTTP handlers share (api.c is the glue and the router; the handlers
 * are in api.c, projects.c, readapi.c and metrics.c).
 *
 * A handler gets the request (method, path pieces, body, query arguments through
 * MHD_lookup_connection_value) and answers with exactly one api_* call, whose value it
 * returns to libmicrohttpd.
 */
#ifndef SCRAPER_API_H
#define SCRAPER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"
#include "serve/service.h"

struct request {
	struct service *s;
	struct MHD_Connection *conn;
	const char *method;
	char *path;		/* a copy of the (decoded) path */
	struct buf body;
	bool too_big;		/* the body passed SERVE_BODY_MAX: 413 */
	bool answered;		/* answered early (401, 413) */
	unsigned status;	/* what was answered, for the request log */
	double started;
};

/* A query argument ("?name=value", decoded), or NULL. */
const char *api_arg(struct request *r, const char *name);

/* Answer with a JSON body (takes the reference to body). */
enum MHD_Result api_json(struct request *r, unsigned status, json_t *body);
/* Answer {"error": "..."}. */
enum MHD_Result api_error(struct request *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer with a response made by the caller (destroyed here). */
enum MHD_Result api_send(struct request *r, unsigned status, struct MHD_Response *resp,
			 const char *content_type);

/* projects.c */
enum MHD_Result projects_list(struct request *r);
enum MHD_Result project_put(struct request *r, const char *name);
enum MHD_Result project_get(struct request *r, const char *name);
enum MHD_Result project_delete(struct request *r, const char *name);
enum MHD_Result project_start_job(struct request *r, const char *name);

/* readapi.c: a project's database */
enum MHD_Result readapi_query(struct request *r, const char *name);
enum MHD_Result readapi_items(struct request *r, const char *name, const char *type);

/* metrics.c */
enum MHD_Result metrics_answer(struct request *r);

/* dashboard.c (generated from scraper/serve/dashboard/ by embed.sh) */
struct dashboard_file {
	const char *path;	/* "/", "/app.js", ... */
	const char *type;	/* Content-Type */
	const unsigned char *data;
	size_t len;
};
extern const struct dashboard_file dashboard_files[];
extern const size_t dashboard_nfiles;

#endif
