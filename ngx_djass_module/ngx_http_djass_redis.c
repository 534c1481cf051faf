/*
 * The Redis connection and the calls on it: one asynchronous hiredis
 * connection per nginx worker process (ngx_http_djass_redis_adapter.c
 * drives it from nginx's event loop), and the script calls that requests
 * make on it.
 *
 * - The connection opens in init_process and closes in exit_process.  A
 *   lost or refused connection is opened again after a backoff (100 ms,
 *   doubling to 1 s); a request that comes while there is none is answered
 *   503 at once.
 * - Each call is an "op" that outlives its request: the request's cleanup
 *   detaches it, so that a reply after the client left touches nothing
 *   freed.  Pending ops wait in a queue in the order they were sent, so
 *   that one timer, set for the oldest, answers 503 to those Redis is late
 *   for.  A connection that answers nothing for a whole timeout is dropped
 *   and opened again.
 * - The API script is loaded with SCRIPT LOAD on every new connection
 *   (after AUTH) and called with EVALSHA; a NOSCRIPT reply is retried once
 *   with EVAL, which also loads it again.  Another script (the scrape's,
 *   ngx_http_djass_stats.c) is called the same way, loaded by its first
 *   NOSCRIPT.
 * - A reply's strings are copied into the request pool and handed to the
 *   call's handler (ngx_http_djass_script.c reads them), whose result
 *   finalizes the request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_redis.h"
#include "ngx_http_djass_cache.h"


#define NGX_HTTP_DJASS_BACKOFF_MIN  100
#define NGX_HTTP_DJASS_BACKOFF_MAX  1000


typedef struct ngx_http_djass_redis_op_s  ngx_http_djass_redis_op_t;

struct ngx_http_djass_redis_op_s {
    ngx_http_djass_redis_t      *rd;
    ngx_http_request_t          *request;     /* NULL once detached */
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_redis_pt      handler;
    void                        *data;
    ngx_http_djass_lua_t        *lua;         /* NULL: the API script */
    ngx_queue_t                  queue;       /* in rd->pending */
    ngx_msec_t                   deadline;
    ngx_uint_t                   generation;
    ngx_uint_t                   replies;
    ngx_str_t                   *args;        /* for the NOSCRIPT retry */
    ngx_uint_t                   nkeys;       /* args[0 .. nkeys-1] */
    ngx_uint_t                   nargs;
    ngx_uint_t                   retried;
    ngx_uint_t                   waits;       /* WAITs sent, not answered */
    ngx_int_t                    rc;          /* the script's, until WAIT */
    ngx_str_t                   *v;
    ngx_uint_t                   n;
    unsigned                     wait:1;      /* djass_redis_wait applies */
    unsigned                     done:1;      /* the script answered */
    ngx_msec_int_t               sent_us;     /* for the metrics */
    ngx_http_djass_redis_op_t   *next;        /* in the free list */
};


static void ngx_http_djass_redis_closed(ngx_http_djass_link_t *link);
static void ngx_http_djass_redis_timer(ngx_event_t *ev);
static void ngx_http_djass_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_djass_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_djass_redis_auth_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_redis_load_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_redis_role_done(redisAsyncContext *ac,
    void *reply, void *data);
static ngx_int_t ngx_http_djass_redis_send(ngx_http_djass_redis_t *rd,
    ngx_http_djass_redis_op_t *op, ngx_pool_t *pool, ngx_uint_t eval);
static u_char *ngx_http_djass_redis_number(u_char *p, size_t n);
static void ngx_http_djass_redis_reply(redisAsyncContext *ac, void *reply,
    void *data);
static void ngx_http_djass_redis_wait_done(redisAsyncContext *ac,
    void *reply, void *data);
static ngx_int_t ngx_http_djass_redis_copy(ngx_http_request_t *r,
    redisReply *reply, ngx_str_t **v, ngx_uint_t *n);
static void ngx_http_djass_redis_finish(ngx_http_djass_redis_op_t *op,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
static void ngx_http_djass_redis_detach(ngx_http_djass_redis_op_t *op);
static ngx_http_djass_redis_op_t *ngx_http_djass_redis_op_alloc(
    ngx_log_t *log);
static void ngx_http_djass_redis_op_free(ngx_http_djass_redis_op_t *op);
static void ngx_http_djass_redis_late(ngx_event_t *ev);
static void ngx_http_djass_redis_request_cleanup(void *data);


/* ops whose replies came, for reuse */
static ngx_http_djass_redis_op_t  *ngx_http_djass_redis_free_ops;


/* --- the connection ----------------------------------------------------- */

ngx_int_t
ngx_http_djass_redis_init_process(ngx_cycle_t *cycle)
{
    u_char                       digest[SHA_DIGEST_LENGTH];
    ngx_http_djass_redis_t      *rd;
    ngx_http_djass_main_conf_t  *dmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_djass_module);
    if (dmcf == NULL || !dmcf->enabled) {
        return NGX_OK;
    }

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_djass_redis_t));
    if (rd == NULL) {
        return NGX_ERROR;
    }

    rd->log = cycle->log;
    rd->dmcf = dmcf;

    rd->link.log = cycle->log;
    rd->link.data = rd;
    rd->link.closed = ngx_http_djass_redis_closed;

    rd->timer.handler = ngx_http_djass_redis_timer;
    rd->timer.data = rd;
    rd->timer.log = cycle->log;
    rd->timer.cancelable = 1;

    rd->late.handler = ngx_http_djass_redis_late;
    rd->late.data = rd;
    rd->late.log = cycle->log;

    ngx_queue_init(&rd->pending);

    SHA1(ngx_http_djass_script.data, ngx_http_djass_script.len, digest);
    ngx_hex_dump(rd->sha, digest, SHA_DIGEST_LENGTH);

    dmcf->redis_conn = rd;

    if (dmcf->sentinels) {
        ngx_http_djass_sentinel_init(rd);
    }

    ngx_http_djass_metrics_connected(dmcf, 0);
    ngx_http_djass_redis_connect(rd);

    return NGX_OK;
}


void
ngx_http_djass_redis_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_djass_redis_t      *rd;
    ngx_http_djass_redis_op_t   *op;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_djass_module);
    if (dmcf == NULL || dmcf->redis_conn == NULL) {
        return;
    }

    rd = dmcf->redis_conn;
    rd->exiting = 1;

    ngx_http_djass_metrics_connected(dmcf, -1);

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    if (rd->link.ac) {
        redisAsyncFree(rd->link.ac);
    }

    if (dmcf->sentinels) {
        ngx_http_djass_sentinel_exit(rd);
    }

    if (rd->late.timer_set) {
        ngx_del_timer(&rd->late);
    }

    while (ngx_http_djass_redis_free_ops) {
        op = ngx_http_djass_redis_free_ops;
        ngx_http_djass_redis_free_ops = op->next;
        ngx_free(op);
    }

    dmcf->redis_conn = NULL;
}


/*
 * Opens the data connection; with Sentinels, asks them first (every
 * connect: the master may have moved), and comes back here with the
 * answer in rd->master.
 */

void
ngx_http_djass_redis_connect(ngx_http_djass_redis_t *rd)
{
    redisAsyncContext           *ac;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = rd->dmcf;

    if (dmcf->sentinels) {
        if (!rd->resolved) {
            ngx_http_djass_sentinel_resolve(rd);
            return;
        }

        rd->resolved = 0;
        ac = redisAsyncConnect((char *) rd->master, (int) rd->master_port);

    } else {
        ac = dmcf->redis_unix
             ? redisAsyncConnectUnix((char *) dmcf->redis_host.data)
             : redisAsyncConnect((char *) dmcf->redis_host.data,
                                 (int) dmcf->redis_port);
    }

    if (ac == NULL || ac->err) {
        if (!rd->failing) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "djass: cannot connect to Redis at \"%V\": %s",
                          &dmcf->redis, ac ? ac->errstr : "out of memory");
            rd->failing = 1;
        }

        if (ac) {
            redisAsyncFree(ac);
        }

        ngx_http_djass_redis_schedule(rd);
        return;
    }

    if (ngx_http_djass_redis_attach(&rd->link, ac) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_djass_redis_schedule(rd);
        return;
    }

    rd->generation++;
    rd->replies = 0;

    /* the first write event says the connection is up */
    redisAsyncSetConnectCallback(ac, ngx_http_djass_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_djass_redis_disconnected);

    if (dmcf->redis_password.len) {
        redisAsyncCommand(ac, ngx_http_djass_redis_auth_done, rd, "AUTH %b",
                          dmcf->redis_password.data,
                          dmcf->redis_password.len);
    }

    redisAsyncCommand(ac, ngx_http_djass_redis_load_done, rd,
                      "SCRIPT LOAD %b", ngx_http_djass_script.data,
                      ngx_http_djass_script.len);

    if (dmcf->sentinels) {
        /* a Sentinel may name the old master for a moment */
        redisAsyncCommand(ac, ngx_http_djass_redis_role_done, rd, "ROLE");
    }

    /*
     * the cache's CLIENT TRACKING, after ROLE: its invalidation connection
     * follows this one to the same address
     */
    ngx_http_djass_cache_track_data(rd);

    ngx_add_timer(&rd->timer, dmcf->redis_timeout);
}


void
ngx_http_djass_redis_schedule(ngx_http_djass_redis_t *rd)
{
    if (rd->exiting) {
        return;
    }

    rd->backoff = rd->backoff ? ngx_min(rd->backoff * 2,
                                        NGX_HTTP_DJASS_BACKOFF_MAX)
                              : NGX_HTTP_DJASS_BACKOFF_MIN;

    ngx_add_timer(&rd->timer, rd->backoff);
}


/*
 * Where the data connection goes now: the configured address, or with
 * Sentinels the master they named last (NULL before any answer).  The
 * cache's invalidation connection (ngx_http_djass_cache_track.c) follows.
 */

u_char *
ngx_http_djass_redis_address(ngx_http_djass_redis_t *rd, ngx_int_t *port,
    ngx_uint_t *unix_socket)
{
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = rd->dmcf;

    if (dmcf->sentinels) {
        if (rd->master[0] == '\0') {
            return NULL;
        }

        *port = rd->master_port;
        *unix_socket = 0;
        return rd->master;
    }

    *port = dmcf->redis_port;
    *unix_socket = dmcf->redis_unix;
    return dmcf->redis_host.data;
}


/* the adapter has closed the connection: open a new one after a backoff */

static void
ngx_http_djass_redis_closed(ngx_http_djass_link_t *link)
{
    ngx_http_djass_redis_t  *rd = link->data;

    if (link->shutdown) {
        rd->exiting = 1;
    }

    if (!rd->exiting) {
        ngx_http_djass_metrics_connected(rd->dmcf, 0);
    }

    /* the tracking went with the connection: the cache is dropped */
    ngx_http_djass_cache_track_data_lost(rd);

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    ngx_http_djass_redis_schedule(rd);
}


/*
 * A Sentinel announced a new master: leave the old one now, and connect
 * (through the Sentinels) at once, not after a backoff.
 */

void
ngx_http_djass_redis_move(ngx_http_djass_redis_t *rd)
{
    if (rd->exiting) {
        return;
    }

    rd->backoff = 0;

    if (rd->link.ac) {
        rd->failing = 1;
        redisAsyncFree(rd->link.ac);
    }

    if (rd->asking || rd->link.ac) {
        /* a query is under way, or the free was deferred */
        return;
    }

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    ngx_add_timer(&rd->timer, 1);
}


/* the reconnect time has come, or the connect timeout has passed */

static void
ngx_http_djass_redis_timer(ngx_event_t *ev)
{
    ngx_http_djass_redis_t  *rd = ev->data;

    if (rd->link.ac == NULL) {
        ngx_http_djass_redis_connect(rd);
        return;
    }

    if (!rd->link.connected) {
        if (!rd->failing) {
            ngx_log_error(NGX_LOG_ERR, rd->log, NGX_ETIMEDOUT,
                          "djass: cannot connect to Redis at \"%V\"",
                          &rd->dmcf->redis);
            rd->failing = 1;
        }

        redisAsyncFree(rd->link.ac);
    }
}


static void
ngx_http_djass_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_djass_redis_t  *rd = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context next: cleanup() schedules a retry */
        if (!rd->failing) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "djass: cannot connect to Redis at \"%V\": %s",
                          &rd->dmcf->redis, ac->errstr);
            rd->failing = 1;
        }

        return;
    }

    rd->link.connected = 1;
    rd->backoff = 0;

    ngx_http_djass_metrics_connected(rd->dmcf, 1);

    if (rd->generation > 1) {
        ngx_http_djass_metrics_redis_event(rd->dmcf,
                                           NGX_HTTP_DJASS_M_RECONNECT);
    }

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    if (rd->failing) {
        if (rd->dmcf->sentinels) {
            ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                          "djass: connected to Redis at \"%V\": "
                          "master %s:%i", &rd->dmcf->redis, rd->master,
                          rd->master_port);

        } else {
            ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                          "djass: connected to Redis at \"%V\"",
                          &rd->dmcf->redis);
        }

        rd->failing = 0;
    }
}


static void
ngx_http_djass_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_djass_redis_t  *rd = ac->data;

    if (status != REDIS_OK && !rd->failing && !rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "djass: lost the connection to Redis at \"%V\": %s",
                      &rd->dmcf->redis,
                      ac->errstr ? ac->errstr : "closed");
        rd->failing = 1;
    }
}


static void
ngx_http_djass_redis_auth_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    if (rr == NULL || rr->type != REDIS_REPLY_ERROR) {
        return;
    }

    if (!rd->failing) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "djass: Redis at \"%V\" refused AUTH: %s",
                      &rd->dmcf->redis, rr->str);
        rd->failing = 1;
    }

    /* deferred by hiredis until this callback returns */
    redisAsyncFree(ac);
}


static void
ngx_http_djass_redis_load_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    if (rr == NULL) {
        return;
    }

    if (rr->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "djass: SCRIPT LOAD on Redis at \"%V\" failed: %s",
                      &rd->dmcf->redis, rr->str);
        return;
    }

    if (rr->type != REDIS_REPLY_STRING
        || rr->len != sizeof(rd->sha)
        || ngx_strncmp(rr->str, rd->sha, sizeof(rd->sha)) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "djass: Redis at \"%V\" loaded the script under "
                      "an unexpected SHA1", &rd->dmcf->redis);
    }
}


static void
ngx_http_djass_redis_role_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    if (rr == NULL) {
        return;
    }

    if (rr->type == REDIS_REPLY_ARRAY && rr->elements > 0
        && rr->element[0]->type == REDIS_REPLY_STRING
        && ngx_strcmp(rr->element[0]->str, "master") == 0)
    {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                  "djass: %s:%i, named master by the Sentinels of \"%V\", "
                  "is not a master (yet): asking again", rd->master,
                  rd->master_port, &rd->dmcf->redis);

    rd->failing = 1;
    ngx_http_djass_sentinel_distrust(rd);
    redisAsyncFree(ac);
}


/* --- calls -------------------------------------------------------------- */

/*
 * Runs the API script for request r, its KEYS the first nkeys of args and
 * its ARGV the rest; handler gets the reply.  NGX_OK: the call is on its
 * way; NGX_HTTP_DJASS_NO_REDIS: there is no connection to Redis now
 * (answer 503); NGX_ERROR: out of memory.
 */

ngx_int_t
ngx_http_djass_redis_script(ngx_http_request_t *r, ngx_str_t *args,
    ngx_uint_t nkeys, ngx_uint_t nargs, ngx_uint_t wait,
    ngx_http_djass_redis_pt handler, void *data)
{
    return ngx_http_djass_redis_call(r, NULL, args, nkeys, nargs, wait,
                                     handler, data);
}


/*
 * The same for another script (lua; NULL is the API script).  Its
 * round trips stay out of the API's histogram
 * (djass_redis_request_duration_seconds).
 */

ngx_int_t
ngx_http_djass_redis_call(ngx_http_request_t *r, ngx_http_djass_lua_t *lua,
    ngx_str_t *args, ngx_uint_t nkeys, ngx_uint_t nargs, ngx_uint_t wait,
    ngx_http_djass_redis_pt handler, void *data)
{
    u_char                       digest[SHA_DIGEST_LENGTH];
    ngx_http_cleanup_t          *cln;
    ngx_http_djass_ctx_t        *ctx;
    ngx_http_djass_redis_t      *rd;
    ngx_http_djass_redis_op_t   *op;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_djass_module);
    rd = dmcf->redis_conn;

    if (rd == NULL || rd->link.ac == NULL) {
        return NGX_HTTP_DJASS_NO_REDIS;
    }

    ctx = ngx_http_djass_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (lua && lua->sha[0] == '\0') {
        SHA1(lua->text.data, lua->text.len, digest);
        ngx_hex_dump(lua->sha, digest, SHA_DIGEST_LENGTH);
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    op = ngx_http_djass_redis_op_alloc(r->connection->log);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->rd = rd;
    op->request = r;
    op->ctx = ctx;
    op->handler = handler;
    op->data = data;
    op->lua = lua;
    op->args = args;
    op->nkeys = nkeys;
    op->nargs = nargs;
    op->wait = (wait && dmcf->redis_wait) ? 1 : 0;
    op->sent_us = ngx_http_djass_metrics_now_us();

    if (ngx_http_djass_redis_send(rd, op, r->pool, 0) != NGX_OK) {
        ngx_http_djass_redis_op_free(op);
        return NGX_HTTP_DJASS_NO_REDIS;
    }

    op->deadline = ngx_current_msec + dmcf->redis_timeout;
    ngx_queue_insert_tail(&rd->pending, &op->queue);

    if (!rd->late.timer_set) {
        ngx_add_timer(&rd->late, dmcf->redis_timeout);
    }

    ctx->op = op;
    cln->handler = ngx_http_djass_redis_request_cleanup;
    cln->data = ctx;

    return NGX_OK;
}


/*
 * EVALSHA sha nkeys args..., or EVAL script nkeys args... after a
 * NOSCRIPT, written as RESP into the request pool: hiredis only appends
 * it.
 */

static ngx_int_t
ngx_http_djass_redis_send(ngx_http_djass_redis_t *rd,
    ngx_http_djass_redis_op_t *op, ngx_pool_t *pool, ngx_uint_t eval)
{
    size_t       len;
    u_char      *cmd, *p, *nk, number[NGX_SIZE_T_LEN];
    ngx_str_t    head, *a, *last;

    if (eval) {
        head = op->lua ? op->lua->text : ngx_http_djass_script;

    } else {
        head.data = op->lua ? op->lua->sha : rd->sha;
        head.len = sizeof(rd->sha);
    }

    len = sizeof("*\r\n$7\r\nEVALSHA\r\n$\r\n\r\n$\r\n\r\n") - 1
          + 4 * NGX_SIZE_T_LEN + head.len;

    last = op->args + op->nargs;

    for (a = op->args; a < last; a++) {
        len += sizeof("$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + a->len;
    }

    cmd = ngx_pnalloc(pool, len);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(cmd, "*%ui\r\n%s\r\n$%uz\r\n%V\r\n",
                    op->nargs + 3, eval ? "$4\r\nEVAL" : "$7\r\nEVALSHA",
                    head.len, &head);

    /* numkeys: a bulk string like every argument */
    nk = ngx_http_djass_redis_number(number, op->nkeys);
    *p++ = '$';
    p = ngx_http_djass_redis_number(p, nk - number);
    *p++ = '\r';
    *p++ = '\n';
    p = ngx_cpymem(p, number, nk - number);
    *p++ = '\r';
    *p++ = '\n';

    for (a = op->args; a < last; a++) {
        *p++ = '$';
        p = ngx_http_djass_redis_number(p, a->len);
        *p++ = '\r';
        *p++ = '\n';

        if (a->len) {
            p = ngx_cpymem(p, a->data, a->len);
        }

        *p++ = '\r';
        *p++ = '\n';
    }

    if (redisAsyncFormattedCommand(rd->link.ac, ngx_http_djass_redis_reply, op,
                                   (char *) cmd, p - cmd)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    if (op->wait) {
        /* in the same write: the reply is answered after both replies */
        if (redisAsyncCommand(rd->link.ac, ngx_http_djass_redis_wait_done,
                              op, "WAIT %lu %lu",
                              (unsigned long) rd->dmcf->redis_wait,
                              (unsigned long) rd->dmcf->redis_wait_timeout)
            == REDIS_OK)
        {
            op->waits++;

        } else {
            /* unreachable: the script's call was just taken */
            op->wait = 0;
        }
    }

    op->generation = rd->generation;
    op->replies = rd->replies;

    return NGX_OK;
}


/* a length in decimal: ngx_sprintf() is slow for the hot path */

static u_char *
ngx_http_djass_redis_number(u_char *p, size_t n)
{
    u_char  *start, *end, c;

    start = p;

    do {
        *p++ = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    for (end = p - 1; start < end; start++, end--) {
        c = *start;
        *start = *end;
        *end = c;
    }

    return p;
}


static void
ngx_http_djass_redis_reply(redisAsyncContext *ac, void *reply, void *data)
{
    ngx_http_djass_redis_op_t  *op = data;

    ngx_int_t                rc;
    ngx_str_t               *v, reply_text;
    ngx_uint_t               n;
    redisReply              *rr;
    ngx_http_request_t      *r;
    ngx_http_djass_redis_t  *rd;

    rd = ac->data;
    rr = reply;

    if (rr) {
        rd->replies++;

        if (op->lua == NULL) {
            ngx_http_djass_metrics_redis_time(rd->dmcf,
                                              ngx_http_djass_metrics_now_us()
                                              - op->sent_us);
        }

        if (rr->type == REDIS_REPLY_ERROR
            && (op->retried || ngx_strncmp(rr->str, "NOSCRIPT", 8) != 0))
        {
            ngx_http_djass_metrics_redis_event(rd->dmcf,
                                               NGX_HTTP_DJASS_M_ERROR);
        }
    }

    r = op->request;

    if (r == NULL || rd->exiting) {
        /* the request is gone or answered already, or the worker exits */
        if (r) {
            ngx_http_djass_redis_detach(op);
        }

        if (op->waits == 0) {
            ngx_http_djass_redis_op_free(op);
        }

        return;
    }

    v = NULL;
    n = 0;

    if (rr == NULL) {
        /*
         * the connection is gone, maybe after Redis ran the call: its
         * loss is logged once, not here
         */
        rc = NGX_AGAIN;

    } else if (rr->type == REDIS_REPLY_ERROR) {

        if (!op->retried && ngx_strncmp(rr->str, "NOSCRIPT", 8) == 0) {
            op->retried = 1;

            /* with a WAIT of its own after it: this one's is ignored */
            if (ngx_http_djass_redis_send(rd, op, r->pool, 1) == NGX_OK) {
                return;
            }
        }

        if (rd->dmcf->sentinels && ngx_http_djass_sentinel_moved(rr)) {
            /* a replica now, or not ready: ask the Sentinels again */
            if (!rd->failing) {
                ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                              "djass: Redis at %s:%i answered \"%s\": "
                              "asking the Sentinels of \"%V\" again",
                              rd->master, rd->master_port, rr->str,
                              &rd->dmcf->redis);
                rd->failing = 1;
            }

            ngx_http_djass_sentinel_distrust(rd);

            /* deferred by hiredis until this callback returns */
            redisAsyncFree(ac);

            if (op->waits) {
                /* answered when its WAIT gets its (NULL) reply */
                op->rc = NGX_AGAIN;
                op->done = 1;
                return;
            }

            ngx_http_djass_redis_finish(op, NGX_AGAIN, NULL, 0);
            ngx_http_djass_redis_op_free(op);
            return;
        }

        reply_text.data = (u_char *) rr->str;
        reply_text.len = rr->len;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: Redis at \"%V\" answered: %V",
                      &rd->dmcf->redis,
                      ngx_http_djass_log_escape(r->pool, &reply_text));

        /*
         * a failing script is a bug; the rest is Redis not ready, and
         * refusing the call before running it
         */
        rc = (ngx_strstr(rr->str, "user_script")
              || ngx_strstr(rr->str, "Error running script")
              || ngx_strncmp(rr->str, "WRONGTYPE", 9) == 0)
             ? NGX_ERROR : NGX_HTTP_DJASS_NO_REDIS;

    } else {
        rc = ngx_http_djass_redis_copy(r, rr, &v, &n);
    }

    if (op->waits) {
        /* answered when WAIT is */
        op->rc = rc;
        op->v = v;
        op->n = n;
        op->done = 1;
        return;
    }

    ngx_http_djass_redis_finish(op, rc, v, n);
    ngx_http_djass_redis_op_free(op);
}


/*
 * djass_redis_wait: the WAIT after a create.  Fewer replicas than asked
 * (or none, when the connection went) and the project may still exist:
 * NGX_HTTP_DJASS_NOT_DURABLE, answered 503 with "may_have_been_applied".
 */

static void
ngx_http_djass_redis_wait_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    ngx_http_djass_redis_op_t  *op = data;

    ngx_int_t                rc;
    redisReply              *rr;
    ngx_http_djass_redis_t  *rd;

    rd = ac->data;
    rr = reply;

    if (rr) {
        rd->replies++;
    }

    if (--op->waits) {
        /* the WAIT of a call retried after NOSCRIPT */
        return;
    }

    /* the script's reply came before this one: nothing more will come */

    if (op->request == NULL || rd->exiting) {
        if (op->request) {
            ngx_http_djass_redis_detach(op);
        }

        ngx_http_djass_redis_op_free(op);
        return;
    }

    rc = op->done ? op->rc : NGX_AGAIN;

    if (rc == NGX_OK
        && (rr == NULL || rr->type != REDIS_REPLY_INTEGER
            || rr->integer < (long long) rd->dmcf->redis_wait))
    {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: WAIT on Redis at \"%V\": %s",
                      &rd->dmcf->redis,
                      rr == NULL ? "the connection was lost"
                      : rr->type == REDIS_REPLY_INTEGER
                        ? "too few replicas confirmed the create"
                        : rr->type == REDIS_REPLY_ERROR ? rr->str
                        : "unexpected reply");

        rc = NGX_HTTP_DJASS_NOT_DURABLE;
    }

    ngx_http_djass_redis_finish(op, rc, op->v, op->n);
    ngx_http_djass_redis_op_free(op);
}


/* the reply's strings into the request pool: hiredis frees the reply */

static ngx_int_t
ngx_http_djass_redis_copy(ngx_http_request_t *r, redisReply *reply,
    ngx_str_t **v, ngx_uint_t *n)
{
    size_t       i;
    ngx_str_t   *s;
    redisReply  *e;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "djass: unexpected reply type %d from Redis",
                      reply->type);
        return NGX_ERROR;
    }

    s = ngx_palloc(r->pool, reply->elements * sizeof(ngx_str_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];

        switch (e->type) {

        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            s[i].len = e->len;
            s[i].data = ngx_pnalloc(r->pool, e->len + 1);
            if (s[i].data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(s[i].data, e->str, e->len);
            s[i].data[e->len] = '\0';
            break;

        case REDIS_REPLY_INTEGER:
            s[i].data = ngx_pnalloc(r->pool, NGX_INT64_LEN + 1);
            if (s[i].data == NULL) {
                return NGX_ERROR;
            }

            s[i].len = ngx_sprintf(s[i].data, "%L", e->integer)
                       - s[i].data;
            s[i].data[s[i].len] = '\0';
            break;

        case REDIS_REPLY_NIL:
            ngx_str_set(&s[i], "");
            break;

        default:
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "djass: unexpected element type %d in a Redis "
                          "reply", e->type);
            return NGX_ERROR;
        }
    }

    *v = s;
    *n = reply->elements;

    return NGX_OK;
}


/*
 * The request gets its answer, exactly once; as the call comes from the
 * Redis connection's event, the request's posted requests run here too.
 */

static void
ngx_http_djass_redis_finish(ngx_http_djass_redis_op_t *op, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = op->request;
    c = r->connection;

    ngx_http_djass_redis_detach(op);

    rc = op->handler(r, op->data, rc, v, n);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "djass finalize after the script call: %i", rc);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* the op forgets its request; it still waits for its reply, if any */

static void
ngx_http_djass_redis_detach(ngx_http_djass_redis_op_t *op)
{
    ngx_queue_remove(&op->queue);

    if (ngx_queue_empty(&op->rd->pending) && op->rd->late.timer_set) {
        /* nothing pending: no timer to keep a worker from exiting */
        ngx_del_timer(&op->rd->late);
    }

    op->ctx->op = NULL;
    op->request = NULL;
    op->ctx = NULL;
}


static ngx_http_djass_redis_op_t *
ngx_http_djass_redis_op_alloc(ngx_log_t *log)
{
    ngx_http_djass_redis_op_t  *op;

    op = ngx_http_djass_redis_free_ops;

    if (op) {
        ngx_http_djass_redis_free_ops = op->next;

    } else {
        op = ngx_alloc(sizeof(ngx_http_djass_redis_op_t), log);
        if (op == NULL) {
            return NULL;
        }
    }

    ngx_memzero(op, sizeof(ngx_http_djass_redis_op_t));

    return op;
}


static void
ngx_http_djass_redis_op_free(ngx_http_djass_redis_op_t *op)
{
    op->next = ngx_http_djass_redis_free_ops;
    ngx_http_djass_redis_free_ops = op;
}


/*
 * The oldest pending call has reached its deadline: it and all others that
 * have are answered 503 now, and wait for their replies alone.  If nothing
 * at all came back on the connection since the oldest was sent, the
 * connection is dead or Redis hangs: drop it, to open a new one.
 */

static void
ngx_http_djass_redis_late(ngx_event_t *ev)
{
    ngx_http_djass_redis_t  *rd = ev->data;

    ngx_uint_t                  late, stalled;
    ngx_queue_t                *q;
    ngx_msec_int_t              left;
    ngx_http_djass_redis_op_t  *op;

    late = 0;
    stalled = 0;

    while (!ngx_queue_empty(&rd->pending)) {
        q = ngx_queue_head(&rd->pending);
        op = ngx_queue_data(q, ngx_http_djass_redis_op_t, queue);

        left = (ngx_msec_int_t) (op->deadline - ngx_current_msec);

        if (left > 0) {
            ngx_add_timer(&rd->late, (ngx_msec_t) left);
            break;
        }

        if (late++ == 0) {
            stalled = rd->link.ac && op->generation == rd->generation
                      && op->replies == rd->replies;
        }

        /* counted first: a scrape answered now sees its own timeout */
        ngx_http_djass_metrics_redis_event(rd->dmcf,
                                           NGX_HTTP_DJASS_M_TIMEOUT);
        ngx_http_djass_redis_finish(op, NGX_AGAIN, NULL, 0);
    }

    if (late == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, NGX_ETIMEDOUT,
                  "djass: Redis at \"%V\" did not answer within %M ms "
                  "(%ui call%s given up: 503 to API requests, scrapes "
                  "without the fleet's figures)", &rd->dmcf->redis,
                  rd->dmcf->redis_timeout, late, late == 1 ? "" : "s");

    if (stalled && rd->link.ac) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: Redis at \"%V\" answers nothing, "
                      "reconnecting", &rd->dmcf->redis);
        rd->failing = 1;
        redisAsyncFree(rd->link.ac);
    }
}


static void
ngx_http_djass_redis_request_cleanup(void *data)
{
    ngx_http_djass_ctx_t  *ctx = data;

    if (ctx->op) {
        ngx_http_djass_redis_detach(ctx->op);
    }
}
