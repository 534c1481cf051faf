/*
 * Fuzz target: the body of POST /projects, through the module's own
 * ngx_http_djass_payload.c (ngx_http_djass_payload_parse) with the
 * shipped template's cookiecutter.json as the catalog (path in
 * DJASS_FUZZ_COOKIECUTTER, else template/cookiecutter.json from the
 * current folder).  The input is the body.  nginx's own functions come
 * from ngx_shim.c.
 *
 * Checks beyond ASan/UBSan: an accepted body has a non-empty name and
 * slug, a slug of [a-z0-9_] only, and an input_payload that is a JSON
 * object once the email hole is filled; a refused one has a code, a
 * message and details that are JSON.
 */

#include <stdio.h>
#include <stdlib.h>

#include "ngx_shim.h"
#include "ngx_http_djass_module.h"


#define fuzz_assert(c)                                                       \
    if (!(c)) {                                                              \
        fprintf(stderr, "fuzz_payload: %s:%d: %s\n", __FILE__, __LINE__,     \
                #c);                                                         \
        abort();                                                             \
    }


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static ngx_http_djass_main_conf_t  fuzz_dmcf;
static void                       *fuzz_main_conf[1] = { &fuzz_dmcf };


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char          *path;
    json_error_t   jerr;

    path = getenv("DJASS_FUZZ_COOKIECUTTER");
    if (path == NULL) {
        path = "template/cookiecutter.json";
    }

    /* as ngx_http_djass_load_template() loads it */
    fuzz_dmcf.cookiecutter = json_load_file(path, JSON_REJECT_DUPLICATES,
                                            &jerr);

    if (!json_is_object(fuzz_dmcf.cookiecutter)) {
        fprintf(stderr, "fuzz_payload: %s: %s (set "
                "DJASS_FUZZ_COOKIECUTTER)\n", path, jerr.text);
        exit(1);
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                      *text;
    json_t                    *json;
    size_t                     i;
    ngx_int_t                  rc;
    ngx_http_request_t        *r;
    ngx_http_djass_payload_t   pl;

    r = ngx_shim_request();
    r->main_conf = fuzz_main_conf;

    rc = ngx_http_djass_payload_parse(r, ngx_shim_copy(data, size), size,
                                      &pl);

    /* NGX_ERROR: the template's defaults failed to render, or no memory */
    fuzz_assert(rc == NGX_OK || rc == NGX_ERROR);

    if (rc == NGX_OK && pl.code) {
        fuzz_assert(pl.message != NULL && pl.details.data != NULL);

        json = json_loadb((char *) pl.details.data, pl.details.len, 0, NULL);
        fuzz_assert(json_is_object(json));
        json_decref(json);

    } else if (rc == NGX_OK) {
        fuzz_assert(pl.name.len > 0 && pl.slug.len > 0);

        for (i = 0; i < pl.slug.len; i++) {
            fuzz_assert((pl.slug.data[i] >= 'a' && pl.slug.data[i] <= 'z')
                        || (pl.slug.data[i] >= '0' && pl.slug.data[i] <= '9')
                        || pl.slug.data[i] == '_');
        }

        text = malloc(pl.head.len + pl.tail.len + sizeof("\"\""));
        fuzz_assert(text != NULL);

        memcpy(text, pl.head.data, pl.head.len);
        i = pl.head.len;

        if (pl.fill_email) {
            memcpy(text + i, "\"\"", 2);
            i += 2;
            memcpy(text + i, pl.tail.data, pl.tail.len);
            i += pl.tail.len;
        }

        json = json_loadb(text, i, 0, NULL);
        free(text);

        fuzz_assert(json_is_object(json));
        json_decref(json);
    }

    ngx_shim_reset();

    return 0;
}
