/*
 * Fuzz target: cookiecutter.json loading -- the input is the file, loaded
 * as the worker loads it (jansson, JSON_ALLOW_NUL) and as the module does
 * (JSON_REJECT_DUPLICATES), then the context is built from it with a
 * fixed given payload (djass_context_build: defaults rendered in order,
 * _jinja2_env_vars, choices, private keys) and the env options read as
 * the worker reads them.
 *
 * Checks beyond ASan/UBSan and leaks: a context is an object whose keys
 * are cookiecutter.json's, whose given values are the given strings
 * (never rendered); a failure sets an error message.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_cookiecutter.h"


#define fuzz_assert(c)                                                       \
    if (!(c)) {                                                              \
        fprintf(stderr, "fuzz_cookiecutter_json: %s:%d: %s\n", __FILE__,     \
                __LINE__, #c);                                               \
        abort();                                                             \
    }


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* a payload as the module passes it: strings only, one a template */
static const char  fuzz_given_text[] =
    "{\"project_name\": \"Fuzz {{ cookiecutter.x }}\","
    " \"use_docker\": \"y\", \"open_source_license\": \"BSD\","
    " \"author_email\": \"\"}";

static json_t  *fuzz_given;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_given = json_loads(fuzz_given_text, 0, NULL);

    if (fuzz_given == NULL) {
        abort();
    }

    return 0;
}


static void
fuzz_context(json_t *cc, json_t *given)
{
    int           flags;
    json_t       *ctx, *v;
    const char   *key;
    djass_err_t   err;

    memset(&err, 0, sizeof(djass_err_t));

    ctx = djass_context_build(cc, given, &err);

    if (ctx == NULL) {
        fuzz_assert(err.msg[0] != '\0');
        return;
    }

    fuzz_assert(json_is_object(ctx));

    json_object_foreach(ctx, key, v) {
        fuzz_assert(json_object_get(cc, key) != NULL);
    }

    if (given) {
        json_object_foreach(given, key, v) {
            if (json_object_get(cc, key) != NULL && key[0] != '_') {
                fuzz_assert(json_equal(json_object_get(ctx, key), v));
            }
        }
    }

    memset(&err, 0, sizeof(djass_err_t));
    flags = 0;

    if (djass_tmpl_env_flags(json_object_get(ctx, "_jinja2_env_vars"),
                             &flags, &err) != 0)
    {
        fuzz_assert(err.msg[0] != '\0');
    }

    json_decref(ctx);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t  *cc;

    /* the worker's load, then the module's */
    cc = json_loadb((const char *) data, size, JSON_ALLOW_NUL, NULL);

    if (json_is_object(cc)) {
        fuzz_context(cc, NULL);
        fuzz_context(cc, fuzz_given);
    }

    json_decref(cc);

    cc = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);

    if (json_is_object(cc)) {
        fuzz_context(cc, fuzz_given);
    }

    json_decref(cc);

    return 0;
}
