/*
 * `djass-worker render TEMPLATE_DIR -o OUTPUT_DIR [--no-hooks]
 *  [--zip FILE.zip] [--hook-timeout SECONDS] [key=value ...]`
 *
 * Like `cookiecutter --no-input -o OUTPUT_DIR TEMPLATE_DIR key=value...`:
 * prints the project folder's path; on error prints file:line: what on
 * stderr, leaves nothing behind and exits non-zero.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "files.h"
#include "render.h"
#include "render_cli.h"
#include "zip.h"


static int
djass_render_usage(void)
{
    fprintf(stderr, "usage: djass-worker render TEMPLATE_DIR -o OUTPUT_DIR "
            "[--no-hooks] [--zip FILE.zip] [--hook-timeout SECONDS] "
            "[key=value ...]\n");
    return 2;
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
} djass_render_args_t;


/* 0, or 2 (the exit status of a bad command line) after saying why */
static int
djass_render_args(int argc, char **argv, djass_render_args_t *a,
    json_t *given)
{
    int    i, sec;
    char  *eq;

    memset(a, 0, sizeof(djass_render_args_t));
    a->output_dir = ".";

    for (i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0
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
