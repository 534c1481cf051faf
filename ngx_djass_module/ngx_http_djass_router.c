/*
 * The router: the content handler of a djass_api location.  The path
 * after the location's prefix picks one endpoint; a known path with the
 * wrong method is 405, anything else 404.  The request's context (the
 * route, the project id, the pending Redis call) lives here too, and
 * survives the internal redirect of a download.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


#define NGX_HTTP_DJASS_MAX_ID_DIGITS  18


typedef struct {
    ngx_str_t                   name;      /* for the debug log */
    ngx_str_t                   allow;
    ngx_http_djass_route_pt     get;       /* GET and HEAD */
    ngx_http_djass_route_pt     post;
    ngx_http_djass_route_pt     delete;
} ngx_http_djass_route_t;


enum {
    NGX_HTTP_DJASS_ROUTE_OPTIONS = 0,
    NGX_HTTP_DJASS_ROUTE_OPENAPI,
    NGX_HTTP_DJASS_ROUTE_PROJECTS,
    NGX_HTTP_DJASS_ROUTE_PROJECT,
    NGX_HTTP_DJASS_ROUTE_STATUS,
    NGX_HTTP_DJASS_ROUTE_DOWNLOAD,
    NGX_HTTP_DJASS_ROUTE_ONESHOT,
    NGX_HTTP_DJASS_ROUTE_HELP,
    NGX_HTTP_DJASS_ROUTE_EVENTS,
    NGX_HTTP_DJASS_ROUTE_GIT,
    NGX_HTTP_DJASS_ROUTE_UPGRADE,
    NGX_HTTP_DJASS_ROUTE_NONE
};


static ngx_uint_t ngx_http_djass_route(ngx_str_t *tail, ngx_uint_t *id);
static ngx_int_t ngx_http_djass_parse_id(u_char *p, size_t len,
    ngx_uint_t *id);
static void ngx_http_djass_ctx_cleanup(void *data);
static u_char *ngx_http_djass_query_member(ngx_http_request_t *r,
    u_char *p, u_char *start, u_char *end);


static ngx_http_djass_route_t  ngx_http_djass_routes[] = {
    { ngx_string("project-options"), ngx_string("GET, HEAD"),
      ngx_http_djass_options_handler, NULL, NULL },
    { ngx_string("openapi.json"), ngx_string("GET, HEAD"),
      ngx_http_djass_openapi_handler, NULL, NULL },
    { ngx_string("projects"), ngx_string("GET, HEAD, POST"),
      ngx_http_djass_list_handler, ngx_http_djass_create_handler, NULL },
    { ngx_string("project"), ngx_string("GET, HEAD, DELETE"),
      ngx_http_djass_get_handler, NULL, ngx_http_djass_delete_handler },
    { ngx_string("status"), ngx_string("GET, HEAD"),
      ngx_http_djass_status_handler, NULL, NULL },
    { ngx_string("download"), ngx_string("GET, HEAD"),
      ngx_http_djass_download_handler, NULL, NULL },
    { ngx_string("oneshot"), ngx_string("GET, HEAD"),
      ngx_http_djass_oneshot_handler, NULL, NULL },
    { ngx_string("help"), ngx_string("GET, HEAD"),
      ngx_http_djass_help_handler, NULL, NULL },
    { ngx_string("events"), ngx_string("GET"),
      ngx_http_djass_events_handler, NULL, NULL },
    { ngx_string("git"), ngx_string("GET, HEAD"),
      ngx_http_djass_git_handler, NULL, NULL },
    { ngx_string("upgrade"), ngx_string("POST"),
      NULL, ngx_http_djass_upgrade_handler, NULL },
};


/* per route: "project_options", "openapi", "projects_list", "project",
 * "project_status", "project_download", "project_oneshot", "help",
 * "project_events" (4 is "projects_create", 8 "project_delete"); a
 * repository's files count as downloads, an upgrade as a create */
static ngx_uint_t  ngx_http_djass_endpoint[] = { 1, 2, 3, 5, 6, 7, 9, 10, 11,
                                                 7, 4 };


ngx_int_t
ngx_http_djass_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_djass_ctx_t       *ctx;
    ngx_http_djass_route_t     *route;
    ngx_http_djass_route_pt     handler;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    ctx = ngx_http_djass_get_ctx(r);
    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_ctx_t));
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_djass_set_ctx(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (r->uri.len >= dlcf->prefix.len) {
        ctx->tail.data = r->uri.data + dlcf->prefix.len;
        ctx->tail.len = r->uri.len - dlcf->prefix.len;

    } else {
        ngx_str_null(&ctx->tail);
    }

    ctx->route = ngx_http_djass_route(&ctx->tail, &ctx->project_id);

    if (ctx->route == NGX_HTTP_DJASS_ROUTE_NONE) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass route: none for \"%V\"",
                       ngx_http_djass_log_escape(r->pool, &ctx->tail));

        return ngx_http_djass_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                         "No such API endpoint.", NULL);
    }

    route = &ngx_http_djass_routes[ctx->route];

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass route: %V, project %ui, method %V",
                   &route->name, ctx->project_id, &r->method_name);

    /* the endpoint label of the metrics: ngx_http_djass_endpoints[] */

    ctx->endpoint = (ctx->route == NGX_HTTP_DJASS_ROUTE_PROJECTS
                     && r->method == NGX_HTTP_POST)
                    ? 4
                    : (ctx->route == NGX_HTTP_DJASS_ROUTE_PROJECT
                       && r->method == NGX_HTTP_DELETE)
                    ? 8 : ngx_http_djass_endpoint[ctx->route];

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        handler = route->get;

    } else if (r->method == NGX_HTTP_POST) {
        handler = route->post;

    } else if (r->method == NGX_HTTP_DELETE) {
        handler = route->delete;

    } else {
        handler = NULL;
    }

    if (handler == NULL) {
        return ngx_http_djass_not_allowed(r, &route->allow);
    }

    rc = handler(r, ctx);

    return rc;
}


/* 405 method_not_allowed with the methods the endpoint takes in Allow */

ngx_int_t
ngx_http_djass_not_allowed(ngx_http_request_t *r, ngx_str_t *allow)
{
    if (ngx_http_djass_add_header(r, "Allow", allow) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_djass_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                     "method_not_allowed",
                                     "Method not allowed for this "
                                     "endpoint.", NULL);
}


static ngx_uint_t
ngx_http_djass_route(ngx_str_t *tail, ngx_uint_t *id)
{
    u_char  *p, *last, *slash;

    p = tail->data;
    last = p + tail->len;

    if (tail->len == 0) {
        return NGX_HTTP_DJASS_ROUTE_HELP;
    }

    if (tail->len == sizeof("projects.zip") - 1
        && ngx_strncmp(p, "projects.zip", tail->len) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_ONESHOT;
    }

    if (tail->len == sizeof("project-options") - 1
        && ngx_strncmp(p, "project-options", tail->len) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_OPTIONS;
    }

    if (tail->len == sizeof("openapi.json") - 1
        && ngx_strncmp(p, "openapi.json", tail->len) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_OPENAPI;
    }

    if (tail->len < sizeof("projects") - 1
        || ngx_strncmp(p, "projects", sizeof("projects") - 1) != 0)
    {
        return NGX_HTTP_DJASS_ROUTE_NONE;
    }

    p += sizeof("projects") - 1;

    if (p == last) {
        return NGX_HTTP_DJASS_ROUTE_PROJECTS;
    }

    if (*p++ != '/' || p == last) {
        return NGX_HTTP_DJASS_ROUTE_NONE;
    }

    slash = ngx_strlchr(p, last, '/');

    if (slash == p) {
        return NGX_HTTP_DJASS_ROUTE_NONE;
    }

    /* issue 25: projects/{id}.git/<path>, the path checked by its handler */
    if (slash && slash - p > 4 && ngx_strncmp(slash - 4, ".git", 4) == 0) {
        if (ngx_http_djass_parse_id(p, slash - 4 - p, id) != NGX_OK) {
            *id = 0;
        }

        return NGX_HTTP_DJASS_ROUTE_GIT;
    }

    if (ngx_http_djass_parse_id(p, (slash ? slash : last) - p, id)
        != NGX_OK)
    {
        /* a malformed id names no project: 404 project_not_found later */
        *id = 0;
    }

    if (slash == NULL) {
        return NGX_HTTP_DJASS_ROUTE_PROJECT;
    }

    p = slash + 1;

    if ((size_t) (last - p) == sizeof("status") - 1
        && ngx_strncmp(p, "status", sizeof("status") - 1) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_STATUS;
    }

    if ((size_t) (last - p) == sizeof("download") - 1
        && ngx_strncmp(p, "download", sizeof("download") - 1) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_DOWNLOAD;
    }

    if ((size_t) (last - p) == sizeof("events") - 1
        && ngx_strncmp(p, "events", sizeof("events") - 1) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_EVENTS;
    }

    if ((size_t) (last - p) == sizeof("upgrade") - 1
        && ngx_strncmp(p, "upgrade", sizeof("upgrade") - 1) == 0)
    {
        return NGX_HTTP_DJASS_ROUTE_UPGRADE;
    }

    return NGX_HTTP_DJASS_ROUTE_NONE;
}


/* a project id: 1 to 18 decimal digits without a leading zero */

static ngx_int_t
ngx_http_djass_parse_id(u_char *p, size_t len, ngx_uint_t *id)
{
    ngx_uint_t  n;

    if (len == 0 || len > NGX_HTTP_DJASS_MAX_ID_DIGITS || *p == '0') {
        return NGX_ERROR;
    }

    for (n = 0; len; len--, p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (*p - '0');
    }

    *id = n;

    return NGX_OK;
}


/*
 * The context must survive internal redirects (the download hands the
 * request to the artifacts location, which resets r->ctx): a pool cleanup
 * entry keeps a second reference that get_ctx finds again.
 */

ngx_int_t
ngx_http_djass_set_ctx(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_djass_ctx_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_djass_module);

    return NGX_OK;
}


ngx_http_djass_ctx_t *
ngx_http_djass_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_djass_module);
    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_djass_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_djass_module);
            return ctx;
        }
    }

    return NULL;
}


static void
ngx_http_djass_ctx_cleanup(void *data)
{
    /* nothing to free: the context lives in the request pool */
}


/* h is the context's marker (a parked stream drops it with the request) */

ngx_uint_t
ngx_http_djass_ctx_cleanup_is(ngx_pool_cleanup_pt h)
{
    return h == ngx_http_djass_ctx_cleanup;
}


/*
 * A query argument decoded into the request pool; NGX_HTTP_DJASS_ABSENT
 * when the query does not have it.  Every query value (limit, offset,
 * status, api_key) is decoded here and only here, the same way: "%XX" with
 * two hex digits is that byte, anything else is itself (a "%" that starts
 * no escape stays "%", "+" stays "+", "?" is an ordinary byte).
 */

#define ngx_http_djass_hex(c)                                                \
    (((c) >= '0' && (c) <= '9') ? (c) - '0'                                  \
     : (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'f') ? ((c) | 0x20) - 'a' + 10 \
     : -1)


ngx_int_t
ngx_http_djass_arg(ngx_http_request_t *r, const char *name, ngx_str_t *value)
{
    ngx_str_t  arg;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &arg) != NGX_OK) {
        return NGX_HTTP_DJASS_ABSENT;
    }

    return ngx_http_djass_unescape(r->pool, &arg, value);
}


ngx_int_t
ngx_http_djass_unescape(ngx_pool_t *pool, ngx_str_t *in, ngx_str_t *out)
{
    int      hi, lo;
    u_char  *src, *last, *dst;

    dst = ngx_pnalloc(pool, in->len + 1);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    out->data = dst;

    src = in->data;
    last = src + in->len;

    while (src < last) {
        if (*src == '%' && last - src >= 3) {
            hi = ngx_http_djass_hex(src[1]);
            lo = ngx_http_djass_hex(src[2]);

            if (hi >= 0 && lo >= 0) {
                *dst++ = (u_char) (hi << 4 | lo);
                src += 3;
                continue;
            }
        }

        *dst++ = *src++;
    }

    out->len = dst - out->data;
    *dst = '\0';

    return NGX_OK;
}


/*
 * The query as the JSON object of strings a POST body would be (the
 * one-shot's payload), in the order given: "+" is a space, then "%XX" as
 * above, in names and values; a parameter without "=" is "", an empty one
 * ("&&") is skipped, api_key (the legacy key) left out.  Bytes are copied
 * as they are: bad UTF-8 or a NUL ("\u0000") is for the JSON parser to
 * refuse, as in a body.
 */

ngx_int_t
ngx_http_djass_query_json(ngx_http_request_t *r, ngx_str_t *json)
{
    u_char  *p, *q, *last, *amp;

    /* a byte becomes at most 6 ("\u00XX"); a member adds 4 quotes, ":" and
     * "," */

    json->data = ngx_pnalloc(r->pool, 2 + 6 * r->args.len
                                      + 6 * (r->args.len + 1));
    if (json->data == NULL) {
        return NGX_ERROR;
    }

    p = json->data;
    *p++ = '{';

    q = r->args.data;
    last = q + r->args.len;

    while (q < last) {
        amp = ngx_strlchr(q, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        if (amp > q) {
            p = ngx_http_djass_query_member(r, p, q, amp);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }

        q = amp + 1;
    }

    *p++ = '}';

    json->len = p - json->data;

    return NGX_OK;
}


/* one "name=value" as a member after p (a "," first if not the first) */

static u_char *
ngx_http_djass_query_member(ngx_http_request_t *r, u_char *p,
    u_char *start, u_char *end)
{
    u_char      *eq, *s, *last, c;
    ngx_str_t    raw[2], part;
    ngx_uint_t   i;

    static u_char  hex[] = "0123456789abcdef";

    eq = ngx_strlchr(start, end, '=');

    raw[0].data = start;
    raw[0].len = (eq ? eq : end) - start;
    raw[1].data = eq ? eq + 1 : end;
    raw[1].len = end - raw[1].data;

    /* the legacy query auth's argument (ngx_http_arg: any case) */

    if (raw[0].len == sizeof("api_key") - 1
        && ngx_strncasecmp(raw[0].data, (u_char *) "api_key", raw[0].len)
           == 0)
    {
        return p;
    }

    if (p[-1] != '{') {
        *p++ = ',';
    }

    for (i = 0; i < 2; i++) {

        /* "+" is a space; then "%XX" as everywhere in the module */

        s = ngx_pnalloc(r->pool, raw[i].len + 1);
        if (s == NULL) {
            return NULL;
        }

        for (last = s; (size_t) (last - s) < raw[i].len; last++) {
            c = raw[i].data[last - s];
            *last = (c == '+') ? ' ' : c;
        }

        raw[i].data = s;

        if (ngx_http_djass_unescape(r->pool, &raw[i], &part) != NGX_OK) {
            return NULL;
        }

        *p++ = '"';

        for (s = part.data, last = s + part.len; s < last; s++) {
            c = *s;

            if (c == '"' || c == '\\') {
                *p++ = '\\';
                *p++ = c;

            } else if (c < 0x20) {
                p = ngx_cpymem(p, "\\u00", sizeof("\\u00") - 1);
                *p++ = hex[c >> 4];
                *p++ = hex[c & 0xf];

            } else {
                /* UTF-8 or not: the JSON parser judges it, as a body's */
                *p++ = c;
            }
        }

        *p++ = '"';

        if (i == 0) {
            *p++ = ':';
        }
    }

    return p;
}
