/*
 * Arithmetic, comparison and `in` with Python's rules.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_int.h"
#include "djass_tmpl_string.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


int
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
    size_t        i, len;
    djass_buf_t   buf;
    json_t       *r;
    double        d;

    memset(&buf, 0, sizeof(buf));

    if (op == DJASS_OP_ADD && json_is_string(a) && json_is_string(b)) {
        if (djass_eval_size(ev, "str + str", 1, json_string_length(a),
                            json_string_length(b), &len) != 0)
        {
            return NULL;
        }
        djass_buf_add(&buf, json_string_value(a), json_string_length(a));
        djass_buf_add(&buf, json_string_value(b), json_string_length(b));
        return djass_done(ev, &buf);
    }

    if (op == DJASS_OP_ADD && json_is_array(a) && json_is_array(b)) {
        if (djass_eval_items(ev, "list + list", 1, json_array_size(a),
                             json_array_size(b)) != 0)
        {
            return NULL;
        }
        r = json_copy(a);
        if (r == NULL || json_array_extend(r, b) != 0) {
            json_decref(r);
            djass_eval_fail(ev, "out of memory");
            return NULL;
        }
        return r;
    }

    if (op == DJASS_OP_MUL && (json_is_array(a) || json_is_array(b))
        && djass_num(json_is_array(a) ? b : a, &d, &n) == 1)
    {
        if (json_is_array(b)) {
            r = a; a = b; b = r;
        }
        /* Python: a count below 1 gives an empty list */
        n = (n < 0 || json_array_size(a) == 0) ? 0 : n;
        if (djass_eval_items(ev, "list * int", (uint64_t) n,
                             json_array_size(a), 0) != 0)
        {
            return NULL;
        }
        r = json_array();
        for (k = 0; r && k < n; k++) {
            if (json_array_extend(r, a) != 0) {
                json_decref(r);
                r = NULL;
            }
        }
        if (r == NULL) {
            djass_eval_fail(ev, "out of memory");
        }
        return r;
    }

    if (op == DJASS_OP_MUL && (json_is_string(a) || json_is_string(b))
        && djass_num(json_is_string(a) ? b : a, &d, &n) == 1)
    {
        if (json_is_string(b)) {
            r = a; a = b; b = r;
        }
        n = (n < 0 || json_string_length(a) == 0) ? 0 : n;
        if (djass_eval_size(ev, "str * int", (uint64_t) n,
                            json_string_length(a), 0, &len) != 0
            || djass_buf_reserve(&buf, len) != 0)
        {
            if (!ev->failed) {
                djass_eval_fail(ev, "out of memory");
            }
            return NULL;
        }
        for (k = 0; k < n; k++) {
            djass_buf_add(&buf, json_string_value(a), json_string_length(a));
        }
        return djass_done(ev, &buf);
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


static const char *
djass_op_name(int op)
{
    switch (op) {
    case DJASS_OP_ADD: return "+";
    case DJASS_OP_SUB: return "-";
    case DJASS_OP_MUL: return "*";
    case DJASS_OP_FLOORDIV: return "//";
    case DJASS_OP_MOD: return "%";
    default: return "**";
    }
}


json_t *
djass_eval_binop(djass_eval_t *ev, int op, json_t *a, json_t *b)
{
    int         ta, tb, rc;
    char        msg[128];
    const char *what;
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

    if (op == DJASS_OP_POW && da == 0 && db < 0) {
        djass_eval_fail(ev, "0.0 cannot be raised to a negative power");
        return NULL;
    }

    if (ta == 1 && tb == 1 && op != DJASS_OP_DIV
        && !(op == DJASS_OP_POW && ib < 0))
    {
        switch (op) {
        case DJASS_OP_ADD:
            rc = djass_int_add(ia, ib, &ir);
            what = "the sum";
            break;
        case DJASS_OP_SUB:
            rc = djass_int_sub(ia, ib, &ir);
            what = "the difference";
            break;
        case DJASS_OP_MUL:
            rc = djass_int_mul(ia, ib, &ir);
            what = "the product";
            break;
        case DJASS_OP_FLOORDIV:
            rc = djass_int_floordiv(ia, ib, &ir);
            what = "the quotient";
            break;
        case DJASS_OP_MOD:
            rc = djass_int_mod(ia, ib, &ir);
            what = "the remainder";
            break;
        default:
            rc = djass_int_pow(ia, ib, &ir);
            what = "the power";
            break;
        }

        if (rc != 0) {
            snprintf(msg, sizeof(msg), "%s of %lld %s %lld", what,
                     (long long) ia, djass_op_name(op), (long long) ib);
            return djass_eval_overflow(ev, msg);
        }

        return json_integer(ir);
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

    /* JSON (and so a value here) has no inf or nan */
    if (r != r || r > DBL_MAX || r < -DBL_MAX) {
        djass_eval_fail(ev, "float overflow: the result is not a finite "
                        "number");
        return NULL;
    }

    return json_real(r);
}


int
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


int
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
