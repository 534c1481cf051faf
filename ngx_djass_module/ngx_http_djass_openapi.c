/*
 * GET /openapi.json: the OpenAPI 3.1 document of the API, built when nginx
 * reads its configuration, once per djass_api location, and served from
 * memory like the catalog (strong ETag, 304 on If-None-Match).
 *
 * The fixed part lives in ngx_http_djass_openapi.json (embedded at build
 * time by json2c); what depends on the deployment is filled in here: the
 * server URL (the location's prefix), the body of POST /projects from the
 * loaded template (every option, flags as "y"/"n" enums, choices as enums
 * of their values), the flag keys the catalog may name, and the catalog
 * itself as the example of GET /project-options.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_md5.h>

#include "ngx_http_djass_module.h"
#include "djass_openapi.h"


static json_t *ngx_http_djass_openapi_option(const char *key, json_t *value);
static json_t *ngx_http_djass_openapi_path(json_t *doc, const char *path);


static ngx_str_t  ngx_http_djass_openapi_cache_control =
    ngx_string("public, max-age=300");


char *
ngx_http_djass_openapi_build(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf, ngx_http_djass_loc_conf_t *dlcf)
{
    char          *text;
    u_char        *p;
    size_t         len;
    json_t        *doc, *props, *flags, *prop, *value, *catalog, *o;
    ngx_md5_t      md5;
    const char    *k;
    json_error_t   jerr;
    u_char         digest[16];
    u_char         url[256];

    doc = json_loads(djass_openapi_skeleton, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass: the built-in OpenAPI document is invalid, "
                           "line %d: %s", jerr.line, jerr.text);
        return NGX_CONF_ERROR;
    }

    /* the server: the location's prefix without its last "/" */

    len = dlcf->prefix.len;
    if (len > 1 && dlcf->prefix.data[len - 1] == '/') {
        len--;
    }

    if (len >= sizeof(url)) {
        len = sizeof(url) - 1;
    }

    ngx_memcpy(url, dlcf->prefix.data, len);
    url[len] = '\0';

    o = json_array_get(json_object_get(doc, "servers"), 0);
    if (o == NULL
        || json_object_set_new(o, "url", json_string((char *) url)) != 0)
    {
        goto failed;
    }

    /* the options of POST /projects, and the flags the catalog names */

    props = ngx_http_djass_openapi_path(doc,
                "components/schemas/CreateProject/properties");
    flags = json_array();

    if (props == NULL || flags == NULL) {
        json_decref(flags);
        goto failed;
    }

    if (json_object_set_new(ngx_http_djass_openapi_path(doc,
                                "components/schemas/FlagKey"),
                            "enum", flags)
        != 0)
    {
        goto failed;
    }

    json_object_foreach(dmcf->cookiecutter, k, value) {
        if (k[0] == '_') {
            continue;
        }

        if (ngx_http_djass_is_flag(value)
            && json_array_append_new(flags, json_string(k)) != 0)
        {
            goto failed;
        }

        prop = ngx_http_djass_openapi_option(k, value);

        if (prop == NULL || json_object_set_new(props, k, prop) != 0) {
            goto failed;
        }
    }

    /* the catalog as it is served, as the example of its answer */

    catalog = json_loadb((char *) dmcf->options_body.data,
                         dmcf->options_body.len, 0, &jerr);
    o = ngx_http_djass_openapi_path(doc, "components/schemas/Catalog");

    if (catalog == NULL || o == NULL
        || json_object_set_new(o, "example", catalog) != 0)
    {
        goto failed;
    }

    text = json_dumps(doc, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(doc);

    if (text == NULL) {
        return NGX_CONF_ERROR;
    }

    dlcf->openapi_body.len = ngx_strlen(text);
    dlcf->openapi_body.data = ngx_pnalloc(cf->pool, dlcf->openapi_body.len);
    if (dlcf->openapi_body.data == NULL) {
        free(text);
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(dlcf->openapi_body.data, text, dlcf->openapi_body.len);
    free(text);

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, dlcf->openapi_body.data, dlcf->openapi_body.len);
    ngx_md5_final(digest, &md5);

    dlcf->openapi_etag.len = 2 + 32;
    dlcf->openapi_etag.data = ngx_pnalloc(cf->pool, dlcf->openapi_etag.len);
    if (dlcf->openapi_etag.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = dlcf->openapi_etag.data;
    *p++ = '"';
    p = ngx_hex_dump(p, digest, 16);
    *p = '"';

    return NGX_CONF_OK;

failed:

    json_decref(doc);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "djass: cannot build the OpenAPI document");

    return NGX_CONF_ERROR;
}


/*
 * One option of the template as a property of the create body: a flag is
 * "y" or "n", a choice one of its values, anything else free text (its
 * default shown when it is not a template expression).
 */

static json_t *
ngx_http_djass_openapi_option(const char *key, json_t *value)
{
    size_t       i;
    json_t      *prop, *choices, *v;
    const char  *s;

    prop = json_object();
    if (prop == NULL) {
        return NULL;
    }

    if (json_object_set_new(prop, "type", json_string("string")) != 0) {
        goto failed;
    }

    if (ngx_http_djass_is_flag(value)) {
        s = json_is_array(value) ? json_string_value(json_array_get(value, 0))
                                  : json_string_value(value);

        if (json_object_set_new(prop, "enum", json_pack("[s, s]", "y", "n"))
            != 0
            || json_object_set_new(prop, "default", json_string(s)) != 0)
        {
            goto failed;
        }

        return prop;
    }

    if (json_is_array(value)) {
        choices = json_array();

        if (choices == NULL
            || json_object_set_new(prop, "enum", choices) != 0)
        {
            goto failed;
        }

        json_array_foreach(value, i, v) {
            if (json_is_string(v) && json_array_append(choices, v) != 0) {
                goto failed;
            }
        }

        if (json_array_size(choices)
            && json_object_set(prop, "default", json_array_get(choices, 0))
               != 0)
        {
            goto failed;
        }

        return prop;
    }

    if (ngx_strcmp(key, "project_name") == 0) {
        if (json_object_set_new(prop, "minLength", json_integer(1)) != 0
            || json_object_set_new(prop, "maxLength", json_integer(200)) != 0
            || json_object_set_new(prop, "description",
                   json_string("The project's name: 1 to 200 characters."))
               != 0)
        {
            goto failed;
        }

    } else if (json_object_set_new(prop, "description",
                   json_string("Free text, at most 1,000 bytes (200 for "
                               "project_slug and caprover_app_name once "
                               "derived).")) != 0)
    {
        goto failed;
    }

    s = json_string_value(value);

    if (s && ngx_strstr(s, "{{") == NULL && ngx_strstr(s, "{%") == NULL
        && json_object_set_new(prop, "default", json_string(s)) != 0)
    {
        goto failed;
    }

    return prop;

failed:

    json_decref(prop);

    return NULL;
}


/* the object at "a/b/c" of the document, NULL when it is not there */

static json_t *
ngx_http_djass_openapi_path(json_t *doc, const char *path)
{
    char         name[64];
    size_t       n;
    const char  *slash;

    while (doc && *path) {
        slash = ngx_strchr(path, '/');
        n = slash ? (size_t) (slash - path) : ngx_strlen(path);

        if (n >= sizeof(name)) {
            return NULL;
        }

        ngx_memcpy(name, path, n);
        name[n] = '\0';

        doc = json_object_get(doc, name);
        path += n + (slash ? 1 : 0);
    }

    return json_is_object(doc) ? doc : NULL;
}


ngx_int_t
ngx_http_djass_openapi_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_table_elt_t            *h;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    h = ngx_http_djass_add_header(r, "ETag", &dlcf->openapi_etag);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.etag = h;

    if (ngx_http_djass_add_header(r, "Cache-Control",
                                  &ngx_http_djass_openapi_cache_control)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &dlcf->openapi_body);
}
