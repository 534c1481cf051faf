/*
 * `djass-worker render TEMPLATE_DIR -o OUTPUT_DIR [--no-hooks]
 *  [--no-hook-server] [--zip FILE.zip] [--hook-timeout SECONDS]
 *  [--render-timeout SECONDS] [--render-memory MB] [--render-output MB]
 *  [key=value ...]`
 *
 * Like `cookiecutter --no-input -o OUTPUT_DIR TEMPLATE_DIR key=value...`:
 * prints the project folder's path; on error prints file:line: what on
 * stderr, leaves nothing behind and exits non-zero.  The render limits are
 * the worker's, with its defaults; at the time limit the process ends
 * at once (exit status 1), and may leave a .djass-render-* folder.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "files.h"
#include "hook_server.h"
#include "render.h"
#include "render_cli.h"
#include "zip.h"


static int
djass_render_usage(void)
{
    fprintf(stderr, "usage: djass-worker render TEMPLATE_DIR -o OUTPUT_DIR "
            "[--no-hooks] [--no-hook-server] [--zip FILE.zip] "
            "[--hook-timeout SECONDS] "
            "[--render-timeout SECONDS] [--render-memory MB] "
            "[--render-output MB] [key=value ...]\n");
    return 2;
}


static char  djass_render_late[128];


/* the time limit: no cleanup is safe in a signal handler */
static void
djass_render_alarm(int signo)
{
    ssize_t  n;

    n = write(STDERR_FILENO, djass_render_late, strlen(djass_render_late));
    (void) n;
    _exit(1);
}


static void
djass_render_report(const djass_err_t *err)
{
    if (err->line > 0) {
        fprintf(stderr, "%s:%d: %s\n", err->file, err->line, err->msg);
    } else {
        fprintf(stderr, "%s: %s\n", err->file[0] ? err->file : "render",
                err->msg);
    }
}


typedef struct {
    const char           *template_dir;
    const char           *output_dir;
    const char           *zip;
    djass_render_opts_t   opts;
    djass_limits_t        limits;
    int                   no_hook_server;
} djass_render_args_t;


/* 0, or 2 (the exit status of a bad command line) after saying why */
static int
djass_render_args(int argc, char **argv, djass_render_args_t *a,
    json_t *given)
{
    int    i, sec, rc;
    char  *eq;

    memset(a, 0, sizeof(djass_render_args_t));
    a->output_dir = ".";
    djass_limits_init(&a->limits);

    for (i = 1; i < argc; i++) {
        rc = i + 1 < argc ? djass_limits_option(&a->limits, argv[i],
                                                argv[i + 1])
                          : 1;
        if (rc < 0) {
            return 2;
        }

        if (rc == 0) {
            i++;
        } else if ((strcmp(argv[i], "-o") == 0
             || strcmp(argv[i], "--output-dir") == 0) && i + 1 < argc)
        {
            a->output_dir = argv[++i];
        } else if (strcmp(argv[i], "--zip") == 0 && i + 1 < argc) {
            a->zip = argv[++i];
        } else if (strcmp(argv[i], "--hook-timeout") == 0 && i + 1 < argc) {
            if (djass_conf_int(argv[i], argv[i + 1], 1,
                               DJASS_HOOK_TIMEOUT_MAX, &sec) != 0)
            {
                return 2;
            }
            a->opts.hook_timeout_ms = sec * 1000;
            i++;
        } else if (strcmp(argv[i], "--no-hooks") == 0) {
            a->opts.no_hooks = 1;
        } else if (strcmp(argv[i], "--no-hook-server") == 0) {
            a->no_hook_server = 1;
        } else if (strcmp(argv[i], "--no-input") == 0) {
            continue;
        } else if (argv[i][0] == '-') {
            return djass_render_usage();
        } else if (a->template_dir == NULL) {
            a->template_dir = argv[i];
        } else if ((eq = strchr(argv[i], '=')) != NULL) {
            json_object_setn_new_nocheck(given, argv[i],
                                         (size_t) (eq - argv[i]),
                                         json_string_nocheck(eq + 1));
        } else {
            return djass_render_usage();
        }
    }

    return a->template_dir ? 0 : djass_render_usage();
}


int
djass_render_main(int argc, char **argv)
{
    int                   rc, created;
    char                 *project;
    unsigned              left;
    json_t               *given;
    djass_err_t           err;
    djass_render_args_t   a;

    project = NULL;
    created = 0;

    given = json_object();
    if (given == NULL) {
        return 1;
    }

    rc = djass_render_args(argc, argv, &a, given);
    if (rc != 0) {
        goto done;
    }

    /* .py hooks through a hook server (hook_server.h), as the worker
     * runs them */
    if (!a.opts.no_hooks && !a.no_hook_server
        && djass_hook_server_wanted(a.template_dir))
    {
        (void) djass_hook_server_ensure(djass_hook_python());
    }

    djass_limits_apply(&a.limits);
    djass_limits_timeout(&a.limits, djass_render_late,
                         sizeof(djass_render_late) - 1);
    djass_render_late[strlen(djass_render_late)] = '\n';
    /* an alarm set by whoever started us, and sooner, stays theirs */
    left = alarm(0);
    if (left > 0 && left < (unsigned) a.limits.timeout_s) {
        alarm(left);

    } else {
        signal(SIGALRM, djass_render_alarm);
        alarm((unsigned) a.limits.timeout_s);
    }

    if (djass_mkdirs(a.output_dir, &created) != 0) {
        fprintf(stderr, "render: cannot create the output folder: %s\n",
                strerror(errno));
        rc = 1;
        goto done;
    }

    rc = djass_render_project(a.template_dir, a.output_dir, given, &a.opts,
                              &project, &err) == 0 ? 0 : 1;

    if (rc == 0 && a.zip != NULL
        && djass_zip_write(project, a.zip, &err) != 0)
    {
        djass_rm_rf(project);
        rc = 1;
    }

    if (rc != 0) {
        if (djass_limits_hit(&a.limits, err.msg, err.msg, sizeof(err.msg)))
        {
            err.file[0] = '\0';
            err.line = 0;
        }
        djass_render_report(&err);
        if (created) {
            rmdir(a.output_dir);
        }
        goto done;
    }

    printf("%s\n", project);

done:

    free(project);
    json_decref(given);
    return rc;
}
