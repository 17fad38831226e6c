/*
 * views.c: the item types' views from the rule files (see views.h).
 */
#include "config.h"

#include "crawl/views.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/oom.h"
#include "field.h"

/* One view per item type, with the fields of every rule file that defines it. */
int
views_create(struct store *store, const struct rule_set *rules, char *err, size_t errlen)
{
	struct store_view *views = NULL;
	size_t nviews = 0, cviews = 0;
	int rc;

	for (size_t f = 0; f <= rules->nfiles; f++) {
		const struct site_rules *r = f < rules->nfiles ? rules->files[f] : rules->fallback;
		for (size_t i = 0; i < r->nitems; i++) {
			const struct rule_item *it = &r->items[i];
			struct store_view *v = NULL;
			for (size_t k = 0; k < nviews && v == NULL; k++)
				v = strcmp(views[k].type, it->type) == 0 ? &views[k] : NULL;
			if (v == NULL) {
				views = xgrow(views, &cviews, nviews, sizeof *views);
				v = &views[nviews++];
				*v = (struct store_view){ it->type, NULL, 0 };
			}
			for (size_t j = 0; j < it->nfields; j++) {
				struct store_view_field *fv = (struct store_view_field *)v->fields;
				bool known = false;
				for (size_t k = 0; k < v->nfields; k++)
					known |= strcmp(fv[k].name, it->fields[j].name) == 0;
				if (known)
					continue;
				if ((fv = realloc(fv, (v->nfields + 1) * sizeof *fv)) == NULL)
					oom_exit();
				fv[v->nfields++] = (struct store_view_field){
					it->fields[j].name, field_type_name(it->fields[j].type),
					it->fields[j].all && !it->fields[j].joined };
				v->fields = fv;
			}
		}
	}
	rc = store_create_views(store, views, nviews, err, errlen);
	for (size_t i = 0; i < nviews; i++)
		free((void *)views[i].fields);
	free(views);
	return rc;
}
