/*
 * djass_context_build: the context cookiecutter --no-input builds from
 * cookiecutter.json and the given values -- except that given values are
 * never rendered (no server-side template injection).
 */

#include <stdlib.h>
#include <string.h>

#include "djass_context.h"
#include "tap.h"


static json_t *
build(const char *cj, const char *given, djass_err_t *err)
{
    json_t        *c, *g, *ctx;
    json_error_t   je;

    c = json_loads(cj, 0, &je);
    g = given ? json_loads(given, 0, &je) : NULL;
    memset(err, 0, sizeof(*err));
    ctx = djass_context_build(c, g, err);
    json_decref(c);
    json_decref(g);
    return ctx;
}


static char *
dump(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT) : NULL;
}


static void
check(const char *what, const char *cj, const char *given, const char *want)
{
    char         *got;
    json_t       *ctx;
    djass_err_t   err;

    ctx = build(cj, given, &err);
    got = dump(ctx);
    is_str(got, want, "%s", what);
    if (ctx == NULL) {
        printf("#     error: %s:%d: %s\n", err.file, err.line, err.msg);
    }
    free(got);
    json_decref(ctx);
}


static void
check_error(const char *what, const char *cj, const char *given,
    const char *msg)
{
    json_t       *ctx;
    djass_err_t   err;

    ctx = build(cj, given, &err);
    ok(ctx == NULL && strstr(err.msg, msg) != NULL
       && strcmp(err.file, "cookiecutter.json") == 0,
       "%s: cookiecutter.json: ...%s...", what, msg);
    if (ctx != NULL || strstr(err.msg, msg) == NULL) {
        printf("#     got: %s\n", err.msg);
    }
    json_decref(ctx);
}


int
main(void)
{
    static const char  *spec =
        "{\"project_name\": \"My Awesome Project\","
        " \"project_slug\": \"{{ cookiecutter.project_name.lower()"
        "|replace(' ', '_')|replace('-', '_')|replace('.', '_')|trim() }}\","
        " \"caprover_app_name\": \"{{ cookiecutter.project_slug"
        "|replace('_', '-') }}\"}";

    check("defaults render in file order, each seeing those before it",
          spec, NULL,
          "{\"project_name\":\"My Awesome Project\","
          "\"project_slug\":\"my_awesome_project\","
          "\"caprover_app_name\":\"my-awesome-project\"}");

    check("a given project_name is in place before project_slug renders",
          spec, "{\"project_name\": \"Acme CRM\"}",
          "{\"project_name\":\"Acme CRM\",\"project_slug\":\"acme_crm\","
          "\"caprover_app_name\":\"acme-crm\"}");

    check("a given value is never rendered (no SSTI)",
          spec, "{\"project_name\": \"{{ 7*7 }}\"}",
          "{\"project_name\":\"{{ 7*7 }}\",\"project_slug\":\"{{_7*7_}}\","
          "\"caprover_app_name\":\"{{-7*7-}}\"}");

    check("a given dependent value wins over its default",
          spec, "{\"project_slug\": \"mine\"}",
          "{\"project_name\":\"My Awesome Project\","
          "\"project_slug\":\"mine\",\"caprover_app_name\":\"mine\"}");

    check("unknown given keys are ignored, as in cookiecutter",
          "{\"a\": \"x\"}", "{\"zz\": \"y\"}", "{\"a\":\"x\"}");

    check("a choice defaults to its first item, rendered",
          "{\"n\": \"v\", \"c\": [\"{{ cookiecutter.n }}1\", \"b\"]}", NULL,
          "{\"n\":\"v\",\"c\":\"v1\"}");

    check("a given choice replaces the default",
          "{\"c\": [\"a\", \"b\", \"c\"]}", "{\"c\": \"b\"}",
          "{\"c\":\"b\"}");

    check("private keys are copied verbatim, __ keys are rendered",
          "{\"a\": \"x\", \"_p\": \"{{ raw }}\", \"_l\": [1, 2],"
          " \"__d\": \"{{ cookiecutter.a }}!\", \"__prompts__\": {}}", NULL,
          "{\"a\":\"x\",\"_p\":\"{{ raw }}\",\"_l\":[1,2],\"__d\":\"x!\"}");

    check("numbers become strings, booleans and null stay",
          "{\"i\": 1, \"f\": 2.5, \"b\": true, \"z\": null}", NULL,
          "{\"i\":\"1\",\"f\":\"2.5\",\"b\":true,\"z\":null}");

    check("a given yes/no string sets a boolean",
          "{\"b\": false, \"c\": true}", "{\"b\": \"yes\", \"c\": \"off\"}",
          "{\"b\":true,\"c\":false}");

    check("dicts render after every other value, keys and values",
          "{\"d\": {\"{{ cookiecutter.k }}\": \"{{ cookiecutter.later }}\"},"
          " \"k\": \"key\", \"later\": \"v\"}", NULL,
          "{\"d\":{\"key\":\"v\"},\"k\":\"key\",\"later\":\"v\"}");

    check("_jinja2_env_vars trim_blocks applies to the defaults too",
          "{\"_jinja2_env_vars\": {\"trim_blocks\": true},"
          " \"a\": \"{% if true %}\\nx{% endif %}\"}", NULL,
          "{\"_jinja2_env_vars\":{\"trim_blocks\":true},\"a\":\"x\"}");

    check_error("an unsupported _jinja2_env_vars option",
                "{\"_jinja2_env_vars\": {\"autoescape\": true}}", NULL,
                "'autoescape' is not supported");

    check_error("an undefined name in a default",
                "{\"a\": \"{{ cookiecutter.nope }}\"}", NULL,
                "Unable to render variable 'a'");
    check_error("a syntax error in a default",
                "{\"a\": \"ok\", \"b\": \"{{ oops\"}", NULL,
                "Unable to render variable 'b'");
    check_error("a given choice that is not a choice",
                "{\"c\": [\"a\", \"b\"]}", "{\"c\": \"z\"}",
                "choice variable c");
    check_error("a given boolean that is not yes or no",
                "{\"b\": true}", "{\"b\": \"maybe\"}",
                "could not be converted to a boolean");
    check_error("an empty choice list", "{\"c\": []}", NULL,
                "The list of choices is empty");
    check_error("not an object", "[1, 2]", NULL, "not a JSON object");

    return done_testing();
}
