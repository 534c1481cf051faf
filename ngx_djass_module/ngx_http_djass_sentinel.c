/*
 * djass_redis sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME: the master's
 * address comes from Redis Sentinel, asked without blocking, on hiredis
 * async connections of their own (ngx_http_djass_redis_adapter.c, like the
 * data connection).
 *
 * - Before every connect of the data connection (the first, and after a
 *   lost connection, a failed connect, a -READONLY/-LOADING/-MASTERDOWN
 *   reply, or a ROLE that is not "master"), each Sentinel in turn is asked
 *   "SENTINEL get-master-addr-by-name NAME", each within
 *   djass_sentinel_timeout; the first answer is connected to.  When none
 *   answers, the data connection's backoff applies and the round starts
 *   again.
 * - One more connection listens to a Sentinel for +switch-master: when the
 *   Sentinels decide a failover of NAME, the data connection is dropped and
 *   opened again at once, at the new master, not only when the old one
 *   breaks.  A lost listening connection moves to the next Sentinel after
 *   a second.
 * - djass_sentinel_password is sent with AUTH to the Sentinels (Redis's
 *   own password stays djass_redis_password).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_redis.h"


#define NGX_HTTP_DJASS_RESUBSCRIBE  1000


static void ngx_http_djass_sentinel_ask(ngx_http_djass_redis_t *rd);
static void ngx_http_djass_sentinel_next(ngx_http_djass_redis_t *rd);
static void ngx_http_djass_sentinel_query_timer(ngx_event_t *ev);
static void ngx_http_djass_sentinel_query_closed(
    ngx_http_djass_link_t *link);
static void ngx_http_djass_sentinel_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_djass_sentinel_auth_done(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_sentinel_answer(redisAsyncContext *ac,
    void *reply, void *data);
static void ngx_http_djass_sentinel_subscribe(ngx_http_djass_redis_t *rd);
static void ngx_http_djass_sentinel_sub_timer(ngx_event_t *ev);
static void ngx_http_djass_sentinel_sub_closed(ngx_http_djass_link_t *link);
static void ngx_http_djass_sentinel_message(redisAsyncContext *ac,
    void *reply, void *data);
static ngx_uint_t ngx_http_djass_sentinel_there(ngx_http_djass_redis_t *rd,
    u_char *p, u_char *last);
static redisAsyncContext *ngx_http_djass_sentinel_open(
    ngx_http_djass_redis_t *rd, ngx_http_djass_link_t *link,
    ngx_http_djass_sentinel_t *s);


void
ngx_http_djass_sentinel_init(ngx_http_djass_redis_t *rd)
{
    rd->query.log = rd->log;
    rd->query.data = rd;
    rd->query.closed = ngx_http_djass_sentinel_query_closed;

    rd->sub.log = rd->log;
    rd->sub.data = rd;
    rd->sub.closed = ngx_http_djass_sentinel_sub_closed;

    rd->query_timer.handler = ngx_http_djass_sentinel_query_timer;
    rd->query_timer.data = rd;
    rd->query_timer.log = rd->log;
    rd->query_timer.cancelable = 1;

    rd->sub_timer.handler = ngx_http_djass_sentinel_sub_timer;
    rd->sub_timer.data = rd;
    rd->sub_timer.log = rd->log;
    rd->sub_timer.cancelable = 1;

    /* the nginx worker processes do not all start at the same Sentinel */
    rd->asked = ngx_pid % rd->dmcf->sentinels->nelts;
    rd->listened = rd->asked;

    ngx_http_djass_sentinel_subscribe(rd);
}


void
ngx_http_djass_sentinel_exit(ngx_http_djass_redis_t *rd)
{
    if (rd->query_timer.timer_set) {
        ngx_del_timer(&rd->query_timer);
    }

    if (rd->sub_timer.timer_set) {
        ngx_del_timer(&rd->sub_timer);
    }

    if (rd->query.ac) {
        redisAsyncFree(rd->query.ac);
    }

    if (rd->sub.ac) {
        redisAsyncFree(rd->sub.ac);
    }
}


/* the errors that mean "this is not the master (now)" */

ngx_uint_t
ngx_http_djass_sentinel_moved(redisReply *rr)
{
    return ngx_strncmp(rr->str, "READONLY", 8) == 0
           || ngx_strncmp(rr->str, "LOADING", 7) == 0
           || ngx_strncmp(rr->str, "MASTERDOWN", 10) == 0;
}


/*
 * The master a Sentinel named is not one (ROLE, -READONLY...): that
 * Sentinel may not have heard of a failover yet, so the next round starts
 * at the next one rather than asking it again.
 */

void
ngx_http_djass_sentinel_distrust(ngx_http_djass_redis_t *rd)
{
    rd->asked = (rd->asked + 1) % rd->dmcf->sentinels->nelts;
}


/* --- asking for the master ---------------------------------------------- */

void
ngx_http_djass_sentinel_resolve(ngx_http_djass_redis_t *rd)
{
    if (rd->asking || rd->exiting) {
        return;
    }

    if (rd->query.ac) {
        /* the last answer's connection, not closed yet */
        redisAsyncFree(rd->query.ac);
    }

    rd->asking = 1;
    rd->tried = 0;

    ngx_http_djass_sentinel_ask(rd);
}


static void
ngx_http_djass_sentinel_ask(ngx_http_djass_redis_t *rd)
{
    redisAsyncContext           *ac;
    ngx_http_djass_sentinel_t   *s;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = rd->dmcf;

    if (rd->tried == dmcf->sentinels->nelts) {
        /* a round without an answer: the data connection's backoff */
        if (!rd->lost_sentinels) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "djass: no Sentinel of \"%V\" named the master; "
                          "asking again", &dmcf->redis);
            rd->lost_sentinels = 1;
        }

        rd->asking = 0;
        rd->failing = 1;
        ngx_http_djass_redis_schedule(rd);
        return;
    }

    s = (ngx_http_djass_sentinel_t *) dmcf->sentinels->elts + rd->asked;

    ac = ngx_http_djass_sentinel_open(rd, &rd->query, s);
    if (ac == NULL) {
        ngx_http_djass_sentinel_next(rd);
        return;
    }

    redisAsyncCommand(ac, ngx_http_djass_sentinel_answer, rd,
                      "SENTINEL get-master-addr-by-name %s",
                      dmcf->sentinel_master.data);

    if (rd->query_timer.timer_set) {
        ngx_del_timer(&rd->query_timer);
    }

    ngx_add_timer(&rd->query_timer, dmcf->sentinel_timeout);
}


/* this Sentinel did not answer: the next one, from the event loop */

static void
ngx_http_djass_sentinel_next(ngx_http_djass_redis_t *rd)
{
    rd->asked = (rd->asked + 1) % rd->dmcf->sentinels->nelts;
    rd->tried++;

    if (rd->query_timer.timer_set) {
        ngx_del_timer(&rd->query_timer);
    }

    ngx_add_timer(&rd->query_timer, 1);
}


static void
ngx_http_djass_sentinel_query_timer(ngx_event_t *ev)
{
    ngx_http_djass_redis_t  *rd = ev->data;

    ngx_http_djass_sentinel_t  *s;

    if (!rd->asking) {
        return;
    }

    if (rd->query.ac) {
        s = (ngx_http_djass_sentinel_t *) rd->dmcf->sentinels->elts
            + rd->asked;

        ngx_log_error(NGX_LOG_WARN, rd->log, NGX_ETIMEDOUT,
                      "djass: Sentinel %V:%i did not answer within %M ms",
                      &s->host, s->port, rd->dmcf->sentinel_timeout);

        /* query_closed() moves on */
        redisAsyncFree(rd->query.ac);
        return;
    }

    ngx_http_djass_sentinel_ask(rd);
}


static void
ngx_http_djass_sentinel_query_closed(ngx_http_djass_link_t *link)
{
    ngx_http_djass_redis_t  *rd = link->data;

    if (link->shutdown) {
        rd->exiting = 1;
    }

    if (rd->exiting || !rd->asking) {
        return;
    }

    ngx_http_djass_sentinel_next(rd);
}


static void
ngx_http_djass_sentinel_answer(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    size_t                      len;
    ngx_int_t                   port;
    ngx_http_djass_sentinel_t  *s;

    if (rr == NULL || !rd->asking) {
        return;
    }

    s = (ngx_http_djass_sentinel_t *) rd->dmcf->sentinels->elts + rd->asked;

    if (rr->type != REDIS_REPLY_ARRAY || rr->elements != 2
        || rr->element[0]->type != REDIS_REPLY_STRING
        || rr->element[1]->type != REDIS_REPLY_STRING
        || rr->element[0]->len == 0
        || rr->element[0]->len > NGX_SOCKADDR_STRLEN)
    {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: Sentinel %V:%i names no master \"%V\": %s",
                      &s->host, s->port, &rd->dmcf->sentinel_master,
                      rr->type == REDIS_REPLY_ERROR ? rr->str
                      : rr->type == REDIS_REPLY_NIL ? "unknown name"
                      : "unexpected reply");

        /* deferred by hiredis until this callback returns */
        redisAsyncFree(ac);
        return;
    }

    port = ngx_atoi((u_char *) rr->element[1]->str, rr->element[1]->len);

    if (port < 1 || port > 65535) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: Sentinel %V:%i names the port \"%s\"",
                      &s->host, s->port, rr->element[1]->str);
        redisAsyncFree(ac);
        return;
    }

    len = rr->element[0]->len;
    ngx_memcpy(rd->master, rr->element[0]->str, len);
    rd->master[len] = '\0';
    rd->master_port = port;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "djass sentinel %V names the master %s:%i", &s->host,
                   rd->master, rd->master_port);

    rd->asking = 0;
    rd->resolved = 1;
    rd->lost_sentinels = 0;

    if (rd->query_timer.timer_set) {
        ngx_del_timer(&rd->query_timer);
    }

    /* closed once this callback returns; query_closed() does nothing */
    redisAsyncDisconnect(ac);

    if (rd->sub.ac == NULL && !rd->sub_timer.timer_set) {
        ngx_http_djass_sentinel_subscribe(rd);
    }

    ngx_http_djass_redis_connect(rd);
}


/* --- a Sentinel's connection ------------------------------------------- */

static redisAsyncContext *
ngx_http_djass_sentinel_open(ngx_http_djass_redis_t *rd,
    ngx_http_djass_link_t *link, ngx_http_djass_sentinel_t *s)
{
    redisAsyncContext           *ac;
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = rd->dmcf;

    ac = redisAsyncConnect((char *) s->host.data, (int) s->port);

    if (ac == NULL || ac->err) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: cannot connect to Sentinel %V:%i: %s",
                      &s->host, s->port, ac ? ac->errstr : "out of memory");

        if (ac) {
            redisAsyncFree(ac);
        }

        return NULL;
    }

    if (ngx_http_djass_redis_attach(link, ac) != NGX_OK) {
        redisAsyncFree(ac);
        return NULL;
    }

    redisAsyncSetConnectCallback(ac, ngx_http_djass_sentinel_connected);

    if (dmcf->sentinel_password.len) {
        redisAsyncCommand(ac, ngx_http_djass_sentinel_auth_done, rd,
                          "AUTH %b", dmcf->sentinel_password.data,
                          dmcf->sentinel_password.len);
    }

    return ac;
}


static void
ngx_http_djass_sentinel_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_djass_redis_t  *rd = ac->data;

    ngx_http_djass_link_t  *link;

    link = (ac == rd->query.ac) ? &rd->query : &rd->sub;

    if (status != REDIS_OK) {
        /* hiredis frees the context next: the link's closed() moves on */
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: cannot connect to a Sentinel of \"%V\": %s",
                      &rd->dmcf->redis, ac->errstr);
        return;
    }

    link->connected = 1;
}


static void
ngx_http_djass_sentinel_auth_done(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    if (rr == NULL || rr->type != REDIS_REPLY_ERROR) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "djass: a Sentinel of \"%V\" refused AUTH: %s",
                  &rd->dmcf->redis, rr->str);

    redisAsyncFree(ac);
}


/* --- listening for +switch-master -------------------------------------- */

static void
ngx_http_djass_sentinel_subscribe(ngx_http_djass_redis_t *rd)
{
    redisAsyncContext          *ac;
    ngx_http_djass_sentinel_t  *s;

    if (rd->exiting) {
        return;
    }

    s = (ngx_http_djass_sentinel_t *) rd->dmcf->sentinels->elts
        + rd->listened;

    ac = ngx_http_djass_sentinel_open(rd, &rd->sub, s);
    if (ac == NULL) {
        rd->listened = (rd->listened + 1) % rd->dmcf->sentinels->nelts;
        ngx_add_timer(&rd->sub_timer, NGX_HTTP_DJASS_RESUBSCRIBE);
        return;
    }

    redisAsyncCommand(ac, ngx_http_djass_sentinel_message, rd,
                      "SUBSCRIBE +switch-master");
}


static void
ngx_http_djass_sentinel_sub_timer(ngx_event_t *ev)
{
    ngx_http_djass_redis_t  *rd = ev->data;

    if (rd->sub.ac == NULL) {
        ngx_http_djass_sentinel_subscribe(rd);
    }
}


static void
ngx_http_djass_sentinel_sub_closed(ngx_http_djass_link_t *link)
{
    ngx_http_djass_redis_t  *rd = link->data;

    if (link->shutdown) {
        rd->exiting = 1;
    }

    if (rd->exiting) {
        return;
    }

    if (!rd->lost_sub) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "djass: lost the Sentinel connection that listens "
                      "for failovers of \"%V\"; trying the next Sentinel",
                      &rd->dmcf->redis);
        rd->lost_sub = 1;
    }

    rd->listened = (rd->listened + 1) % rd->dmcf->sentinels->nelts;

    if (!rd->sub_timer.timer_set) {
        ngx_add_timer(&rd->sub_timer, NGX_HTTP_DJASS_RESUBSCRIBE);
    }
}


/*
 * ["subscribe", "+switch-master", 1] once, then
 * ["message", "+switch-master", "NAME OLD_IP OLD_PORT NEW_IP NEW_PORT"]
 */

static void
ngx_http_djass_sentinel_message(redisAsyncContext *ac, void *reply,
    void *data)
{
    redisReply              *rr = reply;
    ngx_http_djass_redis_t  *rd = data;

    u_char      *p, *last;
    size_t       len;
    redisReply  *kind, *text;

    if (rr == NULL || rr->type != REDIS_REPLY_ARRAY || rr->elements != 3) {
        return;
    }

    kind = rr->element[0];
    text = rr->element[2];

    if (kind->type != REDIS_REPLY_STRING) {
        return;
    }

    if (ngx_strcmp(kind->str, "subscribe") == 0) {
        if (rd->lost_sub) {
            ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                          "djass: listening for failovers of \"%V\" again",
                          &rd->dmcf->redis);
            rd->lost_sub = 0;
        }

        return;
    }

    if (ngx_strcmp(kind->str, "message") != 0
        || text->type != REDIS_REPLY_STRING)
    {
        return;
    }

    p = (u_char *) text->str;
    last = p + text->len;
    len = rd->dmcf->sentinel_master.len;

    if (text->len <= len || p[len] != ' '
        || ngx_strncmp(p, rd->dmcf->sentinel_master.data, len) != 0)
    {
        /* another master's failover */
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                  "djass: the Sentinels of \"%V\" moved the master: %*s",
                  &rd->dmcf->redis, (size_t) (last - p - len - 1),
                  p + len + 1);

    if (ngx_http_djass_sentinel_there(rd, p + len + 1, last)) {
        /* connected there already (asked after the switch): stay */
        return;
    }

    ngx_http_djass_redis_move(rd);
}


/*
 * "OLD_IP OLD_PORT NEW_IP NEW_PORT": the data connection is up at the new
 * address.  A Sentinel that learns of the switch late announces it late;
 * the connection it names is not left and opened again for nothing.
 */

static ngx_uint_t
ngx_http_djass_sentinel_there(ngx_http_djass_redis_t *rd, u_char *p,
    u_char *last)
{
    u_char     *host, *port;
    ngx_int_t   n;

    if (rd->link.ac == NULL || !rd->link.connected || rd->asking) {
        return 0;
    }

    port = last;

    while (port > p && port[-1] != ' ') {
        port--;
    }

    if (port == p || port == last) {
        return 0;
    }

    host = port - 1;

    while (host > p && host[-1] != ' ') {
        host--;
    }

    n = ngx_atoi(port, last - port);

    return n == rd->master_port
           && (size_t) (port - 1 - host) == ngx_strlen(rd->master)
           && ngx_strncmp(host, rd->master, port - 1 - host) == 0;
}
