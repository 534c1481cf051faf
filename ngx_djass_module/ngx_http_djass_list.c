/*
 * GET /projects: the query (limit, offset, status) checked here, one call
 * of the script for the page, and the page written as the spec's list.
 * A bad query value is answered 422 after the script has checked the key.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "djass_scripts.h"


#define NGX_HTTP_DJASS_LIMIT_DEFAULT  20
#define NGX_HTTP_DJASS_LIMIT_MAX      100
#define NGX_HTTP_DJASS_OFFSET_MAX     ((ngx_uint_t) NGX_MAX_INT_T_VALUE)


static ngx_int_t ngx_http_djass_list_query(ngx_http_request_t *r,
    ngx_http_djass_call_t *call);
static ngx_int_t ngx_http_djass_query_number(ngx_http_request_t *r,
    const char *name, ngx_uint_t min, ngx_uint_t max, ngx_uint_t *n);
static ngx_int_t ngx_http_djass_list_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);


static ngx_str_t  ngx_http_djass_statuses[] = {
    ngx_string("queued"),
    ngx_string("generating"),
    ngx_string("ready"),
    ngx_string("failed"),
    ngx_null_string
};


ngx_int_t
ngx_http_djass_list_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    ngx_int_t               rc;
    ngx_str_t              *args;
    ngx_http_djass_call_t  *call;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    call = ngx_http_djass_call_init(r, ctx, NGX_HTTP_DJASS_SCOPE_READ);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_djass_call_args(r, call, "list",
                                  DJASS_SCRIPT_API_LIST_NARGS);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK || ngx_http_djass_list_query(r, call) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args = call->args;

    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_LIST_ARGV_INVALID,
                             call->code != 0);

    if (ngx_http_djass_call_number(r, call, DJASS_SCRIPT_API_LIST_ARGV_LIMIT,
                                   call->limit)
        != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_LIST_ARGV_OFFSET,
                                      call->offset)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[DJASS_SCRIPT_API_LIST_ARGV_STATUS] = call->filter;

    rc = ngx_http_djass_call_send(r, call, ngx_http_djass_list_done);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/* limit, offset, status: what is wrong becomes a 422 for after auth */

static ngx_int_t
ngx_http_djass_list_query(ngx_http_request_t *r, ngx_http_djass_call_t *call)
{
    ngx_int_t   rc;
    ngx_str_t  *s;

    call->limit = NGX_HTTP_DJASS_LIMIT_DEFAULT;
    call->offset = 0;
    ngx_str_set(&call->filter, "");

    call->status = NGX_HTTP_DJASS_UNPROCESSABLE;
    call->code = "invalid_query_params";

    rc = ngx_http_djass_query_number(r, "limit", 1,
                                     NGX_HTTP_DJASS_LIMIT_MAX, &call->limit);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_HTTP_DJASS_BAD_VALUE) {
        call->message = "limit must be an integer from 1 to 100.";
        call->details = (u_char *) "{\"field\":\"limit\"}";
        return NGX_OK;
    }

    /*
     * the spec's "min 0": every offset a signed 64-bit integer holds
     * (NGX_MAX_INT_T_VALUE is 2^63-1 on the 64-bit systems we build on)
     */

    rc = ngx_http_djass_query_number(r, "offset", 0,
                                     NGX_HTTP_DJASS_OFFSET_MAX, &call->offset);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_HTTP_DJASS_BAD_VALUE) {
        call->message = "offset must be an integer of 0 or more.";
        call->details = (u_char *) "{\"field\":\"offset\"}";
        return NGX_OK;
    }

    rc = ngx_http_djass_arg(r, "status", &call->filter);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        for (s = ngx_http_djass_statuses; s->len; s++) {
            if (s->len == call->filter.len
                && ngx_strncmp(s->data, call->filter.data, s->len) == 0)
            {
                break;
            }
        }

        if (s->len == 0) {
            ngx_str_set(&call->filter, "");
            call->message = "status must be one of queued, generating, "
                           "ready, failed.";
            call->details = (u_char *) "{\"field\":\"status\"}";
            return NGX_OK;
        }
    }

    call->code = NULL;

    return NGX_OK;
}


/*
 * NGX_OK: absent (n untouched) or valid; NGX_HTTP_DJASS_BAD_VALUE: not
 * decimal digits once decoded, or outside min..max (no overflow on the
 * way: max is at most 2^63-1).
 */

static ngx_int_t
ngx_http_djass_query_number(ngx_http_request_t *r, const char *name,
    ngx_uint_t min, ngx_uint_t max, ngx_uint_t *n)
{
    u_char      *p, *last;
    ngx_int_t    rc;
    ngx_str_t    arg;
    ngx_uint_t   value, d;

    rc = ngx_http_djass_arg(r, name, &arg);

    if (rc == NGX_HTTP_DJASS_ABSENT) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (arg.len == 0) {
        return NGX_HTTP_DJASS_BAD_VALUE;
    }

    value = 0;
    last = arg.data + arg.len;

    for (p = arg.data; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_HTTP_DJASS_BAD_VALUE;
        }

        d = *p - '0';

        if (value > (max - d) / 10) {
            return NGX_HTTP_DJASS_BAD_VALUE;
        }

        value = value * 10 + d;
    }

    if (value < min) {
        return NGX_HTTP_DJASS_BAD_VALUE;
    }

    *n = value;

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_list_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    ngx_str_t               body;
    ngx_http_djass_call_t  *call = data;

    rc = ngx_http_djass_call_reply(r, call, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    rc = ngx_http_djass_list_body(r, call, v, n, &body);

    if (rc == NGX_HTTP_DJASS_BAD_REPLY) {
        return ngx_http_djass_internal_error(r);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &body);
}


/*
 * The list's JSON from the script's {"ok", total, project fields ...}:
 * the body of GET /projects, and the text of MCP's list_projects.
 * NGX_HTTP_DJASS_BAD_REPLY (logged) for a reply of another shape.
 */

ngx_int_t
ngx_http_djass_list_body(ngx_http_request_t *r, ngx_http_djass_call_t *call,
    ngx_str_t *v, ngx_uint_t n, ngx_str_t *out)
{
    size_t      len;
    u_char     *p;
    ngx_int_t   total;
    ngx_uint_t  i, count;

    total = n >= 2 ? ngx_atoi(v[1].data, v[1].len) : NGX_ERROR;

    if (total == NGX_ERROR
        || (n - 2) % NGX_HTTP_DJASS_PROJECT_FIELDS != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: unexpected list reply of %ui values", n);
        return NGX_HTTP_DJASS_BAD_REPLY;
    }

    count = (n - 2) / NGX_HTTP_DJASS_PROJECT_FIELDS;

    len = sizeof("{\"projects\":[],\"total\":,\"limit\":,\"offset\":,"
                 "\"has_next\":false,\"filters\":{\"status\":null}}")
          + 3 * NGX_INT_T_LEN + call->filter.len;

    for (i = 0; i < count; i++) {
        len += ngx_http_djass_object_len(&ngx_http_djass_project_shape,
                   &v[2 + i * NGX_HTTP_DJASS_PROJECT_FIELDS]) + 1;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

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
                    total, call->limit, call->offset,
                    call->offset + call->limit < (ngx_uint_t) total
                    ? "true" : "false");

    if (call->filter.len) {
        p = ngx_sprintf(p, "\"%V\"}}", &call->filter);

    } else {
        p = ngx_cpymem(p, "null}}", sizeof("null}}") - 1);
    }

    out->len = p - out->data;

    return NGX_OK;
}
