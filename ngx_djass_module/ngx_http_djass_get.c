/*
 * GET /projects/{id} and GET /projects/{id}/status: one call of the
 * script (ngx_http_djass_script.c), and the project or status object it
 * returned, written by ngx_http_djass_project.c, as the answer; with
 * Prefer: wait=N held first (ngx_http_djass_events.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


static ngx_int_t ngx_http_djass_get_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_status_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_object_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n,
    ngx_http_djass_shape_t *shape, const char *op,
    ngx_http_djass_redis_pt handler);


ngx_int_t
ngx_http_djass_get_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_call_project(r, ctx, "get",
                                       ngx_http_djass_get_done);
}


ngx_int_t
ngx_http_djass_status_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_call_project(r, ctx, "status",
                                       ngx_http_djass_status_done);
}


static ngx_int_t
ngx_http_djass_get_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    return ngx_http_djass_object_done(r, data, rc, v, n,
                                      &ngx_http_djass_project_shape, "get",
                                      ngx_http_djass_get_done);
}


static ngx_int_t
ngx_http_djass_status_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    return ngx_http_djass_object_done(r, data, rc, v, n,
                                      &ngx_http_djass_status_shape, "status",
                                      ngx_http_djass_status_done);
}


/* {"ok", <the object's strings>}: the object alone, 200 */

static ngx_int_t
ngx_http_djass_object_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n, ngx_http_djass_shape_t *shape,
    const char *op, ngx_http_djass_redis_pt handler)
{
    ngx_http_djass_call_t  *call = data;

    u_char                 *p;
    ngx_str_t               body;

    rc = ngx_http_djass_call_reply(r, call, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (n != 1 + shape->nvalues) {
        return ngx_http_djass_internal_error(r);
    }

    /* Prefer: wait=N: held while queued or generating */
    rc = ngx_http_djass_prefer_wait(r, ngx_http_djass_get_ctx(r),
                                    ngx_http_djass_object_status(shape,
                                                                 &v[1]),
                                    op, handler);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (shape == &ngx_http_djass_status_shape && call->status_json.len) {
        /* the read cache's, made from these same values at its fill */
        return ngx_http_djass_send_json(r, NGX_HTTP_OK, &call->status_json);
    }

    p = ngx_pnalloc(r->pool, ngx_http_djass_object_len(shape, &v[1]));
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;
    body.len = ngx_http_djass_object(p, shape, &v[1]) - p;

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &body);
}
