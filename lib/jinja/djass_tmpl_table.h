/*
 * Name -> function tables (djass_tmpl_table.c), as Jinja2 keeps its
 * FILTERS, TESTS and globals: the engine's own tables, and the tables an
 * extension (cookiecutter's, lib/cookiecutter/) adds to them.  A table is
 * sorted by name; it is the only list of the names it knows.
 */

#ifndef DJASS_TMPL_TABLE_H
#define DJASS_TMPL_TABLE_H

#include <stddef.h>

#include <jansson.h>

#include "djass_buf.h"
#include "djass_tmpl.h"


typedef struct djass_eval_s  djass_eval_t;
typedef struct djass_args_s  djass_args_t;


/* flags of a filter or test */
#define DJASS_TMPL_STR        0x01  /* filter: gets str(value), a string */
#define DJASS_TMPL_UNDEFINED  0x02  /* takes an undefined value (NULL) */
#define DJASS_TMPL_ARG        0x04  /* test: no such test without its
                                       argument */

/* value | name(args): a new reference, or NULL with ev failed */
typedef json_t *(*djass_filter_pt)(djass_eval_t *ev, json_t *v,
    djass_args_t *args);
/* value is name(args): 1 or 0, or -1 with ev failed */
typedef int (*djass_test_pt)(djass_eval_t *ev, json_t *v,
    djass_args_t *args);
/* name(args) */
typedef json_t *(*djass_global_pt)(djass_eval_t *ev, djass_args_t *args);
/* {% now tz [+|- offset] [, fmt] %}: appends to out; 0, or -1 failed */
typedef int (*djass_now_pt)(djass_eval_t *ev, djass_buf_t *out, json_t *tz,
    int op, json_t *offset, json_t *fmt);


/* every entry starts with its name */
typedef struct {
    const char       *name;
    djass_filter_pt   handler;
    unsigned          flags;
} djass_filter_t;

typedef struct {
    const char       *name;
    djass_test_pt     handler;
    unsigned          flags;
} djass_test_t;

typedef struct {
    const char       *name;
    djass_global_pt   handler;
} djass_global_t;


/* what an extension adds to the engine: filters and globals (each table
 * sorted by name) and the {% now %} tag (NULL: no such tag) */
struct djass_tmpl_ext_s {
    const djass_filter_t  *filters;
    size_t                 nfilters;
    const djass_global_t  *globals;
    size_t                 nglobals;
    djass_now_pt           now;
};


/* the entry named name[0..len) of a table of n entries of size bytes
 * sorted by name, or NULL */
const void *djass_table_find(const void *table, size_t n, size_t size,
    const char *name, size_t len);

#endif /* DJASS_TMPL_TABLE_H */
