/*
 * Template hooks, as cookiecutter runs them: hooks/pre_gen_project.* and
 * hooks/post_gen_project.* of the template, rendered with the project's
 * context, run in the project folder with no input and a time limit.
 * A renderer killed takes its hook along (PR_SET_PDEATHSIG).
 */

#ifndef DJASS_HOOK_H
#define DJASS_HOOK_H

#include <jansson.h>

#include "djass_cookiecutter.h"


/* seconds a hook may run: the one default of --hook-timeout, for both
 * `djass-worker render` and the job consumer */
#define DJASS_HOOK_TIMEOUT     120
#define DJASS_HOOK_TIMEOUT_MAX 86400


typedef struct {
    const char   *repo;          /* the template folder, a real path */
    const char   *project;       /* where hooks run */
    json_t       *vars;          /* what hooks are rendered with */
    int           flags;         /* the template's _jinja2_env_vars */
    const char   *python;        /* runs .py hooks */
    int           no_hooks;      /* run none */
    int           timeout_ms;    /* 0: DJASS_HOOK_TIMEOUT */
    int           stdout_fd;     /* where hooks' stdout goes; 0: stderr */
    djass_err_t  *err;
} djass_hooks_t;


#define DJASS_HOOK_ENV_MAX  64


/* runs every hooks/<hook>.* file; 0, or -1 with h->err set */
int djass_hooks_run(const djass_hooks_t *h, const char *hook);

/* 1 when the template has a hooks/<hook>.* file (and hooks are on) */
int djass_hooks_has(const djass_hooks_t *h, const char *hook);

/* what a hook's environment holds: the allow-listed part of environ
 * (DJASS_HOOK_ENV_MAX entries at most, NULL-terminated, pointing into
 * environ), with a PATH always */
void djass_hook_env(char **env);

#endif /* DJASS_HOOK_H */
