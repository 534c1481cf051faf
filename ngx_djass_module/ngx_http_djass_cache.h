/*
 * The read cache (ngx_http_djass_cache.c) and the invalidations that keep
 * it exact (ngx_http_djass_cache_track.c): what the rest of the module
 * calls.
 */

#ifndef _NGX_HTTP_DJASS_CACHE_H_INCLUDED_
#define _NGX_HTTP_DJASS_CACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"


/*
 * the zone's counters, for djass_metrics to read; the last two are added
 * to without the zone's lock (ngx_atomic_fetch_add); the hits are counted
 * apart, in stripes (ngx_http_djass_cache_hits())
 */
typedef struct {
    ngx_atomic_uint_t            misses;
    ngx_atomic_uint_t            invalidations;  /* entries a write dropped */
    ngx_atomic_uint_t            flushes;        /* the whole cache dropped */
    ngx_atomic_uint_t            fills;
    ngx_atomic_uint_t            evictions;      /* the zone was full */
    ngx_atomic_uint_t            bypasses;       /* reads while in doubt */
    ngx_atomic_uint_t            doubts;         /* tracking put in doubt */
} ngx_http_djass_cache_stats_t;


/* ngx_http_djass_cache.c */
char *ngx_http_djass_cache_conf(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_int_t ngx_http_djass_cache_project(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t project_id, const char *op,
    ngx_http_djass_redis_pt handler);
void ngx_http_djass_cache_invalidate(ngx_http_djass_main_conf_t *dmcf,
    u_char *name, size_t len);
void ngx_http_djass_cache_live(ngx_http_djass_main_conf_t *dmcf,
    ngx_int_t live, const char *why);
ngx_uint_t ngx_http_djass_cache_tracked(void);
ngx_http_djass_cache_stats_t *ngx_http_djass_cache_stats(
    ngx_http_djass_main_conf_t *dmcf);
ngx_atomic_uint_t ngx_http_djass_cache_hits(ngx_http_djass_main_conf_t *dmcf);

/* ngx_http_djass_cache_track.c: the invalidation connection */
ngx_int_t ngx_http_djass_cache_track_init_process(ngx_cycle_t *cycle);
void ngx_http_djass_cache_track_exit_process(ngx_cycle_t *cycle);

/* hooks of the data connection (ngx_http_djass_redis.c) */
void ngx_http_djass_cache_track_data(void *rd);
void ngx_http_djass_cache_track_data_lost(void *rd);


#endif /* _NGX_HTTP_DJASS_CACHE_H_INCLUDED_ */
