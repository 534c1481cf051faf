/*
 * cookiecutter's rules (lib/cookiecutter/): the template engine as
 * cookiecutter sets it up (djass_cookiecutter.c), the context it builds
 * from cookiecutter.json (djass_context.h) and slugify (djass_slug.h).
 * The public header of the folder.
 */

#ifndef DJASS_COOKIECUTTER_H
#define DJASS_COOKIECUTTER_H

#include <stddef.h>

#include <jansson.h>

#include "djass_context.h"
#include "djass_slug.h"
#include "djass_tmpl.h"


/* compiles src (need not be NUL-terminated) with cookiecutter's
 * extensions; NULL with err set */
djass_tmpl_t *djass_tmpl_compile(const char *src, size_t len,
    const char *name, djass_err_t *err);
/* the same with DJASS_TMPL_* options */
djass_tmpl_t *djass_tmpl_compile_flags(const char *src, size_t len,
    const char *name, int flags, djass_err_t *err);
/* cookiecutter.json's _jinja2_env_vars (may be NULL) as DJASS_TMPL_*
 * flags; -1 with err set for an option we do not support */
int djass_tmpl_env_flags(json_t *env_vars, int *flags, djass_err_t *err);

/* Render one template string with {"cookiecutter": ctx}. Returns malloc'd
 * NUL-terminated output (also *outlen), or NULL with err set (err->file =
 * name). */
char *djass_render_string(const char *src, size_t len, json_t *ctx,
    const char *name, size_t *outlen, djass_err_t *err);

#endif /* DJASS_COOKIECUTTER_H */
