/*
 * nginx's functions for the fuzz targets: see ngx_shim.h.  These are our
 * own implementations of the documented behaviour, not nginx's code:
 *
 *   ngx_http_arg      the value of name=value in r->args; the name is
 *                     matched case-insensitively at the start or after
 *                     '&', the value ends at '&' or the end.
 *   ngx_unescape_uri  %XX decoding; NGX_UNESCAPE_URI stops at '?' (kept);
 *                     a '%' without two hex digits is copied as is.  The
 *                     output is never longer than the input.
 *   ngx_atoi          decimal digits to ngx_int_t, NGX_ERROR on anything
 *                     else or an overflow.
 */

#include <stdio.h>
#include <stdlib.h>

#include "ngx_shim.h"


#define NGX_SHIM_MAX_ALLOCS  4096

static void        *ngx_shim_allocs[NGX_SHIM_MAX_ALLOCS];
static size_t       ngx_shim_nallocs;

static ngx_pool_t  *ngx_shim_pool;
static ngx_log_t    ngx_shim_log;


static void *
ngx_shim_alloc(size_t size)
{
    void  *p;

    if (ngx_shim_nallocs == NGX_SHIM_MAX_ALLOCS) {
        fprintf(stderr, "ngx_shim: more than %d pool allocations\n",
                NGX_SHIM_MAX_ALLOCS);
        abort();
    }

    /* malloc(0) may be NULL: nginx's pool never answers NULL for 0 */
    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_shim_allocs[ngx_shim_nallocs++] = p;

    return p;
}


void
ngx_shim_reset(void)
{
    while (ngx_shim_nallocs) {
        free(ngx_shim_allocs[--ngx_shim_nallocs]);
    }
}


u_char *
ngx_shim_copy(const uint8_t *data, size_t len)
{
    u_char  *p;

    p = ngx_shim_alloc(len);
    if (p == NULL) {
        abort();
    }

    if (len) {
        memcpy(p, data, len);
    }

    return p;
}


ngx_http_request_t *
ngx_shim_request(void)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    if (ngx_shim_pool == NULL) {
        ngx_shim_pool = calloc(1, sizeof(ngx_pool_t));
        if (ngx_shim_pool == NULL) {
            abort();
        }

        ngx_shim_log.log_level = 0;
        ngx_shim_pool->log = &ngx_shim_log;
    }

    r = ngx_shim_alloc(sizeof(ngx_http_request_t));
    c = ngx_shim_alloc(sizeof(ngx_connection_t));

    if (r == NULL || c == NULL) {
        abort();
    }

    memset(r, 0, sizeof(ngx_http_request_t));
    memset(c, 0, sizeof(ngx_connection_t));

    c->log = &ngx_shim_log;
    c->pool = ngx_shim_pool;
    r->connection = c;
    r->pool = ngx_shim_pool;
    r->main = r;

    return r;
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_shim_alloc(size);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_shim_alloc(size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_shim_alloc(size);
    if (p) {
        memset(p, 0, size);
    }

    return p;
}


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    /* the log level is 0: nothing should get here */
}


ngx_int_t
ngx_http_arg(ngx_http_request_t *r, u_char *name, size_t len,
    ngx_str_t *value)
{
    u_char  *p, *last, *end;

    if (r->args.len == 0) {
        return NGX_DECLINED;
    }

    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        end = memchr(p, '&', last - p);
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) > len && p[len] == '='
            && ngx_strncasecmp(p, name, len) == 0)
        {
            value->data = p + len + 1;
            value->len = end - value->data;
            return NGX_OK;
        }

        p = end + 1;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_shim_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


void
ngx_unescape_uri(u_char **dst, u_char **src, size_t size, ngx_uint_t type)
{
    u_char     *d, *s, *last;
    ngx_int_t   hi, lo;

    d = *dst;
    s = *src;
    last = s + size;

    while (s < last) {
        if (*s == '?' && (type & NGX_UNESCAPE_URI)) {
            *d++ = *s++;
            break;
        }

        if (*s == '%' && last - s >= 3) {
            hi = ngx_shim_hex(s[1]);
            lo = ngx_shim_hex(s[2]);

            if (hi >= 0 && lo >= 0) {
                *d++ = (u_char) (hi * 16 + lo);
                s += 3;
                continue;
            }
        }

        *d++ = *s++;
    }

    *dst = d;
    *src = s;
}


ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value;

    if (n == 0) {
        return NGX_ERROR;
    }

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        if (value > (NGX_MAX_INT_T_VALUE - (*line - '0')) / 10) {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n--) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 != c2) {
            return c1 - c2;
        }

        if (c1 == 0) {
            return 0;
        }
    }

    return 0;
}


void
ngx_explicit_memzero(void *buf, size_t n)
{
    memset(buf, 0, n);
}


/* the module's ctx_index is 0: a request's main_conf[0] is its conf */
ngx_module_t  ngx_http_djass_module;
