/*
 * The MCP endpoint (djass_mcp): the Model Context Protocol's Streamable
 * HTTP transport, stateless, answered with application/json only.
 *
 * One POST carries one JSON-RPC 2.0 message.  The order of the checks:
 * Origin (403), method (405), the API key in a header (401, never the
 * query string), the body's size (413); then the message is parsed and
 * one call of the API script is made -- the tool's own operation, or
 * "auth" for every other message -- so that a bad key is 401 before any
 * JSON-RPC answer, at one Redis round trip per request.
 *
 * Both eras of the protocol: the 2026-07-28 revision (server/discover,
 * per-request _meta and headers, checked as its transport says), and the
 * initialize handshake of 2024-11-05 to 2025-11-25, run statelessly (no
 * Mcp-Session-Id: every request stands alone).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_mcp.h"
#include "ngx_http_djass_wait.h"
#include "djass_scripts.h"
#include "ngx_http_djass_version.h"


#define NGX_HTTP_DJASS_MCP_MODERN        "2026-07-28"
#define NGX_HTTP_DJASS_MCP_LATEST        "2025-11-25"
#define NGX_HTTP_DJASS_MCP_META_VERSION                                      \
    "io.modelcontextprotocol/protocolVersion"
#define NGX_HTTP_DJASS_MCP_META_CAPS                                         \
    "io.modelcontextprotocol/clientCapabilities"

#define NGX_HTTP_DJASS_MCP_SUPPORTED                                         \
    "[\"2026-07-28\",\"2025-11-25\",\"2025-06-18\",\"2025-03-26\","         \
    "\"2024-11-05\"]"

#define NGX_HTTP_DJASS_MCP_CAPABILITIES                                      \
    "{\"tools\":{\"listChanged\":false},"                                    \
    "\"prompts\":{\"listChanged\":false}}"

#define NGX_HTTP_DJASS_MCP_SERVER_INFO                                       \
    "{\"name\":\"djass\",\"title\":\"Djass project generator\","            \
    "\"version\":\"" DJASS_VERSION "\"}"

#define NGX_HTTP_DJASS_MCP_INSTRUCTIONS                                      \
    "Djass generates Django SaaS projects from a template. Read the "       \
    "options with get_generator_options, create a project with "            \
    "create_project, poll get_project_status until its status is ready "    \
    "(or failed), then get_project_download gives the ZIP's URL, to "       \
    "fetch with the same API key in the X-API-Key header."

#define NGX_HTTP_DJASS_MCP_DISCOVER                                          \
    "{\"supportedVersions\":" NGX_HTTP_DJASS_MCP_SUPPORTED ","              \
    "\"capabilities\":" NGX_HTTP_DJASS_MCP_CAPABILITIES ","                 \
    "\"instructions\":\"" NGX_HTTP_DJASS_MCP_INSTRUCTIONS "\","             \
    "\"_meta\":{\"io.modelcontextprotocol/serverInfo\":"                    \
    NGX_HTTP_DJASS_MCP_SERVER_INFO "}}"


static void ngx_http_djass_mcp_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_mcp_parse(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_str_t *body);
static ngx_int_t ngx_http_djass_mcp_version(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params);
static ngx_int_t ngx_http_djass_mcp_ladder(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, const char *method, json_t *params);
static ngx_int_t ngx_http_djass_mcp_dispatch(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, const char *method, json_t *params);
static ngx_int_t ngx_http_djass_mcp_initialize(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params);
static void ngx_http_djass_mcp_call(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr);
static ngx_int_t ngx_http_djass_mcp_hold(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static void ngx_http_djass_mcp_wake(ngx_http_request_t *r,
    ngx_uint_t timed_out);
static ngx_int_t ngx_http_djass_mcp_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_mcp_send_result(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_str_t *result);
static ngx_int_t ngx_http_djass_mcp_send_error(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr);
static ngx_int_t ngx_http_djass_mcp_accepted(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_mcp_origin(ngx_http_request_t *r,
    ngx_http_djass_mcp_conf_t *mcf);
static ngx_int_t ngx_http_djass_mcp_own_origin(ngx_http_request_t *r,
    ngx_http_djass_mcp_conf_t *mcf, ngx_str_t *origin);
static ngx_int_t ngx_http_djass_mcp_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
static void ngx_http_djass_mcp_rpc_error(ngx_http_djass_mcp_req_t *mr,
    ngx_int_t code, const char *message);
static void ngx_http_djass_mcp_cleanup(void *data);


/* the content handler of a djass_mcp location */

ngx_int_t
ngx_http_djass_mcp_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   allow;
    ngx_http_djass_ctx_t       *ctx;
    ngx_pool_cleanup_t         *cln;
    ngx_http_djass_mcp_req_t   *mr;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    ctx = ngx_http_djass_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_ctx_t));
        if (ctx == NULL || ngx_http_djass_set_ctx(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    mr = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_mcp_req_t));
    if (mr == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_djass_mcp_cleanup;
    cln->data = mr;

    ctx->data = mr;
    mr->call.unavailable = "Temporary failure while checking the API key.";
    ngx_str_set(&mr->id, "null");

    if (ngx_http_djass_mcp_origin(r, dlcf->mcp) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_djass_send_error(r, NGX_HTTP_FORBIDDEN,
                                         "forbidden_origin",
                                         "Origin not allowed.", NULL);
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        ngx_str_set(&allow, "POST");

        if (ngx_http_djass_add_header(r, "Allow", &allow) == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_djass_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "method_not_allowed",
                                         "The MCP endpoint takes POST only: "
                                         "it opens no event stream.", NULL);
    }

    return ngx_http_djass_keyed_body(r, &mr->call.digest,
                                     ngx_http_djass_mcp_body);
}


static void
ngx_http_djass_mcp_cleanup(void *data)
{
    ngx_http_djass_mcp_req_t  *mr = data;

    if (mr->msg) {
        json_decref(mr->msg);
        mr->msg = NULL;
    }
}


static void
ngx_http_djass_mcp_body(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  body;
    ngx_http_djass_ctx_t      *ctx;
    ngx_http_djass_mcp_req_t  *mr;

    ctx = ngx_http_djass_get_ctx(r);
    mr = ctx->data;

    rc = ngx_http_djass_read_body(r, &body);

    if (rc == NGX_HTTP_DJASS_TOO_LARGE) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    if (rc != NGX_OK || ngx_http_djass_mcp_parse(r, mr, &body) != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    if (!mr->tool) {
        /* every other message: the key checked, no scope asked */
        mr->call.scope = "";

        if (ngx_http_djass_call_args(r, &mr->call, "auth",
                                     DJASS_SCRIPT_API_NARGS)
            != NGX_OK)
        {
            ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
            return;
        }
    }

    ngx_http_djass_mcp_call(r, mr);
}


/* the script call; the request is finalized here unless it was sent */

static void
ngx_http_djass_mcp_call(ngx_http_request_t *r, ngx_http_djass_mcp_req_t *mr)
{
    ngx_int_t  rc;

    rc = ngx_http_djass_redis_script(r, mr->call.args, DJASS_SCRIPT_API_NKEYS,
                                     mr->call.nargs, mr->call.wait,
                                     ngx_http_djass_mcp_done, mr);

    if (rc == NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass mcp: script call sent: op \"%V\"",
                       &mr->call.args[DJASS_SCRIPT_API_ARGV_OP]);

        /* notice a client that leaves while Redis answers */
        r->read_event_handler = ngx_http_test_reading;
        return;
    }

    if (rc == NGX_HTTP_DJASS_NO_REDIS) {
        rc = ngx_http_djass_mcp_done(r, mr, NGX_AGAIN, NULL, 0);

    } else {
        rc = ngx_http_djass_internal_error(r);
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * The message: a JSON-RPC error to answer, a notification or response to
 * accept (202), a result known now, or a tool call prepared.  NGX_ERROR
 * only for a server-side failure.
 */

static ngx_int_t
ngx_http_djass_mcp_parse(ngx_http_request_t *r, ngx_http_djass_mcp_req_t *mr,
    ngx_str_t *body)
{
    json_t        *msg, *id, *method, *params, *jsonrpc;
    ngx_int_t      rc;
    json_error_t   jerr;

    msg = json_loadb((char *) body->data, body->len,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                     &jerr);

    if (msg == NULL) {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_PARSE_ERROR,
                                     "Parse error: the body is not JSON.");
        return NGX_OK;
    }

    mr->msg = msg;

    if (json_is_array(msg)) {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_INVALID_REQUEST,
                                     "Invalid request: batches are not "
                                     "supported, send one JSON-RPC message "
                                     "per POST.");
        return NGX_OK;
    }

    jsonrpc = json_object_get(msg, "jsonrpc");
    method = json_object_get(msg, "method");
    id = json_object_get(msg, "id");

    if (!json_is_object(msg)
        || !json_is_string(jsonrpc)
        || ngx_strcmp(json_string_value(jsonrpc), "2.0") != 0
        || (method && !json_is_string(method))
        || (id && !json_is_string(id) && !json_is_integer(id)))
    {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_INVALID_REQUEST,
                                     "Invalid request: not one JSON-RPC "
                                     "2.0 request or notification.");
        return NGX_OK;
    }

    if (method == NULL) {
        if (id && (json_object_get(msg, "result")
                   || json_object_get(msg, "error")))
        {
            /* a response to a request this server never sends */
            mr->accepted = 1;
            return NGX_OK;
        }

        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_INVALID_REQUEST,
                                     "Invalid request: no method.");
        return NGX_OK;
    }

    if (id && ngx_http_djass_mcp_dump(r->pool, id, &mr->id) != NGX_OK) {
        return NGX_ERROR;
    }

    params = json_object_get(msg, "params");

    rc = ngx_http_djass_mcp_version(r, mr, params);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    if (id == NULL) {
        /* a notification: nothing here acts on one */
        mr->accepted = 1;
        return NGX_OK;
    }

    if (params && !json_is_object(params)) {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_INVALID_PARAMS,
                                     "Invalid params: params must be an "
                                     "object.");
        return NGX_OK;
    }

    if (mr->modern) {
        rc = ngx_http_djass_mcp_ladder(r, mr, json_string_value(method),
                                       params);
        if (rc != NGX_OK) {
            return rc == NGX_DECLINED ? NGX_OK : rc;
        }
    }

    return ngx_http_djass_mcp_dispatch(r, mr, json_string_value(method),
                                       params);
}


/*
 * The era of the request, from MCP-Protocol-Version: a handshake revision
 * or none (the 2025-03-26 assumption of the specification), or the
 * 2026-07-28 revision; any other value is 400.  NGX_DECLINED: an error is
 * set.
 */

static ngx_int_t
ngx_http_djass_mcp_version(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params)
{
    u_char     *p;
    ngx_int_t   n;
    ngx_str_t   v;
    json_t     *meta;

    static ngx_str_t  handshake[] = {
        ngx_string("2025-11-25"),
        ngx_string("2025-06-18"),
        ngx_string("2025-03-26"),
        ngx_string("2024-11-05"),
        ngx_null_string
    };

    n = ngx_http_djass_mcp_header(r, "MCP-Protocol-Version", &v);

    if (n > 1) {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_HEADER_MISMATCH,
                                     "MCP-Protocol-Version header appears "
                                     "more than once.");
        return NGX_DECLINED;
    }

    if (n == 0) {
        meta = json_object_get(params, "_meta");

        /* the 2026-07-28 envelope without its header fails the ladder */
        mr->modern = json_object_get(meta, NGX_HTTP_DJASS_MCP_META_VERSION)
                     != NULL;
        return NGX_OK;
    }

    if (v.len == sizeof(NGX_HTTP_DJASS_MCP_MODERN) - 1
        && ngx_strncmp(v.data, NGX_HTTP_DJASS_MCP_MODERN, v.len) == 0)
    {
        mr->modern = 1;
        return NGX_OK;
    }

    for (n = 0; handshake[n].len; n++) {
        if (v.len == handshake[n].len
            && ngx_strncmp(v.data, handshake[n].data, v.len) == 0)
        {
            return NGX_OK;
        }
    }

    ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_UNSUPPORTED,
                                 "Unsupported protocol version.");

    p = ngx_pnalloc(r->pool, sizeof("{\"supported\":,\"requested\":}")
                             + sizeof(NGX_HTTP_DJASS_MCP_SUPPORTED)
                             + ngx_http_djass_json_str_len(v.data, v.len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    mr->error_data.data = p;
    p = ngx_cpymem(p, "{\"supported\":" NGX_HTTP_DJASS_MCP_SUPPORTED
                   ",\"requested\":",
                   sizeof("{\"supported\":" NGX_HTTP_DJASS_MCP_SUPPORTED
                          ",\"requested\":") - 1);
    p = ngx_http_djass_json_str(p, v.data, v.len);
    *p++ = '}';
    mr->error_data.len = p - mr->error_data.data;

    return NGX_DECLINED;
}


/*
 * The 2026-07-28 request's checks, in its transport's order: the _meta
 * envelope (-32602), the headers that mirror it (-32020), the version
 * (-32022).  NGX_DECLINED: an error is set.
 */

static ngx_int_t
ngx_http_djass_mcp_ladder(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, const char *method, json_t *params)
{
    size_t        len;
    json_t       *meta, *version, *name;
    ngx_str_t     v, decoded;
    const char   *s;

    meta = json_object_get(params, "_meta");

    if (!json_is_object(meta)
        || json_object_get(meta, NGX_HTTP_DJASS_MCP_META_VERSION) == NULL
        || json_object_get(meta, NGX_HTTP_DJASS_MCP_META_CAPS) == NULL)
    {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_INVALID_PARAMS,
                                     "params._meta must be an object "
                                     "carrying the protocol version and "
                                     "the client capabilities.");
        return NGX_DECLINED;
    }

    version = json_object_get(meta, NGX_HTTP_DJASS_MCP_META_VERSION);

    if (ngx_http_djass_mcp_header(r, "MCP-Protocol-Version", &v) != 1
        || !json_is_string(version)
        || v.len != json_string_length(version)
        || ngx_strncmp(v.data, json_string_value(version), v.len) != 0)
    {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_HEADER_MISMATCH,
                                     "MCP-Protocol-Version header does not "
                                     "match the request's protocol "
                                     "version.");
        return NGX_DECLINED;
    }

    if (ngx_http_djass_mcp_header(r, "Mcp-Method", &v) != 1
        || v.len != ngx_strlen(method)
        || ngx_strncmp(v.data, method, v.len) != 0)
    {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_HEADER_MISMATCH,
                                     "Mcp-Method header does not match the "
                                     "request's method.");
        return NGX_DECLINED;
    }

    name = json_object_get(params, "name");

    if ((ngx_strcmp(method, "tools/call") == 0
         || ngx_strcmp(method, "prompts/get") == 0)
        && json_is_string(name))
    {
        if (ngx_http_djass_mcp_header(r, "Mcp-Name", &v) != 1) {
            goto name_mismatch;
        }

        /* a value that is no plain token comes as =?base64?...?= */
        if (v.len > 11 /* "=?base64?" + "?=" */
            && ngx_strncmp(v.data, "=?base64?", 9) == 0
            && ngx_strncmp(v.data + v.len - 2, "?=", 2) == 0)
        {
            v.data += 9;
            v.len -= 11;
            decoded.data = ngx_pnalloc(r->pool,
                                       ngx_base64_decoded_length(v.len));
            if (decoded.data == NULL) {
                return NGX_ERROR;
            }

            if (ngx_decode_base64(&decoded, &v) != NGX_OK) {
                goto name_mismatch;
            }

            v = decoded;
        }

        s = json_string_value(name);
        len = json_string_length(name);

        if (v.len != len || ngx_memcmp(v.data, s, len) != 0) {
            goto name_mismatch;
        }
    }

    if (!json_is_string(version)
        || ngx_strcmp(json_string_value(version), NGX_HTTP_DJASS_MCP_MODERN)
           != 0)
    {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_UNSUPPORTED,
                                     "Unsupported protocol version.");
        ngx_str_set(&mr->error_data, "{\"supported\":[\"2026-07-28\"]}");
        return NGX_DECLINED;
    }

    return NGX_OK;

name_mismatch:

    ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_HEADER_MISMATCH,
                                 "Mcp-Name header does not match the "
                                 "request's name.");
    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_djass_mcp_dispatch(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, const char *method, json_t *params)
{
    u_char                     *p;
    size_t                      len;
    ngx_http_djass_mcp_conf_t  *mcf;
    ngx_http_djass_loc_conf_t  *dlcf;
#if (NGX_DEBUG)
    ngx_str_t                   name;
#endif

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);
    mcf = dlcf->mcp;

#if (NGX_DEBUG)
    name.data = (u_char *) method;
    name.len = ngx_strlen(method);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass mcp: method \"%V\"",
                   ngx_http_djass_log_escape(r->pool, &name));
#endif

    if (ngx_strcmp(method, "initialize") == 0 && !mr->modern) {
        return ngx_http_djass_mcp_initialize(r, mr, params);
    }

    if (ngx_strcmp(method, "server/discover") == 0) {
        mr->modern = 1;
        ngx_str_set(&mr->result, NGX_HTTP_DJASS_MCP_DISCOVER);
        mr->cacheable = 1;
        return NGX_OK;
    }

    if (ngx_strcmp(method, "ping") == 0) {
        ngx_str_set(&mr->result, "{}");
        return NGX_OK;
    }

    if (ngx_strcmp(method, "tools/list") == 0
        || ngx_strcmp(method, "prompts/list") == 0)
    {
        len = sizeof("{\"prompts\":}") + mcf->tools.len + mcf->prompts.len;

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        mr->result.data = p;

        if (method[0] == 't') {
            p = ngx_sprintf(p, "{\"tools\":%V}", &mcf->tools);

        } else {
            p = ngx_sprintf(p, "{\"prompts\":%V}", &mcf->prompts);
        }

        mr->result.len = p - mr->result.data;
        mr->cacheable = 1;

        return NGX_OK;
    }

    if (ngx_strcmp(method, "prompts/get") == 0) {
        return ngx_http_djass_mcp_prompt(r, mr, params);
    }

    if (ngx_strcmp(method, "tools/call") == 0) {
        return ngx_http_djass_mcp_tool_prepare(r, mr, params);
    }

    ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_METHOD_NOT_FOUND,
                                 "Method not found.");
    return NGX_OK;
}


/* the handshake, answered statelessly: the client's revision if known */

static ngx_int_t
ngx_http_djass_mcp_initialize(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params)
{
    u_char      *p;
    json_t      *pv;
    ngx_uint_t   i;
    const char  *version, *s;

    static const char  *known[] = {
        "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL
    };

    pv = json_object_get(params, "protocolVersion");

    if (!json_is_string(pv)) {
        ngx_http_djass_mcp_rpc_error(mr, NGX_HTTP_DJASS_RPC_INVALID_PARAMS,
                                     "Invalid params: initialize needs "
                                     "protocolVersion.");
        return NGX_OK;
    }

    version = NGX_HTTP_DJASS_MCP_LATEST;
    s = json_string_value(pv);

    for (i = 0; known[i]; i++) {
        if (ngx_strcmp(s, known[i]) == 0) {
            version = known[i];
            break;
        }
    }

    p = ngx_pnalloc(r->pool, sizeof("{\"protocolVersion\":\"\","
                                    "\"capabilities\":,\"serverInfo\":,"
                                    "\"instructions\":\"\"}")
                             + sizeof(NGX_HTTP_DJASS_MCP_LATEST)
                             + sizeof(NGX_HTTP_DJASS_MCP_CAPABILITIES)
                             + sizeof(NGX_HTTP_DJASS_MCP_SERVER_INFO)
                             + sizeof(NGX_HTTP_DJASS_MCP_INSTRUCTIONS));
    if (p == NULL) {
        return NGX_ERROR;
    }

    mr->result.data = p;
    p = ngx_sprintf(p, "{\"protocolVersion\":\"%s\",\"capabilities\":"
                    NGX_HTTP_DJASS_MCP_CAPABILITIES ",\"serverInfo\":"
                    NGX_HTTP_DJASS_MCP_SERVER_INFO ",\"instructions\":\""
                    NGX_HTTP_DJASS_MCP_INSTRUCTIONS "\"}", version);
    mr->result.len = p - mr->result.data;

    return NGX_OK;
}


/* the script's reply: a bad key is 401, before any JSON-RPC answer */

static ngx_int_t
ngx_http_djass_mcp_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    ngx_str_t                  result;
    ngx_http_djass_mcp_req_t  *mr = data;

    if (rc == NGX_OK && n >= 2 && v[0].len == 1 && v[0].data[0] == 'e'
        && v[1].len == 4 && ngx_strncmp(v[1].data, "auth", 4) == 0)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass mcp: the API key is not valid");

        return ngx_http_djass_unauthorized(r);
    }

    if (mr->tool == NGX_HTTP_DJASS_MCP_STATUS && mr->wait
        && ngx_http_djass_mcp_hold(r, mr, rc, v, n) == NGX_DONE)
    {
        return NGX_DONE;
    }

    if (mr->tool) {
        if (ngx_http_djass_mcp_tool_result(r, mr, rc, v, n, &result)
            != NGX_OK)
        {
            return ngx_http_djass_internal_error(r);
        }

        return ngx_http_djass_mcp_send_result(r, mr, &result);
    }

    if (rc == NGX_AGAIN) {
        return ngx_http_djass_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "retryable_error",
                                         mr->call.unavailable,
                                         "{\"retry_guidance\":\"Retry with "
                                         "exponential backoff.\"}");
    }

    if (rc != NGX_OK || n < 1 || v[0].len != 2
        || ngx_strncmp(v[0].data, "ok", 2) != 0)
    {
        return ngx_http_djass_internal_error(r);
    }

    if (mr->accepted) {
        return ngx_http_djass_mcp_accepted(r);
    }

    if (mr->error) {
        return ngx_http_djass_mcp_send_error(r, mr);
    }

    return ngx_http_djass_mcp_send_result(r, mr, &mr->result);
}


/*
 * get_project_status with wait_seconds: while the project is queued or
 * generating and the time is not up, the answer waits for its next change
 * (ngx_http_djass_wait.c) and the script is called again.  NGX_DONE: held.
 */

static ngx_int_t
ngx_http_djass_mcp_hold(ngx_http_request_t *r, ngx_http_djass_mcp_req_t *mr,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    u_char          *p;
    ngx_str_t        id;
    ngx_msec_int_t   left;

    left = (ngx_msec_int_t) (mr->deadline - ngx_current_msec);

    /* {"ok", project fields, size, sha256}: v[4] is the status */

    if (rc != NGX_OK || n != 3 + NGX_HTTP_DJASS_PROJECT_FIELDS
        || v[0].len != 2 || ngx_strncmp(v[0].data, "ok", 2) != 0
        || left <= 0 || ngx_exiting || ngx_terminate
        || (v[4].len == 5 && ngx_strncmp(v[4].data, "ready", 5) == 0)
        || (v[4].len == 6 && ngx_strncmp(v[4].data, "failed", 6) == 0))
    {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    id.data = p;
    id.len = ngx_sprintf(p, "%ui", mr->project_id) - p;

    if (ngx_http_djass_wait_project(r, &id, (ngx_msec_t) left,
                                    ngx_http_djass_mcp_wake)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_DONE;
}


static void
ngx_http_djass_mcp_wake(ngx_http_request_t *r, ngx_uint_t timed_out)
{
    ngx_http_djass_ctx_t      *ctx;
    ngx_http_djass_mcp_req_t  *mr;

    ctx = ngx_http_djass_get_ctx(r);
    mr = ctx->data;

    if (timed_out) {
        /* read once more, and answer whatever it says */
        mr->wait = 0;
    }

    /* sent: the reply's ngx_http_finalize_request() ends the wait's count */
    ngx_http_djass_mcp_call(r, mr);
}


/*
 * {"jsonrpc":"2.0","id":...,"result":{...}}; a 2026-07-28 result carries
 * resultType, and a list one its cache hints.
 */

static ngx_int_t
ngx_http_djass_mcp_send_result(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_str_t *result)
{
    u_char      *p;
    ngx_str_t    body;
    const char  *extra;

    extra = "";

    if (mr->modern) {
        extra = mr->cacheable
                ? "\"resultType\":\"complete\",\"cacheScope\":\"private\","
                  "\"ttlMs\":60000"
                : "\"resultType\":\"complete\"";
    }

    p = ngx_pnalloc(r->pool, sizeof("{\"jsonrpc\":\"2.0\",\"id\":,"
                                    "\"result\":{,}}")
                             + mr->id.len + ngx_strlen(extra)
                             + result->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;
    p = ngx_sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%V,\"result\":",
                    &mr->id);

    if (extra[0] == '\0' || result->len < 2) {
        p = ngx_cpymem(p, result->data, result->len);

    } else {
        /* the result is an object: the extra members go first */
        p = ngx_sprintf(p, "{%s", extra);

        if (result->len > 2) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, result->data + 1, result->len - 1);
    }

    *p++ = '}';
    body.len = p - body.data;

    return ngx_http_djass_send_json(r, NGX_HTTP_OK, &body);
}


/*
 * A JSON-RPC error.  The HTTP status: 400 for a body that is no request
 * and for a header or version problem; in the 2026-07-28 era also 400 for
 * bad params and 404 for an unknown method, as its transport maps them;
 * in the handshake era those two are ordinary answers, 200.
 */

static ngx_int_t
ngx_http_djass_mcp_send_error(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr)
{
    u_char      *p;
    ngx_str_t    body;
    ngx_uint_t   status;

    switch (mr->error) {

    case NGX_HTTP_DJASS_RPC_METHOD_NOT_FOUND:
        status = mr->modern ? NGX_HTTP_NOT_FOUND : NGX_HTTP_OK;
        break;

    case NGX_HTTP_DJASS_RPC_INVALID_PARAMS:
        status = mr->modern ? NGX_HTTP_BAD_REQUEST : NGX_HTTP_OK;
        break;

    default:
        status = NGX_HTTP_BAD_REQUEST;
    }

    p = ngx_pnalloc(r->pool, sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"error\":"
                                    "{\"code\":,\"message\":,\"data\":}}")
                             + mr->id.len + NGX_INT_T_LEN
                             + ngx_http_djass_json_str_len(
                                   (u_char *) mr->error_message,
                                   ngx_strlen(mr->error_message))
                             + mr->error_data.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;
    p = ngx_sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%V,\"error\":"
                    "{\"code\":%i,\"message\":", &mr->id, mr->error);
    p = ngx_http_djass_json_str(p, (u_char *) mr->error_message,
                                ngx_strlen(mr->error_message));

    if (mr->error_data.len) {
        p = ngx_sprintf(p, ",\"data\":%V", &mr->error_data);
    }

    *p++ = '}';
    *p++ = '}';
    body.len = p - body.data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass mcp: JSON-RPC error %i", mr->error);

    return ngx_http_djass_send_json(r, status, &body);
}


/* a notification or a response: 202, no body */

static ngx_int_t
ngx_http_djass_mcp_accepted(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);
    ctx->replied = 1;

    r->headers_out.status = NGX_HTTP_ACCEPTED;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return NGX_OK;
}


static void
ngx_http_djass_mcp_rpc_error(ngx_http_djass_mcp_req_t *mr, ngx_int_t code,
    const char *message)
{
    mr->error = code;
    mr->error_message = message;
    ngx_str_null(&mr->error_data);
}


/*
 * An Origin of this server without an allow-list: "http" or "https",
 * "://", a host, an optional ":port", nothing else (no user, no path).
 */

static ngx_int_t
ngx_http_djass_mcp_own_origin(ngx_http_request_t *r,
    ngx_http_djass_mcp_conf_t *mcf, ngx_str_t *origin)
{
    u_char           *p, *last, *port;
    ngx_str_t         host, *name;
    ngx_uint_t        i;
#if (NGX_HAVE_INET6)
    struct in6_addr   a6;
#endif

    p = origin->data;
    last = p + origin->len;

    if (last - p > 7 && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0) {
        p += 7;

    } else if (last - p > 8
               && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
    {
        p += 8;

    } else {
        return NGX_DECLINED;
    }

    host.data = p;

    if (*p == '[') {
        port = ngx_strlchr(p, last, ']');
        if (port == NULL) {
            return NGX_DECLINED;
        }
        port++;

    } else {
        port = ngx_strlchr(p, last, ':');
        port = port ? port : last;
    }

    host.len = port - p;

    if (port < last) {
        if (*port != ':' || last - port < 2 || last - port > 6
            || ngx_atoi(port + 1, last - port - 1) == NGX_ERROR
            || ngx_atoi(port + 1, last - port - 1) > 65535)
        {
            return NGX_DECLINED;
        }
    }

    if (host.len == 0) {
        return NGX_DECLINED;
    }

    /* loopback: localhost, 127.0.0.0/8, [::1] */

    if (host.len == sizeof("localhost") - 1
        && ngx_strncasecmp(host.data, (u_char *) "localhost", host.len) == 0)
    {
        return NGX_OK;
    }

    if (host.data[0] == '[') {
#if (NGX_HAVE_INET6)
        return (host.len > 2
                && ngx_inet6_addr(host.data + 1, host.len - 2, a6.s6_addr)
                   == NGX_OK
                && IN6_IS_ADDR_LOOPBACK(&a6))
               ? NGX_OK : NGX_DECLINED;
#else
        return NGX_DECLINED;
#endif
    }

    if ((ntohl(ngx_inet_addr(host.data, host.len)) >> 24) == 127
        && ngx_inet_addr(host.data, host.len) != INADDR_NONE)
    {
        return NGX_OK;
    }

    /* this server's exact names (ngx_http_djass_mcp_merge) */

    name = mcf->names->elts;

    for (i = 0; i < mcf->names->nelts; i++) {
        if (name[i].len == host.len
            && ngx_strncasecmp(name[i].data, host.data, host.len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * The DNS-rebinding rule: an Origin, when present, must be one of
 * djass_mcp_allow_origin ("*" allows any); without the directive, only
 * http:// or https:// with a host that is one of this server's
 * server_names (exact ones: not wildcards nor regular expressions) or a
 * loopback name or address (localhost, 127.0.0.0/8, [::1]), any port.
 * The request's own Host proves nothing: a rebinding page sends its
 * Origin's host as Host.
 */

static ngx_int_t
ngx_http_djass_mcp_origin(ngx_http_request_t *r,
    ngx_http_djass_mcp_conf_t *mcf)
{
    ngx_str_t    origin, *o;
    ngx_uint_t   i, n;

    n = ngx_http_djass_mcp_header(r, "Origin", &origin);

    if (n == 0) {
        return NGX_OK;
    }

    if (n > 1) {
        return NGX_DECLINED;
    }

    while (origin.len && origin.data[origin.len - 1] == '/') {
        origin.len--;
    }

    if (mcf->origins) {
        o = mcf->origins->elts;

        for (i = 0; i < mcf->origins->nelts; i++) {
            if ((o[i].len == 1 && o[i].data[0] == '*')
                || (o[i].len == origin.len
                    && ngx_strncasecmp(o[i].data, origin.data, origin.len)
                       == 0))
            {
                return NGX_OK;
            }
        }

        goto refused;
    }

    if (ngx_http_djass_mcp_own_origin(r, mcf, &origin) == NGX_OK) {
        return NGX_OK;
    }

refused:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "djass mcp: Origin \"%V\" not allowed",
                  ngx_http_djass_log_escape(r->pool, &origin));

    return NGX_DECLINED;
}


/* the value of a request header, and how many times it is there */

static ngx_int_t
ngx_http_djass_mcp_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    size_t            len;
    ngx_int_t         n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    n = 0;

    part = &r->headers_in.headers.part;
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
            if (n++ == 0) {
                *value = h[i].value;
            }
        }
    }

    return n;
}


/* a JSON value as text in the pool */

ngx_int_t
ngx_http_djass_mcp_dump(ngx_pool_t *pool, json_t *value, ngx_str_t *out)
{
    char  *s;

    s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_strlen(s);
    out->data = ngx_pnalloc(pool, out->len);

    if (out->data == NULL) {
        free(s);
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, s, out->len);
    free(s);

    return NGX_OK;
}
