/*
 * The template engine's entry points: compile (lex + parse into an
 * arena), render (evaluate with a context), and the one-shot
 * djass_render_string.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_lex.h"
#include "djass_tmpl_parse.h"
#include "djass_tmpl_value.h"


/* the defaults: doc/renderer.md, "Limits" */
#define DJASS_MAX_STRING  ((size_t) 64 * 1024 * 1024)
#define DJASS_MAX_OUTPUT  ((size_t) 64 * 1024 * 1024)
#define DJASS_MAX_ITEMS   ((size_t) 1000 * 1000)
#define DJASS_MAX_STEPS   ((uint64_t) 5 * 1000 * 1000)


static djass_tmpl_limits_t  djass_limits = {
    DJASS_MAX_STRING, DJASS_MAX_OUTPUT, DJASS_MAX_ITEMS, DJASS_MAX_STEPS
};


void
djass_tmpl_set_limits(const djass_tmpl_limits_t *l)
{
    djass_limits.max_string = (l && l->max_string) ? l->max_string
                                                   : DJASS_MAX_STRING;
    djass_limits.max_output = (l && l->max_output) ? l->max_output
                                                   : DJASS_MAX_OUTPUT;
    djass_limits.max_items = (l && l->max_items) ? l->max_items
                                                 : DJASS_MAX_ITEMS;
    djass_limits.max_steps = (l && l->max_steps) ? l->max_steps
                                                 : DJASS_MAX_STEPS;

    /* a string is built in a buffer, which never grows past DJASS_BUF_MAX
     * (and may double a value on the way: repr, newlines) */
    if (djass_limits.max_string > DJASS_BUF_MAX / 4) {
        djass_limits.max_string = DJASS_BUF_MAX / 4;
    }
    if (djass_limits.max_output > DJASS_BUF_MAX / 4) {
        djass_limits.max_output = DJASS_BUF_MAX / 4;
    }
}


void
djass_tmpl_get_limits(djass_tmpl_limits_t *l)
{
    *l = djass_limits;
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
djass_tmpl_compile_ext(const char *src, size_t len, const char *name,
    int flags, const djass_tmpl_ext_t *ext, djass_err_t *err)
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
    t->ext = ext;
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

    t->body = djass_tmpl_parse(&tks, &t->arena, name, ext, err);
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
    ev->ext = t->ext;
    ev->err = err;
    ev->loader = loader;
    ev->loader_data = data;
    ev->limits = djass_limits;

    memset(&out, 0, sizeof(out));
    out.max = ev->limits.max_output;
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
