/*
 * pgschema.h: the PostgreSQL schema and its migrations (see pgschema.c).
 */
#ifndef SCRAPER_PGSCHEMA_H
#define SCRAPER_PGSCHEMA_H

/* The schema version this build writes (scraper_meta 'schema'). */
#define PG_SCHEMA_VERSION 3

/* SQL moving a database from schema version from to from+1, or NULL. */
const char *pgschema_migration(int from);

#endif
