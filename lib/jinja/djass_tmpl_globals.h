/*
 * The functions a template calls by name (djass_tmpl_globals.c): Jinja2's
 * globals table.  Not a public interface.
 */

#ifndef DJASS_TMPL_GLOBALS_H
#define DJASS_TMPL_GLOBALS_H

#include "djass_tmpl_eval.h"
#include "djass_tmpl_table.h"


/* sorted by name */
extern const djass_global_t  djass_tmpl_globals[];
extern const size_t          djass_tmpl_nglobals;

/* name(args): the engine's global, else the extension's */
json_t *djass_tmpl_global(djass_eval_t *ev, const char *name, size_t len,
    djass_args_t *args);

#endif /* DJASS_TMPL_GLOBALS_H */
