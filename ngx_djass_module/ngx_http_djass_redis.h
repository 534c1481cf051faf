/*
 * The Redis connection of one nginx worker process, shared by the two
 * files that drive it: ngx_http_djass_redis.c (the connection's life and
 * the calls on it) and ngx_http_djass_redis_adapter.c (hiredis attached to
 * nginx's event loop).
 */

#ifndef _NGX_HTTP_DJASS_REDIS_H_INCLUDED_
#define _NGX_HTTP_DJASS_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/sha.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_djass_module.h"


typedef struct ngx_http_djass_link_s  ngx_http_djass_link_t;

typedef void (*ngx_http_djass_link_closed_pt)(ngx_http_djass_link_t *link);

/* one hiredis connection on nginx's event loop */
struct ngx_http_djass_link_s {
    redisAsyncContext              *ac;
    ngx_connection_t               *conn;
    ngx_log_t                      *log;
    void                           *data;      /* its owner, also ac->data */
    ngx_http_djass_link_closed_pt   closed;    /* after hiredis freed ac */

    unsigned                        connected:1;
    unsigned                        writing:1;
    unsigned                        shutdown:1; /* nginx closed it */
};


typedef struct {
    ngx_http_djass_link_t        link;        /* the data connection */
    ngx_event_t                  timer;       /* reconnect, connect timeout */
    ngx_event_t                  late;        /* the oldest op's deadline */
    ngx_queue_t                  pending;     /* ops with a request, by age */
    ngx_msec_t                   backoff;
    ngx_uint_t                   generation;  /* connections opened */
    ngx_uint_t                   replies;     /* replies on this one */
    ngx_log_t                   *log;
    ngx_http_djass_main_conf_t  *dmcf;

    unsigned                     failing:1;   /* a failure was logged */
    unsigned                     exiting:1;

    u_char                       sha[SHA_DIGEST_LENGTH * 2];

    /* with djass_redis sentinel://...: ngx_http_djass_sentinel.c */
    ngx_http_djass_link_t        query;       /* get-master-addr-by-name */
    ngx_http_djass_link_t        sub;         /* SUBSCRIBE +switch-master */
    ngx_event_t                  query_timer; /* timeout, or the next one */
    ngx_event_t                  sub_timer;   /* subscribe again */
    ngx_uint_t                   asked;       /* the Sentinel asked now */
    ngx_uint_t                   tried;       /* asked in this round */
    ngx_uint_t                   listened;    /* the one subscribed to */
    u_char                       master[NGX_SOCKADDR_STRLEN + 1];
    ngx_int_t                    master_port;

    unsigned                     asking:1;    /* a query is under way */
    unsigned                     resolved:1;  /* master[] is fresh */
    unsigned                     lost_sentinels:1; /* logged */
    unsigned                     lost_sub:1;  /* logged */
} ngx_http_djass_redis_t;


/* ngx_http_djass_redis.c */
void ngx_http_djass_redis_connect(ngx_http_djass_redis_t *rd);
void ngx_http_djass_redis_schedule(ngx_http_djass_redis_t *rd);
void ngx_http_djass_redis_move(ngx_http_djass_redis_t *rd);
u_char *ngx_http_djass_redis_address(ngx_http_djass_redis_t *rd,
    ngx_int_t *port, ngx_uint_t *unix_socket);

/* ngx_http_djass_redis_adapter.c */
ngx_int_t ngx_http_djass_redis_attach(ngx_http_djass_link_t *link,
    redisAsyncContext *ac);

/* ngx_http_djass_sentinel.c */
void ngx_http_djass_sentinel_init(ngx_http_djass_redis_t *rd);
void ngx_http_djass_sentinel_resolve(ngx_http_djass_redis_t *rd);
void ngx_http_djass_sentinel_exit(ngx_http_djass_redis_t *rd);
ngx_uint_t ngx_http_djass_sentinel_moved(redisReply *rr);
void ngx_http_djass_sentinel_distrust(ngx_http_djass_redis_t *rd);


#endif /* _NGX_HTTP_DJASS_REDIS_H_INCLUDED_ */
