/*
 * The str and dict methods (djass_tmpl_methods.c).  Not a public
 * interface.
 */

#ifndef DJASS_TMPL_METHODS_H
#define DJASS_TMPL_METHODS_H

#include "djass_tmpl_eval.h"


json_t *djass_tmpl_method(djass_eval_t *ev, json_t *obj, const char *name,
    size_t len, djass_args_t *args);

#endif /* DJASS_TMPL_METHODS_H */
