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
#include <stdint.h>

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


/*
 * What one render may use.  Over a limit the render fails with a message
 * that names it ("... limit ..."); the defaults (doc/renderer.md) are far
 * above what real templates use and keep a hostile template (a
 * cookiecutter.json default is rendered when nginx loads its
 * configuration) from running forever or eating the machine.
 */
typedef struct {
    size_t     max_string;  /* bytes of any string value (64 MiB) */
    size_t     max_output;  /* bytes of one render's output (64 MiB) */
    size_t     max_items;   /* items of a list range() or * makes (1 M) */
    uint64_t   max_steps;   /* work of one render, in steps: an
                               expression, a statement, a loop pass
                               (16), 64 bytes of a string, 16 items
                               of a list (5 M: under a second) */
} djass_tmpl_limits_t;

/* the limits of every render from now on, process-wide (set once at
 * start-up); a field of 0, or l NULL, is the default; max_string and
 * max_output are at most 256 MiB */
void djass_tmpl_set_limits(const djass_tmpl_limits_t *l);
void djass_tmpl_get_limits(djass_tmpl_limits_t *l);


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
