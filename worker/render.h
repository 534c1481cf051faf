/*
 * Rendering a whole cookiecutter template tree, as `cookiecutter
 * --no-input -o OUTPUT_DIR TEMPLATE_DIR k=v...` does, with the shared
 * template engine (lib/jinja/djass_tmpl.h).  Used by `djass-worker render` and
 * by the job consumer.
 */

#ifndef DJASS_RENDER_H
#define DJASS_RENDER_H

#include <jansson.h>

#include "djass_cookiecutter.h"


typedef struct {
    int          no_hooks;          /* skip hooks/pre_gen_project.* ... */
    int          hook_timeout_ms;   /* 0: DJASS_HOOK_TIMEOUT (hook.h) */
    int          hook_stdout_fd;    /* where hooks' stdout goes; 0: stderr */
    const char  *python;            /* runs .py hooks; NULL: $DJASS_PYTHON
                                       or python3 from PATH */
} djass_render_opts_t;


/* Render template_dir into a NEW folder inside output_dir (which must exist)
 * exactly like `cookiecutter --no-input -o output_dir template_dir k=v...`;
 * `given` is a JSON object of string values. On success *project_dir is the
 * malloc'd path of the project folder. On error nothing partial is left in
 * output_dir and err says file:line: what (no absolute host paths in
 * err->msg/err->file: the worker shows it to API users). */
int djass_render_project(const char *template_dir, const char *output_dir,
    json_t *given, const djass_render_opts_t *opts, char **project_dir,
    djass_err_t *err);

#endif /* DJASS_RENDER_H */
