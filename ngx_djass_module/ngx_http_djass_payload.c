/*
 * The body of POST /projects: validated against the template's catalog,
 * then turned into the effective options the generator will use -- the
 * template's defaults rendered as cookiecutter renders them, with the
 * given values (never rendered) in their place.
 *
 * Checks, in order: malformed JSON or not an object (invalid_payload); a
 * known option with a non-string value (invalid_payload, details.field);
 * unknown keys, flags other than "y"/"n", values outside a choice
 * (invalid_generator_option); a missing or empty project_name
 * (invalid_payload); a value over its bound (invalid_payload,
 * details.field); a project_slug with nothing left once normalised, or
 * longer than NGX_HTTP_DJASS_SLUG_MAX bytes (invalid_project_slug,
 * details.field).
 *
 * The bounds come from what each value feeds: the slug names the
 * project's folder and its ZIP, "<slug>-YYYYMMDD.zip", which must stay
 * under the 255 bytes of a file name; project_name becomes the default
 * slug; caprover_app_name, given or derived, an app name; every other
 * free-text value lands in generated files and is capped at
 * NGX_HTTP_DJASS_TEXT_MAX bytes.
 *
 * An empty author_email is left as a hole in input_payload for the script
 * to fill with the profile's email, in the same round trip.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "djass_context.h"
#include "djass_slug.h"


#define NGX_HTTP_DJASS_EMAIL_HOLE  "\"author_email\":null"

#define NGX_HTTP_DJASS_NAME_MAX    200     /* characters */
#define NGX_HTTP_DJASS_SLUG_MAX    200     /* bytes, once normalised */
#define NGX_HTTP_DJASS_APP_MAX     200     /* bytes, given or derived */
#define NGX_HTTP_DJASS_TEXT_MAX    1000    /* bytes, any other value */


static ngx_int_t ngx_http_djass_payload_check(ngx_http_request_t *r,
    json_t *cc, json_t *given, ngx_http_djass_payload_t *pl,
    ngx_uint_t partial);
static ngx_int_t ngx_http_djass_payload_bounds(ngx_http_request_t *r,
    json_t *cc, json_t *given, ngx_http_djass_payload_t *pl);
static ngx_int_t ngx_http_djass_payload_slug(ngx_http_request_t *r,
    json_t *cc, json_t *given, ngx_http_djass_payload_t *pl);
static ngx_int_t ngx_http_djass_payload_dump(ngx_http_request_t *r,
    json_t *context, ngx_http_djass_payload_t *pl);
static ngx_int_t ngx_http_djass_normalise_slug(ngx_pool_t *pool,
    const char *in, size_t len, ngx_str_t *slug);
static ngx_int_t ngx_http_djass_payload_error(ngx_http_request_t *r,
    ngx_http_djass_payload_t *pl, const char *code, const char *message,
    json_t *details);
static json_t *ngx_http_djass_context(ngx_http_request_t *r, json_t *cc,
    json_t *given);
static ngx_int_t ngx_http_djass_pool_str(ngx_pool_t *pool, const char *s,
    size_t len, ngx_str_t *out);


/*
 * NGX_OK: pl->code is NULL and pl is the payload, or pl->code names the
 * 400 to answer (after auth).  NGX_ERROR: a server-side failure.
 */

ngx_int_t
ngx_http_djass_payload_parse(ngx_http_request_t *r, u_char *body,
    size_t len, ngx_http_djass_payload_t *pl)
{
    json_t                      *given, *context;
    ngx_int_t                    rc;
    json_error_t                 jerr;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    ngx_memzero(pl, sizeof(ngx_http_djass_payload_t));

    given = json_loadb((char *) body, len, JSON_REJECT_DUPLICATES, &jerr);

    if (given == NULL || !json_is_object(given)) {
        json_decref(given);
        return ngx_http_djass_payload_error(r, pl, "invalid_payload",
                                            "Request body must be a JSON "
                                            "object.", NULL);
    }

    rc = ngx_http_djass_payload_check(r, dmcf->cookiecutter, given, pl, 0);

    if (rc == NGX_OK && pl->code == NULL) {
        rc = ngx_http_djass_payload_bounds(r, dmcf->cookiecutter, given, pl);
    }

    if (rc == NGX_OK && pl->code == NULL) {
        rc = ngx_http_djass_payload_slug(r, dmcf->cookiecutter, given, pl);
    }

    if (rc != NGX_OK || pl->code) {
        json_decref(given);
        return rc;
    }

    context = ngx_http_djass_context(r, dmcf->cookiecutter, given);
    json_decref(given);

    if (context == NULL) {
        return NGX_ERROR;
    }

    /* derived from the slug by default, but a template may differ */

    if (json_string_length(json_object_get(context, "caprover_app_name"))
        > NGX_HTTP_DJASS_APP_MAX)
    {
        json_decref(context);
        return ngx_http_djass_payload_error(r, pl, "invalid_payload",
                                            "caprover_app_name must be at "
                                            "most 200 bytes.",
                                            json_pack("{s:s}", "field",
                                                      "caprover_app_name"));
    }

    rc = ngx_http_djass_payload_dump(r, context, pl);
    json_decref(context);

    return rc;
}


static ngx_int_t
ngx_http_djass_payload_check(ngx_http_request_t *r, json_t *cc,
    json_t *given, ngx_http_djass_payload_t *pl, ngx_uint_t partial)
{
    size_t       i;
    json_t      *value, *option, *unknown, *flags, *choices, *details;
    json_t      *choice;
    ngx_int_t    rc;
    const char  *key, *field, *s;

    field = NULL;

    unknown = json_array();
    flags = json_array();
    choices = json_array();

    if (unknown == NULL || flags == NULL || choices == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    json_object_foreach(given, key, value) {
        option = key[0] == '_' ? NULL : json_object_get(cc, key);

        if (option == NULL) {
            if (json_array_append_new(unknown, json_string(key)) != 0) {
                rc = NGX_ERROR;
                goto done;
            }

            continue;
        }

        s = json_string_value(value);

        if (s == NULL) {
            if (field == NULL) {
                field = key;
            }

            continue;
        }

        if (ngx_http_djass_is_flag(option)) {
            if (!ngx_http_djass_is_flag(value)
                && json_array_append_new(flags, json_string(key)) != 0)
            {
                rc = NGX_ERROR;
                goto done;
            }

            continue;
        }

        if (!json_is_array(option)) {
            continue;
        }

        json_array_foreach(option, i, choice) {
            if (json_equal(choice, value)) {
                break;
            }
        }

        if (i == json_array_size(option)
            && json_array_append_new(choices, json_string(key)) != 0)
        {
            rc = NGX_ERROR;
            goto done;
        }
    }

    if (field) {
        rc = ngx_http_djass_payload_error(r, pl, "invalid_payload",
                                          "Option values must be strings.",
                                          json_pack("{s:s}", "field",
                                                    field));
        goto done;
    }

    if (json_array_size(unknown) || json_array_size(flags)
        || json_array_size(choices))
    {
        details = json_pack("{s:O, s:O}", "unknown", unknown,
                            "invalid_flags", flags);

        if (details && json_array_size(choices)) {
            json_object_set(details, "invalid_choices", choices);
        }

        rc = ngx_http_djass_payload_error(r, pl, "invalid_generator_option",
                                          "Unknown or invalid generator "
                                          "options: see "
                                          "GET /project-options.",
                                          details);
        goto done;
    }

    /* partial (an upgrade's changes): project_name only when given */
    s = json_string_value(json_object_get(given, "project_name"));

    if ((s == NULL && !partial) || (s && s[0] == '\0')) {
        rc = ngx_http_djass_payload_error(r, pl, "invalid_payload",
                                          "project_name is required.",
                                          json_pack("{s:s}", "field",
                                                    "project_name"));
        goto done;
    }

    rc = NGX_OK;

done:

    json_decref(unknown);
    json_decref(flags);
    json_decref(choices);

    return rc;
}


/*
 * The given free-text values against their bounds (the slug is bounded
 * once normalised, in payload_slug).  Flags and choices are bounded by
 * the catalog already.
 */

static ngx_int_t
ngx_http_djass_payload_bounds(ngx_http_request_t *r, json_t *cc,
    json_t *given, ngx_http_djass_payload_t *pl)
{
    size_t       len, n, max;
    json_t      *value, *option;
    const char  *key, *s, *message;

    json_object_foreach(given, key, value) {
        option = json_object_get(cc, key);
        s = json_string_value(value);
        len = json_string_length(value);

        if (s == NULL || ngx_http_djass_is_flag(option)
            || json_is_array(option)
            || ngx_strcmp(key, "project_slug") == 0)
        {
            continue;
        }

        if (ngx_strcmp(key, "project_name") == 0) {
            /* characters: the bytes that start a UTF-8 sequence */

            for (n = 0; len; len--, s++) {
                n += ((u_char) *s & 0xc0) != 0x80;
            }

            if (n <= NGX_HTTP_DJASS_NAME_MAX) {
                continue;
            }

            message = "project_name must be at most 200 characters.";

        } else {
            if (ngx_strcmp(key, "caprover_app_name") == 0) {
                max = NGX_HTTP_DJASS_APP_MAX;
                message = "caprover_app_name must be at most 200 bytes.";

            } else {
                max = NGX_HTTP_DJASS_TEXT_MAX;
                message = "Option values must be at most 1000 bytes.";
            }

            if (len <= max) {
                continue;
            }
        }

        return ngx_http_djass_payload_error(r, pl, "invalid_payload",
                                            message,
                                            json_pack("{s:s}", "field", key));
    }

    return NGX_OK;
}


/*
 * project_slug, normalised: slugify, then "-" to "_".  An absent slug is
 * the template's default for the given project_name, normalised.  Either
 * way it goes back into the given values, so that the defaults rendered
 * after it (caprover_app_name) see the normalised slug.
 */

static ngx_int_t
ngx_http_djass_payload_slug(ngx_http_request_t *r, json_t *cc,
    json_t *given, ngx_http_djass_payload_t *pl)
{
    json_t      *value, *context;
    ngx_int_t    rc;

    value = json_object_get(given, "project_slug");
    context = NULL;

    if (value == NULL) {
        context = ngx_http_djass_context(r, cc, given);
        if (context == NULL) {
            return NGX_ERROR;
        }

        value = json_object_get(context, "project_slug");

        if (!json_is_string(value)) {
            value = json_object_get(given, "project_name");
        }
    }

    rc = ngx_http_djass_normalise_slug(r->pool, json_string_value(value),
                                       json_string_length(value),
                                       &pl->slug);
    json_decref(context);

    if (rc != NGX_OK) {
        return rc;
    }

    if (pl->slug.len == 0) {
        return ngx_http_djass_payload_error(r, pl, "invalid_project_slug",
                                            "project_slug must contain "
                                            "letters or numbers.",
                                            json_pack("{s:s}", "field",
                                                      "project_slug"));
    }

    if (pl->slug.len > NGX_HTTP_DJASS_SLUG_MAX) {
        return ngx_http_djass_payload_error(r, pl, "invalid_project_slug",
                                            "project_slug must be at most "
                                            "200 bytes once normalised.",
                                            json_pack("{s:s}", "field",
                                                      "project_slug"));
    }

    if (json_object_set_new(given, "project_slug",
                            json_stringn((char *) pl->slug.data,
                                         pl->slug.len))
        != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Issue 25: the body of POST /projects/{id}/upgrade, empty or
 * {"answers": {...}}: the answers it changes, checked as a create's
 * options are (known, strings, flags, choices, bounds; project_slug
 * normalised), none required.  NGX_OK: pl->code is NULL, *changes is the
 * answers (compact JSON) and *keys the catalog's option keys in its order
 * (a JSON array), or pl->code names the 400.  NGX_ERROR: a server-side
 * failure.
 */

ngx_int_t
ngx_http_djass_payload_answers(ngx_http_request_t *r, u_char *body,
    size_t len, ngx_http_djass_payload_t *pl, ngx_str_t *changes,
    ngx_str_t *keys)
{
    char                        *text;
    json_t                      *given, *answers, *list, *value, *slug;
    ngx_int_t                    rc;
    const char                  *key;
    json_error_t                 jerr;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    ngx_memzero(pl, sizeof(ngx_http_djass_payload_t));

    given = len ? json_loadb((char *) body, len, JSON_REJECT_DUPLICATES,
                             &jerr)
                : json_object();

    answers = json_object_get(given, "answers");

    if (given == NULL || !json_is_object(given)
        || json_object_size(given) != (answers ? 1 : 0)
        || (answers && !json_is_object(answers)))
    {
        json_decref(given);
        return ngx_http_djass_payload_error(r, pl, "invalid_payload",
                                            "Request body must be empty or "
                                            "a JSON object {\"answers\": "
                                            "{...}}.", NULL);
    }

    if (answers == NULL) {
        answers = json_object();
        if (answers == NULL || json_object_set_new(given, "answers", answers)
                               != 0)
        {
            json_decref(given);
            return NGX_ERROR;
        }
    }

    rc = ngx_http_djass_payload_check(r, dmcf->cookiecutter, answers, pl, 1);

    if (rc == NGX_OK && pl->code == NULL) {
        rc = ngx_http_djass_payload_bounds(r, dmcf->cookiecutter, answers,
                                           pl);
    }

    slug = json_object_get(answers, "project_slug");

    if (rc == NGX_OK && pl->code == NULL && slug) {
        /* given: normalised as a create's (given, it is used as it is) */
        rc = ngx_http_djass_payload_slug(r, dmcf->cookiecutter, answers, pl);
    }

    if (rc != NGX_OK || pl->code) {
        json_decref(given);
        return rc;
    }

    list = json_array();
    if (list == NULL) {
        json_decref(given);
        return NGX_ERROR;
    }

    json_object_foreach(dmcf->cookiecutter, key, value) {
        if (key[0] != '_' && json_array_append_new(list, json_string(key))
                             != 0)
        {
            rc = NGX_ERROR;
            break;
        }
    }

    text = rc == NGX_OK ? json_dumps(list, JSON_COMPACT) : NULL;
    rc = text ? ngx_http_djass_pool_str(r->pool, text, ngx_strlen(text), keys)
              : NGX_ERROR;
    free(text);
    json_decref(list);

    text = rc == NGX_OK ? json_dumps(answers, JSON_COMPACT) : NULL;
    rc = text ? ngx_http_djass_pool_str(r->pool, text, ngx_strlen(text),
                                        changes)
              : NGX_ERROR;
    free(text);
    json_decref(given);

    return rc;
}


static ngx_int_t
ngx_http_djass_normalise_slug(ngx_pool_t *pool, const char *in, size_t len,
    ngx_str_t *slug)
{
    size_t   size, i;
    u_char  *p;

    /* transliteration writes at most 4 bytes for a 2-byte character */
    size = 2 * len + 16;

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    slug->data = p;
    slug->len = djass_slugify(in, len, (char *) p, size);

    for (i = 0; i < slug->len; i++) {
        if (p[i] == '-') {
            p[i] = '_';
        }
    }

    return NGX_OK;
}


static json_t *
ngx_http_djass_context(ngx_http_request_t *r, json_t *cc, json_t *given)
{
    json_t       *context;
    djass_err_t   err;

    ngx_memzero(&err, sizeof(djass_err_t));

    context = djass_context_build(cc, given, &err);

    if (context == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: the template's defaults cannot be rendered: "
                      "%s, line %d: %s", err.file, err.line, err.msg);
    }

    return context;
}


/* input_payload: the non-private options, in the template's order */

static ngx_int_t
ngx_http_djass_payload_dump(ngx_http_request_t *r, json_t *context,
    ngx_http_djass_payload_t *pl)
{
    char        *text, *hole;
    json_t      *out, *value;
    ngx_int_t    rc;
    const char  *key;

    out = json_object();
    if (out == NULL) {
        return NGX_ERROR;
    }

    json_object_foreach(context, key, value) {
        if (key[0] == '_') {
            continue;
        }

        if (ngx_strcmp(key, "author_email") == 0
            && json_is_string(value) && json_string_length(value) == 0)
        {
            /* the hole: no string value can contain this text */
            value = json_null();
            pl->fill_email = 1;
        }

        if (json_object_set(out, key, value) != 0) {
            json_decref(out);
            return NGX_ERROR;
        }
    }

    value = json_object_get(out, "project_name");

    rc = ngx_http_djass_pool_str(r->pool, json_string_value(value),
                                 json_string_length(value), &pl->name);

    text = json_dumps(out, JSON_COMPACT);
    json_decref(out);

    if (text == NULL || rc != NGX_OK) {
        free(text);
        return NGX_ERROR;
    }

    hole = pl->fill_email ? ngx_strstr(text, NGX_HTTP_DJASS_EMAIL_HOLE)
                          : NULL;

    if (hole) {
        hole += sizeof("\"author_email\":") - 1;

        rc = ngx_http_djass_pool_str(r->pool, text, hole - text, &pl->head);

        if (rc == NGX_OK) {
            hole += sizeof("null") - 1;
            rc = ngx_http_djass_pool_str(r->pool, hole, ngx_strlen(hole),
                                         &pl->tail);
        }

    } else {
        pl->fill_email = 0;
        rc = ngx_http_djass_pool_str(r->pool, text, ngx_strlen(text),
                                     &pl->head);
    }

    free(text);

    return rc;
}


static ngx_int_t
ngx_http_djass_payload_error(ngx_http_request_t *r,
    ngx_http_djass_payload_t *pl, const char *code, const char *message,
    json_t *details)
{
    char       *text;
    ngx_int_t   rc;

    pl->code = code;
    pl->message = message;

    if (details == NULL) {
        ngx_str_set(&pl->details, "{}");
        return NGX_OK;
    }

    text = json_dumps(details, JSON_COMPACT);
    json_decref(details);

    if (text == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_djass_pool_str(r->pool, text, ngx_strlen(text),
                                 &pl->details);
    free(text);

    return rc;
}


/* a NUL-terminated copy in the pool */

static ngx_int_t
ngx_http_djass_pool_str(ngx_pool_t *pool, const char *s, size_t len,
    ngx_str_t *out)
{
    if (s == NULL) {
        s = "";
        len = 0;
    }

    out->data = ngx_pnalloc(pool, len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, s, len);
    out->data[len] = '\0';
    out->len = len;

    return NGX_OK;
}
