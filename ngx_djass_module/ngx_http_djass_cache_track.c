/*
 * What keeps the read cache (ngx_http_djass_cache.c) exact: Redis's
 * server-assisted client-side caching, in its RESP2 form.  Each nginx
 * worker process opens a second connection to Redis (through the same
 * adapter, ngx_http_djass_redis_adapter.c), asks its CLIENT ID and
 * subscribes to __redis__:invalidate; then on its data connection
 * (ngx_http_djass_redis.c), after every (re)connect:
 *
 *   CLIENT TRACKING on REDIRECT <id> BCAST
 *       PREFIX djass:key: PREFIX djass:project:
 *
 * From then on Redis publishes the name of every key written under those
 * prefixes to this connection, whoever wrote it, and a null on FLUSHALL.
 * The process reads from the cache only while both connections are up
 * and tracking was confirmed; losing either, or a flush, drops the whole
 * cache.
 */


#include "ngx_http_djass_module.h"
#include "ngx_http_djass_redis.h"
#include "ngx_http_djass_cache.h"


#define NGX_HTTP_DJASS_TRACK_CHANNEL  "__redis__:invalidate"


static void ngx_http_djass_track_connect(ngx_http_djass_redis_t *rd);
static void ngx_http_djass_track_timer(ngx_event_t *ev);
static void ngx_http_djass_track_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_djass_track_id_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_message(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_enable(void);
static void ngx_http_djass_track_enable_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_refused(ngx_http_djass_redis_t *rd,
    const char *what, redisReply *rr);


/* this process's invalidation connection, and where it stands */
static ngx_http_djass_redis_t  *ngx_http_djass_track;
static long long                ngx_http_djass_track_id;
static ngx_uint_t               ngx_http_djass_track_subscribed;
static ngx_uint_t               ngx_http_djass_track_enabling;


ngx_int_t
ngx_http_djass_cache_track_init_process(ngx_cycle_t *cycle)
{
    ngx_http_djass_redis_t      *rd;
    ngx_http_djass_main_conf_t  *dmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_djass_module);
    if (dmcf == NULL || dmcf->cache_shm == NULL) {
        return NGX_OK;
    }

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_djass_redis_t));
    if (rd == NULL) {
        return NGX_ERROR;
    }

    rd->log = cycle->log;
    rd->dmcf = dmcf;

    rd->timer.handler = ngx_http_djass_track_timer;
    rd->timer.data = rd;
    rd->timer.log = cycle->log;
    rd->timer.cancelable = 1;

    ngx_queue_init(&rd->pending);

    ngx_http_djass_track = rd;

    ngx_http_djass_track_connect(rd);

    return NGX_OK;
}


void
ngx_http_djass_cache_track_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_djass_redis_t  *rd;

    rd = ngx_http_djass_track;

    if (rd == NULL) {
        return;
    }

    rd->exiting = 1;

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    if (rd->ac) {
        redisAsyncFree(rd->ac);
    }

    ngx_http_djass_track = NULL;
}


static void
ngx_http_djass_track_connect(ngx_http_djass_redis_t *rd)
{
    redisAsyncContext           *ac;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = rd->dmcf;

    ac = dmcf->redis_unix
         ? redisAsyncConnectUnix((char *) dmcf->redis_host.data)
         : redisAsyncConnect((char *) dmcf->redis_host.data,
                             (int) dmcf->redis_port);

    if (ac == NULL || ac->err) {
        /* the data connection logs why Redis is not there */
        if (ac) {
            redisAsyncFree(ac);
        }

        ngx_http_djass_redis_schedule(rd);
        return;
    }

    if (ngx_http_djass_redis_attach(rd, ac) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_djass_redis_schedule(rd);
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
    redisAsyncCommand(ac, ngx_http_djass_track_id_done, rd, "CLIENT ID");
    redisAsyncCommand(ac, ngx_http_djass_track_message, rd,
                      "SUBSCRIBE " NGX_HTTP_DJASS_TRACK_CHANNEL);

    ngx_add_timer(&rd->timer, dmcf->redis_timeout);
}


static void
ngx_http_djass_track_timer(ngx_event_t *ev)
{
    ngx_http_djass_redis_t  *rd = ev->data;

    if (rd->ac == NULL) {
        ngx_http_djass_track_connect(rd);
        return;
    }

    if (!ngx_http_djass_track_subscribed) {
        /* connect or subscribe timed out */
        redisAsyncFree(rd->ac);
    }
}


static void
ngx_http_djass_track_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_djass_redis_t  *rd = ac->data;

    if (status != REDIS_OK) {
        return;
    }

    rd->connected = 1;
}


/* the adapter has closed the invalidation connection (hook in _redis.c) */

void
ngx_http_djass_cache_track_closed(void *data)
{
    ngx_http_djass_redis_t  *rd = data;

    if (rd->ac == NULL) {
        return;
    }

    rd->ac = NULL;
    rd->connected = 0;

    ngx_http_djass_track_id = 0;
    ngx_http_djass_track_subscribed = 0;

    ngx_http_djass_cache_live(rd->dmcf, 0,
                              "the invalidation connection is lost");

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    if (!rd->failing && !rd->exiting) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: the cache's invalidation connection to Redis "
                      "at \"%V\" is lost; reading from Redis until it is "
                      "back", &rd->dmcf->redis);
        rd->failing = 1;
    }

    ngx_http_djass_redis_schedule(rd);
}


static void
ngx_http_djass_track_id_done(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    if (rr == NULL) {
        return;
    }

    if (rr->type != REDIS_REPLY_INTEGER) {
        ngx_http_djass_track_refused(rd, "CLIENT ID", rr);
        return;
    }

    ngx_http_djass_track_id = rr->integer;
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
    ngx_http_djass_redis_t  *rd = data;

    size_t       i;
    redisReply  *kind, *keys, *key;

    if (rr == NULL || rd->exiting) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_http_djass_track_refused(rd, "SUBSCRIBE", rr);
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
        if (ngx_http_djass_track_id == 0) {
            /* CLIENT ID failed: stay without a cache (logged) */
            return;
        }

        ngx_http_djass_track_subscribed = 1;

        if (rd->timer.timer_set) {
            ngx_del_timer(&rd->timer);
        }

        if (rd->failing) {
            ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                          "djass: the cache's invalidation connection to "
                          "Redis at \"%V\" is back", &rd->dmcf->redis);
            rd->failing = 0;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "djass cache: subscribed, client id %L",
                       (int64_t) ngx_http_djass_track_id);

        ngx_http_djass_track_enable();
        return;
    }

    if (kind->len != sizeof("message") - 1
        || ngx_strncmp(kind->str, "message", kind->len) != 0)
    {
        return;
    }

    if (keys->type == REDIS_REPLY_NIL) {
        ngx_http_djass_cache_live(rd->dmcf, -1, "Redis was flushed");
        return;
    }

    if (keys->type == REDIS_REPLY_STRING) {
        ngx_http_djass_cache_invalidate(rd->dmcf, (u_char *) keys->str,
                                        keys->len);
        return;
    }

    if (keys->type != REDIS_REPLY_ARRAY) {
        return;
    }

    for (i = 0; i < keys->elements; i++) {
        key = keys->element[i];

        if (key->type == REDIS_REPLY_STRING) {
            ngx_http_djass_cache_invalidate(rd->dmcf, (u_char *) key->str,
                                            key->len);
        }
    }
}


/* the data connection is (re)connected: hook in _redis.c */

void
ngx_http_djass_cache_track_data(void *data)
{
    ngx_http_djass_track_enable();
}


/* the data connection is lost: its tracking went with it */

void
ngx_http_djass_cache_track_data_lost(void *data)
{
    ngx_http_djass_redis_t  *rd = data;

    ngx_http_djass_track_enabling = 0;

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
    ngx_http_djass_redis_t      *rd, *data;
    ngx_http_djass_main_conf_t  *dmcf;

    rd = ngx_http_djass_track;

    if (rd == NULL || rd->exiting || !ngx_http_djass_track_subscribed) {
        return;
    }

    dmcf = rd->dmcf;
    data = dmcf->redis_conn;

    if (data == NULL || data->ac == NULL) {
        return;
    }

    ngx_http_djass_cache_live(dmcf, 0, "enabling tracking");

    ngx_http_djass_track_enabling++;

    redisAsyncCommand(data->ac, NULL, NULL, "CLIENT TRACKING off");
    redisAsyncCommand(data->ac, ngx_http_djass_track_enable_done,
                      (void *) (uintptr_t) ngx_http_djass_track_id,
                      "CLIENT TRACKING on REDIRECT %lld BCAST "
                      "PREFIX djass:key: PREFIX djass:project:",
                      ngx_http_djass_track_id);
}


static void
ngx_http_djass_track_enable_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd;

    rd = ngx_http_djass_track;

    if (rr == NULL || rd == NULL || rd->exiting) {
        return;
    }

    if (ngx_http_djass_track_enabling) {
        ngx_http_djass_track_enabling--;
    }

    if (rr->type != REDIS_REPLY_STATUS) {
        ngx_http_djass_track_refused(rd, "CLIENT TRACKING", rr);
        return;
    }

    /* the latest request only, for this very invalidation connection */
    if (ngx_http_djass_track_enabling
        || (uintptr_t) data != (uintptr_t) ngx_http_djass_track_id
        || !ngx_http_djass_track_subscribed)
    {
        return;
    }

    ngx_http_djass_cache_live(rd->dmcf, 1, "tracking is on");
}


static void
ngx_http_djass_track_refused(ngx_http_djass_redis_t *rd, const char *what,
    redisReply *rr)
{
    if (rd->failing) {
        /* once until it works: this repeats at every reconnect */
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "djass: Redis at \"%V\" refused %s for the cache: %s; "
                  "reading from Redis without a cache",
                  &rd->dmcf->redis, what,
                  rr->type == REDIS_REPLY_ERROR ? rr->str : "bad reply");

    rd->failing = 1;
}
