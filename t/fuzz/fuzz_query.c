/*
 * Fuzz target: the module's query-string and path parsing, from its own
 * source files -- GET /projects' limit, offset and status
 * (ngx_http_djass_list.c), the api_key query form of the key
 * (ngx_http_djass_auth.c), the decoding of a query value and the route of
 * a path with its project id, and the one-shot's query as the JSON body
 * it stands for (ngx_http_djass_router.c).  The input is the query string
 * (r->args); the same bytes are also routed as the path after the API
 * prefix.  nginx's own functions come from ngx_shim.c.
 *
 * Checks beyond ASan/UBSan: a valid query gives limit 1..100, an offset
 * in range and a known status; a decoded value is never longer than the
 * query; an id has at most 18 digits; the one-shot's JSON stays within its
 * bound and is an object of strings unless a byte is one JSON refuses
 * (bad UTF-8).
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
    json_t                 *obj, *v;
    ngx_int_t               rc;
    ngx_str_t               key, tail, json;
    const char             *k;
    json_error_t            jerr;
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

    rc = ngx_http_djass_query_json(r, &json);
    fuzz_assert(rc == NGX_OK);
    fuzz_assert(json.len <= 2 + 6 * size + 6 * (size + 1));
    fuzz_assert(json.len >= 2 && json.data[0] == '{'
                && json.data[json.len - 1] == '}');

    obj = json_loadb((char *) json.data, json.len, JSON_ALLOW_NUL, &jerr);

    if (obj == NULL) {
        /* only bytes that are no UTF-8, or a NUL in a name, make it
         * invalid (the payload's parser says 400 invalid_payload) */
        fuzz_assert(json_error_code(&jerr) == json_error_invalid_utf8
                    || json_error_code(&jerr)
                       == json_error_null_byte_in_key);

    } else {
        fuzz_assert(json_is_object(obj));

        json_object_foreach(obj, k, v) {
            fuzz_assert(json_is_string(v));
        }

        json_decref(obj);
    }

    ngx_shim_reset();

    return 0;
}
