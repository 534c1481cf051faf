/*
 * Every non-2xx answer from the API location carries the spec's error
 * envelope, also those nginx makes itself (404, 405, 413, 500, ...) and
 * those of the artifacts location a download was redirected to.  Our own
 * JSON replies pass untouched; nginx's HTML error pages are swapped here.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


typedef struct {
    ngx_uint_t    status;
    const char   *code;
    const char   *message;
} ngx_http_djass_status_error_t;


static ngx_uint_t ngx_http_djass_in_api(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_djass_hide_header(ngx_http_request_t *r,
    const char *name, size_t len);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_http_djass_status_error_t  ngx_http_djass_status_errors[] = {
    { NGX_HTTP_BAD_REQUEST, "bad_request", "Malformed request." },
    { NGX_HTTP_UNAUTHORIZED, "auth_required", "Authentication required." },
    { NGX_HTTP_FORBIDDEN, "forbidden", "Access denied." },
    { NGX_HTTP_NOT_FOUND, "not_found", "No such API endpoint." },
    { NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
      "Method not allowed for this endpoint." },
    { NGX_HTTP_PRECONDITION_FAILED, "precondition_failed",
      "Precondition failed." },
    { NGX_HTTP_REQUEST_TIME_OUT, "request_timeout",
      "The request took too long to arrive." },
    { NGX_HTTP_LENGTH_REQUIRED, "length_required",
      "A request body needs a length." },
    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
      "Request body is too large." },
    { NGX_HTTP_REQUEST_URI_TOO_LARGE, "uri_too_long",
      "Request URI is too long." },
    { NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
      "Unsupported media type." },
    { NGX_HTTP_RANGE_NOT_SATISFIABLE, "range_not_satisfiable",
      "Requested range not satisfiable." },
    { NGX_HTTP_TOO_MANY_REQUESTS, "too_many_requests",
      "Too many requests." },
    { NGX_HTTP_SERVICE_UNAVAILABLE, "retryable_error",
      "Service temporarily unavailable." },
    { NGX_HTTP_NOT_IMPLEMENTED, "not_implemented",
      "Not implemented: the request uses a feature this server does not "
      "support." },
    { NGX_HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported",
      "HTTP version not supported." },
    { NGX_HTTP_GATEWAY_TIME_OUT, "retryable_error",
      "Service temporarily unavailable." },
    { NGX_HTTP_BAD_GATEWAY, "retryable_error",
      "Service temporarily unavailable." },
    { 0, "internal_error", "Internal error." }
};


ngx_int_t
ngx_http_djass_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_djass_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_djass_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                       retry;
    const char                     *details;
    ngx_http_djass_ctx_t           *ctx;
    ngx_http_djass_status_error_t  *e;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_djass_get_ctx(r);

    if (ctx && ctx->scrape) {
        /* the djass_metrics location: Prometheus text, nginx's errors */
        return ngx_http_next_header_filter(r);
    }

    if (ctx == NULL) {
        if (!ngx_http_djass_in_api(r)) {
            return ngx_http_next_header_filter(r);
        }

        /*
         * nginx answered before the router ran (413, 400, ...), or before
         * it matched a location at all (414, 501, a bad request line)
         */

        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_ctx_t));
        if (ctx == NULL || ngx_http_djass_set_ctx(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* every answer under the API prefix, the download's included */

    if (ngx_http_djass_set_request_id(r) != NGX_OK) {
        return NGX_ERROR;
    }

    if (r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        return ngx_http_next_header_filter(r);
    }

    if (ctx->replied && ctx->status == r->headers_out.status) {
        /* our own JSON; another status is a filter's (412 of If-Match) */
        return ngx_http_next_header_filter(r);
    }

    details = NULL;

    /*
     * The artifacts location: a conditional or range outcome (304 never
     * comes here, 412, 416) is the client's; anything else means the file
     * could not be served.
     */

    if (ctx->download
        && (r->headers_out.status == NGX_HTTP_BAD_GATEWAY
            || r->headers_out.status == NGX_HTTP_SERVICE_UNAVAILABLE
            || r->headers_out.status == NGX_HTTP_GATEWAY_TIME_OUT))
    {
        /* an artifact store behind proxy_pass is down: worth a retry */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: artifact of project %ui could not be served "
                      "(status %ui): the artifact store is unavailable",
                      ctx->project_id, r->headers_out.status);

        r->headers_out.status = NGX_HTTP_SERVICE_UNAVAILABLE;

        ngx_str_set(&retry, "1");
        if (ngx_http_djass_add_header(r, "Retry-After", &retry) == NULL) {
            return NGX_ERROR;
        }

    } else if (ctx->download
               && r->headers_out.status != NGX_HTTP_RANGE_NOT_SATISFIABLE
               && r->headers_out.status != NGX_HTTP_PRECONDITION_FAILED)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: artifact of project %ui could not be served "
                      "(status %ui): is the artifact store mounted?",
                      ctx->project_id, r->headers_out.status);

        r->headers_out.status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (e = ngx_http_djass_status_errors; e->status; e++) {
        if (e->status == r->headers_out.status) {
            break;
        }
    }

    if (e->status == NGX_HTTP_SERVICE_UNAVAILABLE
        || e->status == NGX_HTTP_GATEWAY_TIME_OUT
        || e->status == NGX_HTTP_BAD_GATEWAY)
    {
        details = "{\"retry_guidance\":\"Retry with exponential backoff.\"}";
    }

    if (ngx_http_djass_error_body(r, r->headers_out.status, e->code,
                                  e->message, details, &ctx->error_body)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->replied = 1;
    ctx->status = r->headers_out.status;
    ctx->replace_body = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = ctx->error_body.len;
    r->headers_out.charset.len = 0;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    if (r->headers_out.etag) {
        r->headers_out.etag->hash = 0;
        r->headers_out.etag = NULL;
    }

    r->headers_out.last_modified_time = -1;
    if (r->headers_out.last_modified) {
        r->headers_out.last_modified->hash = 0;
        r->headers_out.last_modified = NULL;
    }

    ngx_http_djass_hide_header(r, "Content-Disposition",
                               sizeof("Content-Disposition") - 1);

    ngx_http_clear_accept_ranges(r);

    return ngx_http_next_header_filter(r);
}


/*
 * Is the request the API's?  Its location is a djass_api one; or nginx
 * failed it before matching any location (a bad request line or header,
 * 414, 501, TRACE) and its URI starts like a djass_api location of its
 * server.  Without a parsed URI, the raw bytes of the request line are
 * looked at.  A request that matched another location is not ours.
 */

static ngx_uint_t
ngx_http_djass_in_api(ngx_http_request_t *r)
{
    u_char                      *p, *last, *end;
    ngx_uint_t                   i;
    ngx_http_djass_prefix_t     *prefix;
    ngx_http_core_srv_conf_t    *cscf;
    ngx_http_djass_loc_conf_t   *dlcf;
    ngx_http_djass_main_conf_t  *dmcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    if (dlcf->api) {
        return 1;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    if (dmcf == NULL || dmcf->prefixes.nelts == 0 || cscf == NULL
        || r->loc_conf != cscf->ctx->loc_conf)
    {
        return 0;
    }

    if (r->uri.len) {
        p = r->uri.data;
        end = p + r->uri.len;

    } else if (r->request_start && r->header_in
               && r->request_start >= r->header_in->start
               && r->request_start < r->header_in->last)
    {
        last = r->header_in->last;

        if (r->uri_start && r->uri_start > r->request_start
            && r->uri_start < last)
        {
            p = r->uri_start;

        } else {
            /* past the method, whatever it is */

            for (p = r->request_start; p < last && *p != ' '; p++) {
                if (*p == CR || *p == LF) {
                    return 0;
                }
            }

            while (p < last && *p == ' ') {
                p++;
            }
        }

        for (end = p; end < last; end++) {
            if (*end == ' ' || *end == '?' || *end == CR || *end == LF) {
                break;
            }
        }

    } else {
        return 0;
    }

    prefix = dmcf->prefixes.elts;

    for (i = 0; i < dmcf->prefixes.nelts; i++) {
        if (prefix[i].server != cscf) {
            continue;
        }

        if ((size_t) (end - p) < prefix[i].name.len
            || (prefix[i].exact && (size_t) (end - p) != prefix[i].name.len))
        {
            continue;
        }

        if (ngx_strncmp(p, prefix[i].name.data, prefix[i].name.len) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_djass_hide_header(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
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

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            h[i].hash = 0;
        }
    }
}


/* nginx's own page is dropped; our envelope goes out once, last */

static ngx_int_t
ngx_http_djass_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t             *b;
    ngx_chain_t           *cl, out;
    ngx_uint_t             last;
    ngx_http_djass_ctx_t  *ctx;

    if (r->headers_out.status < NGX_HTTP_BAD_REQUEST || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_djass_get_ctx(r);

    if (ctx == NULL || !ctx->replace_body) {
        return ngx_http_next_body_filter(r, in);
    }

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            last = 1;
        }

        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->replace_body == 2 || !last) {
        return NGX_OK;
    }

    ctx->replace_body = 2;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->error_body.data;
    b->last = ctx->error_body.data + ctx->error_body.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}
