/*
 * DELETE /projects/{id}: one call of the script's "delete"
 * (redis/api.lua, redis/lib/delete.lua), which removes the project in one
 * atomic step; 204 without a body.  The artifact is removed from the
 * store by a worker (nginx never waits on the store), and the read cache
 * forgets the project because the write touches its tracked key; this
 * node's cache forgets it at once too, before the 204 leaves (the
 * tracking connection's message may come a moment later).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_cache.h"
#include "djass_scripts.h"


static ngx_int_t ngx_http_djass_delete_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);


ngx_int_t
ngx_http_djass_delete_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_int_t               rc;
    ngx_str_t              *a, *rid;
    ngx_http_djass_call_t  *call;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    call = ngx_http_djass_call_init(r, ctx, NGX_HTTP_DJASS_SCOPE_DELETE);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->unavailable = "Temporary failure while deleting the project.";
    call->wait = 1;

    rc = ngx_http_djass_call_args(r, call, "delete",
                                  DJASS_SCRIPT_API_DELETE_NARGS);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a = &call->args[DJASS_SCRIPT_API_KEY_PROJECT];
    a->data = ngx_pnalloc(r->pool, sizeof("djass:project:") - 1
                                   + NGX_INT_T_LEN);
    if (a->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a malformed id is 0: it names no project */
    a->len = ngx_sprintf(a->data, "djass:project:%ui", ctx->project_id)
             - a->data;

    rid = &call->args[DJASS_SCRIPT_API_DELETE_ARGV_REQUEST_ID];

    if (ngx_http_djass_request_id(r, rid) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_djass_call_send(r, call, ngx_http_djass_delete_done);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/* {"ok"}: 204 No Content */

static ngx_int_t
ngx_http_djass_delete_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    ngx_str_t                   *key;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_call_t       *call;
    ngx_http_djass_main_conf_t  *dmcf;

    call = data;
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    /* whatever the reply, the script may have run: the entry goes */
    if (dmcf->cache_shm) {
        key = &call->args[DJASS_SCRIPT_API_KEY_PROJECT];
        ngx_http_djass_cache_invalidate(dmcf, key->data, key->len);
    }

    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (n != 1) {
        return ngx_http_djass_internal_error(r);
    }

    ctx = ngx_http_djass_get_ctx(r);
    if (ctx) {
        ctx->replied = 1;
        ctx->status = NGX_HTTP_NO_CONTENT;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = -1;
    r->header_only = 1;

    return ngx_http_send_header(r);
}
