/*
 * The hiredis adapter for nginx's event loop, as hiredis keeps its own
 * adapters (adapters/libevent.h, ...) apart from the protocol: a hiredis
 * async context gets an nginx connection for its socket, and hiredis's
 * addRead/delRead/addWrite/delWrite/cleanup hooks become nginx events.
 *
 * - Commands are pipelined: hiredis appends each to its output buffer and
 *   asks for a write, which is posted, so that all the commands of one
 *   event loop iteration leave in one write(2).
 * - nginx's epoll events are edge-triggered and hiredis would read 16 KiB
 *   per event: the read handler reads the socket itself until it is
 *   drained, feeds hiredis's reader and has hiredis run the callbacks.
 * - When hiredis frees the context, the nginx connection goes with it and
 *   the link's owner is told (link->closed), to open a new one.
 * - A TCP link has keepalive probes (after 15 s idle, every 5 s, 3 of
 *   them), so that a peer gone without a word is noticed by the kernel
 *   too; the read cache's heartbeat (ngx_http_djass_cache_track.c) is
 *   the faster check for its own connection.
 * - A link is one such connection: the data connection of
 *   ngx_http_djass_redis.c, a Sentinel's (ngx_http_djass_sentinel.c) or
 *   the read cache's invalidation connection (ngx_http_djass_cache_track.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_redis.h"


#define NGX_HTTP_DJASS_READ_SIZE    65536

#define NGX_HTTP_DJASS_KEEPIDLE     15
#define NGX_HTTP_DJASS_KEEPINTVL    5
#define NGX_HTTP_DJASS_KEEPCNT      3


/* exported by hiredis 0.14 but not declared in its async.h */
void redisProcessCallbacks(redisAsyncContext *ac);


static void ngx_http_djass_redis_keepalive(ngx_http_djass_link_t *link,
    redisAsyncContext *ac);
static void ngx_http_djass_redis_read_handler(ngx_event_t *rev);
static void ngx_http_djass_redis_write_handler(ngx_event_t *wev);
static void ngx_http_djass_redis_add_read(void *data);
static void ngx_http_djass_redis_del_read(void *data);
static void ngx_http_djass_redis_add_write(void *data);
static void ngx_http_djass_redis_del_write(void *data);
static void ngx_http_djass_redis_cleanup(void *data);


/* one read buffer per worker */
static u_char  ngx_http_djass_redis_buf[NGX_HTTP_DJASS_READ_SIZE];


/* the context's socket as an nginx connection, reading from now on */

ngx_int_t
ngx_http_djass_redis_attach(ngx_http_djass_link_t *link,
    redisAsyncContext *ac)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, link->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = link;
    c->read->handler = ngx_http_djass_redis_read_handler;
    c->write->handler = ngx_http_djass_redis_write_handler;
    c->read->log = link->log;
    c->write->log = link->log;

    link->ac = ac;
    link->conn = c;
    link->connected = 0;
    link->shutdown = 0;

    ac->data = link->data;
    ac->ev.data = link;
    ac->ev.addRead = ngx_http_djass_redis_add_read;
    ac->ev.delRead = ngx_http_djass_redis_del_read;
    ac->ev.addWrite = ngx_http_djass_redis_add_write;
    ac->ev.delWrite = ngx_http_djass_redis_del_write;
    ac->ev.cleanup = ngx_http_djass_redis_cleanup;

    ngx_http_djass_redis_keepalive(link, ac);
    ngx_http_djass_redis_add_read(link);

    return NGX_OK;
}


static void
ngx_http_djass_redis_keepalive(ngx_http_djass_link_t *link,
    redisAsyncContext *ac)
{
    int  on;

    if (ac->c.connection_type != REDIS_CONN_TCP) {
        return;
    }

    on = 1;

    if (setsockopt(ac->c.fd, SOL_SOCKET, SO_KEEPALIVE, (const void *) &on,
                   sizeof(int))
        == -1)
    {
        ngx_log_error(NGX_LOG_WARN, link->log, ngx_socket_errno,
                      "djass: setsockopt(SO_KEEPALIVE) on a Redis "
                      "connection failed");
        return;
    }

#if (NGX_HAVE_KEEPALIVE_TUNABLE)
    {
        int  idle, intvl, cnt;

        idle = NGX_HTTP_DJASS_KEEPIDLE;
        intvl = NGX_HTTP_DJASS_KEEPINTVL;
        cnt = NGX_HTTP_DJASS_KEEPCNT;

        if (setsockopt(ac->c.fd, IPPROTO_TCP, TCP_KEEPIDLE,
                       (const void *) &idle, sizeof(int))
            == -1
            || setsockopt(ac->c.fd, IPPROTO_TCP, TCP_KEEPINTVL,
                          (const void *) &intvl, sizeof(int))
               == -1
            || setsockopt(ac->c.fd, IPPROTO_TCP, TCP_KEEPCNT,
                          (const void *) &cnt, sizeof(int))
               == -1)
        {
            ngx_log_error(NGX_LOG_WARN, link->log, ngx_socket_errno,
                          "djass: setting the keepalive probes of a Redis "
                          "connection failed");
        }
    }
#endif
}


static void
ngx_http_djass_redis_read_handler(ngx_event_t *rev)
{
    ssize_t                  n;
    ngx_err_t                err;
    ngx_uint_t               eof;
    ngx_connection_t        *c;
    redisAsyncContext       *ac;
    ngx_http_djass_link_t   *link;

    c = rev->data;
    link = c->data;
    ac = link->ac;

    if (c->close) {
        /* worker_shutdown_timeout: the worker is closing everything */
        link->shutdown = 1;
        redisAsyncFree(ac);
        return;
    }

    if (!link->connected) {
        /* hiredis checks how the connect ended */
        redisAsyncHandleRead(ac);
        return;
    }

    eof = 0;

    for ( ;; ) {
        n = recv(c->fd, ngx_http_djass_redis_buf, NGX_HTTP_DJASS_READ_SIZE, 0);

        if (n > 0) {
            if (redisReaderFeed(ac->c.reader,
                                (char *) ngx_http_djass_redis_buf, n)
                != REDIS_OK)
            {
                eof = 1;
                break;
            }

            if (n == NGX_HTTP_DJASS_READ_SIZE) {
                continue;
            }

            /* a short read: the socket is drained for now */
            rev->ready = 0;
            break;
        }

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            if (err == NGX_EAGAIN) {
                rev->ready = 0;
                break;
            }
        }

        /* end of file or an error: hiredis reads it again and closes */
        eof = 1;
        break;
    }

    redisProcessCallbacks(ac);

    if (link->ac != ac) {
        /* closed from a callback */
        return;
    }

    if (eof) {
        redisAsyncHandleRead(ac);
        return;
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        redisAsyncFree(ac);
    }
}


static void
ngx_http_djass_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t       *c;
    ngx_http_djass_link_t  *link;

    c = wev->data;
    link = c->data;

    if (link->ac == NULL) {
        return;
    }

    link->writing = 1;
    redisAsyncHandleWrite(link->ac);
    link->writing = 0;
}


static void
ngx_http_djass_redis_add_read(void *data)
{
    ngx_http_djass_link_t  *link = data;

    if (link->conn && !link->conn->read->active) {
        if (ngx_handle_read_event(link->conn->read, 0) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, link->log, 0,
                          "djass: cannot add a Redis read event");
        }
    }
}


static void
ngx_http_djass_redis_del_read(void *data)
{
    /* the read event stays: a reply or a close may come at any time */
}


/*
 * Connecting, or the socket buffer was full: wait for the event.
 * Otherwise post the write, so that the commands of this event loop
 * iteration go out together.
 */

static void
ngx_http_djass_redis_add_write(void *data)
{
    ngx_http_djass_link_t  *link = data;

    ngx_event_t  *wev;

    if (link->conn == NULL) {
        return;
    }

    wev = link->conn->write;

    if (!link->connected || link->writing || !wev->ready) {
        wev->ready = 0;

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, link->log, 0,
                          "djass: cannot add a Redis write event");
        }

        return;
    }

    if (!wev->posted) {
        ngx_post_event(wev, &ngx_posted_events);
    }
}


static void
ngx_http_djass_redis_del_write(void *data)
{
    ngx_http_djass_link_t  *link = data;

    ngx_event_t  *wev;

    if (link->conn == NULL) {
        return;
    }

    wev = link->conn->write;

    if (wev->posted) {
        ngx_delete_posted_event(wev);
    }

    if (!(ngx_event_flags & NGX_USE_CLEAR_EVENT) && wev->active) {
        /* level-triggered events would report "writable" forever */
        (void) ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis frees the context and closes the socket right after this */

static void
ngx_http_djass_redis_cleanup(void *data)
{
    ngx_http_djass_link_t  *link = data;

    ngx_connection_t  *c;

    c = link->conn;

    if (c) {
        if (ngx_del_conn) {
            (void) ngx_del_conn(c, NGX_CLOSE_EVENT);

        } else {
            if (c->read->active || c->read->disabled) {
                (void) ngx_del_event(c->read, NGX_READ_EVENT,
                                     NGX_CLOSE_EVENT);
            }

            if (c->write->active || c->write->disabled) {
                (void) ngx_del_event(c->write, NGX_WRITE_EVENT,
                                     NGX_CLOSE_EVENT);
            }
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        c->read->closed = 1;
        c->write->closed = 1;

        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;

        link->conn = NULL;
    }

    if (link->ac == NULL) {
        return;
    }

    link->ac = NULL;
    link->connected = 0;

    link->closed(link);
}
