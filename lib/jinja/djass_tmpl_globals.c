/*
 * The functions a template calls by name, Jinja2's globals: range() and
 * dict(), and an extension's own (cookiecutter's random_ascii_string()
 * and uuid4()).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_globals.h"
#include "djass_tmpl_value.h"


static json_t *
djass_global_range(djass_eval_t *ev, djass_args_t *args)
{
    int         i;
    json_t     *r;
    uint64_t    n, k;
    json_int_t  start, stop, step;

    for (i = 0; i < args->npos; i++) {
        if (!json_is_integer(args->pos[i])) {
            djass_eval_fail(ev, "range() takes integers");
            return NULL;
        }
    }
    start = 0;
    step = 1;
    if (args->npos == 1) {
        stop = json_integer_value(args->pos[0]);
    } else if (args->npos >= 2) {
        start = json_integer_value(args->pos[0]);
        stop = json_integer_value(args->pos[1]);
        if (args->npos == 3) {
            step = json_integer_value(args->pos[2]);
        }
    } else {
        djass_eval_fail(ev, "range expected at least 1 argument");
        return NULL;
    }
    if (step == 0) {
        djass_eval_fail(ev, "range() arg 3 must not be zero");
        return NULL;
    }

    /* Python's len(range()), in unsigned arithmetic: no overflow */
    if (step > 0 ? start >= stop : start <= stop) {
        n = 0;
    } else if (step > 0) {
        n = ((uint64_t) stop - (uint64_t) start - 1) / (uint64_t) step + 1;
    } else {
        n = ((uint64_t) start - (uint64_t) stop - 1)
            / (0 - (uint64_t) step) + 1;
    }

    if (djass_eval_items(ev, "range()", 1, n, 0) != 0) {
        return NULL;
    }

    r = json_array();
    for (k = 0; r && k < n; k++) {
        /* start + k * step stays between start and stop: it fits */
        if (json_array_append_new(r, json_integer((json_int_t)
                ((uint64_t) start + k * (uint64_t) step))) != 0)
        {
            json_decref(r);
            r = NULL;
        }
    }
    if (r == NULL) {
        djass_eval_fail(ev, "out of memory");
    }
    return r;
}


static json_t *
djass_global_dict(djass_eval_t *ev, djass_args_t *args)
{
    int      i;
    json_t  *r;

    r = json_object();
    for (i = 0; i < args->nkw; i++) {
        json_object_setn_nocheck(r, args->kwname[i], args->kwlen[i],
                                 args->kw[i]);
    }
    return r;
}


/* Jinja2's globals (the ones templates use), sorted by name */
const djass_global_t  djass_tmpl_globals[] = {
    { "dict", djass_global_dict },
    { "range", djass_global_range }
};

const size_t  djass_tmpl_nglobals =
    sizeof(djass_tmpl_globals) / sizeof(djass_tmpl_globals[0]);


static int
djass_lookup_exists(djass_eval_t *ev, const char *name, size_t len)
{
    int  i;

    for (i = ev->nframes - 1; i >= ev->base; i--) {
        if (json_object_getn(ev->frames[i], name, len) != NULL) {
            return 1;
        }
    }

    return json_object_getn(ev->vars, name, len) != NULL;
}



json_t *
djass_tmpl_global(djass_eval_t *ev, const char *name, size_t len,
    djass_args_t *args)
{
    const djass_global_t  *g;

    g = djass_table_find(djass_tmpl_globals, djass_tmpl_nglobals,
                         sizeof(djass_global_t), name, len);
    if (g == NULL && ev->ext != NULL) {
        g = djass_table_find(ev->ext->globals, ev->ext->nglobals,
                             sizeof(djass_global_t), name, len);
    }

    if (g != NULL) {
        return g->handler(ev, args);
    }

    /* a variable called like a function, or nothing at all */
    if (djass_lookup_exists(ev, name, len)) {
        djass_eval_fail(ev, "'%.*s' is not callable", (int) len, name);
    } else {
        djass_eval_fail(ev, "'%.*s' is undefined", (int) len, name);
    }
    return NULL;
}
