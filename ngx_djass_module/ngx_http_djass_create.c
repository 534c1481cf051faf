/*
 * POST /projects: the body read in one piece (ngx_http_djass_payload.c
 * checks it), one call of the script that checks the quota and queues the
 * job, and the new project as the answer, 201.  A missing key or an
 * oversized body is answered before Redis; an invalid body or
 * Idempotency-Key after the script has checked the key and its scope.
 *
 * With an Idempotency-Key the same call also remembers the 201 under the
 * key's SHA-256 and a fingerprint of the effective input (the SHA-256 of
 * input_payload as the 201 shows it): the same key again is the first
 * answer, replayed by the script without a new project, or a 422 when the
 * input differs.  Nothing happens between the check and the create.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "djass_scripts.h"


static void ngx_http_djass_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_idempotency_key(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_int_t ngx_http_djass_fingerprint(ngx_http_request_t *r,
    ngx_http_djass_payload_t *pl, ngx_str_t *fp);
static ngx_int_t ngx_http_djass_create_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);


#define NGX_HTTP_DJASS_IDEM_HEADER   "Idempotency-Key"
#define NGX_HTTP_DJASS_IDEM_MAX      255


static ngx_str_t  ngx_http_djass_replayed = ngx_string("true");


ngx_int_t
ngx_http_djass_create_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_http_djass_call_t  *call;

    call = ngx_http_djass_create_call_init(r, ctx);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_djass_keyed_body(r, &call->digest,
                                     ngx_http_djass_create_body);
}


/* a create's call (POST /projects, the one-shot): it writes, it waits */

ngx_http_djass_call_t *
ngx_http_djass_create_call_init(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_http_djass_call_t  *call;

    call = ngx_http_djass_call_init(r, ctx, NGX_HTTP_DJASS_SCOPE_CREATE);
    if (call == NULL) {
        return NULL;
    }

    call->unavailable = "Temporary failure while queueing project "
                        "generation.";
    call->writes = 1;
    call->wait = 1;

    return call;
}


/*
 * A request that sends a body with its key (POST /projects, MCP): no key
 * is 401 at once (the body discarded), a declared body over
 * djass_max_body_size is 413; otherwise the body is read and handler
 * runs.  What a content handler returns.
 */

ngx_int_t
ngx_http_djass_keyed_body(ngx_http_request_t *r, ngx_str_t *digest,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t                   rc;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    rc = ngx_http_djass_auth_key(r, digest);

    if (rc == NGX_HTTP_DJASS_NO_KEY) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_djass_unauthorized(r);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.content_length_n > (off_t) dlcf->max_body_size) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_djass_create_body(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 body;
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_call_t    *call;
    ngx_http_djass_payload_t  pl;

    ctx = ngx_http_djass_get_ctx(r);
    call = ctx->data;

    rc = ngx_http_djass_read_body(r, &body);

    if (rc == NGX_HTTP_DJASS_TOO_LARGE) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    if (rc != NGX_OK
        || ngx_http_djass_payload_parse(r, body.data, body.len, &pl)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_djass_internal_error(r));
        return;
    }

    rc = ngx_http_djass_idempotency_key(r, &call->idempotency_key);

    if (rc == NGX_HTTP_DJASS_BAD_VALUE) {
        ngx_str_null(&call->idempotency_key);

        call->status = NGX_HTTP_BAD_REQUEST;
        call->code = "invalid_idempotency_key";
        call->message = "Idempotency-Key must be 1 to 255 characters, "
                        "each a printable ASCII character other than "
                        "space.";
        call->details = (u_char *) "{\"header\":\"Idempotency-Key\"}";
    }

    rc = ngx_http_djass_create_call(r, call, &pl, ngx_http_djass_create_done);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/*
 * The create call, for POST /projects and any other way in: the payload
 * (its 400 answered after auth unless call->code names another one), the
 * quota default and call->idempotency_key with its retention.  NGX_DONE:
 * the call is on its way to handler; otherwise the answer is sent and rc
 * is what the request is finalized with.
 */

ngx_int_t
ngx_http_djass_create_call(ngx_http_request_t *r, ngx_http_djass_call_t *call,
    ngx_http_djass_payload_t *pl, ngx_http_djass_redis_pt handler)
{
    if (ngx_http_djass_create_args(r, call, pl) != NGX_OK) {
        return ngx_http_djass_internal_error(r);
    }

    return ngx_http_djass_call_send(r, call, handler);
}


/*
 * The create call's arguments, for POST /projects and MCP's create_project:
 * the payload, the quota default, call->idempotency_key (hashed) with the
 * payload's fingerprint and the retention.  NGX_OK or NGX_ERROR.
 */

ngx_int_t
ngx_http_djass_create_args(ngx_http_request_t *r, ngx_http_djass_call_t *call,
    ngx_http_djass_payload_t *pl)
{
    ngx_str_t                   *args, *idem, *fp, *rid;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    if (pl->code && call->code == NULL) {
        call->status = NGX_HTTP_BAD_REQUEST;
        call->code = pl->code;
        call->message = pl->message;
        call->details = pl->details.data;
    }

    if (ngx_http_djass_call_args(r, call, "create",
                                 DJASS_SCRIPT_API_CREATE_NARGS)
        != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_CREATE_ARGV_QUOTA,
                                      dmcf->quota)
           != NGX_OK
        || ngx_http_djass_call_number(r, call,
                                      DJASS_SCRIPT_API_CREATE_ARGV_TTL,
                                      (ngx_uint_t) dmcf->idempotency_ttl)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    args = call->args;

    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_CREATE_ARGV_INVALID,
                             call->code != NULL);
    args[DJASS_SCRIPT_API_CREATE_ARGV_NAME] = pl->name;
    args[DJASS_SCRIPT_API_CREATE_ARGV_SLUG] = pl->slug;
    args[DJASS_SCRIPT_API_CREATE_ARGV_HEAD] = pl->head;
    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_CREATE_ARGV_FILL_EMAIL,
                             pl->fill_email != 0);
    args[DJASS_SCRIPT_API_CREATE_ARGV_TAIL] = pl->tail;
    ngx_http_djass_call_flag(call, DJASS_SCRIPT_API_CREATE_ARGV_ONESHOT,
                             call->oneshot);

    idem = &args[DJASS_SCRIPT_API_CREATE_ARGV_IDEM];
    fp = &args[DJASS_SCRIPT_API_CREATE_ARGV_FP];

    ngx_str_set(idem, "");
    ngx_str_set(fp, "");

    rid = &args[DJASS_SCRIPT_API_CREATE_ARGV_REQUEST_ID];

    if (ngx_http_djass_request_id(r, rid) != NGX_OK) {
        return NGX_ERROR;
    }

    if (call->idempotency_key.len && call->code == NULL
        && (ngx_http_djass_sha256_hex(r->pool, &call->idempotency_key, idem)
            != NGX_OK
            || ngx_http_djass_fingerprint(r, pl, fp) != NGX_OK))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* an Idempotency-Key: 1 to 255 characters, each 0x21-0x7E */

ngx_uint_t
ngx_http_djass_idempotency_valid(ngx_str_t *key)
{
    u_char  *p, *last;

    if (key->len == 0 || key->len > NGX_HTTP_DJASS_IDEM_MAX) {
        return 0;
    }

    last = key->data + key->len;

    for (p = key->data; p < last; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            return 0;
        }
    }

    return 1;
}


/*
 * The request's Idempotency-Key: NGX_OK with key set, NGX_HTTP_DJASS_ABSENT
 * without one, NGX_HTTP_DJASS_BAD_VALUE when it is empty, longer than 255,
 * has a byte outside 0x21-0x7E, or is sent twice.
 */

static ngx_int_t
ngx_http_djass_idempotency_key(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    found = 0;
    ngx_str_null(key);

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

        if (h[i].key.len == sizeof(NGX_HTTP_DJASS_IDEM_HEADER) - 1
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) NGX_HTTP_DJASS_IDEM_HEADER,
                               sizeof(NGX_HTTP_DJASS_IDEM_HEADER) - 1)
               == 0)
        {
            *key = h[i].value;
            found++;
        }
    }

    if (found == 0) {
        return NGX_HTTP_DJASS_ABSENT;
    }

    if (found > 1 || !ngx_http_djass_idempotency_valid(key)) {
        goto invalid;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass create: Idempotency-Key \"%V\"",
                   ngx_http_djass_log_escape(r->pool, key));

    return NGX_OK;

invalid:

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass create: invalid Idempotency-Key");

    return NGX_HTTP_DJASS_BAD_VALUE;
}


/*
 * The effective input's fingerprint: the SHA-256 of input_payload as the
 * 201 shows it, normalised by payload_parse (the template's order, compact
 * JSON).  An author_email still to come from the profile is a NUL byte, a
 * byte no JSON text holds.
 */

static ngx_int_t
ngx_http_djass_fingerprint(ngx_http_request_t *r,
    ngx_http_djass_payload_t *pl, ngx_str_t *fp)
{
    u_char     *p;
    ngx_str_t   in;

    if (!pl->fill_email) {
        return ngx_http_djass_sha256_hex(r->pool, &pl->head, fp);
    }

    in.len = pl->head.len + 1 + pl->tail.len;
    in.data = ngx_pnalloc(r->pool, in.len);
    if (in.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(in.data, pl->head.data, pl->head.len);
    *p++ = '\0';
    ngx_memcpy(p, pl->tail.data, pl->tail.len);

    return ngx_http_djass_sha256_hex(r->pool, &in, fp);
}


/* the body in one piece; NGX_HTTP_DJASS_TOO_LARGE: over djass_max_body_size */

ngx_int_t
ngx_http_djass_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    off_t                       len;
    u_char                     *p;
    ssize_t                     n;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_djass_module);

    ngx_str_set(body, "");

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > (off_t) dlcf->max_body_size) {
        return NGX_HTTP_DJASS_TOO_LARGE;
    }

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            if (b->last > b->pos) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }

            continue;
        }

        /* a body larger than client_body_buffer_size: a temp file */

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            return NGX_ERROR;
        }

        p += n;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_djass_create_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    ngx_str_t   body;
    ngx_uint_t  replayed;

    rc = ngx_http_djass_call_reply(r, data, rc, v, n);
    if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
        return rc;
    }

    if (ngx_http_djass_created(r, v, n, &body, &replayed) != NGX_OK) {
        return ngx_http_djass_internal_error(r);
    }

    if (replayed
        && ngx_http_djass_add_header(r, "Idempotent-Replayed",
                                     &ngx_http_djass_replayed)
           == NULL)
    {
        return NGX_ERROR;
    }

    return ngx_http_djass_send_json(r, NGX_HTTP_CREATED, &body);
}


/*
 * The script's create reply {"ok", <project fields>, replayed} as
 * {"project": ...}; replayed: the answer is a remembered one.  A replay
 * has the first answer's values, so its body is the first body, byte for
 * byte.
 */

ngx_int_t
ngx_http_djass_created(ngx_http_request_t *r, ngx_str_t *v, ngx_uint_t n,
    ngx_str_t *body, ngx_uint_t *replayed)
{
    u_char  *p;

    if (n != 2 + NGX_HTTP_DJASS_PROJECT_FIELDS) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: unexpected create reply of %ui values", n);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool,
                    sizeof("{\"project\":}")
                    + ngx_http_djass_object_len(&ngx_http_djass_project_shape,
                                                &v[1]));
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    p = ngx_cpymem(p, "{\"project\":", sizeof("{\"project\":") - 1);
    p = ngx_http_djass_object(p, &ngx_http_djass_project_shape, &v[1]);
    *p++ = '}';

    body->len = p - body->data;

    *replayed = (v[n - 1].len == 1 && v[n - 1].data[0] == '1');

    return NGX_OK;
}
