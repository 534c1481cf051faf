/*
 * The Redis adapter: one asynchronous hiredis connection per nginx worker
 * process.  (Filled in by the Projects API work.)
 */


#include "ngx_http_djass_module.h"


ngx_int_t
ngx_http_djass_redis_init_process(ngx_cycle_t *cycle)
{
    return NGX_OK;
}


void
ngx_http_djass_redis_exit_process(ngx_cycle_t *cycle)
{
}
