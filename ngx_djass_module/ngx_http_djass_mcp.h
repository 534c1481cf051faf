/*
 * Djass for nginx: the MCP endpoint (djass_mcp), shared by its transport
 * (ngx_http_djass_mcp.c) and its tools (ngx_http_djass_mcp_tools.c).
 */

#ifndef _NGX_HTTP_DJASS_MCP_H_INCLUDED_
#define _NGX_HTTP_DJASS_MCP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


/* JSON-RPC 2.0 and MCP error codes */
#define NGX_HTTP_DJASS_RPC_PARSE_ERROR       -32700
#define NGX_HTTP_DJASS_RPC_INVALID_REQUEST   -32600
#define NGX_HTTP_DJASS_RPC_METHOD_NOT_FOUND  -32601
#define NGX_HTTP_DJASS_RPC_INVALID_PARAMS    -32602
#define NGX_HTTP_DJASS_RPC_HEADER_MISMATCH   -32020
#define NGX_HTTP_DJASS_RPC_UNSUPPORTED       -32022


/* the location's djass_mcp configuration, made by its first directive */
typedef struct {
    ngx_flag_t                   enabled;        /* djass_mcp */
    ngx_array_t                 *origins;        /* ngx_str_t, or NULL */
    ngx_str_t                    api_base;       /* URL or absolute path */
    ngx_array_t                 *names;          /* ngx_str_t: the server's
                                                    exact server_names */
    ngx_str_t                    tools;          /* tools/list "tools" */
    ngx_str_t                    prompts;        /* prompts/list "prompts" */
} ngx_http_djass_mcp_conf_t;


/*
 * One MCP request.  The call comes first: the Redis reply handler gets
 * the call as its data, and it is the request's state as well.
 */
typedef struct {
    ngx_http_djass_call_t        call;

    json_t                      *msg;            /* the parsed message */
    ngx_str_t                    id;             /* the id as JSON text */
    ngx_uint_t                   modern;         /* 2026-07-28 */

    /* a JSON-RPC error found before the call, answered after auth */
    ngx_int_t                    error;
    const char                  *error_message;
    ngx_str_t                    error_data;     /* JSON text or empty */

    ngx_uint_t                   accepted;       /* notification: 202 */
    ngx_str_t                    result;         /* a result known before */
    ngx_uint_t                   cacheable;      /* list results */

    ngx_uint_t                   tool;           /* tools/call: 1 + index */
    ngx_uint_t                   project_id;
    ngx_uint_t                   wait;           /* wait_seconds, 0: none */
    ngx_msec_t                   deadline;       /* ... until then */
} ngx_http_djass_mcp_req_t;


enum {
    NGX_HTTP_DJASS_MCP_OPTIONS = 1,
    NGX_HTTP_DJASS_MCP_CREATE,
    NGX_HTTP_DJASS_MCP_LIST,
    NGX_HTTP_DJASS_MCP_STATUS,
    NGX_HTTP_DJASS_MCP_DOWNLOAD,
    NGX_HTTP_DJASS_MCP_DELETE
};


/* ngx_http_djass_mcp_tools.c */
json_t *ngx_http_djass_mcp_create_input(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_int_t ngx_http_djass_mcp_tools_init(ngx_conf_t *cf,
    ngx_http_djass_mcp_conf_t *mcf);
ngx_int_t ngx_http_djass_mcp_tool_prepare(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params);
ngx_int_t ngx_http_djass_mcp_tool_result(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n,
    ngx_str_t *result);
ngx_int_t ngx_http_djass_mcp_prompt(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params);
ngx_int_t ngx_http_djass_mcp_dump(ngx_pool_t *pool, json_t *value,
    ngx_str_t *out);


#endif /* _NGX_HTTP_DJASS_MCP_H_INCLUDED_ */
