/*
 * The {% include %} loader of a render (see include.h).
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"
#include "include.h"


struct djass_include_s {
    djass_include_t  *next;
    char             *name;
    djass_tmpl_t     *tmpl;
};


/* Jinja2's split_template_path(): "/"-separated pieces, "." and empty
 * ones dropped, ".." not found; 0 or -1 */
static int
djass_include_path(const char *name, char *out, size_t size)
{
    size_t       n, k;
    const char  *p, *e;

    n = 0;
    out[0] = '\0';
    for (p = name; *p; p = e) {
        e = strchr(p, '/');
        if (e == NULL) {
            e = p + strlen(p);
        }
        k = (size_t) (e - p);
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            return -1;
        }
        if (k > 0 && !(k == 1 && p[0] == '.')) {
            if (n + k + 2 > size) {
                return -1;
            }
            if (n > 0) {
                out[n++] = '/';
            }
            memcpy(out + n, p, k);
            n += k;
            out[n] = '\0';
        }
        while (*e == '/') {
            e++;
        }
    }

    return n > 0 ? 0 : -1;
}


/* the template folder, then <template>/templates (cookiecutter's
 * FileSystemLoader(['.', '../templates'])); each name compiled once */
djass_tmpl_t *
djass_include_load(void *data, const char *name, djass_err_t *err)
{
    char               rel[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    char              *text;
    size_t             len, n;
    struct stat        st;
    djass_include_t   *inc;
    djass_includes_t  *l;
    int                k;

    l = data;
    if (djass_include_path(name, rel, sizeof(rel)) != 0) {
        return NULL;
    }

    for (inc = l->list; inc; inc = inc->next) {
        if (strcmp(inc->name, rel) == 0) {
            return inc->tmpl;
        }
    }

    for (k = 0; k < 2; k++) {
        if (snprintf(path, sizeof(path), "%s/%s%s", k ? l->repo : l->root,
                     k ? "templates/" : "", rel) >= (int) sizeof(path))
        {
            return NULL;
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            break;
        }
    }

    n = strlen(l->repo);
    if (k == 2 || realpath(path, real) == NULL
        || strncmp(real, l->repo, n) != 0 || real[n] != '/')
    {
        return NULL;
    }

    text = djass_read_file(path, &len);
    if (text == NULL) {
        djass_err_set(err, rel, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }

    inc = calloc(1, sizeof(djass_include_t));
    if (inc == NULL || (inc->name = strdup(rel)) == NULL) {
        djass_err_set(err, rel, 0, "out of memory");
        goto failed;
    }

    inc->tmpl = djass_tmpl_compile_flags(text, len, rel, l->flags, err);
    if (inc->tmpl == NULL) {
        goto failed;
    }

    free(text);
    inc->next = l->list;
    l->list = inc;
    return inc->tmpl;

failed:

    if (inc) {
        free(inc->name);
        free(inc);
    }

    free(text);
    return NULL;
}


void
djass_includes_free(djass_includes_t *l)
{
    djass_include_t  *inc, *next;

    for (inc = l->list; inc; inc = next) {
        next = inc->next;
        djass_tmpl_free(inc->tmpl);
        free(inc->name);
        free(inc);
    }
    l->list = NULL;
}
