/*
 * The events stream's parts shared by its two halves: the stream with its
 * request (ngx_http_djass_events.c) and the parked stream, held without
 * one between its events (ngx_http_djass_events_park.c).
 */

#ifndef _NGX_HTTP_DJASS_EVENTS_H_INCLUDED_
#define _NGX_HTTP_DJASS_EVENTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* ngx_http_djass_events.c */
extern ngx_str_t  ngx_http_djass_event_keepalive;

ngx_int_t ngx_http_djass_event_status(ngx_str_t *v, ngx_uint_t n,
    uint64_t *id, ngx_uint_t *final);
size_t ngx_http_djass_event_len(ngx_str_t *v);
u_char *ngx_http_djass_event(u_char *p, uint64_t id, ngx_str_t *v);
uint64_t ngx_http_djass_event_id(ngx_str_t *status, ngx_str_t *updated);
ngx_uint_t ngx_http_djass_final(ngx_str_t *status);
ngx_int_t ngx_http_djass_events_hold(ngx_http_request_t *r);

/*
 * ngx_http_djass_events_park.c: r, a stream after its event (sent, the
 * event's id; digest, its key's), waits parked.  NGX_OK: r is given up,
 * as for ngx_http_djass_wait_project() (the caller ends with NGX_DONE);
 * NGX_DECLINED: r cannot be parked, it waits with its request.
 */
ngx_int_t ngx_http_djass_events_park(ngx_http_request_t *r, ngx_str_t *id,
    uint64_t sent, ngx_str_t *digest);


#endif /* _NGX_HTTP_DJASS_EVENTS_H_INCLUDED_ */
