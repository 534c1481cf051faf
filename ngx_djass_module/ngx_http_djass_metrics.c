/*
 * Prometheus metrics: counters in a shared memory zone (djass_metrics_zone),
 * so that one scrape sees every nginx worker and the figures survive a
 * reload (nginx keeps a zone of the same name and size); the djass_metrics
 * location answers them in the text format 0.0.4.
 *
 * Labels are bounded: an endpoint is one of a fixed list, a status code one
 * of a fixed list or "other", a worker its process slot.
 *
 * Each scrape also makes one asynchronous Redis call for the fleet's
 * figures (ngx_http_djass_stats.c), and answers when it returns or
 * djass_redis_timeout passes: djass_redis_up says whether it returned.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_cache.h"


#define NGX_HTTP_DJASS_M_CODES    20
#define NGX_HTTP_DJASS_M_BUCKETS  12
#define NGX_HTTP_DJASS_M_UNSEEN   0
#define NGX_HTTP_DJASS_M_DOWN     1
#define NGX_HTTP_DJASS_M_UP       2

/*
 * The answers are counted in stripes by process slot (summed by a scrape):
 * with every worker process adding to the same counter, each answer passed
 * its cache line from core to core.
 */
#define NGX_HTTP_DJASS_M_STRIPES  8


typedef struct {
    ngx_atomic_t   requests[NGX_HTTP_DJASS_M_STRIPES][NGX_HTTP_DJASS_ENDPOINTS]
                           [NGX_HTTP_DJASS_M_CODES];
    ngx_atomic_t   unavailable;
    ngx_atomic_t   redis_bucket[NGX_HTTP_DJASS_M_BUCKETS + 1];
    ngx_atomic_t   redis_sum_us;
    ngx_atomic_t   redis_errors;
    ngx_atomic_t   redis_timeouts;
    ngx_atomic_t   redis_reconnects;
    ngx_atomic_t   connected[NGX_MAX_PROCESSES];
    ngx_atomic_t   waiting[NGX_MAX_PROCESSES];
    ngx_atomic_t   parked[NGX_MAX_PROCESSES];
} ngx_http_djass_metrics_t;


static ngx_int_t ngx_http_djass_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_djass_metrics_t *ngx_http_djass_metrics_get(
    ngx_http_djass_main_conf_t *dmcf);
static ngx_int_t ngx_http_djass_metrics_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static ngx_int_t ngx_http_djass_metrics_send(ngx_http_request_t *r,
    void *fleet);


static const char  *ngx_http_djass_endpoints[NGX_HTTP_DJASS_ENDPOINTS] = {
    "other", "project_options", "openapi", "projects_list",
    "projects_create", "project", "project_status", "project_download",
    "project_delete", "project_oneshot", "help", "project_events"
};

/* the codes counted as themselves; the last slot is "other" */
static ngx_uint_t  ngx_http_djass_codes[NGX_HTTP_DJASS_M_CODES - 1] = {
    200, 201, 202, 206, 304, 400, 401, 403, 404, 405, 409, 412, 413, 414, 416,
    422, 429, 500, 503
};

/* upper bounds of the Redis round-trip buckets, microseconds */
static ngx_uint_t  ngx_http_djass_bucket_us[NGX_HTTP_DJASS_M_BUCKETS] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
    500000, 1000000
};

static const char  *ngx_http_djass_bucket_le[NGX_HTTP_DJASS_M_BUCKETS] = {
    "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05", "0.1", "0.25", "0.5", "1"
};

char *
ngx_http_djass_metrics_init_conf(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf)
{
    ngx_str_t        name;
    ngx_shm_zone_t  *shm_zone;

    ngx_str_set(&name, "djass_metrics");

    shm_zone = ngx_shared_memory_add(cf, &name, dmcf->metrics_zone_size,
                                     &ngx_http_djass_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_djass_metrics_init_zone;
    shm_zone->data = dmcf;

    dmcf->metrics_zone = shm_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_djass_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t           *shpool;
    ngx_http_djass_metrics_t  *m;

    if (data) {
        /* a reload with the same zone: the counters go on */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_http_djass_metrics_t));
    if (m == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "djass_metrics_zone \"%V\" is too small: it needs "
                      "%uz bytes of counters", &shm_zone->shm.name,
                      sizeof(ngx_http_djass_metrics_t));
        return NGX_ERROR;
    }

    shpool->data = m;
    shm_zone->data = m;

    return NGX_OK;
}


static ngx_http_djass_metrics_t *
ngx_http_djass_metrics_get(ngx_http_djass_main_conf_t *dmcf)
{
    if (dmcf == NULL || dmcf->metrics_zone == NULL) {
        return NULL;
    }

    return dmcf->metrics_zone->data;
}


/* the log phase: one answer of the API counted */

ngx_int_t
ngx_http_djass_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                 i, status, endpoint;
    ngx_http_djass_ctx_t      *ctx;
    ngx_http_djass_metrics_t  *m;

    m = ngx_http_djass_metrics_get(ngx_http_get_module_main_conf(r,
                                       ngx_http_djass_module));
    if (m == NULL || r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_djass_get_ctx(r);
    if (ctx == NULL || ctx->scrape) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    for (i = 0; i < NGX_HTTP_DJASS_M_CODES - 1; i++) {
        if (ngx_http_djass_codes[i] == status) {
            break;
        }
    }

    endpoint = ctx->endpoint < NGX_HTTP_DJASS_ENDPOINTS ? ctx->endpoint : 0;

    (void) ngx_atomic_fetch_add(&m->requests[(ngx_uint_t) ngx_process_slot
                                             % NGX_HTTP_DJASS_M_STRIPES]
                                            [endpoint][i],
                                1);

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        (void) ngx_atomic_fetch_add(&m->unavailable, 1);
    }

    return NGX_OK;
}


/* the hooks of ngx_http_djass_redis.c */

void
ngx_http_djass_metrics_redis_time(ngx_http_djass_main_conf_t *dmcf,
    ngx_msec_int_t us)
{
    ngx_uint_t                 i;
    ngx_http_djass_metrics_t  *m;

    m = ngx_http_djass_metrics_get(dmcf);
    if (m == NULL) {
        return;
    }

    if (us < 0) {
        us = 0;
    }

    for (i = 0; i < NGX_HTTP_DJASS_M_BUCKETS; i++) {
        if ((ngx_uint_t) us <= ngx_http_djass_bucket_us[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->redis_bucket[i], 1);
    (void) ngx_atomic_fetch_add(&m->redis_sum_us, us);
}


void
ngx_http_djass_metrics_redis_event(ngx_http_djass_main_conf_t *dmcf,
    ngx_uint_t event)
{
    ngx_http_djass_metrics_t  *m;

    m = ngx_http_djass_metrics_get(dmcf);
    if (m == NULL) {
        return;
    }

    switch (event) {

    case NGX_HTTP_DJASS_M_ERROR:
        (void) ngx_atomic_fetch_add(&m->redis_errors, 1);
        break;

    case NGX_HTTP_DJASS_M_TIMEOUT:
        (void) ngx_atomic_fetch_add(&m->redis_timeouts, 1);
        break;

    case NGX_HTTP_DJASS_M_RECONNECT:
        (void) ngx_atomic_fetch_add(&m->redis_reconnects, 1);
        break;

    default:
        break;
    }
}


/* this worker's connection: 1 up, 0 down, -1 the worker is gone */

void
ngx_http_djass_metrics_connected(ngx_http_djass_main_conf_t *dmcf,
    ngx_int_t up)
{
    ngx_http_djass_metrics_t  *m;

    m = ngx_http_djass_metrics_get(dmcf);
    if (m == NULL || ngx_process_slot < 0
        || ngx_process_slot >= NGX_MAX_PROCESSES)
    {
        return;
    }

    m->connected[ngx_process_slot] = (up > 0) ? NGX_HTTP_DJASS_M_UP
                                   : (up == 0) ? NGX_HTTP_DJASS_M_DOWN
                                   : NGX_HTTP_DJASS_M_UNSEEN;
}


static void ngx_http_djass_metrics_slot_set(size_t offset, ngx_uint_t n);


/* the requests this worker holds in ngx_http_djass_wait.c now */

void
ngx_http_djass_metrics_waiting(ngx_uint_t n)
{
    ngx_http_djass_metrics_slot_set(offsetof(ngx_http_djass_metrics_t,
                                             waiting), n);
}


/* ... of them, the events streams parked without their request */

void
ngx_http_djass_metrics_parked(ngx_uint_t n)
{
    ngx_http_djass_metrics_slot_set(offsetof(ngx_http_djass_metrics_t,
                                             parked), n);
}


/* this worker process's entry of a per-slot array of the zone: n */

static void
ngx_http_djass_metrics_slot_set(size_t offset, ngx_uint_t n)
{
    ngx_http_djass_metrics_t    *m;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_djass_module);

    m = dmcf ? ngx_http_djass_metrics_get(dmcf) : NULL;
    if (m == NULL || ngx_process_slot < 0
        || ngx_process_slot >= NGX_MAX_PROCESSES)
    {
        return;
    }

    ((ngx_atomic_t *) ((u_char *) m + offset))[ngx_process_slot] = n;
}


/* microseconds of a monotonic clock, for round trips */

ngx_msec_int_t
ngx_http_djass_metrics_now_us(void)
{
    struct timespec  ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }

    return (ngx_msec_int_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


#define ngx_http_djass_metrics_line(p, last, ...)                            \
    p = ngx_slprintf(p, last, __VA_ARGS__)


ngx_int_t
ngx_http_djass_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_djass_metrics_get(ngx_http_get_module_main_conf(r,
                                       ngx_http_djass_module))
        == NULL)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_djass_stats_fetch(r, ngx_http_djass_metrics_done);

    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* no Redis connection now: the local figures alone */
    return ngx_http_djass_metrics_send(r, NULL);
}


/* the fleet's figures came, or Redis was late, gone or refused the call */

static ngx_int_t
ngx_http_djass_metrics_done(ngx_http_request_t *r, void *data, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    void  *fleet;

    fleet = (rc == NGX_OK) ? ngx_http_djass_stats_parse(r, v, n) : NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "djass scrape: stats call done: %s",
                   fleet ? "fleet figures" : "local figures only");

    return ngx_http_djass_metrics_send(r, fleet);
}


/* the answer: the local figures, then the fleet's when Redis gave them */

static ngx_int_t
ngx_http_djass_metrics_send(ngx_http_request_t *r, void *fleet)
{
    u_char                        *p, *last;
    size_t                         size;
    ngx_int_t                      rc;
    ngx_uint_t                     e, i, s, n, cum;
    ngx_buf_t                     *b;
    ngx_chain_t                    out;
    ngx_atomic_uint_t              v;
    ngx_http_djass_metrics_t      *m;
    ngx_http_djass_main_conf_t    *dmcf;
    ngx_http_djass_cache_stats_t  *cs;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);

    m = ngx_http_djass_metrics_get(dmcf);

    size = 4096 + 1024 + 512
           + NGX_HTTP_DJASS_ENDPOINTS * NGX_HTTP_DJASS_M_CODES * 96
           + (NGX_HTTP_DJASS_M_BUCKETS + 1) * 96
           + NGX_MAX_PROCESSES * 48
           + (fleet ? ngx_http_djass_stats_size(fleet) : 0);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->pos;
    last = b->end;

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_http_requests_total Answers of the API, by endpoint "
        "and status code.\n"
        "# TYPE djass_http_requests_total counter\n");

    for (e = 0; e < NGX_HTTP_DJASS_ENDPOINTS; e++) {
        for (i = 0; i < NGX_HTTP_DJASS_M_CODES; i++) {
            for (v = 0, s = 0; s < NGX_HTTP_DJASS_M_STRIPES; s++) {
                v += m->requests[s][e][i];
            }

            if (v == 0) {
                continue;
            }

            if (i < NGX_HTTP_DJASS_M_CODES - 1) {
                ngx_http_djass_metrics_line(p, last,
                    "djass_http_requests_total{endpoint=\"%s\","
                    "code=\"%ui\"} %uA\n",
                    ngx_http_djass_endpoints[e], ngx_http_djass_codes[i], v);

            } else {
                ngx_http_djass_metrics_line(p, last,
                    "djass_http_requests_total{endpoint=\"%s\","
                    "code=\"other\"} %uA\n",
                    ngx_http_djass_endpoints[e], v);
            }
        }
    }

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_http_unavailable_total Answers 503 (Redis "
        "unreachable, refusing or late).\n"
        "# TYPE djass_http_unavailable_total counter\n"
        "djass_http_unavailable_total %uA\n", (ngx_atomic_uint_t)
        m->unavailable);

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_redis_request_duration_seconds Round trips of the "
        "API's Redis calls.\n"
        "# TYPE djass_redis_request_duration_seconds histogram\n");

    cum = 0;

    for (i = 0; i <= NGX_HTTP_DJASS_M_BUCKETS; i++) {
        cum += m->redis_bucket[i];

        ngx_http_djass_metrics_line(p, last,
            "djass_redis_request_duration_seconds_bucket{le=\"%s\"} %ui\n",
            i < NGX_HTTP_DJASS_M_BUCKETS ? ngx_http_djass_bucket_le[i]
                                         : "+Inf",
            cum);
    }

    v = m->redis_sum_us;

    ngx_http_djass_metrics_line(p, last,
        "djass_redis_request_duration_seconds_sum %uA.%06uA\n"
        "djass_redis_request_duration_seconds_count %ui\n",
        v / 1000000, v % 1000000, cum);

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_redis_errors_total Error replies from Redis.\n"
        "# TYPE djass_redis_errors_total counter\n"
        "djass_redis_errors_total %uA\n"
        "# HELP djass_redis_timeouts_total Calls Redis did not answer "
        "within djass_redis_timeout.\n"
        "# TYPE djass_redis_timeouts_total counter\n"
        "djass_redis_timeouts_total %uA\n"
        "# HELP djass_redis_reconnects_total Connections to Redis opened "
        "again after one was lost or failed.\n"
        "# TYPE djass_redis_reconnects_total counter\n"
        "djass_redis_reconnects_total %uA\n",
        (ngx_atomic_uint_t) m->redis_errors,
        (ngx_atomic_uint_t) m->redis_timeouts,
        (ngx_atomic_uint_t) m->redis_reconnects);

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_redis_connected Whether the nginx worker in this "
        "process slot is connected to Redis.\n"
        "# TYPE djass_redis_connected gauge\n");

    for (i = 0; i < NGX_MAX_PROCESSES; i++) {
        if (m->connected[i] == NGX_HTTP_DJASS_M_UNSEEN) {
            continue;
        }

        ngx_http_djass_metrics_line(p, last,
            "djass_redis_connected{slot=\"%ui\"} %d\n", i,
            m->connected[i] == NGX_HTTP_DJASS_M_UP ? 1 : 0);
    }

    for (n = 0, i = 0; i < NGX_MAX_PROCESSES; i++) {
        n += m->waiting[i];
    }

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_waiting_requests Requests of this node that wait "
        "for a project's change: events streams, Prefer: wait, MCP's "
        "wait_seconds.\n"
        "# TYPE djass_waiting_requests gauge\n"
        "djass_waiting_requests %ui\n", n);

    for (n = 0, i = 0; i < NGX_MAX_PROCESSES; i++) {
        n += m->parked[i];
    }

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_events_parked Events streams of this node that wait "
        "parked, without their nginx request (counted in "
        "djass_waiting_requests too).\n"
        "# TYPE djass_events_parked gauge\n"
        "djass_events_parked %ui\n", n);

    ngx_http_djass_metrics_line(p, last,
        "# HELP djass_redis_up Whether this scrape reached Redis: 1 when "
        "its call for the fleet's figures answered within "
        "djass_redis_timeout (they follow), 0 when it did not.\n"
        "# TYPE djass_redis_up gauge\n"
        "djass_redis_up %d\n", fleet ? 1 : 0);

    if (fleet) {
        p = ngx_http_djass_stats_write(p, last, fleet);
    }

    /* the read cache of this node (djass_cache), when it is on */

    cs = ngx_http_djass_cache_stats(dmcf);
    if (cs) {
        ngx_http_djass_metrics_line(p, last,
            "# HELP djass_cache_hits_total Reads answered from the read "
            "cache.\n"
            "# TYPE djass_cache_hits_total counter\n"
            "djass_cache_hits_total %uA\n"
            "# HELP djass_cache_misses_total Reads the read cache sent to "
            "Redis.\n"
            "# TYPE djass_cache_misses_total counter\n"
            "djass_cache_misses_total %uA\n"
            "# HELP djass_cache_fills_total Entries the read cache kept "
            "from Redis's replies.\n"
            "# TYPE djass_cache_fills_total counter\n"
            "djass_cache_fills_total %uA\n"
            "# HELP djass_cache_invalidations_total Entries dropped because "
            "Redis said their key was written.\n"
            "# TYPE djass_cache_invalidations_total counter\n"
            "djass_cache_invalidations_total %uA\n"
            "# HELP djass_cache_flushes_total Times the whole read cache "
            "was dropped (tracking lost, FLUSHALL, a failover).\n"
            "# TYPE djass_cache_flushes_total counter\n"
            "djass_cache_flushes_total %uA\n"
            "# HELP djass_cache_evictions_total Entries dropped because the "
            "zone was full.\n"
            "# TYPE djass_cache_evictions_total counter\n"
            "djass_cache_evictions_total %uA\n"
            "# HELP djass_cache_bypasses_total Reads sent to Redis because "
            "the worker process's tracking was not proven.\n"
            "# TYPE djass_cache_bypasses_total counter\n"
            "djass_cache_bypasses_total %uA\n"
            "# HELP djass_cache_doubts_total Times a worker process stopped "
            "reading the cache: tracking in doubt.\n"
            "# TYPE djass_cache_doubts_total counter\n"
            "djass_cache_doubts_total %uA\n",
            ngx_http_djass_cache_hits(dmcf), cs->misses, cs->fills,
            cs->invalidations, cs->flushes,
            cs->evictions, cs->bypasses, cs->doubts);
    }

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (b->last == b->pos) {
        b->temporary = 0;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
