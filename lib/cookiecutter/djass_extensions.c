/*
 * cookiecutter's own Jinja2 extensions (cookiecutter/extensions.py) as
 * one extension of our engine: the jsonify and slugify filters, the
 * random_ascii_string() and uuid4() globals, and jinja2_time's {% now %}
 * (djass_time.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "djass_extensions.h"
#include "djass_slug.h"
#include "djass_time.h"
#include "djass_tmpl_eval.h"
#include "djass_tmpl_string.h"
#include "djass_tmpl_value.h"


/* JsonifyExtension: json.dumps(obj, sort_keys=True, indent=4) */
static json_t *
djass_filter_jsonify(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_val_tojson(ev, v, djass_arg(args, 0, "indent"), 4);
}


/* SlugifyExtension: python-slugify's slugify(value, ..., separator) */
static json_t *
djass_filter_slugify(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    char         *slug;
    size_t        slen, alen;
    json_t       *a, *r;
    djass_buf_t   out;

    if (!json_is_string(v)) {
        djass_eval_fail(ev, "text must be str, bytes or bytearray, not %s",
                        djass_val_type(v));
        return NULL;
    }

    slen = json_string_length(v);
    slug = malloc(slen * 8 + 16);
    if (slug == NULL) {
        djass_eval_fail(ev, "out of memory");
        return NULL;
    }

    alen = djass_slugify(json_string_value(v), slen, slug, slen * 8 + 16);
    a = djass_arg(args, 6, "separator");
    if (a != NULL && json_is_string(a)) {
        memset(&out, 0, sizeof(out));
        djass_replace(&out, slug, alen, "-", 1, json_string_value(a),
                      json_string_length(a), -1, ev->limits.max_string);
        r = djass_done(ev, &out);
    } else {
        r = djass_val_string(slug, alen);
    }

    free(slug);
    return r;
}


#define djass_is(name, len, lit)                                              \
    ((len) == sizeof(lit) - 1 && memcmp(name, lit, sizeof(lit) - 1) == 0)


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


/* RandomStringExtension: random_ascii_string(length, punctuation=False) */
static json_t *
djass_global_random_ascii_string(djass_eval_t *ev, djass_args_t *args)
{
    size_t          i, k, len;
    unsigned char   r;
    djass_buf_t     b;
    json_t         *n, *punct;
    const char     *corpus;
    static const char  letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char  all[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    n = djass_arg(args, 0, "length");
    punct = djass_arg(args, 1, "punctuation");

    if (n == NULL || !json_is_integer(n) || json_integer_value(n) < 0
        || json_integer_value(n) > 1048576)
    {
        djass_eval_fail(ev, "random_ascii_string() needs a length");
        return NULL;
    }

    corpus = (punct && djass_val_truthy(punct)) ? all : letters;
    k = strlen(corpus);
    len = (size_t) json_integer_value(n);

    /* a getrandom() per character */
    if (djass_eval_work(ev, len) != 0) {
        return NULL;
    }

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


/* UUIDExtension: str(uuid.uuid4()) */
static json_t *
djass_global_uuid4(djass_eval_t *ev, djass_args_t *args)
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



/* sorted by name */
static const djass_filter_t  djass_cookiecutter_filters[] = {
    { "jsonify", djass_filter_jsonify, 0 },
    { "slugify", djass_filter_slugify, 0 }
};

static const djass_global_t  djass_cookiecutter_globals[] = {
    { "random_ascii_string", djass_global_random_ascii_string },
    { "uuid4", djass_global_uuid4 }
};


const djass_tmpl_ext_t  djass_cookiecutter_ext = {
    djass_cookiecutter_filters,
    sizeof(djass_cookiecutter_filters) / sizeof(djass_filter_t),
    djass_cookiecutter_globals,
    sizeof(djass_cookiecutter_globals) / sizeof(djass_global_t),
    djass_time_now
};
