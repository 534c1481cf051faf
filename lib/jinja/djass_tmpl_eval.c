/*
 * The evaluator: runs a parsed template against its variables.  Values
 * are jansson values (new references); NULL is either an error (ev->failed)
 * or Jinja2's StrictUndefined, whose message waits in ev->undef until
 * something uses it.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_int.h"
#include "djass_utf8.h"


static json_t *djass_eval_call(djass_eval_t *ev, djass_node_t *n);
static json_t *djass_eval_binop(djass_eval_t *ev, int op, json_t *a,
    json_t *b);
static int djass_eval_compare(djass_eval_t *ev, int op, json_t *a,
    json_t *b);


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


/* NULL from an evaluation that must yield a value: fail if undefined */
static int
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


static json_t *
djass_undefined(djass_eval_t *ev, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(ev->undef, sizeof(ev->undef), fmt, ap);
    va_end(ap);
    return NULL;
}


static json_t *
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
        json_object_foreach(v, key, val) {
            json_array_append_new(items, djass_val_string(key, strlen(key)));
        }
        return items;
    }

    if (json_is_string(v)) {
        s = json_string_value(v);
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
            if (djass_push_frame(ev) != 0) {
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
        if (djass_push_frame(ev) != 0) {
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

    v = djass_val_strbuf(&b);
    if (v == NULL) {
        djass_eval_fail(ev, "out of memory");
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

    rc = djass_val_str(out, v);
    json_decref(v);
    return rc == 0 ? 0 : djass_eval_fail(ev, "out of memory");
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
        rc = djass_tmpl_now(ev, out, tz, n->op, off, fmt);
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

        switch (n->type) {

        case DJASS_N_DATA:
            djass_buf_add(out, n->s, n->len);
            break;

        case DJASS_N_OUTPUT:
            v = djass_tmpl_eval(ev, n->a);
            if (djass_need(ev, v) != 0) {
                return -1;
            }
            rc = djass_val_str(out, v);
            json_decref(v);
            if (rc != 0) {
                return djass_eval_fail(ev, "out of memory");
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
    }

    ev->depth--;
    return ev->failed ? -1 : 0;
}


/* expressions */

static json_t *
djass_getattr(djass_eval_t *ev, json_t *obj, const char *name, size_t len)
{
    json_t  *v;

    if (json_is_object(obj)) {
        v = json_object_getn(obj, name, len);
        if (v != NULL) {
            return json_incref(v);
        }
    }

    return djass_undefined(ev, "'%s object' has no attribute '%.*s'",
                           djass_val_type(obj), (int) len, name);
}


static json_t *
djass_getitem(djass_eval_t *ev, json_t *obj, json_t *key)
{
    size_t       i, n, k;
    json_int_t   idx;
    const char  *s;

    if (json_is_string(key)) {
        return djass_getattr(ev, obj, json_string_value(key),
                             json_string_length(key));
    }

    if (!json_is_integer(key) && !json_is_boolean(key)) {
        return djass_undefined(ev, "'%s object' has no attribute",
                               djass_val_type(obj));
    }

    idx = json_is_integer(key) ? json_integer_value(key)
                               : json_is_true(key);

    if (json_is_array(obj)) {
        n = json_array_size(obj);
        if (idx < 0) {
            idx += (json_int_t) n;
        }
        if (idx >= 0 && (size_t) idx < n) {
            return json_incref(json_array_get(obj, (size_t) idx));
        }

    } else if (json_is_string(obj)) {
        s = json_string_value(obj);
        n = djass_utf8_count(s, json_string_length(obj));
        if (idx < 0) {
            idx += (json_int_t) n;
        }
        if (idx >= 0 && (size_t) idx < n) {
            for (i = 0, k = 0; k < (size_t) idx; k++) {
                djass_utf8_next(s, json_string_length(obj), &i);
            }
            k = i;
            djass_utf8_next(s, json_string_length(obj), &i);
            return djass_val_string(s + k, i - k);
        }
    }

    return djass_undefined(ev, "'%s object' has no attribute %lld",
                           djass_val_type(obj), (long long) idx);
}


static int
djass_slice_index(djass_eval_t *ev, djass_node_t *n, json_int_t *out)
{
    json_t  *v;

    if (n == NULL) {
        return 1;
    }

    v = djass_tmpl_eval(ev, n);
    if (djass_need(ev, v) != 0) {
        return -1;
    }

    if (json_is_null(v)) {
        json_decref(v);
        return 1;
    }

    if (!json_is_integer(v)) {
        json_decref(v);
        return djass_eval_fail(ev, "slice indices must be integers");
    }

    *out = json_integer_value(v);
    json_decref(v);
    return 0;
}


static json_t *
djass_eval_slice(djass_eval_t *ev, djass_node_t *n)
{
    int          has[3];
    size_t       i, k, len, *offs;
    json_t      *obj, *res;
    json_int_t   start, stop, step, j;
    djass_buf_t  b;
    const char  *s;

    start = stop = 0;
    step = 1;
    has[0] = djass_slice_index(ev, n->b, &start);
    has[1] = djass_slice_index(ev, n->c, &stop);
    has[2] = djass_slice_index(ev, n->args->a, &step);
    if (has[0] < 0 || has[1] < 0 || has[2] < 0) {
        return NULL;
    }

    if (step == 0) {
        djass_eval_fail(ev, "slice step cannot be zero");
        return NULL;
    }

    obj = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, obj) != 0) {
        return NULL;
    }

    if (json_is_array(obj)) {
        len = json_array_size(obj);
    } else if (json_is_string(obj)) {
        len = djass_utf8_count(json_string_value(obj),
                               json_string_length(obj));
    } else {
        djass_eval_fail(ev, "'%s' object is not subscriptable",
                        djass_val_type(obj));
        json_decref(obj);
        return NULL;
    }

    /* Python's slice.indices() */
    if (has[0]) {
        start = step > 0 ? 0 : (json_int_t) len - 1;
    } else {
        if (start < 0) {
            start += (json_int_t) len;
        }
        if (start < 0) {
            start = step > 0 ? 0 : -1;
        }
        if (start > (json_int_t) len) {
            start = step > 0 ? (json_int_t) len : (json_int_t) len - 1;
        }
        if (start == (json_int_t) len && step < 0) {
            start = (json_int_t) len - 1;
        }
    }

    if (has[1]) {
        stop = step > 0 ? (json_int_t) len : -1;
    } else {
        if (stop < 0) {
            stop += (json_int_t) len;
        }
        if (stop < 0) {
            stop = step > 0 ? 0 : -1;
        }
        if (stop > (json_int_t) len) {
            stop = (json_int_t) len;
        }
    }

    if (json_is_array(obj)) {
        res = json_array();
        for (j = start; res && (step > 0 ? j < stop : j > stop); j += step) {
            json_array_append(res, json_array_get(obj, (size_t) j));
        }
        json_decref(obj);
        if (res == NULL) {
            djass_eval_fail(ev, "out of memory");
        }
        return res;
    }

    /* strings: by characters */
    s = json_string_value(obj);
    offs = malloc((len + 1) * sizeof(size_t));
    if (offs == NULL) {
        json_decref(obj);
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    for (i = 0, k = 0; k < len; k++) {
        offs[k] = i;
        djass_utf8_next(s, json_string_length(obj), &i);
    }
    offs[len] = i;

    memset(&b, 0, sizeof(b));
    for (j = start; step > 0 ? j < stop : j > stop; j += step) {
        djass_buf_add(&b, s + offs[j], offs[j + 1] - offs[j]);
    }

    free(offs);
    json_decref(obj);
    res = djass_val_strbuf(&b);
    if (res == NULL) {
        djass_eval_fail(ev, "out of memory");
    }
    return res;
}


static json_t *
djass_eval_seq(djass_eval_t *ev, djass_node_t *n)
{
    json_t        *res, *k, *v;
    djass_node_t  *e;
    djass_buf_t    b;

    res = (n->type == DJASS_N_LIST) ? json_array() : json_object();
    if (res == NULL) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    for (e = n->args; e; e = e->next) {
        if (n->type == DJASS_N_LIST) {
            v = djass_tmpl_eval(ev, e);
            if (djass_need(ev, v) != 0) {
                json_decref(res);
                return NULL;
            }
            json_array_append_new(res, v);
            continue;
        }

        k = djass_tmpl_eval(ev, e->a);
        if (djass_need(ev, k) != 0) {
            json_decref(res);
            return NULL;
        }
        v = djass_tmpl_eval(ev, e->b);
        if (djass_need(ev, v) != 0) {
            json_decref(k);
            json_decref(res);
            return NULL;
        }

        memset(&b, 0, sizeof(b));
        djass_val_str(&b, k);
        json_object_setn_new_nocheck(res, b.data ? b.data : "", b.len, v);
        djass_buf_free(&b);
        json_decref(k);
    }

    return res;
}


static json_t *
djass_eval_compare_chain(djass_eval_t *ev, djass_node_t *n)
{
    int            r;
    json_t        *a, *b;
    djass_node_t  *e;

    a = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, a) != 0) {
        return NULL;
    }

    r = 1;
    for (e = n->args; e && r == 1; e = e->next) {
        b = djass_tmpl_eval(ev, e->a);
        if (djass_need(ev, b) != 0) {
            json_decref(a);
            return NULL;
        }

        r = djass_eval_compare(ev, e->op, a, b);
        json_decref(a);
        a = b;
    }

    json_decref(a);
    return r < 0 ? NULL : json_boolean(r);
}


static json_t *
djass_eval_concat(djass_eval_t *ev, djass_node_t *n)
{
    json_t       *a, *b;
    djass_buf_t   buf;

    a = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, a) != 0) {
        return NULL;
    }

    b = djass_tmpl_eval(ev, n->b);
    if (djass_need(ev, b) != 0) {
        json_decref(a);
        return NULL;
    }

    memset(&buf, 0, sizeof(buf));
    djass_val_str(&buf, a);
    djass_val_str(&buf, b);
    json_decref(a);
    json_decref(b);

    a = djass_val_strbuf(&buf);
    if (a == NULL) {
        djass_eval_fail(ev, "out of memory");
    }
    return a;
}


static void
djass_args_free(djass_args_t *args)
{
    int  i;

    for (i = 0; i < args->npos; i++) {
        json_decref(args->pos[i]);
    }
    for (i = 0; i < args->nkw; i++) {
        json_decref(args->kw[i]);
    }
    args->npos = 0;
    args->nkw = 0;
}


static int
djass_eval_args(djass_eval_t *ev, djass_node_t *list, djass_args_t *args)
{
    json_t        *v;
    djass_node_t  *e;

    memset(args, 0, sizeof(*args));

    for (e = list; e; e = e->next) {
        v = djass_tmpl_eval(ev, e->type == DJASS_N_KWARG ? e->a : e);
        if (djass_need(ev, v) != 0) {
            djass_args_free(args);
            return -1;
        }

        if (e->type == DJASS_N_KWARG) {
            if (args->nkw == DJASS_MAX_ARGS) {
                json_decref(v);
                djass_args_free(args);
                return djass_eval_fail(ev, "too many arguments");
            }
            args->kwname[args->nkw] = e->s;
            args->kwlen[args->nkw] = e->len;
            args->kw[args->nkw++] = v;
            continue;
        }

        if (args->npos == DJASS_MAX_ARGS) {
            json_decref(v);
            djass_args_free(args);
            return djass_eval_fail(ev, "too many arguments");
        }
        args->pos[args->npos++] = v;
    }

    return 0;
}


static json_t *
djass_eval_filter(djass_eval_t *ev, djass_node_t *n)
{
    json_t        *v, *res;
    djass_args_t   args;

    v = djass_tmpl_eval(ev, n->a);
    if (v == NULL && ev->failed) {
        return NULL;
    }

    /* only `default` takes an undefined value */
    if (v == NULL
        && !(n->len == 1 && n->s[0] == 'd')
        && !(n->len == 7 && memcmp(n->s, "default", 7) == 0))
    {
        djass_need(ev, v);
        return NULL;
    }

    if (djass_eval_args(ev, n->args, &args) != 0) {
        json_decref(v);
        return NULL;
    }

    ev->line = n->line;
    res = djass_tmpl_filter(ev, n->s, n->len, v, &args);

    djass_args_free(&args);
    json_decref(v);
    return res;
}


static json_t *
djass_eval_test(djass_eval_t *ev, djass_node_t *n)
{
    int            r;
    json_t        *v;
    djass_args_t   args;

    v = djass_tmpl_eval(ev, n->a);
    if (v == NULL && ev->failed) {
        return NULL;
    }

    if (djass_eval_args(ev, n->args, &args) != 0) {
        json_decref(v);
        return NULL;
    }

    ev->line = n->line;
    r = djass_tmpl_test(ev, n->s, n->len, v, &args);

    djass_args_free(&args);
    json_decref(v);

    if (r < 0) {
        return NULL;
    }

    return json_boolean(n->op ? !r : r);
}


static json_t *
djass_eval_call(djass_eval_t *ev, djass_node_t *n)
{
    json_t        *obj, *res;
    djass_args_t   args;

    obj = NULL;

    if (n->a->type == DJASS_N_GETATTR) {
        obj = djass_tmpl_eval(ev, n->a->a);
        if (djass_need(ev, obj) != 0) {
            return NULL;
        }

    } else if (n->a->type != DJASS_N_NAME) {
        djass_eval_fail(ev, "object is not callable");
        return NULL;
    }

    if (djass_eval_args(ev, n->args, &args) != 0) {
        json_decref(obj);
        return NULL;
    }

    ev->line = n->line;
    if (obj != NULL) {
        res = djass_tmpl_method(ev, obj, n->a->s, n->a->len, &args);
    } else {
        res = djass_tmpl_global(ev, n->a->s, n->a->len, &args);
    }

    djass_args_free(&args);
    json_decref(obj);
    return res;
}


static json_t *
djass_eval_cond(djass_eval_t *ev, djass_node_t *n)
{
    int      truth;
    json_t  *v;

    v = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, v) != 0) {
        return NULL;
    }

    truth = djass_val_truthy(v);
    json_decref(v);

    if (truth) {
        return djass_tmpl_eval(ev, n->b);
    }

    if (n->c != NULL) {
        return djass_tmpl_eval(ev, n->c);
    }

    return djass_undefined(ev, "the inline if-expression on line %d "
                           "evaluated to false and no else section was "
                           "defined.", n->line);
}


static json_t *
djass_eval_logic(djass_eval_t *ev, djass_node_t *n)
{
    int      truth;
    json_t  *v;

    v = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, v) != 0) {
        return NULL;
    }

    truth = djass_val_truthy(v);

    if (n->type == DJASS_N_NOT) {
        json_decref(v);
        return json_boolean(!truth);
    }

    /* Python's and/or give back an operand */
    if ((n->type == DJASS_N_AND && !truth) || (n->type == DJASS_N_OR && truth))
    {
        return v;
    }

    json_decref(v);
    return djass_tmpl_eval(ev, n->b);
}


static json_t *
djass_eval_arith(djass_eval_t *ev, djass_node_t *n)
{
    json_t  *a, *b, *r;

    a = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, a) != 0) {
        return NULL;
    }

    if (n->type == DJASS_N_NEG || n->type == DJASS_N_POS) {
        b = json_integer(n->type == DJASS_N_NEG ? -1 : 1);
        if (json_is_number(a) || json_is_boolean(a)) {
            r = djass_eval_binop(ev, DJASS_OP_MUL, b, a);
        } else {
            r = NULL;
            djass_eval_fail(ev, "bad operand type for unary %c: '%s'",
                            n->type == DJASS_N_NEG ? '-' : '+',
                            djass_val_type(a));
        }
        json_decref(a);
        json_decref(b);
        return r;
    }

    b = djass_tmpl_eval(ev, n->b);
    if (djass_need(ev, b) != 0) {
        json_decref(a);
        return NULL;
    }

    r = djass_eval_binop(ev, n->op, a, b);
    json_decref(a);
    json_decref(b);
    return r;
}


json_t *
djass_tmpl_eval(djass_eval_t *ev, djass_node_t *n)
{
    json_t  *v, *k, *r;

    if (ev->failed) {
        return NULL;
    }

    switch (n->type) {

    case DJASS_N_STR:
        if (n->op == 1) {
            /* a set block's body stands here */
            return json_incref((json_t *) n->a);
        }
        return djass_val_string(n->s, n->len);

    case DJASS_N_INT:
        return json_integer(n->ival);

    case DJASS_N_FLOAT:
        return json_real(n->fval);

    case DJASS_N_BOOL:
        return json_boolean(n->ival);

    case DJASS_N_NONE:
        return json_null();

    case DJASS_N_NAME:
        return djass_lookup(ev, n->s, n->len);

    case DJASS_N_LIST:
    case DJASS_N_DICT:
        return djass_eval_seq(ev, n);

    case DJASS_N_GETATTR:
        v = djass_tmpl_eval(ev, n->a);
        if (djass_need(ev, v) != 0) {
            return NULL;
        }
        r = djass_getattr(ev, v, n->s, n->len);
        json_decref(v);
        return r;

    case DJASS_N_GETITEM:
        v = djass_tmpl_eval(ev, n->a);
        if (djass_need(ev, v) != 0) {
            return NULL;
        }
        k = djass_tmpl_eval(ev, n->b);
        if (djass_need(ev, k) != 0) {
            json_decref(v);
            return NULL;
        }
        r = djass_getitem(ev, v, k);
        json_decref(v);
        json_decref(k);
        return r;

    case DJASS_N_SLICE:
        return djass_eval_slice(ev, n);

    case DJASS_N_BINOP:
    case DJASS_N_NEG:
    case DJASS_N_POS:
        return djass_eval_arith(ev, n);

    case DJASS_N_NOT:
    case DJASS_N_AND:
    case DJASS_N_OR:
        return djass_eval_logic(ev, n);

    case DJASS_N_COMPARE:
        return djass_eval_compare_chain(ev, n);

    case DJASS_N_COND:
        return djass_eval_cond(ev, n);

    case DJASS_N_CONCAT:
        return djass_eval_concat(ev, n);

    case DJASS_N_FILTER:
        return djass_eval_filter(ev, n);

    case DJASS_N_TEST:
        return djass_eval_test(ev, n);

    case DJASS_N_CALL:
        return djass_eval_call(ev, n);

    default:
        djass_eval_fail(ev, "unexpected expression node %d", n->type);
        return NULL;
    }
}


/* arithmetic and comparison with Python's rules */

static int
djass_num(json_t *v, double *d, json_int_t *i)
{
    if (json_is_integer(v)) {
        *i = json_integer_value(v);
        *d = (double) *i;
        return 1;
    }
    if (json_is_boolean(v)) {
        *i = json_is_true(v);
        *d = (double) *i;
        return 1;
    }
    if (json_is_real(v)) {
        *d = json_real_value(v);
        return 2;
    }
    return 0;
}


static json_t *
djass_eval_strop(djass_eval_t *ev, int op, json_t *a, json_t *b)
{
    json_int_t    n, k;
    size_t        i;
    djass_buf_t   buf;
    json_t       *r;
    double        d;

    memset(&buf, 0, sizeof(buf));

    if (op == DJASS_OP_ADD && json_is_string(a) && json_is_string(b)) {
        djass_buf_add(&buf, json_string_value(a), json_string_length(a));
        djass_buf_add(&buf, json_string_value(b), json_string_length(b));
        return djass_val_strbuf(&buf);
    }

    if (op == DJASS_OP_ADD && json_is_array(a) && json_is_array(b)) {
        r = json_copy(a);
        json_array_extend(r, b);
        return r;
    }

    if (op == DJASS_OP_MUL && (json_is_array(a) || json_is_array(b))
        && djass_num(json_is_array(a) ? b : a, &d, &n) == 1)
    {
        if (json_is_array(b)) {
            r = a; a = b; b = r;
        }
        r = json_array();
        for (k = 0; r && k < n && json_array_size(r) < 1000000; k++) {
            json_array_extend(r, a);
        }
        return r;
    }

    if (op == DJASS_OP_MUL && (json_is_string(a) || json_is_string(b))
        && djass_num(json_is_string(a) ? b : a, &d, &n) == 1)
    {
        if (json_is_string(b)) {
            r = a; a = b; b = r;
        }
        for (k = 0; k < n; k++) {
            djass_buf_add(&buf, json_string_value(a), json_string_length(a));
            if (buf.len > 64 * 1024 * 1024) {
                djass_buf_free(&buf);
                djass_eval_fail(ev, "string too long");
                return NULL;
            }
        }
        return djass_val_strbuf(&buf);
    }

    (void) i;
    if (op == DJASS_OP_MOD && json_is_string(a)) {
        return djass_py_percent(ev, a, b);
    }

    djass_eval_fail(ev, "unsupported operand type(s): '%s' and '%s'",
                    djass_val_type(a), djass_val_type(b));
    return NULL;
}


/* floor() and pow() without libm: the module must not need it */
static double
djass_floor(double x)
{
    double  t;

    if (x != x || x > 9e18 || x < -9e18) {
        return x;
    }

    t = (double) (long long) x;
    return t > x ? t - 1 : t;
}


static double
djass_pow(double a, double b)
{
    int     neg;
    long    n;
    double  r;

    if (b != djass_floor(b) || b > 4096 || b < -4096) {
        return 0.0 / 0.0;
    }

    neg = b < 0;
    n = (long) (neg ? -b : b);
    for (r = 1; n > 0; n--) {
        r *= a;
    }

    return neg ? 1 / r : r;
}


static json_t *
djass_eval_binop(djass_eval_t *ev, int op, json_t *a, json_t *b)
{
    int         ta, tb;
    double      da, db, r;
    json_int_t  ia, ib, ir;

    ia = ib = 0;
    ta = djass_num(a, &da, &ia);
    tb = djass_num(b, &db, &ib);

    if (ta == 0 || tb == 0) {
        return djass_eval_strop(ev, op, a, b);
    }

    if ((op == DJASS_OP_DIV || op == DJASS_OP_FLOORDIV || op == DJASS_OP_MOD)
        && db == 0)
    {
        djass_eval_fail(ev, "division by zero");
        return NULL;
    }

    if (ta == 1 && tb == 1 && op != DJASS_OP_DIV
        && !(op == DJASS_OP_POW && ib < 0))
    {
        switch (op) {
        case DJASS_OP_ADD: return json_integer(ia + ib);
        case DJASS_OP_SUB: return json_integer(ia - ib);
        case DJASS_OP_MUL: return json_integer(ia * ib);
        case DJASS_OP_FLOORDIV:
            ir = ia / ib;
            if ((ia % ib != 0) && ((ia < 0) != (ib < 0))) {
                ir--;
            }
            return json_integer(ir);
        case DJASS_OP_MOD:
            ir = ia % ib;
            if (ir != 0 && ((ir < 0) != (ib < 0))) {
                ir += ib;
            }
            return json_integer(ir);
        case DJASS_OP_POW:
            for (ir = 1; ib > 0; ib--) {
                ir *= ia;
            }
            return json_integer(ir);
        default:
            break;
        }
    }

    switch (op) {
    case DJASS_OP_ADD: r = da + db; break;
    case DJASS_OP_SUB: r = da - db; break;
    case DJASS_OP_MUL: r = da * db; break;
    case DJASS_OP_DIV: r = da / db; break;
    case DJASS_OP_FLOORDIV: r = djass_floor(da / db); break;
    case DJASS_OP_MOD:
        r = da - db * djass_floor(da / db);
        if (r != 0 && ((r < 0) != (db < 0))) {
            r += db;
        }
        break;
    default: r = djass_pow(da, db); break;
    }

    return json_real(r);
}


static int
djass_contains(djass_eval_t *ev, json_t *hay, json_t *needle)
{
    size_t  i;

    if (json_is_string(hay)) {
        if (!json_is_string(needle)) {
            return djass_eval_fail(ev, "'in <string>' requires string as "
                                   "left operand, not %s",
                                   djass_val_type(needle));
        }
        if (json_string_length(needle) == 0) {
            return 1;
        }
        return memmem(json_string_value(hay), json_string_length(hay),
                      json_string_value(needle), json_string_length(needle))
               != NULL;
    }

    if (json_is_array(hay)) {
        for (i = 0; i < json_array_size(hay); i++) {
            if (djass_val_equal(json_array_get(hay, i), needle)) {
                return 1;
            }
        }
        return 0;
    }

    if (json_is_object(hay)) {
        return json_is_string(needle)
               && json_object_getn(hay, json_string_value(needle),
                                   json_string_length(needle)) != NULL;
    }

    return djass_eval_fail(ev, "argument of type '%s' is not iterable",
                           djass_val_type(hay));
}


static int
djass_eval_compare(djass_eval_t *ev, int op, json_t *a, json_t *b)
{
    int         c, r;
    double      da, db;
    json_int_t  ia, ib;
    size_t      la, lb;

    switch (op) {
    case DJASS_OP_EQ: return djass_val_equal(a, b);
    case DJASS_OP_NE: return !djass_val_equal(a, b);
    case DJASS_OP_IN: return djass_contains(ev, b, a);
    case DJASS_OP_NOTIN:
        r = djass_contains(ev, b, a);
        return r < 0 ? r : !r;
    default:
        break;
    }

    if (djass_num(a, &da, &ia) && djass_num(b, &db, &ib)) {
        c = (da < db) ? -1 : (da > db) ? 1 : 0;

    } else if (json_is_string(a) && json_is_string(b)) {
        la = json_string_length(a);
        lb = json_string_length(b);
        c = memcmp(json_string_value(a), json_string_value(b),
                   la < lb ? la : lb);
        if (c == 0) {
            c = (la < lb) ? -1 : (la > lb) ? 1 : 0;
        }

    } else {
        return djass_eval_fail(ev, "comparison not supported between "
                               "instances of '%s' and '%s'",
                               djass_val_type(a), djass_val_type(b));
    }

    switch (op) {
    case DJASS_OP_LT: return c < 0;
    case DJASS_OP_GT: return c > 0;
    case DJASS_OP_LE: return c <= 0;
    default: return c >= 0;
    }
}
