/*
 * Python's json.dumps(indent=2, sort_keys=True) (see djass_pyjson.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_pyjson.h"
#include "djass_utf8.h"


static void djass_pyjson_value(json_t *v, djass_buf_t *b, int level);
static void djass_pyjson_string(const char *s, size_t n, djass_buf_t *b);
static void djass_pyjson_indent(djass_buf_t *b, int level);
static int djass_pyjson_cmp(const void *a, const void *b);


void
djass_pyjson_dump(json_t *v, djass_buf_t *b)
{
    djass_pyjson_value(v, b, 0);
}


static void
djass_pyjson_value(json_t *v, djass_buf_t *b, int level)
{
    size_t       i, n;
    json_t      *item;
    const char  *key, **keys;

    switch (json_typeof(v)) {

    case JSON_OBJECT:
        n = json_object_size(v);
        if (n == 0) {
            djass_buf_adds(b, "{}");
            return;
        }

        keys = malloc(n * sizeof(char *));
        if (keys == NULL) {
            b->failed = 1;
            return;
        }

        i = 0;
        json_object_foreach(v, key, item) {
            keys[i++] = key;
        }

        qsort(keys, n, sizeof(char *), djass_pyjson_cmp);

        djass_buf_addc(b, '{');

        for (i = 0; i < n; i++) {
            djass_buf_adds(b, i ? ",\n" : "\n");
            djass_pyjson_indent(b, level + 1);
            djass_pyjson_string(keys[i], strlen(keys[i]), b);
            djass_buf_adds(b, ": ");
            djass_pyjson_value(json_object_get(v, keys[i]), b, level + 1);
        }

        free(keys);

        djass_buf_addc(b, '\n');
        djass_pyjson_indent(b, level);
        djass_buf_addc(b, '}');
        return;

    case JSON_ARRAY:
        if (json_array_size(v) == 0) {
            djass_buf_adds(b, "[]");
            return;
        }

        djass_buf_addc(b, '[');

        json_array_foreach(v, i, item) {
            djass_buf_adds(b, i ? ",\n" : "\n");
            djass_pyjson_indent(b, level + 1);
            djass_pyjson_value(item, b, level + 1);
        }

        djass_buf_addc(b, '\n');
        djass_pyjson_indent(b, level);
        djass_buf_addc(b, ']');
        return;

    case JSON_STRING:
        djass_pyjson_string(json_string_value(v), json_string_length(v), b);
        return;

    case JSON_INTEGER:
        djass_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;

    case JSON_REAL:
        /* no manifest field is a number with a fraction; repr()'s
         * shortest form is not attempted */
        djass_buf_printf(b, "%.17g", json_real_value(v));
        return;

    case JSON_TRUE:
        djass_buf_adds(b, "true");
        return;

    case JSON_FALSE:
        djass_buf_adds(b, "false");
        return;

    default:
        djass_buf_adds(b, "null");
        return;
    }
}


/* ensure_ascii: printable ASCII as it is, the rest escaped */
static void
djass_pyjson_string(const char *s, size_t n, djass_buf_t *b)
{
    size_t    i;
    uint32_t  c;

    djass_buf_addc(b, '"');

    for (i = 0; i < n; ) {
        /* a byte that starts no character is U+FFFD */
        c = djass_utf8_next(s, n, &i);

        switch (c) {
        case '"':
            djass_buf_adds(b, "\\\"");
            continue;
        case '\\':
            djass_buf_adds(b, "\\\\");
            continue;
        case '\n':
            djass_buf_adds(b, "\\n");
            continue;
        case '\r':
            djass_buf_adds(b, "\\r");
            continue;
        case '\t':
            djass_buf_adds(b, "\\t");
            continue;
        case '\b':
            djass_buf_adds(b, "\\b");
            continue;
        case '\f':
            djass_buf_adds(b, "\\f");
            continue;
        }

        if (c >= 0x20 && c <= 0x7e) {
            djass_buf_addc(b, (char) c);

        } else if (c < 0x10000) {
            djass_buf_printf(b, "\\u%04x", (unsigned) c);

        } else {
            c -= 0x10000;
            djass_buf_printf(b, "\\u%04x\\u%04x",
                             (unsigned) (0xd800 + (c >> 10)),
                             (unsigned) (0xdc00 + (c & 0x3ff)));
        }
    }

    djass_buf_addc(b, '"');
}


static void
djass_pyjson_indent(djass_buf_t *b, int level)
{
    int  i;

    for (i = 0; i < level; i++) {
        djass_buf_adds(b, "  ");
    }
}


/* UTF-8 bytes sort as their code points do */
static int
djass_pyjson_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}
