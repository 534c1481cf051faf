/*
 * Issue 25: POST /projects/{id}/upgrade.  The body (empty, or
 * {"answers": {...}}) is checked as a create's options are
 * (ngx_http_djass_payload_answers); one call of the script (the upgrade
 * branch, redis/lib/upgrade.lua) checks the key, the scope
 * (projects:create), the owner, that the old project is ready, the quota,
 * and queues a new project from the old one's answers with the changes,
 * on nginx's template version, its job's parent_commit the old project's
 * git commit.  201 with the new project, as a create answers; 409
 * already_current when nothing would change; 409 artifact_not_ready while
 * the old project is not ready.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_mcp.h"
#include "djass_scripts.h"


static void ngx_http_djass_upgrade_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_upgrade_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);


ngx_int_t
ngx_http_djass_upgrade_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    return ngx_http_djass_queue_handler(r, ctx, ngx_http_djass_upgrade_body);
}


static void
ngx_http_djass_upgrade_body(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_str_t               body;
    ngx_http_djass_ctx_t   *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    rc = ngx_http_djass_read_body(r, &body);

    if (rc == NGX_HTTP_DJASS_TOO_LARGE) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    if (ngx_http_djass_upgrade_args(r, ctx->data, ctx->project_id, body.data,
                                    body.len)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    rc = ngx_http_djass_call_send(r, ctx->data, ngx_http_djass_upgrade_done);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/*
 * The upgrade call's arguments, for the endpoint and MCP's
 * upgrade_project: the body's 400 answered after auth (unless call->code
 * names another one).  NGX_OK or NGX_ERROR.
 */

ngx_int_t
ngx_http_djass_upgrade_args(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t project_id, u_char *body,
    size_t len)
{
    ngx_str_t                   *args, changes, keys;
    ngx_http_djass_payload_t     pl;
    ngx_http_djass_loc_conf_t   *dlcf;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    ngx_str_set(&changes, "{}");
    ngx_str_set(&keys, "[]");

    if (ngx_http_djass_payload_answers(r, body, len, &pl, &changes, &keys)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_djass_call_invalid(call, &pl);

    if (ngx_http_djass_call_args(r, call, "upgrade",
                                 DJASS_SCRIPT_API_UPGRADE_NARGS)
        != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_UPGRADE_ARGV_QUOTA,
                                      dmcf->quota)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    args = call->args;

    args[DJASS_SCRIPT_API_KEY_PROJECT].data =
        ngx_pnalloc(r->pool, sizeof(NGX_HTTP_DJASS_PROJECT_PREFIX) - 1
                             + NGX_INT_T_LEN);
    if (args[DJASS_SCRIPT_API_KEY_PROJECT].data == NULL) {
        return NGX_ERROR;
    }

    args[DJASS_SCRIPT_API_KEY_PROJECT].len =
        ngx_sprintf(args[DJASS_SCRIPT_API_KEY_PROJECT].data,
                    NGX_HTTP_DJASS_PROJECT_PREFIX "%ui", project_id)
        - args[DJASS_SCRIPT_API_KEY_PROJECT].data;

    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_UPGRADE_ARGV_INVALID,
                             call->code != NULL);
    args[DJASS_SCRIPT_API_UPGRADE_ARGV_ANSWERS] = changes;
    args[DJASS_SCRIPT_API_UPGRADE_ARGV_KEYS] = keys;
    args[DJASS_SCRIPT_API_UPGRADE_ARGV_TEMPLATE_VERSION] =
        dmcf->template_version;
    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_UPGRADE_ARGV_MANIFEST,
                             dlcf->manifest != 0);

    return ngx_http_djass_request_id(r,
                              &args[DJASS_SCRIPT_API_UPGRADE_ARGV_REQUEST_ID]);
}


/* 409 already_current when the reply says so (sent: its rc); else
 * NGX_DECLINED */

ngx_int_t
ngx_http_djass_upgrade_current(ngx_http_request_t *r, ngx_str_t *v,
    ngx_uint_t n)
{
    if (n < 2 || v[0].len != 1 || v[0].data[0] != 'e'
        || v[1].len != sizeof("current") - 1
        || ngx_strncmp(v[1].data, "current", v[1].len) != 0)
    {
        return NGX_DECLINED;
    }

    return ngx_http_djass_send_error(r, NGX_HTTP_CONFLICT, "already_current",
                                     NGX_HTTP_DJASS_CURRENT_MESSAGE, NULL);
}


static ngx_int_t
ngx_http_djass_upgrade_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    ngx_int_t  sent;

    if (rc == NGX_OK) {
        sent = ngx_http_djass_not_ready(r, rc, v, n);
        if (sent == NGX_DECLINED) {
            sent = ngx_http_djass_upgrade_current(r, v, n);
        }

        if (sent != NGX_DECLINED) {
            return sent;
        }
    }

    /* the rest as a create's: 201 with the new project */
    return ngx_http_djass_create_done(r, data, rc, v, n);
}


/*
 * upgrade_project: POST /projects/{id}/upgrade with {"answers": ...}
 * (ngx_http_djass_upgrade.c)
 */

ngx_int_t
ngx_http_djass_mcp_upgrade(ngx_http_request_t *r,
    ngx_http_djass_mcp_req_t *mr, json_t *args)
{
    json_t     *id, *body;
    ngx_int_t   rc;
    ngx_str_t   text;

    mr->call.unavailable = "Temporary failure while queueing project "
                           "generation.";
    mr->call.writes = 1;
    mr->call.wait = 1;

    id = json_object_get(args, "project_id");

    if (json_is_integer(id) && json_integer_value(id) > 0
        && json_integer_value(id) <= 999999999999999999LL)
    {
        mr->project_id = json_integer_value(id);
    }

    body = json_object();
    if (body == NULL) {
        return NGX_ERROR;
    }

    if (json_object_get(args, "answers")
        && json_object_set(body, "answers", json_object_get(args, "answers"))
           != 0)
    {
        json_decref(body);
        return NGX_ERROR;
    }

    rc = ngx_http_djass_mcp_dump(r->pool, body, &text);
    json_decref(body);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_djass_upgrade_args(r, &mr->call, mr->project_id,
                                       text.data, text.len);
}
