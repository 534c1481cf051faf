/*
 * Requests that wait for a project's next status change: the events
 * stream, Prefer: wait, the one-shot ZIP and MCP's wait_seconds.
 *
 * The change reaches this worker process through the read cache's
 * invalidation connection (ngx_http_djass_cache_track.c): Redis broadcasts
 * the name of every key written under djass:project:, whoever wrote it
 * (the worker's record_start / record_finish, DELETE, retention,
 * djassctl), once to each worker process.  ngx_http_djass_cache_invalidate()
 * drops the cache's entry first and then calls ngx_http_djass_wait_wake():
 * a woken request that re-reads the status cannot find the old one in the
 * cache.  No channel, no PUBLISH of our own: the same message, on the same
 * connection, in the same order as the cache's.
 *
 * Here: a table of waiters by hash of the project id (a queue per bucket),
 * in this process's memory.  A wake walks one bucket: the first waiter of
 * that id is posted at once (its event then calls its handler), the others
 * follow one by one, each when the one before waits again or ends -- its
 * re-read has filled the cache by then, so they read it there -- and all
 * after NGX_HTTP_DJASS_WAIT_FOLLOW ms at most.  No Redis command is sent
 * for a waiting request until it is woken, and a change costs about one
 * read per worker process, however many wait for it.
 *
 * A change that comes while a request is not waiting -- between its read
 * and its wait, or while it re-reads -- is not lost: each bucket keeps the
 * tick and the time of its last wake, and a wait finds it: a request that
 * waits again after a wake of its bucket since its handler ran, or waits
 * the first time after one since it started, is woken at once.
 *
 * While the tracking is not proven (djass_cache off, the invalidation
 * connection lost or late, a failover) a message may be missed: a sweep
 * once a second wakes every waiter to re-check, and when the tracking is
 * live again every waiter is woken at once.  While the process exits
 * (nginx -s reload) the sweep wakes every waiter with timed_out 1: held
 * requests answer, streams end.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_cache.h"
#include "ngx_http_djass_wait.h"


#define NGX_HTTP_DJASS_WAIT_BUCKETS  4096
#define NGX_HTTP_DJASS_WAIT_ID_LEN   32
#define NGX_HTTP_DJASS_WAIT_SWEEP    1000
#define NGX_HTTP_DJASS_WAIT_FOLLOW   20


typedef struct {
    ngx_queue_t                  queue;     /* in its bucket, or following */
    ngx_event_t                  ev;        /* the timeout, then posted */
    ngx_http_request_t          *r;         /* NULL: a parked stream's */
    ngx_http_djass_wait_pt       handler;
    ngx_http_djass_park_wait_pt  park;      /* ... its handler, its data */
    void                        *data;
    uint32_t                     hash;
    ngx_uint_t                   seen;      /* the wake tick when it ran */
    size_t                       len;
    u_char                       id[NGX_HTTP_DJASS_WAIT_ID_LEN];

    unsigned                     queued:1;  /* in a bucket */
    unsigned                     timed_out:1;
    unsigned                     active:1;  /* until its handler runs */
    unsigned                     leading:1; /* woken first: re-reads */
    unsigned                     following:1; /* woken after the leader */
} ngx_http_djass_waiter_t;


static void ngx_http_djass_wait_post(ngx_http_djass_waiter_t *w,
    ngx_uint_t timed_out);
static void ngx_http_djass_wait_fire(ngx_event_t *ev);
static void ngx_http_djass_wait_cleanup(void *data);
static void ngx_http_djass_wait_sweep(ngx_event_t *ev);
static void ngx_http_djass_wait_all(ngx_uint_t timed_out);
static void ngx_http_djass_wait_release(ngx_http_djass_waiter_t *leader);
static void ngx_http_djass_wait_release_all(ngx_event_t *ev);
static uint64_t ngx_http_djass_wait_now(void);
static void ngx_http_djass_wait_init(void);
static void ngx_http_djass_wait_queue(ngx_http_djass_waiter_t *w,
    ngx_str_t *id, uint32_t hash, ngx_msec_t timeout, ngx_uint_t missed);


static ngx_queue_t   ngx_http_djass_wait_buckets[NGX_HTTP_DJASS_WAIT_BUCKETS];
static ngx_uint_t    ngx_http_djass_wait_ready;
static ngx_uint_t    ngx_http_djass_waiting;
static ngx_uint_t    ngx_http_djass_wait_held;   /* requests with a waiter */
static ngx_event_t   ngx_http_djass_wait_sweep_ev;
static ngx_queue_t   ngx_http_djass_wait_following;

/*
 * What a request did not wait for while it re-read: the last wake of each
 * bucket, by a tick counted here and by wall clock (for a first wait,
 * against the request's start), and the last wake of everyone.
 */
static ngx_uint_t    ngx_http_djass_wait_tick;
static ngx_uint_t    ngx_http_djass_wait_woke[NGX_HTTP_DJASS_WAIT_BUCKETS];
static uint64_t      ngx_http_djass_wait_woke_at[NGX_HTTP_DJASS_WAIT_BUCKETS];
static ngx_uint_t    ngx_http_djass_wait_all_tick;
static uint64_t      ngx_http_djass_wait_all_at;
static ngx_event_t   ngx_http_djass_wait_follow_ev;


ngx_int_t
ngx_http_djass_wait_project(ngx_http_request_t *r, ngx_str_t *id,
    ngx_msec_t timeout, ngx_http_djass_wait_pt handler)
{
    uint32_t                  hash;
    uint64_t                  start;
    ngx_uint_t                b, missed;
    ngx_pool_cleanup_t       *cln;
    ngx_http_djass_waiter_t  *w;

    if (id->len == 0 || id->len > NGX_HTTP_DJASS_WAIT_ID_LEN) {
        return NGX_ERROR;
    }

    ngx_http_djass_wait_init();

    /* a request that waits again reuses its waiter */

    w = NULL;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_djass_wait_cleanup) {
            w = cln->data;
            break;
        }
    }

    hash = ngx_crc32_short(id->data, id->len);
    b = hash % NGX_HTTP_DJASS_WAIT_BUCKETS;

    if (w == NULL) {
        /* a change since the request started may have gone unseen */
        start = (uint64_t) r->start_sec * 1000 + r->start_msec;
        missed = ngx_http_djass_wait_woke_at[b] >= start
                 || ngx_http_djass_wait_all_at >= start;

        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_djass_waiter_t));
        if (cln == NULL) {
            return NGX_ERROR;
        }

        w = cln->data;
        ngx_memzero(w, sizeof(ngx_http_djass_waiter_t));

        w->r = r;
        w->ev.data = w;
        w->ev.handler = ngx_http_djass_wait_fire;

        cln->handler = ngx_http_djass_wait_cleanup;

        ngx_http_djass_metrics_waiting(++ngx_http_djass_wait_held);

    } else if (w->active) {
        /* one wait at a time */
        return NGX_ERROR;

    } else {
        if (w->leading) {
            /* its re-read is done: the others of its wake read the cache */
            ngx_http_djass_wait_release(w);
        }

        /* a change came while it re-read */
        missed = ngx_http_djass_wait_woke[b] > w->seen
                 || ngx_http_djass_wait_all_tick > w->seen;
    }

    w->ev.log = r->connection->log;
    w->handler = handler;

    r->main->count++;

    if (!r->discard_body && !r->reading_body) {
        /* notice a client that leaves while it waits */
        r->read_event_handler = ngx_http_test_reading;
    }

    ngx_http_djass_wait_queue(w, id, hash, timeout, missed);

    return NGX_OK;
}


/*
 * A parked events stream (ngx_http_djass_events_park.c) waits without a
 * request: *waiter, NULL the first time, is its waiter, freed by
 * ngx_http_djass_wait_unpark().  seen: ngx_http_djass_wait_mark() when
 * its status was read; a change after that is not missed.  The handler
 * runs from the posted events, as a request's does.
 */

ngx_int_t
ngx_http_djass_wait_park(void **waiter, ngx_str_t *id, ngx_msec_t timeout,
    ngx_uint_t seen, ngx_http_djass_park_wait_pt handler, void *data,
    ngx_log_t *log)
{
    uint32_t                  hash;
    ngx_uint_t                b, missed;
    ngx_http_djass_waiter_t  *w;

    if (id->len == 0 || id->len > NGX_HTTP_DJASS_WAIT_ID_LEN) {
        return NGX_ERROR;
    }

    ngx_http_djass_wait_init();

    w = *waiter;

    if (w == NULL) {
        w = ngx_calloc(sizeof(ngx_http_djass_waiter_t), log);
        if (w == NULL) {
            return NGX_ERROR;
        }

        w->ev.data = w;
        w->ev.handler = ngx_http_djass_wait_fire;

        ngx_http_djass_metrics_waiting(++ngx_http_djass_wait_held);

        *waiter = w;

    } else if (w->active) {
        return NGX_ERROR;

    } else if (w->leading) {
        ngx_http_djass_wait_release(w);
    }

    hash = ngx_crc32_short(id->data, id->len);
    b = hash % NGX_HTTP_DJASS_WAIT_BUCKETS;

    missed = ngx_http_djass_wait_woke[b] > seen
             || ngx_http_djass_wait_all_tick > seen;

    w->ev.log = log;
    w->park = handler;
    w->data = data;

    ngx_http_djass_wait_queue(w, id, hash, timeout, missed);

    return NGX_OK;
}


/* the parked stream ends: its waiter goes */

void
ngx_http_djass_wait_unpark(void *waiter)
{
    ngx_http_djass_waiter_t  *w = waiter;

    if (w) {
        ngx_http_djass_wait_cleanup(w);
        ngx_free(w);
    }
}


/* h is a request's waiter's cleanup (a stream that parks drops it) */

ngx_uint_t
ngx_http_djass_wait_cleanup_is(ngx_pool_cleanup_pt h)
{
    return h == ngx_http_djass_wait_cleanup;
}


/* the wake tick now: a waiter that read its status now has seen it */

ngx_uint_t
ngx_http_djass_wait_mark(void)
{
    return ngx_http_djass_wait_tick;
}


static void
ngx_http_djass_wait_init(void)
{
    ngx_uint_t  i;

    if (ngx_http_djass_wait_ready) {
        return;
    }

    for (i = 0; i < NGX_HTTP_DJASS_WAIT_BUCKETS; i++) {
        ngx_queue_init(&ngx_http_djass_wait_buckets[i]);
    }

    ngx_http_djass_wait_sweep_ev.handler = ngx_http_djass_wait_sweep;
    ngx_http_djass_wait_sweep_ev.log = ngx_cycle->log;
    ngx_http_djass_wait_sweep_ev.cancelable = 1;

    ngx_queue_init(&ngx_http_djass_wait_following);
    ngx_http_djass_wait_follow_ev.handler = ngx_http_djass_wait_release_all;
    ngx_http_djass_wait_follow_ev.log = ngx_cycle->log;
    ngx_http_djass_wait_follow_ev.cancelable = 1;

    ngx_http_djass_wait_ready = 1;
}


/* w waits: in its bucket, or posted at once (a missed change, an exit) */

static void
ngx_http_djass_wait_queue(ngx_http_djass_waiter_t *w, ngx_str_t *id,
    uint32_t hash, ngx_msec_t timeout, ngx_uint_t missed)
{
    w->len = id->len;
    ngx_memcpy(w->id, id->data, id->len);
    w->hash = hash;
    w->active = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, w->ev.log, 0,
                   "djass wait: project \"%V\", %M ms, %ui waiting",
                   id, timeout, ngx_http_djass_waiting + 1);

    if (ngx_exiting || ngx_terminate) {
        ngx_http_djass_wait_post(w, 1);
        return;
    }

    if (missed) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, w->ev.log, 0,
                       "djass wait: a change may have come meanwhile");

        ngx_http_djass_wait_post(w, 0);
        return;
    }

    ngx_queue_insert_tail(
        &ngx_http_djass_wait_buckets[hash % NGX_HTTP_DJASS_WAIT_BUCKETS],
        &w->queue);
    w->queued = 1;
    ngx_http_djass_waiting++;

    ngx_add_timer(&w->ev, timeout);

    if (!ngx_http_djass_wait_sweep_ev.timer_set) {
        ngx_add_timer(&ngx_http_djass_wait_sweep_ev,
                      NGX_HTTP_DJASS_WAIT_SWEEP);
    }
}


void
ngx_http_djass_wait_wake(u_char *id, size_t len)
{
    uint32_t                  hash;
    ngx_queue_t              *bucket, *q, *next;
    ngx_http_djass_waiter_t  *w, *leader;

    hash = ngx_crc32_short(id, len);

    ngx_http_djass_wait_woke[hash % NGX_HTTP_DJASS_WAIT_BUCKETS] =
                                                 ++ngx_http_djass_wait_tick;
    ngx_http_djass_wait_woke_at[hash % NGX_HTTP_DJASS_WAIT_BUCKETS] =
                                                 ngx_http_djass_wait_now();

    if (ngx_http_djass_waiting == 0) {
        return;
    }

    leader = NULL;
    bucket = &ngx_http_djass_wait_buckets[hash % NGX_HTTP_DJASS_WAIT_BUCKETS];

    for (q = ngx_queue_head(bucket);
         q != ngx_queue_sentinel(bucket);
         q = next)
    {
        next = ngx_queue_next(q);
        w = ngx_queue_data(q, ngx_http_djass_waiter_t, queue);

        if (w->hash != hash || w->len != len
            || ngx_memcmp(w->id, id, len) != 0)
        {
            continue;
        }

        if (leader == NULL) {
            leader = w;
            w->leading = 1;
            ngx_http_djass_wait_post(w, 0);
            continue;
        }

        ngx_queue_remove(&w->queue);
        w->queued = 0;
        ngx_http_djass_waiting--;

        if (w->ev.timer_set) {
            ngx_del_timer(&w->ev);
        }

        w->following = 1;
        ngx_queue_insert_tail(&ngx_http_djass_wait_following, &w->queue);

        if (!ngx_http_djass_wait_follow_ev.timer_set) {
            ngx_add_timer(&ngx_http_djass_wait_follow_ev,
                          NGX_HTTP_DJASS_WAIT_FOLLOW);
        }
    }
}


/*
 * The leader of a wake has re-read: the next of its id leads now.  Its
 * read is a hit when the leader's filled the cache, and it then waits
 * again at once and hands on; when the leader's fill was not kept (the
 * other worker process's invalidation of the same write came after it
 * was sent) the next one fills it.
 */

static void
ngx_http_djass_wait_release(ngx_http_djass_waiter_t *leader)
{
    ngx_queue_t              *q;
    ngx_http_djass_waiter_t  *w;

    leader->leading = 0;

    for (q = ngx_queue_head(&ngx_http_djass_wait_following);
         q != ngx_queue_sentinel(&ngx_http_djass_wait_following);
         q = ngx_queue_next(q))
    {
        w = ngx_queue_data(q, ngx_http_djass_waiter_t, queue);

        if (w->len == leader->len
            && ngx_memcmp(w->id, leader->id, w->len) == 0)
        {
            ngx_queue_remove(&w->queue);
            w->following = 0;
            w->leading = 1;
            ngx_http_djass_wait_post(w, 0);
            return;
        }
    }
}


/* the leaders took too long: everyone still following goes */

static void
ngx_http_djass_wait_release_all(ngx_event_t *ev)
{
    ngx_queue_t              *q;
    ngx_http_djass_waiter_t  *w;

    while (!ngx_queue_empty(&ngx_http_djass_wait_following)) {
        q = ngx_queue_head(&ngx_http_djass_wait_following);
        w = ngx_queue_data(q, ngx_http_djass_waiter_t, queue);

        ngx_queue_remove(&w->queue);
        w->following = 0;
        ngx_http_djass_wait_post(w, 0);
    }
}


void
ngx_http_djass_wait_wake_all(void)
{
    ngx_http_djass_wait_all_tick = ++ngx_http_djass_wait_tick;
    ngx_http_djass_wait_all_at = ngx_http_djass_wait_now();

    ngx_http_djass_wait_all(0);
}


static uint64_t
ngx_http_djass_wait_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/* out of its bucket, its handler to run from the posted events */

static void
ngx_http_djass_wait_post(ngx_http_djass_waiter_t *w, ngx_uint_t timed_out)
{
    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
        ngx_http_djass_waiting--;
    }

    if (w->ev.timer_set) {
        ngx_del_timer(&w->ev);
    }

    w->timed_out = timed_out;

    if (!w->ev.posted) {
        ngx_post_event(&w->ev, &ngx_posted_events);
    }
}


static void
ngx_http_djass_wait_fire(ngx_event_t *ev)
{
    ngx_uint_t                 timed_out;
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_djass_waiter_t   *w;

    w = ev->data;
    r = w->r;

    timed_out = ev->timedout || w->timed_out;
    ev->timedout = 0;

    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
        ngx_http_djass_waiting--;
    }

    w->active = 0;
    w->seen = ngx_http_djass_wait_tick;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "djass wait: project \"%*s\" %s", w->len, w->id,
                   timed_out ? "timed out" : "woken");

    if (r == NULL) {
        w->park(w->data, timed_out);
        return;
    }

    c = r->connection;

    w->handler(r, timed_out);

    ngx_http_run_posted_requests(c);
}


/* the request is freed (an abort, or its end): the waiter goes with it */

static void
ngx_http_djass_wait_cleanup(void *data)
{
    ngx_http_djass_waiter_t  *w = data;

    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
        ngx_http_djass_waiting--;
    }

    if (w->following) {
        ngx_queue_remove(&w->queue);
        w->following = 0;
    }

    if (w->leading) {
        ngx_http_djass_wait_release(w);
    }

    ngx_http_djass_metrics_waiting(--ngx_http_djass_wait_held);

    if (w->ev.timer_set) {
        ngx_del_timer(&w->ev);
    }

    if (w->ev.posted) {
        ngx_delete_posted_event(&w->ev);
    }

    w->active = 0;
}


/*
 * Once a second while anyone waits: an exiting process ends its waits;
 * without proven tracking a change may go unseen, so everyone re-checks.
 */

static void
ngx_http_djass_wait_sweep(ngx_event_t *ev)
{
    if (ngx_exiting || ngx_terminate) {
        ngx_http_djass_wait_all(1);

    } else if (!ngx_http_djass_cache_tracked()) {
        ngx_http_djass_wait_all(0);
    }

    if (ngx_http_djass_waiting) {
        ngx_add_timer(ev, NGX_HTTP_DJASS_WAIT_SWEEP);
    }
}


static void
ngx_http_djass_wait_all(ngx_uint_t timed_out)
{
    ngx_uint_t                i;
    ngx_queue_t              *bucket, *q;
    ngx_http_djass_waiter_t  *w;

    if (ngx_http_djass_waiting == 0) {
        return;
    }

    for (i = 0; i < NGX_HTTP_DJASS_WAIT_BUCKETS; i++) {
        bucket = &ngx_http_djass_wait_buckets[i];

        while (!ngx_queue_empty(bucket)) {
            q = ngx_queue_head(bucket);
            w = ngx_queue_data(q, ngx_http_djass_waiter_t, queue);
            ngx_http_djass_wait_post(w, timed_out);
        }
    }
}
