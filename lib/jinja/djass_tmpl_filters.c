/*
 * The less common Jinja2 filters (wordcount center indent round sort
 * unique min max sum items urlencode format) and Python's string
 * formatting: `"%s" % x` and "{}".format(x).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_int.h"
#include "djass_utf8.h"


#define djass_is(name, len, lit)                                              \
    ((len) == sizeof(lit) - 1 && memcmp(name, lit, sizeof(lit) - 1) == 0)


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
    long         width, n, marg, left, k;
    djass_buf_t  b;

    width = (w && json_is_integer(w)) ? (long) json_integer_value(w) : 80;
    n = (long) djass_utf8_count(s, len);

    memset(&b, 0, sizeof(b));
    marg = width - n;
    left = marg > 0 ? marg / 2 + (marg & width & 1) : 0;
    for (k = 0; k < left; k++) {
        djass_buf_addc(&b, ' ');
    }
    djass_buf_add(&b, s, len);
    for (k = 0; marg > 0 && k < marg - left; k++) {
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
    long          k;

    w = djass_arg(args, 0, "width");
    f = djass_arg(args, 1, "first");
    bl = djass_arg(args, 2, "blank");
    first = f && djass_val_truthy(f);
    blank = bl && djass_val_truthy(bl);

    memset(&ind, 0, sizeof(ind));
    if (w && json_is_string(w)) {
        djass_buf_add(&ind, json_string_value(w), json_string_length(w));
    } else {
        for (k = 0; k < ((w && json_is_integer(w)) ? json_integer_value(w)
                                                    : 4); k++)
        {
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
    double       d, t;
    json_t      *p, *m;
    const char  *method;

    p = djass_arg(args, 0, "precision");
    m = djass_arg(args, 1, "method");
    prec = (p && json_is_integer(p)) ? (int) json_integer_value(p) : 0;
    method = (m && json_is_string(m)) ? json_string_value(m) : "common";

    if (json_is_integer(v) && strcmp(method, "common") == 0 && prec >= 0) {
        return json_incref(v);
    }

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
    return djass_tmpl_filter(ev, "list", 4, v, NULL);
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
    for (i = 0; i < n; i++) {
        cur = json_array_get(items, i);
        for (j = i; j > 0; j--) {
            c = djass_order(a[j - 1], cur, cs, &err);
            if (rev ? c >= 0 : c <= 0) {
                break;
            }
            a[j] = a[j - 1];
        }
        a[j] = cur;
    }

    r = json_array();
    for (i = 0; r && i < n; i++) {
        json_array_append(r, a[i]);
    }

    free(a);
    json_decref(items);

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
            n += json_is_integer(cur) ? json_integer_value(cur)
                                      : json_is_true(cur);
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


json_t *
djass_tmpl_filter_more(djass_eval_t *ev, const char *name, size_t len,
    json_t *v, djass_args_t *args, int *handled)
{
    int           i;
    size_t        slen;
    json_t       *r, *vals;
    djass_buf_t   tmp;
    const char   *s;

    *handled = 1;

    if (djass_is(name, len, "round")) {
        return djass_round(ev, v, args);
    }
    if (djass_is(name, len, "sort")) {
        return djass_sort(ev, v, args);
    }
    if (djass_is(name, len, "unique")) {
        return djass_unique(ev, v, args);
    }
    if (djass_is(name, len, "min") || djass_is(name, len, "max")) {
        return djass_min_max(ev, v, args, name[1] == 'a');
    }
    if (djass_is(name, len, "sum")) {
        return djass_sum(ev, v, args);
    }
    if (djass_is(name, len, "items")) {
        if (!json_is_object(v)) {
            djass_eval_fail(ev, "items() needs a mapping");
            return NULL;
        }
        return djass_tmpl_method(ev, v, "items", 5, args);
    }
    if (djass_is(name, len, "urlencode")) {
        return djass_urlencode(ev, v);
    }

    if (!djass_is(name, len, "wordcount") && !djass_is(name, len, "center")
        && !djass_is(name, len, "indent") && !djass_is(name, len, "format"))
    {
        *handled = 0;
        return NULL;
    }

    s = djass_soft_str(ev, &tmp, v, &slen);
    if (s == NULL) {
        return NULL;
    }

    if (djass_is(name, len, "wordcount")) {
        r = djass_wordcount(s, slen);

    } else if (djass_is(name, len, "center")) {
        r = djass_center(ev, s, slen, djass_arg(args, 0, "width"));

    } else if (djass_is(name, len, "indent")) {
        r = djass_indent(ev, s, slen, args);

    } else {
        /* value % (kwargs or args) */
        if (args->nkw > 0) {
            vals = json_object();
            for (i = 0; i < args->nkw; i++) {
                json_object_setn_nocheck(vals, args->kwname[i],
                                         args->kwlen[i], args->kw[i]);
            }
        } else {
            vals = json_array();
            for (i = 0; i < args->npos; i++) {
                json_array_append(vals, args->pos[i]);
            }
        }
        r = djass_val_string(s, slen);
        v = r;
        r = djass_py_percent(ev, v, vals);
        json_decref(v);
        json_decref(vals);
    }

    djass_buf_free(&tmp);
    return r;
}


/* one %-conversion of value into b; -1 on a type error */
static int
djass_percent_one(djass_eval_t *ev, djass_buf_t *b, char type,
    const char *spec, json_t *v)
{
    char         cfmt[64], out[512];
    double       d;
    json_int_t   n;
    djass_buf_t  t;

    switch (type) {
    case 's':
    case 'r':
    case 'a':
        memset(&t, 0, sizeof(t));
        if (type == 's') {
            djass_val_str(&t, v);
        } else {
            djass_val_repr(&t, v);
        }
        djass_buf_addc(&t, '\0');
        snprintf(cfmt, sizeof(cfmt), "%%%ss", spec);
        djass_buf_printf(b, cfmt, t.data ? t.data : "");
        djass_buf_free(&t);
        return 0;

    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        if (json_is_integer(v) || json_is_boolean(v)) {
            n = json_is_integer(v) ? json_integer_value(v) : json_is_true(v);
        } else if (json_is_real(v) && type != 'x' && type != 'X'
                   && type != 'o')
        {
            n = (json_int_t) json_real_value(v);
        } else {
            return djass_eval_fail(ev, "%%%c format: a real number is "
                                   "required, not %s", type,
                                   djass_val_type(v));
        }
        snprintf(cfmt, sizeof(cfmt), "%%%sll%c", spec,
                 type == 'i' || type == 'u' ? 'd' : type);
        djass_buf_printf(b, cfmt, (long long) n);
        return 0;

    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
        if (json_is_real(v)) {
            d = json_real_value(v);
        } else if (json_is_integer(v) || json_is_boolean(v)) {
            d = json_is_integer(v) ? (double) json_integer_value(v)
                                   : json_is_true(v);
        } else {
            return djass_eval_fail(ev, "must be real number, not %s",
                                   djass_val_type(v));
        }
        snprintf(cfmt, sizeof(cfmt), "%%%s%c", spec, type);
        snprintf(out, sizeof(out), cfmt, d);
        djass_buf_adds(b, out);
        return 0;

    default:
        return djass_eval_fail(ev, "unsupported format character '%c'",
                               type);
    }
}


/* Python's str % values: values is a tuple (array), a mapping (object,
 * for %(name)s) or one value */
json_t *
djass_py_percent(djass_eval_t *ev, json_t *fmt, json_t *values)
{
    char          spec[32], key[128];
    size_t        i, len, k, used, npos;
    json_t       *v;
    djass_buf_t   b;
    const char   *s;

    s = json_string_value(fmt);
    len = json_string_length(fmt);
    npos = json_is_array(values) ? json_array_size(values) : 1;
    used = 0;

    memset(&b, 0, sizeof(b));

    for (i = 0; i < len; i++) {
        if (s[i] != '%') {
            djass_buf_addc(&b, s[i]);
            continue;
        }

        if (++i >= len) {
            djass_buf_free(&b);
            djass_eval_fail(ev, "incomplete format");
            return NULL;
        }

        if (s[i] == '%') {
            djass_buf_addc(&b, '%');
            continue;
        }

        v = NULL;
        if (s[i] == '(') {
            for (k = 0, i++; i < len && s[i] != ')' && k < sizeof(key) - 1;
                 i++)
            {
                key[k++] = s[i];
            }
            key[k] = '\0';
            i++;
            v = json_is_object(values) ? json_object_get(values, key) : NULL;
            if (v == NULL) {
                djass_buf_free(&b);
                djass_eval_fail(ev, "format requires a mapping with '%s'",
                                key);
                return NULL;
            }
        }

        for (k = 0; i < len && strchr("-+ #0123456789.", s[i]) && s[i]
                    && k < sizeof(spec) - 1; i++)
        {
            spec[k++] = s[i];
        }
        spec[k] = '\0';

        if (i >= len) {
            djass_buf_free(&b);
            djass_eval_fail(ev, "incomplete format");
            return NULL;
        }

        if (v == NULL) {
            if (used >= npos) {
                djass_buf_free(&b);
                djass_eval_fail(ev, "not enough arguments for format "
                                "string");
                return NULL;
            }
            v = json_is_array(values) ? json_array_get(values, used)
                                      : values;
            used++;
        }

        if (djass_percent_one(ev, &b, s[i], spec, v) != 0) {
            djass_buf_free(&b);
            return NULL;
        }
    }

    if (json_is_array(values) ? used < npos
        : (used == 0 && !json_is_object(values)))
    {
        djass_buf_free(&b);
        djass_eval_fail(ev, "not all arguments converted during string "
                        "formatting");
        return NULL;
    }

    return djass_done(ev, &b);
}


/* "{} {0} {name}".format(...): fields without format specs */
json_t *
djass_str_format(djass_eval_t *ev, const char *s, size_t len,
    djass_args_t *args)
{
    int           auto_n, k;
    size_t        i, j;
    json_t       *v;
    djass_buf_t   b;
    const char   *f;

    memset(&b, 0, sizeof(b));
    auto_n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '}' && i + 1 < len && s[i + 1] == '}') {
            djass_buf_addc(&b, '}');
            i++;
            continue;
        }
        if (s[i] != '{') {
            djass_buf_addc(&b, s[i]);
            continue;
        }
        if (i + 1 < len && s[i + 1] == '{') {
            djass_buf_addc(&b, '{');
            i++;
            continue;
        }

        for (j = i + 1; j < len && s[j] != '}'; j++) {
            /* void */
        }
        if (j >= len) {
            djass_buf_free(&b);
            djass_eval_fail(ev, "Single '{' encountered in format string");
            return NULL;
        }

        f = s + i + 1;
        v = NULL;
        if (memchr(f, ':', j - i - 1) || memchr(f, '!', j - i - 1)
            || memchr(f, '.', j - i - 1) || memchr(f, '[', j - i - 1))
        {
            djass_buf_free(&b);
            djass_eval_fail(ev, "format(): conversions and format specs "
                            "are not supported");
            return NULL;
        }

        if (j == i + 1) {
            v = auto_n < args->npos ? args->pos[auto_n] : NULL;
            auto_n++;
        } else if (f[0] >= '0' && f[0] <= '9') {
            k = atoi(f);
            v = k < args->npos ? args->pos[k] : NULL;
        } else {
            for (k = 0; k < args->nkw; k++) {
                if (args->kwlen[k] == j - i - 1
                    && memcmp(args->kwname[k], f, j - i - 1) == 0)
                {
                    v = args->kw[k];
                }
            }
        }

        if (v == NULL) {
            djass_buf_free(&b);
            djass_eval_fail(ev, "format(): no value for field '%.*s'",
                            (int) (j - i - 1), f);
            return NULL;
        }

        djass_val_str(&b, v);
        i = j;
    }

    return djass_done(ev, &b);
}
