/*
 * Fuzz target: the module's query-string and path parsing, from its own
 * source files -- GET /projects' limit, offset and status
 * (ngx_http_djass_list.c), the api_key query form of the key
 * (ngx_http_djass_auth.c), the decoding of a query value and the route of
 * a path with its project id (ngx_http_djass_router.c).  The input is the
 * query string (r->args); the same bytes are also routed as the path
 * after the API prefix.  nginx's own functions come from ngx_shim.c.
 *
 * Checks beyond ASan/UBSan: a valid query gives limit 1..100, an offset
 * in range and a known status; a decoded value is never longer than the
 * query; an id has at most 18 digits.
 */

#include "ngx_shim.h"

#include "ngx_http_djass_router.c"
#include "ngx_http_djass_list.c"
#include "ngx_http_djass_auth.c"


#define fuzz_assert(c)                                                       \
    if (!(c)) {                                                              \
        fprintf(stderr, "fuzz_query: %s:%d: %s\n", __FILE__, __LINE__, #c);  \
        abort();                                                             \
    }


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_int_t               rc;
    ngx_str_t               key, tail;
    ngx_uint_t              route, id;
    ngx_http_request_t     *r;
    ngx_http_djass_call_t   call;

    r = ngx_shim_request();
    r->args.data = ngx_shim_copy(data, size);
    r->args.len = size;

    ngx_memzero(&call, sizeof(ngx_http_djass_call_t));

    rc = ngx_http_djass_list_query(r, &call);
    fuzz_assert(rc == NGX_OK);

    if (call.code == NULL) {
        fuzz_assert(call.limit >= 1 && call.limit <= 100);
        fuzz_assert(call.offset <= (ngx_uint_t) NGX_MAX_INT_T_VALUE);
        fuzz_assert(call.filter.len <= sizeof("generating") - 1);

    } else {
        fuzz_assert(call.message != NULL && call.details != NULL);
        fuzz_assert(call.status == 422);
    }

    ngx_str_null(&key);
    rc = ngx_http_djass_query_key(r, &key);
    fuzz_assert(rc == NGX_OK || rc == NGX_HTTP_DJASS_NO_KEY);

    if (rc == NGX_OK) {
        fuzz_assert(key.len > 0 && key.len <= size);
    }

    tail.data = r->args.data;
    tail.len = size;
    id = 0;

    route = ngx_http_djass_route(&tail, &id);

    if (route == NGX_HTTP_DJASS_ROUTE_PROJECTS
        || route == NGX_HTTP_DJASS_ROUTE_OPTIONS)
    {
        fuzz_assert(id == 0);
    }

    fuzz_assert(id < 1000000000000000000ULL);

    ngx_shim_reset();

    return 0;
}
