/*
 * Fuzz target: the template engine (lib/jinja/) with cookiecutter's
 * extensions (lib/cookiecutter/): the input is a template, compiled and
 * rendered against a small fixed context, with an {% include %} loader
 * that knows one file ("inc.txt").  The input's length picks the
 * _jinja2_env_vars options (none, trim_blocks, lstrip_blocks, both), so
 * the same corpus covers all four.
 *
 * Checks beyond ASan/UBSan and leaks: a failed compile or render sets an
 * error message; a render's length is the length of its output.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_cookiecutter.h"


#define fuzz_assert(c)                                                       \
    if (!(c)) {                                                              \
        fprintf(stderr, "fuzz_tmpl: %s:%d: %s\n", __FILE__, __LINE__, #c);   \
        abort();                                                             \
    }


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char  fuzz_context[] =
    "{\"cookiecutter\": {"
    "\"project_name\": \"My Blog\", \"project_slug\": \"my_blog\","
    "\"author_name\": \"Daniel Roy Greenfeld\","
    "\"email\": \"daniel@example.com\", \"version\": \"0.1.0\","
    "\"use_docker\": \"y\", \"use_celery\": \"n\","
    "\"open_source_license\": [\"MIT\", \"BSD\", \"Not open source\"],"
    "\"number\": 42, \"ratio\": 1.5, \"yes\": true, \"none\": null,"
    "\"nested\": {\"a\": [1, 2, {\"b\": \"c\"}], \"d\": \"\\u00e9\\u4e2d\"},"
    "\"_private\": \"{{ cookiecutter.project_name }}\","
    "\"__prompts__\": {\"project_name\": \"Name?\"}"
    "}, \"items\": [\"a\", \"b\", \"c\"]}";

static const char  fuzz_include[] =
    "inc: {{ cookiecutter.project_slug }}{% for i in items %}{{ i }}"
    "{% endfor %}\n";

static json_t        *fuzz_vars;
static djass_tmpl_t  *fuzz_inc;


static djass_tmpl_t *
fuzz_loader(void *data, const char *name, djass_err_t *err)
{
    return strcmp(name, "inc.txt") == 0 ? fuzz_inc : NULL;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    djass_err_t  err;

    memset(&err, 0, sizeof(djass_err_t));

    fuzz_vars = json_loads(fuzz_context, 0, NULL);
    fuzz_inc = djass_tmpl_compile(fuzz_include, sizeof(fuzz_include) - 1,
                                  "inc.txt", &err);

    if (fuzz_vars == NULL || fuzz_inc == NULL) {
        fprintf(stderr, "fuzz_tmpl: the fixed context or include: %s\n",
                err.msg);
        exit(1);
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            flags;
    char          *out;
    size_t         len;
    djass_err_t    err;
    djass_tmpl_t  *t;

    static const int  modes[] = {
        0, DJASS_TMPL_TRIM_BLOCKS, DJASS_TMPL_LSTRIP_BLOCKS,
        DJASS_TMPL_TRIM_BLOCKS | DJASS_TMPL_LSTRIP_BLOCKS
    };

    memset(&err, 0, sizeof(djass_err_t));
    flags = modes[size % 4];

    t = djass_tmpl_compile_flags((const char *) data, size, "fuzz.txt",
                                 flags, &err);
    if (t == NULL) {
        fuzz_assert(err.msg[0] != '\0');
        return 0;
    }

    len = (size_t) -1;
    out = djass_tmpl_render_ex(t, fuzz_vars, fuzz_loader, NULL, &len, &err);

    if (out == NULL) {
        fuzz_assert(err.msg[0] != '\0');

    } else {
        fuzz_assert(len != (size_t) -1 && out[len] == '\0');
        fuzz_assert(strlen(out) <= len);
        free(out);
    }

    djass_tmpl_free(t);

    return 0;
}
