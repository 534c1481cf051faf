/*
 * The str and dict methods templates call: "x".upper(), d.items() ...
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_methods.h"
#include "djass_tmpl_string.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


#define djass_is(name, len, lit)                                              \
    ((len) == sizeof(lit) - 1 && memcmp(name, lit, sizeof(lit) - 1) == 0)


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
                      : -1, ev->limits.max_string);
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
            djass_replace(&out, s, slen, as, alen, "", 0, -1, SIZE_MAX);
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
