/*
 * A parked events stream: between its events an HTTP/1.x stream waits
 * without its nginx request.  Once its first event is out, the request is
 * freed as at the end of a keepalive request (its access log line is
 * written then, with the bytes sent so far), and the connection keeps
 * only this small state: the project, the last event's id, the key's
 * digest and what is not sent yet.  A change wakes it as it wakes a
 * request (ngx_http_djass_wait.c); it then reads the status through a
 * short-lived request of its own (the read cache, or one script call, as
 * any status read), with no connection of its own: nothing of it reaches
 * the client but the event, which is written here, chunked as the
 * request's answer was.  Its memory is freed as soon as the event is
 * formatted.  A keepalive comment, the end of the stream (final status,
 * the project gone, Redis lost, nginx -s reload) and a slow or vanished
 * client are handled here as the request's filters did.
 *
 * Not parked (it waits with its request, ngx_http_djass_events.c): an
 * HTTP/2 or HTTP/3 stream, a request whose pool has another module's
 * cleanup (limit_conn, for one: its slot is held by the request), an
 * answer that another filter encodes, output not yet sent, and
 * djass_events_park off.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_redis.h"
#include "ngx_http_djass_wait.h"
#include "ngx_http_djass_events.h"

#if (NGX_LINUX && defined __GLIBC__)
#include <malloc.h>
#define NGX_HTTP_DJASS_PARK_TRIM  1
#endif


#define NGX_HTTP_DJASS_PARK_OUT_MAX  65536   /* unsent bytes: then close */
#define NGX_HTTP_DJASS_PARK_POOL     2048
#define NGX_HTTP_DJASS_DIGEST_LEN    64
#define NGX_HTTP_DJASS_PARK_TRIM_AFTER  250    /* ms after the last park */
#define NGX_HTTP_DJASS_PARK_TRIM_MAX    1000   /* ... or the first */


typedef struct {
    ngx_connection_t            *connection;
    ngx_http_request_t          *request;     /* until it is parked */
    ngx_pool_cleanup_t          *cleanup;     /* ... its pool's, for us */
    ngx_http_request_t          *read;        /* the re-read's, or NULL */
    void                        *waiter;
    ngx_event_t                  ev;          /* parks, then acts on a read */

    void                       **main_conf;
    void                       **srv_conf;
    void                       **loc_conf;
    ngx_msec_t                   keepalive;
    ngx_msec_t                   send_timeout;

    u_char                      *out;         /* malloc()ed, unsent bytes */
    size_t                       pos;
    size_t                       last;

    ngx_uint_t                   project_id;
    uint64_t                     sent;        /* the last event's id */
    ngx_uint_t                   seen;        /* the wake tick of its read */
    ngx_str_t                    id;
    u_char                       id_data[NGX_INT_T_LEN];
    u_char                       digest[NGX_HTTP_DJASS_DIGEST_LEN];

    unsigned                     chunked:1;
    unsigned                     end:1;       /* the read says: it ends */
    unsigned                     ending:1;    /* the last bytes are queued */
} ngx_http_djass_park_t;


static void ngx_http_djass_park_start(ngx_event_t *ev);
static void ngx_http_djass_park_request_gone(void *data);
static ngx_int_t ngx_http_djass_park_can(ngx_http_request_t *r);
static void ngx_http_djass_park_wait(ngx_http_djass_park_t *pk);
static void ngx_http_djass_park_wake(void *data, ngx_uint_t timed_out);
static ngx_int_t ngx_http_djass_park_reread(ngx_http_djass_park_t *pk);
static ngx_int_t ngx_http_djass_park_read_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static void ngx_http_djass_park_after_read(ngx_event_t *ev);
static ngx_http_request_t *ngx_http_djass_park_request(
    ngx_http_djass_park_t *pk);
static void ngx_http_djass_park_request_free(ngx_http_djass_park_t *pk);
static ssize_t ngx_http_djass_park_no_send(ngx_connection_t *c, u_char *buf,
    size_t size);
static ngx_chain_t *ngx_http_djass_park_no_send_chain(ngx_connection_t *c,
    ngx_chain_t *in, off_t limit);
static ngx_int_t ngx_http_djass_park_write(ngx_http_djass_park_t *pk,
    ngx_str_t *data, ngx_uint_t chunk);
static ngx_int_t ngx_http_djass_park_flush(ngx_http_djass_park_t *pk);
static void ngx_http_djass_park_end(ngx_http_djass_park_t *pk);
static void ngx_http_djass_park_close(ngx_http_djass_park_t *pk);
static void ngx_http_djass_park_reader(ngx_event_t *rev);
static ngx_int_t ngx_http_djass_park_read_client(ngx_http_djass_park_t *pk);
static void ngx_http_djass_park_writer(ngx_event_t *wev);


static ngx_uint_t  ngx_http_djass_parked;

static void ngx_http_djass_park_trim_later(void);
static void ngx_http_djass_park_free_buffers(ngx_connection_t *c,
    ngx_chain_t *cl);

#ifdef NGX_HTTP_DJASS_PARK_TRIM
static void ngx_http_djass_park_trim(ngx_event_t *ev);

static ngx_event_t  ngx_http_djass_park_trim_ev;
static ngx_msec_t   ngx_http_djass_park_trim_since;
#endif


ngx_int_t
ngx_http_djass_events_park(ngx_http_request_t *r, ngx_str_t *id,
    uint64_t sent, ngx_str_t *digest)
{
    ngx_connection_t            *c;
    ngx_pool_cleanup_t          *cln;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_park_t       *pk;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_djass_main_conf_t  *dmcf;

    if (ngx_http_djass_park_can(r) != NGX_OK
        || digest->len != NGX_HTTP_DJASS_DIGEST_LEN
        || id->len > NGX_INT_T_LEN)
    {
        return NGX_DECLINED;
    }

    c = r->connection;
    ctx = ngx_http_djass_get_ctx(r);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    pk = ngx_calloc(sizeof(ngx_http_djass_park_t), c->log);
    if (pk == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_free(pk);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_djass_park_request_gone;
    cln->data = pk;

    pk->connection = c;
    pk->request = r;
    pk->cleanup = cln;
    pk->main_conf = r->main_conf;
    pk->srv_conf = r->srv_conf;
    pk->loc_conf = r->loc_conf;
    pk->keepalive = dmcf->events_keepalive;
    pk->send_timeout = clcf->send_timeout;
    pk->project_id = ctx->project_id;
    pk->sent = sent;
    pk->seen = ngx_http_djass_wait_mark();
    pk->id.data = pk->id_data;
    pk->id.len = id->len;
    ngx_memcpy(pk->id_data, id->data, id->len);
    ngx_memcpy(pk->digest, digest->data, NGX_HTTP_DJASS_DIGEST_LEN);
    pk->chunked = r->chunked;

    pk->ev.handler = ngx_http_djass_park_start;
    pk->ev.data = pk;
    pk->ev.log = c->log;

    /* parked once the callers are done with r: the wait's reference */
    r->main->count++;
    ngx_post_event(&pk->ev, &ngx_posted_events);

    return NGX_OK;
}


/*
 * What the request still holds must be only ours, and its answer all
 * sent, before it can go.
 */

static ngx_int_t
ngx_http_djass_park_can(ngx_http_request_t *r)
{
    ngx_connection_t    *c;
    ngx_pool_cleanup_t  *cln;

    c = r->connection;

    if (r != r->main
        || r->http_version < NGX_HTTP_VERSION_10
        || r->http_version > NGX_HTTP_VERSION_11
        || r->headers_out.content_encoding
        || r->buffered || c->buffered || r->out || r->postponed
        || r->blocked || c->error || c->destroyed)
    {
        return NGX_DECLINED;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler
            && cln->handler != ngx_http_djass_park_request_gone
            && !ngx_http_djass_ctx_cleanup_is(cln->handler)
            && !ngx_http_djass_wait_cleanup_is(cln->handler))
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "djass events: another module's cleanup, "
                           "not parked");
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* the request is freed under us (the client left, a termination) */

static void
ngx_http_djass_park_request_gone(void *data)
{
    ngx_http_djass_park_t  *pk = data;

    if (pk->ev.posted) {
        ngx_delete_posted_event(&pk->ev);
    }

    ngx_free(pk);
}


/* from the posted events: the request goes, the connection stays */

static void
ngx_http_djass_park_start(ngx_event_t *ev)
{
    ngx_http_djass_park_t  *pk = ev->data;

    ngx_buf_t              *b;
    ngx_connection_t       *c;
    ngx_http_request_t     *r;
    ngx_http_connection_t  *hc;

    r = pk->request;
    c = r->connection;

    if (r->main->count != 1 || ngx_http_djass_park_can(r) != NGX_OK
        || ngx_exiting || ngx_terminate)
    {
        /* it waits with its request after all */
        pk->cleanup->handler = NULL;
        ngx_free(pk);

        ngx_http_finalize_request(r, ngx_http_djass_events_hold(r) == NGX_OK
                                     ? NGX_DONE : NGX_ERROR);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "djass events: project \"%V\" parked", &pk->id);

    pk->cleanup->handler = NULL;
    pk->request = NULL;

    hc = r->http_connection;

    /* as at a keepalive request's end: logged, its pool freed */
    ngx_http_free_request(r, 0);

    c->destroyed = 0;
    c->data = pk;
    c->log->action = "waiting for a project's change";

    /* the header buffers: nothing points into them now */
    b = c->buffer;

    if (b && b->start && ngx_pfree(c->pool, b->start) == NGX_OK) {
        b->start = NULL;
        b->pos = NULL;
        b->last = NULL;
        b->end = NULL;
    }

    ngx_http_djass_park_free_buffers(c, hc->free);
    ngx_http_djass_park_free_buffers(c, hc->busy);
    hc->free = NULL;
    hc->busy = NULL;
    hc->nbusy = 0;

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        ngx_ssl_free_buffer(c);
    }
#endif

    if (c->tcp_nopush == NGX_TCP_NOPUSH_SET) {
        if (ngx_tcp_push(c->fd) == -1) {
            ngx_connection_error(c, ngx_socket_errno,
                                 ngx_tcp_push_n " failed");
            ngx_http_close_connection(c);
            ngx_free(pk);
            return;
        }

        c->tcp_nopush = NGX_TCP_NOPUSH_UNSET;
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    c->read->handler = ngx_http_djass_park_reader;
    c->write->handler = ngx_http_djass_park_writer;

    ngx_http_djass_metrics_parked(++ngx_http_djass_parked);

    ngx_http_djass_park_trim_later();

    /* the client may have left already */
    if (c->read->ready && ngx_http_djass_park_read_client(pk) != NGX_OK) {
        return;
    }

    ngx_http_djass_park_wait(pk);
}


#ifdef NGX_HTTP_DJASS_PARK_TRIM

/*
 * A burst of streams held whole requests (about 10 KiB each, most of them
 * at once while their first reads were with Redis) and freed them as they
 * parked: the heap's free pages go back to the system once the burst is
 * over (no park for a quarter of a second, or after a second of them),
 * not to stay as the worker's resident memory.
 */

static void
ngx_http_djass_park_trim_later(void)
{
    ngx_event_t  *ev;

    ev = &ngx_http_djass_park_trim_ev;

    if (!ev->timer_set) {
        ev->handler = ngx_http_djass_park_trim;
        ev->log = ngx_cycle->log;
        ev->cancelable = 1;
        ngx_http_djass_park_trim_since = ngx_current_msec;

    } else if (ngx_current_msec - ngx_http_djass_park_trim_since
               >= NGX_HTTP_DJASS_PARK_TRIM_MAX)
    {
        return;
    }

    ngx_add_timer(ev, NGX_HTTP_DJASS_PARK_TRIM_AFTER);
}


static void
ngx_http_djass_park_trim(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "djass events: the heap's free pages released");

    (void) malloc_trim(0);
}

#else

static void
ngx_http_djass_park_trim_later(void)
{
}

#endif


/* the large header buffers of cl (nginx's keepalive frees them alike) */

static void
ngx_http_djass_park_free_buffers(ngx_connection_t *c, ngx_chain_t *cl)
{
    ngx_chain_t  *ln;

    while (cl) {
        ln = cl;
        cl = cl->next;
        ngx_pfree(c->pool, ln->buf->start);
        ngx_free_chain(c->pool, ln);
    }
}


static void
ngx_http_djass_park_wait(ngx_http_djass_park_t *pk)
{
    if (ngx_http_djass_wait_park(&pk->waiter, &pk->id, pk->keepalive,
                                 pk->seen, ngx_http_djass_park_wake, pk,
                                 pk->connection->log)
        != NGX_OK)
    {
        ngx_http_djass_park_close(pk);
    }
}


/* a change (or a re-check), the keepalive's time, or the process exits */

static void
ngx_http_djass_park_wake(void *data, ngx_uint_t timed_out)
{
    ngx_http_djass_park_t  *pk = data;

    if (ngx_exiting || ngx_terminate) {
        /* nginx -s reload: the client reconnects with Last-Event-ID */
        ngx_http_djass_park_end(pk);
        return;
    }

    /* what the read finds is newer than every wake until now */
    pk->seen = ngx_http_djass_wait_mark();

    if (timed_out) {
        if (pk->out == NULL
            && ngx_http_djass_park_write(pk,
                                         &ngx_http_djass_event_keepalive, 1)
               != NGX_OK)
        {
            ngx_http_djass_park_close(pk);
            return;
        }

        ngx_http_djass_park_wait(pk);
        return;
    }

    if (ngx_http_djass_park_reread(pk) != NGX_OK) {
        ngx_http_djass_park_end(pk);
    }
}


/*
 * The status, read for the parked stream as for a request: a request of
 * its own, on no connection, that only ever calls the script (or reads
 * the cache) and is freed once its reply is taken.
 */

static ngx_int_t
ngx_http_djass_park_reread(ngx_http_djass_park_t *pk)
{
    ngx_int_t                    rc;
    ngx_http_request_t          *r;
    ngx_http_djass_redis_t      *rd;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = pk->main_conf[ngx_http_djass_module.ctx_index];
    rd = dmcf->redis_conn;

    if (rd == NULL || rd->link.ac == NULL) {
        /* Redis is lost: the stream ends, the client reconnects */
        return NGX_ERROR;
    }

    r = ngx_http_djass_park_request(pk);
    if (r == NULL) {
        return NGX_ERROR;
    }

    pk->read = r;
    pk->end = 0;

    rc = ngx_http_djass_call_project(r, ngx_http_djass_get_ctx(r), "status",
                                     ngx_http_djass_park_read_done);

    if (rc == NGX_DONE) {
        /* sent, or answered from the cache: the reply's event is posted */
        return NGX_OK;
    }

    if (pk->ev.posted) {
        ngx_delete_posted_event(&pk->ev);
    }

    ngx_http_djass_park_request_free(pk);

    return NGX_ERROR;
}


/* the reply, in the re-read's request: the event is formatted here */

static ngx_int_t
ngx_http_djass_park_read_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n)
{
    uint64_t                id;
    ngx_str_t               event;
    ngx_uint_t              final;
    ngx_http_djass_ctx_t   *ctx;
    ngx_http_djass_park_t  *pk;

    ctx = ngx_http_djass_get_ctx(r);
    pk = ctx->events;

    ngx_post_event(&pk->ev, &ngx_posted_events);

    if (rc != NGX_OK || n == 0 || v[0].len != 2
        || ngx_strncmp(v[0].data, "ok", 2) != 0
        || ngx_http_djass_event_status(v, n, &id, &final) != NGX_OK)
    {
        /* gone (DELETE), Redis lost: the client reconnects */
        pk->end = 1;
        return NGX_DONE;
    }

    if (id != pk->sent) {
        event.data = ngx_pnalloc(r->pool, ngx_http_djass_event_len(v));
        if (event.data == NULL) {
            pk->end = 1;
            return NGX_DONE;
        }

        event.len = ngx_http_djass_event(event.data, id, v) - event.data;

        pk->sent = id;

        if (ngx_http_djass_park_write(pk, &event, 1) != NGX_OK) {
            pk->end = 1;
            return NGX_DONE;
        }
    }

    pk->end = final;

    return NGX_DONE;
}


/* from the posted events, after the read: its request goes */

static void
ngx_http_djass_park_after_read(ngx_event_t *ev)
{
    ngx_http_djass_park_t  *pk = ev->data;

    ngx_http_djass_park_request_free(pk);

    if (pk->end || pk->connection->error) {
        ngx_http_djass_park_end(pk);
        return;
    }

    ngx_http_djass_park_wait(pk);
}


static ngx_http_request_t *
ngx_http_djass_park_request(ngx_http_djass_park_t *pk)
{
    ngx_pool_t                 *pool;
    ngx_time_t                 *tp;
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_djass_ctx_t       *ctx;
    ngx_http_core_main_conf_t  *cmcf;

    pool = ngx_create_pool(NGX_HTTP_DJASS_PARK_POOL, pk->connection->log);
    if (pool == NULL) {
        return NULL;
    }

    c = ngx_pcalloc(pool, sizeof(ngx_connection_t));
    r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));
    ctx = ngx_pcalloc(pool, sizeof(ngx_http_djass_ctx_t));

    if (c == NULL || r == NULL || ctx == NULL) {
        goto failed;
    }

    c->read = ngx_pcalloc(pool, sizeof(ngx_event_t));
    c->write = ngx_pcalloc(pool, sizeof(ngx_event_t));
    if (c->read == NULL || c->write == NULL) {
        goto failed;
    }

    /* no socket: whatever would be written fails */
    c->fd = (ngx_socket_t) -1;
    c->pool = pool;
    c->log = pk->connection->log;
    c->send = ngx_http_djass_park_no_send;
    c->send_chain = ngx_http_djass_park_no_send_chain;
    c->read->data = c;
    c->read->log = c->log;
    c->write->data = c;
    c->write->log = c->log;
    c->write->write = 1;
    c->data = r;

    r->pool = pool;
    r->connection = c;
    r->main = r;
    r->count = 1;
    r->main_conf = pk->main_conf;
    r->srv_conf = pk->srv_conf;
    r->loc_conf = pk->loc_conf;
    r->method = NGX_HTTP_GET;
    r->http_version = NGX_HTTP_VERSION_9;    /* no header, ever */
    tp = ngx_timeofday();
    r->start_sec = tp->sec;
    r->start_msec = tp->msec;
    r->headers_in.content_length_n = -1;
    r->headers_in.keep_alive_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;

    r->ctx = ngx_pcalloc(pool, sizeof(void *) * ngx_http_max_module);
    if (r->ctx == NULL) {
        goto failed;
    }

    /* no body to read: not r->discard_body, which would set a timer */
    r->request_body = ngx_pcalloc(pool, sizeof(ngx_http_request_body_t));
    if (r->request_body == NULL) {
        goto failed;
    }

    cmcf = r->main_conf[ngx_http_core_module.ctx_index];

    r->variables = ngx_pcalloc(pool, cmcf->variables.nelts
                                     * sizeof(ngx_http_variable_value_t));
    if (r->variables == NULL) {
        goto failed;
    }

    if (ngx_list_init(&r->headers_in.headers, pool, 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK
        || ngx_list_init(&r->headers_out.headers, pool, 2,
                         sizeof(ngx_table_elt_t))
           != NGX_OK)
    {
        goto failed;
    }

    ctx->project_id = pk->project_id;
    ctx->digest.data = pk->digest;
    ctx->digest.len = NGX_HTTP_DJASS_DIGEST_LEN;
    ctx->events = pk;
    ctx->scrape = 1;                        /* never counted, no envelope */

    if (ngx_http_djass_set_ctx(r, ctx) != NGX_OK) {
        goto failed;
    }

    pk->ev.handler = ngx_http_djass_park_after_read;

    return r;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


/* the re-read's request goes: a call still on its way forgets it */

static void
ngx_http_djass_park_request_free(ngx_http_djass_park_t *pk)
{
    ngx_uint_t           i;
    ngx_event_t         *evs[2];
    ngx_connection_t    *c;
    ngx_http_request_t  *r;
    ngx_http_cleanup_t  *cln;

    r = pk->read;

    if (r == NULL) {
        return;
    }

    pk->read = NULL;

    cln = r->cleanup;
    r->cleanup = NULL;

    while (cln) {
        if (cln->handler) {
            cln->handler(cln->data);
        }

        cln = cln->next;
    }

    /* its events live in its pool: none may stay in a timer or queue */
    c = r->connection;
    evs[0] = c->read;
    evs[1] = c->write;

    for (i = 0; i < 2; i++) {
        if (evs[i]->timer_set) {
            ngx_del_timer(evs[i]);
        }

        if (evs[i]->posted) {
            ngx_delete_posted_event(evs[i]);
        }
    }

    ngx_destroy_pool(r->pool);
}


static ssize_t
ngx_http_djass_park_no_send(ngx_connection_t *c, u_char *buf, size_t size)
{
    return NGX_ERROR;
}


static ngx_chain_t *
ngx_http_djass_park_no_send_chain(ngx_connection_t *c, ngx_chain_t *in,
    off_t limit)
{
    return NGX_CHAIN_ERROR;
}


/*
 * data out to the client, framed as a chunk when chunk is set and the
 * answer is chunked; what the client does not take now is kept
 */

static ngx_int_t
ngx_http_djass_park_write(ngx_http_djass_park_t *pk, ngx_str_t *data,
    ngx_uint_t chunk)
{
    u_char  *out, *p;
    size_t   size, left;

    chunk = chunk && pk->chunked && data->len;
    left = pk->last - pk->pos;
    size = left + data->len + (chunk ? NGX_OFF_T_LEN + 4 : 0);

    if (size > NGX_HTTP_DJASS_PARK_OUT_MAX) {
        ngx_log_error(NGX_LOG_INFO, pk->connection->log, 0,
                      "djass events: the client reads too slowly");
        return NGX_ERROR;
    }

    out = ngx_alloc(size, pk->connection->log);
    if (out == NULL) {
        return NGX_ERROR;
    }

    p = out;

    if (left) {
        p = ngx_cpymem(p, pk->out + pk->pos, left);
    }

    if (chunk) {
        p = ngx_sprintf(p, "%xz" CRLF, data->len);
    }

    p = ngx_cpymem(p, data->data, data->len);

    if (chunk) {
        *p++ = CR;
        *p++ = LF;
    }

    if (pk->out) {
        ngx_free(pk->out);
    }

    pk->out = out;
    pk->pos = 0;
    pk->last = p - out;

    return ngx_http_djass_park_flush(pk);
}


/* NGX_OK: all sent, or the rest waits for the client; NGX_ERROR: gone */

static ngx_int_t
ngx_http_djass_park_flush(ngx_http_djass_park_t *pk)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = pk->connection;

    while (pk->pos < pk->last) {
        n = c->send(c, pk->out + pk->pos, pk->last - pk->pos);

        if (n == NGX_AGAIN) {
            if (!c->write->timer_set) {
                ngx_add_timer(c->write, pk->send_timeout);
            }

            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                return NGX_ERROR;
            }

            return NGX_OK;
        }

        if (n <= 0) {
            c->error = 1;
            return NGX_ERROR;
        }

        pk->pos += n;
    }

    ngx_free(pk->out);
    pk->out = NULL;
    pk->pos = 0;
    pk->last = 0;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    return NGX_OK;
}


/* the stream's end: the last chunk, then the connection closes */

static void
ngx_http_djass_park_end(ngx_http_djass_park_t *pk)
{
    static ngx_str_t  last_chunk = ngx_string("0" CRLF CRLF);

    ngx_http_djass_park_request_free(pk);

    if (pk->connection->error) {
        ngx_http_djass_park_close(pk);
        return;
    }

    if (!pk->ending) {
        pk->ending = 1;

        if (pk->chunked
            && ngx_http_djass_park_write(pk, &last_chunk, 0) != NGX_OK)
        {
            ngx_http_djass_park_close(pk);
            return;
        }
    }

    if (pk->out == NULL) {
        ngx_http_djass_park_close(pk);
    }

    /* else closed once the client has read the rest */
}


static void
ngx_http_djass_park_close(ngx_http_djass_park_t *pk)
{
    ngx_connection_t  *c;

    c = pk->connection;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "djass events: parked stream of \"%V\" ends", &pk->id);

    ngx_http_djass_park_request_free(pk);
    ngx_http_djass_wait_unpark(pk->waiter);

    if (pk->ev.posted) {
        ngx_delete_posted_event(&pk->ev);
    }

    if (pk->out) {
        ngx_free(pk->out);
    }

    ngx_http_djass_metrics_parked(--ngx_http_djass_parked);

    ngx_free(pk);

    ngx_http_close_connection(c);
}


/* the client's side: its close ends the stream; anything it sends is
 * dropped (the stream ends by closing, as its answer said) */

static void
ngx_http_djass_park_reader(ngx_event_t *rev)
{
    ngx_connection_t  *c;

    c = rev->data;

    (void) ngx_http_djass_park_read_client(c->data);
}


/* NGX_ERROR: the client left, the stream is closed (pk is freed) */

static ngx_int_t
ngx_http_djass_park_read_client(ngx_http_djass_park_t *pk)
{
    u_char             buf[256];
    ssize_t            n;
    ngx_connection_t  *c;

    c = pk->connection;

    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "djass events: the client left");
            c->error = 1;
            ngx_http_djass_park_close(pk);
            return NGX_ERROR;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        c->error = 1;
        ngx_http_djass_park_close(pk);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the client reads what was left: send on, end when all is out */

static void
ngx_http_djass_park_writer(ngx_event_t *wev)
{
    ngx_connection_t       *c;
    ngx_http_djass_park_t  *pk;

    c = wev->data;
    pk = c->data;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "client timed out");
        c->timedout = 1;
        c->error = 1;
        ngx_http_djass_park_close(pk);
        return;
    }

    if (pk->out == NULL) {
        return;
    }

    if (ngx_http_djass_park_flush(pk) != NGX_OK) {
        ngx_http_djass_park_close(pk);
        return;
    }

    if (pk->out == NULL && pk->ending && pk->read == NULL) {
        ngx_http_djass_park_close(pk);
    }
}
