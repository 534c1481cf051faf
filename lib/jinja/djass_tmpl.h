/*
 * The template engine: the subset of Jinja2 that cookiecutter templates
 * use, with StrictUndefined and keep_trailing_newline.  Pure C: libc and
 * jansson only, so that the nginx module and the worker share it.  It
 * knows nothing of cookiecutter: cookiecutter's own filters, globals and
 * {% now %} come in as an extension (lib/cookiecutter/djass_extensions.c).
 *
 * A template is compiled once (djass_tmpl_compile_ext) and rendered any
 * number of times with a context object.
 */

#ifndef DJASS_TMPL_H
#define DJASS_TMPL_H

#include <stddef.h>

#include <jansson.h>


typedef struct {
    char  file[256];   /* template-relative file name, never an absolute path */
    int   line;        /* 1-based, 0 if unknown */
    char  msg[512];
} djass_err_t;


typedef struct djass_tmpl_s  djass_tmpl_t;

/* what an extension adds: filters, globals, tags (djass_tmpl_table.h) */
typedef struct djass_tmpl_ext_s  djass_tmpl_ext_t;


/* Jinja2 Environment options (cookiecutter.json's _jinja2_env_vars) */
#define DJASS_TMPL_TRIM_BLOCKS   0x01
#define DJASS_TMPL_LSTRIP_BLOCKS 0x02


/* sets err (file may be NULL: keeps err->file); always returns -1 */
int djass_err_set(djass_err_t *err, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* compiles src (need not be NUL-terminated) with DJASS_TMPL_* options
 * and the filters, globals and tags of ext (NULL: Jinja2's own only);
 * NULL with err set.  lib/cookiecutter/ compiles with cookiecutter's. */
djass_tmpl_t *djass_tmpl_compile_ext(const char *src, size_t len,
    const char *name, int flags, const djass_tmpl_ext_t *ext,
    djass_err_t *err);
/* renders with the variables of vars (a JSON object, e.g. {"cookiecutter":
 * ctx}); malloc'd NUL-terminated output, or NULL with err set */
char *djass_tmpl_render(djass_tmpl_t *t, json_t *vars, size_t *outlen,
    djass_err_t *err);
void djass_tmpl_free(djass_tmpl_t *t);

/* {% include name %}: returns the compiled template (the loader keeps it),
 * or NULL: not found if err->msg is empty, else an error */
typedef djass_tmpl_t *(*djass_tmpl_loader_pt)(void *data, const char *name,
    djass_err_t *err);

/* djass_tmpl_render with a loader for {% include %} (NULL: none) */
char *djass_tmpl_render_ex(djass_tmpl_t *t, json_t *vars,
    djass_tmpl_loader_pt loader, void *data, size_t *outlen,
    djass_err_t *err);

/* 1 if src has no template syntax at all: rendering it is the identity */
int djass_tmpl_is_plain(const char *src, size_t len);

/* Python's str() of a JSON value as Jinja prints it (True, None, 1.5,
 * ['a', 'b'] ...), appended to a malloc'd string; NULL on no memory */
char *djass_tmpl_str(json_t *v, size_t *len);

#endif /* DJASS_TMPL_H */
