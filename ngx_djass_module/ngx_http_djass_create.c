/*
 * POST /projects: the body read in one piece (ngx_http_djass_payload.c
 * checks it), one call of the script that checks the quota and queues the
 * job, and the new project as the answer, 201.  A missing key or an
 * oversized body is answered before Redis; an invalid body after the
 * script has checked the key and its scope.
 */


#include "ngx_http_djass_module.h"
#include "djass_scripts.h"


static void ngx_http_djass_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_djass_create_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);


ngx_int_t
ngx_http_djass_create_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_http_djass_call_t       *call;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    call = ngx_http_djass_call_init(r, ctx, NGX_HTTP_DJASS_SCOPE_CREATE);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->unavailable = "Temporary failure while queueing project "
                        "generation.";
    call->writes = 1;

    rc = ngx_http_djass_auth_key(r, &call->digest);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
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
    ngx_str_t                    body, *args, *a;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_call_t       *call;
    ngx_http_djass_payload_t     pl;
    ngx_http_djass_main_conf_t  *dmcf;

    ctx = ngx_http_djass_get_ctx(r);
    call = ctx->data;
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    rc = ngx_http_djass_read_body(r, &body);

    if (rc == NGX_HTTP_DJASS_TOO_LARGE) {
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
        call->status = NGX_HTTP_BAD_REQUEST;
        call->code = pl.code;
        call->message = pl.message;
        call->details = pl.details.data;
    }

    if (ngx_http_djass_call_args(r, call, "create",
                                 DJASS_SCRIPT_API_CREATE_NARGS)
        != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_CREATE_ARGV_QUOTA,
                                      dmcf->quota)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    args = call->args;

    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_CREATE_ARGV_INVALID,
                             pl.code != 0);
    args[DJASS_SCRIPT_API_CREATE_ARGV_NAME] = pl.name;
    args[DJASS_SCRIPT_API_CREATE_ARGV_SLUG] = pl.slug;
    args[DJASS_SCRIPT_API_CREATE_ARGV_HEAD] = pl.head;
    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_CREATE_ARGV_FILL_EMAIL,
                             pl.fill_email != 0);
    args[DJASS_SCRIPT_API_CREATE_ARGV_TAIL] = pl.tail;

    a = &args[DJASS_SCRIPT_API_CREATE_ARGV_REQUEST_ID];

    if (ngx_http_djass_request_id(r, a) != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    rc = ngx_http_djass_call_send(r, call, ngx_http_djass_create_done);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/* the body in one piece; NGX_HTTP_DJASS_TOO_LARGE: over djass_max_body_size */

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
        return NGX_HTTP_DJASS_TOO_LARGE;
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

    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
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
