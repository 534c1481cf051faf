/*
 * Jinja2's filters and their table (FILTERS): the ones cookiecutter
 * templates use.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_filters.h"
#include "djass_tmpl_int.h"
#include "djass_tmpl_methods.h"
#include "djass_tmpl_string.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


static json_t *
djass_first_last(djass_eval_t *ev, json_t *v, int last)
{
    size_t       i, start, len;
    const char  *s, *key;
    json_t      *item, *found;

    if (json_is_array(v)) {
        if (json_array_size(v) == 0) {
            goto empty;
        }
        return json_incref(json_array_get(v, last ? json_array_size(v) - 1
                                                  : 0));
    }

    if (json_is_string(v)) {
        s = json_string_value(v);
        len = json_string_length(v);
        if (len == 0) {
            goto empty;
        }
        if (!last) {
            i = 0;
            djass_utf8_next(s, len, &i);
            return djass_val_string(s, i);
        }
        start = len - 1;
        while (start > 0 && ((unsigned char) s[start] & 0xc0) == 0x80) {
            start--;
        }
        return djass_val_string(s + start, len - start);
    }

    if (json_is_object(v)) {
        found = NULL;
        json_object_foreach(v, key, item) {
            if (found == NULL || last) {
                json_decref(found);
                found = djass_val_string(key, strlen(key));
            }
            if (!last) {
                break;
            }
        }
        if (found == NULL) {
            goto empty;
        }
        return found;
    }

    djass_eval_fail(ev, "'%s' object is not iterable", djass_val_type(v));
    return NULL;

empty:

    snprintf(ev->undef, sizeof(ev->undef), "No %s item, sequence was empty.",
             last ? "last" : "first");
    return NULL;
}


static json_t *
djass_length(djass_eval_t *ev, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_integer((json_int_t) djass_utf8_count(
                                json_string_value(v), json_string_length(v)));
    case JSON_ARRAY:
        return json_integer((json_int_t) json_array_size(v));
    case JSON_OBJECT:
        return json_integer((json_int_t) json_object_size(v));
    default:
        djass_eval_fail(ev, "object of type '%s' has no len()",
                        djass_val_type(v));
        return NULL;
    }
}


static json_t *
djass_escape(djass_eval_t *ev, const char *s, size_t len)
{
    size_t       i;
    djass_buf_t  b;

    memset(&b, 0, sizeof(b));
    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': djass_buf_adds(&b, "&amp;"); break;
        case '<': djass_buf_adds(&b, "&lt;"); break;
        case '>': djass_buf_adds(&b, "&gt;"); break;
        case '"': djass_buf_adds(&b, "&#34;"); break;
        case '\'': djass_buf_adds(&b, "&#39;"); break;
        default: djass_buf_addc(&b, s[i]);
        }
    }

    return djass_done(ev, &b);
}


static int
djass_is_word(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z')
           || (cp >= 'A' && cp <= 'Z') || cp == '_'
           || (cp >= 0xc0 && !djass_uni_isspace(cp) && cp != 0xd7
               && cp != 0xf7 && !(cp >= 0x2000 && cp <= 0x2bff)
               && !(cp >= 0x3000 && cp <= 0x303f));
}


static json_t *
djass_wordcount(const char *s, size_t len)
{
    int       in;
    size_t    i;
    uint32_t  cp;
    long      n;

    n = 0;
    in = 0;
    for (i = 0; i < len; ) {
        cp = djass_utf8_next(s, len, &i);
        if (djass_is_word(cp)) {
            n += !in;
            in = 1;
        } else {
            in = 0;
        }
    }

    return json_integer(n);
}


/* str.center(width) */
static json_t *
djass_center(djass_eval_t *ev, const char *s, size_t len, json_t *w)
{
    size_t       n, marg, left, total, k;
    json_int_t   width;
    djass_buf_t  b;

    width = (w && json_is_integer(w)) ? json_integer_value(w) : 80;
    n = djass_utf8_count(s, len);

    /* Python: (marg // 2) + (marg & width & 1) spaces on the left */
    marg = (width > 0 && (uint64_t) width > n) ? (size_t) width - n : 0;
    if (djass_eval_size(ev, "center()", 1, marg, len, &total) != 0) {
        return NULL;
    }
    left = marg / 2 + (marg & (size_t) width & 1);

    memset(&b, 0, sizeof(b));
    if (djass_buf_reserve(&b, total) != 0) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }
    for (k = 0; k < left; k++) {
        djass_buf_addc(&b, ' ');
    }
    djass_buf_add(&b, s, len);
    for (k = 0; k < marg - left; k++) {
        djass_buf_addc(&b, ' ');
    }

    return djass_done(ev, &b);
}


/* the end of the line at s[i] for str.splitlines(), and where the next
 * line starts */
static size_t
djass_line_end(const char *s, size_t len, size_t i, size_t *next)
{
    size_t    j;
    uint32_t  cp;

    while (i < len) {
        j = i;
        cp = djass_utf8_next(s, len, &j);
        if (cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f'
            || cp == 0x1c || cp == 0x1d || cp == 0x1e || cp == 0x85
            || cp == 0x2028 || cp == 0x2029)
        {
            *next = (cp == '\r' && j < len && s[j] == '\n') ? j + 1 : j;
            return i;
        }
        i = j;
    }

    *next = len;
    return len;
}


/* Jinja2 3.1's indent(s, width=4, first=False, blank=False) */
static json_t *
djass_indent(djass_eval_t *ev, const char *s, size_t len, djass_args_t *args)
{
    int           first, blank, nline;
    size_t        i, end, next, ilen;
    json_t       *w, *f, *bl;
    djass_buf_t   ind, b, src;
    json_int_t    k;

    w = djass_arg(args, 0, "width");
    f = djass_arg(args, 1, "first");
    bl = djass_arg(args, 2, "blank");
    first = f && djass_val_truthy(f);
    blank = bl && djass_val_truthy(bl);

    memset(&ind, 0, sizeof(ind));
    if (w && json_is_string(w)) {
        djass_buf_add(&ind, json_string_value(w), json_string_length(w));
    } else {
        /* " " * width: nothing for a width below 1 */
        k = (w && json_is_integer(w)) ? json_integer_value(w) : 4;
        if (djass_eval_size(ev, "indent()", 1, k > 0 ? (uint64_t) k : 0, 0,
                            &ilen) != 0)
        {
            return NULL;
        }
        for ( /* void */ ; k > 0; k--) {
            djass_buf_addc(&ind, ' ');
        }
    }
    ilen = ind.len;

    /* s + "\n", then splitlines() */
    memset(&src, 0, sizeof(src));
    djass_buf_add(&src, s, len);
    djass_buf_addc(&src, '\n');

    memset(&b, 0, sizeof(b));
    if (first) {
        djass_buf_add(&b, ind.data, ilen);
    }

    for (i = 0, nline = 0; i < src.len; i = next, nline++) {
        end = djass_line_end(src.data, src.len, i, &next);
        if (nline > 0) {
            djass_buf_addc(&b, '\n');
            if (blank || end > i) {
                djass_buf_add(&b, ind.data, ilen);
            }
        }
        djass_buf_add(&b, src.data + i, end - i);
        if (b.len > ev->limits.max_string) {
            break;
        }
    }

    djass_buf_free(&ind);
    djass_buf_free(&src);
    return djass_done(ev, &b);
}


/* round(value, precision=0, method='common'): Python's round() */
static json_t *
djass_round(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    int          prec;
    char         buf[512];
    json_int_t   iprec;
    double       d, t;
    json_t      *p, *m;
    const char  *method;

    p = djass_arg(args, 0, "precision");
    m = djass_arg(args, 1, "method");
    iprec = (p && json_is_integer(p)) ? json_integer_value(p) : 0;
    method = (m && json_is_string(m)) ? json_string_value(m) : "common";

    if (json_is_integer(v) && strcmp(method, "common") == 0 && iprec >= 0) {
        return json_incref(v);
    }

    /* whatever a precision outside that range gives, not a wrapped int */
    prec = (iprec < -1 || iprec > 301) ? -1 : (int) iprec;

    if (json_is_integer(v) || json_is_boolean(v)) {
        d = json_is_integer(v) ? (double) json_integer_value(v)
                               : json_is_true(v);
    } else if (json_is_real(v)) {
        d = json_real_value(v);
    } else {
        djass_eval_fail(ev, "round() needs a number, not '%s'",
                        djass_val_type(v));
        return NULL;
    }

    if (prec < 0 || prec > 300) {
        djass_eval_fail(ev, "round(): precision out of range");
        return NULL;
    }

    if (strcmp(method, "common") == 0) {
        /* printf rounds the exact binary value half to even, as Python */
        snprintf(buf, sizeof(buf), "%.*f", prec, d);
        return json_real(strtod(buf, NULL));
    }

    if (strcmp(method, "floor") != 0 && strcmp(method, "ceil") != 0) {
        djass_eval_fail(ev, "method must be common, ceil or floor");
        return NULL;
    }

    for (t = 1; prec > 0; prec--) {
        t *= 10;
    }
    d *= t;
    if (d > -9e18 && d < 9e18) {
        double  i = (double) (long long) d;

        if (method[0] == 'f' && i > d) {
            i -= 1;
        } else if (method[0] == 'c' && i < d) {
            i += 1;
        }
        d = i;
    }

    return json_real(d / t);
}


/* ordering for sort/min/max/unique: numbers, or strings (case-folded
 * unless case_sensitive) */
static int
djass_order(json_t *a, json_t *b, int cs, int *err)
{
    int          c;
    double       da, db;
    djass_buf_t  la, lb;

    if ((json_is_number(a) || json_is_boolean(a))
        && (json_is_number(b) || json_is_boolean(b)))
    {
        da = json_is_real(a) ? json_real_value(a)
             : json_is_integer(a) ? (double) json_integer_value(a)
             : json_is_true(a);
        db = json_is_real(b) ? json_real_value(b)
             : json_is_integer(b) ? (double) json_integer_value(b)
             : json_is_true(b);
        return da < db ? -1 : da > db;
    }

    if (!json_is_string(a) || !json_is_string(b)) {
        *err = 1;
        return 0;
    }

    memset(&la, 0, sizeof(la));
    memset(&lb, 0, sizeof(lb));
    if (cs) {
        djass_buf_add(&la, json_string_value(a), json_string_length(a));
        djass_buf_add(&lb, json_string_value(b), json_string_length(b));
    } else {
        djass_str_lower(&la, json_string_value(a), json_string_length(a));
        djass_str_lower(&lb, json_string_value(b), json_string_length(b));
    }

    c = memcmp(la.data ? la.data : "", lb.data ? lb.data : "",
               la.len < lb.len ? la.len : lb.len);
    if (c == 0) {
        c = la.len < lb.len ? -1 : la.len > lb.len;
    }

    djass_buf_free(&la);
    djass_buf_free(&lb);
    return c < 0 ? -1 : c > 0;
}


static json_t *
djass_items_of(djass_eval_t *ev, json_t *v)
{
    return json_is_array(v) ? json_copy(v) : djass_tmpl_iterable(ev, v);
}


/* a flag argument: off unless it is given and true */
static int
djass_arg_flag(djass_args_t *args, int pos, const char *name)
{
    json_t  *v;

    v = djass_arg(args, pos, name);
    return v != NULL && djass_val_truthy(v);
}


/* sorted(), stable: an insertion sort is plenty for template lists */
static json_t *
djass_sort(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    int      rev, cs, err, c;
    size_t   i, j, n;
    json_t  *items, *r, *cur, **a;

    rev = djass_arg_flag(args, 0, "reverse");
    cs = djass_arg_flag(args, 1, "case_sensitive");

    items = djass_items_of(ev, v);
    if (items == NULL) {
        return NULL;
    }

    n = json_array_size(items);
    a = malloc((n + 1) * sizeof(json_t *));
    if (a == NULL) {
        json_decref(items);
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    err = 0;
    for (i = 0; i < n && !ev->failed; i++) {
        cur = json_array_get(items, i);
        for (j = i; j > 0; j--) {
            if (djass_eval_work(ev, 1) != 0) {
                break;
            }
            c = djass_order(a[j - 1], cur, cs, &err);
            if (rev ? c >= 0 : c <= 0) {
                break;
            }
            a[j] = a[j - 1];
        }
        a[j] = cur;
    }

    /* a[] is filled only if the sort ran to the end */
    r = json_array();
    for (i = 0; r && !ev->failed && i < n; i++) {
        json_array_append(r, a[i]);
    }

    free(a);
    json_decref(items);

    if (ev->failed) {
        json_decref(r);
        return NULL;
    }

    if (err) {
        json_decref(r);
        djass_eval_fail(ev, "'<' not supported between these values");
        return NULL;
    }

    return r;
}


static json_t *
djass_unique(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    int      cs, err, seen;
    size_t   i, j;
    json_t  *items, *r, *cur;

    cs = djass_arg_flag(args, 0, "case_sensitive");

    items = djass_items_of(ev, v);
    if (items == NULL) {
        return NULL;
    }

    r = json_array();
    err = 0;
    for (i = 0; r && i < json_array_size(items); i++) {
        cur = json_array_get(items, i);
        seen = 0;
        for (j = 0; !seen && j < json_array_size(r); j++) {
            if (djass_eval_work(ev, 1) != 0) {
                json_decref(items);
                json_decref(r);
                return NULL;
            }
            if (json_is_string(cur) && json_is_string(json_array_get(r, j))) {
                seen = djass_order(json_array_get(r, j), cur, cs, &err) == 0;
            } else {
                seen = djass_val_equal(json_array_get(r, j), cur);
            }
        }
        if (!seen) {
            json_array_append(r, cur);
        }
    }

    json_decref(items);
    return r;
}


static json_t *
djass_min_max(djass_eval_t *ev, json_t *v, djass_args_t *args, int max)
{
    int      cs, err, c;
    size_t   i;
    json_t  *items, *best, *cur;

    cs = djass_arg_flag(args, 0, "case_sensitive");

    items = djass_items_of(ev, v);
    if (items == NULL) {
        return NULL;
    }

    best = NULL;
    err = 0;
    for (i = 0; i < json_array_size(items); i++) {
        cur = json_array_get(items, i);
        if (best == NULL) {
            best = cur;
            continue;
        }
        c = djass_order(cur, best, cs, &err);
        if (max ? c > 0 : c < 0) {
            best = cur;
        }
    }

    if (err) {
        json_decref(items);
        djass_eval_fail(ev, "'<' not supported between these values");
        return NULL;
    }

    if (best == NULL) {
        json_decref(items);
        snprintf(ev->undef, sizeof(ev->undef), "No aggregated item, "
                 "sequence was empty.");
        return NULL;
    }

    best = json_incref(best);
    json_decref(items);
    return best;
}


static json_t *
djass_sum(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    int          real;
    size_t       i;
    double       d;
    json_t      *items, *cur, *start;
    json_int_t   n;

    items = djass_items_of(ev, v);
    if (items == NULL) {
        return NULL;
    }

    start = djass_arg(args, 1, "start");
    n = (start && json_is_integer(start)) ? json_integer_value(start) : 0;
    d = (start && json_is_real(start)) ? json_real_value(start) : (double) n;
    real = start && json_is_real(start);

    for (i = 0; i < json_array_size(items); i++) {
        cur = json_array_get(items, i);
        if (json_is_integer(cur) || json_is_boolean(cur)) {
            if (!real
                && djass_int_add(n, json_is_integer(cur)
                                    ? json_integer_value(cur)
                                    : json_is_true(cur), &n) != 0)
            {
                json_decref(items);
                return djass_eval_overflow(ev, "the sum");
            }
            d += json_is_integer(cur) ? (double) json_integer_value(cur)
                                      : json_is_true(cur);
        } else if (json_is_real(cur)) {
            d += json_real_value(cur);
            real = 1;
        } else {
            djass_eval_fail(ev, "unsupported operand type(s) for +: 'int' "
                            "and '%s'", djass_val_type(cur));
            json_decref(items);
            return NULL;
        }
    }

    json_decref(items);
    return real ? json_real(d) : json_integer(n);
}


static void
djass_quote(djass_buf_t *b, const char *s, size_t len, int qs)
{
    size_t  i;
    char    c;

    for (i = 0; i < len; i++) {
        c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'
            || c == '~' || (c == '/' && !qs))
        {
            djass_buf_addc(b, c);
        } else if (c == ' ' && qs) {
            djass_buf_addc(b, '+');
        } else {
            djass_buf_printf(b, "%%%02X", (unsigned char) c);
        }
    }
}


static json_t *
djass_urlencode(djass_eval_t *ev, json_t *v)
{
    size_t        i, len;
    json_t       *item;
    djass_buf_t   b, t;
    const char   *key, *s;

    memset(&b, 0, sizeof(b));

    if (json_is_object(v)) {
        i = 0;
        json_object_foreach(v, key, item) {
            if (i++ > 0) {
                djass_buf_addc(&b, '&');
            }
            djass_quote(&b, key, strlen(key), 1);
            djass_buf_addc(&b, '=');
            s = djass_soft_str(ev, &t, item, &len);
            if (s) {
                djass_quote(&b, s, len, 1);
            }
            djass_buf_free(&t);
        }
        return djass_done(ev, &b);
    }

    s = djass_soft_str(ev, &t, v, &len);
    if (s) {
        djass_quote(&b, s, len, 0);
    }
    djass_buf_free(&t);
    return djass_done(ev, &b);
}


/* the filters: each takes the value (str(value) for DJASS_TMPL_STR) */

static json_t *
djass_filter_default(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    json_t  *a, *b;

    a = djass_arg(args, 0, "default_value");
    b = djass_arg(args, 1, "boolean");
    if (v == NULL || (b && djass_val_truthy(b) && !djass_val_truthy(v))) {
        return a ? json_incref(a) : djass_val_string("", 0);
    }
    return json_incref(v);
}


static json_t *
djass_filter_length(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_length(ev, v);
}


static json_t *
djass_filter_first(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_first_last(ev, v, 0);
}


static json_t *
djass_filter_last(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_first_last(ev, v, 1);
}


static json_t *
djass_filter_int(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_to_int(ev, v, djass_arg(args, 0, "default"));
}


static json_t *
djass_filter_float(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_to_float(v, djass_arg(args, 0, "default"));
}


static json_t *
djass_filter_tojson(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_val_tojson(ev, v, djass_arg(args, 0, "indent"), -1);
}


static json_t *
djass_filter_list(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_items_of(ev, v);
}


static json_t *
djass_filter_join(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    size_t        slen;
    json_t       *a, *r;
    djass_buf_t   tmp;
    const char   *s;

    a = djass_arg(args, 0, "d");
    memset(&tmp, 0, sizeof(tmp));
    slen = 0;
    s = a ? djass_soft_str(ev, &tmp, a, &slen) : "";
    r = s ? djass_join(ev, v, s, slen) : NULL;
    djass_buf_free(&tmp);
    return r;
}


static json_t *
djass_filter_safe(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_incref(v);
}


static json_t *
djass_filter_abs(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    json_int_t  n;

    if (json_is_boolean(v)) {
        return json_integer(json_is_true(v));
    }
    if (json_is_integer(v)) {
        if (djass_int_abs(json_integer_value(v), &n) != 0) {
            return djass_eval_overflow(ev, "abs(-9223372036854775808)");
        }
        return json_integer(n);
    }
    if (json_is_real(v)) {
        return json_real(json_real_value(v) < 0 ? -json_real_value(v)
                                               : json_real_value(v));
    }
    djass_eval_fail(ev, "bad operand type for abs(): '%s'",
                    djass_val_type(v));
    return NULL;
}


static json_t *
djass_filter_reverse(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    size_t        i, alen, blen, slen;
    json_t       *a, *r;
    djass_buf_t   out, tmp;
    const char   *s;

    if (json_is_array(v)) {
        r = json_array();
        for (i = json_array_size(v); i > 0; i--) {
            json_array_append(r, json_array_get(v, i - 1));
        }
        return r;
    }

    if (json_is_object(v)) {
        a = djass_filter_list(ev, v, args);
        r = a ? djass_filter_reverse(ev, a, args) : NULL;
        json_decref(a);
        return r;
    }

    if (!json_is_string(v)) {
        djass_eval_fail(ev, "argument must be iterable");
        return NULL;
    }

    s = djass_soft_str(ev, &tmp, v, &slen);
    memset(&out, 0, sizeof(out));
    for (alen = slen; alen > 0; alen = blen) {
        blen = alen - 1;
        while (blen > 0 && ((unsigned char) s[blen] & 0xc0) == 0x80) {
            blen--;
        }
        djass_buf_add(&out, s + blen, alen - blen);
    }
    return djass_done(ev, &out);
}


#define djass_str_of(v)  json_string_value(v), json_string_length(v)


/* a filter that is one str operation */
static json_t *
djass_filter_with(djass_eval_t *ev, json_t *v,
    void (*op)(djass_buf_t *out, const char *s, size_t len))
{
    djass_buf_t  out;

    memset(&out, 0, sizeof(out));
    op(&out, djass_str_of(v));
    return djass_done(ev, &out);
}


static json_t *
djass_filter_lower(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_filter_with(ev, v, djass_str_lower);
}


static json_t *
djass_filter_upper(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_filter_with(ev, v, djass_str_upper);
}


static json_t *
djass_filter_title_(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_filter_with(ev, v, djass_filter_title);
}


static json_t *
djass_filter_capitalize(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_filter_with(ev, v, djass_capitalize);
}


static json_t *
djass_filter_string(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_incref(v);
}


static json_t *
djass_filter_escape(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_escape(ev, djass_str_of(v));
}


static json_t *
djass_filter_trim(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    size_t        alen;
    json_t       *a, *r;
    djass_buf_t   out, ta;
    const char   *as;

    memset(&out, 0, sizeof(out));
    a = djass_arg(args, 0, "chars");
    if (a == NULL || json_is_null(a)) {
        djass_strip(&out, djass_str_of(v), NULL, 0, 3);
        return djass_done(ev, &out);
    }

    r = NULL;
    as = djass_soft_str(ev, &ta, a, &alen);
    if (as != NULL) {
        djass_strip(&out, djass_str_of(v), as, alen, 3);
        r = djass_done(ev, &out);
    }
    djass_buf_free(&ta);
    return r;
}


static json_t *
djass_filter_replace(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    size_t        alen, blen;
    json_t       *a, *b, *c, *r;
    djass_buf_t   out, ta, tb;
    const char   *as, *bs;

    a = djass_arg(args, 0, "old");
    b = djass_arg(args, 1, "new");
    c = djass_arg(args, 2, "count");
    if (a == NULL || b == NULL) {
        djass_eval_fail(ev, "replace() needs the old and new strings");
        return NULL;
    }

    r = NULL;
    memset(&out, 0, sizeof(out));
    as = djass_soft_str(ev, &ta, a, &alen);
    bs = djass_soft_str(ev, &tb, b, &blen);
    if (as && bs) {
        djass_replace(&out, djass_str_of(v), as, alen, bs, blen,
                      (c && json_is_integer(c))
                      ? (long long) json_integer_value(c) : -1,
                      ev->limits.max_string);
        r = djass_done(ev, &out);
    }
    djass_buf_free(&ta);
    djass_buf_free(&tb);
    return r;
}


static json_t *
djass_filter_wordcount(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_wordcount(djass_str_of(v));
}


static json_t *
djass_filter_center(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_center(ev, djass_str_of(v), djass_arg(args, 0, "width"));
}


static json_t *
djass_filter_indent(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_indent(ev, djass_str_of(v), args);
}


/* value % (kwargs or args) */
static json_t *
djass_filter_format(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    int      i;
    json_t  *r, *vals;

    if (args->nkw > 0) {
        vals = json_object();
        for (i = 0; i < args->nkw; i++) {
            json_object_setn_nocheck(vals, args->kwname[i], args->kwlen[i],
                                     args->kw[i]);
        }
    } else {
        vals = json_array();
        for (i = 0; i < args->npos; i++) {
            json_array_append(vals, args->pos[i]);
        }
    }

    r = djass_py_percent(ev, v, vals);
    json_decref(vals);
    return r;
}


static json_t *
djass_filter_min(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_min_max(ev, v, args, 0);
}


static json_t *
djass_filter_max(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_min_max(ev, v, args, 1);
}


static json_t *
djass_filter_items(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    if (!json_is_object(v)) {
        djass_eval_fail(ev, "items() needs a mapping");
        return NULL;
    }
    return djass_tmpl_method(ev, v, "items", 5, args);
}


static json_t *
djass_filter_urlencode(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_urlencode(ev, v);
}


/* Jinja2's FILTERS (the ones templates use), sorted by name: the only
 * list of the filter names the engine knows */
const djass_filter_t  djass_tmpl_filters[] = {
    { "abs", djass_filter_abs, 0 },
    { "capitalize", djass_filter_capitalize, DJASS_TMPL_STR },
    { "center", djass_filter_center, DJASS_TMPL_STR },
    { "count", djass_filter_length, 0 },
    { "d", djass_filter_default, DJASS_TMPL_UNDEFINED },
    { "default", djass_filter_default, DJASS_TMPL_UNDEFINED },
    { "e", djass_filter_escape, DJASS_TMPL_STR },
    { "escape", djass_filter_escape, DJASS_TMPL_STR },
    { "first", djass_filter_first, 0 },
    { "float", djass_filter_float, 0 },
    { "format", djass_filter_format, DJASS_TMPL_STR },
    { "indent", djass_filter_indent, DJASS_TMPL_STR },
    { "int", djass_filter_int, 0 },
    { "items", djass_filter_items, 0 },
    { "join", djass_filter_join, 0 },
    { "last", djass_filter_last, 0 },
    { "length", djass_filter_length, 0 },
    { "list", djass_filter_list, 0 },
    { "lower", djass_filter_lower, DJASS_TMPL_STR },
    { "max", djass_filter_max, 0 },
    { "min", djass_filter_min, 0 },
    { "replace", djass_filter_replace, DJASS_TMPL_STR },
    { "reverse", djass_filter_reverse, 0 },
    { "round", djass_round, 0 },
    { "safe", djass_filter_safe, 0 },
    { "sort", djass_sort, 0 },
    { "string", djass_filter_string, DJASS_TMPL_STR },
    { "sum", djass_sum, 0 },
    { "title", djass_filter_title_, DJASS_TMPL_STR },
    { "tojson", djass_filter_tojson, 0 },
    { "trim", djass_filter_trim, DJASS_TMPL_STR },
    { "unique", djass_unique, 0 },
    { "upper", djass_filter_upper, DJASS_TMPL_STR },
    { "urlencode", djass_filter_urlencode, 0 },
    { "wordcount", djass_filter_wordcount, DJASS_TMPL_STR }
};

const size_t  djass_tmpl_nfilters =
    sizeof(djass_tmpl_filters) / sizeof(djass_tmpl_filters[0]);


const djass_filter_t *
djass_tmpl_find_filter(const djass_tmpl_ext_t *ext, const char *name,
    size_t len)
{
    const djass_filter_t  *f;

    f = djass_table_find(djass_tmpl_filters, djass_tmpl_nfilters,
                         sizeof(djass_filter_t), name, len);
    if (f == NULL && ext != NULL) {
        f = djass_table_find(ext->filters, ext->nfilters,
                             sizeof(djass_filter_t), name, len);
    }
    return f;
}


json_t *
djass_tmpl_call_filter(djass_eval_t *ev, const djass_filter_t *f, json_t *v,
    djass_args_t *args)
{
    size_t        slen;
    json_t       *r, *str;
    djass_buf_t   tmp;
    const char   *s;

    if (!(f->flags & DJASS_TMPL_STR) || json_is_string(v)) {
        return f->handler(ev, v, args);
    }

    s = djass_soft_str(ev, &tmp, v, &slen);
    if (s == NULL) {
        return NULL;
    }

    str = djass_val_string(s, slen);
    djass_buf_free(&tmp);
    if (str == NULL) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    r = f->handler(ev, str, args);
    json_decref(str);
    return r;
}
