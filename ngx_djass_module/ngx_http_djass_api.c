/*
 * The project endpoints.  Each request becomes one call of the script
 * (ngx_http_djass_script.c) and leaves as one JSON answer:
 *
 *   handler: the key, the arguments, what can be checked before Redis
 *       -> ngx_http_djass_redis_script() -> Redis, one round trip
 *       -> *_done: the error the script reported, or the answer
 *
 * Checks answered in nginx alone (a missing key, an oversized body) come
 * first; a malformed body or query is answered after the script has
 * checked the key and its scope, so that the order is 401, 403, then 400
 * or 422, then 429.
 */


#include "ngx_http_djass_module.h"


#define NGX_HTTP_DJASS_SCOPE_CREATE  "projects:create"
#define NGX_HTTP_DJASS_SCOPE_READ    "projects:read"

#define NGX_HTTP_DJASS_UNPROCESSABLE  422

#define NGX_HTTP_DJASS_LIMIT_DEFAULT  20
#define NGX_HTTP_DJASS_LIMIT_MAX      100

#define ngx_http_djass_isalnum(c)                                            \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z')                 \
     || ((c) >= 'A' && (c) <= 'Z'))

#define NGX_HTTP_DJASS_BACKOFF_GUIDANCE                                      \
    "{\"retry_guidance\":\"Retry with exponential backoff.\"}"


typedef struct {
    ngx_str_t                   digest;
    const char                 *scope;
    const char                 *unavailable;   /* the 503 message */

    /* a 400 or 422 found before the call, answered after auth */
    ngx_uint_t                  status;
    const char                 *code;
    const char                 *message;
    u_char                     *details;

    ngx_uint_t                  limit;
    ngx_uint_t                  offset;
    ngx_str_t                   filter;        /* status=, or empty */
} ngx_http_djass_api_t;


static ngx_http_djass_api_t *ngx_http_djass_api_init(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, const char *scope);
static ngx_int_t ngx_http_djass_args(ngx_http_request_t *r,
    ngx_http_djass_api_t *api, const char *op, ngx_str_t *args);
static ngx_int_t ngx_http_djass_call(ngx_http_request_t *r,
    ngx_str_t *args, ngx_uint_t nargs, ngx_http_djass_redis_pt handler,
    ngx_http_djass_api_t *api);
static ngx_int_t ngx_http_djass_failed(ngx_http_request_t *r,
    ngx_http_djass_api_t *api, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_unauthorized(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_not_found(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_internal_error(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_project_call(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, const char *op,
    ngx_http_djass_redis_pt handler);
static ngx_int_t ngx_http_djass_get_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_status_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_object_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n,
    ngx_http_djass_shape_t *shape);
static ngx_int_t ngx_http_djass_download_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_artifact_path(ngx_str_t *path);
static ngx_int_t ngx_http_djass_list_query(ngx_http_request_t *r,
    ngx_http_djass_api_t *api);
static ngx_int_t ngx_http_djass_query_number(ngx_http_request_t *r,
    const char *name, ngx_uint_t min, ngx_uint_t max, ngx_uint_t *n);
static ngx_int_t ngx_http_djass_list_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static void ngx_http_djass_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_djass_create_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);


static ngx_str_t  ngx_http_djass_statuses[] = {
    ngx_string("queued"),
    ngx_string("generating"),
    ngx_string("ready"),
    ngx_string("failed"),
    ngx_null_string
};


/* --- common ------------------------------------------------------------- */

static ngx_http_djass_api_t *
ngx_http_djass_api_init(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx,
    const char *scope)
{
    ngx_http_djass_api_t  *api;

    api = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_api_t));
    if (api == NULL) {
        return NULL;
    }

    api->scope = scope;
    api->unavailable = "Temporary failure while reading projects.";

    ctx->data = api;

    return api;
}


/*
 * The four arguments every call starts with: operation, key digest,
 * scope, now.  NGX_DECLINED: the request carries no key.
 */

static ngx_int_t
ngx_http_djass_args(ngx_http_request_t *r, ngx_http_djass_api_t *api,
    const char *op, ngx_str_t *args)
{
    ngx_int_t  rc;

    if (api->digest.len == 0) {
        rc = ngx_http_djass_auth_key(r, &api->digest);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    args[0].data = (u_char *) op;
    args[0].len = ngx_strlen(op);
    args[1] = api->digest;
    args[2].data = (u_char *) api->scope;
    args[2].len = ngx_strlen(api->scope);

    args[3].data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (args[3].data == NULL) {
        return NGX_ERROR;
    }

    args[3].len = ngx_sprintf(args[3].data, "%T", ngx_time())
                  - args[3].data;

    return NGX_OK;
}


/* NGX_DONE: the call is on its way; otherwise the answer is sent */

static ngx_int_t
ngx_http_djass_call(ngx_http_request_t *r, ngx_str_t *args,
    ngx_uint_t nargs, ngx_http_djass_redis_pt handler,
    ngx_http_djass_api_t *api)
{
    ngx_int_t  rc;

    rc = ngx_http_djass_redis_script(r, args, nargs, handler, api);

    if (rc == NGX_OK) {
        if (!r->discard_body) {
            /* notice a client that leaves while Redis answers */
            r->read_event_handler = ngx_http_test_reading;
        }

        return NGX_DONE;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "retryable_error", api->unavailable,
                                         NGX_HTTP_DJASS_BACKOFF_GUIDANCE);
    }

    return ngx_http_djass_internal_error(r);
}


/*
 * What the script reported, when it is not the answer: NGX_DECLINED when
 * the reply is {"ok", ...}, else the error is sent and its rc returned.
 */

static ngx_int_t
ngx_http_djass_failed(ngx_http_request_t *r, ngx_http_djass_api_t *api,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    u_char     *p;
    ngx_str_t  *reason;

    if (rc == NGX_AGAIN) {
        return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "retryable_error", api->unavailable,
                                         NGX_HTTP_DJASS_BACKOFF_GUIDANCE);
    }

    if (rc != NGX_OK) {
        return ngx_http_djass_internal_error(r);
    }

    if (v[0].len == 2 && ngx_strncmp(v[0].data, "ok", 2) == 0) {
        return NGX_DECLINED;
    }

    if (n < 2 || v[0].len != 1 || v[0].data[0] != 'e') {
        goto unexpected;
    }

    reason = &v[1];

    if (ngx_strcmp(reason->data, "auth") == 0) {
        return ngx_http_djass_unauthorized(r);
    }

    if (ngx_strcmp(reason->data, "scope") == 0) {
        p = ngx_pnalloc(r->pool, sizeof("API key is missing required scope: ")
                                 + sizeof("{\"required_scope\":\"\"}")
                                 + 2 * ngx_strlen(api->scope));
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "API key is missing required scope: %s%Z"
                           "{\"required_scope\":\"%s\"}%Z",
                           api->scope, api->scope);

        return ngx_http_djass_send_error(r, NGX_HTTP_FORBIDDEN,
                                         "insufficient_scope", (char *) p,
                                         (char *) p + ngx_strlen(p) + 1);
    }

    if (ngx_strcmp(reason->data, "notfound") == 0) {
        return ngx_http_djass_not_found(r);
    }

    if (ngx_strcmp(reason->data, "invalid") == 0 && api->code) {
        return ngx_http_djass_send_error(r, api->status, api->code,
                                         api->message, (char *) api->details);
    }

    if (ngx_strcmp(reason->data, "quota") == 0 && n == 3) {
        p = ngx_pnalloc(r->pool, sizeof("{\"quota\":,\"retry_guidance\":"
                                        "\"Delete old projects or request "
                                        "limit bump.\"}")
                                 + NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "{\"quota\":%i,\"retry_guidance\":"
                           "\"Delete old projects or request limit "
                           "bump.\"}%Z",
                           ngx_atoi(v[2].data, v[2].len));

        return ngx_http_djass_send_error(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                         "quota_exceeded",
                                         "Project quota exceeded for this "
                                         "API identity.", (char *) p);
    }

unexpected:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "djass: unexpected script reply \"%V\"", &v[0]);

    return ngx_http_djass_internal_error(r);
}


static ngx_int_t
ngx_http_djass_unauthorized(ngx_http_request_t *r)
{
    ngx_str_t  scheme;

    ngx_str_set(&scheme, "Bearer");

    if (ngx_http_djass_add_header(r, "WWW-Authenticate", &scheme) == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_djass_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                     "auth_required",
                                     "Authentication required.", NULL);
}


/* details.project_id: the id, or the path segment that was no id */

static ngx_int_t
ngx_http_djass_not_found(ngx_http_request_t *r)
{
    u_char                *p, *seg, *last, *end;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    if (ctx->project_id) {
        p = ngx_pnalloc(r->pool, sizeof("{\"project_id\":}") + NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "{\"project_id\":%ui}%Z", ctx->project_id);

    } else {
        /* tail: "projects/<segment>[/...]" */
        seg = ctx->tail.data + ngx_min(ctx->tail.len, sizeof("projects/") - 1);
        last = ctx->tail.data + ctx->tail.len;
        end = ngx_strlchr(seg, last, '/');

        if (end) {
            last = end;
        }

        p = ngx_pnalloc(r->pool, sizeof("{\"project_id\":}")
                                 + ngx_http_djass_json_str_len(seg,
                                                               last - seg));
        if (p == NULL) {
            return NGX_ERROR;
        }

        end = ngx_cpymem(p, "{\"project_id\":",
                         sizeof("{\"project_id\":") - 1);
        end = ngx_http_djass_json_str(end, seg, last - seg);
        *end++ = '}';
        *end = '\0';
    }

    return ngx_http_djass_send_error(r, NGX_HTTP_NOT_FOUND,
                                     "project_not_found",
                                     "Project not found.", (char *) p);
}


static ngx_int_t
ngx_http_djass_internal_error(ngx_http_request_t *r)
{
    return ngx_http_djass_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal_error", "Internal error.",
                                     NULL);
}


/* --- GET /projects/{id}, /status, /download ----------------------------- */

ngx_int_t
ngx_http_djass_get_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_project_call(r, ctx, "get",
                                       ngx_http_djass_get_done);
}


ngx_int_t
ngx_http_djass_status_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_project_call(r, ctx, "status",
                                       ngx_http_djass_status_done);
}


ngx_int_t
ngx_http_djass_download_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_project_call(r, ctx, "download",
                                       ngx_http_djass_download_done);
}


/* a malformed id goes to the script as 0: it names no project */

static ngx_int_t
ngx_http_djass_project_call(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx,
    const char *op, ngx_http_djass_redis_pt handler)
{
    ngx_int_t              rc;
    ngx_str_t             *args;
    ngx_http_djass_api_t  *api;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    api = ngx_http_djass_api_init(r, ctx, NGX_HTTP_DJASS_SCOPE_READ);
    args = ngx_palloc(r->pool, 5 * sizeof(ngx_str_t));

    if (api == NULL || args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_djass_args(r, api, op, args);

    if (rc == NGX_DECLINED) {
        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[4].data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (args[4].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[4].len = ngx_sprintf(args[4].data, "%ui", ctx->project_id)
                  - args[4].data;

    rc = ngx_http_djass_call(r, args, 5, handler, api);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


static ngx_int_t
ngx_http_djass_get_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    return ngx_http_djass_object_done(r, data, rc, v, n,
                                      &ngx_http_djass_project_shape);
}


static ngx_int_t
ngx_http_djass_status_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    return ngx_http_djass_object_done(r, data, rc, v, n,
                                      &ngx_http_djass_status_shape);
}


/* {"ok", <the object's strings>}: the object alone, 200 */

static ngx_int_t
ngx_http_djass_object_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n, ngx_http_djass_shape_t *shape)
{
    u_char     *p;
    ngx_str_t   body;

    rc = ngx_http_djass_failed(r, data, rc, v, n);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (n != 1 + shape->nvalues) {
        return ngx_http_djass_internal_error(r);
    }

    p = ngx_pnalloc(r->pool, ngx_http_djass_object_len(shape, &v[1]));
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;
    body.len = ngx_http_djass_object(p, shape, &v[1]) - p;

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &body);
}


/*
 * Ready and owned: the headers of the download, then an internal redirect
 * to djass_artifacts + the artifact's path, where nginx serves the file
 * itself.  Not ready: 409 with the status to poll for.
 */

static ngx_int_t
ngx_http_djass_download_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    u_char                     *p, *last;
    ngx_tm_t                    tm;
    ngx_str_t                   uri, disposition, *slug, *artifact;
    ngx_http_djass_ctx_t       *ctx;
    ngx_http_djass_loc_conf_t  *dlcf;

    ctx = ngx_http_djass_get_ctx(r);

    if (rc == NGX_OK && n == 3
        && v[0].len == 1 && v[1].len == sizeof("notready") - 1
        && ngx_strcmp(v[1].data, "notready") == 0)
    {
        p = ngx_pnalloc(r->pool, sizeof("{\"project_id\":,\"status\":,"
                                        "\"retry_guidance\":\"Poll the "
                                        "status endpoint until "
                                        "artifact_ready is true.\"}")
                                 + NGX_INT_T_LEN
                                 + ngx_http_djass_json_str_len(v[2].data,
                                                               v[2].len));
        if (p == NULL) {
            return NGX_ERROR;
        }

        last = ngx_sprintf(p, "{\"project_id\":%ui,\"status\":",
                           ctx->project_id);
        last = ngx_http_djass_json_str(last, v[2].data, v[2].len);
        (void) ngx_sprintf(last, ",\"retry_guidance\":\"Poll the status "
                           "endpoint until artifact_ready is true.\"}%Z");

        return ngx_http_djass_send_error(r, NGX_HTTP_CONFLICT,
                                         "artifact_not_ready",
                                         "Project artifact is not ready yet.",
                                         (char *) p);
    }

    rc = ngx_http_djass_failed(r, data, rc, v, n);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (n != 3) {
        return ngx_http_djass_internal_error(r);
    }

    slug = &v[1];
    artifact = &v[2];

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    if (dlcf->artifacts.len == 0
        || ngx_http_djass_artifact_path(artifact) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: project %ui is ready but cannot be served: "
                      "%s", ctx->project_id,
                      dlcf->artifacts.len ? "its artifact path is unusable"
                                          : "no djass_artifacts here");
        return ngx_http_djass_internal_error(r);
    }

    /* attachment; filename="<slug>-YYYYMMDD.zip" */

    p = ngx_pnalloc(r->pool, sizeof("attachment; filename=\"-YYYYMMDD.zip\"")
                             + slug->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_cpymem(p, "attachment; filename=\"",
                      sizeof("attachment; filename=\"") - 1);

    for (n = 0; n < slug->len; n++) {
        *last++ = (ngx_http_djass_isalnum(slug->data[n]) || slug->data[n] == '-'
                   || slug->data[n] == '.')
                  ? slug->data[n] : '_';
    }

    ngx_gmtime(ngx_time(), &tm);

    last = ngx_sprintf(last, "-%4d%02d%02d.zip\"",
                       tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday);

    disposition.data = p;
    disposition.len = last - p;

    if (ngx_http_djass_add_header(r, "Content-Disposition", &disposition)
        == NULL)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&r->headers_out.content_type, "application/zip");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    uri.len = dlcf->artifacts.len + artifact->len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(uri.data, dlcf->artifacts.data,
                          dlcf->artifacts.len),
               artifact->data, artifact->len);

    ctx->download = 1;

    (void) ngx_http_internal_redirect(r, &uri, NULL);

    return NGX_DONE;
}


/* a relative path of plain names: no "..", no leading "/", no oddities */

static ngx_int_t
ngx_http_djass_artifact_path(ngx_str_t *path)
{
    u_char  *p, *last, c;

    p = path->data;
    last = p + path->len;

    if (path->len == 0 || *p == '/') {
        return NGX_ERROR;
    }

    for ( /* void */ ; p < last; p++) {
        c = *p;

        if (!(ngx_http_djass_isalnum(c) || c == '.' || c == '-' || c == '_'
              || c == '/'))
        {
            return NGX_ERROR;
        }

        if (c == '.' && (p == path->data || p[-1] == '/')
            && (p + 1 == last || p[1] == '.' || p[1] == '/'))
        {
            return NGX_ERROR;
        }

        if (c == '/' && p + 1 < last && p[1] == '/') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* --- GET /projects ------------------------------------------------------ */

ngx_int_t
ngx_http_djass_list_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_str_t             *args;
    ngx_http_djass_api_t  *api;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    api = ngx_http_djass_api_init(r, ctx, NGX_HTTP_DJASS_SCOPE_READ);
    args = ngx_palloc(r->pool, 8 * sizeof(ngx_str_t));

    if (api == NULL || args == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_djass_args(r, api, "list", args);

    if (rc == NGX_DECLINED) {
        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK || ngx_http_djass_list_query(r, api) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[4].data = (u_char *) (api->code ? "1" : "0");
    args[4].len = 1;

    args[5].data = ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN);
    if (args[5].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[5].len = ngx_sprintf(args[5].data, "%ui", api->limit)
                  - args[5].data;
    args[6].data = args[5].data + args[5].len;
    args[6].len = ngx_sprintf(args[6].data, "%ui", api->offset)
                  - args[6].data;
    args[7] = api->filter;

    rc = ngx_http_djass_call(r, args, 8, ngx_http_djass_list_done, api);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/* limit, offset, status: what is wrong becomes a 422 for after auth */

static ngx_int_t
ngx_http_djass_list_query(ngx_http_request_t *r, ngx_http_djass_api_t *api)
{
    ngx_int_t   rc;
    ngx_str_t  *s;

    api->limit = NGX_HTTP_DJASS_LIMIT_DEFAULT;
    api->offset = 0;
    ngx_str_set(&api->filter, "");

    api->status = NGX_HTTP_DJASS_UNPROCESSABLE;
    api->code = "invalid_query_params";

    rc = ngx_http_djass_query_number(r, "limit", 1,
                                     NGX_HTTP_DJASS_LIMIT_MAX, &api->limit);
    if (rc == NGX_DECLINED) {
        api->message = "limit must be an integer from 1 to 100.";
        api->details = (u_char *) "{\"field\":\"limit\"}";
        return NGX_OK;
    }

    rc = ngx_http_djass_query_number(r, "offset", 0, NGX_MAX_INT_T_VALUE / 2,
                                     &api->offset);
    if (rc == NGX_DECLINED) {
        api->message = "offset must be an integer of 0 or more.";
        api->details = (u_char *) "{\"field\":\"offset\"}";
        return NGX_OK;
    }

    rc = ngx_http_djass_arg(r, "status", &api->filter);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        for (s = ngx_http_djass_statuses; s->len; s++) {
            if (s->len == api->filter.len
                && ngx_strncmp(s->data, api->filter.data, s->len) == 0)
            {
                break;
            }
        }

        if (s->len == 0) {
            ngx_str_set(&api->filter, "");
            api->message = "status must be one of queued, generating, "
                           "ready, failed.";
            api->details = (u_char *) "{\"field\":\"status\"}";
            return NGX_OK;
        }
    }

    api->code = NULL;

    return NGX_OK;
}


/* NGX_OK: absent (n untouched) or valid; NGX_DECLINED: invalid */

static ngx_int_t
ngx_http_djass_query_number(ngx_http_request_t *r, const char *name,
    ngx_uint_t min, ngx_uint_t max, ngx_uint_t *n)
{
    u_char     *p;
    ngx_int_t   value;
    ngx_str_t   arg;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &arg) != NGX_OK) {
        return NGX_OK;
    }

    if (arg.len == 0 || arg.len > NGX_INT_T_LEN - 2) {
        return NGX_DECLINED;
    }

    for (p = arg.data; p < arg.data + arg.len; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_DECLINED;
        }
    }

    value = ngx_atoi(arg.data, arg.len);

    if (value == NGX_ERROR || (ngx_uint_t) value < min
        || (ngx_uint_t) value > max)
    {
        return NGX_DECLINED;
    }

    *n = value;

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_list_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    size_t                 len;
    u_char                *p;
    ngx_int_t              total;
    ngx_str_t              body;
    ngx_uint_t             i, count;
    ngx_http_djass_api_t  *api = data;

    rc = ngx_http_djass_failed(r, api, rc, v, n);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    total = n >= 2 ? ngx_atoi(v[1].data, v[1].len) : NGX_ERROR;

    if (total == NGX_ERROR
        || (n - 2) % NGX_HTTP_DJASS_PROJECT_FIELDS != 0)
    {
        return ngx_http_djass_internal_error(r);
    }

    count = (n - 2) / NGX_HTTP_DJASS_PROJECT_FIELDS;

    len = sizeof("{\"projects\":[],\"total\":,\"limit\":,\"offset\":,"
                 "\"has_next\":false,\"filters\":{\"status\":null}}")
          + 3 * NGX_INT_T_LEN + api->filter.len;

    for (i = 0; i < count; i++) {
        len += ngx_http_djass_object_len(&ngx_http_djass_project_shape,
                   &v[2 + i * NGX_HTTP_DJASS_PROJECT_FIELDS]) + 1;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;

    p = ngx_cpymem(p, "{\"projects\":[", sizeof("{\"projects\":[") - 1);

    for (i = 0; i < count; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_http_djass_object(p, &ngx_http_djass_project_shape,
                                  &v[2 + i * NGX_HTTP_DJASS_PROJECT_FIELDS]);
    }

    p = ngx_sprintf(p, "],\"total\":%i,\"limit\":%ui,\"offset\":%ui,"
                    "\"has_next\":%s,\"filters\":{\"status\":",
                    total, api->limit, api->offset,
                    api->offset + api->limit < (ngx_uint_t) total
                    ? "true" : "false");

    if (api->filter.len) {
        p = ngx_sprintf(p, "\"%V\"}}", &api->filter);

    } else {
        p = ngx_cpymem(p, "null}}", sizeof("null}}") - 1);
    }

    body.len = p - body.data;

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &body);
}


/* --- POST /projects ----------------------------------------------------- */

ngx_int_t
ngx_http_djass_create_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_http_djass_api_t       *api;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    api = ngx_http_djass_api_init(r, ctx, NGX_HTTP_DJASS_SCOPE_CREATE);
    if (api == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    api->unavailable = "Temporary failure while queueing project generation.";

    rc = ngx_http_djass_auth_key(r, &api->digest);

    if (rc == NGX_DECLINED) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.content_length_n > (off_t) dlcf->max_body_size) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_djass_create_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_djass_create_body(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_str_t                    body, *args;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_api_t        *api;
    ngx_http_djass_payload_t     pl;
    ngx_http_djass_main_conf_t  *dmcf;

    ctx = ngx_http_djass_get_ctx(r);
    api = ctx->data;
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    rc = ngx_http_djass_read_body(r, &body);

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    if (rc != NGX_OK
        || ngx_http_djass_payload_parse(r, body.data, body.len, &pl)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    if (pl.code) {
        api->status = NGX_HTTP_BAD_REQUEST;
        api->code = pl.code;
        api->message = pl.message;
        api->details = pl.details.data;
    }

    args = ngx_palloc(r->pool, 11 * sizeof(ngx_str_t));
    if (args == NULL
        || ngx_http_djass_args(r, api, "create", args) != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    args[4].data = (u_char *) (pl.code ? "1" : "0");
    args[4].len = 1;

    args[5].data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (args[5].data == NULL) {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    args[5].len = ngx_sprintf(args[5].data, "%ui", dmcf->quota)
                  - args[5].data;

    args[6] = pl.name;
    args[7] = pl.slug;
    args[8] = pl.head;
    args[9].data = (u_char *) (pl.fill_email ? "1" : "0");
    args[9].len = 1;
    args[10] = pl.tail;

    rc = ngx_http_djass_call(r, args, 11, ngx_http_djass_create_done, api);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/* the body in one piece; NGX_DECLINED when over djass_max_body_size */

static ngx_int_t
ngx_http_djass_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    off_t                       len;
    u_char                     *p;
    ssize_t                     n;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    ngx_str_set(body, "");

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > (off_t) dlcf->max_body_size) {
        return NGX_DECLINED;
    }

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            if (b->last > b->pos) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }

            continue;
        }

        /* a body larger than client_body_buffer_size: a temp file */

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            return NGX_ERROR;
        }

        p += n;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_create_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    u_char     *p;
    ngx_str_t   body;

    rc = ngx_http_djass_failed(r, data, rc, v, n);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (n != 1 + NGX_HTTP_DJASS_PROJECT_FIELDS) {
        return ngx_http_djass_internal_error(r);
    }

    p = ngx_pnalloc(r->pool,
                    sizeof("{\"project\":}")
                    + ngx_http_djass_object_len(&ngx_http_djass_project_shape,
                                                &v[1]));
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;

    p = ngx_cpymem(p, "{\"project\":", sizeof("{\"project\":") - 1);
    p = ngx_http_djass_object(p, &ngx_http_djass_project_shape, &v[1]);
    *p++ = '}';

    body.len = p - body.data;

    return ngx_http_djass_send_json(r, NGX_HTTP_CREATED, &body);
}
