/*
 * Jinja2's filters (djass_tmpl_filters.c): the FILTERS table.  Not a
 * public interface.
 */

#ifndef DJASS_TMPL_FILTERS_H
#define DJASS_TMPL_FILTERS_H

#include "djass_tmpl_eval.h"
#include "djass_tmpl_table.h"


/* sorted by name */
extern const djass_filter_t  djass_tmpl_filters[];
extern const size_t          djass_tmpl_nfilters;

/* the filter named name[0..len): the engine's, else ext's (may be NULL);
 * NULL if neither has it */
const djass_filter_t *djass_tmpl_find_filter(const djass_tmpl_ext_t *ext,
    const char *name, size_t len);

/* applies f to v (str(v) for DJASS_TMPL_STR filters) */
json_t *djass_tmpl_call_filter(djass_eval_t *ev, const djass_filter_t *f,
    json_t *v, djass_args_t *args);

#endif /* DJASS_TMPL_FILTERS_H */
