/*
 * Downloads from an S3 artifact store (djass_artifacts s3://BUCKET/PREFIX/):
 * nginx signs a GET of the object with lib/djass_s3.c (SigV4) and streams
 * the store's answer to the client through its upstream machinery,
 * unbuffered (the ZIP is never held whole); Range and If-None-Match go
 * along, the store's ETag, Last-Modified and Content-Range come back.
 * With djass_s3_redirect on, the answer is instead a 302 to a presigned
 * URL valid for the TTL.
 *
 * The endpoint is resolved once, at start (ngx_parse_url): a store whose
 * address changes needs a reload.  An https endpoint is verified (its
 * certificate against the system's CAs, its name) before anything is
 * sent.  The credentials file is read at start
 * too; its contents never reach a log line.  The store's failures become
 * the API's envelope in ngx_http_djass_filter.c: unreachable or 5xx is
 * 503 retryable_error with Retry-After, anything else (404, 403) the
 * logged 500.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "djass_s3.h"


#define NGX_HTTP_DJASS_S3_TTL_MAX    604800      /* SigV4's limit: 7 days */


typedef struct {
    ngx_http_status_t            status;
    ngx_str_t                    key;
    ngx_uint_t                   project_id;
} ngx_http_djass_s3_req_t;


static ngx_int_t ngx_http_djass_s3_redirect_answer(ngx_http_request_t *r,
    ngx_http_djass_loc_conf_t *dlcf, ngx_str_t *key);
static ngx_int_t ngx_http_djass_s3_create_request(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_s3_reinit_request(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_s3_process_status(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_s3_process_header(ngx_http_request_t *r);
static void ngx_http_djass_s3_abort_request(ngx_http_request_t *r);
static void ngx_http_djass_s3_finalize_request(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_djass_s3_filter_init(void *data);
static ngx_int_t ngx_http_djass_s3_filter(void *data, ssize_t bytes);
static char *ngx_http_djass_s3_main(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
static void ngx_http_djass_s3_cleanup_creds(void *data);
static char *ngx_http_djass_s3_resolve(ngx_conf_t *cf, djass_s3_t *s3,
    ngx_http_djass_loc_conf_t *conf);
static char *ngx_http_djass_s3_tls(ngx_conf_t *cf,
    ngx_http_upstream_conf_t *up);


/* djass_s3_redirect on [TTL] | off */

char *
ngx_http_djass_s3_redirect(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_djass_loc_conf_t  *dlcf = conf;

    time_t      ttl;
    ngx_str_t  *value;

    if (dlcf->s3_redirect != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0 && cf->args->nelts == 2) {
        dlcf->s3_redirect = 0;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "on") != 0) {
        return "takes \"on [TTL]\" or \"off\"";
    }

    dlcf->s3_redirect = 1;

    if (cf->args->nelts == 3) {
        ttl = ngx_parse_time(&value[2], 1);

        if (ttl == (time_t) NGX_ERROR || ttl < 1
            || ttl > NGX_HTTP_DJASS_S3_TTL_MAX)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "djass_s3_redirect: the TTL \"%V\" is not "
                               "a time from 1s to 7d", &value[2]);
            return NGX_CONF_ERROR;
        }

        dlcf->s3_redirect_ttl = ttl;
    }

    return NGX_CONF_OK;
}


/*
 * What every S3 location shares, once: the credentials (the file of
 * djass_s3_credentials, or the AWS_* environment of the master).
 */

static char *
ngx_http_djass_s3_main(ngx_conf_t *cf, ngx_http_djass_main_conf_t *dmcf)
{
    char                 err[256];
    u_char              *path;
    djass_s3_creds_t    *creds;
    ngx_pool_cleanup_t  *cln;

    if (dmcf->s3_creds) {
        return NGX_CONF_OK;
    }

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(djass_s3_creds_t));
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    creds = cln->data;
    ngx_memzero(creds, sizeof(djass_s3_creds_t));
    cln->handler = ngx_http_djass_s3_cleanup_creds;

    path = NULL;

    if (dmcf->s3_credentials.len) {
        if (ngx_conf_full_name(cf->cycle, &dmcf->s3_credentials, 1)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        path = ngx_pnalloc(cf->pool, dmcf->s3_credentials.len + 1);
        if (path == NULL) {
            return NGX_CONF_ERROR;
        }

        (void) ngx_cpystrn(path, dmcf->s3_credentials.data,
                           dmcf->s3_credentials.len + 1);
    }

    if (djass_s3_creds_load((char *) path, creds, err, sizeof(err)) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "djass_s3_credentials: %s",
                           err);
        return NGX_CONF_ERROR;
    }

    dmcf->s3_creds = creds;

    return NGX_CONF_OK;
}


static void
ngx_http_djass_s3_cleanup_creds(void *data)
{
    djass_s3_creds_clear(data);
}


/*
 * An https endpoint (AWS's): TLS 1.2 or 1.3 to the store, its certificate
 * verified against the system's trusted CAs (OpenSSL's default paths:
 * SSL_CERT_FILE or SSL_CERT_DIR in nginx's environment point elsewhere)
 * and its name against the endpoint's host, sent as SNI.
 */

static char *
ngx_http_djass_s3_tls(ngx_conf_t *cf, ngx_http_upstream_conf_t *up)
{
#if (NGX_HTTP_SSL)
    ngx_pool_cleanup_t  *cln;

    up->ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (up->ssl == NULL) {
        return NGX_CONF_ERROR;
    }

    up->ssl->log = cf->log;

    if (ngx_ssl_create(up->ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(up->ssl);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = up->ssl;

    if (SSL_CTX_set_default_verify_paths(up->ssl->ctx) != 1) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "djass_s3_endpoint: cannot load the trusted CA "
                      "certificates");
        return NGX_CONF_ERROR;
    }

    up->ssl_verify = 1;
    up->ssl_server_name = 1;
    up->ssl_session_reuse = 0;

    return NGX_CONF_OK;
#else
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "djass_s3_endpoint: https "
                       "needs nginx built with SSL");
    return NGX_CONF_ERROR;
#endif
}


/*
 * The store's address, for streaming: resolved now, once (ngx_parse_url),
 * its first address used; with AWS the bucket's own host name.
 */

static char *
ngx_http_djass_s3_resolve(ngx_conf_t *cf, djass_s3_t *s3,
    ngx_http_djass_loc_conf_t *conf)
{
    size_t     n;
    ngx_url_t  u;

    ngx_memzero(&u, sizeof(ngx_url_t));

    n = ngx_strlen(s3->connect_host);
    u.url.data = ngx_pnalloc(cf->pool, n + 2);
    if (u.url.data == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strchr(s3->connect_host, ':')) {
        /* an IPv6 address */
        u.url.data[0] = '[';
        ngx_memcpy(u.url.data + 1, s3->connect_host, n);
        u.url.data[n + 1] = ']';
        u.url.len = n + 2;

    } else {
        ngx_memcpy(u.url.data, s3->connect_host, n);
        u.url.len = n;
    }

    u.default_port = (in_port_t) s3->port;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "djass_artifacts \"%V\": "
                           "cannot resolve \"%s\" (the S3 store): %s",
                           &conf->artifacts, s3->connect_host,
                           u.err ? u.err : "no address");
        return NGX_CONF_ERROR;
    }

    conf->s3_addr = &u.addrs[0];

    return NGX_CONF_OK;
}


/* djass_artifacts s3://BUCKET/PREFIX/: checked and resolved at start */

char *
ngx_http_djass_s3_merge(ngx_conf_t *cf, ngx_http_djass_loc_conf_t *prev,
    ngx_http_djass_loc_conf_t *conf)
{
    char                         err[256];
    u_char                      *url;
    djass_s3_t                  *s3;
    ngx_http_upstream_conf_t    *up;
    ngx_http_djass_main_conf_t  *dmcf;

    if (conf->artifacts.len < sizeof(DJASS_S3_SCHEME) - 1
        || ngx_strncmp(conf->artifacts.data, DJASS_S3_SCHEME,
                       sizeof(DJASS_S3_SCHEME) - 1) != 0)
    {
        return NGX_CONF_OK;
    }

    if (conf->artifacts.data == prev->artifacts.data && prev->s3) {
        conf->s3 = prev->s3;
        conf->s3_upstream = prev->s3_upstream;
        conf->s3_addr = prev->s3_addr;

        if (conf->s3_addr == NULL && !conf->s3_redirect) {
            return ngx_http_djass_s3_resolve(cf, conf->s3, conf);
        }

        return NGX_CONF_OK;
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_djass_module);

    if (ngx_http_djass_s3_main(cf, dmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    s3 = ngx_pcalloc(cf->pool, sizeof(djass_s3_t));
    url = ngx_pnalloc(cf->pool, conf->artifacts.len + 1);
    up = ngx_pcalloc(cf->pool, sizeof(ngx_http_upstream_conf_t));
    if (s3 == NULL || url == NULL || up == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn(url, conf->artifacts.data, conf->artifacts.len + 1);

    if (djass_s3_parse((char *) url, (char *) dmcf->s3_endpoint.data,
                       (char *) dmcf->s3_region.data, s3, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "djass_artifacts \"%V\": "
                           "%s", &conf->artifacts, err);
        return NGX_CONF_ERROR;
    }

    if (!conf->s3_redirect
        && ngx_http_djass_s3_resolve(cf, s3, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (s3->https && ngx_http_djass_s3_tls(cf, up) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /* the upstream: unbuffered, no temporary files, one try */
    up->connect_timeout = 5000;
    up->send_timeout = 30000;
    up->read_timeout = 60000;
    up->buffer_size = 64 * 1024;
    up->buffering = 0;
    up->ignore_client_abort = 0;
    up->intercept_errors = 0;
    up->next_upstream = NGX_HTTP_UPSTREAM_FT_OFF;
    up->next_upstream_tries = 1;
    ngx_str_set(&up->module, "djass_s3");

    conf->s3 = s3;
    conf->s3_upstream = up;

    return NGX_CONF_OK;
}


/* the download of a ready artifact: Content-Disposition is set */

ngx_int_t
ngx_http_djass_s3_download(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx,
    ngx_str_t *artifact)
{
    ngx_int_t                    rc;
    djass_s3_t                  *s3;
    ngx_http_upstream_t         *u;
    ngx_http_djass_s3_req_t     *st;
    ngx_http_djass_loc_conf_t   *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);
    s3 = dlcf->s3;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    st = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_s3_req_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->project_id = ctx->project_id;

    /* the key: the prefix and the artifact's checked relative path */
    st->key.len = ngx_strlen(s3->prefix) + artifact->len;
    st->key.data = ngx_pnalloc(r->pool, st->key.len + 1);
    if (st->key.data == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(ngx_cpymem(st->key.data, s3->prefix, ngx_strlen(s3->prefix)),
                artifact->data, artifact->len) = '\0';

    if (dlcf->s3_redirect) {
        return ngx_http_djass_s3_redirect_answer(r, dlcf, &st->key);
    }

    if (ngx_http_upstream_create(r) != NGX_OK) {
        return NGX_ERROR;
    }

    u = r->upstream;

    u->resolved = ngx_pcalloc(r->pool, sizeof(ngx_http_upstream_resolved_t));
    if (u->resolved == NULL) {
        return NGX_ERROR;
    }

    u->resolved->sockaddr = dlcf->s3_addr->sockaddr;
    u->resolved->socklen = dlcf->s3_addr->socklen;
    u->resolved->naddrs = 1;
    u->resolved->host = dlcf->s3_addr->name;
    u->resolved->port = (in_port_t) s3->port;

    u->conf = dlcf->s3_upstream;

#if (NGX_HTTP_SSL)
    if (s3->https) {
        u->ssl = 1;
        u->ssl_name.data = (u_char *) s3->connect_host;
        u->ssl_name.len = ngx_strlen(s3->connect_host);
    }
#endif
    u->output.tag = (ngx_buf_tag_t) &ngx_http_djass_module;
    u->buffering = 0;

    u->create_request = ngx_http_djass_s3_create_request;
    u->reinit_request = ngx_http_djass_s3_reinit_request;
    u->process_header = ngx_http_djass_s3_process_status;
    u->abort_request = ngx_http_djass_s3_abort_request;
    u->finalize_request = ngx_http_djass_s3_finalize_request;
    u->input_filter_init = ngx_http_djass_s3_filter_init;
    u->input_filter = ngx_http_djass_s3_filter;
    u->input_filter_ctx = r;

    ctx->data = st;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass s3 GET of the artifact \"%V\"", &st->key);

    r->main->count++;
    ngx_http_upstream_init(r);

    return NGX_DONE;
}


/* 302 Found to a presigned URL; the client fetches from the store */

static ngx_int_t
ngx_http_djass_s3_redirect_answer(ngx_http_request_t *r,
    ngx_http_djass_loc_conf_t *dlcf, ngx_str_t *key)
{
    char                        *url;
    ngx_int_t                    rc;
    ngx_str_t                    location, no_store;
    ngx_table_elt_t             *h;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    url = djass_s3_presign(dlcf->s3, dmcf->s3_creds, (char *) key->data,
                           (long) dlcf->s3_redirect_ttl,
                           (long long) ngx_time());
    if (url == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: cannot presign the artifact \"%V\"", key);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location.len = ngx_strlen(url);
    location.data = ngx_pnalloc(r->pool, location.len);
    if (location.data == NULL) {
        ngx_free(url);
        return NGX_ERROR;
    }

    ngx_memcpy(location.data, url, location.len);
    ngx_free(url);

    h = ngx_http_djass_add_header(r, "Location", &location);
    if (h == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.location = h;

    /* the URL expires: no cache may keep the redirect */
    ngx_str_set(&no_store, "no-store");
    if (ngx_http_djass_add_header(r, "Cache-Control", &no_store) == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.status = NGX_HTTP_MOVED_TEMPORARILY;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


/* "Name: value\r\n" */

static u_char *
ngx_http_djass_s3_line(u_char *p, const char *name, ngx_str_t *value)
{
    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p++ = ':';
    *p++ = ' ';
    p = ngx_cpymem(p, value->data, value->len);
    *p++ = CR;
    *p++ = LF;
    return p;
}


/*
 * GET <path> HTTP/1.0 with the signed headers, the client's Range and
 * If-None-Match, and Connection: close (one request per connection: the
 * store's close ends the body of an answer without a length).
 */

static ngx_int_t
ngx_http_djass_s3_create_request(ngx_http_request_t *r)
{
    size_t                       len, i;
    u_char                      *p;
    ngx_buf_t                   *b;
    ngx_str_t                    none;
    ngx_chain_t                 *cl;
    djass_s3_req_t               req;
    ngx_table_elt_t             *range, *inm;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_s3_req_t     *st;
    ngx_http_djass_loc_conf_t   *dlcf;
    ngx_http_djass_main_conf_t  *dmcf;

    ctx = ngx_http_djass_get_ctx(r);
    st = ctx->data;
    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    if (djass_s3_sign(dlcf->s3, dmcf->s3_creds, "GET", (char *) st->key.data,
                      NULL, 0, NULL, NULL, 0, (long long) ngx_time(), &req)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: cannot sign the GET of the artifact \"%V\"",
                      &st->key);
        return NGX_ERROR;
    }

    range = r->headers_in.range;
    inm = r->headers_in.if_none_match;
    ngx_str_null(&none);

    len = sizeof("GET  HTTP/1.0" CRLF) - 1 + ngx_strlen(req.path)
          + sizeof("Connection: close" CRLF CRLF) - 1
          + (range ? sizeof("Range: " CRLF) - 1 + range->value.len : 0)
          + (inm ? sizeof("If-None-Match: " CRLF) - 1 + inm->value.len : 0);

    for (i = 0; i < req.nheaders; i++) {
        len += ngx_strlen(req.headers[i]) + 2;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        djass_s3_req_free(&req);
        return NGX_ERROR;
    }

    p = ngx_sprintf(b->last, "GET %s HTTP/1.0" CRLF, req.path);

    for (i = 0; i < req.nheaders; i++) {
        p = ngx_sprintf(p, "%s" CRLF, req.headers[i]);
    }

    djass_s3_req_free(&req);

    if (range) {
        p = ngx_http_djass_s3_line(p, "Range", &range->value);
    }

    if (inm) {
        p = ngx_http_djass_s3_line(p, "If-None-Match", &inm->value);
    }

    p = ngx_cpymem(p, "Connection: close" CRLF CRLF,
                   sizeof("Connection: close" CRLF CRLF) - 1);

    b->last = p;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    r->upstream->request_bufs = cl;

    /* the signed request is not logged: it names the access key */

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_s3_reinit_request(ngx_http_request_t *r)
{
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_s3_req_t  *st;

    ctx = ngx_http_djass_get_ctx(r);
    st = ctx->data;

    ngx_memzero(&st->status, sizeof(ngx_http_status_t));
    r->upstream->process_header = ngx_http_djass_s3_process_status;
    r->state = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_s3_process_status(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_upstream_t      *u;
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_s3_req_t  *st;

    ctx = ngx_http_djass_get_ctx(r);
    st = ctx->data;
    u = r->upstream;

    rc = ngx_http_parse_status_line(r, &u->buffer, &st->status);

    if (rc == NGX_AGAIN) {
        return rc;
    }

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: the S3 store sent no valid HTTP status line "
                      "for the artifact of project %ui", st->project_id);
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    u->headers_in.status_n = st->status.code;
    u->state->status = st->status.code;

    switch (st->status.code) {

    case NGX_HTTP_OK:
    case NGX_HTTP_PARTIAL_CONTENT:
    case NGX_HTTP_NOT_MODIFIED:
    case NGX_HTTP_PRECONDITION_FAILED:
    case NGX_HTTP_RANGE_NOT_SATISFIABLE:
        break;

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: the S3 store answered %ui to the GET of the "
                      "artifact of project %ui (\"%V\")", st->status.code,
                      st->project_id, &st->key);

        /*
         * not the client's to see: the header filter answers 503 for a
         * 5xx (502 here), the logged 500 for anything else, a redirect
         * included (its Location is the store's business)
         */
        u->headers_in.status_n =
                         (st->status.code >= NGX_HTTP_INTERNAL_SERVER_ERROR)
                         ? NGX_HTTP_BAD_GATEWAY
                         : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    u->process_header = ngx_http_djass_s3_process_header;

    return ngx_http_djass_s3_process_header(r);
}


/*
 * The store's headers: Content-Length, and for the client ETag,
 * Last-Modified, Content-Range and Accept-Ranges (the rest is the
 * store's business: x-amz-*, Server, its Content-Type).
 */

static ngx_int_t
ngx_http_djass_s3_process_header(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 name, value, *copy;
    ngx_uint_t                pass;
    ngx_table_elt_t          *h;
    ngx_http_upstream_t      *u;
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_s3_req_t  *st;

    static const char  *passed[] = {
        "ETag", "Last-Modified", "Content-Range", "Accept-Ranges", NULL
    };

    u = r->upstream;
    ctx = ngx_http_djass_get_ctx(r);
    st = ctx->data;

    for ( ;; ) {
        rc = ngx_http_parse_header_line(r, &u->buffer, 1);

        if (rc == NGX_OK) {
            name.data = r->header_name_start;
            name.len = r->header_name_end - r->header_name_start;
            value.data = r->header_start;
            value.len = r->header_end - r->header_start;

            if (name.len == sizeof("Content-Length") - 1
                && ngx_strncasecmp(name.data, (u_char *) "Content-Length",
                                   name.len) == 0)
            {
                /* a second one: which length is the object's? */
                if (u->headers_in.content_length_n != -1) {
                    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                                  "djass: the S3 store sent two "
                                  "Content-Length headers for the artifact "
                                  "of project %ui", st->project_id);
                    return NGX_HTTP_UPSTREAM_INVALID_HEADER;
                }

                u->headers_in.content_length_n = ngx_atoof(value.data,
                                                           value.len);
                if (u->headers_in.content_length_n < 0) {
                    return NGX_HTTP_UPSTREAM_INVALID_HEADER;
                }

                continue;
            }

            if (st->status.code < NGX_HTTP_SPECIAL_RESPONSE
                && name.len == sizeof("Content-Type") - 1
                && ngx_strncasecmp(name.data, (u_char *) "Content-Type",
                                   name.len) == 0
                && value.len >= sizeof("text/html") - 1
                && ngx_strncasecmp(value.data, (u_char *) "text/html",
                                   sizeof("text/html") - 1) == 0)
            {
                /* a proxy's or a portal's page, not the ZIP */
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "djass: the S3 store answered an HTML page "
                              "for the artifact of project %ui",
                              st->project_id);
                return NGX_HTTP_UPSTREAM_INVALID_HEADER;
            }

            if (u->headers_in.status_n >= NGX_HTTP_BAD_REQUEST) {
                continue;
            }

            for (pass = 0; passed[pass]; pass++) {
                if (name.len == ngx_strlen(passed[pass])
                    && ngx_strncasecmp(name.data, (u_char *) passed[pass],
                                       name.len) == 0)
                {
                    break;
                }
            }

            if (passed[pass] == NULL) {
                continue;
            }

            if (pass == 1) {
                /* nginx writes Last-Modified from the time */
                r->headers_out.last_modified_time =
                                   ngx_parse_http_time(value.data, value.len);
                continue;
            }

            copy = ngx_palloc(r->pool, sizeof(ngx_str_t));
            if (copy == NULL) {
                return NGX_ERROR;
            }

            copy->len = value.len;
            copy->data = ngx_pstrdup(r->pool, &value);
            if (copy->data == NULL) {
                return NGX_ERROR;
            }

            h = ngx_http_djass_add_header(r, passed[pass], copy);
            if (h == NULL) {
                return NGX_ERROR;
            }

            if (pass == 0) {
                r->headers_out.etag = h;
            }

            continue;
        }

        if (rc == NGX_HTTP_PARSE_HEADER_DONE) {
            return NGX_OK;
        }

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        /* a header nginx cannot parse: not one we pass on */
        if (rc == NGX_HTTP_PARSE_INVALID_HEADER) {
            continue;
        }

        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }
}


static void
ngx_http_djass_s3_abort_request(ngx_http_request_t *r)
{
    return;
}


static void
ngx_http_djass_s3_finalize_request(ngx_http_request_t *r, ngx_int_t rc)
{
    return;
}


/* the body's length: the store's Content-Length (none for 304) */

static ngx_int_t
ngx_http_djass_s3_filter_init(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_upstream_t  *u;

    u = r->upstream;

    if (u->headers_in.status_n == NGX_HTTP_NOT_MODIFIED
        || r->method == NGX_HTTP_HEAD)
    {
        u->length = 0;

    } else {
        u->length = u->headers_in.content_length_n;
    }

    return NGX_OK;
}


/* the bytes just read into u->buffer go to the client as they are */

static ngx_int_t
ngx_http_djass_s3_filter(void *data, ssize_t bytes)
{
    ngx_http_request_t  *r = data;

    ngx_buf_t            *b;
    ngx_chain_t          *cl, **ll;
    ngx_http_upstream_t  *u;

    u = r->upstream;

    if (u->length == 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "djass: the S3 store sent more than its "
                      "Content-Length");
        return NGX_OK;
    }

    for (cl = u->out_bufs, ll = &u->out_bufs; cl; cl = cl->next) {
        ll = &cl->next;
    }

    cl = ngx_chain_get_free_buf(r->pool, &u->free_bufs);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    *ll = cl;

    b = cl->buf;
    b->flush = 1;
    b->memory = 1;
    b->tag = u->output.tag;
    b->pos = u->buffer.last;
    u->buffer.last += bytes;
    b->last = u->buffer.last;

    if (u->length == -1) {
        return NGX_OK;
    }

    if (bytes > u->length) {
        b->last = b->pos + u->length;
        u->length = 0;
        return NGX_OK;
    }

    u->length -= bytes;

    return NGX_OK;
}
