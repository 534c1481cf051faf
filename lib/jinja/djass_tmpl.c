/*
 * The template engine's entry points: compile (lex + parse into an
 * arena), render (evaluate with a context), and the one-shot
 * djass_render_string.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_int.h"


#define DJASS_ARENA_BLOCK  2048


void *
djass_arena_alloc(djass_arena_t **a, size_t n)
{
    size_t          size;
    djass_arena_t  *blk;
    void           *p;

    n = (n + 15) & ~(size_t) 15;

    if (*a == NULL || (*a)->used + n > (*a)->size) {
        /* small templates stay small; big ones grow by doubling blocks */
        size = (*a == NULL) ? DJASS_ARENA_BLOCK
               : ((*a)->size < 65536 ? (*a)->size * 2 : 65536);
        size = n > size ? n : size;
        blk = malloc(sizeof(djass_arena_t) + 16 + size);
        if (blk == NULL) {
            return NULL;
        }
        blk->next = *a;
        blk->used = 0;
        blk->size = size;
        *a = blk;
    }

    p = (char *) (*a) + ((sizeof(djass_arena_t) + 15) & ~(size_t) 15)
        + (*a)->used;
    (*a)->used += n;
    return p;
}


char *
djass_arena_strdup(djass_arena_t **a, const char *s, size_t n)
{
    char  *p;

    p = djass_arena_alloc(a, n + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}


void
djass_arena_free(djass_arena_t *a)
{
    djass_arena_t  *next;

    while (a) {
        next = a->next;
        free(a);
        a = next;
    }
}


int
djass_err_set(djass_err_t *err, const char *file, int line,
    const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL) {
        return -1;
    }

    if (file != NULL) {
        snprintf(err->file, sizeof(err->file), "%s", file);
    }

    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);

    if (err->msg[0] == '\0') {
        snprintf(err->msg, sizeof(err->msg), "error");
    }

    return -1;
}


int
djass_tmpl_is_plain(const char *src, size_t len)
{
    const char  *p, *end;

    if (memchr(src, '\r', len) != NULL) {
        return 0;
    }

    end = src + len;
    for (p = src; p + 1 < end; p++) {
        p = memchr(p, '{', (size_t) (end - p - 1));
        if (p == NULL) {
            return 1;
        }
        if (p[1] == '{' || p[1] == '%' || p[1] == '#') {
            return 0;
        }
    }

    return 1;
}


djass_tmpl_t *
djass_tmpl_compile(const char *src, size_t len, const char *name,
    djass_err_t *err)
{
    return djass_tmpl_compile_flags(src, len, name, 0, err);
}


int
djass_tmpl_env_flags(json_t *env_vars, int *flags, djass_err_t *err)
{
    json_t      *v;
    const char  *key;

    *flags = 0;
    if (env_vars == NULL || json_is_null(env_vars)) {
        return 0;
    }

    if (!json_is_object(env_vars)) {
        return djass_err_set(err, "cookiecutter.json", 0,
                             "_jinja2_env_vars is not an object");
    }

    json_object_foreach(env_vars, key, v) {
        if (strcmp(key, "trim_blocks") == 0) {
            *flags |= djass_val_truthy(v) ? DJASS_TMPL_TRIM_BLOCKS : 0;
        } else if (strcmp(key, "lstrip_blocks") == 0) {
            *flags |= djass_val_truthy(v) ? DJASS_TMPL_LSTRIP_BLOCKS : 0;
        } else {
            return djass_err_set(err, "cookiecutter.json", 0,
                                 "_jinja2_env_vars: '%s' is not supported "
                                 "(trim_blocks and lstrip_blocks are)", key);
        }
    }

    return 0;
}


djass_tmpl_t *
djass_tmpl_compile_flags(const char *src, size_t len, const char *name,
    int flags, djass_err_t *err)
{
    djass_tmpl_t    *t;
    djass_arena_t   *arena;
    djass_tokens_t   tks;
    djass_err_t      scratch;

    if (err == NULL) {
        err = &scratch;
    }

    memset(err, 0, sizeof(*err));
    if (name == NULL) {
        name = "<template>";
    }

    arena = NULL;
    t = djass_arena_alloc(&arena, sizeof(djass_tmpl_t));
    if (t == NULL) {
        djass_err_set(err, name, 0, "out of memory");
        return NULL;
    }

    memset(t, 0, sizeof(*t));
    t->arena = arena;
    t->name = djass_arena_strdup(&t->arena, name, strlen(name));

    if (djass_tmpl_is_plain(src, len)) {
        t->plain = djass_arena_strdup(&t->arena, src, len);
        t->plainlen = len;
        if (t->plain == NULL || t->name == NULL) {
            djass_err_set(err, name, 0, "out of memory");
            djass_arena_free(t->arena);
            return NULL;
        }
        return t;
    }

    memset(&tks, 0, sizeof(tks));
    if (t->name == NULL
        || djass_tmpl_lex(src, len, &tks, &t->arena, name, flags, err) != 0)
    {
        free(tks.tk);
        djass_arena_free(t->arena);
        return NULL;
    }

    t->body = djass_tmpl_parse(&tks, &t->arena, name, err);
    free(tks.tk);

    if (t->body == NULL) {
        djass_arena_free(t->arena);
        return NULL;
    }

    return t;
}


char *
djass_tmpl_render(djass_tmpl_t *t, json_t *vars, size_t *outlen,
    djass_err_t *err)
{
    return djass_tmpl_render_ex(t, vars, NULL, NULL, outlen, err);
}


char *
djass_tmpl_render_ex(djass_tmpl_t *t, json_t *vars,
    djass_tmpl_loader_pt loader, void *data, size_t *outlen,
    djass_err_t *err)
{
    int            rc;
    char          *p;
    djass_buf_t    out;
    djass_eval_t  *ev;

    if (t->plain != NULL) {
        p = malloc(t->plainlen + 1);
        if (p == NULL) {
            djass_err_set(err, t->name, 0, "out of memory");
            return NULL;
        }
        memcpy(p, t->plain, t->plainlen);
        p[t->plainlen] = '\0';
        if (outlen) {
            *outlen = t->plainlen;
        }
        return p;
    }

    ev = calloc(1, sizeof(djass_eval_t));
    if (ev == NULL) {
        djass_err_set(err, t->name, 0, "out of memory");
        return NULL;
    }

    ev->vars = vars;
    ev->name = t->name;
    ev->err = err;
    ev->loader = loader;
    ev->loader_data = data;

    memset(&out, 0, sizeof(out));
    rc = djass_tmpl_exec(ev, t->body, &out);

    while (ev->nframes > 0) {
        json_decref(ev->frames[--ev->nframes]);
    }
    free(ev);

    if (rc == 0 && djass_buf_failed(&out)) {
        rc = djass_err_set(err, t->name, 0, "out of memory");
    }

    if (rc != 0) {
        djass_buf_free(&out);
        return NULL;
    }

    return djass_buf_detach(&out, outlen);
}


void
djass_tmpl_free(djass_tmpl_t *t)
{
    if (t != NULL) {
        djass_arena_free(t->arena);
    }
}


char *
djass_render_string(const char *src, size_t len, json_t *ctx,
    const char *name, size_t *outlen, djass_err_t *err)
{
    char          *out;
    json_t        *vars;
    djass_tmpl_t  *t;

    t = djass_tmpl_compile(src, len, name, err);
    if (t == NULL) {
        return NULL;
    }

    vars = json_object();
    if (vars == NULL || json_object_set(vars, "cookiecutter", ctx) != 0) {
        json_decref(vars);
        djass_tmpl_free(t);
        djass_err_set(err, name, 0, "out of memory");
        return NULL;
    }

    out = djass_tmpl_render(t, vars, outlen, err);

    json_decref(vars);
    djass_tmpl_free(t);
    return out;
}


char *
djass_tmpl_str(json_t *v, size_t *len)
{
    djass_buf_t  b;

    memset(&b, 0, sizeof(b));
    if (djass_val_str(&b, v) != 0) {
        djass_buf_free(&b);
        return NULL;
    }

    return djass_buf_detach(&b, len);
}
