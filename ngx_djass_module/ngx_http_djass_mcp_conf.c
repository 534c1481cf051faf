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
static ngx_int_t ngx_http_djass_mcp_base_valid(ngx_str_t *v);
static ngx_int_t ngx_http_djass_mcp_path_valid(u_char *p, u_char *last);


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

    if (ngx_http_djass_mcp_base_valid(&value[1]) != NGX_OK) {
        return "must be an absolute path or an absolute http:// or "
               "https:// URL (a host, an optional port, a path; no user, "
               "query nor fragment; no space, quote or control character)";
    }

    mcf->api_base = value[1];

    while (mcf->api_base.len > 1
           && mcf->api_base.data[mcf->api_base.len - 1] == '/')
    {
        mcf->api_base.len--;
    }

    return NGX_CONF_OK;
}


/* a URL path's characters: unreserved, sub-delims, ":", "@", "/", %HH */

static ngx_int_t
ngx_http_djass_mcp_path_valid(u_char *p, u_char *last)
{
    u_char  c;

    for ( /* void */ ; p < last; p++) {
        c = *p;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || ngx_strlchr((u_char *) "-._~!$&'()*+,;=:@/",
                           (u_char *) "-._~!$&'()*+,;=:@/" + 18, c))
        {
            continue;
        }

        if (c == '%' && last - p > 2 && isxdigit(p[1]) && isxdigit(p[2])) {
            p += 2;
            continue;
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * djass_mcp_api_base: "/path", or "http(s)://host[:port][/path]" with host
 * a name of letters, digits, "-" and "." or an "[IPv6]" literal
 */

static ngx_int_t
ngx_http_djass_mcp_base_valid(ngx_str_t *v)
{
    u_char     *p, *last, *host, *end;
    ngx_int_t   port;

    p = v->data;
    last = p + v->len;

    if (v->len && p[0] == '/') {
        return ngx_http_djass_mcp_path_valid(p, last);
    }

    if (v->len > 7 && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0) {
        p += 7;

    } else if (v->len > 8
               && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
    {
        p += 8;

    } else {
        return NGX_ERROR;
    }

    end = ngx_strlchr(p, last, '/');
    end = end ? end : last;

    host = p;

    if (p < end && *p == '[') {
        for (p++; p < end && (isxdigit(*p) || *p == ':' || *p == '.'); p++) {
            /* void */
        }

        if (p == end || *p != ']' || p - host < 3) {
            return NGX_ERROR;
        }

        p++;

    } else {
        for ( /* void */ ;
             p < end && (isalnum(*p) || *p == '-' || *p == '.');
             p++)
        {
            /* void */
        }

        if (p == host || *host == '.' || *host == '-') {
            return NGX_ERROR;
        }
    }

    if (p < end) {
        if (*p != ':' || end - p < 2 || end - p > 6) {
            return NGX_ERROR;
        }

        port = ngx_atoi(p + 1, end - p - 1);
        if (port < 1 || port > 65535) {
            return NGX_ERROR;
        }
    }

    return ngx_http_djass_mcp_path_valid(end, last);
}


/*
 * The server's exact names, for the Origin rule: nginx keeps its
 * server_names array in the configuration's temporary pool, gone once
 * nginx runs; a ".example.com" name counts as example.com, wildcards and
 * regular expressions not at all.  Called when the location is merged,
 * with the whole server read.
 */

char *
ngx_http_djass_mcp_merge(ngx_conf_t *cf, void *mcp)
{
    ngx_http_djass_mcp_conf_t  *mcf = mcp;

    ngx_str_t                 name, *n;
    ngx_uint_t                i;
    ngx_http_server_name_t   *sn;
    ngx_http_core_srv_conf_t *cscf;

    if (!mcf->enabled || mcf->names) {
        return NGX_CONF_OK;
    }

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    mcf->names = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (mcf->names == NULL) {
        return NGX_CONF_ERROR;
    }

    sn = cscf->server_names.elts;

    for (i = 0; i < cscf->server_names.nelts; i++) {
        name = sn[i].name;

        if (name.len && name.data[0] == '.') {
            name.data++;
            name.len--;
        }

        if (name.len == 0 || name.data[0] == '~'
            || ngx_strlchr(name.data, name.data + name.len, '*'))
        {
            continue;
        }

        n = ngx_array_push(mcf->names);
        if (n == NULL) {
            return NGX_CONF_ERROR;
        }

        n->len = name.len;
        n->data = ngx_pstrdup(cf->pool, &name);
        if (n->data == NULL) {
            return NGX_CONF_ERROR;
        }
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
