/*
 * The few nginx functions the module's parsers call, for the fuzz targets
 * (t/fuzz/): Debian ships nginx's headers but not its sources, so the
 * targets compile the module's own files with nginx's headers and link
 * this shim instead of nginx's core.  Every pool allocation is a malloc
 * of its own, so that ASan sees an overrun of any one of them; all are
 * freed by ngx_shim_reset() after each input.
 */

#ifndef NGX_SHIM_H_INCLUDED
#define NGX_SHIM_H_INCLUDED


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* a request with a pool, a connection and a log (level 0: silent) */
ngx_http_request_t *ngx_shim_request(void);

/* a malloc'd copy of exactly len bytes (no NUL after it) */
u_char *ngx_shim_copy(const uint8_t *data, size_t len);

/* frees every allocation made since the last reset */
void ngx_shim_reset(void);


#endif /* NGX_SHIM_H_INCLUDED */
