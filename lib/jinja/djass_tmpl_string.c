/*
 * Python's str operations that filters and methods share: title case,
 * strip, replace, split and join; and Python's string formatting:
 * `"%s" % x` and "{}".format(x).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_int.h"
#include "djass_tmpl_string.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


/* a character in title case: Python's "Ss" for a sharp s, else upper */
static void
djass_put_title(djass_buf_t *out, uint32_t cp)
{
    if (cp == 0xdf) {
        djass_buf_adds(out, "Ss");
    } else {
        djass_uni_put_upper(out, cp);
    }
}


/* Python's str.capitalize(): first character title-cased, rest lower */
void
djass_capitalize(djass_buf_t *out, const char *s, size_t len)
{
    size_t    i;
    uint32_t  cp;

    if (len == 0) {
        return;
    }

    i = 0;
    cp = djass_utf8_next(s, len, &i);
    djass_put_title(out, cp);
    djass_str_lower(out, s + i, len - i);
}


/* Python's str.title() */
void
djass_str_title(djass_buf_t *out, const char *s, size_t len)
{
    int       prev_cased;
    size_t    i, start;
    uint32_t  cp;

    prev_cased = 0;
    for (i = 0; i < len; ) {
        start = i;
        cp = djass_utf8_next(s, len, &i);
        if (prev_cased) {
            djass_str_lower(out, s + start, i - start);
        } else {
            djass_put_title(out, cp);
        }
        prev_cased = djass_uni_iscased(cp);
    }
}


/* Jinja2's title filter: capitalize each word after - ( { [ < or space */
void
djass_filter_title(djass_buf_t *out, const char *s, size_t len)
{
    int       start_word;
    size_t    i, start;
    uint32_t  cp;

    start_word = 1;
    for (i = 0; i < len; ) {
        start = i;
        cp = djass_utf8_next(s, len, &i);

        if (djass_uni_isspace(cp) || cp == '-' || cp == '(' || cp == '{'
            || cp == '[' || cp == '<')
        {
            djass_buf_add(out, s + start, i - start);
            start_word = 1;
            continue;
        }

        if (start_word) {
            djass_uni_put_upper(out, cp);
            start_word = 0;
        } else {
            djass_str_lower(out, s + start, i - start);
        }
    }
}


static int
djass_in_chars(uint32_t cp, const char *chars, size_t clen)
{
    size_t  i;

    if (chars == NULL) {
        return djass_uni_isspace(cp);
    }

    for (i = 0; i < clen; ) {
        if (djass_utf8_next(chars, clen, &i) == cp) {
            return 1;
        }
    }

    return 0;
}


/* str.strip(chars): which = 1 left, 2 right, 3 both */
void
djass_strip(djass_buf_t *out, const char *s, size_t len, const char *chars,
    size_t clen, int which)
{
    size_t    i, j, start, end;

    start = 0;
    end = len;

    if (which & 1) {
        for (i = 0; i < len; ) {
            j = i;
            if (!djass_in_chars(djass_utf8_next(s, len, &i), chars, clen)) {
                i = j;
                break;
            }
        }
        start = i;
    }

    if (which & 2) {
        while (end > start) {
            i = end - 1;
            while (i > start && ((unsigned char) s[i] & 0xc0) == 0x80) {
                i--;
            }
            j = i;
            if (!djass_in_chars(djass_utf8_next(s, len, &j), chars, clen)) {
                break;
            }
            end = i;
        }
    }

    djass_buf_add(out, s + start, end - start);
}


int
djass_replace(djass_buf_t *out, const char *s, size_t len, const char *old,
    size_t olen, const char *new, size_t nlen, long long count, size_t max)
{
    size_t       i;
    const char  *p, *end;

    end = s + len;
    if (count < 0) {
        /* all; and count-- never goes below LLONG_MIN */
        count = -1;
    }

    if (olen == 0) {
        /* Python inserts `new` around every character */
        for (i = 0; i <= len; ) {
            if (count != 0) {
                djass_buf_add(out, new, nlen);
                count--;
            }
            if (i == len || out->len > max) {
                break;
            }
            p = s + i;
            djass_utf8_next(s, len, &i);
            djass_buf_add(out, p, (size_t) (s + i - p));
        }
        return 0;
    }

    while (s < end && count != 0 && out->len <= max) {
        p = memmem(s, (size_t) (end - s), old, olen);
        if (p == NULL) {
            break;
        }
        djass_buf_add(out, s, (size_t) (p - s));
        djass_buf_add(out, new, nlen);
        s = p + olen;
        count--;
    }

    djass_buf_add(out, s, (size_t) (end - s));
    return 0;
}


json_t *
djass_split(djass_eval_t *ev, const char *s, size_t len, json_t *sep,
    long long maxsplit)
{
    size_t        i, j, start;
    json_t       *list;
    const char   *p, *end;
    djass_buf_t   rest;

    list = json_array();
    if (list == NULL) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    if (maxsplit < 0) {
        /* all; and maxsplit-- never goes below LLONG_MIN */
        maxsplit = -1;
    }

    if (sep != NULL && !json_is_null(sep)) {
        if (!json_is_string(sep) || json_string_length(sep) == 0) {
            json_decref(list);
            djass_eval_fail(ev, "empty separator");
            return NULL;
        }
        end = s + len;
        while (maxsplit != 0) {
            p = memmem(s, (size_t) (end - s), json_string_value(sep),
                       json_string_length(sep));
            if (p == NULL) {
                break;
            }
            json_array_append_new(list, djass_val_string(s, (size_t) (p - s)));
            s = p + json_string_length(sep);
            maxsplit--;
            if (json_array_size(list) >= ev->limits.max_items) {
                break;
            }
        }
        json_array_append_new(list, djass_val_string(s, (size_t) (end - s)));
        goto done;
    }

    /* runs of whitespace, none at the ends */
    i = 0;
    for ( ;; ) {
        for (j = i; i < len; j = i) {
            if (!djass_uni_isspace(djass_utf8_next(s, len, &i))) {
                i = j;
                break;
            }
        }
        if (i >= len) {
            break;
        }

        start = i;
        if (maxsplit == 0) {
            memset(&rest, 0, sizeof(rest));
            djass_strip(&rest, s + start, len - start, NULL, 0, 2);
            json_array_append_new(list, djass_val_strbuf(&rest));
            break;
        }

        for (j = i; i < len; j = i) {
            if (djass_uni_isspace(djass_utf8_next(s, len, &i))) {
                i = j;
                break;
            }
        }
        json_array_append_new(list, djass_val_string(s + start, i - start));
        maxsplit--;
        if (json_array_size(list) > ev->limits.max_items) {
            break;
        }
    }

done:

    if (json_array_size(list) > ev->limits.max_items) {
        json_decref(list);
        djass_eval_fail(ev, "split(): list too long (limit %zu items)",
                        ev->limits.max_items);
        return NULL;
    }

    return list;
}


json_t *
djass_join(djass_eval_t *ev, json_t *v, const char *sep, size_t seplen)
{
    size_t        i;
    json_t       *items;
    djass_buf_t   b;

    if (json_is_array(v)) {
        items = json_incref(v);
    } else {
        items = djass_tmpl_iterable(ev, v);
        if (items == NULL) {
            return NULL;
        }
    }

    memset(&b, 0, sizeof(b));
    for (i = 0; i < json_array_size(items); i++) {
        if (i > 0) {
            djass_buf_add(&b, sep, seplen);
        }
        if (djass_eval_str(ev, &b, json_array_get(items, i), 0) != 0
            || b.len > ev->limits.max_string)
        {
            break;
        }
    }

    json_decref(items);
    return djass_done(ev, &b);
}


/* the width and precision of a conversion spec ("-08.3"): within the
 * string limit, so that printf neither overflows nor runs for ever */
static int
djass_percent_spec(djass_eval_t *ev, const char *spec)
{
    uint64_t     n;
    const char  *p;

    for (p = spec; *p; /* void */) {
        if (*p < '1' || *p > '9') {
            p++;
            continue;
        }
        for (n = 0; *p >= '0' && *p <= '9'; p++) {
            if (n <= ev->limits.max_string) {
                n = n * 10 + (uint64_t) (*p - '0');
            }
        }
        if (n > ev->limits.max_string || n > 1000000000) {
            return djass_eval_fail(ev, "%%-format: width or precision too "
                                   "large (limit %zu bytes)",
                                   ev->limits.max_string);
        }
    }

    return 0;
}


/* one %-conversion of value into b; -1 on a type error */
static int
djass_percent_one(djass_eval_t *ev, djass_buf_t *b, char type,
    const char *spec, json_t *v)
{
    int          rc;
    char         cfmt[64];
    double       d;
    json_int_t   n;
    djass_buf_t  t;

    if (djass_percent_spec(ev, spec) != 0) {
        return -1;
    }

    switch (type) {
    case 's':
    case 'r':
    case 'a':
        memset(&t, 0, sizeof(t));
        if (djass_eval_str(ev, &t, v, type != 's') != 0) {
            djass_buf_free(&t);
            return -1;
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
            rc = djass_int_from_double(json_real_value(v), &n);
            if (rc == -1) {
                return djass_eval_fail(ev, "cannot convert float NaN to "
                                       "integer");
            }
            if (rc != 0) {
                djass_eval_overflow(ev, "%d of a float");
                return -1;
            }
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
        djass_buf_printf(b, cfmt, d);
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

        if (djass_percent_one(ev, &b, s[i], spec, v) != 0
            || djass_eval_strlen(ev, b.len) != 0)
        {
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
    size_t        i, j, n;
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
            for (k = 0, n = 0; f + n < s + j && f[n] >= '0' && f[n] <= '9';
                 n++)
            {
                k = (k > DJASS_MAX_ARGS) ? k : k * 10 + (f[n] - '0');
            }
            v = (k < args->npos && f + n == s + j) ? args->pos[k] : NULL;
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

        if (djass_eval_str(ev, &b, v, 0) != 0
            || djass_eval_strlen(ev, b.len) != 0)
        {
            djass_buf_free(&b);
            return NULL;
        }
        i = j;
    }

    return djass_done(ev, &b);
}
