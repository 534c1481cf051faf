/*
 * Project and status objects as the spec shapes them, written straight
 * from the strings the script returned: ids as integers, Unix seconds as
 * RFC 3339 UTC with a Z (null while unset), artifact_ready from the status
 * and input_payload verbatim (it is stored as the JSON the module made).
 */


#include <ngx_config.h>
#include <ngx_core.h>
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
    NGX_HTTP_DJASS_P_PAYLOAD,
    NGX_HTTP_DJASS_P_EXPIRES
};


enum {
    NGX_HTTP_DJASS_S_ID = 0,
    NGX_HTTP_DJASS_S_STATUS,
    NGX_HTTP_DJASS_S_ERROR,
    NGX_HTTP_DJASS_S_STARTED,
    NGX_HTTP_DJASS_S_FINISHED,
    NGX_HTTP_DJASS_S_UPDATED
};


enum {
    NGX_HTTP_DJASS_INTEGER = 0,
    NGX_HTTP_DJASS_STRING,
    NGX_HTTP_DJASS_TIME,
    NGX_HTTP_DJASS_READY,        /* true once the status is "ready" */
    NGX_HTTP_DJASS_OBJECT        /* stored JSON, {} when it is none */
};


struct ngx_http_djass_field_s {
    ngx_str_t                    key;            /* "\"id\":" */
    ngx_uint_t                   type;
    ngx_uint_t                   value;          /* index in the reply */
};


static size_t ngx_http_djass_value_len(ngx_http_djass_field_t *f,
    ngx_str_t *value);
static u_char *ngx_http_djass_value(u_char *p, ngx_http_djass_field_t *f,
    ngx_str_t *value);
static ngx_uint_t ngx_http_djass_ready(ngx_str_t *status);
static u_char *ngx_http_djass_digits(u_char *p, ngx_uint_t n,
    ngx_uint_t width);


static ngx_http_djass_field_t  ngx_http_djass_project_fields[] = {
    { ngx_string("\"id\":"),
      NGX_HTTP_DJASS_INTEGER, NGX_HTTP_DJASS_P_ID },
    { ngx_string("\"name\":"),
      NGX_HTTP_DJASS_STRING, NGX_HTTP_DJASS_P_NAME },
    { ngx_string("\"slug\":"),
      NGX_HTTP_DJASS_STRING, NGX_HTTP_DJASS_P_SLUG },
    { ngx_string("\"status\":"),
      NGX_HTTP_DJASS_STRING, NGX_HTTP_DJASS_P_STATUS },
    { ngx_string("\"error_message\":"),
      NGX_HTTP_DJASS_STRING, NGX_HTTP_DJASS_P_ERROR },
    { ngx_string("\"created_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_P_CREATED },
    { ngx_string("\"updated_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_P_UPDATED },
    { ngx_string("\"started_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_P_STARTED },
    { ngx_string("\"finished_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_P_FINISHED },
    { ngx_string("\"artifact_ready\":"),
      NGX_HTTP_DJASS_READY, NGX_HTTP_DJASS_P_STATUS },
    { ngx_string("\"input_payload\":"),
      NGX_HTTP_DJASS_OBJECT, NGX_HTTP_DJASS_P_PAYLOAD },
    /* i22: added, after the spec's fields: null while retention is off */
    { ngx_string("\"expires_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_P_EXPIRES },
    { ngx_null_string, 0, 0 }
};


/* the spec's seven fields, in its order */

static ngx_http_djass_field_t  ngx_http_djass_status_fields[] = {
    { ngx_string("\"id\":"),
      NGX_HTTP_DJASS_INTEGER, NGX_HTTP_DJASS_S_ID },
    { ngx_string("\"status\":"),
      NGX_HTTP_DJASS_STRING, NGX_HTTP_DJASS_S_STATUS },
    { ngx_string("\"error_message\":"),
      NGX_HTTP_DJASS_STRING, NGX_HTTP_DJASS_S_ERROR },
    { ngx_string("\"artifact_ready\":"),
      NGX_HTTP_DJASS_READY, NGX_HTTP_DJASS_S_STATUS },
    { ngx_string("\"started_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_S_STARTED },
    { ngx_string("\"finished_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_S_FINISHED },
    { ngx_string("\"updated_at\":"),
      NGX_HTTP_DJASS_TIME, NGX_HTTP_DJASS_S_UPDATED },
    { ngx_null_string, 0, 0 }
};


ngx_http_djass_shape_t  ngx_http_djass_project_shape = {
    NGX_HTTP_DJASS_PROJECT_FIELDS, ngx_http_djass_project_fields
};

ngx_http_djass_shape_t  ngx_http_djass_status_shape = {
    NGX_HTTP_DJASS_STATUS_FIELDS, ngx_http_djass_status_fields
};


/* the "status" string of an object's values (v without the "ok") */

ngx_str_t *
ngx_http_djass_object_status(ngx_http_djass_shape_t *shape, ngx_str_t *v)
{
    ngx_http_djass_field_t  *f;

    for (f = shape->fields; f->key.len; f++) {
        if (f->type == NGX_HTTP_DJASS_STRING
            && f->key.len == sizeof("\"status\":") - 1
            && ngx_strncmp(f->key.data, "\"status\":", f->key.len) == 0)
        {
            return &v[f->value];
        }
    }

    return NULL;
}


/* an upper bound of what ngx_http_djass_object() writes */

size_t
ngx_http_djass_object_len(ngx_http_djass_shape_t *shape, ngx_str_t *v)
{
    size_t                   len;
    ngx_http_djass_field_t  *f;

    len = sizeof("}") - 1;

    for (f = shape->fields; f->key.len; f++) {
        len += sizeof(",") - 1 + f->key.len
               + ngx_http_djass_value_len(f, &v[f->value]);
    }

    return len;
}


u_char *
ngx_http_djass_object(u_char *p, ngx_http_djass_shape_t *shape,
    ngx_str_t *v)
{
    ngx_http_djass_field_t  *f;

    for (f = shape->fields; f->key.len; f++) {
        *p++ = (f == shape->fields) ? '{' : ',';
        p = ngx_cpymem(p, f->key.data, f->key.len);
        p = ngx_http_djass_value(p, f, &v[f->value]);
    }

    *p++ = '}';

    return p;
}


static size_t
ngx_http_djass_value_len(ngx_http_djass_field_t *f, ngx_str_t *value)
{
    switch (f->type) {

    case NGX_HTTP_DJASS_INTEGER:
        return value->len + 1;

    case NGX_HTTP_DJASS_STRING:
        return ngx_http_djass_json_str_len(value->data, value->len);

    case NGX_HTTP_DJASS_TIME:
        return NGX_HTTP_DJASS_TIME_LEN;

    case NGX_HTTP_DJASS_READY:
        return sizeof("false") - 1;

    default: /* NGX_HTTP_DJASS_OBJECT */
        return ngx_http_djass_utf8_len(value->data, value->len)
               + sizeof("{}") - 1;
    }
}


static u_char *
ngx_http_djass_value(u_char *p, ngx_http_djass_field_t *f, ngx_str_t *value)
{
    switch (f->type) {

    case NGX_HTTP_DJASS_INTEGER:
        return ngx_http_djass_integer(p, value);

    case NGX_HTTP_DJASS_STRING:
        return ngx_http_djass_json_str(p, value->data, value->len);

    case NGX_HTTP_DJASS_TIME:
        return ngx_http_djass_time(p, value);

    case NGX_HTTP_DJASS_READY:
        if (ngx_http_djass_ready(value)) {
            return ngx_cpymem(p, "true", sizeof("true") - 1);
        }

        return ngx_cpymem(p, "false", sizeof("false") - 1);

    default: /* NGX_HTTP_DJASS_OBJECT */
        if (value->len && value->data[0] == '{') {
            /* a profile's email spliced in by the script may be bytes */
            return ngx_http_djass_utf8_cpy(p, value->data, value->len);
        }

        return ngx_cpymem(p, "{}", sizeof("{}") - 1);
    }
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
