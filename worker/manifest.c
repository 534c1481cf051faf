/*
 * The manifests of a generated project (see manifest.h).
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "djass_buf.h"
#include "djass_pyjson.h"
#include "djass_template_version.h"
#include "files.h"
#include "manifest.h"
#include "rollout.h"


static djass_manifest_project_t  djass_manifest_project;
static json_t                   *djass_manifest_given;  /* --manifest's */


static json_t *djass_manifest_flags(json_t *cc, json_t *payload,
    djass_err_t *err);
static int djass_manifest_is_flag(json_t *v);
static json_t *djass_manifest_paths(const char *project_dir,
    djass_err_t *err);
static json_t *djass_manifest_time(long long t);
static const char *djass_manifest_template(const char *template_dir,
    json_t *cc, char *buf, size_t size);
static const char *djass_manifest_base(const char *path, char *buf,
    size_t size);
static int djass_manifest_file(const char *project_dir, const char *name,
    json_t *v, djass_err_t *err);


void
djass_manifest_set(const djass_manifest_project_t *p)
{
    djass_manifest_project = *p;
}


int
djass_manifest_option(const char *text)
{
    json_t                    *o, *v;
    json_error_t               jerr;
    djass_manifest_project_t  *p;

    /* its strings are kept until djass_manifest_free() */
    json_decref(djass_manifest_given);
    djass_manifest_given = NULL;

    o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL || !json_is_object(o)) {
        fprintf(stderr, "render: --manifest: not a JSON object\n");
        json_decref(o);
        return -1;
    }

    p = &djass_manifest_project;
    memset(p, 0, sizeof(djass_manifest_project_t));
    p->on = 1;

    v = json_object_get(o, "id");
    if (v != NULL && !(json_is_integer(v) && json_integer_value(v) >= 0)) {
        goto invalid;
    }
    p->id = v ? json_integer_value(v) : 0;

    v = json_object_get(o, "created_at");
    if (v != NULL && !(json_is_integer(v) && json_integer_value(v) >= 0)) {
        goto invalid;
    }
    p->created_at = v ? json_integer_value(v) : 0;

    v = json_object_get(o, "name");
    if (v != NULL && !json_is_string(v)) {
        goto invalid;
    }
    p->name = json_string_value(v);

    v = json_object_get(o, "slug");
    if (v != NULL && !json_is_string(v)) {
        goto invalid;
    }
    p->slug = json_string_value(v);

    djass_manifest_given = o;

    return 0;

invalid:

    fprintf(stderr, "render: --manifest: id and created_at are integers "
            "(0 or more), name and slug strings\n");
    json_decref(o);
    p->on = 0;
    return -1;
}


void
djass_manifest_free(void)
{
    memset(&djass_manifest_project, 0, sizeof(djass_manifest_project_t));
    json_decref(djass_manifest_given);
    djass_manifest_given = NULL;
}


int
djass_manifest_write(const char *template_dir, const char *project_dir,
    json_t *payload, djass_err_t *err)
{
    int                        rc;
    char                       label[256], base[256], file[PATH_MAX];
    char                       hex[DJASS_TEMPLATE_VERSION_LEN + 1];
    json_t                    *flags, *paths, *created, *cc, *m, *md;
    json_error_t               jerr;
    const char                *name, *slug, *version;
    djass_manifest_project_t  *p;

    p = &djass_manifest_project;

    if (!p->on) {
        return 0;
    }

    /* the version this worker rendered with; the render command's own */
    version = djass_template_current;

    if (version[0] == '\0') {
        if (djass_template_version(template_dir, hex, NULL, err->msg,
                                   sizeof(err->msg))
            != 0)
        {
            return -1;
        }

        version = hex;
    }


    cc = NULL;

    if (djass_path(file, template_dir, "cookiecutter.json") == 0) {
        cc = json_load_file(file, 0, &jerr);
    }

    if (!json_is_object(cc)) {
        json_decref(cc);
        return djass_err_set(err, "cookiecutter.json", 0, "cannot read it");
    }

    /* the record's; for the render command, the name given (else the
     * template's default) and the project folder's name */
    name = p->name;

    if (name == NULL) {
        name = json_string_value(json_object_get(payload, "project_name"));
    }

    if (name == NULL) {
        name = json_string_value(json_object_get(cc, "project_name"));
    }

    slug = p->slug ? p->slug : djass_manifest_base(project_dir, base,
                                                    sizeof(base));

    flags = djass_manifest_flags(cc, payload, err);
    if (flags == NULL) {
        json_decref(cc);
        return -1;
    }

    /* the top-level entries before the manifests are added */
    paths = djass_manifest_paths(project_dir, err);
    if (paths == NULL) {
        json_decref(flags);
        json_decref(cc);
        return -1;
    }

    created = djass_manifest_time(p->created_at);

    m = json_pack("{s:{s:s, s:s, s:s}, s:O, s:s, s:s, s:s, s:O, "
                  "s:{s:I, s:s, s:s}, s:s, s:{s:O}, s:o}",
                  "generator",
                      "cookiecutter_version", DJASS_MANIFEST_COOKIECUTTER,
                      "name", "djass",
                      "template", djass_manifest_template(template_dir, cc,
                                                          label,
                                                          sizeof(label)),
                  "input_payload", payload,
                  "kind", "djass-cookiecutter-generation",
                  "manifest_version", "1.0",
                  "metadata_file", DJASS_MANIFEST_METADATA,
                  "module_flags", flags,
                  "project",
                      "id", (json_int_t) p->id,
                      "name", name ? name : "",
                      "slug", slug ? slug : "",
                  "template_version", version,
                  "timestamps",
                      "created_at", created,
                  "top_level_paths", paths);

    md = json_pack("{s:s, s:s, s:O, s:I, s:s, s:s, s:s, s:{s:O}}",
                   "generator_version", DJASS_VERSION,
                   "metadata_version", "1.0",
                   "module_flags", flags,
                   "project_id", (json_int_t) p->id,
                   "project_name", name ? name : "",
                   "project_slug", slug ? slug : "",
                   "template_version", version,
                   "timestamps",
                       "created_at", created);

    json_decref(flags);
    json_decref(created);
    json_decref(cc);

    if (m == NULL || md == NULL) {
        json_decref(m);
        json_decref(md);
        return djass_err_set(err, DJASS_MANIFEST_FILE, 0,
                             "cannot build the manifest (out of memory?)");
    }

    rc = djass_manifest_file(project_dir, DJASS_MANIFEST_FILE, m, err);

    if (rc == 0) {
        rc = djass_manifest_file(project_dir, DJASS_MANIFEST_METADATA, md,
                                 err);
    }

    json_decref(m);
    json_decref(md);

    return rc;
}


/* the template's feature flags ("y"/"n", or a choice of exactly those)
 * with the values the project was made with */
static json_t *
djass_manifest_flags(json_t *cc, json_t *payload, djass_err_t *err)
{
    json_t      *flags, *v, *given;
    const char  *key;

    flags = json_object();

    json_object_foreach(cc, key, v) {
        if (flags == NULL || key[0] == '_' || !djass_manifest_is_flag(v)) {
            continue;
        }

        given = json_object_get(payload, key);

        if (!json_is_string(given)) {
            given = json_is_array(v) ? json_array_get(v, 0) : v;
        }

        if (json_object_set(flags, key, given) != 0) {
            json_decref(flags);
            flags = NULL;
        }
    }

    if (flags == NULL) {
        djass_err_set(err, DJASS_MANIFEST_FILE, 0, "out of memory");
    }

    return flags;
}


/* as the catalog says (ngx_http_djass_is_flag) */
static int
djass_manifest_is_flag(json_t *v)
{
    const char  *s;

    if (json_is_array(v)) {
        return json_array_size(v) == 2
               && djass_manifest_is_flag(json_array_get(v, 0))
               && djass_manifest_is_flag(json_array_get(v, 1));
    }

    s = json_string_value(v);

    return s != NULL && (strcmp(s, "y") == 0 || strcmp(s, "n") == 0);
}


static json_t *
djass_manifest_paths(const char *project_dir, djass_err_t *err)
{
    DIR            *d;
    char          **names, **more;
    json_t         *paths;
    size_t          n, size, i;
    struct dirent  *de;

    d = opendir(project_dir);
    if (d == NULL) {
        djass_file_err(err, ".", "cannot list the project");
        return NULL;
    }

    names = NULL;
    n = 0;
    size = 0;
    paths = NULL;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0
            || strcmp(de->d_name, DJASS_MANIFEST_FILE) == 0
            || strcmp(de->d_name, DJASS_MANIFEST_METADATA) == 0)
        {
            continue;
        }

        if (n == size) {
            size = size ? size * 2 : 64;
            more = realloc(names, size * sizeof(char *));
            if (more == NULL) {
                goto failed;
            }
            names = more;
        }

        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            goto failed;
        }

        n++;
    }

    djass_names_sort(names, n);

    paths = json_array();

    for (i = 0; paths != NULL && i < n; i++) {
        if (json_array_append_new(paths, json_string_nocheck(names[i]))
            != 0)
        {
            json_decref(paths);
            paths = NULL;
        }
    }

failed:

    closedir(d);

    for (i = 0; i < n; i++) {
        free(names[i]);
    }

    free(names);

    if (paths == NULL) {
        djass_err_set(err, DJASS_MANIFEST_FILE, 0, "out of memory");
    }

    return paths;
}


/* as Python's datetime.isoformat() writes a UTC time of whole seconds */
static json_t *
djass_manifest_time(long long t)
{
    char       buf[64];
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;

    if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
        return json_null();
    }

    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+00:00", &tm);

    return json_string(buf);
}


/* _djass_catalog's "template" (where the template comes from), else the
 * template folder's name */
static const char *
djass_manifest_template(const char *template_dir, json_t *cc, char *buf,
    size_t size)
{
    const char  *s;

    s = json_string_value(json_object_get(json_object_get(cc,
                                                          "_djass_catalog"),
                                          "template"));

    return s ? s : djass_manifest_base(template_dir, buf, size);
}


/* a path's last name ("/a/b/" -> "b") */
static const char *
djass_manifest_base(const char *path, char *buf, size_t size)
{
    size_t       n;
    const char  *s, *e;

    n = strlen(path);
    while (n > 1 && path[n - 1] == '/') {
        n--;
    }

    e = path + n;
    s = e;
    while (s > path && s[-1] != '/') {
        s--;
    }

    snprintf(buf, size, "%.*s", (int) (e - s), s);

    return buf;
}


static int
djass_manifest_file(const char *project_dir, const char *name, json_t *v,
    djass_err_t *err)
{
    int          rc;
    char         path[PATH_MAX], *text;
    size_t       len;
    djass_buf_t  b;

    if (djass_path(path, project_dir, name) != 0) {
        return djass_err_set(err, name, 0, "path too long");
    }

    memset(&b, 0, sizeof(djass_buf_t));
    djass_pyjson_dump(v, &b);
    djass_buf_addc(&b, '\n');

    if (djass_buf_failed(&b)) {
        djass_buf_free(&b);
        return djass_err_set(err, name, 0, "out of memory");
    }

    text = djass_buf_detach(&b, &len);

    /* what a hook left under that name gives way (never followed) */
    if (unlink(path) != 0 && errno != ENOENT) {
        free(text);
        return djass_file_err(err, name, "cannot replace");
    }

    rc = djass_write_file(path, text, len, 0644);
    free(text);

    if (rc != 0) {
        return djass_file_err(err, name, "cannot write");
    }

    return 0;
}
