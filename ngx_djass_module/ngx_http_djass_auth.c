/*
 * The API key of a request, in the spec's lookup order: X-API-Key, then
 * Authorization with the scheme Bearer, Api-Key, apikey or token (any
 * case), then ?api_key= unless djass_query_auth is off.  The first form
 * present with a non-empty value is the one used.  Only the key's SHA-256
 * leaves this file: the key itself is never stored nor logged.
 *
 * A client polling over one keep-alive connection sends the same key with
 * every request, and hashing it again took a fifth of the module's time on
 * a poll answered from the read cache.  From a connection's second request
 * on, the last key and its digest are kept with the connection: a request
 * carrying the very same key (compared in constant time, as a proxy may
 * pass several clients' requests over one connection) takes
 * the digest from there.  That copy lives in the connection's memory only,
 * never leaves the process, and is wiped when the connection closes.
 */


/* as nginx's own ngx_event_openssl.h: SHA256_Init() and the others below */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/sha.h>

#include "ngx_http_djass_module.h"


static ngx_int_t ngx_http_djass_header_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_authorization_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_query_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_key_digest(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *digest);
static ngx_uint_t ngx_http_djass_same_key(u_char *a, u_char *b, size_t len);
static void ngx_http_djass_key_memo_cleanup(void *data);


/* the longest key a connection keeps (keys are 68 bytes) */
#define NGX_HTTP_DJASS_MEMO_KEY_LEN  128


typedef struct {
    size_t                       len;
    u_char                       key[NGX_HTTP_DJASS_MEMO_KEY_LEN];
    u_char                       digest[SHA256_DIGEST_LENGTH * 2];
} ngx_http_djass_key_memo_t;


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

    return ngx_http_djass_key_digest(r, &key, digest);
}


/* the key's digest: the connection's last one when it is the same key */

static ngx_int_t
ngx_http_djass_key_digest(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *digest)
{
    ngx_connection_t           *c;
    ngx_pool_cleanup_t         *cln;
    ngx_http_djass_key_memo_t  *memo;

    c = r->connection;
    memo = NULL;

    for (cln = c->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_djass_key_memo_cleanup) {
            memo = cln->data;
            break;
        }
    }

    if (memo && memo->len == key->len
        && ngx_http_djass_same_key(memo->key, key->data, key->len))
    {
        digest->len = sizeof(memo->digest);
        digest->data = ngx_pnalloc(r->pool, digest->len);
        if (digest->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(digest->data, memo->digest, digest->len);

        return NGX_OK;
    }

    if (ngx_http_djass_sha256_hex(r->pool, key, digest) != NGX_OK) {
        return NGX_ERROR;
    }

    if (key->len > NGX_HTTP_DJASS_MEMO_KEY_LEN) {
        return NGX_OK;
    }

    if (memo == NULL) {
        /* only a connection that carries more than one request keeps one */
        if (c->requests < 2 || c->fd == (ngx_socket_t) -1) {
            return NGX_OK;
        }

        cln = ngx_pool_cleanup_add(c->pool, sizeof(ngx_http_djass_key_memo_t));
        if (cln == NULL) {
            return NGX_OK;
        }

        cln->handler = ngx_http_djass_key_memo_cleanup;
        memo = cln->data;
    }

    ngx_memcpy(memo->key, key->data, key->len);
    ngx_memcpy(memo->digest, digest->data, digest->len);
    memo->len = key->len;

    return NGX_OK;
}


/*
 * In constant time: every byte is read whatever differs (OpenSSL's
 * CRYPTO_memcmp() does so a byte at a time, slower than the hash it
 * spares here).
 */

static ngx_uint_t
ngx_http_djass_same_key(u_char *a, u_char *b, size_t len)
{
    size_t    i;
    uint64_t  x, y, d;

    d = 0;

    for (i = 0; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
        ngx_memcpy(&x, a + i, sizeof(uint64_t));
        ngx_memcpy(&y, b + i, sizeof(uint64_t));
        d |= x ^ y;
    }

    for ( /* void */ ; i < len; i++) {
        d |= a[i] ^ b[i];
    }

    return d == 0;
}


static void
ngx_http_djass_key_memo_cleanup(void *data)
{
    ngx_http_djass_key_memo_t  *memo = data;

    ngx_explicit_memzero(memo, sizeof(ngx_http_djass_key_memo_t));
}


/*
 * The SHA-256 of in as 64 lowercase hex digits in the pool.  By the
 * functions OpenSSL 3 deprecates but keeps: its EVP interface makes and
 * frees a provider context for every digest, and SHA256() looks the
 * algorithm up under a lock each time; either took as long again as the
 * hashing itself on the polling path, where every request hashes its key.
 */

ngx_int_t
ngx_http_djass_sha256_hex(ngx_pool_t *pool, ngx_str_t *in, ngx_str_t *hex)
{
    u_char      md[SHA256_DIGEST_LENGTH];
    SHA256_CTX  sha;

    if (SHA256_Init(&sha) != 1
        || SHA256_Update(&sha, in->data, in->len) != 1
        || SHA256_Final(md, &sha) != 1)
    {
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
