/*
 * views.h: the SQL views of the item types the rule files define (crawl/views.c),
 * made by crawl and reparse when they open the database.
 */
#ifndef SCRAPER_VIEWS_H
#define SCRAPER_VIEWS_H

#include <stddef.h>

#include "rules/rules.h"
#include "store/store.h"

/* One view per item type (and its TYPE_history), with the fields of every rule file
 * that defines it.  0, or -1 with err filled. */
int views_create(struct store *store, const struct rule_set *rules, char *err, size_t errlen);

#endif
