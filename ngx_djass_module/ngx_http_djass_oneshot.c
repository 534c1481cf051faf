/*
 * GET /projects.zip?project_name=Acme&...: the one-shot.  The query is
 * the create payload: turned into the JSON object a POST /projects body
 * would be (each parameter a string member), it goes through the same
 * ngx_http_djass_payload.c, so it is validated and normalised exactly as
 * a body is, with the same 400 envelopes.  Then one create call, as
 * POST's, with an idempotency key derived from the owner and the
 * normalised input: the same input again (for djass_idempotency_ttl) is
 * the same project, charged once, answered in that same round trip with
 * the project as it is now.
 *
 * Then the request is held until the project is ready (at most
 * djass_oneshot_wait from the request's start), woken by its status
 * changes (ngx_http_djass_wait.h: no Redis command while it waits), and
 * answered:
 *
 *   ready    200, the ZIP as GET /projects/{id}/download answers it
 *            (ngx_http_djass_serve_artifact), plus Content-Location
 *   failed   500 internal_error naming the project (details.project_id,
 *            status, error_message)
 *   waiting  202, Location and the project as the 201 of a create shows it
 *
 * Query decoding: "+" is a space, "%XX" that byte (a "%" that starts no
 * escape is itself), as HTML forms and curl --data-urlencode -G send it;
 * api_key (the legacy auth) is not an option.  A repeated parameter, bad
 * UTF-8 or a NUL byte is what a POST body with a duplicate key, bad UTF-8
 * or "\u0000" is: 400 invalid_payload.  An Idempotency-Key header is not
 * needed and is ignored: the input is the key.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_wait.h"


#define NGX_HTTP_DJASS_ONESHOT_KEY  "one-shot "   /* a space: no header's */

#define NGX_HTTP_DJASS_QUERY_MESSAGE                                         \
    "The query must be valid UTF-8 without NUL bytes and name each option " \
    "at most once."


static ngx_int_t ngx_http_djass_oneshot_key(ngx_http_request_t *r,
    ngx_http_djass_payload_t *pl, ngx_str_t *key);
static ngx_int_t ngx_http_djass_oneshot_created(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_oneshot_got(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_oneshot_download(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_oneshot_answer(ngx_http_request_t *r,
    ngx_str_t *f, ngx_str_t *artifact);
static ngx_int_t ngx_http_djass_oneshot_failed(ngx_http_request_t *r,
    ngx_str_t *f);
static ngx_int_t ngx_http_djass_oneshot_accepted(ngx_http_request_t *r,
    ngx_str_t *f);
static ngx_int_t ngx_http_djass_oneshot_hold(ngx_http_request_t *r,
    ngx_msec_int_t left);
static void ngx_http_djass_oneshot_woken(ngx_http_request_t *r,
    ngx_uint_t timed_out);
static ngx_int_t ngx_http_djass_oneshot_location(ngx_http_request_t *r,
    const char *name);
static ngx_msec_int_t ngx_http_djass_oneshot_left(ngx_http_request_t *r);


ngx_int_t
ngx_http_djass_oneshot_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                 json;
    ngx_http_djass_call_t    *call;
    ngx_http_djass_payload_t  pl;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    call = ngx_http_djass_create_call_init(r, ctx);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call->oneshot = 1;

    rc = ngx_http_djass_auth_key(r, &call->digest);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK
        || ngx_http_djass_query_json(r, &json) != NGX_OK
        || ngx_http_djass_payload_parse(r, json.data, json.len, &pl)
           != NGX_OK)
    {
        return ngx_http_djass_internal_error(r);
    }

    if (pl.code && ngx_strcmp(pl.code, "invalid_payload") == 0
        && ngx_strcmp(pl.message, "Request body must be a JSON object.") == 0)
    {
        /* not a JSON object: what the query made of it was not one */
        pl.message = NGX_HTTP_DJASS_QUERY_MESSAGE;
    }

    if (pl.code == NULL
        && ngx_http_djass_oneshot_key(r, &pl, &call->idempotency_key)
           != NGX_OK)
    {
        return ngx_http_djass_internal_error(r);
    }

    rc = ngx_http_djass_create_call(r, call, &pl,
                                    ngx_http_djass_oneshot_created);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/*
 * The create's idempotency key: a prefix with a space, which no
 * Idempotency-Key header has, then the normalised input the fingerprint
 * hashes; the script hashes and scopes it to the owner.
 */

static ngx_int_t
ngx_http_djass_oneshot_key(ngx_http_request_t *r,
    ngx_http_djass_payload_t *pl, ngx_str_t *key)
{
    u_char  *p;

    key->len = sizeof(NGX_HTTP_DJASS_ONESHOT_KEY) - 1 + pl->head.len
               + (pl->fill_email ? 1 + pl->tail.len : 0);
    key->data = ngx_pnalloc(r->pool, key->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, NGX_HTTP_DJASS_ONESHOT_KEY,
                   sizeof(NGX_HTTP_DJASS_ONESHOT_KEY) - 1);
    p = ngx_cpymem(p, pl->head.data, pl->head.len);

    if (pl->fill_email) {
        *p++ = '\0';
        ngx_memcpy(p, pl->tail.data, pl->tail.len);
    }

    return NGX_OK;
}


/* {"ok", <project fields>, replayed, artifact}: the project as it is now */

static ngx_int_t
ngx_http_djass_oneshot_created(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    ngx_int_t              id;
    ngx_http_djass_ctx_t  *ctx;

    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    id = (n == 3 + NGX_HTTP_DJASS_PROJECT_FIELDS)
         ? ngx_atoi(v[1].data, v[1].len) : NGX_ERROR;

    if (id <= 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: unexpected one-shot reply of %ui values", n);
        return ngx_http_djass_internal_error(r);
    }

    ctx = ngx_http_djass_get_ctx(r);
    ctx->project_id = id;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass one-shot: project %ui, %s", ctx->project_id,
                   v[n - 2].len == 1 && v[n - 2].data[0] == '1'
                   ? "reused" : "created");

    return ngx_http_djass_oneshot_answer(r, &v[1], &v[n - 1]);
}


/*
 * The project's fields f (as the script's get gives them) decide:
 * the ZIP, the failure, the 202, or a hold.  artifact: its path when
 * known (NULL: ask the download call for it).
 */

static ngx_int_t
ngx_http_djass_oneshot_answer(ngx_http_request_t *r, ngx_str_t *f,
    ngx_str_t *artifact)
{
    ngx_str_t             *status;
    ngx_msec_int_t         left;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);
    status = &f[3];

    if (status->len == sizeof("ready") - 1
        && ngx_strncmp(status->data, "ready", status->len) == 0)
    {
        if (artifact == NULL || artifact->len == 0) {
            return ngx_http_djass_call_project(r, ctx, "download",
                                           ngx_http_djass_oneshot_download);
        }

        if (ngx_http_djass_oneshot_location(r, "Content-Location")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_djass_serve_artifact(r, ctx, &f[2], artifact);
    }

    if (status->len == sizeof("failed") - 1
        && ngx_strncmp(status->data, "failed", status->len) == 0)
    {
        return ngx_http_djass_oneshot_failed(r, f);
    }

    left = ngx_http_djass_oneshot_left(r);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass one-shot: project %ui not ready, %M ms left",
                   ctx->project_id, left);

    if (left <= 0 || ngx_exiting) {
        /* exiting (a reload): every wait ends at once, so no more holds */
        return ngx_http_djass_oneshot_accepted(r, f);
    }

    return ngx_http_djass_oneshot_hold(r, left);
}


/*
 * THE HOLD: the one place the one-shot waits.  The request sleeps until
 * the project's status changes (or left ms pass) at no cost to Redis;
 * woken, it asks for the project again.  What the caller returns.
 */

static ngx_int_t
ngx_http_djass_oneshot_hold(ngx_http_request_t *r, ngx_msec_int_t left)
{
    u_char                *p;
    ngx_str_t              id;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    id.data = p;
    id.len = ngx_sprintf(p, "%ui", ctx->project_id) - p;

    if (ngx_http_djass_wait_project(r, &id, (ngx_msec_t) left,
                                    ngx_http_djass_oneshot_woken)
        != NGX_OK)
    {
        return ngx_http_djass_internal_error(r);
    }

    /* a client that leaves is noticed (and its waiter removed); the wait
     * holds its own reference to the request */
    r->read_event_handler = ngx_http_test_reading;

    return NGX_DONE;
}


static void
ngx_http_djass_oneshot_woken(ngx_http_request_t *r, ngx_uint_t timed_out)
{
    ngx_int_t              rc;
    ngx_connection_t      *c;
    ngx_http_djass_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_djass_get_ctx(r);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "djass one-shot: project %ui woken%s", ctx->project_id,
                   timed_out ? " by the timeout" : "");

    rc = ngx_http_djass_call_project(r, ctx, "get",
                                     ngx_http_djass_oneshot_got);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_djass_oneshot_got(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (n != 1 + NGX_HTTP_DJASS_PROJECT_FIELDS) {
        return ngx_http_djass_internal_error(r);
    }

    return ngx_http_djass_oneshot_answer(r, &v[1], NULL);
}


/*
 * Ready by the get, so the download call has the path; not ready any more
 * (an upgrade started in between): asked again.
 */

static ngx_int_t
ngx_http_djass_oneshot_download(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    if (rc == NGX_OK && n == 3
        && v[0].len == 1 && v[1].len == sizeof("notready") - 1
        && ngx_strcmp(v[1].data, "notready") == 0)
    {
        return ngx_http_djass_call_project(r, ctx, "get",
                                           ngx_http_djass_oneshot_got);
    }

    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (n != 3
        || ngx_http_djass_oneshot_location(r, "Content-Location") != NGX_OK)
    {
        return ngx_http_djass_internal_error(r);
    }

    return ngx_http_djass_serve_artifact(r, ctx, &v[1], &v[2]);
}


/*
 * Failed: 500 internal_error, the spec's code for a failure on the
 * server's side that retrying does not cure (retryable_error would invite
 * a retry, which, the input being the key, answers the same failure).
 */

static ngx_int_t
ngx_http_djass_oneshot_failed(ngx_http_request_t *r, ngx_str_t *f)
{
    u_char                *p, *last;
    ngx_http_djass_ctx_t  *ctx;

    ctx = ngx_http_djass_get_ctx(r);

    if (ngx_http_djass_oneshot_location(r, "Content-Location") != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("{\"project_id\":,\"status\":\"failed\","
                                    "\"error_message\":,\"retry_guidance\":"
                                    "\"Delete the project to try the same "
                                    "input again.\"}")
                             + NGX_INT_T_LEN
                             + ngx_http_djass_json_str_len(f[4].data,
                                                           f[4].len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "{\"project_id\":%ui,\"status\":\"failed\","
                       "\"error_message\":", ctx->project_id);
    last = ngx_http_djass_json_str(last, f[4].data, f[4].len);
    (void) ngx_sprintf(last, ",\"retry_guidance\":\"Delete the project to "
                       "try the same input again.\"}%Z");

    return ngx_http_djass_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "internal_error",
                                     "Project generation failed.",
                                     (char *) p);
}


/* not ready in time: 202, Location, {"project": ...} as a create's 201 */

static ngx_int_t
ngx_http_djass_oneshot_accepted(ngx_http_request_t *r, ngx_str_t *f)
{
    u_char     *p;
    ngx_str_t   body;

    if (ngx_http_djass_oneshot_location(r, "Location") != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool,
                    sizeof("{\"project\":}")
                    + ngx_http_djass_object_len(&ngx_http_djass_project_shape,
                                                f));
    if (p == NULL) {
        return NGX_ERROR;
    }

    body.data = p;

    p = ngx_cpymem(p, "{\"project\":", sizeof("{\"project\":") - 1);
    p = ngx_http_djass_object(p, &ngx_http_djass_project_shape, f);
    *p++ = '}';

    body.len = p - body.data;

    return ngx_http_djass_send_json(r, NGX_HTTP_ACCEPTED, &body);
}


/* name: <location prefix>projects/<id> */

static ngx_int_t
ngx_http_djass_oneshot_location(ngx_http_request_t *r, const char *name)
{
    ngx_str_t                   value;
    ngx_http_djass_ctx_t       *ctx;
    ngx_http_djass_loc_conf_t  *dlcf;

    ctx = ngx_http_djass_get_ctx(r);
    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    value.data = ngx_pnalloc(r->pool, dlcf->prefix.len
                                      + sizeof("projects/") - 1
                                      + NGX_INT_T_LEN);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "%Vprojects/%ui", &dlcf->prefix,
                            ctx->project_id)
                - value.data;

    if (ngx_http_djass_add_header(r, name, &value) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* what is left of djass_oneshot_wait since the request came */

static ngx_msec_int_t
ngx_http_djass_oneshot_left(ngx_http_request_t *r)
{
    ngx_time_t                  *tp;
    ngx_msec_int_t               elapsed;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    tp = ngx_timeofday();

    elapsed = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                                + (tp->msec - r->start_msec));

    return (ngx_msec_int_t) dmcf->oneshot_wait - ngx_max(elapsed, 0);
}
