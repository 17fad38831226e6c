/*
 * schema.c: the database schema, as the list of migrations that builds it.
 *
 * Entry i moves a database from schema version i to i+1 (kept in PRAGMA user_version),
 * so a database written by any earlier release opens and is brought forward in one
 * transaction.  Never edit an entry that has shipped: add one.  README.md documents
 * the tables and views users query.
 */
#include "config.h"

#include "store/schema.h"

#include <stddef.h>

static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE pages("
	"  url TEXT PRIMARY KEY NOT NULL,"
	"  site TEXT NOT NULL,"
	"  status INTEGER,"
	"  content_type TEXT,"
	"  bytes INTEGER,"
	"  elapsed_ms INTEGER,"
	"  depth INTEGER,"
	"  fetched_at TEXT,"
	"  error TEXT,"
	"  etag TEXT,"
	"  last_modified TEXT,"
	"  final_url TEXT,"
	"  charset TEXT,"
	"  extract_errors INTEGER);"
	"CREATE INDEX pages_site ON pages(site);"
	"CREATE TABLE items("
	"  id INTEGER PRIMARY KEY,"
	"  site TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  data TEXT NOT NULL CHECK (json_valid(data)),"
	"  scraped_at TEXT NOT NULL,"
	"  UNIQUE (type, url, idx));"
	"CREATE INDEX items_url ON items(url);"
	"CREATE TABLE frontier("
	"  url TEXT PRIMARY KEY NOT NULL,"
	"  id INTEGER NOT NULL UNIQUE,"
	"  site TEXT NOT NULL,"
	"  depth INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('queued', 'inflight', 'done', 'failed', 'skipped')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT,"
	"  added_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX frontier_queue ON frontier(site, state, id);"
	"CREATE TABLE robots("
	"  site TEXT PRIMARY KEY NOT NULL,"
	"  status INTEGER,"
	"  body TEXT,"
	"  fetched_at TEXT NOT NULL,"
	"  fetched_unix INTEGER NOT NULL);",

	/* 1 -> 2: indexes for the read side (query.c, export.c, stats.c).
	 * items(site, type): items per site and type (stats, the README's "items per
	 * site") from the index alone, where schema 1 scans and sorts the items.
	 * pages(site, elapsed_ms): each site's fetch times in order for stats' median
	 * and 95th percentile, without a sort; it serves every lookup by site as well,
	 * so it replaces pages_site. */
	"CREATE INDEX items_site_type ON items(site, type);"
	"CREATE INDEX pages_site_elapsed ON pages(site, elapsed_ms);"
	"DROP INDEX pages_site;",

	/* 2 -> 3: pages.noindex: 1 when the page said noindex (<meta name="robots"> or
	 * X-Robots-Tag, read under robots: obey); 0 otherwise, and for rows from before. */
	"ALTER TABLE pages ADD COLUMN noindex INTEGER NOT NULL DEFAULT 0"
	"  CHECK (noindex IN (0, 1));",
};


_Static_assert(sizeof migrations / sizeof migrations[0] == SCHEMA_VERSION,
	       "SCHEMA_VERSION must equal the number of migrations");

const char *
schema_migration(int from)
{
	return from >= 0 && from < SCHEMA_VERSION ? migrations[from] : NULL;
}
