/*
 * Request IDs: every answer under an API prefix carries X-Request-Id, and
 * an error envelope the same value in error.request_id.  A client's own
 * X-Request-Id is kept when it is 1 to 128 characters of [A-Za-z0-9._:-];
 * otherwise nginx's $request_id is used.  The id is chosen once per request
 * and kept in the request's context, so a download keeps it across its
 * internal redirect.
 *
 * $request_id is made here when nothing asked for it yet, as nginx makes
 * it (16 bytes of RAND_bytes() as 32 hex digits), and stored as the
 * request's $request_id, so that a log of $request_id shows the same id.
 * The bytes come from RAND_bytes() in batches: one call per request cost
 * OpenSSL 3 a few microseconds of locks and parameter lookups, a tenth of
 * a status poll served from the cache.  nginx 1.31 makes its own
 * $request_id without a RAND_bytes() per request too.
 *
 * Two variables for access logs: $djass_request_id (the same id, for any
 * request) and $djass_request_safe (the request line with the values of
 * api_key= query arguments replaced, so that a key never reaches a log).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/rand.h>

#include "ngx_http_djass_module.h"


#define NGX_HTTP_DJASS_REDACTED  "[REDACTED]"

/* the random bytes of a request id, and how many ids one batch holds */
#define NGX_HTTP_DJASS_ID_BYTES  16
#define NGX_HTTP_DJASS_ID_BATCH  256


static ngx_int_t ngx_http_djass_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_djass_request_safe_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_table_elt_t *ngx_http_djass_find_header(ngx_list_t *headers,
    const char *name, size_t len);
static ngx_int_t ngx_http_djass_new_request_id(ngx_http_request_t *r,
    ngx_int_t index, ngx_str_t *id);


/* a worker process's batch of random bytes; the pid that drew it, so
 * that a process forked after a draw never hands out its parent's ids */
static u_char      ngx_http_djass_id_random[NGX_HTTP_DJASS_ID_BYTES
                                            * NGX_HTTP_DJASS_ID_BATCH];
static ngx_uint_t  ngx_http_djass_id_left;
static ngx_pid_t   ngx_http_djass_id_pid;


static ngx_http_variable_t  ngx_http_djass_vars[] = {

    { ngx_string("djass_request_id"), NULL,
      ngx_http_djass_request_id_variable, 0, 0, 0 },

    { ngx_string("djass_request_safe"), NULL,
      ngx_http_djass_request_safe_variable, 0, 0, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_djass_request_id_init(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf)
{
    ngx_int_t             index;
    ngx_str_t             name;
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_djass_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    ngx_str_set(&name, "request_id");

    index = ngx_http_get_variable_index(cf, &name);
    if (index == NGX_ERROR) {
        return NGX_ERROR;
    }

    dmcf->request_id_index = index;

    return NGX_OK;
}


/* 1..128 characters of [A-Za-z0-9._:-] */

ngx_uint_t
ngx_http_djass_valid_request_id(u_char *p, size_t len)
{
    u_char  c;

    if (len == 0 || len > NGX_HTTP_DJASS_MAX_REQUEST_ID) {
        return 0;
    }

    while (len--) {
        c = *p++;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '.' || c == '_' || c == ':' || c == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


ngx_int_t
ngx_http_djass_request_id(ngx_http_request_t *r, ngx_str_t *id)
{
    ngx_table_elt_t             *h;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_variable_value_t   *vv;
    ngx_http_djass_main_conf_t  *dmcf;

    ctx = ngx_http_djass_get_ctx(r->main);

    if (ctx && ctx->request_id.len) {
        *id = ctx->request_id;
        return NGX_OK;
    }

    h = ngx_http_djass_find_header(&r->main->headers_in.headers,
                                   "X-Request-Id",
                                   sizeof("X-Request-Id") - 1);

    if (h && ngx_http_djass_valid_request_id(h->value.data, h->value.len)) {
        *id = h->value;

    } else {
        dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

        if (ngx_http_djass_new_request_id(r->main, dmcf->request_id_index,
                                          id)
            != NGX_OK)
        {
            vv = ngx_http_get_indexed_variable(r->main,
                                               dmcf->request_id_index);
            if (vv == NULL || vv->not_found || vv->len == 0) {
                return NGX_ERROR;
            }

            id->data = vv->data;
            id->len = vv->len;
        }
    }

    if (ctx) {
        ctx->request_id = *id;
    }

    return NGX_OK;
}


/*
 * The request's $request_id, made now if nothing made it yet: NGX_DECLINED
 * when it was made already or no random bytes came (nginx's own variable
 * then answers).
 */

static ngx_int_t
ngx_http_djass_new_request_id(ngx_http_request_t *r, ngx_int_t index,
    ngx_str_t *id)
{
    u_char                     *p, *rnd;
    ngx_http_variable_value_t  *vv;

    vv = &r->variables[index];

    if (vv->valid || vv->not_found) {
        return NGX_DECLINED;
    }

    if (ngx_http_djass_id_left == 0
        || ngx_http_djass_id_pid != ngx_pid)
    {
        if (RAND_bytes(ngx_http_djass_id_random,
                       sizeof(ngx_http_djass_id_random))
            != 1)
        {
            ngx_http_djass_id_left = 0;
            return NGX_DECLINED;
        }

        ngx_http_djass_id_left = NGX_HTTP_DJASS_ID_BATCH;
        ngx_http_djass_id_pid = ngx_pid;
    }

    p = ngx_pnalloc(r->pool, 2 * NGX_HTTP_DJASS_ID_BYTES);
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* each id's bytes once, and gone from the batch once used */
    ngx_http_djass_id_left--;
    rnd = ngx_http_djass_id_random
          + ngx_http_djass_id_left * NGX_HTTP_DJASS_ID_BYTES;

    ngx_hex_dump(p, rnd, NGX_HTTP_DJASS_ID_BYTES);
    ngx_explicit_memzero(rnd, NGX_HTTP_DJASS_ID_BYTES);

    vv->data = p;
    vv->len = 2 * NGX_HTTP_DJASS_ID_BYTES;
    vv->valid = 1;
    vv->no_cacheable = 0;
    vv->not_found = 0;

    id->data = p;
    id->len = vv->len;

    return NGX_OK;
}


/* sets X-Request-Id on the answer: once, replacing any upstream's own */

ngx_int_t
ngx_http_djass_set_request_id(ngx_http_request_t *r)
{
    ngx_str_t         id;
    ngx_table_elt_t  *h;

    if (ngx_http_djass_request_id(r, &id) != NGX_OK) {
        return NGX_ERROR;
    }

    h = ngx_http_djass_find_header(&r->headers_out.headers, "X-Request-Id",
                                   sizeof("X-Request-Id") - 1);
    if (h) {
        h->value = id;
        return NGX_OK;
    }

    if (ngx_http_djass_add_header(r, "X-Request-Id", &id) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_djass_find_header(ngx_list_t *headers, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &headers->part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash != 0 && h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_djass_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  id;

    if (ngx_http_djass_request_id(r, &id) != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = id.data;
    v->len = id.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The request line with every api_key= value of its query replaced.  The
 * name is matched as ngx_http_arg() matches it (case-insensitively, the
 * bytes as sent), and a value runs to the next "&" or to the space before
 * the protocol: what the module would have read as a key is never logged.
 */

static ngx_int_t
ngx_http_djass_request_safe_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t     n;
    u_char    *p, *q, *last, *end, *arg, *eq, *out;
    ngx_str_t  line;

    line = r->main->request_line;

    if (line.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    last = line.data + line.len;

    q = ngx_strlchr(line.data, last, '?');

    if (q == NULL) {
        v->data = line.data;
        v->len = line.len;
        goto done;
    }

    /* the query ends before " HTTP/x.y", or with the line */

    end = last;

    if (r->main->http_protocol.len
        && r->main->http_protocol.data > q
        && r->main->http_protocol.data <= last)
    {
        end = r->main->http_protocol.data;

        while (end > q + 1 && end[-1] == ' ') {
            end--;
        }
    }

    n = 1;

    for (p = q; p < end; p++) {
        if (*p == '&') {
            n++;
        }
    }

    out = ngx_pnalloc(r->pool,
                      line.len + n * (sizeof(NGX_HTTP_DJASS_REDACTED) - 1));
    if (out == NULL) {
        return NGX_ERROR;
    }

    v->data = out;

    out = ngx_cpymem(out, line.data, q + 1 - line.data);

    for (arg = q + 1; arg <= end; arg = p + 1) {
        p = ngx_strlchr(arg, end, '&');
        if (p == NULL) {
            p = end;
        }

        eq = ngx_strlchr(arg, p, '=');

        if (eq && eq - arg == sizeof("api_key") - 1
            && ngx_strncasecmp(arg, (u_char *) "api_key",
                               sizeof("api_key") - 1) == 0)
        {
            out = ngx_cpymem(out, arg, eq + 1 - arg);
            out = ngx_cpymem(out, NGX_HTTP_DJASS_REDACTED,
                             sizeof(NGX_HTTP_DJASS_REDACTED) - 1);

        } else {
            out = ngx_cpymem(out, arg, p - arg);
        }

        if (p < end) {
            *out++ = '&';
        }
    }

    out = ngx_cpymem(out, end, last - end);

    v->len = out - v->data;

done:

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
