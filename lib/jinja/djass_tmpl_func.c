/*
 * What values do: Python's str() and repr(), truth, equality, and the
 * filters, string and dict methods, globals and tests of Jinja2 plus
 * cookiecutter's default extensions (slugify, jsonify,
 * random_ascii_string, uuid4, now).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem(), getrandom() */
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "djass_slug.h"
#include "djass_tmpl_int.h"
#include "djass_utf8.h"


/* values */

json_t *
djass_val_string(const char *s, size_t len)
{
    return json_stringn_nocheck(s, len);
}


json_t *
djass_val_strbuf(djass_buf_t *b)
{
    json_t  *v;

    if (djass_buf_failed(b)) {
        djass_buf_free(b);
        return NULL;
    }

    v = json_stringn_nocheck(b->data ? b->data : "", b->len);
    djass_buf_free(b);
    return v;
}


const char *
djass_val_type(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "dict";
    case JSON_ARRAY: return "list";
    case JSON_STRING: return "str";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "NoneType";
    }
}


int
djass_val_truthy(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return json_object_size(v) != 0;
    case JSON_ARRAY: return json_array_size(v) != 0;
    case JSON_STRING: return json_string_length(v) != 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0;
    case JSON_TRUE: return 1;
    default: return 0;
    }
}


static int
djass_val_number(json_t *v, double *d)
{
    if (json_is_integer(v)) {
        *d = (double) json_integer_value(v);
    } else if (json_is_real(v)) {
        *d = json_real_value(v);
    } else if (json_is_boolean(v)) {
        *d = json_is_true(v);
    } else {
        return 0;
    }
    return 1;
}


int
djass_val_equal(json_t *a, json_t *b)
{
    size_t       i;
    double       da, db;
    const char  *key;
    json_t      *v;

    if (djass_val_number(a, &da) && djass_val_number(b, &db)) {
        if (json_is_integer(a) && json_is_integer(b)) {
            return json_integer_value(a) == json_integer_value(b);
        }
        return da == db;
    }

    if (json_typeof(a) != json_typeof(b)) {
        return 0;
    }

    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b)
               && memcmp(json_string_value(a), json_string_value(b),
                         json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            return 0;
        }
        for (i = 0; i < json_array_size(a); i++) {
            if (!djass_val_equal(json_array_get(a, i), json_array_get(b, i)))
            {
                return 0;
            }
        }
        return 1;
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b)) {
            return 0;
        }
        json_object_foreach(a, key, v) {
            if (json_object_get(b, key) == NULL
                || !djass_val_equal(v, json_object_get(b, key)))
            {
                return 0;
            }
        }
        return 1;
    default:
        return 1;
    }
}


/* Python's repr() of a float: the shortest digits that read back */
static void
djass_float_repr(djass_buf_t *b, double d)
{
    int     prec, exp, ndig, k;
    char    buf[64], dig[32], *p, *e;

    if (isnan(d)) {
        djass_buf_adds(b, "nan");
        return;
    }
    if (isinf(d)) {
        djass_buf_adds(b, d < 0 ? "-inf" : "inf");
        return;
    }

    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }

    p = buf;
    if (*p == '-') {
        djass_buf_addc(b, '-');
        p++;
    }

    e = strchr(p, 'e');
    exp = atoi(e + 1);
    for (ndig = 0; p < e; p++) {
        if (*p != '.') {
            dig[ndig++] = *p;
        }
    }
    while (ndig > 1 && dig[ndig - 1] == '0') {
        ndig--;
    }

    if (exp < -4 || exp >= 16) {
        djass_buf_addc(b, dig[0]);
        if (ndig > 1) {
            djass_buf_addc(b, '.');
            djass_buf_add(b, dig + 1, (size_t) ndig - 1);
        }
        djass_buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        return;
    }

    if (exp < 0) {
        djass_buf_adds(b, "0.");
        for (k = 0; k < -exp - 1; k++) {
            djass_buf_addc(b, '0');
        }
        djass_buf_add(b, dig, (size_t) ndig);
        return;
    }

    for (k = 0; k <= exp; k++) {
        djass_buf_addc(b, k < ndig ? dig[k] : '0');
    }
    djass_buf_addc(b, '.');
    if (ndig > exp + 1) {
        djass_buf_add(b, dig + exp + 1, (size_t) (ndig - exp - 1));
    } else {
        djass_buf_addc(b, '0');
    }
}


static void
djass_str_repr(djass_buf_t *b, const char *s, size_t len)
{
    char      q;
    size_t    i, start;
    uint32_t  cp;

    q = (memchr(s, '\'', len) && !memchr(s, '"', len)) ? '"' : '\'';
    djass_buf_addc(b, q);

    for (i = 0; i < len; ) {
        start = i;
        cp = djass_utf8_next(s, len, &i);

        if (cp == '\\' || cp == (uint32_t) q) {
            djass_buf_addc(b, '\\');
            djass_buf_addc(b, (char) cp);
        } else if (cp == '\n') {
            djass_buf_adds(b, "\\n");
        } else if (cp == '\r') {
            djass_buf_adds(b, "\\r");
        } else if (cp == '\t') {
            djass_buf_adds(b, "\\t");
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) {
            djass_buf_printf(b, "\\x%02x", cp);
        } else if ((cp >= 0x2028 && cp <= 0x202e)
                   || (cp >= 0x200b && cp <= 0x200f)
                   || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff)
        {
            djass_buf_printf(b, "\\u%04x", cp);
        } else {
            djass_buf_add(b, s + start, i - start);
        }
    }

    djass_buf_addc(b, q);
}


int
djass_val_repr(djass_buf_t *b, json_t *v)
{
    size_t       i;
    const char  *key;
    json_t      *item;

    switch (json_typeof(v)) {
    case JSON_STRING:
        djass_str_repr(b, json_string_value(v), json_string_length(v));
        break;

    case JSON_ARRAY:
        djass_buf_addc(b, '[');
        json_array_foreach(v, i, item) {
            if (i > 0) {
                djass_buf_adds(b, ", ");
            }
            djass_val_repr(b, item);
        }
        djass_buf_addc(b, ']');
        break;

    case JSON_OBJECT:
        djass_buf_addc(b, '{');
        i = 0;
        json_object_foreach(v, key, item) {
            if (i++ > 0) {
                djass_buf_adds(b, ", ");
            }
            djass_str_repr(b, key, strlen(key));
            djass_buf_adds(b, ": ");
            djass_val_repr(b, item);
        }
        djass_buf_addc(b, '}');
        break;

    default:
        return djass_val_str(b, v);
    }

    return djass_buf_failed(b) ? -1 : 0;
}


int
djass_val_str(djass_buf_t *b, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        djass_buf_add(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        djass_buf_printf(b, "%lld", (long long) json_integer_value(v));
        break;
    case JSON_REAL:
        djass_float_repr(b, json_real_value(v));
        break;
    case JSON_TRUE:
        djass_buf_adds(b, "True");
        break;
    case JSON_FALSE:
        djass_buf_adds(b, "False");
        break;
    case JSON_NULL:
        djass_buf_adds(b, "None");
        break;
    default:
        return djass_val_repr(b, v);
    }

    return djass_buf_failed(b) ? -1 : 0;
}


/* json.dumps(v, sort_keys=True, indent=indent): indent < 0 is None */

static void
djass_json_str(djass_buf_t *b, const char *s, size_t len)
{
    size_t    i;
    uint32_t  cp;

    djass_buf_addc(b, '"');
    for (i = 0; i < len; ) {
        cp = djass_utf8_next(s, len, &i);
        switch (cp) {
        case '"': djass_buf_adds(b, "\\\""); break;
        case '\\': djass_buf_adds(b, "\\\\"); break;
        case '\n': djass_buf_adds(b, "\\n"); break;
        case '\r': djass_buf_adds(b, "\\r"); break;
        case '\t': djass_buf_adds(b, "\\t"); break;
        case '\b': djass_buf_adds(b, "\\b"); break;
        case '\f': djass_buf_adds(b, "\\f"); break;
        default:
            if (cp >= 0x20 && cp < 0x7f) {
                djass_buf_addc(b, (char) cp);
            } else if (cp >= 0x10000) {
                cp -= 0x10000;
                djass_buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
                                 0xdc00 + (cp & 0x3ff));
            } else {
                djass_buf_printf(b, "\\u%04x", cp);
            }
        }
    }
    djass_buf_addc(b, '"');
}


static int
djass_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}


static void
djass_json_newline(djass_buf_t *b, int indent, int level)
{
    int  k;

    djass_buf_addc(b, '\n');
    for (k = 0; k < indent * level; k++) {
        djass_buf_addc(b, ' ');
    }
}


int
djass_val_jsonify(djass_buf_t *b, json_t *v, int indent, int level)
{
    size_t        i, n;
    const char  **keys, *key;
    json_t       *item;

    if (level > DJASS_MAX_DEPTH) {
        return -1;
    }

    switch (json_typeof(v)) {
    case JSON_STRING:
        djass_json_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_TRUE:
        djass_buf_adds(b, "true");
        break;
    case JSON_FALSE:
        djass_buf_adds(b, "false");
        break;
    case JSON_NULL:
        djass_buf_adds(b, "null");
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        djass_val_str(b, v);
        break;

    case JSON_ARRAY:
        if (json_array_size(v) == 0) {
            djass_buf_adds(b, "[]");
            break;
        }
        djass_buf_addc(b, '[');
        json_array_foreach(v, i, item) {
            if (i > 0) {
                djass_buf_adds(b, indent >= 0 ? "," : ", ");
            }
            if (indent >= 0) {
                djass_json_newline(b, indent, level + 1);
            }
            if (djass_val_jsonify(b, item, indent, level + 1) != 0) {
                return -1;
            }
        }
        if (indent >= 0) {
            djass_json_newline(b, indent, level);
        }
        djass_buf_addc(b, ']');
        break;

    case JSON_OBJECT:
        n = json_object_size(v);
        if (n == 0) {
            djass_buf_adds(b, "{}");
            break;
        }
        keys = malloc(n * sizeof(char *));
        if (keys == NULL) {
            return -1;
        }
        i = 0;
        json_object_foreach(v, key, item) {
            keys[i++] = key;
        }
        qsort(keys, n, sizeof(char *), djass_key_cmp);

        djass_buf_addc(b, '{');
        for (i = 0; i < n; i++) {
            if (i > 0) {
                djass_buf_adds(b, indent >= 0 ? "," : ", ");
            }
            if (indent >= 0) {
                djass_json_newline(b, indent, level + 1);
            }
            djass_json_str(b, keys[i], strlen(keys[i]));
            djass_buf_adds(b, ": ");
            if (djass_val_jsonify(b, json_object_get(v, keys[i]), indent,
                                  level + 1) != 0)
            {
                free(keys);
                return -1;
            }
        }
        free(keys);
        if (indent >= 0) {
            djass_json_newline(b, indent, level);
        }
        djass_buf_addc(b, '}');
        break;

    default:
        return -1;
    }

    return djass_buf_failed(b) ? -1 : 0;
}


/* arguments: positional index or keyword name */

json_t *
djass_arg(djass_args_t *args, int pos, const char *name)
{
    int  i;

    if (pos < args->npos) {
        return args->pos[pos];
    }

    for (i = 0; i < args->nkw; i++) {
        if (args->kwlen[i] == strlen(name)
            && memcmp(args->kwname[i], name, args->kwlen[i]) == 0)
        {
            return args->kw[i];
        }
    }

    return NULL;
}


/* str(v) into a scratch buffer; returns NULL and fails on no memory */
const char *
djass_soft_str(djass_eval_t *ev, djass_buf_t *b, json_t *v, size_t *len)
{
    memset(b, 0, sizeof(*b));

    if (json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }

    if (djass_val_str(b, v) != 0) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    *len = b->len;
    return b->data ? b->data : "";
}


json_t *
djass_done(djass_eval_t *ev, djass_buf_t *b)
{
    json_t  *v;

    v = djass_val_strbuf(b);
    if (v == NULL) {
        djass_eval_fail(ev, "out of memory");
    }
    return v;
}


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
static void
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
static void
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
static void
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
static void
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


static int
djass_replace(djass_buf_t *out, const char *s, size_t len, const char *old,
    size_t olen, const char *new, size_t nlen, long long count)
{
    size_t       i;
    const char  *p, *end;

    end = s + len;

    if (olen == 0) {
        /* Python inserts `new` around every character */
        for (i = 0; i <= len; ) {
            if (count != 0) {
                djass_buf_add(out, new, nlen);
                count--;
            }
            if (i == len) {
                break;
            }
            p = s + i;
            djass_utf8_next(s, len, &i);
            djass_buf_add(out, p, (size_t) (s + i - p));
        }
        return 0;
    }

    while (s < end && count != 0) {
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


static json_t *
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
        }
        json_array_append_new(list, djass_val_string(s, (size_t) (end - s)));
        return list;
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
    }

    return list;
}


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


/* Python's int(str): spaces around, a sign, digits with single "_" */
static int
djass_parse_int(const char *s, size_t len, json_int_t *out)
{
    size_t      i, end;
    int         neg, digits;
    json_int_t  n;

    i = 0;
    end = len;
    while (i < end && djass_uni_isspace((unsigned char) s[i])) {
        i++;
    }
    while (end > i && djass_uni_isspace((unsigned char) s[end - 1])) {
        end--;
    }

    neg = 0;
    if (i < end && (s[i] == '+' || s[i] == '-')) {
        neg = (s[i] == '-');
        i++;
    }

    n = 0;
    digits = 0;
    for ( /* void */ ; i < end; i++) {
        if (s[i] == '_' && digits && i + 1 < end && s[i + 1] >= '0'
            && s[i + 1] <= '9')
        {
            continue;
        }
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        n = n * 10 + (s[i] - '0');
        digits++;
    }

    if (!digits) {
        return -1;
    }

    *out = neg ? -n : n;
    return 0;
}


static int
djass_parse_float(const char *s, size_t len, double *out)
{
    char   buf[128], *end;

    if (len == 0 || len >= sizeof(buf) || memchr(s, '_', len)) {
        return -1;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, &end);
    while (*end && djass_uni_isspace((unsigned char) *end)) {
        end++;
    }

    if (end == buf || *end != '\0' || djass_uni_isspace((unsigned char) buf[0])
        || strchr(buf, 'x') || strchr(buf, 'X'))
    {
        /* leading spaces are fine for Python: retry without them */
        if (end != buf && *end == '\0' && !strchr(buf, 'x')
            && !strchr(buf, 'X'))
        {
            return 0;
        }
        return -1;
    }

    return 0;
}


static json_t *
djass_to_int(json_t *v, json_t *dflt)
{
    double      d;
    json_int_t  n;

    if (json_is_integer(v)) {
        return json_incref(v);
    }
    if (json_is_boolean(v)) {
        return json_integer(json_is_true(v));
    }
    if (json_is_real(v) && isfinite(json_real_value(v))) {
        return json_integer((json_int_t) json_real_value(v));
    }
    if (json_is_string(v)) {
        if (djass_parse_int(json_string_value(v), json_string_length(v), &n)
            == 0)
        {
            return json_integer(n);
        }
        if (djass_parse_float(json_string_value(v), json_string_length(v),
                              &d) == 0 && isfinite(d))
        {
            return json_integer((json_int_t) d);
        }
    }

    return dflt ? json_incref(dflt) : json_integer(0);
}


static json_t *
djass_to_float(json_t *v, json_t *dflt)
{
    double  d;

    if (json_is_integer(v) || json_is_boolean(v) || json_is_real(v)) {
        djass_val_number(v, &d);
        return json_real(d);
    }
    if (json_is_string(v)
        && djass_parse_float(json_string_value(v), json_string_length(v), &d)
           == 0)
    {
        return json_real(d);
    }

    return dflt ? json_incref(dflt) : json_real(0.0);
}


static json_t *
djass_join(djass_eval_t *ev, json_t *v, const char *sep, size_t seplen)
{
    size_t        i;
    json_t       *items;
    djass_buf_t   b;

    if (json_is_array(v)) {
        items = json_incref(v);
    } else {
        items = djass_tmpl_filter(ev, "list", 4, v, NULL);
        if (items == NULL) {
            return NULL;
        }
    }

    memset(&b, 0, sizeof(b));
    for (i = 0; i < json_array_size(items); i++) {
        if (i > 0) {
            djass_buf_add(&b, sep, seplen);
        }
        djass_val_str(&b, json_array_get(items, i));
    }

    json_decref(items);
    return djass_done(ev, &b);
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


#define djass_is(name, len, lit)                                              \
    ((len) == sizeof(lit) - 1 && memcmp(name, lit, sizeof(lit) - 1) == 0)


static int
djass_in_list(const char *list, const char *name, size_t len)
{
    const char  *p;

    for (p = list; (p = strstr(p, " ")) != NULL; p++) {
        if (strncmp(p + 1, name, len) == 0 && p[1 + len] == ' ') {
            return 1;
        }
    }

    return 0;
}


int
djass_tmpl_known_filter(const char *name, size_t len)
{
    return djass_in_list(" default d length count first last int float"
                         " jsonify tojson list join safe abs reverse lower"
                         " upper title capitalize string e escape trim"
                         " replace slugify wordcount center indent round"
                         " sort unique min max sum items urlencode format ",
                         name, len);
}


int
djass_tmpl_known_test(const char *name, size_t len)
{
    return djass_in_list(" defined undefined none string number integer"
                         " float boolean true false mapping sequence"
                         " iterable lower upper even odd divisibleby eq"
                         " equalto sameas ne in ", name, len);
}


json_t *
djass_tmpl_filter(djass_eval_t *ev, const char *name, size_t len, json_t *v,
    djass_args_t *args)
{
    int            indent, handled;
    size_t         slen, alen, blen;
    json_t        *a, *b, *c, *r;
    djass_args_t   none;
    djass_buf_t    tmp, ta, tb, out;
    const char    *s, *as, *bs;
    char          *slug;

    if (args == NULL) {
        memset(&none, 0, sizeof(none));
        args = &none;
    }

    memset(&out, 0, sizeof(out));

    r = djass_tmpl_filter_more(ev, name, len, v, args, &handled);
    if (handled) {
        return r;
    }

    if (djass_is(name, len, "default") || djass_is(name, len, "d")) {
        a = djass_arg(args, 0, "default_value");
        b = djass_arg(args, 1, "boolean");
        if (v == NULL || (b && djass_val_truthy(b) && !djass_val_truthy(v))) {
            return a ? json_incref(a) : djass_val_string("", 0);
        }
        return json_incref(v);
    }

    if (djass_is(name, len, "length") || djass_is(name, len, "count")) {
        return djass_length(ev, v);
    }

    if (djass_is(name, len, "first") || djass_is(name, len, "last")) {
        return djass_first_last(ev, v, name[0] == 'l');
    }

    if (djass_is(name, len, "int")) {
        return djass_to_int(v, djass_arg(args, 0, "default"));
    }

    if (djass_is(name, len, "float")) {
        return djass_to_float(v, djass_arg(args, 0, "default"));
    }

    if (djass_is(name, len, "jsonify") || djass_is(name, len, "tojson")) {
        a = djass_arg(args, 0, "indent");
        indent = name[0] == 'j' ? 4 : -1;
        if (a != NULL) {
            indent = json_is_integer(a) ? (int) json_integer_value(a) : -1;
        }
        if (djass_val_jsonify(&out, v, indent, 0) != 0) {
            djass_buf_free(&out);
            djass_eval_fail(ev, "Object of type %s is not JSON serializable",
                            djass_val_type(v));
            return NULL;
        }
        return djass_done(ev, &out);
    }

    if (djass_is(name, len, "list")) {
        if (json_is_array(v)) {
            return json_copy(v);
        }
        return djass_tmpl_iterable(ev, v);
    }

    if (djass_is(name, len, "join")) {
        a = djass_arg(args, 0, "d");
        memset(&tmp, 0, sizeof(tmp));
        slen = 0;
        s = a ? djass_soft_str(ev, &tmp, a, &slen) : "";
        r = s ? djass_join(ev, v, s, slen) : NULL;
        djass_buf_free(&tmp);
        return r;
    }

    if (djass_is(name, len, "safe")) {
        return json_incref(v);
    }

    if (djass_is(name, len, "abs")) {
        if (json_is_boolean(v)) {
            return json_integer(json_is_true(v));
        }
        if (json_is_integer(v)) {
            return json_integer(llabs(json_integer_value(v)));
        }
        if (json_is_real(v)) {
            return json_real(json_real_value(v) < 0 ? -json_real_value(v)
                                                   : json_real_value(v));
        }
        djass_eval_fail(ev, "bad operand type for abs(): '%s'",
                        djass_val_type(v));
        return NULL;
    }

    if (djass_is(name, len, "reverse")) {
        if (json_is_array(v)) {
            r = json_array();
            for (slen = json_array_size(v); slen > 0; slen--) {
                json_array_append(r, json_array_get(v, slen - 1));
            }
            return r;
        }
        if (json_is_object(v)) {
            a = djass_tmpl_filter(ev, "list", 4, v, NULL);
            r = a ? djass_tmpl_filter(ev, "reverse", 7, a, NULL) : NULL;
            json_decref(a);
            return r;
        }
        if (!json_is_string(v)) {
            djass_eval_fail(ev, "argument must be iterable");
            return NULL;
        }
    }

    if (djass_is(name, len, "slugify") && !json_is_string(v)) {
        djass_eval_fail(ev, "text must be str, bytes or bytearray, not %s",
                        djass_val_type(v));
        return NULL;
    }

    /* the rest work on str(value) */
    memset(&tmp, 0, sizeof(tmp));
    s = djass_soft_str(ev, &tmp, v, &slen);
    if (s == NULL) {
        return NULL;
    }

    r = NULL;

    if (djass_is(name, len, "lower")) {
        djass_str_lower(&out, s, slen);
        r = djass_done(ev, &out);

    } else if (djass_is(name, len, "upper")) {
        djass_str_upper(&out, s, slen);
        r = djass_done(ev, &out);

    } else if (djass_is(name, len, "title")) {
        djass_filter_title(&out, s, slen);
        r = djass_done(ev, &out);

    } else if (djass_is(name, len, "capitalize")) {
        djass_capitalize(&out, s, slen);
        r = djass_done(ev, &out);

    } else if (djass_is(name, len, "string")) {
        r = djass_val_string(s, slen);

    } else if (djass_is(name, len, "reverse")) {
        for (alen = slen; alen > 0; alen = blen) {
            blen = alen - 1;
            while (blen > 0 && ((unsigned char) s[blen] & 0xc0) == 0x80) {
                blen--;
            }
            djass_buf_add(&out, s + blen, alen - blen);
        }
        r = djass_done(ev, &out);

    } else if (djass_is(name, len, "e") || djass_is(name, len, "escape")) {
        r = djass_escape(ev, s, slen);

    } else if (djass_is(name, len, "trim")) {
        a = djass_arg(args, 0, "chars");
        if (a != NULL && !json_is_null(a)) {
            as = djass_soft_str(ev, &ta, a, &alen);
            if (as != NULL) {
                djass_strip(&out, s, slen, as, alen, 3);
                r = djass_done(ev, &out);
            }
            djass_buf_free(&ta);
        } else {
            djass_strip(&out, s, slen, NULL, 0, 3);
            r = djass_done(ev, &out);
        }

    } else if (djass_is(name, len, "replace")) {
        a = djass_arg(args, 0, "old");
        b = djass_arg(args, 1, "new");
        c = djass_arg(args, 2, "count");
        if (a == NULL || b == NULL) {
            djass_eval_fail(ev, "replace() needs the old and new strings");
        } else {
            memset(&ta, 0, sizeof(ta));
            memset(&tb, 0, sizeof(tb));
            as = djass_soft_str(ev, &ta, a, &alen);
            bs = djass_soft_str(ev, &tb, b, &blen);
            if (as && bs) {
                djass_replace(&out, s, slen, as, alen, bs, blen,
                              (c && json_is_integer(c))
                              ? (long long) json_integer_value(c) : -1);
                r = djass_done(ev, &out);
            }
            djass_buf_free(&ta);
            djass_buf_free(&tb);
        }

    } else if (djass_is(name, len, "slugify")) {
        slug = malloc(slen * 8 + 16);
        if (slug == NULL) {
            djass_eval_fail(ev, "out of memory");
        } else {
            alen = djass_slugify(s, slen, slug, slen * 8 + 16);
            a = djass_arg(args, 6, "separator");
            if (a != NULL && json_is_string(a)) {
                djass_replace(&out, slug, alen, "-", 1, json_string_value(a),
                              json_string_length(a), -1);
                r = djass_done(ev, &out);
            } else {
                r = djass_val_string(slug, alen);
            }
            free(slug);
        }

    } else {
        djass_eval_fail(ev, "No filter named '%.*s'.", (int) len, name);
    }

    djass_buf_free(&tmp);
    return r;
}


static json_t *
djass_dict_method(djass_eval_t *ev, json_t *obj, const char *name,
    size_t len, djass_args_t *args)
{
    json_t      *r, *a;
    const char  *key;
    json_t      *item;

    if (djass_is(name, len, "get")) {
        a = djass_arg(args, 0, "key");
        if (a != NULL && json_is_string(a)) {
            item = json_object_getn(obj, json_string_value(a),
                                    json_string_length(a));
            if (item != NULL) {
                return json_incref(item);
            }
        }
        a = djass_arg(args, 1, "default");
        return a ? json_incref(a) : json_null();
    }

    /* loop.cycle(a, b, ...) */
    if (djass_is(name, len, "cycle") && json_object_get(obj, "index0")
        && json_object_get(obj, "revindex0") && args->npos > 0)
    {
        return json_incref(args->pos[json_integer_value(
                               json_object_get(obj, "index0"))
                           % args->npos]);
    }

    if (!djass_is(name, len, "items") && !djass_is(name, len, "keys")
        && !djass_is(name, len, "values"))
    {
        item = json_object_getn(obj, name, len);
        if (item != NULL) {
            djass_eval_fail(ev, "'%s' object is not callable",
                            djass_val_type(item));
        } else {
            djass_eval_fail(ev, "'dict object' has no attribute '%.*s'",
                            (int) len, name);
        }
        return NULL;
    }

    r = json_array();
    json_object_foreach(obj, key, item) {
        if (name[0] == 'k') {
            json_array_append_new(r, djass_val_string(key, strlen(key)));
        } else if (name[0] == 'v') {
            json_array_append(r, item);
        } else {
            json_array_append_new(r, json_pack("[s%O]", key, strlen(key),
                                               item));
        }
    }

    return r;
}


static int
djass_affix(json_t *v, json_t *a, int end)
{
    size_t       i, n, al;
    const char  *s;

    if (json_is_array(a)) {
        for (i = 0; i < json_array_size(a); i++) {
            if (djass_affix(v, json_array_get(a, i), end)) {
                return 1;
            }
        }
        return 0;
    }

    if (!json_is_string(a)) {
        return 0;
    }

    s = json_string_value(v);
    n = json_string_length(v);
    al = json_string_length(a);
    if (al > n) {
        return 0;
    }

    return memcmp(end ? s + n - al : s, json_string_value(a), al) == 0;
}


json_t *
djass_tmpl_method(djass_eval_t *ev, json_t *obj, const char *name,
    size_t len, djass_args_t *args)
{
    int           which;
    size_t        slen, alen;
    json_t       *a, *r;
    djass_buf_t   out, ta;
    const char   *s, *as;

    if (json_is_object(obj)) {
        return djass_dict_method(ev, obj, name, len, args);
    }

    if (!json_is_string(obj)) {
        djass_eval_fail(ev, "'%s object' has no attribute '%.*s'",
                        djass_val_type(obj), (int) len, name);
        return NULL;
    }

    s = json_string_value(obj);
    slen = json_string_length(obj);
    memset(&out, 0, sizeof(out));

    if (djass_is(name, len, "lower")) {
        djass_str_lower(&out, s, slen);
        return djass_done(ev, &out);
    }
    if (djass_is(name, len, "upper")) {
        djass_str_upper(&out, s, slen);
        return djass_done(ev, &out);
    }
    if (djass_is(name, len, "title")) {
        djass_str_title(&out, s, slen);
        return djass_done(ev, &out);
    }
    if (djass_is(name, len, "capitalize")) {
        djass_capitalize(&out, s, slen);
        return djass_done(ev, &out);
    }

    which = djass_is(name, len, "strip") ? 3 : djass_is(name, len, "lstrip")
            ? 1 : djass_is(name, len, "rstrip") ? 2 : 0;
    if (which) {
        a = djass_arg(args, 0, "chars");
        if (a != NULL && !json_is_null(a)) {
            if (!json_is_string(a)) {
                djass_eval_fail(ev, "strip arg must be None or str");
                return NULL;
            }
            djass_strip(&out, s, slen, json_string_value(a),
                        json_string_length(a), which);
        } else {
            djass_strip(&out, s, slen, NULL, 0, which);
        }
        return djass_done(ev, &out);
    }

    if (djass_is(name, len, "replace")) {
        a = djass_arg(args, 0, "old");
        r = djass_arg(args, 1, "new");
        if (a == NULL || r == NULL || !json_is_string(a) || !json_is_string(r))
        {
            djass_eval_fail(ev, "replace() arguments must be str");
            return NULL;
        }
        djass_replace(&out, s, slen, json_string_value(a),
                      json_string_length(a), json_string_value(r),
                      json_string_length(r),
                      djass_arg(args, 2, "count")
                      ? (long long) json_integer_value(
                                        djass_arg(args, 2, "count"))
                      : -1);
        return djass_done(ev, &out);
    }

    if (djass_is(name, len, "startswith") || djass_is(name, len, "endswith")) {
        a = djass_arg(args, 0, "prefix");
        if (a == NULL || !(json_is_string(a) || json_is_array(a))) {
            djass_eval_fail(ev, "%.*s first arg must be str or a tuple of str",
                            (int) len, name);
            return NULL;
        }
        return json_boolean(djass_affix(obj, a, name[0] == 'e'));
    }

    if (djass_is(name, len, "split")) {
        a = djass_arg(args, 1, "maxsplit");
        return djass_split(ev, s, slen, djass_arg(args, 0, "sep"),
                           a && json_is_integer(a)
                           ? (long long) json_integer_value(a) : -1);
    }

    if (djass_is(name, len, "join")) {
        a = djass_arg(args, 0, "iterable");
        if (a == NULL) {
            djass_eval_fail(ev, "join() takes exactly one argument");
            return NULL;
        }
        return djass_join(ev, a, s, slen);
    }

    if (djass_is(name, len, "format")) {
        return djass_str_format(ev, s, slen, args);
    }

    if (djass_is(name, len, "count") || djass_is(name, len, "find")) {
        a = djass_arg(args, 0, "sub");
        if (a == NULL) {
            djass_eval_fail(ev, "%.*s() takes a string", (int) len, name);
            return NULL;
        }
        memset(&ta, 0, sizeof(ta));
        as = djass_soft_str(ev, &ta, a, &alen);
        r = NULL;
        if (as != NULL && name[0] == 'f') {
            const char *p = alen ? memmem(s, slen, as, alen) : s;
            r = json_integer(p ? (json_int_t) djass_utf8_count(s, (size_t)
                                                               (p - s))
                               : -1);
        } else if (as != NULL) {
            djass_replace(&out, s, slen, as, alen, "", 0, -1);
            r = json_integer(alen ? (json_int_t) ((slen - out.len) / alen)
                                  : (json_int_t) djass_utf8_count(s, slen) + 1);
            djass_buf_free(&out);
        }
        djass_buf_free(&ta);
        return r;
    }

    djass_eval_fail(ev, "'str object' has no attribute '%.*s'", (int) len,
                    name);
    return NULL;
}


static int
djass_random_bytes(unsigned char *p, size_t n)
{
    ssize_t  got;

    while (n > 0) {
        got = getrandom(p, n, 0);
        if (got <= 0) {
            return -1;
        }
        p += got;
        n -= (size_t) got;
    }

    return 0;
}


static json_t *
djass_random_string(djass_eval_t *ev, json_t *n, json_t *punct)
{
    size_t          i, k, len;
    unsigned char   r;
    djass_buf_t     b;
    const char     *corpus;
    static const char  letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char  all[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    if (n == NULL || !json_is_integer(n) || json_integer_value(n) < 0
        || json_integer_value(n) > 1048576)
    {
        djass_eval_fail(ev, "random_ascii_string() needs a length");
        return NULL;
    }

    corpus = (punct && djass_val_truthy(punct)) ? all : letters;
    k = strlen(corpus);
    len = (size_t) json_integer_value(n);

    memset(&b, 0, sizeof(b));
    for (i = 0; i < len; i++) {
        /* rejection sampling keeps the choice uniform */
        do {
            if (djass_random_bytes(&r, 1) != 0) {
                djass_buf_free(&b);
                djass_eval_fail(ev, "no random bytes");
                return NULL;
            }
        } while (r >= 256 - 256 % k);
        djass_buf_addc(&b, corpus[r % k]);
    }

    return djass_done(ev, &b);
}


static json_t *
djass_uuid4(djass_eval_t *ev)
{
    char           s[40];
    unsigned char  u[16];

    if (djass_random_bytes(u, sizeof(u)) != 0) {
        djass_eval_fail(ev, "no random bytes");
        return NULL;
    }

    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;

    snprintf(s, sizeof(s), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
             u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    return djass_val_string(s, 36);
}


static int
djass_lookup_exists(djass_eval_t *ev, const char *name, size_t len)
{
    int  i;

    for (i = ev->nframes - 1; i >= ev->base; i--) {
        if (json_object_getn(ev->frames[i], name, len) != NULL) {
            return 1;
        }
    }

    return json_object_getn(ev->vars, name, len) != NULL;
}


/* `is upper` / `is lower`: Python's str.isupper() / str.islower() */
static int
djass_tmpl_test_case(json_t *v, int upper)
{
    int          cased;
    size_t       i, len;
    uint32_t     cp;
    const char  *s;

    if (!json_is_string(v)) {
        return 0;
    }

    s = json_string_value(v);
    len = json_string_length(v);
    cased = 0;

    for (i = 0; i < len; ) {
        cp = djass_utf8_next(s, len, &i);
        if (upper ? djass_uni_islower(cp) : djass_uni_isupper(cp)) {
            return 0;
        }
        if (upper ? djass_uni_isupper(cp) : djass_uni_islower(cp)) {
            cased = 1;
        }
    }

    return cased;
}


json_t *
djass_tmpl_global(djass_eval_t *ev, const char *name, size_t len,
    djass_args_t *args)
{
    int         i;
    json_t     *r;
    json_int_t  start, stop, step, k;

    if (djass_is(name, len, "random_ascii_string")) {
        return djass_random_string(ev, djass_arg(args, 0, "length"),
                                   djass_arg(args, 1, "punctuation"));
    }

    if (djass_is(name, len, "uuid4")) {
        return djass_uuid4(ev);
    }

    if (djass_is(name, len, "range")) {
        for (i = 0; i < args->npos; i++) {
            if (!json_is_integer(args->pos[i])) {
                djass_eval_fail(ev, "range() takes integers");
                return NULL;
            }
        }
        start = 0;
        step = 1;
        if (args->npos == 1) {
            stop = json_integer_value(args->pos[0]);
        } else if (args->npos >= 2) {
            start = json_integer_value(args->pos[0]);
            stop = json_integer_value(args->pos[1]);
            if (args->npos == 3) {
                step = json_integer_value(args->pos[2]);
            }
        } else {
            djass_eval_fail(ev, "range expected at least 1 argument");
            return NULL;
        }
        if (step == 0 || (stop - start) / step > 100000) {
            djass_eval_fail(ev, "range() too big or step is zero");
            return NULL;
        }
        r = json_array();
        for (k = start; step > 0 ? k < stop : k > stop; k += step) {
            json_array_append_new(r, json_integer(k));
        }
        return r;
    }

    if (djass_is(name, len, "dict")) {
        r = json_object();
        for (i = 0; i < args->nkw; i++) {
            json_object_setn_nocheck(r, args->kwname[i], args->kwlen[i],
                                     args->kw[i]);
        }
        return r;
    }

    /* a variable called like a function, or nothing at all */
    if (djass_lookup_exists(ev, name, len)) {
        djass_eval_fail(ev, "'%.*s' is not callable", (int) len, name);
    } else {
        djass_eval_fail(ev, "'%.*s' is undefined", (int) len, name);
    }
    return NULL;
}


int
djass_tmpl_test(djass_eval_t *ev, const char *name, size_t len, json_t *v,
    djass_args_t *args)
{
    double      d;
    json_t     *a;
    json_int_t  n;

    if (djass_is(name, len, "defined")) {
        return v != NULL;
    }
    if (djass_is(name, len, "undefined")) {
        return v == NULL;
    }

    if (v == NULL) {
        return djass_eval_fail(ev, "%s", ev->undef);
    }

    a = djass_arg(args, 0, "value");

    if (djass_is(name, len, "none")) {
        return json_is_null(v);
    }
    if (djass_is(name, len, "string")) {
        return json_is_string(v);
    }
    if (djass_is(name, len, "number")) {
        return json_is_number(v) || json_is_boolean(v);
    }
    if (djass_is(name, len, "integer")) {
        return json_is_integer(v);
    }
    if (djass_is(name, len, "float")) {
        return json_is_real(v);
    }
    if (djass_is(name, len, "boolean")) {
        return json_is_boolean(v);
    }
    if (djass_is(name, len, "true")) {
        return json_is_true(v);
    }
    if (djass_is(name, len, "false")) {
        return json_is_false(v);
    }
    if (djass_is(name, len, "mapping")) {
        return json_is_object(v);
    }
    if (djass_is(name, len, "sequence") || djass_is(name, len, "iterable")) {
        return json_is_array(v) || json_is_string(v) || json_is_object(v);
    }
    if (djass_is(name, len, "lower") || djass_is(name, len, "upper")) {
        return djass_tmpl_test_case(v, name[0] == 'u');
    }
    if (djass_is(name, len, "even") || djass_is(name, len, "odd")
        || djass_is(name, len, "divisibleby"))
    {
        if (!json_is_integer(v)) {
            return djass_eval_fail(ev, "'%s' is not an integer",
                                   djass_val_type(v));
        }
        n = json_integer_value(v);
        if (name[0] == 'd') {
            if (a == NULL || !json_is_integer(a) || !json_integer_value(a)) {
                return djass_eval_fail(ev, "divisibleby needs a number");
            }
            return n % json_integer_value(a) == 0;
        }
        return (n % 2 == 0) == (name[0] == 'e');
    }

    if (a == NULL) {
        return djass_eval_fail(ev, "No test named '%.*s'.", (int) len, name);
    }

    if (djass_is(name, len, "eq") || djass_is(name, len, "equalto")
        || djass_is(name, len, "sameas"))
    {
        return djass_val_equal(v, a);
    }
    if (djass_is(name, len, "ne")) {
        return !djass_val_equal(v, a);
    }
    if (djass_is(name, len, "in")) {
        if (json_is_array(a)) {
            for (n = 0; n < (json_int_t) json_array_size(a); n++) {
                if (djass_val_equal(json_array_get(a, (size_t) n), v)) {
                    return 1;
                }
            }
            return 0;
        }
        if (json_is_string(a) && json_is_string(v)) {
            return memmem(json_string_value(a), json_string_length(a),
                          json_string_value(v), json_string_length(v)) != NULL
                   || json_string_length(v) == 0;
        }
        if (json_is_object(a) && json_is_string(v)) {
            return json_object_get(a, json_string_value(v)) != NULL;
        }
        return 0;
    }

    (void) d;
    return djass_eval_fail(ev, "No test named '%.*s'.", (int) len, name);
}


/*
 * {% now tz [+|- 'unit=n, ...'] [, fmt] %}: arrow.now(tz).shift(...)
 * .strftime(fmt).  Time zones: utc, local, or any name of the system's
 * zone database.
 */

static int
djass_shift(struct tm *tm, time_t *t, int utc, int sign, const char *spec,
    size_t len, djass_eval_t *ev)
{
    char        unit[32], buf[256], *p, *q, *eq;
    double      v, secs;
    int         months, mday, mlen;
    static const int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                 30, 31 };

    if (len >= sizeof(buf)) {
        return djass_eval_fail(ev, "now: offset too long");
    }
    memcpy(buf, spec, len);
    buf[len] = '\0';

    secs = 0;
    months = 0;

    for (p = buf; p != NULL; p = q) {
        q = strchr(p, ',');
        if (q) {
            *q++ = '\0';
        }
        eq = strchr(p, '=');
        if (eq == NULL) {
            return djass_eval_fail(ev, "now: bad offset '%s'", p);
        }
        *eq = '\0';
        if (sscanf(p, " %31[a-z] ", unit) != 1) {
            return djass_eval_fail(ev, "now: bad offset unit '%s'", p);
        }
        v = strtod(eq + 1, NULL) * sign;

        if (strcmp(unit, "years") == 0) {
            months += (int) v * 12;
        } else if (strcmp(unit, "quarters") == 0) {
            months += (int) v * 3;
        } else if (strcmp(unit, "months") == 0) {
            months += (int) v;
        } else if (strcmp(unit, "weeks") == 0) {
            secs += v * 604800;
        } else if (strcmp(unit, "days") == 0) {
            secs += v * 86400;
        } else if (strcmp(unit, "hours") == 0) {
            secs += v * 3600;
        } else if (strcmp(unit, "minutes") == 0) {
            secs += v * 60;
        } else if (strcmp(unit, "seconds") == 0) {
            secs += v;
        } else if (strcmp(unit, "microseconds") == 0) {
            secs += v / 1e6;
        } else {
            return djass_eval_fail(ev, "now: unknown offset unit '%s'", unit);
        }
    }

    if (months != 0) {
        months += tm->tm_mon;
        tm->tm_year += months / 12;
        tm->tm_mon = months % 12;
        if (tm->tm_mon < 0) {
            tm->tm_mon += 12;
            tm->tm_year--;
        }
        /* relativedelta keeps the day inside the month */
        mday = tm->tm_mday;
        mlen = days[tm->tm_mon];
        if (tm->tm_mon == 1 && ((tm->tm_year + 1900) % 4 == 0
                                && ((tm->tm_year + 1900) % 100 != 0
                                    || (tm->tm_year + 1900) % 400 == 0)))
        {
            mlen = 29;
        }
        tm->tm_mday = mday > mlen ? mlen : mday;
        tm->tm_isdst = -1;
        *t = utc ? timegm(tm) : mktime(tm);
    }

    *t += (time_t) secs;
    if (utc) {
        gmtime_r(t, tm);
    } else {
        localtime_r(t, tm);
    }

    return 0;
}


int
djass_tmpl_now(djass_eval_t *ev, djass_buf_t *out, json_t *tz, int op,
    json_t *offset, json_t *fmt)
{
    int          utc, rc;
    char        *old, *buf, fmtz[512];
    size_t       n, cap;
    time_t       t;
    struct tm    tm;
    const char  *zone;

    if (!json_is_string(tz) || (offset && !json_is_string(offset))
        || (fmt && !json_is_null(fmt) && !json_is_string(fmt)))
    {
        return djass_eval_fail(ev, "now: the time zone, offset and format "
                               "must be strings");
    }

    zone = json_string_value(tz);
    utc = strcasecmp(zone, "utc") == 0;
    old = NULL;

    t = time(NULL);
    if (utc) {
        gmtime_r(&t, &tm);
    } else {
        if (strcasecmp(zone, "local") != 0) {
            old = getenv("TZ") ? strdup(getenv("TZ")) : strdup("");
            setenv("TZ", zone, 1);
            tzset();
        }
        localtime_r(&t, &tm);
    }

    rc = 0;
    if (offset != NULL) {
        rc = djass_shift(&tm, &t, utc, op == DJASS_OP_SUB ? -1 : 1,
                         json_string_value(offset),
                         json_string_length(offset), ev);
    }

    if (fmt != NULL && json_is_string(fmt)) {
        snprintf(fmtz, sizeof(fmtz), "%s", json_string_value(fmt));
    } else {
        snprintf(fmtz, sizeof(fmtz), "%%Y-%%m-%%d");
    }

    for (cap = 256; rc == 0 && fmtz[0] != '\0' && cap <= 65536; cap *= 4) {
        buf = malloc(cap);
        if (buf == NULL) {
            rc = djass_eval_fail(ev, "out of memory");
            break;
        }
        n = strftime(buf, cap, fmtz, &tm);
        if (n > 0) {
            djass_buf_add(out, buf, n);
            free(buf);
            break;
        }
        free(buf);
    }

    if (old != NULL) {
        if (old[0] != '\0') {
            setenv("TZ", old, 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
        free(old);
    }

    return rc;
}
