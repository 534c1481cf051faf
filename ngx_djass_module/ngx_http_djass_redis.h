/*
 * The Redis connection of one nginx worker process, shared by the two
 * files that drive it: ngx_http_djass_redis.c (the connection's life and
 * the calls on it) and ngx_http_djass_redis_adapter.c (hiredis attached to
 * nginx's event loop).
 */

#ifndef _NGX_HTTP_DJASS_REDIS_H_INCLUDED_
#define _NGX_HTTP_DJASS_REDIS_H_INCLUDED_


#include <openssl/sha.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_djass_module.h"


typedef struct {
    redisAsyncContext           *ac;
    ngx_connection_t            *conn;
    ngx_event_t                  timer;       /* reconnect, connect timeout */
    ngx_event_t                  late;        /* the oldest op's deadline */
    ngx_queue_t                  pending;     /* ops with a request, by age */
    ngx_msec_t                   backoff;
    ngx_uint_t                   generation;  /* connections opened */
    ngx_uint_t                   replies;     /* replies on this one */
    ngx_log_t                   *log;
    ngx_http_djass_main_conf_t  *dmcf;

    unsigned                     connected:1;
    unsigned                     writing:1;
    unsigned                     failing:1;   /* a failure was logged */
    unsigned                     exiting:1;

    u_char                       sha[SHA_DIGEST_LENGTH * 2];
} ngx_http_djass_redis_t;


/* ngx_http_djass_redis.c */
void ngx_http_djass_redis_schedule(ngx_http_djass_redis_t *rd);
void ngx_http_djass_redis_closed(ngx_http_djass_redis_t *rd);

/* ngx_http_djass_redis_adapter.c */
ngx_int_t ngx_http_djass_redis_attach(ngx_http_djass_redis_t *rd,
    redisAsyncContext *ac);


#endif /* _NGX_HTTP_DJASS_REDIS_H_INCLUDED_ */
