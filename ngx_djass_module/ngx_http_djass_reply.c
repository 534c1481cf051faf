/*
 * JSON replies: every answer of the API leaves through here, errors in the
 * spec's envelope.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


static ngx_str_t  ngx_http_djass_json_type = ngx_string("application/json");


ngx_int_t
ngx_http_djass_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    return ngx_http_djass_send_body(r, status, &ngx_http_djass_json_type,
                                    body);
}


/* an answer of any type (the help page's text/plain), as send_json's */

ngx_int_t
ngx_http_djass_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body)
{
    ngx_int_t              rc;
    ngx_buf_t             *b;
    ngx_chain_t            out;
    ngx_http_djass_ctx_t  *ctx;

    if (r->header_sent) {
        /* an events stream that can no longer read the status: it ends */
        rc = ngx_http_send_special(r, NGX_HTTP_LAST);
        return rc == NGX_ERROR ? NGX_ERROR : NGX_OK;
    }

    /*
     * A body nobody read is discarded, whatever the method and the path:
     * left on the connection it would be parsed as the next request
     * (request smuggling).  A body already read or discarded is left be.
     */

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_djass_get_ctx(r);
    if (ctx) {
        ctx->replied = 1;
        ctx->status = status;
    }

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = body->len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = body->len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_djass_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, const char *details)
{
    ngx_str_t  body, retry_after;

    if (ngx_http_djass_error_body(r, status, code, message, details, &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a quota is not waited out: only a retryable 503 says when */

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        ngx_str_set(&retry_after, "1");

        if (ngx_http_djass_add_header(r, "Retry-After", &retry_after)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_djass_send_json(r, status, &body);
}


/*
 * Every response header the module sets is pushed here.  The value is not
 * copied: it must live as long as the request.
 */

ngx_table_elt_t *
ngx_http_djass_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


const char *
ngx_http_djass_error_category(ngx_uint_t status, const char *code)
{
    if (ngx_strcmp(code, "auth_required") == 0
        || ngx_strcmp(code, "insufficient_scope") == 0)
    {
        return "auth";
    }

    if (ngx_strcmp(code, "quota_exceeded") == 0) {
        return "quota";
    }

    if (ngx_strcmp(code, "artifact_not_ready") == 0
        || status == NGX_HTTP_SERVICE_UNAVAILABLE
        || status == NGX_HTTP_GATEWAY_TIME_OUT
        || status == NGX_HTTP_BAD_GATEWAY
        || status == NGX_HTTP_REQUEST_TIME_OUT)
    {
        return "retryable";
    }

    /* 501 and 505 refuse what the client sent: not the server's fault */

    if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR
        && status != NGX_HTTP_NOT_IMPLEMENTED
        && status != NGX_HTTP_VERSION_NOT_SUPPORTED)
    {
        return "internal";
    }

    return "validation";
}


ngx_int_t
ngx_http_djass_error_body(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, const char *details,
    ngx_str_t *body)
{
    size_t       len;
    u_char      *p;
    ngx_str_t    id;
    const char  *category, *retryable;

    if (ngx_http_djass_request_id(r, &id) != NGX_OK) {
        return NGX_ERROR;
    }

    category = ngx_http_djass_error_category(status, code);
    retryable = ngx_strcmp(category, "retryable") == 0 ? "true" : "false";

    if (details == NULL) {
        details = "{}";
    }

    len = sizeof("{\"error\":{\"code\":,\"category\":,\"message\":,"
                 "\"retryable\":,\"details\":,\"request_id\":}}") - 1
          + ngx_http_djass_json_str_len((u_char *) code, ngx_strlen(code))
          + ngx_strlen(category) + 2
          + ngx_http_djass_json_str_len((u_char *) message,
                                        ngx_strlen(message))
          + ngx_strlen(retryable)
          + ngx_strlen(details)
          + ngx_http_djass_json_str_len(id.data, id.len);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    p = ngx_sprintf(p, "{\"error\":{\"code\":");
    p = ngx_http_djass_json_str(p, (u_char *) code, ngx_strlen(code));
    p = ngx_sprintf(p, ",\"category\":\"%s\",\"message\":", category);
    p = ngx_http_djass_json_str(p, (u_char *) message, ngx_strlen(message));
    p = ngx_sprintf(p, ",\"retryable\":%s,\"details\":%s,\"request_id\":",
                    retryable, details);
    p = ngx_http_djass_json_str(p, id.data, id.len);
    *p++ = '}';
    *p++ = '}';

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * Every string the module writes is valid UTF-8: a byte that does not
 * start a well-formed sequence (overlong forms, surrogates and code points
 * past U+10FFFF included) is written as U+FFFD, one per byte.
 */

#define NGX_HTTP_DJASS_REPLACEMENT      "\xef\xbf\xbd"
#define NGX_HTTP_DJASS_REPLACEMENT_LEN  (sizeof(NGX_HTTP_DJASS_REPLACEMENT) - 1)


/* the length of the well-formed sequence at p, 0 when there is none */

static size_t
ngx_http_djass_utf8_seq(u_char *p, u_char *last)
{
    size_t    n, i;
    uint32_t  u;

    if (*p < 0x80) {
        return 1;
    }

    if (*p >= 0xc2 && *p <= 0xdf) {
        n = 2;
        u = *p & 0x1f;

    } else if (*p >= 0xe0 && *p <= 0xef) {
        n = 3;
        u = *p & 0x0f;

    } else if (*p >= 0xf0 && *p <= 0xf4) {
        n = 4;
        u = *p & 0x07;

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        u = (u << 6) | (p[i] & 0x3f);
    }

    if ((n == 3 && (u < 0x800 || (u >= 0xd800 && u <= 0xdfff)))
        || (n == 4 && (u < 0x10000 || u > 0x10ffff)))
    {
        return 0;
    }

    return n;
}


/* the length of src once invalid bytes are replaced */

size_t
ngx_http_djass_utf8_len(u_char *src, size_t len)
{
    size_t   n, total;
    u_char  *last;

    total = 0;
    last = src + len;

    while (src < last) {
        if (*src < 0x80) {
            src++;
            total++;
            continue;
        }

        n = ngx_http_djass_utf8_seq(src, last);

        if (n == 0) {
            src++;
            total += NGX_HTTP_DJASS_REPLACEMENT_LEN;
            continue;
        }

        src += n;
        total += n;
    }

    return total;
}


/* src copied with invalid bytes replaced; escape: as a JSON string body */

static u_char *
ngx_http_djass_utf8_write(u_char *p, u_char *src, size_t len,
    ngx_uint_t escape)
{
    size_t   n;
    u_char  *last, *run;

    last = src + len;
    run = src;

    while (src < last) {
        n = (*src < 0x80) ? 1 : ngx_http_djass_utf8_seq(src, last);

        if (n) {
            src += n;
            continue;
        }

        p = escape ? (u_char *) ngx_escape_json(p, run, src - run)
                   : ngx_cpymem(p, run, src - run);
        p = ngx_cpymem(p, NGX_HTTP_DJASS_REPLACEMENT,
                       NGX_HTTP_DJASS_REPLACEMENT_LEN);
        run = ++src;
    }

    return escape ? (u_char *) ngx_escape_json(p, run, src - run)
                  : ngx_cpymem(p, run, src - run);
}


u_char *
ngx_http_djass_utf8_cpy(u_char *p, u_char *src, size_t len)
{
    return ngx_http_djass_utf8_write(p, src, len, 0);
}


/* the length of src as a quoted JSON string */

size_t
ngx_http_djass_json_str_len(u_char *src, size_t len)
{
    return 2 + ngx_http_djass_utf8_len(src, len)
           + ngx_escape_json(NULL, src, len);
}


u_char *
ngx_http_djass_json_str(u_char *p, u_char *src, size_t len)
{
    *p++ = '"';
    p = ngx_http_djass_utf8_write(p, src, len, 1);
    *p++ = '"';

    return p;
}


/*
 * A value that came from outside (a header, the URI, a body field, a
 * reply) as our log lines print it: as nginx's access log escapes its
 * variables, every byte below 0x20, from 0x7f up, '"' and '\' becomes
 * "\xHH", so a client can neither break a line nor forge one nor send
 * terminal escapes.  The value itself when nothing needs escaping.
 */

ngx_str_t *
ngx_http_djass_log_escape(ngx_pool_t *pool, ngx_str_t *value)
{
    u_char      *p, *s, *last;
    size_t       n;
    ngx_str_t   *out;

    static u_char     hex[] = "0123456789ABCDEF";
    static ngx_str_t  nomem = ngx_string("(not logged: no memory)");

    last = value->data + value->len;
    n = 0;

    for (s = value->data; s < last; s++) {
        if (*s < 0x20 || *s >= 0x7f || *s == '"' || *s == '\\') {
            n++;
        }
    }

    if (n == 0) {
        return value;
    }

    out = ngx_palloc(pool, sizeof(ngx_str_t));
    if (out == NULL) {
        return &nomem;
    }

    out->data = ngx_pnalloc(pool, value->len + 3 * n);
    if (out->data == NULL) {
        return &nomem;
    }

    p = out->data;

    for (s = value->data; s < last; s++) {
        if (*s < 0x20 || *s >= 0x7f || *s == '"' || *s == '\\') {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[*s >> 4];
            *p++ = hex[*s & 0xf];

        } else {
            *p++ = *s;
        }
    }

    out->len = p - out->data;

    return out;
}
