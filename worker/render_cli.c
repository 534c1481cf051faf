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


int
djass_render_main(int argc, char **argv)
{
    int                   i, rc, created, sec;
    char                 *project, *eq;
    json_t               *given;
    const char           *template_dir, *output_dir, *zip;
    djass_err_t           err;
    djass_render_opts_t   opts;

    memset(&opts, 0, sizeof(opts));
    template_dir = NULL;
    output_dir = ".";
    zip = NULL;
    created = 0;

    given = json_object();
    if (given == NULL) {
        return 1;
    }

    for (i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0
             || strcmp(argv[i], "--output-dir") == 0) && i + 1 < argc)
        {
            output_dir = argv[++i];
        } else if (strcmp(argv[i], "--zip") == 0 && i + 1 < argc) {
            zip = argv[++i];
        } else if (strcmp(argv[i], "--hook-timeout") == 0 && i + 1 < argc) {
            if (djass_conf_int(argv[i], argv[i + 1], 1, DJASS_HOOK_TIMEOUT_MAX,
                               &sec) != 0)
            {
                json_decref(given);
                return 2;
            }
            opts.hook_timeout_ms = sec * 1000;
            i++;
        } else if (strcmp(argv[i], "--no-hooks") == 0) {
            opts.no_hooks = 1;
        } else if (strcmp(argv[i], "--no-input") == 0) {
            continue;
        } else if (argv[i][0] == '-') {
            json_decref(given);
            return djass_render_usage();
        } else if (template_dir == NULL) {
            template_dir = argv[i];
        } else if ((eq = strchr(argv[i], '=')) != NULL) {
            json_object_setn_new_nocheck(given, argv[i],
                                         (size_t) (eq - argv[i]),
                                         json_string_nocheck(eq + 1));
        } else {
            json_decref(given);
            return djass_render_usage();
        }
    }

    if (template_dir == NULL) {
        json_decref(given);
        return djass_render_usage();
    }

    if (djass_mkdirs(output_dir, &created) != 0) {
        fprintf(stderr, "render: cannot create the output folder: %s\n",
                strerror(errno));
        json_decref(given);
        return 1;
    }

    rc = djass_render_project(template_dir, output_dir, given, &opts,
                              &project, &err);
    json_decref(given);

    if (rc == 0 && zip != NULL && djass_zip_write(project, zip, &err) != 0) {
        djass_rm_rf(project);
        rc = -1;
    }

    if (rc != 0) {
        djass_render_report(&err);
        if (created) {
            rmdir(output_dir);
        }
        free(project);
        return 1;
    }

    printf("%s\n", project);
    free(project);
    return 0;
}
