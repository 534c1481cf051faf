/*
 * What the module's files refer to outside the parsers the fuzz targets
 * call (replies, Redis, nginx's core): linked, never reached.  Each one
 * aborts with its name if it is, so a target that starts to reach one
 * fails loudly instead of running past it.  Weak: a target that links
 * the real definition gets it.
 */

#include <stdio.h>
#include <stdlib.h>


#define NGX_STUB(name)                                                       \
    __attribute__((weak)) void name(void);                                   \
    __attribute__((weak)) void                                               \
    name(void)                                                               \
    {                                                                        \
        fprintf(stderr, "ngx_stubs: %s reached in a fuzz target\n", #name);  \
        abort();                                                             \
    }

NGX_STUB(ngx_hex_dump)
NGX_STUB(ngx_sprintf)
NGX_STUB(ngx_pool_cleanup_add)
NGX_STUB(ngx_conf_log_error)
NGX_STUB(ngx_md5_init)
NGX_STUB(ngx_md5_update)
NGX_STUB(ngx_md5_final)
NGX_STUB(ngx_http_discard_request_body)
NGX_STUB(ngx_http_djass_add_header)
NGX_STUB(ngx_http_djass_call_args)
NGX_STUB(ngx_http_djass_call_flag)
NGX_STUB(ngx_http_djass_call_init)
NGX_STUB(ngx_http_djass_call_number)
NGX_STUB(ngx_http_djass_call_reply)
NGX_STUB(ngx_http_djass_call_send)
NGX_STUB(ngx_http_djass_create_handler)
NGX_STUB(ngx_http_djass_delete_handler)
NGX_STUB(ngx_http_djass_download_handler)
NGX_STUB(ngx_http_djass_events_handler)
NGX_STUB(ngx_http_djass_get_handler)
NGX_STUB(ngx_http_djass_help_build)
NGX_STUB(ngx_http_djass_help_handler)
NGX_STUB(ngx_http_djass_internal_error)
NGX_STUB(ngx_http_djass_log_escape)
NGX_STUB(ngx_http_djass_object)
NGX_STUB(ngx_http_djass_object_len)
NGX_STUB(ngx_http_djass_oneshot_handler)
NGX_STUB(ngx_http_djass_openapi_handler)
NGX_STUB(ngx_http_djass_options_handler)
NGX_STUB(ngx_http_djass_send_error)
NGX_STUB(ngx_http_djass_send_json)
NGX_STUB(ngx_http_djass_status_handler)
NGX_STUB(ngx_http_djass_unauthorized)

/* data: only its address is taken (the list's reply shape) */
__attribute__((weak)) char  ngx_http_djass_project_shape[64];
