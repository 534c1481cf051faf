/*
 * The evaluator's expressions: names, attributes and items, slices,
 * literals, filters, tests, calls, conditions and the operators.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_filters.h"
#include "djass_tmpl_globals.h"
#include "djass_tmpl_int.h"
#include "djass_tmpl_methods.h"
#include "djass_tmpl_tests.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


json_t *
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
        for (j = start; res && (step > 0 ? j < stop : j > stop); ) {
            json_array_append(res, json_array_get(obj, (size_t) j));
            if (__builtin_add_overflow(j, step, &j)) {
                break;
            }
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
    for (j = start; step > 0 ? j < stop : j > stop; ) {
        djass_buf_add(&b, s + offs[j], offs[j + 1] - offs[j]);
        if (__builtin_add_overflow(j, step, &j)) {
            break;
        }
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
        if (djass_eval_str(ev, &b, k, 0) != 0) {
            djass_buf_free(&b);
            json_decref(k);
            json_decref(v);
            json_decref(res);
            return NULL;
        }
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
    if (djass_eval_str(ev, &buf, a, 0) != 0
        || djass_eval_str(ev, &buf, b, 0) != 0)
    {
        djass_buf_free(&buf);
        json_decref(a);
        json_decref(b);
        return NULL;
    }
    json_decref(a);
    json_decref(b);

    return djass_done(ev, &buf);
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
    json_t                *v, *res;
    djass_args_t           args;
    const djass_filter_t  *f;

    v = djass_tmpl_eval(ev, n->a);
    if (v == NULL && ev->failed) {
        return NULL;
    }

    f = djass_tmpl_find_filter(ev->ext, n->s, n->len);
    if (f == NULL) {
        json_decref(v);
        djass_eval_fail(ev, "No filter named '%.*s'.", (int) n->len, n->s);
        return NULL;
    }

    /* only `default` takes an undefined value */
    if (v == NULL && !(f->flags & DJASS_TMPL_UNDEFINED)) {
        djass_need(ev, v);
        return NULL;
    }

    if (djass_eval_args(ev, n->args, &args) != 0) {
        json_decref(v);
        return NULL;
    }

    ev->line = n->line;
    res = djass_tmpl_call_filter(ev, f, v, &args);

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
    char        msg[64];
    json_t     *a, *b, *r;
    json_int_t  ir;

    a = djass_tmpl_eval(ev, n->a);
    if (djass_need(ev, a) != 0) {
        return NULL;
    }

    if (n->type == DJASS_N_NEG && json_is_integer(a)) {
        if (djass_int_neg(json_integer_value(a), &ir) != 0) {
            snprintf(msg, sizeof(msg), "-(%lld)",
                     (long long) json_integer_value(a));
            json_decref(a);
            return djass_eval_overflow(ev, msg);
        }
        json_decref(a);
        return json_integer(ir);
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


static json_t *djass_eval_node(djass_eval_t *ev, djass_node_t *n);


/* an expression: one step, and one per 64 bytes of a string or 16 items
 * of a list or dict it gives (what the operations on it will walk) */
json_t *
djass_tmpl_eval(djass_eval_t *ev, djass_node_t *n)
{
    size_t   size;
    json_t  *v;

    if (ev->failed || djass_eval_work(ev, 1) != 0) {
        return NULL;
    }

    v = djass_eval_node(ev, n);

    size = json_is_string(v) ? json_string_length(v) / DJASS_STEP_BYTES
           : json_is_array(v) ? json_array_size(v) / DJASS_STEP_ITEMS
           : json_is_object(v) ? json_object_size(v) / DJASS_STEP_ITEMS : 0;

    if (size > 0 && djass_eval_work(ev, size) != 0) {
        json_decref(v);
        return NULL;
    }

    return v;
}


static json_t *
djass_eval_node(djass_eval_t *ev, djass_node_t *n)
{
    json_t  *v, *k, *r;

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
