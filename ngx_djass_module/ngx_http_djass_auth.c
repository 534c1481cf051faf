/*
 * The API key of a request, in the spec's lookup order: X-API-Key, then
 * Authorization with the scheme Bearer, Api-Key, apikey or token (any
 * case), then ?api_key= unless djass_query_auth is off.  The first form
 * present with a non-empty value is the one used.  Only the key's SHA-256
 * leaves this file: the key itself is never stored nor logged.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ngx_http_djass_module.h"


static ngx_int_t ngx_http_djass_header_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_authorization_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_query_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_sha256(ngx_str_t *in, u_char *md);


#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
static EVP_MD      *ngx_http_djass_sha256_md;
static EVP_MD_CTX  *ngx_http_djass_sha256_ctx;
#endif


static ngx_str_t  ngx_http_djass_schemes[] = {
    ngx_string("bearer"),
    ngx_string("api-key"),
    ngx_string("apikey"),
    ngx_string("token"),
    ngx_null_string
};


/*
 * NGX_OK with digest set (64 hex digits in the request pool),
 * NGX_HTTP_DJASS_NO_KEY when the request carries no key, NGX_ERROR when
 * out of memory.  Each form found is logged at debug level by its name,
 * never with the key.
 */

ngx_int_t
ngx_http_djass_auth_key(ngx_http_request_t *r, ngx_str_t *digest)
{
    ngx_int_t                   rc;
    ngx_str_t                   key, deprecation;
    ngx_http_djass_loc_conf_t  *dlcf;

    rc = ngx_http_djass_header_key(r, &key);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        rc = ngx_http_djass_authorization_key(r, &key);
    }

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

        if (dlcf->query_auth) {
            rc = ngx_http_djass_query_key(r, &key);

            if (rc == NGX_OK) {
                ngx_str_set(&deprecation, "true");

                if (ngx_http_djass_add_header(r, "Deprecation", &deprecation)
                    == NULL)
                {
                    return NGX_ERROR;
                }
            }
        }
    }

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass auth: no API key");
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_djass_sha256_hex(r->pool, &key, digest);
}


/* the SHA-256 of in as 64 lowercase hex digits in the pool */

ngx_int_t
ngx_http_djass_sha256_hex(ngx_pool_t *pool, ngx_str_t *in, ngx_str_t *hex)
{
    u_char  md[SHA256_DIGEST_LENGTH];

    if (ngx_http_djass_sha256(in, md) != NGX_OK) {
        return NGX_ERROR;
    }

    hex->len = SHA256_DIGEST_LENGTH * 2;
    hex->data = ngx_pnalloc(pool, hex->len);
    if (hex->data == NULL) {
        return NGX_ERROR;
    }

    ngx_hex_dump(hex->data, md, SHA256_DIGEST_LENGTH);

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_header_key(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NGX_HTTP_DJASS_NO_KEY;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("X-API-Key") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "X-API-Key",
                               sizeof("X-API-Key") - 1) == 0
            && h[i].value.len)
        {
            *key = h[i].value;

            /* the form only: the key itself is never logged */
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "djass auth: API key from X-API-Key");

            return NGX_OK;
        }
    }
}


/* "Authorization: <scheme> <key>" */

static ngx_int_t
ngx_http_djass_authorization_key(ngx_http_request_t *r, ngx_str_t *key)
{
    u_char     *p, *last, *scheme;
    size_t      len;
    ngx_str_t  *s;

    if (r->headers_in.authorization == NULL) {
        return NGX_HTTP_DJASS_NO_KEY;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    while (p < last && *p == ' ') {
        p++;
    }

    scheme = p;

    while (p < last && *p != ' ' && *p != '\t') {
        p++;
    }

    len = p - scheme;

    for (s = ngx_http_djass_schemes; s->len; s++) {
        if (s->len == len && ngx_strncasecmp(scheme, s->data, len) == 0) {
            break;
        }
    }

    if (s->len == 0) {
        return NGX_HTTP_DJASS_NO_KEY;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    if (p == last) {
        return NGX_HTTP_DJASS_NO_KEY;
    }

    key->data = p;
    key->len = last - p;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass auth: API key from Authorization, scheme \"%V\"",
                   s);

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_query_key(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_int_t  rc;

    rc = ngx_http_djass_arg(r, "api_key", key);

    if (rc == NGX_HTTP_DJASS_ABSENT) {
        return NGX_HTTP_DJASS_NO_KEY;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (key->len == 0) {
        return NGX_HTTP_DJASS_NO_KEY;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass auth: API key from the api_key query argument");

    return NGX_OK;
}


/*
 * OpenSSL 3 looks the algorithm up again on every one-shot SHA256() call,
 * under a lock: a worker fetches it once and keeps one context.
 */

static ngx_int_t
ngx_http_djass_sha256(ngx_str_t *in, u_char *md)
{
#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

    if (ngx_http_djass_sha256_ctx == NULL) {
        ngx_http_djass_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
        ngx_http_djass_sha256_ctx = EVP_MD_CTX_new();

        if (ngx_http_djass_sha256_md == NULL
            || ngx_http_djass_sha256_ctx == NULL)
        {
            ngx_http_djass_auth_exit();
            return NGX_ERROR;
        }
    }

    if (EVP_DigestInit_ex2(ngx_http_djass_sha256_ctx,
                           ngx_http_djass_sha256_md, NULL) != 1
        || EVP_DigestUpdate(ngx_http_djass_sha256_ctx, in->data, in->len)
           != 1
        || EVP_DigestFinal_ex(ngx_http_djass_sha256_ctx, md, NULL) != 1)
    {
        return NGX_ERROR;
    }

#else

    SHA256(in->data, in->len, md);

#endif

    return NGX_OK;
}


/* exit_process: the module may be unloaded, its statics with it */

void
ngx_http_djass_auth_exit(void)
{
#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

    EVP_MD_CTX_free(ngx_http_djass_sha256_ctx);
    EVP_MD_free(ngx_http_djass_sha256_md);

    ngx_http_djass_sha256_ctx = NULL;
    ngx_http_djass_sha256_md = NULL;

#endif
}
