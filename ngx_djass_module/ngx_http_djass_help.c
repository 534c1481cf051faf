/*
 * GET /api/v1/: help for people at a terminal, without auth.
 *
 * A User-Agent of curl, HTTPie or Wget, or an Accept header without
 * "json" in it (a browser's, curl's "any type"), gets a text/plain page:
 * example commands that work as they are (the one-shot, the POST, the
 * events stream) on the base URL the page was asked on, and every option
 * of the loaded template with its default and allowed values.  An Accept
 * with "json" in it, or a client that sends neither header, gets a small
 * JSON document of links.  Accept wins over User-Agent.
 *
 * The options' part is built once, when the configuration is read
 * (ngx_http_djass_help_build, from the catalog's loader); only the base
 * URL is the request's.  It comes from the Host header, which the client
 * controls: a Host with anything but letters, digits and ".-:[]" (or
 * longer than 255 bytes) is not echoed, the server's name is used.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


#define NGX_HTTP_DJASS_HOST_MAX  255


static ngx_uint_t ngx_http_djass_help_wants_text(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_help_base(ngx_http_request_t *r,
    ngx_str_t *base);
static ngx_uint_t ngx_http_djass_help_host_valid(ngx_str_t *host);
static ngx_int_t ngx_http_djass_help_option(json_t *lines, const char *key,
    json_t *value);
static ngx_int_t ngx_http_djass_help_add(json_t *lines, const char *fmt,
    ...);


static ngx_str_t  ngx_http_djass_text_type =
    ngx_string("text/plain; charset=utf-8");
static ngx_str_t  ngx_http_djass_vary = ngx_string("Accept, User-Agent");


/* the text page; %V is the base URL, in the order of the arguments */

#define NGX_HTTP_DJASS_HELP_HEAD                                             \
    "Djass Projects API v1 at %V\n"                                         \
    "\n"                                                                    \
    "Set KEY to your API key (scopes projects:create and projects:read),\n" \
    "then one command gives you a project: a ZIP, answered once it is\n"    \
    "generated (202 with a Location to poll when that takes longer):\n"     \
    "\n"                                                                    \
    "  curl -fOJ -H \"X-API-Key: $KEY\" "                                   \
    "\"%Vprojects.zip?project_name=Acme\"\n"                                \
    "\n"                                                                    \
    "Any option below goes in the query the same way (\"+\" or %%20 is a\n" \
    "space); the same query again gives the same project, counted once:\n"  \
    "\n"                                                                    \
    "  curl -fOJ -H \"X-API-Key: $KEY\" "                                   \
    "\"%Vprojects.zip?project_name=Acme+CRM&use_stripe=n\"\n"               \
    "\n"                                                                    \
    "Or step by step: create, follow its status as it changes, download:\n" \
    "\n"                                                                    \
    "  curl -sS -X POST -H \"X-API-Key: $KEY\" "                            \
    "-H \"Content-Type: application/json\" \\\n"                            \
    "       -d '{\"project_name\": \"Acme\"}' \"%Vprojects\"\n"             \
    "  curl -N -H \"X-API-Key: $KEY\" \"%Vprojects/ID/events\"\n"           \
    "  curl -fOJ -H \"X-API-Key: $KEY\" \"%Vprojects/ID/download\"\n"       \
    "\n"                                                                    \
    "(ID is the \"id\" of the project the POST answers.)  More:\n"          \
    "  %Vproject-options   the options as JSON (no key needed)\n"          \
    "  %Vopenapi.json      the whole API (OpenAPI 3.1)\n"                  \
    "\n"                                                                    \
    "Options (name, default, allowed values):\n"                            \
    "\n"


/*
 * The options' part of the page: one block per option of the template,
 * in its order.  NGX_CONF_OK or NGX_CONF_ERROR.
 */

char *
ngx_http_djass_help_build(ngx_conf_t *cf, ngx_http_djass_main_conf_t *dmcf)
{
    u_char      *p;
    size_t       i, len;
    json_t      *lines, *value, *meta, *label, *desc, *line;
    const char  *key;

    lines = json_array();
    if (lines == NULL) {
        return NGX_CONF_ERROR;
    }

    meta = json_object_get(json_object_get(dmcf->cookiecutter,
                                           "_djass_catalog"),
                           "options");

    json_object_foreach(dmcf->cookiecutter, key, value) {
        if (key[0] == '_') {
            continue;
        }

        label = json_object_get(json_object_get(meta, key), "label");
        desc = json_object_get(json_object_get(meta, key), "description");

        if (ngx_http_djass_help_add(lines, "  %s\n", key) != NGX_OK
            || ngx_http_djass_help_option(lines, key, value) != NGX_OK
            || (json_is_string(label)
                && ngx_http_djass_help_add(lines, "      %s%s%s\n",
                       json_string_value(label),
                       json_is_string(desc) ? ": " : "",
                       json_is_string(desc) ? json_string_value(desc) : "")
                   != NGX_OK))
        {
            json_decref(lines);
            return NGX_CONF_ERROR;
        }
    }

    len = 0;

    json_array_foreach(lines, i, line) {
        len += json_string_length(line);
    }

    p = ngx_pnalloc(cf->pool, len + 1);
    if (p == NULL) {
        json_decref(lines);
        return NGX_CONF_ERROR;
    }

    dmcf->help_options.data = p;
    dmcf->help_options.len = len;

    json_array_foreach(lines, i, line) {
        p = ngx_cpymem(p, json_string_value(line), json_string_length(line));
    }

    json_decref(lines);

    /* a template's text is trusted, but the page stays plain lines */

    for (p = dmcf->help_options.data; len; p++, len--) {
        if (*p < 0x20 && *p != '\n') {
            *p = ' ';
        }
    }

    return NGX_CONF_OK;
}


/* an option's default and allowed values, as lines */

static ngx_int_t
ngx_http_djass_help_option(json_t *lines, const char *key, json_t *value)
{
    size_t       i;
    json_t      *choice;
    const char  *dflt, *note, *allowed;

    dflt = json_is_array(value) ? json_string_value(json_array_get(value, 0))
                                : json_string_value(value);

    if (dflt == NULL) {
        /* not a string: the payload refuses to set it */
        return ngx_http_djass_help_add(lines, "      fixed by the template "
                                       "(not settable)\n");
    }

    note = "";

    if (ngx_strcmp(key, "author_email") == 0 && dflt[0] == '\0') {
        note = " (empty: your profile's email)";

    } else if (ngx_strstr(dflt, "{{")) {
        note = " (computed from the other options)";
    }

    if (ngx_http_djass_help_add(lines, "      default: \"%s\"%s\n", dflt,
                                note)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_djass_is_flag(value)) {
        allowed = "y or n";

    } else if (json_is_array(value)) {
        if (ngx_http_djass_help_add(lines, "      allowed: one of") != NGX_OK) {
            return NGX_ERROR;
        }

        json_array_foreach(value, i, choice) {
            if (json_is_string(choice)
                && ngx_http_djass_help_add(lines, " \"%s\"",
                                           json_string_value(choice))
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        return ngx_http_djass_help_add(lines, "\n");

    } else if (ngx_strcmp(key, "project_name") == 0) {
        allowed = "any text, required (at most 200 characters)";

    } else if (ngx_strcmp(key, "project_slug") == 0) {
        allowed = "letters, digits and \"_\" (anything else is slugified)";

    } else {
        allowed = "any text";
    }

    return ngx_http_djass_help_add(lines, "      allowed: %s\n", allowed);
}


/* one piece of text, formatted, appended to lines; NGX_OK or NGX_ERROR */

static ngx_int_t
ngx_http_djass_help_add(json_t *lines, const char *fmt, ...)
{
    int       n;
    char     *s;
    va_list   args;

    va_start(args, fmt);
    n = vasprintf(&s, fmt, args);
    va_end(args);

    if (n < 0) {
        return NGX_ERROR;
    }

    n = json_array_append_new(lines, json_stringn_nocheck(s, n));
    free(s);

    return n == 0 ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_djass_help_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    u_char                      *p;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_str_t                    base, body, *b;
    ngx_http_djass_loc_conf_t   *dlcf;
    ngx_http_djass_main_conf_t  *dmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    if (ngx_http_djass_add_header(r, "Vary", &ngx_http_djass_vary) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = &dlcf->prefix;

    if (!ngx_http_djass_help_wants_text(r)) {
        body.data = ngx_pnalloc(r->pool, 512 + 10 * b->len);
        if (body.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        body.len = ngx_sprintf(body.data,
                       "{\"links\":{"
                       "\"self\":\"%V\","
                       "\"project_options\":\"%Vproject-options\","
                       "\"openapi\":\"%Vopenapi.json\","
                       "\"projects\":\"%Vprojects\","
                       "\"project\":\"%Vprojects/{id}\","
                       "\"project_status\":\"%Vprojects/{id}/status\","
                       "\"project_events\":\"%Vprojects/{id}/events\","
                       "\"project_download\":\"%Vprojects/{id}/download\","
                       "\"oneshot\":\"%Vprojects.zip{?options*}\"}}",
                       b, b, b, b, b, b, b, b, b)
                   - body.data;

        return ngx_http_djass_send_json(r, NGX_HTTP_OK, &body);
    }

    if (ngx_http_djass_help_base(r, &base) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof(NGX_HTTP_DJASS_HELP_HEAD) + 9 * base.len
          + dmcf->help_options.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    p = ngx_sprintf(p, NGX_HTTP_DJASS_HELP_HEAD, &base, &base, &base, &base,
                    &base, &base, &base, &base);
    p = ngx_cpymem(p, dmcf->help_options.data, dmcf->help_options.len);

    body.len = p - body.data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass help: the text page, %uz bytes", body.len);

    return ngx_http_djass_send_body(r, NGX_HTTP_OK, &ngx_http_djass_text_type,
                                    &body);
}


/* curl, HTTPie or Wget, or an Accept without "json" */

static ngx_uint_t
ngx_http_djass_help_wants_text(ngx_http_request_t *r)
{
    ngx_str_t         *ua;
    ngx_table_elt_t   *accept;

    static const char  *agents[] = { "curl/", "HTTPie/", "Wget/", NULL };
    const char        **a;

#if (NGX_HTTP_HEADERS)
    accept = r->headers_in.accept;
#else
    accept = NULL;
#endif

    if (accept) {
        return ngx_strlcasestrn(accept->value.data,
                                accept->value.data + accept->value.len,
                                (u_char *) "json", 4 - 1)
               == NULL;
    }

    if (r->headers_in.user_agent == NULL) {
        return 0;
    }

    ua = &r->headers_in.user_agent->value;

    for (a = agents; *a; a++) {
        if (ua->len >= ngx_strlen(*a)
            && ngx_strncasecmp(ua->data, (u_char *) *a, ngx_strlen(*a)) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* scheme://host/prefix/, the host as the request named it when it is sane */

static ngx_int_t
ngx_http_djass_help_base(ngx_http_request_t *r, ngx_str_t *base)
{
    ngx_str_t                   host;
    ngx_http_core_srv_conf_t   *cscf;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

    if (!ngx_http_djass_help_host_valid(&host)) {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
        host = cscf->server_name;

        if (!ngx_http_djass_help_host_valid(&host)) {
            ngx_str_set(&host, "localhost");
        }
    }

    base->data = ngx_pnalloc(r->pool, sizeof("https://") + host.len
                                      + dlcf->prefix.len);
    if (base->data == NULL) {
        return NGX_ERROR;
    }

    base->len = ngx_sprintf(base->data, "%s://%V%V",
#if (NGX_HTTP_SSL)
                            r->connection->ssl ? "https" : "http",
#else
                            "http",
#endif
                            &host, &dlcf->prefix)
                - base->data;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_djass_help_host_valid(ngx_str_t *host)
{
    u_char  *p, *last, c;

    if (host->len == 0 || host->len > NGX_HTTP_DJASS_HOST_MAX) {
        return 0;
    }

    last = host->data + host->len;

    for (p = host->data; p < last; p++) {
        c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':'
              || c == '[' || c == ']'))
        {
            return 0;
        }
    }

    return 1;
}
