/*
 * The MCP endpoint's tools and its prompt.  The tool list (names,
 * descriptions, input and output schemas) is written once when nginx
 * loads its configuration, from the template's catalog: create_project
 * takes every option of the template as a flat argument.
 *
 * A tool call is one call of the API script, with the operation, scope
 * and arguments of the endpoint it mirrors (create, list, "describe" for
 * one project, "auth" for the catalog); its answer is the endpoint's JSON
 * as structuredContent and as a text block, or, when the API would
 * answer an error, a result with isError whose text is that error's
 * envelope.  The error mapping follows ngx_http_djass_call_reply().
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_mcp.h"
#include "ngx_http_djass_cache.h"
#include "djass_scripts.h"


#define NGX_HTTP_DJASS_MCP_PROJECT_PREFIX  "djass:project:"

#define NGX_HTTP_DJASS_MCP_BACKOFF                                           \
    "{\"retry_guidance\":\"Retry with exponential backoff.\"}"

#define NGX_HTTP_DJASS_MCP_PROJECT_SCHEMA                                    \
    "{\"type\":\"object\",\"properties\":{"                                 \
    "\"id\":{\"type\":\"integer\"},"                                        \
    "\"name\":{\"type\":\"string\"},"                                       \
    "\"slug\":{\"type\":\"string\"},"                                       \
    "\"status\":{\"type\":\"string\",\"enum\":[\"queued\",\"generating\","  \
    "\"ready\",\"failed\"]},"                                               \
    "\"error_message\":{\"type\":[\"string\",\"null\"]},"                   \
    "\"created_at\":{\"type\":[\"string\",\"null\"]},"                      \
    "\"updated_at\":{\"type\":[\"string\",\"null\"]},"                      \
    "\"started_at\":{\"type\":[\"string\",\"null\"]},"                      \
    "\"finished_at\":{\"type\":[\"string\",\"null\"]},"                     \
    "\"artifact_ready\":{\"type\":\"boolean\"},"                            \
    "\"input_payload\":{\"type\":\"object\"}},"                             \
    "\"required\":[\"id\",\"name\",\"slug\",\"status\"]}"

#define NGX_HTTP_DJASS_MCP_DOWNLOAD_SCHEMA                                   \
    "{\"type\":\"object\",\"properties\":{"                                 \
    "\"project_id\":{\"type\":\"integer\"},"                                \
    "\"download_url\":{\"type\":\"string\"},"                               \
    "\"auth\":{\"type\":\"object\",\"properties\":{"                        \
    "\"type\":{\"type\":\"string\"},\"header\":{\"type\":\"string\"}}},"    \
    "\"filename\":{\"type\":\"string\"},"                                   \
    "\"size_bytes\":{\"type\":\"integer\"},"                                \
    "\"sha256\":{\"type\":\"string\"}},"                                    \
    "\"required\":[\"project_id\",\"download_url\",\"auth\",\"filename\","  \
    "\"size_bytes\",\"sha256\"]}"

#define NGX_HTTP_DJASS_MCP_ID_INPUT                                          \
    "{\"type\":\"object\",\"properties\":{\"project_id\":"                  \
    "{\"type\":\"integer\",\"minimum\":1,"                                  \
    "\"description\":\"The project's id, from create_project or "           \
    "list_projects.\"}},\"required\":[\"project_id\"]}"

#define NGX_HTTP_DJASS_MCP_TOOLS                                             \
    "[{\"name\":\"get_generator_options\","                                 \
    "\"title\":\"Generator options\","                                      \
    "\"description\":\"The options of the project template: every "         \
    "option's default and the feature flags by group, with labels and "     \
    "descriptions. Read it before create_project.\","                      \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{}},"              \
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"                \
    "\"defaults\":{\"type\":\"object\"},\"groups\":{\"type\":\"array\"}},"  \
    "\"required\":[\"defaults\",\"groups\"]},"                              \
    "\"annotations\":{\"readOnlyHint\":true}},"                             \
                                                                             \
    "{\"name\":\"create_project\",\"title\":\"Create a project\","          \
    "\"description\":\"Queues the generation of a project with these "      \
    "options (project_name is required; the others default to the "        \
    "template's). Answers the project, status queued: poll "                \
    "get_project_status until it is ready.\","                              \
    "\"inputSchema\":null,"                                                 \
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"project\":"    \
    NGX_HTTP_DJASS_MCP_PROJECT_SCHEMA "},\"required\":[\"project\"]},"      \
    "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":false,"    \
    "\"idempotentHint\":false}},"                                           \
                                                                             \
    "{\"name\":\"list_projects\",\"title\":\"List projects\","              \
    "\"description\":\"The projects of this API key's profile, newest "     \
    "first.\","                                                             \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"                 \
    "\"status\":{\"type\":\"string\",\"enum\":[\"queued\",\"generating\","  \
    "\"ready\",\"failed\"],\"description\":\"Only the projects with this "  \
    "status.\"},"                                                           \
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,"        \
    "\"default\":20},"                                                      \
    "\"offset\":{\"type\":\"integer\",\"minimum\":0,\"default\":0}}},"      \
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"                \
    "\"projects\":{\"type\":\"array\",\"items\":"                           \
    NGX_HTTP_DJASS_MCP_PROJECT_SCHEMA "},"                                  \
    "\"total\":{\"type\":\"integer\"},\"limit\":{\"type\":\"integer\"},"    \
    "\"offset\":{\"type\":\"integer\"},\"has_next\":{\"type\":\"boolean\"}," \
    "\"filters\":{\"type\":\"object\"}},"                                   \
    "\"required\":[\"projects\",\"total\",\"limit\",\"offset\","            \
    "\"has_next\"]},"                                                       \
    "\"annotations\":{\"readOnlyHint\":true}},"                             \
                                                                             \
    "{\"name\":\"get_project_status\",\"title\":\"Project status\","        \
    "\"description\":\"The project, and once its status is ready a "        \
    "download object (the same as get_project_download's). With "           \
    "wait_seconds the answer waits, while the project is queued or "        \
    "generating, until it is ready or failed or that many seconds "         \
    "passed.\","                                                            \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"                \
    "\"project_id\":{\"type\":\"integer\",\"minimum\":1,"                  \
    "\"description\":\"The project's id, from create_project or "           \
    "list_projects.\"},"                                                    \
    "\"wait_seconds\":{\"type\":\"integer\",\"minimum\":0,"                \
    "\"maximum\":60,\"default\":0,\"description\":\"Wait up to this "      \
    "many seconds for the project to be ready or failed (0: answer at "     \
    "once).\"}},\"required\":[\"project_id\"]},"                            \
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"                \
    "\"project\":" NGX_HTTP_DJASS_MCP_PROJECT_SCHEMA ","                    \
    "\"download\":" NGX_HTTP_DJASS_MCP_DOWNLOAD_SCHEMA "},"                 \
    "\"required\":[\"project\"]},"                                          \
    "\"annotations\":{\"readOnlyHint\":true}},"                             \
                                                                             \
    "{\"name\":\"get_project_download\",\"title\":\"Project download\","    \
    "\"description\":\"Where to fetch a ready project's ZIP: download_url " \
    "with the same API key in the X-API-Key header (or Authorization: "     \
    "Bearer), its file name, size and SHA-256. A project not ready yet is " \
    "an error artifact_not_ready.\","                                       \
    "\"inputSchema\":" NGX_HTTP_DJASS_MCP_ID_INPUT ","                      \
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"download\":"   \
    NGX_HTTP_DJASS_MCP_DOWNLOAD_SCHEMA "},\"required\":[\"download\"]},"    \
    "\"annotations\":{\"readOnlyHint\":true}},"                             \
                                                                             \
    "{\"name\":\"delete_project\",\"title\":\"Delete a project\","         \
    "\"description\":\"Deletes the project for good: its record, its ZIP "   \
    "and, while it is queued or generating, its job. It frees a place in "  \
    "the quota. Needs the projects:delete scope.\","                        \
    "\"inputSchema\":" NGX_HTTP_DJASS_MCP_ID_INPUT ","                      \
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"                \
    "\"deleted\":{\"type\":\"boolean\"},"                                   \
    "\"project_id\":{\"type\":\"integer\"}},"                                \
    "\"required\":[\"deleted\",\"project_id\"]},"                            \
    "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":true,"     \
    "\"idempotentHint\":true}}]"

#define NGX_HTTP_DJASS_MCP_PROMPTS                                           \
    "[{\"name\":\"generate_project\",\"title\":\"Generate a Djass "         \
    "project\",\"description\":\"Turn an app idea into a generated Django " \
    "SaaS project, step by step with the Djass tools.\",\"arguments\":"     \
    "[{\"name\":\"app_idea\",\"description\":\"What the app is for, in a "  \
    "sentence or two.\",\"required\":true}]}]"

#define NGX_HTTP_DJASS_MCP_PROMPT_TEXT                                       \
    "Generate a Django SaaS project with Djass for this app idea: %s\n\n"   \
    "Use the Djass tools in this order:\n"                                  \
    "1. get_generator_options: read the options, their defaults and the "   \
    "feature flags.\n"                                                      \
    "2. create_project: choose a project_name (and project_slug if you "    \
    "like) from the idea, and set each feature flag to \"y\" or \"n\" as "  \
    "the idea needs; leave the rest at their defaults.\n"                   \
    "3. get_project_status with the new project's id: repeat every few "    \
    "seconds until status is ready (or failed: then report its "            \
    "error_message).\n"                                                     \
    "4. get_project_download: give the user the download_url (fetched "     \
    "with the same API key in the X-API-Key header), the file name, its "   \
    "size and SHA-256.\n"                                                   \
    "Explain briefly which options you chose and why."


typedef struct {
    const char                  *name;
    ngx_uint_t                   tool;
    const char                  *scope;
} ngx_http_djass_mcp_tool_t;


static ngx_http_djass_mcp_tool_t  ngx_http_djass_mcp_tools[] = {
    { "get_generator_options", NGX_HTTP_DJASS_MCP_OPTIONS,
      NGX_HTTP_DJASS_SCOPE_READ },
    { "create_project", NGX_HTTP_DJASS_MCP_CREATE,
      NGX_HTTP_DJASS_SCOPE_CREATE },
    { "list_projects", NGX_HTTP_DJASS_MCP_LIST, NGX_HTTP_DJASS_SCOPE_READ },
    { "get_project_status", NGX_HTTP_DJASS_MCP_STATUS,
      NGX_HTTP_DJASS_SCOPE_READ },
    { "get_project_download", NGX_HTTP_DJASS_MCP_DOWNLOAD,
      NGX_HTTP_DJASS_SCOPE_READ },
    { "delete_project", NGX_HTTP_DJASS_MCP_DELETE,
      NGX_HTTP_DJASS_SCOPE_DELETE },
    { NULL, 0, NULL }
};


static ngx_int_t ngx_http_djass_mcp_create(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args);
static ngx_int_t ngx_http_djass_mcp_list(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args);
static ngx_int_t ngx_http_djass_mcp_project(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args, const char *script,
    ngx_uint_t nargs);
static ngx_int_t ngx_http_djass_mcp_delete(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args);
static ngx_int_t ngx_http_djass_mcp_answer(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_str_t *v, ngx_uint_t n,
    ngx_str_t *out, ngx_str_t *envelope);
static ngx_int_t ngx_http_djass_mcp_api_error(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_str_t *v, ngx_uint_t n,
    ngx_str_t *envelope);
static u_char *ngx_http_djass_mcp_download(ngx_http_request_t *r,
    u_char *p, ngx_str_t *v);
static size_t ngx_http_djass_mcp_download_len(ngx_http_request_t *r,
    ngx_str_t *v);
static ngx_int_t ngx_http_djass_mcp_base(ngx_http_request_t *r,
    ngx_str_t *base);
static ngx_int_t ngx_http_djass_mcp_wrap(ngx_http_request_t *r,
    ngx_str_t *text, ngx_uint_t is_error, ngx_str_t *result);
static void ngx_http_djass_mcp_bad_params(ngx_http_djass_mcp_req_t *mr,
    const char *message);


/* the tool and prompt lists, once per djass_mcp location */

ngx_int_t
ngx_http_djass_mcp_tools_init(ngx_conf_t *cf, ngx_http_djass_mcp_conf_t *mcf)
{
    char                        *s;
    json_t                      *tools, *input;
    json_error_t                 jerr;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_djass_module);

    tools = json_loads(NGX_HTTP_DJASS_MCP_TOOLS, 0, &jerr);
    if (tools == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_mcp: the tool list does not parse: %s",
                           jerr.text);
        return NGX_ERROR;
    }

    input = ngx_http_djass_mcp_create_input(cf, dmcf);

    if (input == NULL
        || json_object_set_new(json_array_get(tools, 1), "inputSchema", input)
           != 0)
    {
        json_decref(tools);
        return NGX_ERROR;
    }

    s = json_dumps(tools, JSON_COMPACT);
    json_decref(tools);

    if (s == NULL) {
        return NGX_ERROR;
    }

    mcf->tools.len = ngx_strlen(s);
    mcf->tools.data = ngx_pnalloc(cf->pool, mcf->tools.len);

    if (mcf->tools.data == NULL) {
        free(s);
        return NGX_ERROR;
    }

    ngx_memcpy(mcf->tools.data, s, mcf->tools.len);
    free(s);

    ngx_str_set(&mcf->prompts, NGX_HTTP_DJASS_MCP_PROMPTS);

    return NGX_OK;
}


/*
 * tools/call: the tool and its arguments, and the script call made ready.
 * A request that names no known tool, or whose arguments are no object,
 * is -32602; arguments the API refuses are answered as the API answers
 * them (after the key and the scope are checked), with isError.
 */

ngx_int_t
ngx_http_djass_mcp_tool_prepare(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *params)
{
    json_t                     *name, *args, *wait;
    ngx_int_t                   rc;
    ngx_http_djass_mcp_tool_t  *t;

    name = json_object_get(params, "name");
    args = json_object_get(params, "arguments");

    if (!json_is_string(name)) {
        ngx_http_djass_mcp_bad_params(mr, "Invalid params: tools/call needs "
                                      "the tool's name.");
        return NGX_OK;
    }

    if (args && !json_is_object(args) && !json_is_null(args)) {
        ngx_http_djass_mcp_bad_params(mr, "Invalid params: arguments must "
                                      "be an object.");
        return NGX_OK;
    }

    for (t = ngx_http_djass_mcp_tools; t->name; t++) {
        if (ngx_strcmp(t->name, json_string_value(name)) == 0) {
            break;
        }
    }

    if (t->name == NULL) {
        ngx_http_djass_mcp_bad_params(mr, "Invalid params: unknown tool.");
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass mcp: tool \"%s\"", t->name);

    mr->call.scope = t->scope;
    mr->call.unavailable = "Temporary failure while reading projects.";

    switch (t->tool) {

    case NGX_HTTP_DJASS_MCP_CREATE:
        rc = ngx_http_djass_mcp_create(r, mr, args);
        break;

    case NGX_HTTP_DJASS_MCP_LIST:
        rc = ngx_http_djass_mcp_list(r, mr, args);
        break;

    case NGX_HTTP_DJASS_MCP_STATUS:
        wait = json_object_get(args, "wait_seconds");

        if (wait && !json_is_null(wait)) {
            if (!json_is_integer(wait) || json_integer_value(wait) < 0
                || json_integer_value(wait) > 60)
            {
                ngx_http_djass_mcp_bad_params(mr, "Invalid params: "
                                              "wait_seconds must be an "
                                              "integer from 0 to 60.");
                return NGX_OK;
            }

            /* held until ready or failed, at most this long */
            mr->wait = json_integer_value(wait);
            mr->deadline = ngx_current_msec + mr->wait * 1000;
        }

        /* fall through */

    case NGX_HTTP_DJASS_MCP_DOWNLOAD:
        rc = ngx_http_djass_mcp_project(r, mr, args, "describe",
                                        DJASS_SCRIPT_API_NARGS);
        break;

    case NGX_HTTP_DJASS_MCP_DELETE:
        rc = ngx_http_djass_mcp_delete(r, mr, args);
        break;

    default: /* NGX_HTTP_DJASS_MCP_OPTIONS: the key and its scope only */
        rc = ngx_http_djass_call_args(r, &mr->call, "auth",
                                      DJASS_SCRIPT_API_NARGS);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    mr->tool = t->tool;

    return NGX_OK;
}


/*
 * create_project: the arguments are the body of POST /projects, less the
 * optional idempotency_key, which works as the Idempotency-Key header does
 */

static ngx_int_t
ngx_http_djass_mcp_create(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args)
{
    json_t                     *key;
    ngx_str_t                   body;
    ngx_http_djass_call_t      *call;
    ngx_http_djass_payload_t    pl;

    call = &mr->call;
    call->unavailable = "Temporary failure while queueing project "
                        "generation.";

    /* a create is followed by WAIT when djass_redis_wait asks for it */
    call->writes = 1;
    call->wait = 1;

    ngx_str_null(&call->idempotency_key);

    key = json_is_object(args) ? json_object_get(args, "idempotency_key")
                               : NULL;

    if (key && !json_is_null(key)) {
        if (json_is_string(key)) {
            call->idempotency_key.data = (u_char *) json_string_value(key);
            call->idempotency_key.len = json_string_length(key);
        }

        if (!json_is_string(key)
            || !ngx_http_djass_idempotency_valid(&call->idempotency_key))
        {
            ngx_str_null(&call->idempotency_key);

            call->status = NGX_HTTP_BAD_REQUEST;
            call->code = "invalid_idempotency_key";
            call->message = "idempotency_key must be 1 to 255 characters, "
                            "each a printable ASCII character other than "
                            "space.";
            call->details = (u_char *) "{\"field\":\"idempotency_key\"}";
        }
    }

    if (json_is_object(args)) {
        args = json_deep_copy(args);
        if (args == NULL) {
            return NGX_ERROR;
        }

        json_object_del(args, "idempotency_key");

        if (ngx_http_djass_mcp_dump(r->pool, args, &body) != NGX_OK) {
            json_decref(args);
            return NGX_ERROR;
        }

        json_decref(args);

    } else {
        ngx_str_set(&body, "{}");
    }

    if (ngx_http_djass_payload_parse(r, body.data, body.len, &pl) != NGX_OK) {
        return NGX_ERROR;
    }

    if (pl.code && call->code == NULL) {
        call->status = NGX_HTTP_BAD_REQUEST;
        call->code = pl.code;
        call->message = pl.message;
        call->details = pl.details.data;
    }

    return ngx_http_djass_create_args(r, call, &pl);
}


/* list_projects: limit, offset and status checked as GET /projects does */

static ngx_int_t
ngx_http_djass_mcp_list(ngx_http_request_t *r, ngx_http_djass_mcp_req_t *mr,
    json_t *args)
{
    json_t                 *limit, *offset, *status;
    ngx_uint_t              i;
    const char             *s;
    ngx_http_djass_call_t  *call;

    static const char  *statuses[] = {
        "queued", "generating", "ready", "failed", NULL
    };

    call = &mr->call;
    call->limit = 20;
    call->offset = 0;
    ngx_str_set(&call->filter, "");

    limit = json_object_get(args, "limit");
    offset = json_object_get(args, "offset");
    status = json_object_get(args, "status");

    call->status = 422;
    call->code = "invalid_query_params";

    if (limit && !json_is_null(limit)) {
        if (!json_is_integer(limit) || json_integer_value(limit) < 1
            || json_integer_value(limit) > 100)
        {
            call->message = "limit must be an integer from 1 to 100.";
            call->details = (u_char *) "{\"field\":\"limit\"}";
            goto call;
        }

        call->limit = json_integer_value(limit);
    }

    if (offset && !json_is_null(offset)) {
        if (!json_is_integer(offset) || json_integer_value(offset) < 0
            || json_integer_value(offset) > NGX_MAX_INT_T_VALUE / 2)
        {
            call->message = "offset must be an integer of 0 or more.";
            call->details = (u_char *) "{\"field\":\"offset\"}";
            goto call;
        }

        call->offset = json_integer_value(offset);
    }

    if (status && !json_is_null(status)) {
        s = json_string_value(status);

        for (i = 0; s && statuses[i]; i++) {
            if (ngx_strcmp(s, statuses[i]) == 0) {
                break;
            }
        }

        if (s == NULL || statuses[i] == NULL) {
            call->message = "status must be one of queued, generating, "
                            "ready, failed.";
            call->details = (u_char *) "{\"field\":\"status\"}";
            goto call;
        }

        call->filter.data = (u_char *) statuses[i];
        call->filter.len = ngx_strlen(statuses[i]);
    }

    call->code = NULL;

call:

    if (ngx_http_djass_call_args(r, call, "list", DJASS_SCRIPT_API_LIST_NARGS)
        != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_LIST_ARGV_LIMIT,
                                      call->limit)
           != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_LIST_ARGV_OFFSET,
                                      call->offset)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_LIST_ARGV_INVALID,
                             call->code != NULL);
    call->args[DJASS_SCRIPT_API_LIST_ARGV_STATUS] = call->filter;

    return NGX_OK;
}


/*
 * get_project_status and get_project_download: the script's "describe",
 * the project object with its artifact's size and SHA-256.  An id that is
 * no positive integer names no project (404 project_not_found).  Also the
 * call of delete_project: the script named, its keys the project's.
 */

static ngx_int_t
ngx_http_djass_mcp_project(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args, const char *script,
    ngx_uint_t nargs)
{
    json_t     *id;
    ngx_str_t  *a;

    id = json_object_get(args, "project_id");

    if (json_is_integer(id) && json_integer_value(id) > 0
        && json_integer_value(id) <= 999999999999999999LL)
    {
        mr->project_id = json_integer_value(id);
    }

    if (ngx_http_djass_call_args(r, &mr->call, script, nargs) != NGX_OK) {
        return NGX_ERROR;
    }

    a = &mr->call.args[DJASS_SCRIPT_API_KEY_PROJECT];
    a->data = ngx_pnalloc(r->pool,
                          sizeof(NGX_HTTP_DJASS_MCP_PROJECT_PREFIX) - 1
                          + NGX_INT_T_LEN);
    if (a->data == NULL) {
        return NGX_ERROR;
    }

    a->len = ngx_sprintf(a->data, NGX_HTTP_DJASS_MCP_PROJECT_PREFIX "%ui",
                         mr->project_id)
             - a->data;

    return NGX_OK;
}


/*
 * delete_project: the script's "delete", as DELETE /projects/{id} calls
 * it (ngx_http_djass_delete.c)
 */

static ngx_int_t
ngx_http_djass_mcp_delete(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args)
{
    ngx_str_t  *rid;

    mr->call.unavailable = "Temporary failure while deleting the project.";
    mr->call.wait = 1;

    if (ngx_http_djass_mcp_project(r, mr, args, "delete",
                                   DJASS_SCRIPT_API_DELETE_NARGS)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rid = &mr->call.args[DJASS_SCRIPT_API_DELETE_ARGV_REQUEST_ID];

    return ngx_http_djass_request_id(r, rid);
}


/* the CallToolResult of the script's reply */

ngx_int_t
ngx_http_djass_mcp_tool_result(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n,
    ngx_str_t *result)
{
    ngx_str_t  text, envelope;

    ngx_str_null(&envelope);

    if (rc == NGX_AGAIN) {
        if (ngx_http_djass_error_body(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "retryable_error", mr->call.unavailable,
                                      NGX_HTTP_DJASS_MCP_BACKOFF, &envelope)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (rc != NGX_OK || n < 1) {
        if (ngx_http_djass_error_body(r,
                                      NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "internal_error", "Internal error.",
                                      NULL, &envelope)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (v[0].len == 2 && ngx_strncmp(v[0].data, "ok", 2) == 0) {
        if (ngx_http_djass_mcp_answer(r, mr, v, n, &text, &envelope)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (ngx_http_djass_mcp_api_error(r, mr, v, n, &envelope)
               != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (envelope.data) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "djass mcp: tool error %V",
                       ngx_http_djass_log_escape(r->pool, &envelope));

        return ngx_http_djass_mcp_wrap(r, &envelope, 1, result);
    }

    return ngx_http_djass_mcp_wrap(r, &text, 0, result);
}


/* the endpoint's JSON for an "ok" reply, or an envelope (not ready) */

static ngx_int_t
ngx_http_djass_mcp_answer(ngx_http_request_t *r, ngx_http_djass_mcp_req_t *mr,
    ngx_str_t *v, ngx_uint_t n, ngx_str_t *out, ngx_str_t *envelope)
{
    u_char                      *p;
    size_t                       len;
    ngx_int_t                    rc;
    ngx_uint_t                   ready, replayed;
    ngx_http_djass_call_t       *call;
    ngx_http_djass_main_conf_t  *dmcf;

    call = &mr->call;

    switch (mr->tool) {

    case NGX_HTTP_DJASS_MCP_OPTIONS:
        dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
        *out = dmcf->options_body;
        return NGX_OK;

    case NGX_HTTP_DJASS_MCP_CREATE:
        /* a replay is the first answer again, as POST /projects gives it */
        return ngx_http_djass_created(r, v, n, out, &replayed);

    case NGX_HTTP_DJASS_MCP_DELETE:
        /* this node's cache forgets it at once (as DELETE's does) */
        dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

        if (dmcf->cache_shm) {
            ngx_http_djass_cache_invalidate(dmcf,
                         call->args[DJASS_SCRIPT_API_KEY_PROJECT].data,
                         call->args[DJASS_SCRIPT_API_KEY_PROJECT].len);
        }

        out->data = ngx_pnalloc(r->pool,
                                sizeof("{\"deleted\":true,\"project_id\":}")
                                + NGX_INT_T_LEN);
        if (out->data == NULL) {
            return NGX_ERROR;
        }

        out->len = ngx_sprintf(out->data,
                               "{\"deleted\":true,\"project_id\":%ui}",
                               mr->project_id)
                   - out->data;
        return NGX_OK;

    case NGX_HTTP_DJASS_MCP_LIST:
        rc = ngx_http_djass_list_body(r, call, v, n, out);

        if (rc == NGX_HTTP_DJASS_BAD_REPLY) {
            goto unexpected;
        }

        return rc;

    default: /* status, download: {"ok", project fields, size, sha256} */
        if (n != 3 + NGX_HTTP_DJASS_PROJECT_FIELDS) {
            goto unexpected;
        }

        /* v[4] is the status */
        ready = v[4].len == 5 && ngx_strncmp(v[4].data, "ready", 5) == 0;

        if (mr->tool == NGX_HTTP_DJASS_MCP_DOWNLOAD && !ready) {
            p = ngx_http_djass_not_ready_details(r->pool, mr->project_id,
                                                 &v[4]);
            if (p == NULL) {
                return NGX_ERROR;
            }

            return ngx_http_djass_error_body(r, NGX_HTTP_CONFLICT,
                                             "artifact_not_ready",
                                             "Project artifact is not ready "
                                             "yet.", (char *) p, envelope);
        }

        len = sizeof("{\"project\":,\"download\":}")
              + ngx_http_djass_object_len(&ngx_http_djass_project_shape,
                                          &v[1]);

        if (ready) {
            len += ngx_http_djass_mcp_download_len(r, v);
        }

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        out->data = p;

        if (mr->tool == NGX_HTTP_DJASS_MCP_STATUS) {
            p = ngx_cpymem(p, "{\"project\":", sizeof("{\"project\":") - 1);
            p = ngx_http_djass_object(p, &ngx_http_djass_project_shape,
                                      &v[1]);
            if (ready) {
                *p++ = ',';
            }

        } else {
            *p++ = '{';
        }

        if (ready) {
            p = ngx_cpymem(p, "\"download\":", sizeof("\"download\":") - 1);
            p = ngx_http_djass_mcp_download(r, p, v);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }

        *p++ = '}';
        out->len = p - out->data;

        return NGX_OK;
    }

unexpected:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "djass mcp: unexpected script reply of %ui values", n);

    return ngx_http_djass_error_body(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal_error", "Internal error.",
                                     NULL, envelope);
}


/*
 * The download object: {"project_id", "download_url", "auth", "filename",
 * "size_bytes", "sha256"}.  The file name is the one the download's
 * Content-Disposition gives: <slug>-YYYYMMDD.zip, today in UTC.
 */

static size_t
ngx_http_djass_mcp_download_len(ngx_http_request_t *r, ngx_str_t *v)
{
    ngx_str_t  base;

    if (ngx_http_djass_mcp_base(r, &base) != NGX_OK) {
        base.len = 0;
    }

    return sizeof("{\"project_id\":,\"download_url\":\"/projects//download\","
                  "\"auth\":{\"type\":\"header\",\"header\":\"X-API-Key\"},"
                  "\"filename\":\"-YYYYMMDD.zip\",\"size_bytes\":,"
                  "\"sha256\":}")
           + 3 * NGX_INT_T_LEN
           + ngx_http_djass_json_str_len(base.data, base.len)
           + ngx_http_djass_json_str_len(v[3].data, v[3].len)
           + ngx_http_djass_json_str_len(v[13].data, v[13].len);
}


static u_char *
ngx_http_djass_mcp_download(ngx_http_request_t *r, u_char *p, ngx_str_t *v)
{
    ngx_tm_t    tm;
    ngx_str_t   base, file;

    if (ngx_http_djass_mcp_base(r, &base) != NGX_OK) {
        return NULL;
    }

    ngx_gmtime(ngx_time(), &tm);

    p = ngx_sprintf(p, "{\"project_id\":%V,\"download_url\":", &v[1]);

    /* the URL as one JSON string: the base, then the path */
    p = ngx_http_djass_json_str(p, base.data, base.len);
    p--;
    p = ngx_sprintf(p, "/projects/%V/download\"", &v[1]);

    p = ngx_cpymem(p, ",\"auth\":{\"type\":\"header\","
                   "\"header\":\"X-API-Key\"},\"filename\":",
                   sizeof(",\"auth\":{\"type\":\"header\","
                          "\"header\":\"X-API-Key\"},\"filename\":") - 1);

    file = v[3];
    p = ngx_http_djass_json_str(p, file.data, file.len);
    p--;
    p = ngx_sprintf(p, "-%4d%02d%02d.zip\",\"size_bytes\":%i,\"sha256\":",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    ngx_max(ngx_atoi(v[12].data, v[12].len), 0));
    p = ngx_http_djass_json_str(p, v[13].data, v[13].len);
    *p++ = '}';

    return p;
}


/*
 * The API's absolute URL, from configuration only: djass_mcp_api_base when
 * it is a URL; else the connection's scheme, this server's first
 * server_name (or, where that is empty, a wildcard or a regular
 * expression, the address the connection came in on) and the port it came
 * in on unless it is the scheme's default, with that path (default
 * /api/v1).  Nothing of the request (its Host) goes into it.
 */

static ngx_int_t
ngx_http_djass_mcp_base(ngx_http_request_t *r, ngx_str_t *base)
{
    u_char                     *p, addr[NGX_SOCKADDR_STRLEN];
    ngx_str_t                   host, scheme;
    in_port_t                   port, standard;
    ngx_connection_t           *c;
    ngx_http_djass_mcp_conf_t  *mcf;
    ngx_http_djass_loc_conf_t  *dlcf;
    ngx_http_core_srv_conf_t   *cscf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);
    mcf = dlcf->mcp;

    if (mcf->api_base.data[0] != '/') {
        *base = mcf->api_base;
        return NGX_OK;
    }

    c = r->connection;

    ngx_str_set(&scheme, "http");
    standard = 80;

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        ngx_str_set(&scheme, "https");
        standard = 443;
    }
#endif

    if (ngx_connection_local_sockaddr(c, NULL, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    port = ngx_inet_get_port(c->local_sockaddr);

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
    host = cscf->server_name;

    if (c->local_sockaddr->sa_family == AF_UNIX
        && (host.len == 0 || host.data[0] == '~'
            || ngx_strlchr(host.data, host.data + host.len, '*')))
    {
        /* a unix socket has no address to name: its proxy's is unknown */
        ngx_str_set(&host, "localhost");
        port = 0;

    } else if (host.len == 0 || host.data[0] == '~'
               || ngx_strlchr(host.data, host.data + host.len, '*'))
    {
        /* the address, "[...]" around an IPv6 one */
        host.len = ngx_sock_ntop(c->local_sockaddr, c->local_socklen,
                                 addr + 1, NGX_SOCKADDR_STRLEN - 2, 0);
        host.data = addr + 1;

        if (c->local_sockaddr->sa_family == AF_INET6) {
            addr[0] = '[';
            addr[host.len + 1] = ']';
            host.data = addr;
            host.len += 2;
        }
    }

    base->data = ngx_pnalloc(r->pool, scheme.len + sizeof("://:65535") - 1
                                      + host.len + mcf->api_base.len);
    if (base->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(base->data, "%V://%V", &scheme, &host);

    if (port != standard && port != 0) {
        p = ngx_sprintf(p, ":%ud", (ngx_uint_t) port);
    }

    p = ngx_cpymem(p, mcf->api_base.data, mcf->api_base.len);
    base->len = p - base->data;

    return NGX_OK;
}


/* an {"e", reason, ...} reply as the API's error envelope */

static ngx_int_t
ngx_http_djass_mcp_api_error(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, ngx_str_t *v, ngx_uint_t n,
    ngx_str_t *envelope)
{
    u_char                  *p;
    ngx_int_t                rc;
    ngx_http_djass_error_t   err;

    if (n >= 2 && v[0].len == 1 && v[0].data[0] == 'e'
        && ngx_strcmp(v[1].data, "notfound") == 0)
    {
        /* a create replayed after its project was deleted names it */
        if (n == 3 && ngx_atoi(v[2].data, v[2].len) > 0) {
            mr->project_id = ngx_atoi(v[2].data, v[2].len);
        }

        p = ngx_pnalloc(r->pool, sizeof("{\"project_id\":}") + NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "{\"project_id\":%ui}%Z", mr->project_id);

        return ngx_http_djass_error_body(r, NGX_HTTP_NOT_FOUND,
                                         "project_not_found",
                                         "Project not found.", (char *) p,
                                         envelope);
    }

    rc = ngx_http_djass_script_error(r, &mr->call, v, n, &err);

    if (rc == NGX_OK) {
        return ngx_http_djass_error_body(r, err.status, err.code,
                                         err.message, err.details, envelope);
    }

    if (rc != NGX_HTTP_DJASS_BAD_REPLY) {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "djass mcp: unexpected script reply \"%V\"",
                  ngx_http_djass_log_escape(r->pool, &v[0]));

    return ngx_http_djass_error_body(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal_error", "Internal error.",
                                     NULL, envelope);
}


/*
 * {"content":[{"type":"text","text":"<json>"}],"structuredContent":<json>,
 *  "isError":...}
 */

static ngx_int_t
ngx_http_djass_mcp_wrap(ngx_http_request_t *r, ngx_str_t *text,
    ngx_uint_t is_error, ngx_str_t *result)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, sizeof("{\"content\":[{\"type\":\"text\","
                                    "\"text\":}],\"structuredContent\":,"
                                    "\"isError\":false}")
                             + ngx_http_djass_json_str_len(text->data,
                                                           text->len)
                             + text->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    result->data = p;
    p = ngx_cpymem(p, "{\"content\":[{\"type\":\"text\",\"text\":",
                   sizeof("{\"content\":[{\"type\":\"text\",\"text\":") - 1);
    p = ngx_http_djass_json_str(p, text->data, text->len);
    p = ngx_sprintf(p, "}],\"structuredContent\":%V,\"isError\":%s}", text,
                    is_error ? "true" : "false");
    result->len = p - result->data;

    return NGX_OK;
}


/* prompts/get generate_project {app_idea} */

ngx_int_t
ngx_http_djass_mcp_prompt(ngx_http_request_t *r, ngx_http_djass_mcp_req_t *mr,
    json_t *params)
{
    char        *text;
    json_t      *name, *idea, *result;
    ngx_int_t    rc;
    size_t       len;
    const char  *s;

    name = json_object_get(params, "name");
    idea = json_object_get(json_object_get(params, "arguments"), "app_idea");

    if (!json_is_string(name)
        || ngx_strcmp(json_string_value(name), "generate_project") != 0)
    {
        ngx_http_djass_mcp_bad_params(mr, "Invalid params: unknown prompt.");
        return NGX_OK;
    }

    if (!json_is_string(idea) || json_string_length(idea) == 0) {
        ngx_http_djass_mcp_bad_params(mr, "Invalid params: generate_project "
                                      "needs the argument app_idea.");
        return NGX_OK;
    }

    s = json_string_value(idea);
    len = sizeof(NGX_HTTP_DJASS_MCP_PROMPT_TEXT) + json_string_length(idea);

    text = ngx_pnalloc(r->pool, len);
    if (text == NULL) {
        return NGX_ERROR;
    }

    /* the idea may hold a NUL: the text is cut there, nothing worse */
    (void) ngx_snprintf((u_char *) text, len - 1,
                        NGX_HTTP_DJASS_MCP_PROMPT_TEXT "%Z", s);
    text[len - 1] = '\0';

    result = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}",
                       "description", "Generate a Djass project for an app "
                       "idea.",
                       "messages", "role", "user", "content", "type", "text",
                       "text", text);
    if (result == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_djass_mcp_dump(r->pool, result, &mr->result);
    json_decref(result);

    return rc;
}


static void
ngx_http_djass_mcp_bad_params(ngx_http_djass_mcp_req_t *mr,
    const char *message)
{
    mr->error = NGX_HTTP_DJASS_RPC_INVALID_PARAMS;
    mr->error_message = message;
    ngx_str_null(&mr->error_data);
}
