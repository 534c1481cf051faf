/*
 * Project and status objects as the spec shapes them, written straight
 * from the strings the script returned: ids as integers, Unix seconds as
 * RFC 3339 UTC with a Z (null while unset), artifact_ready from the status
 * and input_payload verbatim (it is stored as the JSON the module made).
 */


#include "ngx_http_djass_module.h"


#define NGX_HTTP_DJASS_TIME_LEN  (sizeof("\"2026-03-11T12:00:00Z\"") - 1)


enum {
    NGX_HTTP_DJASS_P_ID = 0,
    NGX_HTTP_DJASS_P_NAME,
    NGX_HTTP_DJASS_P_SLUG,
    NGX_HTTP_DJASS_P_STATUS,
    NGX_HTTP_DJASS_P_ERROR,
    NGX_HTTP_DJASS_P_CREATED,
    NGX_HTTP_DJASS_P_UPDATED,
    NGX_HTTP_DJASS_P_STARTED,
    NGX_HTTP_DJASS_P_FINISHED,
    NGX_HTTP_DJASS_P_PAYLOAD
};


enum {
    NGX_HTTP_DJASS_S_ID = 0,
    NGX_HTTP_DJASS_S_STATUS,
    NGX_HTTP_DJASS_S_ERROR,
    NGX_HTTP_DJASS_S_STARTED,
    NGX_HTTP_DJASS_S_FINISHED,
    NGX_HTTP_DJASS_S_UPDATED
};


static ngx_uint_t ngx_http_djass_ready(ngx_str_t *status);
static u_char *ngx_http_djass_digits(u_char *p, ngx_uint_t n,
    ngx_uint_t width);


size_t
ngx_http_djass_project_len(ngx_str_t *v)
{
    return sizeof("{\"id\":,\"name\":,\"slug\":,\"status\":,"
                  "\"error_message\":,\"created_at\":,\"updated_at\":,"
                  "\"started_at\":,\"finished_at\":,"
                  "\"artifact_ready\":false,\"input_payload\":{}}") - 1
           + v[NGX_HTTP_DJASS_P_ID].len + 1
           + ngx_http_djass_json_str_len(v[NGX_HTTP_DJASS_P_NAME].data,
                                         v[NGX_HTTP_DJASS_P_NAME].len)
           + ngx_http_djass_json_str_len(v[NGX_HTTP_DJASS_P_SLUG].data,
                                         v[NGX_HTTP_DJASS_P_SLUG].len)
           + ngx_http_djass_json_str_len(v[NGX_HTTP_DJASS_P_STATUS].data,
                                         v[NGX_HTTP_DJASS_P_STATUS].len)
           + ngx_http_djass_json_str_len(v[NGX_HTTP_DJASS_P_ERROR].data,
                                         v[NGX_HTTP_DJASS_P_ERROR].len)
           + 4 * NGX_HTTP_DJASS_TIME_LEN
           + v[NGX_HTTP_DJASS_P_PAYLOAD].len;
}


u_char *
ngx_http_djass_project(u_char *p, ngx_str_t *v)
{
    ngx_str_t  *payload;

    p = ngx_cpymem(p, "{\"id\":", sizeof("{\"id\":") - 1);
    p = ngx_http_djass_integer(p, &v[NGX_HTTP_DJASS_P_ID]);

    p = ngx_cpymem(p, ",\"name\":", sizeof(",\"name\":") - 1);
    p = ngx_http_djass_json_str(p, v[NGX_HTTP_DJASS_P_NAME].data,
                                v[NGX_HTTP_DJASS_P_NAME].len);

    p = ngx_cpymem(p, ",\"slug\":", sizeof(",\"slug\":") - 1);
    p = ngx_http_djass_json_str(p, v[NGX_HTTP_DJASS_P_SLUG].data,
                                v[NGX_HTTP_DJASS_P_SLUG].len);

    p = ngx_cpymem(p, ",\"status\":", sizeof(",\"status\":") - 1);
    p = ngx_http_djass_json_str(p, v[NGX_HTTP_DJASS_P_STATUS].data,
                                v[NGX_HTTP_DJASS_P_STATUS].len);

    p = ngx_cpymem(p, ",\"error_message\":",
                   sizeof(",\"error_message\":") - 1);
    p = ngx_http_djass_json_str(p, v[NGX_HTTP_DJASS_P_ERROR].data,
                                v[NGX_HTTP_DJASS_P_ERROR].len);

    p = ngx_cpymem(p, ",\"created_at\":", sizeof(",\"created_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_P_CREATED]);

    p = ngx_cpymem(p, ",\"updated_at\":", sizeof(",\"updated_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_P_UPDATED]);

    p = ngx_cpymem(p, ",\"started_at\":", sizeof(",\"started_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_P_STARTED]);

    p = ngx_cpymem(p, ",\"finished_at\":", sizeof(",\"finished_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_P_FINISHED]);

    if (ngx_http_djass_ready(&v[NGX_HTTP_DJASS_P_STATUS])) {
        p = ngx_cpymem(p, ",\"artifact_ready\":true",
                       sizeof(",\"artifact_ready\":true") - 1);

    } else {
        p = ngx_cpymem(p, ",\"artifact_ready\":false",
                       sizeof(",\"artifact_ready\":false") - 1);
    }

    p = ngx_cpymem(p, ",\"input_payload\":", sizeof(",\"input_payload\":") - 1);

    payload = &v[NGX_HTTP_DJASS_P_PAYLOAD];

    if (payload->len && payload->data[0] == '{') {
        p = ngx_cpymem(p, payload->data, payload->len);

    } else {
        *p++ = '{';
        *p++ = '}';
    }

    *p++ = '}';

    return p;
}


size_t
ngx_http_djass_status_len(ngx_str_t *v)
{
    return sizeof("{\"id\":,\"status\":,\"error_message\":,"
                  "\"artifact_ready\":false,\"started_at\":,"
                  "\"finished_at\":,\"updated_at\":}") - 1
           + v[NGX_HTTP_DJASS_S_ID].len + 1
           + ngx_http_djass_json_str_len(v[NGX_HTTP_DJASS_S_STATUS].data,
                                         v[NGX_HTTP_DJASS_S_STATUS].len)
           + ngx_http_djass_json_str_len(v[NGX_HTTP_DJASS_S_ERROR].data,
                                         v[NGX_HTTP_DJASS_S_ERROR].len)
           + 3 * NGX_HTTP_DJASS_TIME_LEN;
}


/* the spec's seven fields, in its order */

u_char *
ngx_http_djass_status(u_char *p, ngx_str_t *v)
{
    p = ngx_cpymem(p, "{\"id\":", sizeof("{\"id\":") - 1);
    p = ngx_http_djass_integer(p, &v[NGX_HTTP_DJASS_S_ID]);

    p = ngx_cpymem(p, ",\"status\":", sizeof(",\"status\":") - 1);
    p = ngx_http_djass_json_str(p, v[NGX_HTTP_DJASS_S_STATUS].data,
                                v[NGX_HTTP_DJASS_S_STATUS].len);

    p = ngx_cpymem(p, ",\"error_message\":",
                   sizeof(",\"error_message\":") - 1);
    p = ngx_http_djass_json_str(p, v[NGX_HTTP_DJASS_S_ERROR].data,
                                v[NGX_HTTP_DJASS_S_ERROR].len);

    if (ngx_http_djass_ready(&v[NGX_HTTP_DJASS_S_STATUS])) {
        p = ngx_cpymem(p, ",\"artifact_ready\":true",
                       sizeof(",\"artifact_ready\":true") - 1);

    } else {
        p = ngx_cpymem(p, ",\"artifact_ready\":false",
                       sizeof(",\"artifact_ready\":false") - 1);
    }

    p = ngx_cpymem(p, ",\"started_at\":", sizeof(",\"started_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_S_STARTED]);

    p = ngx_cpymem(p, ",\"finished_at\":", sizeof(",\"finished_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_S_FINISHED]);

    p = ngx_cpymem(p, ",\"updated_at\":", sizeof(",\"updated_at\":") - 1);
    p = ngx_http_djass_time(p, &v[NGX_HTTP_DJASS_S_UPDATED]);

    *p++ = '}';

    return p;
}


/* the artifact is there to download once the worker says "ready" */

static ngx_uint_t
ngx_http_djass_ready(ngx_str_t *status)
{
    return status->len == sizeof("ready") - 1
           && ngx_strncmp(status->data, "ready", sizeof("ready") - 1) == 0;
}


/* Unix seconds as "2026-03-11T12:00:00Z"; empty or malformed: null */

u_char *
ngx_http_djass_time(u_char *p, ngx_str_t *value)
{
    time_t     t;
    ngx_tm_t   tm;

    t = value->len && value->len <= 12 ? ngx_atotm(value->data, value->len)
                                       : NGX_ERROR;

    if (t == NGX_ERROR) {
        return ngx_cpymem(p, "null", sizeof("null") - 1);
    }

    ngx_gmtime(t, &tm);

    /* written by hand: this is on the polling path */

    *p++ = '"';
    p = ngx_http_djass_digits(p, tm.ngx_tm_year, 4);
    *p++ = '-';
    p = ngx_http_djass_digits(p, tm.ngx_tm_mon, 2);
    *p++ = '-';
    p = ngx_http_djass_digits(p, tm.ngx_tm_mday, 2);
    *p++ = 'T';
    p = ngx_http_djass_digits(p, tm.ngx_tm_hour, 2);
    *p++ = ':';
    p = ngx_http_djass_digits(p, tm.ngx_tm_min, 2);
    *p++ = ':';
    p = ngx_http_djass_digits(p, tm.ngx_tm_sec, 2);
    *p++ = 'Z';
    *p++ = '"';

    return p;
}


static u_char *
ngx_http_djass_digits(u_char *p, ngx_uint_t n, ngx_uint_t width)
{
    ngx_uint_t  i;

    for (i = width; i; i--) {
        p[i - 1] = (u_char) ('0' + n % 10);
        n /= 10;
    }

    return p + width;
}


/* an id as a JSON number: it is digits, or it is 0 */

u_char *
ngx_http_djass_integer(u_char *p, ngx_str_t *value)
{
    if (value->len == 0 || value->len > NGX_INT64_LEN
        || ngx_atoof(value->data, value->len) == NGX_ERROR)
    {
        *p++ = '0';
        return p;
    }

    return ngx_cpymem(p, value->data, value->len);
}
