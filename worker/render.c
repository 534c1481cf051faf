/*
 * Rendering a template tree (see render.h).  The order of the work
 * follows cookiecutter's generate_files(): the project folder, the
 * pre_gen_project hook, then a top-down walk where each folder's
 * copy-only subfolders are copied, its other subfolders created and its
 * files rendered or copied, then the post_gen_project hook.
 *
 * The project is built in a hidden staging folder inside the output
 * folder and renamed into place at the end, so a failure leaves nothing.
 * Hooks (hook.c), the {% include %} loader (include.c), binary and newline
 * detection (binary.c, newline.c) and file helpers (files.c) live apart.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "binary.h"
#include "djass_cookiecutter.h"
#include "files.h"
#include "hook.h"
#include "hook_server.h"
#include "include.h"
#include "newline.h"
#include "render.h"


typedef struct {
    char                        root[PATH_MAX];     /* {{cookiecutter.x}} */
    char                        repo[PATH_MAX];     /* the template dir */
    char                        project[PATH_MAX];  /* staging/<name> */
    char                        project_real[PATH_MAX];
    char                        checked[PATH_MAX];  /* a parent known inside */
    json_t                     *ctx;
    json_t                     *vars;
    json_t                     *copy_globs;
    const char                 *newline;           /* _new_lines, or NULL */
    int                         flags;             /* _jinja2_env_vars */
    djass_includes_t            inc;
    djass_hooks_t               hooks;
    djass_err_t                *err;
} djass_render_t;


static int djass_render_walk(djass_render_t *r, const char *rel);


/* renders a template-relative path; NULL with err set */
static char *
djass_render_name(djass_render_t *r, const char *rel)
{
    char          *out;
    size_t         len;
    djass_tmpl_t  *t;

    t = djass_tmpl_compile_flags(rel, strlen(rel), rel, r->flags, r->err);
    if (t == NULL) {
        return NULL;
    }

    out = djass_tmpl_render(t, r->vars, &len, r->err);
    djass_tmpl_free(t);

    if (out != NULL && memchr(out, '\0', len) != NULL) {
        free(out);
        djass_err_set(r->err, rel, 0, "the rendered name holds a NUL byte");
        return NULL;
    }

    return out;
}


/* a rendered relative path may not leave the project folder */
static int
djass_confined(djass_render_t *r, const char *rel, const char *rendered)
{
    const char  *p, *e;

    if (rendered[0] == '/') {
        return djass_err_set(r->err, rel, 0, "the rendered path '%s' is "
                             "absolute", rendered);
    }

    for (p = rendered; *p; p = e) {
        e = strchr(p, '/');
        if (e == NULL) {
            e = p + strlen(p);
        }
        if (e - p == 2 && p[0] == '.' && p[1] == '.') {
            return djass_err_set(r->err, rel, 0, "the rendered path '%s' "
                                 "leaves the project folder", rendered);
        }
        while (*e == '/') {
            e++;
        }
    }

    return 0;
}


/* the real parent of path must be inside the project (no symlink out) */
static int
djass_parent_inside(djass_render_t *r, const char *rel, const char *path)
{
    char    dir[PATH_MAX], real[PATH_MAX], *slash;
    size_t  n;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }

    /* files come folder by folder: one realpath() per folder */
    if (strcmp(dir, r->checked) == 0) {
        return 0;
    }

    if (realpath(dir, real) == NULL) {
        return djass_file_err(r->err, rel, "cannot write the rendered file");
    }

    n = strlen(r->project_real);
    if (strncmp(real, r->project_real, n) != 0
        || (real[n] != '\0' && real[n] != '/'))
    {
        return djass_err_set(r->err, rel, 0, "the rendered path leaves the "
                             "project folder");
    }

    snprintf(r->checked, sizeof(r->checked), "%s", dir);
    return 0;
}


static int
djass_copy_only(djass_render_t *r, const char *rel)
{
    size_t   i;
    json_t  *g;

    for (i = 0; i < json_array_size(r->copy_globs); i++) {
        g = json_array_get(r->copy_globs, i);
        if (json_is_string(g)
            && fnmatch(json_string_value(g), rel, FNM_NOESCAPE) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a symlink in the template must point inside the template */
static int
djass_check_link(djass_render_t *r, const char *rel, const char *src)
{
    char         real[PATH_MAX];
    size_t       n;
    struct stat  st;

    if (lstat(src, &st) != 0) {
        return djass_file_err(r->err, rel, "cannot read");
    }

    if (!S_ISLNK(st.st_mode)) {
        return 0;
    }

    n = strlen(r->repo);
    if (realpath(src, real) == NULL || strncmp(real, r->repo, n) != 0
        || (real[n] != '\0' && real[n] != '/'))
    {
        return djass_err_set(r->err, rel, 0, "a symbolic link that points "
                             "outside the template");
    }

    return 0;
}


static int
djass_copy_file(djass_render_t *r, const char *rel, const char *src,
    const char *dst)
{
    int          rc;
    char        *p;
    size_t       len;
    struct stat  st;

    if (djass_check_link(r, rel, src) != 0) {
        return -1;
    }

    p = djass_read_file(src, &len);
    if (p == NULL || stat(src, &st) != 0) {
        free(p);
        return djass_file_err(r->err, rel, "cannot read");
    }

    rc = djass_write_file(dst, p, len, st.st_mode);
    free(p);

    return rc == 0 ? 0 : djass_file_err(r->err, rel, "cannot write");
}


/* shutil.copytree(): folders keep their modes */
static int
djass_copy_tree(djass_render_t *r, const char *rel, const char *src,
    const char *dst)
{
    DIR            *d;
    char            s2[PATH_MAX], d2[PATH_MAX], r2[PATH_MAX];
    struct stat     st;
    struct dirent  *de;
    int             rc;

    if (djass_check_link(r, rel, src) != 0 || stat(src, &st) != 0) {
        return -1;
    }

    if (mkdir(dst, 0777) != 0 && errno != EEXIST) {
        return djass_file_err(r->err, rel, "cannot create the folder");
    }

    d = opendir(src);
    if (d == NULL) {
        return djass_file_err(r->err, rel, "cannot read the folder");
    }

    rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (djass_path(s2, src, de->d_name) != 0
            || djass_path(d2, dst, de->d_name) != 0
            || djass_path(r2, rel, de->d_name) != 0)
        {
            rc = djass_err_set(r->err, rel, 0, "path too long");
            break;
        }

        struct stat  sub;

        if (stat(s2, &sub) != 0) {
            rc = djass_file_err(r->err, r2, "cannot read");
        } else if (S_ISDIR(sub.st_mode)) {
            rc = djass_copy_tree(r, r2, s2, d2);
        } else {
            rc = djass_copy_file(r, r2, s2, d2);
        }
    }

    closedir(d);

    if (rc == 0 && chmod(dst, st.st_mode & 07777) != 0) {
        rc = djass_file_err(r->err, rel, "cannot set the folder's mode");
    }

    return rc;
}


/* writes the rendered text of a template file to dst */
static int
djass_render_text(djass_render_t *r, const char *rel, const char *dst,
    const char *text, size_t len, mode_t mode)
{
    int            rc;
    char          *out;
    size_t         olen;
    const char    *nl;
    djass_tmpl_t  *t;

    t = djass_tmpl_compile_flags(text, len, rel, r->flags, r->err);
    if (t == NULL) {
        return -1;
    }

    nl = r->newline ? r->newline : djass_detect_newline(text, len);

    out = djass_tmpl_render_ex(t, r->vars, djass_include_load, &r->inc,
                               &olen, r->err);
    djass_tmpl_free(t);
    if (out == NULL) {
        return -1;
    }

    out = djass_translate_newlines(out, &olen, nl);
    if (out == NULL) {
        return djass_err_set(r->err, rel, 0, "out of memory");
    }

    rc = djass_write_file(dst, out, olen, mode);
    free(out);

    return rc == 0 ? 0 : djass_file_err(r->err, rel, "cannot write");
}


static int
djass_render_file(djass_render_t *r, const char *rel)
{
    int          rc;
    char         src[PATH_MAX], dst[PATH_MAX], *name, *text;
    size_t       len;
    struct stat  st;

    text = NULL;
    rc = -1;

    name = djass_render_name(r, rel);
    if (name == NULL) {
        return -1;
    }

    if (djass_confined(r, rel, name) != 0) {
        goto done;
    }

    if (djass_path(src, r->root, rel) != 0
        || djass_path(dst, r->project, name) != 0)
    {
        rc = djass_err_set(r->err, rel, 0, "path too long");
        goto done;
    }

    /* a name that renders empty leaves the folder's own path: skipped */
    if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = 0;
        goto done;
    }

    if (djass_parent_inside(r, rel, dst) != 0) {
        goto done;
    }

    if (djass_copy_only(r, rel)) {
        rc = djass_copy_file(r, rel, src, dst);
        goto done;
    }

    if (djass_check_link(r, rel, src) != 0) {
        goto done;
    }

    text = djass_read_file(src, &len);
    if (text == NULL || stat(src, &st) != 0) {
        rc = djass_file_err(r->err, rel, "cannot read");
        goto done;
    }

    if (djass_is_binary(rel, text, len)) {
        rc = djass_write_file(dst, text, len, st.st_mode) == 0
             ? 0 : djass_file_err(r->err, rel, "cannot write");
        goto done;
    }

    rc = djass_render_text(r, rel, dst, text, len, st.st_mode);

done:

    free(text);
    free(name);
    return rc;
}


static void
djass_list_free(char **list, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}


/* the sorted entries of a folder: dirs (stat says so) and files; on an
 * error both lists are empty */
static int
djass_list(djass_render_t *r, const char *rel, char ***dirs, size_t *nd,
    char ***files, size_t *nf)
{
    int             rc;
    DIR            *d;
    char            path[PATH_MAX], sub[PATH_MAX], **list, ***into;
    size_t         *n;
    struct stat     st;
    struct dirent  *de;

    *dirs = *files = NULL;
    *nd = *nf = 0;

    if (djass_path(path, r->root, rel) != 0) {
        return djass_err_set(r->err, rel, 0, "path too long");
    }

    d = opendir(path);
    if (d == NULL) {
        return djass_file_err(r->err, rel[0] ? rel : ".",
                              "cannot read the folder");
    }

    rc = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (djass_path(sub, path, de->d_name) != 0) {
            rc = djass_err_set(r->err, rel, 0, "path too long");
            goto done;
        }

        /* os.walk: a symlink to a folder counts as a folder */
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            into = dirs;
            n = nd;
        } else {
            into = files;
            n = nf;
        }

        list = realloc(*into, (*n + 1) * sizeof(char *));
        if (list == NULL) {
            rc = djass_err_set(r->err, rel, 0, "out of memory");
            goto done;
        }

        *into = list;
        list[*n] = strdup(de->d_name);
        if (list[*n] == NULL) {
            rc = djass_err_set(r->err, rel, 0, "out of memory");
            goto done;
        }

        (*n)++;
    }

    djass_names_sort(*dirs, *nd);
    djass_names_sort(*files, *nf);

done:

    closedir(d);

    if (rc != 0) {
        djass_list_free(*dirs, *nd);
        djass_list_free(*files, *nf);
        *dirs = *files = NULL;
        *nd = *nf = 0;
    }

    return rc;
}


static int
djass_render_dir(djass_render_t *r, const char *rel, int copy)
{
    char         src[PATH_MAX], dst[PATH_MAX], *name;
    struct stat  st;

    name = djass_render_name(r, rel);
    if (name == NULL) {
        return -1;
    }

    if (djass_confined(r, rel, name) != 0
        || djass_path(src, r->root, rel) != 0
        || djass_path(dst, r->project, name) != 0)
    {
        free(name);
        return -1;
    }

    free(name);

    if (djass_parent_inside(r, rel, dst) != 0
        || djass_check_link(r, rel, src) != 0)
    {
        return -1;
    }

    if (copy) {
        if (lstat(dst, &st) == 0 && djass_rm_rf(dst) != 0) {
            return djass_file_err(r->err, rel, "cannot replace the folder");
        }
        return djass_copy_tree(r, rel, src, dst);
    }

    /* render_and_create_dir(): an existing folder is an error */
    if (lstat(dst, &st) == 0) {
        return djass_err_set(r->err, rel, 0, "the rendered folder already "
                             "exists");
    }

    if (mkdir(dst, 0777) != 0) {
        return djass_file_err(r->err, rel, "cannot create the folder");
    }

    return 0;
}


static int
djass_render_walk(djass_render_t *r, const char *rel)
{
    int          rc;
    char         sub[PATH_MAX], src[PATH_MAX], **dirs, **files;
    size_t       nd, nf, i;
    struct stat  st;

    if (djass_list(r, rel, &dirs, &nd, &files, &nf) != 0) {
        return -1;
    }

    rc = 0;

    /* copy-only folders first, then the others, then the files */
    for (i = 0; rc == 0 && i < nd; i++) {
        djass_path(sub, rel, dirs[i]);
        if (djass_copy_only(r, sub)) {
            rc = djass_render_dir(r, sub, 1);
            free(dirs[i]);
            dirs[i] = NULL;
        }
    }

    for (i = 0; rc == 0 && i < nd; i++) {
        if (dirs[i] != NULL) {
            djass_path(sub, rel, dirs[i]);
            rc = djass_render_dir(r, sub, 0);
        }
    }

    for (i = 0; rc == 0 && i < nf; i++) {
        djass_path(sub, rel, files[i]);
        rc = djass_render_file(r, sub);
    }

    /* os.walk does not go into symlinked folders */
    for (i = 0; rc == 0 && i < nd; i++) {
        if (dirs[i] != NULL) {
            djass_path(sub, rel, dirs[i]);
            if (djass_path(src, r->root, sub) == 0 && lstat(src, &st) == 0
                && !S_ISLNK(st.st_mode))
            {
                rc = djass_render_walk(r, sub);
            }
        }
    }

    djass_list_free(dirs, nd);
    djass_list_free(files, nf);
    return rc;
}


/* the context: cookiecutter.json + given, plus the keys cookiecutter adds */
static int
djass_render_context(djass_render_t *r, const char *template_dir,
    const char *output_dir, json_t *given)
{
    char          path[PATH_MAX], abs_out[PATH_MAX];
    json_t       *cj, *v;
    json_error_t  je;

    if (djass_path(path, r->repo, "cookiecutter.json") != 0) {
        return djass_err_set(r->err, "cookiecutter.json", 0, "path too long");
    }

    cj = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (cj == NULL) {
        return djass_err_set(r->err, "cookiecutter.json", je.line,
                             "JSON decoding error: %s", je.text);
    }

    r->ctx = djass_context_build(cj, given, r->err);
    json_decref(cj);
    if (r->ctx == NULL) {
        return -1;
    }

    v = json_object_get(r->ctx, "_extensions");
    if (json_array_size(v) > 0) {
        return djass_err_set(r->err, "cookiecutter.json", 0, "_extensions "
                             "(Jinja2 extensions in Python) are not "
                             "supported");
    }

    if (djass_tmpl_env_flags(json_object_get(r->ctx, "_jinja2_env_vars"),
                             &r->flags, r->err) != 0)
    {
        return -1;
    }

    v = json_object_get(r->ctx, "_new_lines");
    if (json_is_string(v) && json_string_length(v) > 0) {
        r->newline = json_string_value(v);
    }

    r->copy_globs = json_object_get(r->ctx, "_copy_without_render");

    if (realpath(output_dir, abs_out) == NULL) {
        snprintf(abs_out, sizeof(abs_out), "%s", output_dir);
    }

    json_object_set_new(r->ctx, "_template", json_string(template_dir));
    json_object_set_new(r->ctx, "_output_dir", json_string(abs_out));
    json_object_set_new(r->ctx, "_repo_dir", json_string(template_dir));
    json_object_set_new(r->ctx, "_checkout", json_null());

    r->vars = json_pack("{sO}", "cookiecutter", r->ctx);
    if (r->vars == NULL) {
        return djass_err_set(r->err, "cookiecutter.json", 0,
                             "out of memory");
    }

    r->inc.flags = r->flags;
    r->hooks.flags = r->flags;
    r->hooks.vars = r->vars;

    return 0;
}


/* find_template(): the first entry named like {{cookiecutter.x}} */
static int
djass_find_root(djass_render_t *r, char *name, size_t size)
{
    DIR            *d;
    struct dirent  *de;

    d = opendir(r->repo);
    if (d == NULL) {
        return djass_err_set(r->err, ".", 0, "cannot read the template "
                             "folder: %s", djass_file_strerror(errno));
    }

    while ((de = readdir(d)) != NULL) {
        if (strstr(de->d_name, "cookiecutter") && strstr(de->d_name, "{{")
            && strstr(de->d_name, "}}"))
        {
            snprintf(name, size, "%s", de->d_name);
            closedir(d);
            return djass_path(r->root, r->repo, name);
        }
    }

    closedir(d);
    return djass_err_set(r->err, ".", 0, "The repository is not a "
                         "template: no folder named like "
                         "{{cookiecutter.project_slug}}");
}


/* the project folder's name, rendered and checked: final and r->project
 * (in staging) are set; 0 or -1 */
static int
djass_render_root(djass_render_t *r, const char *rootname,
    const char *output_dir, const char *staging, char *final)
{
    int          rc;
    char        *name;
    struct stat  st;

    name = djass_render_name(r, rootname);
    if (name == NULL) {
        return -1;
    }

    rc = -1;

    if (name[0] == '\0' || strchr(name, '/') || strcmp(name, ".") == 0
        || strcmp(name, "..") == 0)
    {
        djass_err_set(r->err, rootname, 0, "the project folder's name '%s' "
                      "is not a folder name", name);
        goto done;
    }

    if (djass_path(final, output_dir, name) != 0
        || djass_path(r->project, staging, name) != 0)
    {
        djass_err_set(r->err, rootname, 0, "path too long");
        goto done;
    }

    if (lstat(final, &st) == 0) {
        djass_err_set(r->err, rootname, 0, "Error: \"%s\" directory already "
                      "exists", name);
        goto done;
    }

    rc = 0;

done:

    free(name);
    return rc;
}


static int
djass_render_tree(djass_render_t *r, const char *output_dir, char *staging,
    char *final)
{
    char  rootname[NAME_MAX + 1];

    if (djass_find_root(r, rootname, sizeof(rootname)) != 0
        || djass_render_root(r, rootname, output_dir, staging, final) != 0)
    {
        return -1;
    }

    if (mkdir(r->project, 0777) != 0
        || realpath(r->project, r->project_real) == NULL)
    {
        return djass_file_err(r->err, rootname,
                              "cannot create the project folder");
    }

    if (djass_hooks_has(&r->hooks, "pre_prompt")) {
        return djass_err_set(r->err, "hooks/pre_prompt", 0, "pre_prompt "
                             "hooks are not supported (--no-hooks skips "
                             "all hooks)");
    }

    if (djass_hooks_run(&r->hooks, "pre_gen_project") != 0) {
        return -1;
    }

    /* a hook may have replaced folders by symlinks: check again */
    r->checked[0] = '\0';

    if (djass_render_walk(r, "") != 0
        || djass_hooks_run(&r->hooks, "post_gen_project") != 0)
    {
        return -1;
    }

    return 0;
}


/* what the include loader and the hooks need to know of this render */
static void
djass_render_setup(djass_render_t *r, const djass_render_opts_t *opts,
    djass_err_t *err)
{
    r->err = err;

    r->inc.root = r->root;
    r->inc.repo = r->repo;

    r->hooks.repo = r->repo;
    r->hooks.project = r->project;
    r->hooks.python = opts->python ? opts->python : djass_hook_python();
    r->hooks.no_hooks = opts->no_hooks;
    r->hooks.timeout_ms = opts->hook_timeout_ms;
    r->hooks.stdout_fd = opts->hook_stdout_fd;
    r->hooks.err = err;
}


int
djass_render_project(const char *template_dir, const char *output_dir,
    json_t *given, const djass_render_opts_t *opts, char **project_dir,
    djass_err_t *err)
{
    int                   rc;
    char                  staging[PATH_MAX], final[PATH_MAX];
    djass_render_t       *r;
    djass_render_opts_t   defaults;

    memset(err, 0, sizeof(*err));
    *project_dir = NULL;

    if (opts == NULL) {
        memset(&defaults, 0, sizeof(defaults));
        opts = &defaults;
    }

    r = calloc(1, sizeof(djass_render_t));
    if (r == NULL) {
        return djass_err_set(err, ".", 0, "out of memory");
    }

    djass_render_setup(r, opts, err);

    if (realpath(template_dir, r->repo) == NULL) {
        rc = djass_err_set(err, ".", 0, "cannot open the template "
                           "folder: %s", djass_file_strerror(errno));
        goto done;
    }

    if (djass_path(staging, output_dir, ".djass-render-XXXXXX") != 0
        || mkdtemp(staging) == NULL)
    {
        rc = djass_err_set(err, ".", 0, "cannot write into the output "
                           "folder: %s", djass_file_strerror(errno));
        goto done;
    }

    rc = djass_render_context(r, template_dir, output_dir, given);
    if (rc == 0) {
        rc = djass_render_tree(r, output_dir, staging, final);
    }

    /* into place only if nothing is there yet */
    if (rc == 0 && renameat2(AT_FDCWD, r->project, AT_FDCWD, final,
                             RENAME_NOREPLACE) != 0)
    {
        rc = djass_err_set(err, ".", 0, "cannot move the project into the "
                           "output folder: %s", djass_file_strerror(errno));
    }

    djass_rm_rf(staging);

    if (rc == 0) {
        *project_dir = realpath(final, NULL);
        if (*project_dir == NULL) {
            *project_dir = strdup(final);
        }
    }

done:

    djass_includes_free(&r->inc);
    json_decref(r->vars);
    json_decref(r->ctx);
    free(r);
    return rc;
}
