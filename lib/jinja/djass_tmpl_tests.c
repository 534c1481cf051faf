/*
 * Jinja2's tests: `x is defined`, `n is divisibleby 3` ...
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem() */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_tmpl_eval.h"
#include "djass_tmpl_int.h"
#include "djass_tmpl_tests.h"
#include "djass_tmpl_value.h"
#include "djass_utf8.h"


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


static int
djass_test_defined(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return v != NULL;
}


static int
djass_test_undefined(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return v == NULL;
}


static int
djass_test_none(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_null(v);
}


static int
djass_test_string(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_string(v);
}


static int
djass_test_number(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_number(v) || json_is_boolean(v);
}


static int
djass_test_integer(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_integer(v);
}


static int
djass_test_float(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_real(v);
}


static int
djass_test_boolean(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_boolean(v);
}


static int
djass_test_true(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_true(v);
}


static int
djass_test_false(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_false(v);
}


static int
djass_test_mapping(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_object(v);
}


static int
djass_test_sequence(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return json_is_array(v) || json_is_string(v) || json_is_object(v);
}


static int
djass_test_lower(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_tmpl_test_case(v, 0);
}


static int
djass_test_upper(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_tmpl_test_case(v, 1);
}


/* even (1), odd (0) or divisible by the argument (-1) */
static int
djass_test_parity(djass_eval_t *ev, json_t *v, djass_args_t *args, int even)
{
    json_t      *a;
    json_int_t   n;

    if (!json_is_integer(v)) {
        return djass_eval_fail(ev, "'%s' is not an integer",
                               djass_val_type(v));
    }

    n = json_integer_value(v);
    if (even < 0) {
        a = djass_arg(args, 0, "value");
        if (a == NULL || !json_is_integer(a) || !json_integer_value(a)) {
            return djass_eval_fail(ev, "divisibleby needs a number");
        }
        /* djass_int_mod: INT64_MIN % -1 traps in C */
        djass_int_mod(n, json_integer_value(a), &n);
        return n == 0;
    }

    return (n % 2 == 0) == even;
}


static int
djass_test_even(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_test_parity(ev, v, args, 1);
}


static int
djass_test_odd(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_test_parity(ev, v, args, 0);
}


static int
djass_test_divisibleby(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_test_parity(ev, v, args, -1);
}


static int
djass_test_eq(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return djass_val_equal(v, djass_arg(args, 0, "value"));
}


static int
djass_test_ne(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    return !djass_val_equal(v, djass_arg(args, 0, "value"));
}


static int
djass_test_in(djass_eval_t *ev, json_t *v, djass_args_t *args)
{
    size_t   i;
    json_t  *a;

    a = djass_arg(args, 0, "value");

    if (json_is_array(a)) {
        for (i = 0; i < json_array_size(a); i++) {
            if (djass_val_equal(json_array_get(a, i), v)) {
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


/* Jinja2's TESTS (the ones templates use), sorted by name: the only list
 * of the test names the engine knows */
const djass_test_t  djass_tmpl_tests[] = {
    { "boolean", djass_test_boolean, 0 },
    { "defined", djass_test_defined, DJASS_TMPL_UNDEFINED },
    { "divisibleby", djass_test_divisibleby, 0 },
    { "eq", djass_test_eq, DJASS_TMPL_ARG },
    { "equalto", djass_test_eq, DJASS_TMPL_ARG },
    { "even", djass_test_even, 0 },
    { "false", djass_test_false, 0 },
    { "float", djass_test_float, 0 },
    { "in", djass_test_in, DJASS_TMPL_ARG },
    { "integer", djass_test_integer, 0 },
    { "iterable", djass_test_sequence, 0 },
    { "lower", djass_test_lower, 0 },
    { "mapping", djass_test_mapping, 0 },
    { "ne", djass_test_ne, DJASS_TMPL_ARG },
    { "none", djass_test_none, 0 },
    { "number", djass_test_number, 0 },
    { "odd", djass_test_odd, 0 },
    { "sameas", djass_test_eq, DJASS_TMPL_ARG },
    { "sequence", djass_test_sequence, 0 },
    { "string", djass_test_string, 0 },
    { "true", djass_test_true, 0 },
    { "undefined", djass_test_undefined, DJASS_TMPL_UNDEFINED },
    { "upper", djass_test_upper, 0 }
};

const size_t  djass_tmpl_ntests =
    sizeof(djass_tmpl_tests) / sizeof(djass_tmpl_tests[0]);


const djass_test_t *
djass_tmpl_find_test(const char *name, size_t len)
{
    return djass_table_find(djass_tmpl_tests, djass_tmpl_ntests,
                            sizeof(djass_test_t), name, len);
}


int
djass_tmpl_test(djass_eval_t *ev, const char *name, size_t len, json_t *v,
    djass_args_t *args)
{
    const djass_test_t  *t;

    t = djass_tmpl_find_test(name, len);

    if (t != NULL && (t->flags & DJASS_TMPL_UNDEFINED)) {
        return t->handler(ev, v, args);
    }

    if (v == NULL) {
        return djass_eval_fail(ev, "%s", ev->undef);
    }

    if (t == NULL || ((t->flags & DJASS_TMPL_ARG)
                      && djass_arg(args, 0, "value") == NULL))
    {
        return djass_eval_fail(ev, "No test named '%.*s'.", (int) len, name);
    }

    return t->handler(ev, v, args);
}
