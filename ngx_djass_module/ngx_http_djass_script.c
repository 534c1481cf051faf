/*
 * A call of the API script (redis/api.lua) and its reply, for every
 * project endpoint: the key names and arguments the script takes, sent
 * through the Redis connection (ngx_http_djass_redis.c), and the errors
 * it reports ({"e", reason, ...}) answered in the spec's envelope.  Each
 * endpoint adds only its own arguments and writes only its own JSON.
 *
 * The script's text and its argument positions are generated from
 * redis/api.lua by redis/lua2c (djass_scripts.h): the C side names every
 * position with those constants and never with a bare number.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_cache.h"
#include "djass_scripts.h"


#define NGX_HTTP_DJASS_KEY_PREFIX      "djass:key:"


#define NGX_HTTP_DJASS_BACKOFF_GUIDANCE                                      \
    "{\"retry_guidance\":\"Retry with exponential backoff.\"}"

/*
 * A create sent to Redis whose outcome is unknown: a blind retry may
 * duplicate, a retry with the same Idempotency-Key cannot.
 */
#define NGX_HTTP_DJASS_UNKNOWN_GUIDANCE                                      \
    "{\"may_have_been_applied\":true,\"retry_guidance\":\"The project may "  \
    "have been created: retry with exponential backoff and the same "         \
    "Idempotency-Key header and body, which answers the project created "     \
    "if there is one and never creates a second; without an "                 \
    "Idempotency-Key, list your projects (GET /projects) first, or a retry "  \
    "may create a duplicate and count against the quota.\"}"


static ngx_int_t ngx_http_djass_call_key(ngx_http_request_t *r,
    ngx_http_djass_call_t *call);
static ngx_int_t ngx_http_djass_not_found(ngx_http_request_t *r);


ngx_str_t  ngx_http_djass_script = {
    DJASS_SCRIPT_API_LEN, (u_char *) djass_script_api
};


ngx_http_djass_call_t *
ngx_http_djass_call_init(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx,
    const char *scope)
{
    ngx_http_djass_call_t  *call;

    call = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_call_t));
    if (call == NULL) {
        return NULL;
    }

    call->scope = scope;
    call->unavailable = "Temporary failure while reading projects.";
    call->digest = ctx->digest;

    ctx->data = call;

    return call;
}


/*
 * The key's digest, once per call (an events stream's re-read has it
 * already): NGX_HTTP_DJASS_NO_KEY when the request carries no key.
 */

static ngx_int_t
ngx_http_djass_call_key(ngx_http_request_t *r, ngx_http_djass_call_t *call)
{
    if (call->digest.len) {
        return NGX_OK;
    }

    return ngx_http_djass_auth_key(r, &call->digest);
}


/*
 * The arguments every call starts with: KEYS key and project (empty: set
 * by the operations on one project), ARGV op, scope and now.  nargs is
 * the length of the whole call.  NGX_HTTP_DJASS_NO_KEY: the request
 * carries no API key.
 */

ngx_int_t
ngx_http_djass_call_args(ngx_http_request_t *r, ngx_http_djass_call_t *call,
    const char *op, ngx_uint_t nargs)
{
    u_char     *p;
    ngx_int_t   rc;
    ngx_str_t  *args, *a;

    rc = ngx_http_djass_call_key(r, call);
    if (rc != NGX_OK) {
        return rc;
    }

    args = ngx_pcalloc(r->pool, nargs * sizeof(ngx_str_t));
    if (args == NULL) {
        return NGX_ERROR;
    }

    call->args = args;
    call->nargs = nargs;

    a = &args[DJASS_SCRIPT_API_KEY_KEY];
    a->len = sizeof(NGX_HTTP_DJASS_KEY_PREFIX) - 1 + call->digest.len;
    a->data = ngx_pnalloc(r->pool, a->len);
    if (a->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(a->data, NGX_HTTP_DJASS_KEY_PREFIX,
                   sizeof(NGX_HTTP_DJASS_KEY_PREFIX) - 1);
    ngx_memcpy(p, call->digest.data, call->digest.len);

    ngx_str_set(&args[DJASS_SCRIPT_API_KEY_PROJECT], "");

    args[DJASS_SCRIPT_API_ARGV_OP].data = (u_char *) op;
    args[DJASS_SCRIPT_API_ARGV_OP].len = ngx_strlen(op);
    args[DJASS_SCRIPT_API_ARGV_SCOPE].data = (u_char *) call->scope;
    args[DJASS_SCRIPT_API_ARGV_SCOPE].len = ngx_strlen(call->scope);

    a = &args[DJASS_SCRIPT_API_ARGV_NOW];
    a->data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (a->data == NULL) {
        return NGX_ERROR;
    }

    a->len = ngx_sprintf(a->data, "%T", ngx_time()) - a->data;

    return NGX_OK;
}


/* an unsigned number as one of the call's arguments */

ngx_int_t
ngx_http_djass_call_number(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t i, ngx_uint_t n)
{
    ngx_str_t  *a;

    a = &call->args[i];

    a->data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (a->data == NULL) {
        return NGX_ERROR;
    }

    a->len = ngx_sprintf(a->data, "%ui", n) - a->data;

    return NGX_OK;
}


/* a yes or no as one of the call's arguments: "1" or "0" */

void
ngx_http_djass_call_flag(ngx_http_djass_call_t *call, ngx_uint_t i,
    ngx_uint_t flag)
{
    call->args[i].data = (u_char *) (flag ? "1" : "0");
    call->args[i].len = 1;
}


/* NGX_DONE: the call is on its way; otherwise the answer is sent */

ngx_int_t
ngx_http_djass_call_send(ngx_http_request_t *r, ngx_http_djass_call_t *call,
    ngx_http_djass_redis_pt handler)
{
    ngx_int_t  rc;

    rc = ngx_http_djass_redis_script(r, call->args, DJASS_SCRIPT_API_NKEYS,
                                     call->nargs, call->wait, handler, call);

    if (rc == NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass script call sent: op \"%V\"",
                       &call->args[DJASS_SCRIPT_API_ARGV_OP]);

        if (!r->discard_body) {
            /* notice a client that leaves while Redis answers */
            r->read_event_handler = ngx_http_test_reading;
        }

        return NGX_DONE;
    }

    if (rc == NGX_HTTP_DJASS_NO_REDIS) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass script call not sent: no Redis connection");

        return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "retryable_error", call->unavailable,
                                         NGX_HTTP_DJASS_BACKOFF_GUIDANCE);
    }

    return ngx_http_djass_internal_error(r);
}


/*
 * GET /projects/{id}, /status and /download: the call names the project.
 * The key is hashed first and the read cache asked: a hit answers before
 * any of the call's arguments is made (this is the polling path).
 */

ngx_int_t
ngx_http_djass_call_project(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx,
    const char *op, ngx_http_djass_redis_pt handler)
{
    ngx_int_t               rc;
    ngx_http_djass_call_t  *call;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    call = ngx_http_djass_call_init(r, ctx, NGX_HTTP_DJASS_SCOPE_READ);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_djass_call_key(r, call);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* answered from the cache, or sent to fill it (a repository's files
     * need fields the cache does not keep: always asked) */
    if (ngx_strcmp(op, "git") != 0) {
        rc = ngx_http_djass_cache_project(r, call, ctx->project_id, op,
                                          handler);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (ngx_http_djass_call_project_args(r, call, ctx->project_id, op)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_djass_call_send(r, call, handler);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/* the arguments of a call on one project, the key hashed already */

ngx_int_t
ngx_http_djass_call_project_args(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t project_id, const char *op)
{
    ngx_str_t  *a;

    if (ngx_http_djass_call_args(r, call, op, DJASS_SCRIPT_API_NARGS)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    a = &call->args[DJASS_SCRIPT_API_KEY_PROJECT];
    a->data = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_DJASS_PROJECT_PREFIX) - 1
                                   + NGX_INT_T_LEN);
    if (a->data == NULL) {
        return NGX_ERROR;
    }

    a->len = ngx_sprintf(a->data, NGX_HTTP_DJASS_PROJECT_PREFIX "%ui",
                         project_id)
             - a->data;

    return NGX_OK;
}


/*
 * What the script reported, when it is not the answer:
 * NGX_HTTP_DJASS_SCRIPT_OK when the reply is {"ok", ...}, else the error
 * is sent and its rc returned.
 */

ngx_int_t
ngx_http_djass_call_reply(ngx_http_request_t *r, ngx_http_djass_call_t *call,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    ngx_int_t                id;
    ngx_str_t               *reason;
    ngx_http_djass_ctx_t    *ctx;
    ngx_http_djass_error_t   err;

    if (rc == NGX_AGAIN || rc == NGX_HTTP_DJASS_NO_REDIS) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass script reply: Redis %s",
                       rc == NGX_AGAIN ? "late or gone after the call"
                                       : "refused the call");

        return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "retryable_error", call->unavailable,
                                         rc == NGX_AGAIN && call->writes
                                         ? NGX_HTTP_DJASS_UNKNOWN_GUIDANCE
                                         : NGX_HTTP_DJASS_BACKOFF_GUIDANCE);
    }

    if (rc == NGX_HTTP_DJASS_NOT_DURABLE) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "djass: too few Redis replicas confirmed the write "
                      "(djass_redis_wait): answered 503");

        return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "retryable_error", call->unavailable,
                                         "{\"may_have_been_applied\":true,"
                                         "\"retry_guidance\":\"Too few "
                                         "replicas confirmed the write: the "
                                         "project may exist. Retry with "
                                         "exponential backoff.\"}");
    }

    if (rc != NGX_OK) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass script reply: failed");

        return ngx_http_djass_internal_error(r);
    }

    if (v[0].len == 2 && ngx_strncmp(v[0].data, "ok", 2) == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass script reply: ok, %ui values", n);

        return NGX_HTTP_DJASS_SCRIPT_OK;
    }

    if (n < 2 || v[0].len != 1 || v[0].data[0] != 'e') {
        goto unexpected;
    }

    reason = &v[1];

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass script reply: error \"%V\"",
                   ngx_http_djass_log_escape(r->pool, reason));

    if (ngx_strcmp(reason->data, "auth") == 0) {
        return ngx_http_djass_unauthorized(r);
    }

    if (ngx_strcmp(reason->data, "notfound") == 0) {
        /* a create's Idempotency-Key replayed after its project was
         * deleted: the id comes with the reason */
        if (n == 3) {
            ctx = ngx_http_djass_get_ctx(r);
            id = ngx_atoi(v[2].data, v[2].len);

            if (ctx && id > 0) {
                ctx->project_id = id;
            }
        }

        return ngx_http_djass_not_found(r);
    }

    rc = ngx_http_djass_script_error(r, call, v, n, &err);

    if (rc == NGX_OK) {
        return ngx_http_djass_send_error(r, err.status, err.code,
                                         err.message, err.details);
    }

    if (rc != NGX_HTTP_DJASS_BAD_REPLY) {
        return NGX_ERROR;
    }

unexpected:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "djass: unexpected script reply \"%V\"",
                  ngx_http_djass_log_escape(r->pool, &v[0]));

    return ngx_http_djass_internal_error(r);
}


/*
 * The error the script's {"e", reason, ...} means, for the reasons every
 * caller answers alike (scope, invalid, reused, quota): the API sends it,
 * MCP's tools wrap it.  NGX_HTTP_DJASS_BAD_REPLY for any other reply (the
 * callers' own, auth and notfound, come first).
 */

ngx_int_t
ngx_http_djass_script_error(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_str_t *v, ngx_uint_t n,
    ngx_http_djass_error_t *err)
{
    u_char      *p;
    ngx_str_t   *reason;
    const char  *scope;

    if (n < 2 || v[0].len != 1 || v[0].data[0] != 'e') {
        return NGX_HTTP_DJASS_BAD_REPLY;
    }

    reason = &v[1];

    if (ngx_strcmp(reason->data, "scope") == 0) {
        /* the scope missing, when the script names it (the one-shot needs
         * two): a constant of the script, no JSON escaping needed */
        scope = (n == 3) ? (const char *) v[2].data : call->scope;

        p = ngx_pnalloc(r->pool, sizeof("API key is missing required scope: ")
                                 + sizeof("{\"required_scope\":\"\"}")
                                 + 2 * ngx_strlen(scope));
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "API key is missing required scope: %s%Z"
                           "{\"required_scope\":\"%s\"}%Z",
                           scope, scope);

        err->status = NGX_HTTP_FORBIDDEN;
        err->code = "insufficient_scope";
        err->message = (char *) p;
        err->details = (char *) p + ngx_strlen(p) + 1;

        return NGX_OK;
    }

    if (ngx_strcmp(reason->data, "invalid") == 0 && call->code) {
        err->status = call->status;
        err->code = call->code;
        err->message = call->message;
        err->details = (char *) call->details;

        return NGX_OK;
    }

    if (ngx_strcmp(reason->data, "reused") == 0
        && call->idempotency_key.len)
    {
        p = ngx_http_djass_reused_details(r->pool, &call->idempotency_key);
        if (p == NULL) {
            return NGX_ERROR;
        }

        err->status = NGX_HTTP_DJASS_UNPROCESSABLE;
        err->code = "idempotency_key_reused";
        err->message = NGX_HTTP_DJASS_REUSED_MESSAGE;
        err->details = (char *) p;

        return NGX_OK;
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

        err->status = NGX_HTTP_TOO_MANY_REQUESTS;
        err->code = "quota_exceeded";
        err->message = "Project quota exceeded for this API identity.";
        err->details = (char *) p;

        return NGX_OK;
    }

    return NGX_HTTP_DJASS_BAD_REPLY;
}


ngx_int_t
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





/* {"idempotency_key": <key>}, NUL-terminated, for a 422 reused */

u_char *
ngx_http_djass_reused_details(ngx_pool_t *pool, ngx_str_t *key)
{
    u_char  *p, *last;

    p = ngx_pnalloc(pool, sizeof("{\"idempotency_key\":}")
                          + ngx_http_djass_json_str_len(key->data, key->len));
    if (p == NULL) {
        return NULL;
    }

    last = ngx_cpymem(p, "{\"idempotency_key\":",
                      sizeof("{\"idempotency_key\":") - 1);
    last = ngx_http_djass_json_str(last, key->data, key->len);
    *last++ = '}';
    *last = '\0';

    return p;
}


ngx_int_t
ngx_http_djass_internal_error(ngx_http_request_t *r)
{
    return ngx_http_djass_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal_error", "Internal error.",
                                     NULL);
}
