/*
 * The evaluator's statements: output, if, for, set, with, filter blocks,
 * now and include, run against the variables in their frames.  Values
 * are jansson values (new references); NULL is either an error
 * (ev->failed) or Jinja2's StrictUndefined, whose message waits in
 * ev->undef until something uses it.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


int
djass_eval_fail(djass_eval_t *ev, const char *fmt, ...)
{
    va_list  ap;
    char     msg[512];

    if (ev->failed) {
        return -1;
    }

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    ev->failed = 1;
    return djass_err_set(ev->err, ev->name, ev->line, "%s", msg);
}


int
djass_eval_work(djass_eval_t *ev, uint64_t units)
{
    if (ev->failed) {
        return -1;
    }

    if (units > ev->limits.max_steps - ev->steps) {
        ev->steps = ev->limits.max_steps;
        return djass_eval_fail(ev, "render step limit reached (%llu steps): "
                               "a loop or an operation does too much work",
                               (unsigned long long) ev->limits.max_steps);
    }

    ev->steps += units;
    return 0;
}


int
djass_eval_strlen(djass_eval_t *ev, size_t len)
{
    if (len > ev->limits.max_string) {
        return djass_eval_fail(ev, "string too long: %zu bytes (limit %zu)",
                               len, ev->limits.max_string);
    }

    return djass_eval_work(ev, len / DJASS_STEP_BYTES);
}


int
djass_eval_size(djass_eval_t *ev, const char *what, uint64_t a, uint64_t b,
    uint64_t c, size_t *len)
{
    uint64_t  n;

    if (__builtin_mul_overflow(a, b, &n) || __builtin_add_overflow(n, c, &n)
        || n > ev->limits.max_string)
    {
        return djass_eval_fail(ev, "%s: string too long (limit %zu bytes)",
                               what, ev->limits.max_string);
    }

    *len = (size_t) n;
    return djass_eval_work(ev, n / DJASS_STEP_BYTES);
}


int
djass_eval_items(djass_eval_t *ev, const char *what, uint64_t a, uint64_t b,
    uint64_t c)
{
    uint64_t  n;

    if (__builtin_mul_overflow(a, b, &n) || __builtin_add_overflow(n, c, &n)
        || n > ev->limits.max_items)
    {
        return djass_eval_fail(ev, "%s: list too long (limit %zu items)",
                               what, ev->limits.max_items);
    }

    return djass_eval_work(ev, n / DJASS_STEP_ITEMS);
}


int
djass_eval_str(djass_eval_t *ev, djass_buf_t *b, json_t *v, int repr)
{
    int     rc;
    size_t  saved, lim;

    saved = b->max;
    lim = ev->limits.max_string;
    b->max = (b->len > SIZE_MAX - lim) ? SIZE_MAX : b->len + lim;
    if (saved != 0 && saved < b->max) {
        b->max = saved;
    }

    rc = repr ? djass_val_repr(b, v) : djass_val_str(b, v);
    lim = b->max;
    b->max = saved;

    if (rc == 0) {
        return 0;
    }

    if (djass_buf_failed(b) != DJASS_BUF_TOO_LONG) {
        return djass_eval_fail(ev, "out of memory");
    }

    if (lim == saved) {
        return djass_eval_fail(ev, "output too long: more than %zu bytes "
                               "(the output limit)", saved);
    }

    return djass_eval_fail(ev, "string too long: more than %zu bytes "
                           "(the string limit)", ev->limits.max_string);
}


json_t *
djass_eval_overflow(djass_eval_t *ev, const char *what)
{
    djass_eval_fail(ev, "integer overflow: %s does not fit in 64 bits", what);
    return NULL;
}


/* NULL from an evaluation that must yield a value: fail if undefined */
int
djass_need(djass_eval_t *ev, json_t *v)
{
    if (v != NULL) {
        return 0;
    }

    if (!ev->failed) {
        djass_eval_fail(ev, "%s", ev->undef[0] ? ev->undef : "undefined");
    }

    return -1;
}


json_t *
djass_undefined(djass_eval_t *ev, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(ev->undef, sizeof(ev->undef), fmt, ap);
    va_end(ap);
    return NULL;
}


json_t *
djass_lookup(djass_eval_t *ev, const char *name, size_t len)
{
    int      i;
    json_t  *v;

    for (i = ev->nframes - 1; i >= ev->base; i--) {
        v = json_object_getn(ev->frames[i], name, len);
        if (v != NULL) {
            return json_incref(v);
        }
    }

    v = json_object_getn(ev->vars, name, len);
    if (v != NULL) {
        return json_incref(v);
    }

    return djass_undefined(ev, "'%.*s' is undefined", (int) len, name);
}


static int
djass_bind(djass_eval_t *ev, djass_node_t *targets, json_t *v)
{
    size_t         i, n;
    json_t        *frame;
    djass_node_t  *t;

    frame = ev->frames[ev->nframes - 1];

    if (targets->next == NULL) {
        return json_object_setn_nocheck(frame, targets->s, targets->len, v);
    }

    for (n = 0, t = targets; t; t = t->next) {
        n++;
    }

    if (!json_is_array(v) || json_array_size(v) != n) {
        return djass_eval_fail(ev, "cannot unpack %s into %zu names",
                               djass_val_type(v), n);
    }

    for (i = 0, t = targets; t; t = t->next, i++) {
        if (json_object_setn_nocheck(frame, t->s, t->len,
                                     json_array_get(v, i)) != 0)
        {
            return djass_eval_fail(ev, "out of memory");
        }
    }

    return 0;
}


static int
djass_push_frame(djass_eval_t *ev)
{
    if (ev->nframes == DJASS_MAX_DEPTH) {
        return djass_eval_fail(ev, "loops nested too deeply");
    }

    ev->frames[ev->nframes] = json_object();
    if (ev->frames[ev->nframes] == NULL) {
        return djass_eval_fail(ev, "out of memory");
    }

    ev->nframes++;
    return 0;
}


static void
djass_pop_frame(djass_eval_t *ev)
{
    json_decref(ev->frames[--ev->nframes]);
}


/*
 * the items a for loop walks, as the list filter gives them: a new array
 * (for an array, the same one), or NULL with ev failed
 */
json_t *
djass_tmpl_iterable(djass_eval_t *ev, json_t *v)
{
    size_t       i, start;
    json_t      *items, *val;
    const char  *key, *s;

    if (json_is_array(v)) {
        return json_incref(v);
    }

    items = json_array();
    if (items == NULL) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    if (json_is_object(v)) {
        if (djass_eval_items(ev, "iteration", 1, json_object_size(v), 0)
            != 0)
        {
            json_decref(items);
            return NULL;
        }
        json_object_foreach(v, key, val) {
            json_array_append_new(items, djass_val_string(key, strlen(key)));
        }
        return items;
    }

    if (json_is_string(v)) {
        s = json_string_value(v);
        if (djass_eval_items(ev, "iteration", 1,
                             djass_utf8_count(s, json_string_length(v)), 0)
            != 0)
        {
            json_decref(items);
            return NULL;
        }
        for (i = 0; i < json_string_length(v); ) {
            start = i;
            djass_utf8_next(s, json_string_length(v), &i);
            json_array_append_new(items, djass_val_string(s + start,
                                                          i - start));
        }
        return items;
    }

    json_decref(items);
    djass_eval_fail(ev, "'%s' object is not iterable", djass_val_type(v));
    return NULL;
}


static json_t *
djass_loop_var(json_t *items, size_t i, size_t n)
{
    json_t  *loop;

    loop = json_pack("{sIsIsbsbsIsIsIsIsI}",
                     "index", (json_int_t) i + 1, "index0", (json_int_t) i,
                     "first", i == 0, "last", i + 1 == n,
                     "length", (json_int_t) n,
                     "revindex", (json_int_t) (n - i),
                     "revindex0", (json_int_t) (n - i - 1),
                     "depth", (json_int_t) 1, "depth0", (json_int_t) 0);

    /* undefined on the first and the last iteration, as in Jinja2 */
    if (loop != NULL && i > 0) {
        json_object_set(loop, "previtem", json_array_get(items, i - 1));
    }
    if (loop != NULL && i + 1 < n) {
        json_object_set(loop, "nextitem", json_array_get(items, i + 1));
    }

    return loop;
}


static int
djass_exec_for(djass_eval_t *ev, djass_node_t *n, djass_buf_t *out)
{
    int      rc, keep;
    size_t   i, count;
    json_t  *v, *items, *kept, *item;

    v = djass_tmpl_eval(ev, n->args);
    if (djass_need(ev, v) != 0) {
        return -1;
    }

    items = djass_tmpl_iterable(ev, v);
    json_decref(v);
    if (items == NULL) {
        return -1;
    }

    /* the `if` of the for tag filters before the loop counts */
    if (n->args->next != NULL) {
        kept = json_array();
        for (i = 0; kept && i < json_array_size(items); i++) {
            item = json_array_get(items, i);
            if (djass_eval_work(ev, DJASS_STEP_PASS / 2) != 0 || djass_push_frame(ev) != 0) {
                break;
            }
            if (djass_bind(ev, n->a, item) != 0) {
                djass_pop_frame(ev);
                break;
            }
            v = djass_tmpl_eval(ev, n->args->next);
            djass_pop_frame(ev);
            if (djass_need(ev, v) != 0) {
                break;
            }
            keep = djass_val_truthy(v);
            json_decref(v);
            if (keep) {
                json_array_append(kept, item);
            }
        }
        json_decref(items);
        if (kept == NULL || ev->failed) {
            json_decref(kept);
            return djass_eval_fail(ev, "out of memory");
        }
        items = kept;
    }

    count = json_array_size(items);
    rc = 0;

    for (i = 0; rc == 0 && i < count; i++) {
        /* a pass allocates its frame and loop object: it costs more */
        if (djass_eval_work(ev, DJASS_STEP_PASS) != 0 || djass_push_frame(ev) != 0) {
            rc = -1;
            break;
        }

        v = djass_loop_var(items, i, count);
        if (v == NULL
            || json_object_set_new(ev->frames[ev->nframes - 1], "loop", v)
               != 0
            || djass_bind(ev, n->a, json_array_get(items, i)) != 0)
        {
            djass_pop_frame(ev);
            rc = djass_eval_fail(ev, "out of memory");
            break;
        }

        rc = djass_tmpl_exec(ev, n->b, out);
        djass_pop_frame(ev);
    }

    json_decref(items);

    if (rc == 0 && count == 0 && n->c != NULL) {
        rc = djass_tmpl_exec(ev, n->c, out);
    }

    return rc;
}


static int
djass_exec_set(djass_eval_t *ev, djass_node_t *n)
{
    int            rc;
    json_t        *v, *list;
    djass_node_t  *e;

    if (n->b->next == NULL) {
        v = djass_tmpl_eval(ev, n->b);
        if (djass_need(ev, v) != 0) {
            return -1;
        }
        rc = djass_bind(ev, n->a, v);
        json_decref(v);
        return rc;
    }

    list = json_array();
    for (e = n->b; list && e; e = e->next) {
        v = djass_tmpl_eval(ev, e);
        if (djass_need(ev, v) != 0) {
            json_decref(list);
            return -1;
        }
        json_array_append_new(list, v);
    }

    if (list == NULL) {
        return djass_eval_fail(ev, "out of memory");
    }

    rc = djass_bind(ev, n->a, list);
    json_decref(list);
    return rc;
}


/*
 * a set or filter block's body, rendered and run through the block's chain
 * of filters (n->c, over a placeholder for the body): a new reference, or
 * NULL on error
 */
static json_t *
djass_filter_body(djass_eval_t *ev, djass_node_t *n)
{
    json_t        *v;
    djass_node_t  *ph;
    djass_buf_t    b;

    memset(&b, 0, sizeof(b));
    if (djass_tmpl_exec(ev, n->b, &b) != 0) {
        djass_buf_free(&b);
        return NULL;
    }

    /* the innermost node of the filter chain stands for the body */
    for (ph = n->c; ph->a != NULL && ph->type == DJASS_N_FILTER; ph = ph->a) {
        /* void */
    }

    v = djass_done(ev, &b);
    if (v == NULL) {
        return NULL;
    }

    if (n->c == ph) {
        return v;
    }

    ph->op = 1;
    ph->a = (djass_node_t *) v;
    v = djass_tmpl_eval(ev, n->c);
    json_decref((json_t *) ph->a);
    ph->a = NULL;
    ph->op = 0;

    return djass_need(ev, v) == 0 ? v : NULL;
}


static int
djass_exec_set_block(djass_eval_t *ev, djass_node_t *n)
{
    int      rc;
    json_t  *v;

    v = djass_filter_body(ev, n);
    if (v == NULL) {
        return -1;
    }

    rc = djass_bind(ev, n->a, v);
    json_decref(v);
    return rc;
}


static int
djass_exec_with(djass_eval_t *ev, djass_node_t *n, djass_buf_t *out)
{
    int            rc;
    json_t        *v, *frame;
    djass_node_t  *name, *value;

    /* the values see the outer names, the body sees the new ones */
    frame = json_object();
    if (frame == NULL) {
        return djass_eval_fail(ev, "out of memory");
    }

    for (name = n->a, value = n->args; name && value;
         name = name->next, value = value->next)
    {
        v = djass_tmpl_eval(ev, value);
        if (djass_need(ev, v) != 0) {
            json_decref(frame);
            return -1;
        }
        json_object_setn_new_nocheck(frame, name->s, name->len, v);
    }

    if (ev->nframes == DJASS_MAX_DEPTH) {
        json_decref(frame);
        return djass_eval_fail(ev, "blocks nested too deeply");
    }

    ev->frames[ev->nframes++] = frame;
    rc = djass_tmpl_exec(ev, n->b, out);
    djass_pop_frame(ev);
    return rc;
}


static int
djass_exec_filter_block(djass_eval_t *ev, djass_node_t *n, djass_buf_t *out)
{
    int      rc;
    json_t  *v;

    v = djass_filter_body(ev, n);
    if (v == NULL) {
        return -1;
    }

    rc = djass_eval_str(ev, out, v, 0);
    json_decref(v);
    return rc;
}


static int
djass_exec_now(djass_eval_t *ev, djass_node_t *n, djass_buf_t *out)
{
    int      rc;
    json_t  *tz, *off, *fmt;

    tz = djass_tmpl_eval(ev, n->a);
    off = n->c ? djass_tmpl_eval(ev, n->c) : NULL;
    fmt = n->b ? djass_tmpl_eval(ev, n->b) : NULL;

    if (djass_need(ev, tz) != 0 || (n->c && djass_need(ev, off) != 0)
        || (n->b && djass_need(ev, fmt) != 0))
    {
        rc = -1;
    } else {
        rc = ev->ext->now(ev, out, tz, n->op, off, fmt);
    }

    json_decref(tz);
    json_decref(off);
    json_decref(fmt);
    return rc;
}


/* {% include %}: the included template runs in a frame of its own, with
 * the includer's variables unless "without context" */
static int
djass_exec_include(djass_eval_t *ev, djass_node_t *n, djass_buf_t *out)
{
    int            rc, base;
    json_t        *v, *vars, *empty;
    djass_tmpl_t  *t;
    djass_err_t    lerr;
    const char    *name;

    v = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, v) != 0) {
        return -1;
    }

    if (!json_is_string(v)) {
        json_decref(v);
        return djass_eval_fail(ev, "include: the template name must be a "
                               "string");
    }

    memset(&lerr, 0, sizeof(lerr));
    t = ev->loader ? ev->loader(ev->loader_data, json_string_value(v), &lerr)
                   : NULL;

    if (t == NULL && lerr.msg[0] != '\0') {
        /* the included file does not compile: its name and line */
        json_decref(v);
        ev->failed = 1;
        return djass_err_set(ev->err, lerr.file, lerr.line, "%s", lerr.msg);
    }

    if (t == NULL) {
        rc = (n->op & 1) ? 0 : djass_eval_fail(ev, "TemplateNotFound: %s",
                                               json_string_value(v));
        json_decref(v);
        return rc;
    }
    json_decref(v);

    if (t->plain != NULL) {
        djass_buf_add(out, t->plain, t->plainlen);
        return 0;
    }

    /* the included file's name in its errors, its own frame */
    name = ev->name;
    vars = ev->vars;
    base = ev->base;
    empty = NULL;

    if (n->op & 2) {
        empty = json_object();
        ev->vars = empty;
        ev->base = ev->nframes;
    }

    ev->name = t->name;
    if (djass_push_frame(ev) != 0) {
        rc = -1;
    } else {
        rc = djass_tmpl_exec(ev, t->body, out);
        djass_pop_frame(ev);
    }

    ev->name = name;
    ev->vars = vars;
    ev->base = base;
    json_decref(empty);
    return rc;
}


int
djass_tmpl_exec(djass_eval_t *ev, djass_node_t *body, djass_buf_t *out)
{
    int            rc, truth;
    json_t        *v;
    djass_node_t  *n;

    if (ev->nframes == 0 && djass_push_frame(ev) != 0) {
        return -1;
    }

    if (++ev->depth > DJASS_MAX_DEPTH) {
        return djass_eval_fail(ev, "template nested too deeply");
    }

    for (n = body; n; n = n->next) {
        ev->line = n->line;
        rc = 0;

        if (djass_eval_work(ev, 1) != 0) {
            return -1;
        }

        switch (n->type) {

        case DJASS_N_DATA:
            djass_buf_add(out, n->s, n->len);
            break;

        case DJASS_N_OUTPUT:
            v = djass_tmpl_eval(ev, n->a);
            if (djass_need(ev, v) != 0) {
                return -1;
            }
            rc = djass_eval_str(ev, out, v, 0);
            json_decref(v);
            if (rc != 0) {
                return -1;
            }
            break;

        case DJASS_N_IF:
            v = djass_tmpl_eval(ev, n->a);
            if (djass_need(ev, v) != 0) {
                return -1;
            }
            truth = djass_val_truthy(v);
            json_decref(v);
            rc = djass_tmpl_exec(ev, truth ? n->b : n->c, out);
            break;

        case DJASS_N_FOR:
            rc = djass_exec_for(ev, n, out);
            break;

        case DJASS_N_SET:
            rc = djass_exec_set(ev, n);
            break;

        case DJASS_N_SET_BLOCK:
            rc = djass_exec_set_block(ev, n);
            break;

        case DJASS_N_NOW:
            rc = djass_exec_now(ev, n, out);
            break;

        case DJASS_N_WITH:
            rc = djass_exec_with(ev, n, out);
            break;

        case DJASS_N_FILTER_BLOCK:
            rc = djass_exec_filter_block(ev, n, out);
            break;

        case DJASS_N_INCLUDE:
            rc = djass_exec_include(ev, n, out);
            break;

        default:
            return djass_eval_fail(ev, "unexpected node %d", n->type);
        }

        if (rc != 0) {
            return -1;
        }

        if (out->len > ev->limits.max_output
            || djass_buf_failed(out) == DJASS_BUF_TOO_LONG)
        {
            return djass_eval_fail(ev, "output too long: more than %zu "
                                   "bytes (the output limit)",
                                   ev->limits.max_output);
        }
    }

    ev->depth--;
    return ev->failed ? -1 : 0;
}
