/*
 * The MCP endpoint's directives: djass_mcp makes a location the endpoint
 * (its tools and their schemas are built then, from the loaded template:
 * create_project's input schema is made here), djass_mcp_allow_origin and
 * djass_mcp_api_base set it up.  The endpoint itself is
 * ngx_http_djass_mcp.c, its tools ngx_http_djass_mcp_tools.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_mcp.h"


static ngx_http_djass_mcp_conf_t *ngx_http_djass_mcp_conf(ngx_conf_t *cf,
    ngx_http_djass_loc_conf_t *dlcf);


/* the directives */

char *
ngx_http_djass_mcp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_djass_loc_conf_t  *dlcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_djass_mcp_conf_t   *mcf;
    ngx_http_djass_main_conf_t  *dmcf;

    mcf = ngx_http_djass_mcp_conf(cf, dlcf);
    if (mcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (mcf->enabled) {
        return "is duplicate";
    }

    if (dlcf->api == 1) {
        return "cannot be in the same location as \"djass_api\"";
    }

    if (dlcf->query_auth == 1) {
        return "never takes the API key from the query string: "
               "remove \"djass_query_auth on\" from its location";
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_djass_module);
    if (dmcf->cookiecutter == NULL) {
        return "requires \"djass_template\" before it at the http level";
    }

    /* the key in a header only: djass_query_auth is off here */
    dlcf->query_auth = 0;

    if (ngx_http_djass_mcp_tools_init(cf, mcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    mcf->enabled = 1;
    dmcf->enabled = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_djass_mcp_handler;

    return NGX_CONF_OK;
}


char *
ngx_http_djass_mcp_allow_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t                  *value, *o;
    ngx_uint_t                  i;
    ngx_http_djass_mcp_conf_t  *mcf;

    mcf = ngx_http_djass_mcp_conf(cf, conf);
    if (mcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (mcf->origins == NULL) {
        mcf->origins = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (mcf->origins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        o = ngx_array_push(mcf->origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];

        /* "https://app.example/" and "https://app.example" are one origin */
        if (o->len > 1 && o->data[o->len - 1] == '/') {
            o->len--;
        }
    }

    return NGX_CONF_OK;
}


char *
ngx_http_djass_mcp_api_base(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                  *value;
    ngx_http_djass_mcp_conf_t  *mcf;

    mcf = ngx_http_djass_mcp_conf(cf, conf);
    if (mcf == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (!(value[1].len && value[1].data[0] == '/')
        && ngx_strncmp(value[1].data, "http://", 7) != 0
        && ngx_strncmp(value[1].data, "https://", 8) != 0)
    {
        return "must be an absolute path or an http(s):// URL";
    }

    mcf->api_base = value[1];

    while (mcf->api_base.len > 1
           && mcf->api_base.data[mcf->api_base.len - 1] == '/')
    {
        mcf->api_base.len--;
    }

    return NGX_CONF_OK;
}


static ngx_http_djass_mcp_conf_t *
ngx_http_djass_mcp_conf(ngx_conf_t *cf, ngx_http_djass_loc_conf_t *dlcf)
{
    ngx_http_djass_mcp_conf_t  *mcf;

    if (dlcf->mcp) {
        return dlcf->mcp;
    }

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_djass_mcp_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->enabled = 0;
     *     mcf->origins = NULL;
     *     mcf->tools = { 0, NULL };
     */

    ngx_str_set(&mcf->api_base, "/api/v1");

    dlcf->mcp = mcf;

    return mcf;
}


/*
 * create_project's arguments: every option of cookiecutter.json (not the
 * private "_" ones), a string each; a flag is "y" or "n", a choice one of
 * its values; the default is the template's unless it is computed from
 * the other options (a Jinja expression).  Labels and descriptions come
 * from the catalog of GET /project-options.
 */

json_t *
ngx_http_djass_mcp_create_input(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf)
{
    size_t        i, j;
    json_t       *schema, *props, *prop, *value, *catalog, *group, *option;
    json_t       *described, *e;
    const char   *key, *d, *label, *text;
    json_error_t  jerr;
    char          buf[1024];

    catalog = json_loadb((char *) dmcf->options_body.data,
                         dmcf->options_body.len, 0, &jerr);

    described = json_object();
    schema = json_pack("{s:s, s:{}, s:[s], s:b}", "type", "object",
                       "properties", "required", "project_name",
                       "additionalProperties", 0);

    if (described == NULL || schema == NULL) {
        goto failed;
    }

    /* "label: description" of each option the catalog describes */

    json_array_foreach(json_object_get(catalog, "groups"), i, group) {
        json_array_foreach(json_object_get(group, "options"), j, option) {
            key = json_string_value(json_object_get(option, "key"));
            label = json_string_value(json_object_get(option, "label"));
            text = json_string_value(json_object_get(option, "description"));

            if (key == NULL || label == NULL) {
                continue;
            }

            (void) ngx_snprintf((u_char *) buf, sizeof(buf) - 1, "%s%s%s%Z",
                                label, text && text[0] ? ": " : "",
                                text ? text : "");
            buf[sizeof(buf) - 1] = '\0';

            if (json_object_set_new(described, key, json_string(buf)) != 0) {
                goto failed;
            }
        }
    }

    props = json_object_get(schema, "properties");

    json_object_foreach(dmcf->cookiecutter, key, value) {
        if (key[0] == '_') {
            continue;
        }

        prop = json_pack("{s:s}", "type", "string");
        if (prop == NULL || json_object_set_new(props, key, prop) != 0) {
            goto failed;
        }

        if (ngx_http_djass_is_flag(value)) {
            e = json_pack("[s, s]", "y", "n");
            if (e == NULL || json_object_set_new(prop, "enum", e) != 0) {
                goto failed;
            }

            d = json_string_value(json_is_array(value)
                                  ? json_array_get(value, 0) : value);

        } else if (json_is_array(value)) {
            e = json_array();
            if (e == NULL || json_object_set_new(prop, "enum", e) != 0) {
                goto failed;
            }

            json_array_foreach(value, i, option) {
                if (json_is_string(option)
                    && json_array_append(e, option) != 0)
                {
                    goto failed;
                }
            }

            d = json_string_value(json_array_get(value, 0));

        } else {
            d = json_string_value(value);
        }

        text = json_string_value(json_object_get(described, key));

        if (d && (ngx_strstr(d, "{{") || ngx_strstr(d, "{%"))) {
            (void) ngx_snprintf((u_char *) buf, sizeof(buf) - 1,
                                "%s%sDefault: computed by the template "
                                "from the other options.%Z",
                                text ? text : "", text ? ". " : "");
            buf[sizeof(buf) - 1] = '\0';
            text = buf;
            d = NULL;

        } else if (ngx_strcmp(key, "author_email") == 0 && d && d[0] == '\0')
        {
            text = "The author's email. Default: the email of this API "
                   "key's profile.";
            d = NULL;
        }

        if (d && json_object_set_new(prop, "default", json_string(d)) != 0) {
            goto failed;
        }

        if (text
            && json_object_set_new(prop, "description", json_string(text))
               != 0)
        {
            goto failed;
        }
    }

    /* not an option: the Idempotency-Key of POST /projects */

    prop = json_pack("{s:s, s:i, s:i, s:s, s:s}", "type", "string",
                     "minLength", 1, "maxLength", 255,
                     "pattern", "^[!-~]+$",
                     "description",
                     "Optional. Retrying with the same key and the same "
                     "options returns the first answer again instead of "
                     "creating a second project (as the Idempotency-Key "
                     "header of POST /projects).");
    if (prop == NULL
        || json_object_set_new(props, "idempotency_key", prop) != 0)
    {
        goto failed;
    }

    json_decref(catalog);
    json_decref(described);

    return schema;

failed:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "djass_mcp: cannot build create_project's schema");

    json_decref(catalog);
    json_decref(described);
    json_decref(schema);

    return NULL;
}
