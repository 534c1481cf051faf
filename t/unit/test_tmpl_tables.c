/*
 * The engine's name -> function tables (FILTERS, TESTS, globals) and
 * cookiecutter's extension: sorted, every name in them resolves, and an
 * unknown name fails as Jinja2 says it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_cookiecutter.h"
#include "djass_extensions.h"
#include "djass_tmpl_filters.h"
#include "djass_tmpl_globals.h"
#include "djass_tmpl_tests.h"
#include "tap.h"


/* entries start with their name: n entries of size bytes */
static int
sorted(const void *table, size_t n, size_t size)
{
    size_t       i;
    const char  *a, *b;

    for (i = 1; i < n; i++) {
        memcpy(&a, (const char *) table + (i - 1) * size, sizeof(a));
        memcpy(&b, (const char *) table + i * size, sizeof(b));
        if (strcmp(a, b) >= 0) {
            printf("#     '%s' before '%s'\n", a, b);
            return 0;
        }
    }

    return 1;
}


/* compiles src with cookiecutter's extensions (ext = 1) or none; the
 * error message, or "" when it compiles */
static const char *
compile_msg(const char *src, int ext)
{
    djass_tmpl_t        *t;
    static djass_err_t   err;

    memset(&err, 0, sizeof(err));
    if (ext) {
        t = djass_tmpl_compile(src, strlen(src), "t", &err);
    } else {
        t = djass_tmpl_compile_ext(src, strlen(src), "t", 0, NULL, &err);
    }
    djass_tmpl_free(t);
    return t ? "" : err.msg;
}


static const char *
render_msg(const char *src)
{
    char                *out;
    size_t               len;
    json_t              *ctx;
    static djass_err_t   err;

    ctx = json_pack("{s:i}", "x", 1);
    memset(&err, 0, sizeof(err));
    out = djass_render_string(src, strlen(src), ctx, "t", &len, &err);
    json_decref(ctx);
    free(out);
    return out ? "" : err.msg;
}


int
main(void)
{
    char                   src[128], want[128];
    size_t                 i, n;
    const djass_tmpl_ext_t  *ext;

    ext = &djass_cookiecutter_ext;

    ok(sorted(djass_tmpl_filters, djass_tmpl_nfilters,
              sizeof(djass_filter_t)), "FILTERS is sorted by name");
    ok(sorted(djass_tmpl_tests, djass_tmpl_ntests, sizeof(djass_test_t)),
       "TESTS is sorted by name");
    ok(sorted(djass_tmpl_globals, djass_tmpl_nglobals,
              sizeof(djass_global_t)), "the globals are sorted by name");
    ok(sorted(ext->filters, ext->nfilters, sizeof(djass_filter_t)),
       "cookiecutter's filters are sorted by name");
    ok(sorted(ext->globals, ext->nglobals, sizeof(djass_global_t)),
       "cookiecutter's globals are sorted by name");

    n = 0;
    for (i = 0; i < djass_tmpl_nfilters; i++) {
        snprintf(src, sizeof(src), "{{ x|%s }}", djass_tmpl_filters[i].name);
        n += djass_tmpl_find_filter(NULL, djass_tmpl_filters[i].name,
                                    strlen(djass_tmpl_filters[i].name))
                 == &djass_tmpl_filters[i]
             && compile_msg(src, 0)[0] == '\0';
    }
    ok(n == djass_tmpl_nfilters, "each of the %zu filters resolves and "
       "compiles", djass_tmpl_nfilters);

    n = 0;
    for (i = 0; i < djass_tmpl_ntests; i++) {
        snprintf(src, sizeof(src), "{{ x is %s }}", djass_tmpl_tests[i].name);
        n += djass_tmpl_find_test(djass_tmpl_tests[i].name,
                                  strlen(djass_tmpl_tests[i].name))
                 == &djass_tmpl_tests[i]
             && compile_msg(src, 0)[0] == '\0';
    }
    ok(n == djass_tmpl_ntests, "each of the %zu tests resolves and compiles",
       djass_tmpl_ntests);

    for (i = 0; i < ext->nfilters; i++) {
        snprintf(src, sizeof(src), "{{ x|%s }}", ext->filters[i].name);
        is_str(compile_msg(src, 1), "", "cookiecutter's %s filter compiles",
               ext->filters[i].name);
        snprintf(want, sizeof(want), "No filter named '%s'.",
                 ext->filters[i].name);
        is_str(compile_msg(src, 0), want, "the engine alone does not know "
               "%s", ext->filters[i].name);
    }

    for (i = 0; i < ext->nglobals; i++) {
        ok(djass_table_find(ext->globals, ext->nglobals,
                            sizeof(djass_global_t), ext->globals[i].name,
                            strlen(ext->globals[i].name))
           == &ext->globals[i], "cookiecutter's %s() resolves",
           ext->globals[i].name);
    }

    is_str(compile_msg("{{ x|nope }}", 1), "No filter named 'nope'.",
           "an unknown filter fails at compile time as in Jinja2");
    is_str(compile_msg("{{ x|lowe }}", 1), "No filter named 'lowe'.",
           "a prefix of a filter name is no filter");
    is_str(compile_msg("{{ x|lowers }}", 1), "No filter named 'lowers'.",
           "a longer name is no filter");
    is_str(compile_msg("{% if x is nope %}{% endif %}", 1),
           "No test named 'nope'.",
           "an unknown test fails at compile time as in Jinja2");
    is_str(compile_msg("{{ x|slugify }}", 0), "No filter named 'slugify'.",
           "the engine alone knows no cookiecutter filter");
    is_str(compile_msg("{% now 'utc' %}", 0),
           "Encountered unknown tag 'now'.",
           "the engine alone knows no {%% now %%}");
    is_str(compile_msg("{% now 'utc' %}", 1), "",
           "{%% now %%} compiles with cookiecutter's extensions");
    is_str(render_msg("{{ nope() }}"), "'nope' is undefined",
           "an unknown function is undefined");
    is_str(render_msg("{{ cookiecutter() }}"),
           "'cookiecutter' is not callable",
           "a variable is not callable");
    is_str(render_msg("{{ cookiecutter.x is eq }}"), "No test named 'eq'.",
           "eq without its argument is no test (as before)");
    is_str(render_msg("{{ uuid4()|length }}"), "",
           "cookiecutter's uuid4() renders");
    is_str(render_msg("{{ range(3)|join(',') }}"), "", "range() renders");

    return done_testing();
}
