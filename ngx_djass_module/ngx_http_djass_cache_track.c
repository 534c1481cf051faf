/*
 * What keeps the read cache (ngx_http_djass_cache.c) exact: Redis's
 * server-assisted client-side caching, in its RESP2 form.  Each nginx
 * worker process opens a second connection to Redis (a link of its own on
 * the same adapter, ngx_http_djass_redis_adapter.c), to the address its
 * data connection (ngx_http_djass_redis.c) uses now, asks its CLIENT ID
 * and subscribes to __redis__:invalidate; then on the data connection,
 * after every (re)connect:
 *
 *   CLIENT TRACKING on REDIRECT <id> BCAST
 *       PREFIX djass:key: PREFIX djass:project:
 *
 * From then on Redis publishes the name of every key written under those
 * prefixes to this connection, whoever wrote it, and a null on FLUSHALL.
 * The process reads from the cache only while both connections are up,
 * at the same address, and tracking was confirmed; losing either, or a
 * flush, drops the whole cache.  With djass_redis sentinel://... the data
 * connection's address is the master the Sentinels named: when it moves
 * (a failover), the invalidation connection is closed and opened again at
 * the new master, and the cache stays dropped and bypassed until tracking
 * is confirmed there.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_redis.h"
#include "ngx_http_djass_cache.h"


#define NGX_HTTP_DJASS_TRACK_CHANNEL     "__redis__:invalidate"
#define NGX_HTTP_DJASS_TRACK_BACKOFF_MIN 100
#define NGX_HTTP_DJASS_TRACK_BACKOFF_MAX 1000


/* this process's invalidation connection, and where it stands */
typedef struct {
    ngx_http_djass_link_t        link;
    ngx_event_t                  timer;      /* reconnect, connect timeout */
    ngx_msec_t                   backoff;
    ngx_log_t                   *log;
    ngx_http_djass_main_conf_t  *dmcf;
    long long                    id;         /* its CLIENT ID, 0: unknown */
    ngx_uint_t                   enabling;   /* CLIENT TRACKING unanswered */
    ngx_int_t                    port;       /* where it is connected */
    u_char                       host[NGX_SOCKADDR_STRLEN + 1];

    unsigned                     subscribed:1;
    unsigned                     failing:1;  /* a failure was logged */
    unsigned                     exiting:1;
    unsigned                     moving:1;   /* closed for a new address */
} ngx_http_djass_track_t;


static void ngx_http_djass_track_connect(ngx_http_djass_track_t *tr);
static void ngx_http_djass_track_schedule(ngx_http_djass_track_t *tr);
static ngx_uint_t ngx_http_djass_track_here(ngx_http_djass_track_t *tr);
static void ngx_http_djass_track_timer(ngx_event_t *ev);
static void ngx_http_djass_track_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_djass_track_closed(ngx_http_djass_link_t *link);
static void ngx_http_djass_track_id_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_message(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_enable(void);
static void ngx_http_djass_track_enable_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_refused(ngx_http_djass_track_t *tr,
    const char *what, redisReply *rr);


static ngx_http_djass_track_t  *ngx_http_djass_track;


ngx_int_t
ngx_http_djass_cache_track_init_process(ngx_cycle_t *cycle)
{
    ngx_http_djass_track_t      *tr;
    ngx_http_djass_main_conf_t  *dmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_djass_module);
    if (dmcf == NULL || dmcf->cache_shm == NULL || dmcf->redis_conn == NULL)
    {
        return NGX_OK;
    }

    tr = ngx_pcalloc(cycle->pool, sizeof(ngx_http_djass_track_t));
    if (tr == NULL) {
        return NGX_ERROR;
    }

    tr->log = cycle->log;
    tr->dmcf = dmcf;

    tr->link.log = cycle->log;
    tr->link.data = tr;
    tr->link.closed = ngx_http_djass_track_closed;

    tr->timer.handler = ngx_http_djass_track_timer;
    tr->timer.data = tr;
    tr->timer.log = cycle->log;
    tr->timer.cancelable = 1;

    ngx_http_djass_track = tr;

    /* with Sentinels, once they named the master (the data hook) */
    ngx_http_djass_track_connect(tr);

    return NGX_OK;
}


void
ngx_http_djass_cache_track_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_djass_track_t  *tr;

    tr = ngx_http_djass_track;

    if (tr == NULL) {
        return;
    }

    tr->exiting = 1;

    if (tr->timer.timer_set) {
        ngx_del_timer(&tr->timer);
    }

    if (tr->link.ac) {
        redisAsyncFree(tr->link.ac);
    }

    ngx_http_djass_track = NULL;
}


/* connects to where the data connection goes now */

static void
ngx_http_djass_track_connect(ngx_http_djass_track_t *tr)
{
    u_char                      *host;
    ngx_int_t                    port;
    ngx_uint_t                   unix_socket;
    redisAsyncContext           *ac;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = tr->dmcf;

    if (tr->exiting || dmcf->redis_conn == NULL) {
        return;
    }

    host = ngx_http_djass_redis_address(dmcf->redis_conn, &port,
                                        &unix_socket);
    if (host == NULL) {
        /* no master named yet: the data connection calls again */
        return;
    }

    ngx_cpystrn(tr->host, host, sizeof(tr->host));
    tr->port = port;

    ac = unix_socket ? redisAsyncConnectUnix((char *) tr->host)
                     : redisAsyncConnect((char *) tr->host, (int) port);

    if (ac == NULL || ac->err) {
        /* the data connection logs why Redis is not there */
        if (ac) {
            redisAsyncFree(ac);
        }

        ngx_http_djass_track_schedule(tr);
        return;
    }

    if (ngx_http_djass_redis_attach(&tr->link, ac) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_djass_track_schedule(tr);
        return;
    }

    redisAsyncSetConnectCallback(ac, ngx_http_djass_track_connected);

    if (dmcf->redis_password.len) {
        /* a refusal closes the connection: SUBSCRIBE fails after it */
        redisAsyncCommand(ac, NULL, NULL, "AUTH %b",
                          dmcf->redis_password.data,
                          dmcf->redis_password.len);
    }

    /* regular replies come before the subscription's, in order */
    redisAsyncCommand(ac, ngx_http_djass_track_id_done, tr, "CLIENT ID");
    redisAsyncCommand(ac, ngx_http_djass_track_message, tr,
                      "SUBSCRIBE " NGX_HTTP_DJASS_TRACK_CHANNEL);

    if (tr->timer.timer_set) {
        ngx_del_timer(&tr->timer);
    }

    ngx_add_timer(&tr->timer, dmcf->redis_timeout);
}


static void
ngx_http_djass_track_schedule(ngx_http_djass_track_t *tr)
{
    if (tr->exiting) {
        return;
    }

    tr->backoff = tr->backoff
                  ? ngx_min(tr->backoff * 2, NGX_HTTP_DJASS_TRACK_BACKOFF_MAX)
                  : NGX_HTTP_DJASS_TRACK_BACKOFF_MIN;

    if (tr->timer.timer_set) {
        ngx_del_timer(&tr->timer);
    }

    ngx_add_timer(&tr->timer, tr->backoff);
}


/* the invalidation connection is at the data connection's address */

static ngx_uint_t
ngx_http_djass_track_here(ngx_http_djass_track_t *tr)
{
    u_char      *host;
    ngx_int_t    port;
    ngx_uint_t   unix_socket;

    if (tr->dmcf->redis_conn == NULL) {
        return 0;
    }

    host = ngx_http_djass_redis_address(tr->dmcf->redis_conn, &port,
                                        &unix_socket);

    return host != NULL && port == tr->port
           && ngx_strcmp(host, tr->host) == 0;
}


static void
ngx_http_djass_track_timer(ngx_event_t *ev)
{
    ngx_http_djass_track_t  *tr = ev->data;

    if (tr->link.ac == NULL) {
        ngx_http_djass_track_connect(tr);
        return;
    }

    if (!tr->subscribed) {
        /* connect or subscribe timed out */
        redisAsyncFree(tr->link.ac);
    }
}


static void
ngx_http_djass_track_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_djass_track_t  *tr = ac->data;

    if (status != REDIS_OK) {
        return;
    }

    tr->link.connected = 1;
}


/* the adapter has closed the invalidation connection */

static void
ngx_http_djass_track_closed(ngx_http_djass_link_t *link)
{
    ngx_http_djass_track_t  *tr = link->data;

    if (link->shutdown) {
        tr->exiting = 1;
    }

    tr->id = 0;
    tr->subscribed = 0;

    ngx_http_djass_cache_live(tr->dmcf, 0,
                              "the invalidation connection is lost");

    if (tr->timer.timer_set) {
        ngx_del_timer(&tr->timer);
    }

    if (tr->exiting) {
        return;
    }

    if (tr->moving) {
        /* the data connection moved: follow it at once */
        tr->moving = 0;
        tr->backoff = 0;
        ngx_add_timer(&tr->timer, 1);
        return;
    }

    if (!tr->failing) {
        ngx_log_error(NGX_LOG_WARN, tr->log, 0,
                      "djass: the cache's invalidation connection to Redis "
                      "at \"%V\" is lost; reading from Redis until it is "
                      "back", &tr->dmcf->redis);
        tr->failing = 1;
    }

    ngx_http_djass_track_schedule(tr);
}


static void
ngx_http_djass_track_id_done(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_track_t  *tr = data;

    if (rr == NULL) {
        return;
    }

    if (rr->type != REDIS_REPLY_INTEGER) {
        ngx_http_djass_track_refused(tr, "CLIENT ID", rr);
        return;
    }

    tr->id = rr->integer;
}


/*
 * The subscription's replies: ["subscribe", channel, count] once, then
 * ["message", channel, keys], keys an array of names or, on FLUSHALL /
 * FLUSHDB, a null.
 */

static void
ngx_http_djass_track_message(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_track_t  *tr = data;

    size_t       i;
    redisReply  *kind, *keys, *key;

    if (rr == NULL || tr->exiting) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_http_djass_track_refused(tr, "SUBSCRIBE", rr);
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements != 3
        || rr->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    kind = rr->element[0];
    keys = rr->element[2];

    if (kind->len == sizeof("subscribe") - 1
        && ngx_strncmp(kind->str, "subscribe", kind->len) == 0)
    {
        if (tr->id == 0) {
            /* CLIENT ID failed: stay without a cache (logged) */
            return;
        }

        tr->subscribed = 1;
        tr->backoff = 0;

        if (tr->timer.timer_set) {
            ngx_del_timer(&tr->timer);
        }

        if (tr->failing) {
            ngx_log_error(NGX_LOG_NOTICE, tr->log, 0,
                          "djass: the cache's invalidation connection to "
                          "Redis at \"%V\" is back", &tr->dmcf->redis);
            tr->failing = 0;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, tr->log, 0,
                       "djass cache: subscribed, client id %L",
                       (int64_t) tr->id);

        ngx_http_djass_track_enable();
        return;
    }

    if (kind->len != sizeof("message") - 1
        || ngx_strncmp(kind->str, "message", kind->len) != 0)
    {
        return;
    }

    if (keys->type == REDIS_REPLY_NIL) {
        ngx_http_djass_cache_live(tr->dmcf, -1, "Redis was flushed");
        return;
    }

    if (keys->type == REDIS_REPLY_STRING) {
        ngx_http_djass_cache_invalidate(tr->dmcf, (u_char *) keys->str,
                                        keys->len);
        return;
    }

    if (keys->type != REDIS_REPLY_ARRAY) {
        return;
    }

    for (i = 0; i < keys->elements; i++) {
        key = keys->element[i];

        if (key->type == REDIS_REPLY_STRING) {
            ngx_http_djass_cache_invalidate(tr->dmcf, (u_char *) key->str,
                                            key->len);
        }
    }
}


/*
 * The data connection is (re)connecting, its address known (hook in
 * _redis.c): follow it there if it moved, and ask for tracking.
 */

void
ngx_http_djass_cache_track_data(void *data)
{
    ngx_http_djass_track_t  *tr;

    tr = ngx_http_djass_track;

    if (tr == NULL || tr->exiting) {
        return;
    }

    if (tr->link.ac == NULL) {
        /* with the data connection, not after a backoff of its own */
        ngx_http_djass_track_connect(tr);
        return;
    }

    if (!ngx_http_djass_track_here(tr)) {
        /* a failover: its invalidations would be another server's */
        tr->moving = 1;
        redisAsyncFree(tr->link.ac);
        return;
    }

    ngx_http_djass_track_enable();
}


/* the data connection is lost: its tracking went with it */

void
ngx_http_djass_cache_track_data_lost(void *data)
{
    ngx_http_djass_redis_t  *rd = data;

    if (ngx_http_djass_track) {
        ngx_http_djass_track->enabling = 0;
    }

    ngx_http_djass_cache_live(rd->dmcf, 0, "the Redis connection is lost");
}


/*
 * Both connections are there: tracking on the data connection, redirected
 * to the invalidation connection's id (off first: a reconnected
 * invalidation connection has a new id).  Live once Redis says OK.
 */

static void
ngx_http_djass_track_enable(void)
{
    ngx_http_djass_track_t      *tr;
    ngx_http_djass_redis_t      *data;
    ngx_http_djass_main_conf_t  *dmcf;

    tr = ngx_http_djass_track;

    if (tr == NULL || tr->exiting || !tr->subscribed) {
        return;
    }

    dmcf = tr->dmcf;
    data = dmcf->redis_conn;

    if (data == NULL || data->link.ac == NULL
        || !ngx_http_djass_track_here(tr))
    {
        /* the data hook comes when it is (re)connected */
        return;
    }

    ngx_http_djass_cache_live(dmcf, 0, "enabling tracking");

    tr->enabling++;

    redisAsyncCommand(data->link.ac, NULL, NULL, "CLIENT TRACKING off");
    redisAsyncCommand(data->link.ac, ngx_http_djass_track_enable_done,
                      (void *) (uintptr_t) tr->id,
                      "CLIENT TRACKING on REDIRECT %lld BCAST "
                      "PREFIX djass:key: PREFIX djass:project:",
                      tr->id);
}


static void
ngx_http_djass_track_enable_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_track_t  *tr;

    tr = ngx_http_djass_track;

    if (rr == NULL || tr == NULL || tr->exiting) {
        return;
    }

    if (tr->enabling) {
        tr->enabling--;
    }

    if (rr->type != REDIS_REPLY_STATUS) {
        ngx_http_djass_track_refused(tr, "CLIENT TRACKING", rr);
        return;
    }

    /* the latest request only, for this very invalidation connection */
    if (tr->enabling
        || (uintptr_t) data != (uintptr_t) tr->id
        || !tr->subscribed)
    {
        return;
    }

    ngx_http_djass_cache_live(tr->dmcf, 1, "tracking is on");
}


static void
ngx_http_djass_track_refused(ngx_http_djass_track_t *tr, const char *what,
    redisReply *rr)
{
    if (tr->failing) {
        /* once until it works: this repeats at every reconnect */
        return;
    }

    ngx_log_error(NGX_LOG_ERR, tr->log, 0,
                  "djass: Redis at \"%V\" refused %s for the cache: %s; "
                  "reading from Redis without a cache",
                  &tr->dmcf->redis, what,
                  rr->type == REDIS_REPLY_ERROR ? rr->str : "bad reply");

    tr->failing = 1;
}
