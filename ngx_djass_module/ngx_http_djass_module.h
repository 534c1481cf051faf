/*
 * Djass for nginx: the types every part of the module shares.
 */

#ifndef _NGX_HTTP_DJASS_MODULE_H_INCLUDED_
#define _NGX_HTTP_DJASS_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>


#define NGX_HTTP_DJASS_DEFAULT_QUOTA      200
#define NGX_HTTP_DJASS_DEFAULT_MAX_BODY   (64 * 1024)
#define NGX_HTTP_DJASS_DEFAULT_REDIS_PORT 6379
#define NGX_HTTP_DJASS_SENTINEL_PORT      26379
#define NGX_HTTP_DJASS_DEFAULT_WAIT_TIMEOUT 500
#define NGX_HTTP_DJASS_DEFAULT_IDEM_TTL   (24 * 60 * 60)
#define NGX_HTTP_DJASS_DEFAULT_CACHE_ZONE (16 * 1024 * 1024)

/* nginx names no 422 before 1.25 */
#define NGX_HTTP_DJASS_UNPROCESSABLE      422

#define NGX_HTTP_DJASS_MAX_REQUEST_ID     128
#define NGX_HTTP_DJASS_DEFAULT_METRICS    (64 * 1024)
#define NGX_HTTP_DJASS_S3_TTL             60      /* djass_s3_redirect on */

/* the endpoint labels of the metrics (ngx_http_djass_metrics.c) */
#define NGX_HTTP_DJASS_ENDPOINTS          12

#define NGX_HTTP_DJASS_SCOPE_CREATE       "projects:create"
#define NGX_HTTP_DJASS_SCOPE_READ         "projects:read"
#define NGX_HTTP_DJASS_SCOPE_DELETE       "projects:delete"

#define NGX_HTTP_DJASS_PROJECT_PREFIX     "djass:project:"

/* the fields of a project object and of a status object, in reply order */
#define NGX_HTTP_DJASS_PROJECT_FIELDS     14
#define NGX_HTTP_DJASS_STATUS_FIELDS      6


/*
 * What a step found when it is neither NGX_OK nor an error: one meaning
 * each, apart from nginx's own codes (NGX_OK is 0, the others negative,
 * HTTP statuses from 100).
 */
enum {
    NGX_HTTP_DJASS_NO_KEY = 1,   /* the request carries no API key */
    NGX_HTTP_DJASS_NO_REDIS,     /* no connection to Redis now: 503 */
    NGX_HTTP_DJASS_SCRIPT_OK,    /* the script answered {"ok", ...} */
    NGX_HTTP_DJASS_TOO_LARGE,    /* the body is over djass_max_body_size */
    NGX_HTTP_DJASS_BAD_VALUE,    /* a query value is out of its range */
    NGX_HTTP_DJASS_ABSENT,       /* the query argument is not there */
    NGX_HTTP_DJASS_NOT_DURABLE,  /* applied, but djass_redis_wait's
                                    replicas did not confirm it: 503 */
    NGX_HTTP_DJASS_BAD_REPLY     /* the script's reply is not of the
                                    shape asked for: 500, logged */
};


/* a djass_api location, for the errors nginx makes before matching one */
typedef struct {
    void                        *server;         /* its core srv conf */
    ngx_str_t                    name;
    ngx_uint_t                   exact;          /* location = ... */
} ngx_http_djass_prefix_t;

/* a Sentinel of djass_redis sentinel://..., resolved at start */
typedef struct {
    ngx_str_t                    host;           /* an IP, NUL-terminated */
    ngx_int_t                    port;
} ngx_http_djass_sentinel_t;


typedef struct {
    ngx_str_t                    redis;          /* "host:port", "unix:/p" */
    ngx_str_t                    redis_password;
    ngx_msec_t                   redis_timeout;
    ngx_uint_t                   quota;
    time_t                       idempotency_ttl;
    ngx_msec_t                   oneshot_wait;   /* djass_oneshot_wait */

    /* djass_redis resolved at start: an IP address or a socket path */
    ngx_str_t                    redis_host;     /* NUL-terminated */
    ngx_int_t                    redis_port;
    ngx_uint_t                   redis_unix;
    ngx_uint_t                   enabled;        /* a djass_api exists */
    ngx_array_t                  prefixes;       /* ngx_http_djass_prefix_t */

    /* djass_redis sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME */
    ngx_array_t                 *sentinels;      /* NULL: a plain address */
    ngx_str_t                    sentinel_master; /* NUL-terminated */
    ngx_str_t                    sentinel_password;
    ngx_msec_t                   sentinel_timeout;

    /* djass_redis_wait N [TIMEOUT]: 0 is off */
    ngx_uint_t                   redis_wait;
    ngx_msec_t                   redis_wait_timeout;

    ngx_str_t                    template_dir;
    json_t                      *cookiecutter;   /* cookiecutter.json */
    ngx_str_t                    options_body;   /* GET /project-options */
    ngx_str_t                    options_etag;
    ngx_str_t                    help_options;   /* GET / (text), options */
    time_t                       options_mtime;
    ngx_str_t                    template_version;   /* 64 hex digits */

    void                        *redis_conn;     /* per-process adapter */

    ngx_int_t                    request_id_index;   /* $request_id */

    size_t                       metrics_zone_size;
    ngx_shm_zone_t              *metrics_zone;
    ngx_uint_t                   metrics_used;   /* a djass_metrics exists */

    ngx_flag_t                   cache;          /* djass_cache */
    size_t                       cache_zone;     /* djass_cache_zone */
    ngx_shm_zone_t              *cache_shm;      /* NULL: no cache */
    ngx_msec_t                   cache_heartbeat;     /* its PING interval */
    ngx_msec_t                   cache_heartbeat_timeout; /* its deadline */

    ngx_msec_t                   events_keepalive; /* djass_events_keepalive */
    ngx_flag_t                   events_park;    /* djass_events_park */

    /* an S3 artifact store (ngx_http_djass_s3.c) */
    ngx_str_t                    s3_endpoint;    /* djass_s3_endpoint */
    ngx_str_t                    s3_region;      /* djass_s3_region */
    ngx_str_t                    s3_credentials; /* djass_s3_credentials */
    void                        *s3_creds;       /* djass_s3_creds_t, read
                                                    once at start */
} ngx_http_djass_main_conf_t;


typedef struct {
    ngx_flag_t                   api;
    ngx_str_t                    artifacts;      /* internal location URI */
    ngx_flag_t                   query_auth;
    ngx_flag_t                   manifest;       /* djass_manifest */
    size_t                       max_body_size;
    ngx_str_t                    prefix;         /* the location's name */
    void                        *mcp;            /* djass_mcp's, or NULL */
    ngx_str_t                    openapi_body;   /* GET /openapi.json */
    ngx_str_t                    openapi_etag;
    ngx_flag_t                   metrics;
    void                        *s3;             /* djass_s3_t of
                                                    djass_artifacts s3://,
                                                    or NULL */
    ngx_flag_t                   s3_redirect;    /* djass_s3_redirect */
    time_t                       s3_redirect_ttl;
    ngx_http_upstream_conf_t    *s3_upstream;
    ngx_addr_t                  *s3_addr;        /* the store, resolved at
                                                    start (streaming) */
} ngx_http_djass_loc_conf_t;


/* one request's state; survives internal redirects (see get_ctx) */
typedef struct {
    ngx_uint_t                   replied;        /* body is our JSON */
    ngx_uint_t                   status;         /* ... with this status */
    ngx_uint_t                   download;       /* redirected to artifact */
    ngx_uint_t                   replace_body;   /* filter swaps the body */
    ngx_str_t                    error_body;
    void                        *op;             /* pending Redis call */
    void                        *data;           /* the endpoint's state */
    ngx_str_t                    tail;           /* path after the prefix */
    ngx_uint_t                   route;
    ngx_uint_t                   project_id;
    ngx_str_t                    request_id;     /* X-Request-Id answered */
    ngx_uint_t                   endpoint;       /* metrics label, 0 other */
    void                        *events;         /* an events stream's or
                                                    Prefer: wait's state */
    ngx_uint_t                   scrape;         /* a djass_metrics request:
                                                    no envelope, no
                                                    X-Request-Id, not
                                                    counted */
    ngx_str_t                    digest;         /* the API key's, known
                                                    before the call: a
                                                    parked stream's re-read */
} ngx_http_djass_ctx_t;


typedef ngx_int_t (*ngx_http_djass_route_pt)(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);

/*
 * A Redis reply handler: rc is NGX_OK with the reply's elements copied
 * into the request pool; NGX_AGAIN when the call was sent but its outcome
 * is unknown (Redis answered after djass_redis_timeout, or the connection
 * dropped before the reply): Redis may have run it (answer 503);
 * NGX_HTTP_DJASS_NO_REDIS when Redis refused it unrun (LOADING, BUSY ...:
 * answer 503); NGX_ERROR when it failed otherwise (answer 500).  It
 * returns what ngx_http_finalize_request() is then called with.
 */

typedef ngx_int_t (*ngx_http_djass_redis_pt)(ngx_http_request_t *r,
    void *data, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);

/* a script other than the API's: its text, and its SHA1 once computed */
typedef struct {
    ngx_str_t                    text;
    u_char                       sha[40];        /* hex; "" until the
                                                    first call */
} ngx_http_djass_lua_t;


/* ngx_http_djass_router.c: the route, and the request's context */
ngx_int_t ngx_http_djass_handler(ngx_http_request_t *r);
ngx_http_djass_ctx_t *ngx_http_djass_get_ctx(ngx_http_request_t *r);
ngx_uint_t ngx_http_djass_ctx_cleanup_is(ngx_pool_cleanup_pt h);
ngx_int_t ngx_http_djass_set_ctx(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_djass_query_json(ngx_http_request_t *r, ngx_str_t *json);
ngx_int_t ngx_http_djass_unescape(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out);

/* ngx_http_djass_reply.c: JSON replies and the error envelope */
ngx_int_t ngx_http_djass_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
ngx_int_t ngx_http_djass_not_allowed(ngx_http_request_t *r, ngx_str_t *allow);
ngx_int_t ngx_http_djass_send_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *body);
ngx_int_t ngx_http_djass_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message,
    const char *details);
ngx_int_t ngx_http_djass_error_body(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message,
    const char *details, ngx_str_t *body);
ngx_table_elt_t *ngx_http_djass_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
const char *ngx_http_djass_error_category(ngx_uint_t status,
    const char *code);
u_char *ngx_http_djass_json_str(u_char *p, u_char *src, size_t len);
size_t ngx_http_djass_json_str_len(u_char *src, size_t len);
size_t ngx_http_djass_utf8_len(u_char *src, size_t len);
u_char *ngx_http_djass_utf8_cpy(u_char *p, u_char *src, size_t len);
ngx_str_t *ngx_http_djass_log_escape(ngx_pool_t *pool, ngx_str_t *value);

/* ngx_http_djass_request_id.c: X-Request-Id and the log variables */
ngx_int_t ngx_http_djass_request_id_init(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_uint_t ngx_http_djass_valid_request_id(u_char *p, size_t len);
ngx_int_t ngx_http_djass_request_id(ngx_http_request_t *r, ngx_str_t *id);
ngx_int_t ngx_http_djass_set_request_id(ngx_http_request_t *r);

/* ngx_http_djass_catalog.c: the option catalog, read once at start */
char *ngx_http_djass_load_template(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_int_t ngx_http_djass_is_flag(json_t *value);
char *ngx_http_djass_help_build(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_int_t ngx_http_djass_help_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_oneshot_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_options_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);

/* ngx_http_djass_openapi.c: the OpenAPI document, built at start */
char *ngx_http_djass_openapi_build(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf, ngx_http_djass_loc_conf_t *dlcf);
ngx_int_t ngx_http_djass_openapi_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);

/* ngx_http_djass_metrics.c: counters in shared memory, Prometheus text */
enum {
    NGX_HTTP_DJASS_M_ERROR = 1,   /* an error reply from Redis */
    NGX_HTTP_DJASS_M_TIMEOUT,     /* a call later than djass_redis_timeout */
    NGX_HTTP_DJASS_M_RECONNECT    /* a connection opened again */
};

char *ngx_http_djass_metrics_init_conf(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_int_t ngx_http_djass_metrics_log(ngx_http_request_t *r);
ngx_int_t ngx_http_djass_metrics_handler(ngx_http_request_t *r);
void ngx_http_djass_metrics_redis_time(ngx_http_djass_main_conf_t *dmcf,
    ngx_msec_int_t us);
void ngx_http_djass_metrics_redis_event(ngx_http_djass_main_conf_t *dmcf,
    ngx_uint_t event);
void ngx_http_djass_metrics_waiting(ngx_uint_t n);
void ngx_http_djass_metrics_parked(ngx_uint_t n);
void ngx_http_djass_metrics_connected(ngx_http_djass_main_conf_t *dmcf,
    ngx_int_t up);
ngx_msec_int_t ngx_http_djass_metrics_now_us(void);

/* ngx_http_djass_stats.c: the fleet's figures of a scrape, from Redis */
ngx_int_t ngx_http_djass_stats_fetch(ngx_http_request_t *r,
    ngx_http_djass_redis_pt handler);
void *ngx_http_djass_stats_parse(ngx_http_request_t *r, ngx_str_t *v,
    ngx_uint_t n);
size_t ngx_http_djass_stats_size(void *fleet);
u_char *ngx_http_djass_stats_write(u_char *p, u_char *last, void *fleet);

/* ngx_http_djass_filter.c: the envelope for nginx's own error pages */
ngx_int_t ngx_http_djass_filter_init(ngx_conf_t *cf);

/* ngx_http_djass_script.c: a call of the API script and its reply */
typedef struct {
    ngx_str_t                    digest;
    const char                  *scope;
    const char                  *unavailable;   /* the 503 message */
    ngx_str_t                   *args;          /* KEYS, then ARGV */
    ngx_uint_t                   nargs;

    /* a 400 or 422 found before the call, answered after auth */
    ngx_uint_t                   status;
    const char                  *code;
    const char                  *message;
    u_char                      *details;

    ngx_uint_t                   writes;        /* the op changes state */
    ngx_uint_t                   wait;          /* djass_redis_wait */
    ngx_str_t                    idempotency_key;  /* as sent, or empty */
    ngx_uint_t                   oneshot;       /* GET /projects.zip */

    ngx_uint_t                   limit;
    ngx_uint_t                   offset;
    ngx_str_t                    filter;        /* status=, or empty */

    void                        *cache;         /* a cache fill's state */
    ngx_str_t                    status_json;   /* the status object, as
                                                   the read cache keeps it */
} ngx_http_djass_call_t;

/* an error envelope's parts, before it is sent or wrapped */
typedef struct {
    ngx_uint_t                   status;
    const char                  *code;
    const char                  *message;
    const char                  *details;
} ngx_http_djass_error_t;

extern ngx_str_t  ngx_http_djass_script;

ngx_http_djass_call_t *ngx_http_djass_call_init(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, const char *scope);
ngx_int_t ngx_http_djass_call_args(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, const char *op, ngx_uint_t nargs);
ngx_int_t ngx_http_djass_call_number(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t i, ngx_uint_t n);
void ngx_http_djass_call_flag(ngx_http_djass_call_t *call, ngx_uint_t i,
    ngx_uint_t flag);
ngx_int_t ngx_http_djass_call_send(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_http_djass_redis_pt handler);
ngx_int_t ngx_http_djass_call_project(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, const char *op,
    ngx_http_djass_redis_pt handler);
ngx_int_t ngx_http_djass_call_project_args(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t project_id, const char *op);
ngx_int_t ngx_http_djass_call_reply(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
ngx_int_t ngx_http_djass_unauthorized(ngx_http_request_t *r);
ngx_int_t ngx_http_djass_script_error(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_str_t *v, ngx_uint_t n,
    ngx_http_djass_error_t *err);
ngx_int_t ngx_http_djass_internal_error(ngx_http_request_t *r);

/* the endpoints: ngx_http_djass_get.c, _download.c, _list.c, _create.c */
ngx_int_t ngx_http_djass_get_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_events_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_status_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_download_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
/* the details of 409 artifact_not_ready (also the MCP tool's) */
/* ngx_http_djass_s3.c: downloads from an S3 store */
char *ngx_http_djass_s3_redirect(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_djass_s3_merge(ngx_conf_t *cf,
    ngx_http_djass_loc_conf_t *prev, ngx_http_djass_loc_conf_t *conf);
ngx_int_t ngx_http_djass_s3_download(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, ngx_str_t *artifact);

ngx_int_t ngx_http_djass_serve_artifact(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, ngx_str_t *slug, ngx_str_t *artifact);
u_char *ngx_http_djass_not_ready_details(ngx_pool_t *pool,
    ngx_uint_t project_id, ngx_str_t *status);
ngx_int_t ngx_http_djass_not_ready(ngx_http_request_t *r, ngx_int_t rc,
    ngx_str_t *v, ngx_uint_t n);
ngx_int_t ngx_http_djass_artifact_path(ngx_str_t *path);
ngx_int_t ngx_http_djass_artifact_redirect(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, ngx_str_t *artifact);

/* ngx_http_djass_git.c: issue 25, GET /projects/{id}.git/... */
ngx_int_t ngx_http_djass_git_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_list_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_list_body(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_str_t *v, ngx_uint_t n, ngx_str_t *out);
ngx_int_t ngx_http_djass_create_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
/* ngx_http_djass_delete.c */
ngx_int_t ngx_http_djass_delete_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);

/* ngx_http_djass_mcp.c: the MCP endpoint, its directives */
ngx_int_t ngx_http_djass_mcp_handler(ngx_http_request_t *r);
char *ngx_http_djass_mcp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_djass_mcp_allow_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_djass_mcp_merge(ngx_conf_t *cf, void *mcp);
char *ngx_http_djass_mcp_api_base(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_djass_redis.c: one async connection per worker process */
ngx_int_t ngx_http_djass_redis_init_process(ngx_cycle_t *cycle);
void ngx_http_djass_redis_exit_process(ngx_cycle_t *cycle);
char *ngx_http_djass_redis_resolve(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf);
ngx_int_t ngx_http_djass_redis_script(ngx_http_request_t *r,
    ngx_str_t *args, ngx_uint_t nkeys, ngx_uint_t nargs, ngx_uint_t wait,
    ngx_http_djass_redis_pt handler, void *data);
ngx_int_t ngx_http_djass_redis_call(ngx_http_request_t *r,
    ngx_http_djass_lua_t *lua, ngx_str_t *args, ngx_uint_t nkeys,
    ngx_uint_t nargs, ngx_uint_t wait, ngx_http_djass_redis_pt handler,
    void *data);

/* ngx_http_djass_auth.c: the API key of a request */
ngx_int_t ngx_http_djass_auth_key(ngx_http_request_t *r, ngx_str_t *digest);
ngx_int_t ngx_http_djass_sha256_hex(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *hex);

/* ngx_http_djass_project.c: project and status objects */
typedef struct ngx_http_djass_field_s  ngx_http_djass_field_t;

typedef struct {
    ngx_uint_t                   nvalues;        /* reply strings it takes */
    ngx_http_djass_field_t      *fields;
} ngx_http_djass_shape_t;

extern ngx_http_djass_shape_t  ngx_http_djass_project_shape;
extern ngx_http_djass_shape_t  ngx_http_djass_status_shape;

size_t ngx_http_djass_object_len(ngx_http_djass_shape_t *shape,
    ngx_str_t *v);
u_char *ngx_http_djass_object(u_char *p, ngx_http_djass_shape_t *shape,
    ngx_str_t *v);
ngx_str_t *ngx_http_djass_object_status(ngx_http_djass_shape_t *shape,
    ngx_str_t *v);
u_char *ngx_http_djass_time(u_char *p, ngx_str_t *value);

/* ngx_http_djass_events.c: Prefer: wait=N on GET /projects/{id}, /status */
ngx_int_t ngx_http_djass_prefer_wait(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, ngx_str_t *status, const char *op,
    ngx_http_djass_redis_pt handler);
u_char *ngx_http_djass_integer(u_char *p, ngx_str_t *value);

/* ngx_http_djass_payload.c: the body of POST /projects */
typedef struct {
    const char                  *code;           /* NULL: valid */
    const char                  *message;
    ngx_str_t                    details;
    ngx_str_t                    name;
    ngx_str_t                    slug;
    ngx_str_t                    head;           /* input_payload ... */
    ngx_str_t                    tail;           /* ... around the email */
    ngx_uint_t                   fill_email;
} ngx_http_djass_payload_t;

ngx_int_t ngx_http_djass_payload_parse(ngx_http_request_t *r,
    u_char *body, size_t len, ngx_http_djass_payload_t *pl);
ngx_int_t ngx_http_djass_payload_answers(ngx_http_request_t *r,
    u_char *body, size_t len, ngx_http_djass_payload_t *pl,
    ngx_str_t *changes, ngx_str_t *keys);

/* ngx_http_djass_upgrade.c: issue 25, POST /projects/{id}/upgrade */
ngx_int_t ngx_http_djass_upgrade_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_upgrade_args(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_uint_t project_id, u_char *body,
    size_t len);

#define NGX_HTTP_DJASS_CURRENT_MESSAGE                                       \
    "The project is already made from the current template version, and "   \
    "no answer changes."
ngx_int_t ngx_http_djass_upgrade_current(ngx_http_request_t *r,
    ngx_str_t *v, ngx_uint_t n);

/*
 * ngx_http_djass_create.c: the create call for any way in.  create_args
 * builds its arguments, create_call builds and sends them (call from
 * call_init, with call->code set for a 400 to answer after auth,
 * call->idempotency_key set or empty); created turns the handler's
 * {"ok", ...} reply into {"project": ...}.
 */
ngx_http_djass_call_t *ngx_http_djass_create_call_init(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx);
ngx_int_t ngx_http_djass_create_call(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_http_djass_payload_t *pl,
    ngx_http_djass_redis_pt handler);
ngx_int_t ngx_http_djass_keyed_body(ngx_http_request_t *r, ngx_str_t *digest,
    ngx_http_client_body_handler_pt handler);
ngx_int_t ngx_http_djass_read_body(ngx_http_request_t *r, ngx_str_t *body);
ngx_int_t ngx_http_djass_create_args(ngx_http_request_t *r,
    ngx_http_djass_call_t *call, ngx_http_djass_payload_t *pl);
ngx_int_t ngx_http_djass_create_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc, ngx_str_t *v, ngx_uint_t n);
ngx_int_t ngx_http_djass_queue_handler(ngx_http_request_t *r,
    ngx_http_djass_ctx_t *ctx, ngx_http_client_body_handler_pt handler);
void ngx_http_djass_call_invalid(ngx_http_djass_call_t *call,
    ngx_http_djass_payload_t *pl);
ngx_uint_t ngx_http_djass_idempotency_valid(ngx_str_t *key);
u_char *ngx_http_djass_reused_details(ngx_pool_t *pool, ngx_str_t *key);

#define NGX_HTTP_DJASS_REUSED_MESSAGE                                        \
    "This Idempotency-Key was already used with a different request body."
ngx_int_t ngx_http_djass_created(ngx_http_request_t *r, ngx_str_t *v,
    ngx_uint_t n, ngx_str_t *body, ngx_uint_t *replayed);


extern ngx_module_t  ngx_http_djass_module;


#endif /* _NGX_HTTP_DJASS_MODULE_H_INCLUDED_ */
