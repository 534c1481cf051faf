/*
 * The template engine as cookiecutter sets it up (its environment.py):
 * StrictUndefined, keep_trailing_newline, its own extensions
 * (djass_extensions.c) and the options of _jinja2_env_vars.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_cookiecutter.h"
#include "djass_extensions.h"
#include "djass_tmpl_value.h"


int
djass_tmpl_env_flags(json_t *env_vars, int *flags, djass_err_t *err)
{
    json_t      *v;
    const char  *key;

    *flags = 0;
    if (env_vars == NULL || json_is_null(env_vars)) {
        return 0;
    }

    if (!json_is_object(env_vars)) {
        return djass_err_set(err, "cookiecutter.json", 0,
                             "_jinja2_env_vars is not an object");
    }

    json_object_foreach(env_vars, key, v) {
        if (strcmp(key, "trim_blocks") == 0) {
            *flags |= djass_val_truthy(v) ? DJASS_TMPL_TRIM_BLOCKS : 0;
        } else if (strcmp(key, "lstrip_blocks") == 0) {
            *flags |= djass_val_truthy(v) ? DJASS_TMPL_LSTRIP_BLOCKS : 0;
        } else {
            return djass_err_set(err, "cookiecutter.json", 0,
                                 "_jinja2_env_vars: '%s' is not supported "
                                 "(trim_blocks and lstrip_blocks are)", key);
        }
    }

    return 0;
}


djass_tmpl_t *
djass_tmpl_compile_flags(const char *src, size_t len, const char *name,
    int flags, djass_err_t *err)
{
    return djass_tmpl_compile_ext(src, len, name, flags,
                                  &djass_cookiecutter_ext, err);
}


djass_tmpl_t *
djass_tmpl_compile(const char *src, size_t len, const char *name,
    djass_err_t *err)
{
    return djass_tmpl_compile_flags(src, len, name, 0, err);
}


char *
djass_render_string(const char *src, size_t len, json_t *ctx,
    const char *name, size_t *outlen, djass_err_t *err)
{
    char          *out;
    json_t        *vars;
    djass_tmpl_t  *t;

    t = djass_tmpl_compile(src, len, name, err);
    if (t == NULL) {
        return NULL;
    }

    vars = json_object();
    if (vars == NULL || json_object_set(vars, "cookiecutter", ctx) != 0) {
        json_decref(vars);
        djass_tmpl_free(t);
        djass_err_set(err, name, 0, "out of memory");
        return NULL;
    }

    out = djass_tmpl_render(t, vars, outlen, err);

    json_decref(vars);
    djass_tmpl_free(t);
    return out;
}

