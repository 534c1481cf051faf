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
 * The process reads from the cache only while tracking is proven: the
 * invalidation connection answered a PING sent since tracking was set up
 * (every djass_cache_heartbeat, within djass_cache_heartbeat_timeout), and
 * the data connection's CLIENT TRACKINGINFO says tracking is on, redirected
 * to this very connection's id, not "broken_redirect".  A connection that
 * stays open but stops delivering (a firewall dropping it, a proxy that
 * hangs) misses its PING's deadline: it is closed and opened again.
 * Whenever tracking is in doubt -- either connection lost or late, the
 * redirect broken or pointing elsewhere, a flush -- the whole cache is
 * dropped and bypassed until it is proven again; after any reconnect
 * tracking is set up anew, redirected to the invalidation connection's new
 * id.  With djass_redis sentinel://... the data
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


/* exported by hiredis 0.14 but not declared in its hiredis.h */
int __redisAppendCommand(redisContext *c, const char *cmd, size_t len);


/* this process's invalidation connection, and where it stands */
typedef struct {
    ngx_http_djass_link_t        link;
    ngx_event_t                  timer;      /* reconnect, connect timeout */
    ngx_event_t                  beat;       /* the next heartbeat */
    ngx_event_t                  deadline;   /* the PING's */
    ngx_msec_t                   backoff;
    ngx_log_t                   *log;
    ngx_http_djass_main_conf_t  *dmcf;
    long long                    id;         /* its CLIENT ID, 0: unknown */
    ngx_uint_t                   epoch;      /* bumped by every doubt */
    ngx_uint_t                   ping_epoch; /* the PING unanswered */
    ngx_uint_t                   enabling;   /* CLIENT TRACKING unanswered */
    ngx_uint_t                   asking;     /* TRACKINGINFOs unanswered */
    ngx_int_t                    port;       /* where it is connected */
    u_char                       host[NGX_SOCKADDR_STRLEN + 1];

    unsigned                     subscribed:1;
    unsigned                     pinging:1;  /* a PING is unanswered */
    unsigned                     tracking:1; /* CLIENT TRACKING on, epoch */
    unsigned                     pong:1;     /* a PING of this epoch, too */
    unsigned                     info:1;     /* TRACKINGINFO of it, too */
    unsigned                     live:1;     /* all three: the cache is on */
    unsigned                     doubted:1;  /* was live: log when back */
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
static void ngx_http_djass_track_pong(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_enable(void);
static void ngx_http_djass_track_enable_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_track_beat(ngx_event_t *ev);
static void ngx_http_djass_track_ping(ngx_http_djass_track_t *tr);
static void ngx_http_djass_track_ask(ngx_http_djass_track_t *tr);
static void ngx_http_djass_track_info_done(redisAsyncContext *ac,
    void *reply, void *data);
static ngx_int_t ngx_http_djass_track_info_ok(ngx_http_djass_track_t *tr,
    redisReply *rr);
static void ngx_http_djass_track_lost_here(ngx_http_djass_track_t *tr,
    const char *why);
static void ngx_http_djass_track_late(ngx_event_t *ev);
static void ngx_http_djass_track_doubt(ngx_http_djass_track_t *tr,
    const char *why);
static void ngx_http_djass_track_check(ngx_http_djass_track_t *tr);
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

    /* none of the three keeps a worker from exiting */

    tr->timer.handler = ngx_http_djass_track_timer;
    tr->timer.data = tr;
    tr->timer.log = cycle->log;
    tr->timer.cancelable = 1;

    tr->beat.handler = ngx_http_djass_track_beat;
    tr->beat.data = tr;
    tr->beat.log = cycle->log;
    tr->beat.cancelable = 1;

    tr->deadline.handler = ngx_http_djass_track_late;
    tr->deadline.data = tr;
    tr->deadline.log = cycle->log;
    tr->deadline.cancelable = 1;

    ngx_http_djass_track = tr;

    ngx_add_timer(&tr->beat, dmcf->cache_heartbeat);

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

    if (tr->beat.timer_set) {
        ngx_del_timer(&tr->beat);
    }

    if (tr->deadline.timer_set) {
        ngx_del_timer(&tr->deadline);
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

    /*
     * regular replies come before the subscription's, in order.  The
     * pattern, the channel's own name, matches nothing else: it is there
     * for the heartbeat's replies, ["pong", "__redis__:invalidate"], that
     * hiredis hands to the pattern's callback ("p...")
     */
    redisAsyncCommand(ac, ngx_http_djass_track_id_done, tr, "CLIENT ID");
    redisAsyncCommand(ac, ngx_http_djass_track_message, tr,
                      "SUBSCRIBE " NGX_HTTP_DJASS_TRACK_CHANNEL);
    redisAsyncCommand(ac, ngx_http_djass_track_pong, tr,
                      "PSUBSCRIBE " NGX_HTTP_DJASS_TRACK_CHANNEL);

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
    tr->pinging = 0;

    ngx_http_djass_track_doubt(tr, "the invalidation connection is lost");

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
 * The pattern's replies: ["psubscribe", ...] once, then the heartbeat's
 * ["pong", "__redis__:invalidate"]; a "pmessage" (someone's PUBLISH to the
 * channel) is not Redis's tracking and is ignored.
 */

static void
ngx_http_djass_track_pong(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_track_t  *tr = data;

    redisReply  *kind;

    if (rr == NULL || tr->exiting) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_http_djass_track_refused(tr, "PSUBSCRIBE", rr);
        return;
    }

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements < 2
        || rr->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    kind = rr->element[0];

    if (kind->len != sizeof("pong") - 1
        || ngx_strncasecmp((u_char *) kind->str, (u_char *) "pong",
                           kind->len)
           != 0
        || !tr->pinging)
    {
        return;
    }

    tr->pinging = 0;

    if (tr->deadline.timer_set) {
        ngx_del_timer(&tr->deadline);
    }

    if (tr->ping_epoch != tr->epoch) {
        /* sent before the last doubt: it proves nothing since */
        if (!tr->live) {
            ngx_http_djass_track_ping(tr);
        }

        return;
    }

    tr->pong = 1;

    ngx_http_djass_track_check(tr);
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
        ngx_http_djass_track_doubt(ngx_http_djass_track,
                                   "the Redis connection is lost");
        return;
    }

    ngx_http_djass_cache_live(rd->dmcf, 0, "the Redis connection is lost");
}


/*
 * Both connections are there: tracking on the data connection, redirected
 * to the invalidation connection's id as it is now (off first: the data
 * connection may still track for an old one), then what proves it: the
 * data connection's TRACKINGINFO and a PING on the invalidation
 * connection, both sent from now on.
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

    ngx_http_djass_track_doubt(tr, "enabling tracking");

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, tr->log, 0,
                   "djass cache: CLIENT TRACKING on REDIRECT %L",
                   (int64_t) tr->id);

    redisAsyncCommand(data->link.ac, NULL, NULL, "CLIENT TRACKING off");

    if (redisAsyncCommand(data->link.ac, ngx_http_djass_track_enable_done,
                          (void *) (uintptr_t) tr->epoch,
                          "CLIENT TRACKING on REDIRECT %lld BCAST "
                          "PREFIX djass:key: PREFIX djass:project:",
                          tr->id)
        == REDIS_OK)
    {
        tr->enabling++;
    }

    ngx_http_djass_track_ask(tr);

    if (!tr->pinging) {
        ngx_http_djass_track_ping(tr);
    }
}


static void
ngx_http_djass_track_enable_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_track_t  *tr;

    tr = ngx_http_djass_track;

    if (tr == NULL || tr->exiting) {
        return;
    }

    if (tr->enabling) {
        tr->enabling--;
    }

    if (rr == NULL) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR
        && (uintptr_t) data == (uintptr_t) tr->epoch
        && ngx_strstr(rr->str, "redirect") != NULL)
    {
        /* "The client ID you want redirect to does not exist" */
        ngx_http_djass_track_lost_here(tr, "the redirect's client is gone");
        return;
    }

    if (rr->type != REDIS_REPLY_STATUS) {
        ngx_http_djass_track_refused(tr, "CLIENT TRACKING", rr);
        return;
    }

    /* the latest request only, for this very invalidation connection */
    if ((uintptr_t) data != (uintptr_t) tr->epoch || !tr->subscribed) {
        return;
    }

    tr->tracking = 1;

    ngx_http_djass_track_check(tr);
}


/* --- the heartbeat -------------------------------------------------------- */

/*
 * Every djass_cache_heartbeat: a PING on the invalidation connection, to
 * be answered within djass_cache_heartbeat_timeout
 * (ngx_http_djass_track_late), and CLIENT TRACKINGINFO on the data
 * connection; one of each at a time.  Tracking found off is set up again
 * here, at most once a heartbeat.
 */

static void
ngx_http_djass_track_beat(ngx_event_t *ev)
{
    ngx_http_djass_track_t  *tr = ev->data;

    if (tr->exiting) {
        return;
    }

    ngx_add_timer(&tr->beat, tr->dmcf->cache_heartbeat);

    if (!tr->subscribed) {
        /* connecting: its own timer bounds that */
        return;
    }

    if (!tr->tracking && tr->enabling == 0) {
        /* it asks TRACKINGINFO and PINGs itself */
        ngx_http_djass_track_enable();
    }

    if (!tr->pinging) {
        ngx_http_djass_track_ping(tr);
    }

    if (tr->tracking && tr->asking == 0) {
        ngx_http_djass_track_ask(tr);
    }
}


/*
 * PING with an argument, in subscribe mode: Redis answers
 * ["pong", argument].  Appended as it is to hiredis's output buffer:
 * hiredis would keep a callback for every command it is given in
 * subscribe mode, on a list it never shifts while subscribed.
 */

static void
ngx_http_djass_track_ping(ngx_http_djass_track_t *tr)
{
    redisAsyncContext  *ac;

    static const char  ping[] =
        "*2\r\n$4\r\nPING\r\n$20\r\n" NGX_HTTP_DJASS_TRACK_CHANNEL "\r\n";

    ac = tr->link.ac;

    if (ac == NULL || !tr->subscribed || tr->exiting) {
        return;
    }

    if (__redisAppendCommand(&ac->c, ping, sizeof(ping) - 1) != REDIS_OK) {
        return;
    }

    ac->ev.addWrite(ac->ev.data);

    tr->pinging = 1;
    tr->ping_epoch = tr->epoch;

    ngx_add_timer(&tr->deadline, tr->dmcf->cache_heartbeat_timeout);
}


static void
ngx_http_djass_track_ask(ngx_http_djass_track_t *tr)
{
    ngx_http_djass_redis_t  *data;

    data = tr->dmcf->redis_conn;

    if (data == NULL || data->link.ac == NULL) {
        return;
    }

    if (redisAsyncCommand(data->link.ac, ngx_http_djass_track_info_done,
                          (void *) (uintptr_t) tr->epoch,
                          "CLIENT TRACKINGINFO")
        != REDIS_OK)
    {
        return;
    }

    tr->asking++;
}


static void
ngx_http_djass_track_info_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_track_t  *tr;

    tr = ngx_http_djass_track;

    if (tr == NULL || tr->exiting) {
        return;
    }

    if (tr->asking) {
        tr->asking--;
    }

    if (rr == NULL || (uintptr_t) data != (uintptr_t) tr->epoch) {
        /* the connection went, or it was asked before the last doubt */
        return;
    }

    switch (ngx_http_djass_track_info_ok(tr, rr)) {

    case NGX_OK:
        break;

    case NGX_ABORT:
        /* Redis lost the invalidation connection that nginx still has */
        ngx_http_djass_track_lost_here(tr, "the tracking redirect is broken");
        return;

    default:
        if (tr->tracking) {
            /* set up again at the next heartbeat */
            ngx_http_djass_track_doubt(tr, "tracking is not redirected here");
        }

        /* or CLIENT TRACKING was refused (logged), or not answered yet */
        return;
    }

    tr->info = 1;

    ngx_http_djass_track_check(tr);
}


/*
 * ["flags", [...], "redirect", id, "prefixes", [...]]: NGX_OK, on, its
 * invalidations going to this invalidation connection; NGX_ABORT,
 * "broken_redirect": Redis found that connection gone when it had an
 * invalidation for it; NGX_DECLINED: off, or redirected elsewhere.
 */

static ngx_int_t
ngx_http_djass_track_info_ok(ngx_http_djass_track_t *tr, redisReply *rr)
{
    size_t       i, j;
    ngx_uint_t   on;
    redisReply  *name, *value, *flag;

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements % 2) {
        return NGX_DECLINED;
    }

    on = 0;

    for (i = 0; i < rr->elements; i += 2) {
        name = rr->element[i];
        value = rr->element[i + 1];

        if (name->type != REDIS_REPLY_STRING) {
            return NGX_DECLINED;
        }

        if (ngx_strcmp(name->str, "redirect") == 0) {
            if (value->type != REDIS_REPLY_INTEGER
                || value->integer != tr->id || tr->id == 0)
            {
                on = 0;
                break;
            }

            continue;
        }

        if (ngx_strcmp(name->str, "flags") != 0
            || value->type != REDIS_REPLY_ARRAY)
        {
            continue;
        }

        for (j = 0; j < value->elements; j++) {
            flag = value->element[j];

            if (flag->type != REDIS_REPLY_STRING) {
                return NGX_DECLINED;
            }

            if (ngx_strcmp(flag->str, "broken_redirect") == 0) {
                return NGX_ABORT;
            }

            if (ngx_strcmp(flag->str, "on") == 0) {
                on = 1;
            }
        }
    }

    return on ? NGX_OK : NGX_DECLINED;
}


/*
 * Redis says the invalidation connection is gone while nginx holds it
 * open (a proxy that keeps the client side, say): it is closed, and
 * opened again for a new id.
 */

static void
ngx_http_djass_track_lost_here(ngx_http_djass_track_t *tr, const char *why)
{
    ngx_log_error(NGX_LOG_WARN, tr->log, 0,
                  "djass: Redis at \"%V\" no longer sends the cache's "
                  "invalidations to this worker process (%s); reading from "
                  "Redis and connecting again", &tr->dmcf->redis, why);

    tr->failing = 1;
    ngx_http_djass_track_doubt(tr, why);

    if (tr->link.ac) {
        redisAsyncFree(tr->link.ac);
    }
}


/*
 * A PING went unanswered for the whole deadline: the invalidation
 * connection is closed, and opened again.  (A late TRACKINGINFO is the
 * data connection's own concern, ngx_http_djass_redis.c: the invalidations
 * still come while Redis holds it, and a new TRACKINGINFO is asked once
 * the reply or the connection's loss comes.)
 */

static void
ngx_http_djass_track_late(ngx_event_t *ev)
{
    ngx_http_djass_track_t  *tr = ev->data;

    if (tr->exiting || !tr->pinging || tr->link.ac == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, tr->log, 0,
                  "djass: the cache's invalidation connection to Redis at "
                  "\"%V\" did not answer PING within %M ms; reading from "
                  "Redis and connecting again",
                  &tr->dmcf->redis, tr->dmcf->cache_heartbeat_timeout);

    tr->failing = 1;
    ngx_http_djass_track_doubt(tr, "a heartbeat went unanswered");
    redisAsyncFree(tr->link.ac);
}


/*
 * Tracking is in doubt: the cache is dropped (if this process was reading
 * it) and bypassed, and only answers asked from now on prove it again.
 */

static void
ngx_http_djass_track_doubt(ngx_http_djass_track_t *tr, const char *why)
{
    ngx_http_djass_cache_stats_t  *cs;

    tr->epoch++;
    tr->tracking = 0;
    tr->pong = 0;
    tr->info = 0;

    if (!tr->live) {
        return;
    }

    tr->live = 0;
    tr->doubted = 1;

    cs = ngx_http_djass_cache_stats(tr->dmcf);
    (void) ngx_atomic_fetch_add(&cs->doubts, 1);

    ngx_http_djass_cache_live(tr->dmcf, 0, why);
}


static void
ngx_http_djass_track_check(ngx_http_djass_track_t *tr)
{
    if (tr->live || !tr->subscribed || !tr->tracking || !tr->pong
        || !tr->info)
    {
        return;
    }

    tr->live = 1;

    if (tr->doubted) {
        ngx_log_error(NGX_LOG_NOTICE, tr->log, 0,
                      "djass: the cache's tracking on Redis at \"%V\" is "
                      "proven again; reading from the cache",
                      &tr->dmcf->redis);
        tr->doubted = 0;
    }

    ngx_http_djass_cache_live(tr->dmcf, 1, "tracking is proven");
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
