/*
 * What values are: Python's str() and repr(), truth, equality and type
 * names of jansson values, JSON as json.dumps writes it, and the helpers
 * filters and methods share to read their arguments and make results.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_int.h"
#include "djass_tmpl_value.h"
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


int
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

    /* a failed buffer takes no more: stop walking */
    for (i = 0; i < len && !djass_buf_failed(b); ) {
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
            if (djass_buf_failed(b)) {
                break;
            }
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
            if (djass_buf_failed(b)) {
                break;
            }
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
    for (i = 0; i < len && !djass_buf_failed(b); ) {
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


/* -2 when it would take b past max bytes */
static int
djass_json_newline(djass_buf_t *b, int indent, int level, size_t max)
{
    size_t  n;

    n = (size_t) indent * (size_t) level;
    if (n > max || b->len > max - n) {
        return -2;
    }

    djass_buf_addc(b, '\n');
    if (djass_buf_reserve(b, n) == 0) {
        memset(b->data + b->len, ' ', n);
        b->len += n;
    }
    return 0;
}


int
djass_val_jsonify(djass_buf_t *b, json_t *v, int indent, int level,
    size_t max)
{
    int           rc;
    size_t        i, n;
    const char  **keys, *key;
    json_t       *item;

    if (level > DJASS_MAX_DEPTH) {
        return -1;
    }

    if (b->len > max) {
        return -2;
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
            if (indent >= 0
                && (rc = djass_json_newline(b, indent, level + 1, max)) != 0)
            {
                return rc;
            }
            rc = djass_val_jsonify(b, item, indent, level + 1, max);
            if (rc != 0) {
                return rc;
            }
        }
        if (indent >= 0
            && (rc = djass_json_newline(b, indent, level, max)) != 0)
        {
            return rc;
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
            rc = (indent >= 0)
                 ? djass_json_newline(b, indent, level + 1, max) : 0;
            if (rc == 0) {
                djass_json_str(b, keys[i], strlen(keys[i]));
                djass_buf_adds(b, ": ");
                rc = djass_val_jsonify(b, json_object_get(v, keys[i]),
                                       indent, level + 1, max);
            }
            if (rc != 0) {
                free(keys);
                return rc;
            }
        }
        free(keys);
        if (indent >= 0
            && (rc = djass_json_newline(b, indent, level, max)) != 0)
        {
            return rc;
        }
        djass_buf_addc(b, '}');
        break;

    default:
        return -1;
    }

    return djass_buf_failed(b) ? -1 : 0;
}


/* int(v) and float(v) as the filters do them: dflt when v is no number */

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


json_t *
djass_to_int(djass_eval_t *ev, json_t *v, json_t *dflt)
{
    int         rc;
    char        msg[96];
    double      d;
    json_int_t  n;

    if (json_is_integer(v)) {
        return json_incref(v);
    }
    if (json_is_boolean(v)) {
        return json_integer(json_is_true(v));
    }

    rc = -1;
    d = 0;
    if (json_is_real(v)) {
        d = json_real_value(v);
        rc = djass_int_from_double(d, &n);

    } else if (json_is_string(v)) {
        rc = djass_int_parse(json_string_value(v), json_string_length(v), &n);
        if (rc == -2) {
            snprintf(msg, sizeof(msg), "int('%.40s%s')", json_string_value(v),
                     json_string_length(v) > 40 ? "..." : "");
            return djass_eval_overflow(ev, msg);
        }
        /* "42.23"|int is 42, as Jinja2 does it: int(float(value)) */
        if (rc == -1
            && djass_parse_float(json_string_value(v), json_string_length(v),
                                 &d) == 0)
        {
            rc = djass_int_from_double(d, &n);
        }
    }

    if (rc == 0) {
        return json_integer(n);
    }

    if (rc == -2) {
        /* Python gives a big integer, or OverflowError for infinity */
        snprintf(msg, sizeof(msg), "int(%g)", d);
        return djass_eval_overflow(ev, msg);
    }

    return dflt ? json_incref(dflt) : json_integer(0);
}


json_t *
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


json_t *
djass_val_tojson(djass_eval_t *ev, json_t *v, json_t *indent, int dflt)
{
    int           n, rc;
    json_int_t    i;
    djass_buf_t   out;

    n = dflt;
    if (indent != NULL) {
        i = json_is_integer(indent) ? json_integer_value(indent) : -1;
        if (i > 0 && (uint64_t) i > ev->limits.max_string / 2) {
            djass_eval_fail(ev, "JSON indent too large (limit %zu bytes)",
                            ev->limits.max_string / 2);
            return NULL;
        }
        n = i < 0 ? -1 : (int) i;
    }

    memset(&out, 0, sizeof(out));
    rc = djass_val_jsonify(&out, v, n, 0, ev->limits.max_string);
    if (rc == -2) {
        djass_buf_free(&out);
        djass_eval_fail(ev, "JSON string too long (limit %zu bytes)",
                        ev->limits.max_string);
        return NULL;
    }
    if (rc != 0) {
        djass_buf_free(&out);
        djass_eval_fail(ev, "Object of type %s is not JSON serializable",
                        djass_val_type(v));
        return NULL;
    }

    return djass_done(ev, &out);
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

    if (djass_eval_str(ev, b, v, 0) != 0) {
        return NULL;
    }

    *len = b->len;
    return b->data ? b->data : "";
}


json_t *
djass_done(djass_eval_t *ev, djass_buf_t *b)
{
    json_t  *v;

    if (djass_buf_failed(b) == DJASS_BUF_TOO_LONG) {
        djass_buf_free(b);
        djass_eval_fail(ev, "string too long: more than %zu bytes (the "
                        "string limit)", ev->limits.max_string);
        return NULL;
    }

    if (!djass_buf_failed(b) && djass_eval_strlen(ev, b->len) != 0) {
        djass_buf_free(b);
        return NULL;
    }

    v = djass_val_strbuf(b);
    if (v == NULL) {
        djass_eval_fail(ev, "out of memory");
    }
    return v;
}
