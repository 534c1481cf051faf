/*
 * GET /projects/{id}/events: the project's status as Server-Sent Events,
 * and Prefer: wait=N (RFC 7240) on GET /projects/{id} and /status.  Both
 * read the status as GET /status does (the read cache, or one script
 * call), and between changes wait in this worker process
 * (ngx_http_djass_wait.c) at no Redis command.
 *
 * An event:
 *
 *   event: status
 *   id: <updated_at * 10 + rank>
 *   data: <the status object, on one line>
 *
 * rank 1 queued, 2 generating, 3 ready or failed: the id grows with each
 * change of that project (a change rewrites updated_at, Unix seconds, or
 * moves the status on within the same second).  An event is sent only when
 * the id moved.  The stream ends after ready or failed; while nothing
 * changes a ": keepalive" comment every djass_events_keepalive (15 s).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_wait.h"
#include "ngx_http_djass_events.h"


#define NGX_HTTP_DJASS_WAIT_MAX      60
#define NGX_HTTP_DJASS_EVENT_ID_LEN  NGX_INT64_LEN

/*
 * A stream's re-reads of its status: each takes about 2 KiB of the
 * request's pool (the call, the reply), freed only with the request.
 * With the tracking proven a stream re-reads only when its project
 * changed (a few times in its life); without it (djass_cache off, the
 * invalidation connection lost) the sweep wakes it once a second: after
 * this many re-reads it ends, and the client reconnects with
 * Last-Event-ID, on a fresh request.
 */
#define NGX_HTTP_DJASS_EVENTS_REREADS  16


typedef struct {
    ngx_str_t                    id;          /* the project id, digits */
    ngx_str_t                    last;        /* Last-Event-ID */
    uint64_t                     sent;        /* the last event's id */
    ngx_msec_t                   deadline;    /* Prefer: wait */
    ngx_uint_t                   wait;        /* its N, 0: none */
    const char                  *op;          /* the held read's */
    ngx_http_djass_redis_pt      handler;
    ngx_buf_t                   *keepalive;   /* reused by each comment */
    ngx_uint_t                   rereads;

    unsigned                     started:1;   /* the stream's header sent */
    unsigned                     held:1;      /* Prefer: wait timed out */
} ngx_http_djass_events_t;


static ngx_http_djass_events_t *ngx_http_djass_events_state(
    ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx);
static ngx_int_t ngx_http_djass_events_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_events_start(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_events_send(ngx_http_request_t *r,
    u_char *p, size_t len, ngx_uint_t last);
static ngx_int_t ngx_http_djass_events_output(ngx_http_request_t *r,
    ngx_buf_t *b);
static ngx_int_t ngx_http_djass_events_keepalive(ngx_http_request_t *r,
    ngx_http_djass_events_t *ev);
static ngx_int_t ngx_http_djass_events_end(ngx_http_request_t *r);
static void ngx_http_djass_events_wake(ngx_http_request_t *r,
    ngx_uint_t timed_out);
static void ngx_http_djass_events_writer(ngx_http_request_t *r);
static ngx_int_t ngx_http_djass_events_wait(ngx_http_request_t *r,
    ngx_http_djass_events_t *ev);
static ngx_table_elt_t *ngx_http_djass_events_header(ngx_http_request_t *r,
    const char *name, ngx_list_part_t **part, ngx_uint_t *i);
static ngx_uint_t ngx_http_djass_prefer_parse(ngx_http_request_t *r);
static void ngx_http_djass_prefer_wake(ngx_http_request_t *r,
    ngx_uint_t timed_out);


static ngx_str_t  ngx_http_djass_events_allow = ngx_string("GET");

static ngx_str_t  ngx_http_djass_event_stream =
    ngx_string("text/event-stream");

/* the comment sent while nothing changes (ngx_http_djass_events_park.c too) */
ngx_str_t  ngx_http_djass_event_keepalive = ngx_string(": keepalive\n\n");


/* the status object's values (after the "ok"): project.c's order */
#define NGX_HTTP_DJASS_EV_STATUS     1
#define NGX_HTTP_DJASS_EV_UPDATED    5


ngx_int_t
ngx_http_djass_events_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx)
{
    ngx_uint_t                i;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_djass_events_t  *ev;

    if (r->method != NGX_HTTP_GET) {
        return ngx_http_djass_not_allowed(r, &ngx_http_djass_events_allow);
    }

    ev = ngx_http_djass_events_state(r, ctx);
    if (ev == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    part = NULL;
    h = ngx_http_djass_events_header(r, "Last-Event-ID", &part, &i);
    if (h) {
        ev->last = h->value;
    }

    return ngx_http_djass_call_project(r, ctx, "status",
                                       ngx_http_djass_events_done);
}


static ngx_http_djass_events_t *
ngx_http_djass_events_state(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx)
{
    ngx_http_djass_events_t  *ev;

    if (ctx->events) {
        return ctx->events;
    }

    ev = ngx_pcalloc(r->pool, sizeof(ngx_http_djass_events_t));
    if (ev == NULL) {
        return NULL;
    }

    ev->id.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (ev->id.data == NULL) {
        return NULL;
    }

    ev->id.len = ngx_sprintf(ev->id.data, "%ui", ctx->project_id)
                 - ev->id.data;

    ctx->events = ev;

    return ev;
}


static ngx_int_t
ngx_http_djass_events_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    u_char                   *p, *q;
    size_t                    len;
    uint64_t                  id;
    ngx_uint_t                final;
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_events_t  *ev;

    ctx = ngx_http_djass_get_ctx(r);
    ev = ctx->events;

    if (!ev->started) {
        /* before the stream: the usual envelopes */
        rc = ngx_http_djass_call_reply(r, data, rc, v, n);
        if (rc != NGX_HTTP_DJASS_SCRIPT_OK) {
            return rc;
        }

    } else if (rc != NGX_OK || n == 0 || v[0].len != 2
               || ngx_strncmp(v[0].data, "ok", 2) != 0)
    {
        /* gone (DELETE), Redis lost: the client reconnects */
        return ngx_http_djass_events_end(r);
    }

    if (ngx_http_djass_event_status(v, n, &id, &final) != NGX_OK) {
        return ev->started ? ngx_http_djass_events_end(r)
                           : ngx_http_djass_internal_error(r);
    }

    if (!ev->started) {
        rc = ngx_http_djass_events_start(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ev->last.len) {
            /* the client has seen it: the same id skips it */
            p = ngx_pnalloc(r->pool, NGX_HTTP_DJASS_EVENT_ID_LEN);
            if (p == NULL) {
                return NGX_ERROR;
            }

            len = ngx_sprintf(p, "%uL", id) - p;

            if (len == ev->last.len && ngx_memcmp(p, ev->last.data, len) == 0)
            {
                ev->sent = id;

                /* no event now: the header goes out alone */
                if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
                    return NGX_ERROR;
                }
            }
        }
    }

    if (id != ev->sent) {
        p = ngx_pnalloc(r->pool, ngx_http_djass_event_len(v));
        if (p == NULL) {
            return NGX_ERROR;
        }

        q = ngx_http_djass_event(p, id, v);

        ev->sent = id;

        if (final) {
            return ngx_http_djass_events_send(r, p, q - p, 1);
        }

        rc = ngx_http_djass_events_send(r, p, q - p, 0);
        if (rc != NGX_OK) {
            return rc;
        }

    } else if (final) {
        return ngx_http_djass_events_end(r);
    }

    if (ngx_exiting || ngx_terminate) {
        return ngx_http_djass_events_end(r);
    }

    if (ngx_http_djass_events_wait(r, ev) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_DONE;
}


/*
 * The stream waits for the next change: parked without its request when
 * it can be (ngx_http_djass_events_park.c), or held with it.
 */

static ngx_int_t
ngx_http_djass_events_wait(ngx_http_request_t *r,
    ngx_http_djass_events_t *ev)
{
    ngx_int_t                    rc;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_call_t       *call;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
    ctx = ngx_http_djass_get_ctx(r);
    call = ctx->data;

    if (dmcf->events_park && call && call->digest.len) {
        rc = ngx_http_djass_events_park(r, &ev->id, ev->sent, &call->digest);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    return ngx_http_djass_events_hold(r);
}


/* the stream waits with its request */

ngx_int_t
ngx_http_djass_events_hold(ngx_http_request_t *r)
{
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_events_t     *ev;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
    ctx = ngx_http_djass_get_ctx(r);
    ev = ctx->events;

    return ngx_http_djass_wait_project(r, &ev->id, dmcf->events_keepalive,
                                       ngx_http_djass_events_wake);
}


/* 200 and the stream's headers: from here on no envelope can follow */

static ngx_int_t
ngx_http_djass_events_start(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_events_t     *ev;
    static ngx_str_t             no_store = ngx_string("no-store");
    static ngx_str_t             no = ngx_string("no");

    ctx = ngx_http_djass_get_ctx(r);
    ev = ctx->events;

    if (ngx_http_djass_add_header(r, "Cache-Control", &no_store) == NULL
        || ngx_http_djass_add_header(r, "X-Accel-Buffering", &no) == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->replied = 1;
    ctx->status = NGX_HTTP_OK;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_djass_event_stream;
    r->headers_out.content_type_len = ngx_http_djass_event_stream.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = -1;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);
    ngx_http_clear_accept_ranges(r);

    /* the stream ends by closing: nothing is read after it */
    r->keepalive = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    ev->started = 1;

    return NGX_OK;
}


/* one event (or comment) out now; last: the stream's end after it */

static ngx_int_t
ngx_http_djass_events_send(ngx_http_request_t *r, u_char *p, size_t len,
    ngx_uint_t last)
{
    ngx_int_t   rc;
    ngx_buf_t  *b;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = p;
    b->last = p + len;
    b->memory = 1;
    b->flush = 1;
    b->last_buf = last;
    b->last_in_chain = 1;

    /* last: ngx_http_finalize_request() writes what is left */
    rc = ngx_http_djass_events_output(r, b);

    return rc == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


/*
 * The ": keepalive" comment: one buffer per stream, used again each time,
 * so a long stream's pool does not grow with its keepalives.  While the
 * last one is not out yet (a slow client) it is still in the output chain:
 * no other is sent, the client has one to read.
 */

static ngx_int_t
ngx_http_djass_events_keepalive(ngx_http_request_t *r,
    ngx_http_djass_events_t *ev)
{
    ngx_buf_t  *b;

    b = ev->keepalive;

    if (b == NULL) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->memory = 1;
        b->flush = 1;
        b->last_in_chain = 1;

        ev->keepalive = b;

    } else if (b->pos != b->last) {
        return NGX_OK;
    }

    b->pos = ngx_http_djass_event_keepalive.data;
    b->last = b->pos + ngx_http_djass_event_keepalive.len;

    return ngx_http_djass_events_output(r, b) == NGX_ERROR ? NGX_ERROR
                                                           : NGX_OK;
}


/* b out through the filters; what a slow client leaves goes as it reads */

static ngx_int_t
ngx_http_djass_events_output(ngx_http_request_t *r, ngx_buf_t *b)
{
    ngx_int_t                  rc;
    ngx_chain_t                out;
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_output_filter(r, &out);

    if (rc == NGX_ERROR || b->last_buf) {
        return rc;
    }

    c = r->connection;

    if (r->buffered || c->buffered) {
        /* a slow client: the rest goes as it reads */
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        r->write_event_handler = ngx_http_djass_events_writer;

        if (!c->write->timer_set) {
            ngx_add_timer(c->write, clcf->send_timeout);
        }

        if (ngx_handle_write_event(c->write, clcf->send_lowat) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return rc;
}


static void
ngx_http_djass_events_writer(ngx_http_request_t *r)
{
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;

    if (c->write->timedout) {
        c->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (r->buffered || c->buffered) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        if (!c->write->timer_set) {
            ngx_add_timer(c->write, clcf->send_timeout);
        }

        if (ngx_handle_write_event(c->write, clcf->send_lowat) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_ERROR);
        }

        return;
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    r->write_event_handler = ngx_http_request_empty_handler;
}


static ngx_int_t
ngx_http_djass_events_end(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_send_special(r, NGX_HTTP_LAST);

    return rc == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


/* the wait is over: a keepalive, or a re-read of the status */

static void
ngx_http_djass_events_wake(ngx_http_request_t *r, ngx_uint_t timed_out)
{
    ngx_int_t                 rc;
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_events_t  *ev;

    ctx = ngx_http_djass_get_ctx(r);
    ev = ctx->events;

    if (ngx_exiting || ngx_terminate) {
        /* nginx -s reload: the client reconnects with Last-Event-ID */
        ngx_http_finalize_request(r, ngx_http_djass_events_end(r));
        return;
    }

    if (!timed_out) {
        if (++ev->rereads > NGX_HTTP_DJASS_EVENTS_REREADS) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "djass events: re-read enough, the stream ends");

            ngx_http_finalize_request(r, ngx_http_djass_events_end(r));
            return;
        }

        rc = ngx_http_djass_call_project(r, ctx, "status",
                                         ngx_http_djass_events_done);
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_djass_events_keepalive(r, ev);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (ngx_http_djass_events_wait(r, ev) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_http_finalize_request(r, NGX_DONE);
}


/*
 * The script's status reply (v[0] "ok", then the status object): NGX_OK,
 * its event id and whether it is final; NGX_ERROR when it has another
 * shape.
 */

ngx_int_t
ngx_http_djass_event_status(ngx_str_t *v, ngx_uint_t n, uint64_t *id,
    ngx_uint_t *final)
{
    ngx_str_t  *status;

    if (n != 1 + ngx_http_djass_status_shape.nvalues) {
        return NGX_ERROR;
    }

    status = &v[1 + NGX_HTTP_DJASS_EV_STATUS];

    *id = ngx_http_djass_event_id(status, &v[1 + NGX_HTTP_DJASS_EV_UPDATED]);
    *final = ngx_http_djass_final(status);

    return NGX_OK;
}


/* an event of the status object in v[1..]: its length at most, its text */

size_t
ngx_http_djass_event_len(ngx_str_t *v)
{
    return sizeof("event: status\nid: \ndata: \n\n") - 1
           + NGX_HTTP_DJASS_EVENT_ID_LEN
           + ngx_http_djass_object_len(&ngx_http_djass_status_shape, &v[1]);
}


u_char *
ngx_http_djass_event(u_char *p, uint64_t id, ngx_str_t *v)
{
    p = ngx_sprintf(p, "event: status\nid: %uL\ndata: ", id);
    p = ngx_http_djass_object(p, &ngx_http_djass_status_shape, &v[1]);
    *p++ = '\n';
    *p++ = '\n';

    return p;
}


/* updated_at * 10 + rank: grows with each change of the project */

uint64_t
ngx_http_djass_event_id(ngx_str_t *status, ngx_str_t *updated)
{
    off_t       t;
    ngx_uint_t  rank;

    t = (updated->len && updated->len <= 12)
        ? ngx_atoof(updated->data, updated->len) : NGX_ERROR;

    if (t == NGX_ERROR) {
        t = 0;
    }

    if (status->len == sizeof("queued") - 1
        && ngx_strncmp(status->data, "queued", status->len) == 0)
    {
        rank = 1;

    } else if (status->len == sizeof("generating") - 1
               && ngx_strncmp(status->data, "generating", status->len) == 0)
    {
        rank = 2;

    } else {
        rank = 3;
    }

    return (uint64_t) t * 10 + rank;
}


ngx_uint_t
ngx_http_djass_final(ngx_str_t *status)
{
    return (status->len == sizeof("ready") - 1
            && ngx_strncmp(status->data, "ready", status->len) == 0)
           || (status->len == sizeof("failed") - 1
               && ngx_strncmp(status->data, "failed", status->len) == 0);
}


/* the request's next header called name: *part NULL starts the walk */

static ngx_table_elt_t *
ngx_http_djass_events_header(ngx_http_request_t *r, const char *name,
    ngx_list_part_t **part, ngx_uint_t *i)
{
    size_t            len;
    ngx_table_elt_t  *h;

    if (*part == NULL) {
        *part = &r->headers_in.headers.part;
        *i = 0;
    }

    len = ngx_strlen(name);

    for ( ;; ) {
        if (*i >= (*part)->nelts) {
            if ((*part)->next == NULL) {
                return NULL;
            }

            *part = (*part)->next;
            *i = 0;
        }

        h = (ngx_table_elt_t *) (*part)->elts + (*i)++;

        if (h->key.len == len
            && ngx_strncasecmp(h->key.data, (u_char *) name, len) == 0)
        {
            return h;
        }
    }
}


/* --- Prefer: wait=N ------------------------------------------------------ */

/*
 * GET /projects/{id} and /status, the object read (status its "status"):
 * NGX_DECLINED answers now (adding Preference-Applied when a valid wait
 * was asked), NGX_DONE holds the request until the next change or the
 * end of the wait, then reads again with the same op and handler.
 */

ngx_int_t
ngx_http_djass_prefer_wait(ngx_http_request_t *r, ngx_http_djass_ctx_t *ctx,
    ngx_str_t *status, const char *op, ngx_http_djass_redis_pt handler)
{
    u_char                   *p;
    ngx_str_t                 applied;
    ngx_uint_t                wait;
    ngx_msec_t                now;
    ngx_msec_int_t            left;
    ngx_http_djass_events_t  *ev;

    ev = ctx->events;

    if (ev == NULL) {
        wait = ngx_http_djass_prefer_parse(r);

        if (wait == 0) {
            /* no wait asked: nothing to keep (the polling path) */
            return NGX_DECLINED;
        }

        ev = ngx_http_djass_events_state(r, ctx);
        if (ev == NULL) {
            return NGX_ERROR;
        }

        ev->wait = wait;
        ev->deadline = ngx_current_msec + ev->wait * 1000;
    }

    if (ev->wait == 0) {
        return NGX_DECLINED;
    }

    now = ngx_current_msec;
    left = (ngx_msec_int_t) (ev->deadline - now);

    if (!ev->held && left > 0 && status && !ngx_http_djass_final(status)
        && !ngx_exiting && !ngx_terminate)
    {
        ev->op = op;
        ev->handler = handler;

        if (ngx_http_djass_wait_project(r, &ev->id, (ngx_msec_t) left,
                                        ngx_http_djass_prefer_wake)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DONE;
    }

    p = ngx_pnalloc(r->pool, sizeof("wait=") - 1 + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    applied.data = p;
    applied.len = ngx_sprintf(p, "wait=%ui", ev->wait) - p;

    if (ngx_http_djass_add_header(r, "Preference-Applied", &applied) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_DECLINED;
}


static void
ngx_http_djass_prefer_wake(ngx_http_request_t *r, ngx_uint_t timed_out)
{
    ngx_int_t                 rc;
    ngx_http_djass_ctx_t     *ctx;
    ngx_http_djass_events_t  *ev;

    ctx = ngx_http_djass_get_ctx(r);
    ev = ctx->events;

    if (timed_out) {
        /* read once more, and answer whatever it says */
        ev->held = 1;
    }

    rc = ngx_http_djass_call_project(r, ctx, ev->op, ev->handler);
    ngx_http_finalize_request(r, rc);
}


/*
 * "wait=N" among the Prefer headers' preferences (RFC 7240: tokens,
 * case-insensitive, "," between preferences, ";" before parameters, the
 * value maybe quoted): N from 1, capped to 60.  Anything else: 0, the
 * preference is ignored.
 */

static ngx_uint_t
ngx_http_djass_prefer_parse(ngx_http_request_t *r)
{
    u_char           *p, *last;
    ngx_uint_t        i, n, digits, wait;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    wait = 0;
    part = NULL;

    while ((h = ngx_http_djass_events_header(r, "Prefer", &part, &i))) {

        p = h->value.data;
        last = p + h->value.len;

        while (p < last) {
            /* one preference: from here to the next "," */

            while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            if (last - p > 4 && ngx_strncasecmp(p, (u_char *) "wait", 4) == 0)
            {
                p += 4;

                while (p < last && (*p == ' ' || *p == '\t')) {
                    p++;
                }

                if (p < last && *p == '=') {
                    p++;

                    while (p < last && (*p == ' ' || *p == '\t')) {
                        p++;
                    }

                    if (p < last && *p == '"') {
                        p++;
                    }

                    for (n = 0, digits = 0;
                         p < last && *p >= '0' && *p <= '9';
                         p++, digits++)
                    {
                        if (n < 1000) {
                            n = n * 10 + (*p - '0');
                        }
                    }

                    if (p < last && *p == '"') {
                        p++;
                    }

                    while (p < last && (*p == ' ' || *p == '\t')) {
                        p++;
                    }

                    if (digits && n > 0
                        && (p == last || *p == ',' || *p == ';'))
                    {
                        wait = ngx_min(n, NGX_HTTP_DJASS_WAIT_MAX);
                    }
                }
            }

            while (p < last && *p != ',') {
                p++;
            }
        }
    }

    return wait;
}
