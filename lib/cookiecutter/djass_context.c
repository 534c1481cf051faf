/*
 * Building the cookiecutter context (see djass_context.h), following
 * cookiecutter 2.x's generate_context(), apply_overwrites_to_context()
 * and prompt_for_config() with no_input.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "djass_buf.h"
#include "djass_cookiecutter.h"


#define DJASS_CONTEXT_FILE  "cookiecutter.json"


typedef struct {
    json_t       *vars;    /* {"cookiecutter": the values so far} */
    djass_err_t  *err;
    int           flags;   /* from _jinja2_env_vars */
} djass_ctx_t;


static json_t *djass_ctx_render(djass_ctx_t *cx, json_t *raw);


static json_t *
djass_ctx_render_string(djass_ctx_t *cx, const char *s, size_t len)
{
    char          *out;
    size_t         olen;
    json_t        *res;
    djass_tmpl_t  *t;

    t = djass_tmpl_compile_flags(s, len, DJASS_CONTEXT_FILE, cx->flags,
                                 cx->err);
    if (t == NULL) {
        return NULL;
    }

    out = djass_tmpl_render(t, cx->vars, &olen, cx->err);
    djass_tmpl_free(t);
    if (out == NULL) {
        return NULL;
    }

    res = json_stringn_nocheck(out, olen);
    free(out);
    return res;
}


static json_t *
djass_ctx_render_object(djass_ctx_t *cx, json_t *raw)
{
    json_t      *res, *k, *v;
    const char  *key;
    json_t      *item;

    res = json_object();
    if (res == NULL) {
        return NULL;
    }

    json_object_foreach(raw, key, item) {
        k = djass_ctx_render_string(cx, key, strlen(key));
        if (k == NULL) {
            json_decref(res);
            return NULL;
        }

        v = djass_ctx_render(cx, item);
        if (v == NULL) {
            json_decref(k);
            json_decref(res);
            return NULL;
        }

        json_object_setn_new_nocheck(res, json_string_value(k),
                                     json_string_length(k), v);
        json_decref(k);
    }

    return res;
}


/* cookiecutter's render_variable() */
static json_t *
djass_ctx_render(djass_ctx_t *cx, json_t *raw)
{
    char    *s;
    size_t   i, len;
    json_t  *res, *v;

    if (json_is_null(raw) || json_is_boolean(raw)) {
        return json_incref(raw);
    }

    if (json_is_object(raw)) {
        return djass_ctx_render_object(cx, raw);
    }

    if (json_is_array(raw)) {
        res = json_array();
        for (i = 0; res && i < json_array_size(raw); i++) {
            v = djass_ctx_render(cx, json_array_get(raw, i));
            if (v == NULL) {
                json_decref(res);
                return NULL;
            }
            json_array_append_new(res, v);
        }
        return res;
    }

    if (json_is_string(raw)) {
        return djass_ctx_render_string(cx, json_string_value(raw),
                                       json_string_length(raw));
    }

    /* a number is rendered as its str() */
    s = djass_tmpl_str(raw, &len);
    if (s == NULL) {
        djass_err_set(cx->err, DJASS_CONTEXT_FILE, 0, "out of memory");
        return NULL;
    }

    res = djass_ctx_render_string(cx, s, len);
    free(s);
    return res;
}


/* YesNoPrompt.process_response() */
static int
djass_yes_no(const char *s, int *yes)
{
    size_t             i;
    static const char *const  ys[] = { "1", "true", "t", "yes", "y", "on" };
    static const char *const  ns[] = { "0", "false", "f", "no", "n", "off" };

    for (i = 0; i < sizeof(ys) / sizeof(ys[0]); i++) {
        if (strcasecmp(s, ys[i]) == 0) {
            *yes = 1;
            return 0;
        }
        if (strcasecmp(s, ns[i]) == 0) {
            *yes = 0;
            return 0;
        }
    }

    return -1;
}


/*
 * apply_overwrites_to_context(): given values take their place in a copy
 * of cookiecutter.json; unknown keys are ignored.
 */
static int
djass_ctx_overwrite(json_t *obj, json_t *given, djass_err_t *err)
{
    int          yes;
    size_t       i;
    json_t      *cur, *v, *opt;

    opt = NULL;
    const char  *key;

    json_object_foreach(given, key, v) {
        cur = json_object_get(obj, key);
        if (cur == NULL) {
            continue;
        }

        if (!json_is_string(v)) {
            return djass_err_set(err, DJASS_CONTEXT_FILE, 0,
                                 "the value given for '%s' is not a string",
                                 key);
        }

        if (json_is_array(cur)) {
            /* obj is a shallow copy: reorder a list of our own */
            cur = json_copy(cur);
            if (cur == NULL || json_object_set_new(obj, key, cur) != 0) {
                return djass_err_set(err, DJASS_CONTEXT_FILE, 0,
                                     "out of memory");
            }
            for (i = 0; i < json_array_size(cur); i++) {
                opt = json_array_get(cur, i);
                if (json_is_string(opt) && json_equal(opt, v)) {
                    break;
                }
            }
            if (i == json_array_size(cur)) {
                return djass_err_set(err, DJASS_CONTEXT_FILE, 0,
                                     "%s provided for choice variable %s, "
                                     "but it is not one of the choices",
                                     json_string_value(v), key);
            }
            json_incref(opt);
            json_array_remove(cur, i);
            json_array_insert_new(cur, 0, opt);
            continue;
        }

        if (json_is_boolean(cur)) {
            if (djass_yes_no(json_string_value(v), &yes) != 0) {
                return djass_err_set(err, DJASS_CONTEXT_FILE, 0,
                                     "%s provided for variable %s could not "
                                     "be converted to a boolean.",
                                     json_string_value(v), key);
            }
            json_object_set_new(obj, key, json_boolean(yes));
            continue;
        }

        json_object_set(obj, key, v);
    }

    return 0;
}


static int
djass_ctx_fail(djass_ctx_t *cx, const char *key)
{
    char  msg[sizeof(cx->err->msg)];

    snprintf(msg, sizeof(msg), "%s", cx->err->msg);
    return djass_err_set(cx->err, DJASS_CONTEXT_FILE, cx->err->line,
                         "Unable to render variable '%s': %s", key, msg);
}


/* one variable's value: given (never rendered) or its rendered default */
static json_t *
djass_ctx_value(djass_ctx_t *cx, json_t *raw, json_t *g)
{
    json_t  *v, *first;

    if (json_is_array(raw)) {
        /* every choice is rendered; the first (maybe the given) is it */
        v = djass_ctx_render(cx, raw);
        if (v == NULL) {
            return NULL;
        }
        if (json_array_size(v) == 0) {
            json_decref(v);
            djass_err_set(cx->err, DJASS_CONTEXT_FILE, 0,
                          "The list of choices is empty");
            return NULL;
        }
        first = json_incref(g ? g : json_array_get(v, 0));
        json_decref(v);
        return first;
    }

    if (g != NULL && json_is_string(raw) ) {
        return json_incref(g);
    }

    return djass_ctx_render(cx, raw);
}


/* prompt_for_config(no_input=True): two passes, dicts in the second */
static int
djass_ctx_values(djass_ctx_t *cx, json_t *obj, json_t *given, json_t *dict)
{
    int          pass, isdict;
    json_t      *raw, *v, *g;
    const char  *key;

    for (pass = 1; pass <= 2; pass++) {
        json_object_foreach(obj, key, raw) {
            if (strcmp(key, "__prompts__") == 0) {
                continue;
            }

            if (key[0] == '_' && key[1] != '_') {
                if (pass == 1) {
                    json_object_set(dict, key, raw);
                }
                continue;
            }

            isdict = json_is_object(raw) && key[0] != '_';
            if ((pass == 2) != isdict) {
                continue;
            }

            g = given ? json_object_get(given, key) : NULL;
            if (g != NULL && !json_is_string(g)) {
                g = NULL;
            }

            v = djass_ctx_value(cx, raw, g);
            if (v == NULL) {
                return djass_ctx_fail(cx, key);
            }

            json_object_set_new(dict, key, v);
        }
    }

    return 0;
}


json_t *
djass_context_build(json_t *cookiecutter_json, json_t *given,
    djass_err_t *err)
{
    json_t       *obj, *dict, *ctx, *v;
    const char   *key;
    djass_ctx_t   cx;

    if (!json_is_object(cookiecutter_json)) {
        djass_err_set(err, DJASS_CONTEXT_FILE, 0,
                      "cookiecutter.json is not a JSON object");
        return NULL;
    }

    /* given values replace top-level values only: a shallow copy does */
    obj = json_copy(cookiecutter_json);
    dict = json_object();
    cx.vars = json_object();
    cx.err = err;
    cx.flags = 0;
    ctx = NULL;

    if (obj == NULL || dict == NULL || cx.vars == NULL
        || json_object_set(cx.vars, "cookiecutter", dict) != 0)
    {
        djass_err_set(err, DJASS_CONTEXT_FILE, 0, "out of memory");
        goto done;
    }

    if (given != NULL && djass_ctx_overwrite(obj, given, err) != 0) {
        goto done;
    }

    if (djass_tmpl_env_flags(json_object_get(obj, "_jinja2_env_vars"),
                             &cx.flags, err) != 0)
    {
        goto done;
    }

    if (djass_ctx_values(&cx, obj, given, dict) != 0) {
        goto done;
    }

    /* cookiecutter.json's order, whatever order the passes filled in */
    ctx = json_object();
    json_object_foreach(obj, key, v) {
        v = json_object_get(dict, key);
        if (ctx != NULL && v != NULL) {
            json_object_set(ctx, key, v);
        }
    }

    if (ctx == NULL) {
        djass_err_set(err, DJASS_CONTEXT_FILE, 0, "out of memory");
    }

done:

    json_decref(obj);
    json_decref(dict);
    json_decref(cx.vars);
    return ctx;
}
