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

	/* 2 -> 3: items over time (README.md, "Items over time").
	 * runs: one row per crawl or reparse; item_versions.job names the run that saw a
	 * version (the service records its job id in runs.job).
	 * item_keys: every item ever seen, current or gone, by its identity (type, key);
	 * its id is the item's id for good: items (the current items, as before) and
	 * item_versions use it.  Items already stored get the default key, the page URL
	 * and position, and their data as a first version seen by no run.
	 * item_versions: every version of every item; a version ends when the data
	 * changes (a new version follows) or the item goes (gone_at).
	 * problems: each extraction problem of each page's last extraction.
	 * bodies: response bodies, compressed, once per content digest; pages.body names
	 * the page's, pages.headers keeps its response headers, pages.rules_hash the
	 * fingerprint of the rules its items were extracted with. */
	"CREATE TABLE runs("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  job TEXT,"
	"  started_at TEXT NOT NULL,"
	"  finished_at TEXT);"
	"CREATE TABLE item_keys("
	"  id INTEGER PRIMARY KEY,"
	"  site TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  first_seen TEXT NOT NULL,"
	"  gone_at TEXT,"
	"  UNIQUE (type, key));"
	"CREATE TABLE item_versions("
	"  id INTEGER PRIMARY KEY,"
	"  item_id INTEGER NOT NULL,"
	"  data TEXT NOT NULL,"
	"  first_seen TEXT NOT NULL,"
	"  last_seen TEXT NOT NULL,"
	"  job INTEGER,"
	"  gone_at TEXT,"
	"  gone_job INTEGER);"
	"CREATE INDEX item_versions_item ON item_versions(item_id, id);"
	"CREATE INDEX item_versions_job ON item_versions(job);"
	"CREATE INDEX item_versions_gone_job ON item_versions(gone_job) WHERE gone_job IS NOT NULL;"
	"INSERT INTO item_keys(id, site, type, key, url, first_seen)"
	"  SELECT id, site, type, json_array(url, idx), url, scraped_at FROM items;"
	"INSERT INTO item_versions(item_id, data, first_seen, last_seen)"
	"  SELECT id, data, scraped_at, scraped_at FROM items ORDER BY id;"
	"CREATE TABLE problems("
	"  id INTEGER PRIMARY KEY,"
	"  url TEXT NOT NULL,"
	"  site TEXT NOT NULL,"
	"  type TEXT,"
	"  field TEXT,"
	"  message TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  job INTEGER);"
	"CREATE INDEX problems_url ON problems(url);"
	"CREATE TABLE bodies("
	"  digest TEXT PRIMARY KEY NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  codec TEXT NOT NULL,"
	"  data BLOB NOT NULL);"
	"ALTER TABLE pages ADD COLUMN rules_hash TEXT;"
	"ALTER TABLE pages ADD COLUMN body TEXT;"
	"ALTER TABLE pages ADD COLUMN headers TEXT;"
	/* changes: every version as added (the first, or the first after the item was
	 * gone) or changed (with the version before as old), and every going as gone. */
	"CREATE VIEW changes AS"
	"  SELECT k.type AS type, k.key AS key,"
	"    CASE WHEN v.prev_data IS NULL OR v.prev_gone IS NOT NULL THEN 'added'"
	"      ELSE 'changed' END AS change,"
	"    v.first_seen AS at,"
	"    CASE WHEN v.prev_gone IS NULL THEN v.prev_data END AS old,"
	"    v.data AS new"
	"  FROM (SELECT item_id, data, first_seen,"
	"          lag(data) OVER w AS prev_data, lag(gone_at) OVER w AS prev_gone"
	"        FROM item_versions WINDOW w AS (PARTITION BY item_id ORDER BY id)) v"
	"  JOIN item_keys k ON k.id = v.item_id"
	"  UNION ALL"
	"  SELECT k.type, k.key, 'gone', v.gone_at, v.data, NULL"
	"  FROM item_versions v JOIN item_keys k ON k.id = v.item_id"
	"  WHERE v.gone_at IS NOT NULL;",

	/* 3 -> 4: what the workers cost, per site, summed over every crawl (stats):
	 * how many worker processes ran, their CPU time (user + system, from wait4 when
	 * each was reaped) and the largest peak resident memory of any of them. */
	"CREATE TABLE site_usage("
	"  site TEXT PRIMARY KEY NOT NULL,"
	"  workers INTEGER NOT NULL,"
	"  cpu_ms INTEGER NOT NULL,"
	"  peak_rss_kb INTEGER NOT NULL,"
	"  updated_at TEXT NOT NULL);",

	/* 4 -> 5: pages.noindex: 1 when the page said noindex (<meta name="robots"> or
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
