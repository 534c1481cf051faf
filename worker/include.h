/*
 * The templates a render's {% include %} loads: found in the project
 * template folder, then in <template>/templates, never outside the
 * template, each compiled once per render.
 */

#ifndef DJASS_INCLUDE_H
#define DJASS_INCLUDE_H

#include "djass_cookiecutter.h"


typedef struct djass_include_s  djass_include_t;

typedef struct {
    const char       *root;      /* the {{cookiecutter.x}} folder */
    const char       *repo;      /* the template folder, a real path */
    int               flags;     /* the template's _jinja2_env_vars */
    djass_include_t  *list;      /* loaded so far */
} djass_includes_t;


/* a djass_tmpl_loader_pt: data is the djass_includes_t; NULL when the
 * name is not found (err is set when it was found but failed) */
djass_tmpl_t *djass_include_load(void *data, const char *name,
    djass_err_t *err);

/* frees what was loaded */
void djass_includes_free(djass_includes_t *l);

#endif /* DJASS_INCLUDE_H */
