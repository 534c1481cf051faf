/*
 * The project endpoints.  (Filled in by the Projects API work.)
 */


#include "ngx_http_djass_module.h"


static ngx_int_t
ngx_http_djass_unavailable(ngx_http_request_t *r)
{
    return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "retryable_error",
                                     "Projects are not available yet.",
                                     "{\"retry_guidance\":"
                                     "\"Retry with exponential backoff.\"}");
}


ngx_int_t
ngx_http_djass_create_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_unavailable(r);
}


ngx_int_t
ngx_http_djass_list_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_unavailable(r);
}


ngx_int_t
ngx_http_djass_get_handler(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_unavailable(r);
}


ngx_int_t
ngx_http_djass_status_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_unavailable(r);
}


ngx_int_t
ngx_http_djass_download_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_unavailable(r);
}
