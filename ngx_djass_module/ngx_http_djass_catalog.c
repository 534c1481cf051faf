/*
 * The generator option catalog: read from the template's cookiecutter.json
 * when nginx loads its configuration, rendered once into the body of
 * GET /project-options and served from memory.
 *
 * Groups, labels and descriptions live with the template, in the private
 * key "_djass_catalog"; a flag the template adds without them still shows,
 * with a label made from its key, in the group "other".
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_md5.h>

#include "ngx_http_djass_module.h"


#define NGX_HTTP_DJASS_CATALOG_KEY  "_djass_catalog"


static json_t *ngx_http_djass_build_options(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf, ngx_str_t *file);
static ngx_int_t ngx_http_djass_add_group(json_t *groups, const char *key,
    const char *label, json_t *flags, json_t *cc, json_t *meta,
    json_t *seen);
static json_t *ngx_http_djass_option(const char *key, json_t *value,
    const char *group, json_t *meta);
static void ngx_http_djass_label_from_key(const char *key, char *label,
    size_t size);


static ngx_str_t  ngx_http_djass_cache_control =
    ngx_string("public, max-age=300");


char *
ngx_http_djass_load_template(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf)
{
    char             *text;
    u_char           *p;
    json_t           *options;
    ngx_str_t         file;
    ngx_md5_t         md5;
    json_error_t      jerr;
    ngx_file_info_t   fi;
    u_char            digest[16];

    file.len = dmcf->template_dir.len + sizeof("/cookiecutter.json") - 1;
    file.data = ngx_pnalloc(cf->pool, file.len + 1);
    if (file.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(file.data, dmcf->template_dir.data,
                   dmcf->template_dir.len);
    ngx_memcpy(p, "/cookiecutter.json", sizeof("/cookiecutter.json"));

    if (ngx_file_info(file.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "djass_template: cannot read \"%V\"", &file);
        return NGX_CONF_ERROR;
    }

    dmcf->options_mtime = ngx_file_mtime(&fi);

    dmcf->cookiecutter = json_load_file((char *) file.data,
                                        JSON_REJECT_DUPLICATES, &jerr);
    if (dmcf->cookiecutter == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_template: invalid JSON in \"%V\", "
                           "line %d: %s", &file, jerr.line, jerr.text);
        return NGX_CONF_ERROR;
    }

    if (!json_is_object(dmcf->cookiecutter)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_template: \"%V\" is not a JSON object",
                           &file);
        return NGX_CONF_ERROR;
    }

    options = ngx_http_djass_build_options(cf, dmcf, &file);
    if (options == NULL) {
        return NGX_CONF_ERROR;
    }

    text = json_dumps(options, JSON_COMPACT|JSON_PRESERVE_ORDER);
    json_decref(options);

    if (text == NULL) {
        return NGX_CONF_ERROR;
    }

    dmcf->options_body.len = ngx_strlen(text);
    dmcf->options_body.data = ngx_pnalloc(cf->pool, dmcf->options_body.len);
    if (dmcf->options_body.data == NULL) {
        free(text);
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(dmcf->options_body.data, text, dmcf->options_body.len);
    free(text);

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, dmcf->options_body.data, dmcf->options_body.len);
    ngx_md5_final(digest, &md5);

    dmcf->options_etag.len = 2 + 32;
    dmcf->options_etag.data = ngx_pnalloc(cf->pool, dmcf->options_etag.len);
    if (dmcf->options_etag.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = dmcf->options_etag.data;
    *p++ = '"';
    p = ngx_hex_dump(p, digest, 16);
    *p = '"';

    return ngx_http_djass_help_build(cf, dmcf);
}


static json_t *
ngx_http_djass_build_options(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf, ngx_str_t *file)
{
    size_t       i;
    json_t      *cc, *meta, *defaults, *groups, *other, *seen, *out, *value;
    json_t      *group, *key, *label, *list;
    ngx_int_t    rc;
    const char  *k;

    cc = dmcf->cookiecutter;
    meta = json_object_get(cc, NGX_HTTP_DJASS_CATALOG_KEY);

    if (meta != NULL && !json_is_object(meta)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_template: \"%s\" in \"%V\" "
                           "is not an object",
                           NGX_HTTP_DJASS_CATALOG_KEY, file);
        return NULL;
    }

    out = json_object();
    defaults = json_object();
    groups = json_array();
    other = json_array();
    seen = json_object();

    if (out == NULL || defaults == NULL || groups == NULL || other == NULL
        || seen == NULL)
    {
        goto failed;
    }

    json_object_foreach(cc, k, value) {
        if (k[0] != '_' && json_object_set(defaults, k, value) != 0) {
            goto failed;
        }
    }

    json_array_foreach(json_object_get(meta, "groups"), i, group) {
        key = json_object_get(group, "key");
        label = json_object_get(group, "label");
        list = json_object_get(group, "options");

        if (!json_is_string(key) || !json_is_array(list)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "djass_template: group %uz in \"%V\" needs "
                               "a \"key\" string and an \"options\" list",
                               i, file);
            goto failed;
        }

        rc = ngx_http_djass_add_group(groups, json_string_value(key),
                                      json_is_string(label)
                                      ? json_string_value(label)
                                      : json_string_value(key),
                                      list, cc, meta, seen);

        if (rc == NGX_HTTP_DJASS_BAD_VALUE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "djass_template: group \"%s\" in \"%V\" "
                               "lists an option that is not a \"y\"/\"n\" "
                               "flag of the template, or lists one twice",
                               json_string_value(key), file);
            goto failed;
        }

        if (rc != NGX_OK) {
            goto failed;
        }
    }

    /* the flags no group names: the group "other", in file order */

    json_object_foreach(cc, k, value) {
        if (k[0] != '_' && ngx_http_djass_is_flag(value)
            && json_object_get(seen, k) == NULL
            && json_array_append_new(other, json_string(k)) != 0)
        {
            goto failed;
        }
    }

    if (ngx_http_djass_add_group(groups, "other", "Other", other, cc, meta,
                                 seen)
        != NGX_OK)
    {
        goto failed;
    }

    json_decref(other);
    json_decref(seen);

    if (json_object_set_new(out, "defaults", defaults) != 0) {
        json_decref(groups);
        json_decref(out);
        return NULL;
    }

    if (json_object_set_new(out, "groups", groups) != 0) {
        json_decref(out);
        return NULL;
    }

    return out;

failed:

    json_decref(out);
    json_decref(defaults);
    json_decref(groups);
    json_decref(other);
    json_decref(seen);

    return NULL;
}


/*
 * NGX_HTTP_DJASS_BAD_VALUE: the list names something that is not a flag,
 * or names one twice.
 */

static ngx_int_t
ngx_http_djass_add_group(json_t *groups, const char *key, const char *label,
    json_t *list, json_t *cc, json_t *meta, json_t *seen)
{
    size_t       i;
    json_t      *group, *options, *name, *option;
    const char  *k;

    if (json_array_size(list) == 0) {
        return NGX_OK;
    }

    options = json_array();
    group = json_pack("{s:s, s:s, s:o}", "key", key, "label", label,
                      "options", options);
    if (group == NULL) {
        return NGX_ERROR;
    }

    json_array_foreach(list, i, name) {
        k = json_string_value(name);

        if (k == NULL || !ngx_http_djass_is_flag(json_object_get(cc, k))
            || json_object_get(seen, k) != NULL)
        {
            json_decref(group);
            return NGX_HTTP_DJASS_BAD_VALUE;
        }

        option = ngx_http_djass_option(k, json_object_get(cc, k), key,
                                       json_object_get(json_object_get(meta,
                                                       "options"), k));

        if (option == NULL
            || json_array_append_new(options, option) != 0
            || json_object_set_new(seen, k, json_true()) != 0)
        {
            json_decref(group);
            return NGX_ERROR;
        }
    }

    if (json_array_append_new(groups, group) != 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static json_t *
ngx_http_djass_option(const char *key, json_t *value, const char *group,
    json_t *meta)
{
    json_t      *label, *description;
    const char  *dflt;
    char         buf[256];

    label = json_object_get(meta, "label");
    description = json_object_get(meta, "description");

    if (!json_is_string(label)) {
        ngx_http_djass_label_from_key(key, buf, sizeof(buf));
    }

    dflt = json_is_array(value) ? json_string_value(json_array_get(value, 0))
                                : json_string_value(value);

    return json_pack("{s:s, s:s, s:s, s:s, s:s}",
                     "key", key,
                     "label", json_is_string(label)
                              ? json_string_value(label) : buf,
                     "description", json_is_string(description)
                                    ? json_string_value(description) : "",
                     "default", dflt,
                     "category", group);
}


/* "use_posthog" -> "Use Posthog" */

static void
ngx_http_djass_label_from_key(const char *key, char *label, size_t size)
{
    size_t      n;
    ngx_uint_t  word;

    word = 1;

    for (n = 0; key[n] && n < size - 1; n++) {
        if (key[n] == '_') {
            label[n] = ' ';
            word = 1;
            continue;
        }

        label[n] = word ? ngx_toupper(key[n]) : key[n];
        word = 0;
    }

    label[n] = '\0';
}


/* a feature flag: "y" or "n", or a choice of exactly those */

ngx_int_t
ngx_http_djass_is_flag(json_t *value)
{
    const char  *s;

    if (json_is_array(value)) {
        if (json_array_size(value) != 2) {
            return 0;
        }

        return ngx_http_djass_is_flag(json_array_get(value, 0))
               && ngx_http_djass_is_flag(json_array_get(value, 1));
    }

    s = json_string_value(value);

    return s != NULL && (ngx_strcmp(s, "y") == 0 || ngx_strcmp(s, "n") == 0);
}


ngx_int_t
ngx_http_djass_options_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_table_elt_t             *h;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    h = ngx_http_djass_add_header(r, "ETag", &dmcf->options_etag);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.etag = h;

    r->headers_out.last_modified_time = dmcf->options_mtime;

    if (ngx_http_djass_add_header(r, "Cache-Control",
                                  &ngx_http_djass_cache_control)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &dmcf->options_body);
}
