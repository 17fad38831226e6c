/*
 * schema.h: the database schema and its migrations (see schema.c).
 */
#ifndef SCRAPER_SCHEMA_H
#define SCRAPER_SCHEMA_H

/* The schema version this build writes (PRAGMA user_version). */
#define SCHEMA_VERSION 5

/* SQL moving a database from schema version from to from+1, or NULL. */
const char *schema_migration(int from);

#endif
