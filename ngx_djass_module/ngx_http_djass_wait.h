/*
 * Requests that wait for a project's next status change, woken by this
 * worker process itself (ngx_http_djass_wait.c): no Redis command per
 * waiting request.
 */

#ifndef _NGX_HTTP_DJASS_WAIT_H_INCLUDED_
#define _NGX_HTTP_DJASS_WAIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


typedef void (*ngx_http_djass_wait_pt)(ngx_http_request_t *r,
    ngx_uint_t timed_out);

/*
 * r waits for the next status change of project `id` (or `timeout` ms):
 * the handler runs once, in r's context (as a posted/event handler, never
 * re-entrantly), with timed_out 0 on a change (or a reconnect: re-check)
 * and 1 on the timeout.  The handler re-checks and may call
 * ngx_http_djass_wait_project again.  NGX_OK or NGX_ERROR.  A client abort
 * removes the waiter without calling the handler.
 *
 * The request's references: on NGX_OK the wait holds one of its own
 * (r->main->count++), so the caller ends as usual with NGX_DONE (e.g. its
 * script reply handler returns NGX_DONE).  The handler is given that
 * reference: it ends like a content handler, with exactly one
 * ngx_http_finalize_request(r, rc) -- rc NGX_DONE after it waits again or
 * sent a script call, the answer's rc otherwise.
 *
 * While the worker process is exiting (nginx -s reload, quit) every waiter
 * is woken with timed_out 1 within a second, and a new wait is answered at
 * once with timed_out 1: a handler that waits again on a timeout must stop
 * when ngx_exiting is set.
 */
ngx_int_t ngx_http_djass_wait_project(ngx_http_request_t *r, ngx_str_t *id,
    ngx_msec_t timeout, ngx_http_djass_wait_pt handler);

/*
 * The same for a parked events stream, which has no request
 * (ngx_http_djass_events_park.c): the waiter is its own (*waiter, NULL the
 * first time, then reused), freed by ngx_http_djass_wait_unpark(); seen is
 * ngx_http_djass_wait_mark() when it last read the status.
 */
typedef void (*ngx_http_djass_park_wait_pt)(void *data, ngx_uint_t timed_out);

ngx_int_t ngx_http_djass_wait_park(void **waiter, ngx_str_t *id,
    ngx_msec_t timeout, ngx_uint_t seen, ngx_http_djass_park_wait_pt handler,
    void *data, ngx_log_t *log);
void ngx_http_djass_wait_unpark(void *waiter);
ngx_uint_t ngx_http_djass_wait_mark(void);
ngx_uint_t ngx_http_djass_wait_cleanup_is(ngx_pool_cleanup_pt h);

/* the cache's tracking (ngx_http_djass_cache.c): a project was written */
void ngx_http_djass_wait_wake(u_char *id, size_t len);

/* every waiter re-checks: tracking (re)started, Redis was flushed */
void ngx_http_djass_wait_wake_all(void);


#endif /* _NGX_HTTP_DJASS_WAIT_H_INCLUDED_ */
