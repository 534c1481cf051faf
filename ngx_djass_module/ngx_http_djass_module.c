/*
 * Djass for nginx: the module file only wires things together — the
 * directives, the configuration levels and the process hooks.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_cache.h"


static ngx_int_t ngx_http_djass_preconfiguration(ngx_conf_t *cf);
static void *ngx_http_djass_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_djass_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_djass_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_djass_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_djass_template(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_djass_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_djass_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_djass_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_djass_postconfiguration(ngx_conf_t *cf);
static void ngx_http_djass_cleanup_catalog(void *data);
static ngx_int_t ngx_http_djass_init_process(ngx_cycle_t *cycle);
static void ngx_http_djass_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_djass_commands[] = {

    { ngx_string("djass_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, redis),
      NULL },

    { ngx_string("djass_redis_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, redis_password),
      NULL },

    { ngx_string("djass_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("djass_sentinel_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, sentinel_password),
      NULL },

    { ngx_string("djass_sentinel_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, sentinel_timeout),
      NULL },

    { ngx_string("djass_redis_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_djass_redis_wait,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, redis_wait),
      NULL },

    { ngx_string("djass_quota"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, quota),
      NULL },

    { ngx_string("djass_idempotency_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, idempotency_ttl),
      NULL },

    { ngx_string("djass_oneshot_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, oneshot_wait),
      NULL },

    { ngx_string("djass_template"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_djass_template,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_djass_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_djass_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, metrics_zone_size),
      NULL },

    { ngx_string("djass_artifacts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_djass_loc_conf_t, artifacts),
      NULL },

    { ngx_string("djass_s3_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, s3_endpoint),
      NULL },

    { ngx_string("djass_s3_region"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, s3_region),
      NULL },

    { ngx_string("djass_s3_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, s3_credentials),
      NULL },

    { ngx_string("djass_s3_redirect"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_djass_s3_redirect,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_manifest"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_djass_loc_conf_t, manifest),
      NULL },

    { ngx_string("djass_query_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_djass_loc_conf_t, query_auth),
      NULL },

    { ngx_string("djass_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_djass_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("djass_mcp"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_djass_mcp,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_mcp_allow_origin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_djass_mcp_allow_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_mcp_api_base"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_djass_mcp_api_base,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("djass_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, cache),
      NULL },

    { ngx_string("djass_cache_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, cache_zone),
      NULL },

    { ngx_string("djass_cache_heartbeat"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, cache_heartbeat),
      NULL },

    { ngx_string("djass_events_keepalive"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, events_keepalive),
      NULL },

    { ngx_string("djass_events_park"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, events_park),
      NULL },

    { ngx_string("djass_cache_heartbeat_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_djass_main_conf_t, cache_heartbeat_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_djass_module_ctx = {
    ngx_http_djass_preconfiguration,       /* preconfiguration */
    ngx_http_djass_postconfiguration,      /* postconfiguration */

    ngx_http_djass_create_main_conf,       /* create main configuration */
    ngx_http_djass_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_djass_create_loc_conf,        /* create location configuration */
    ngx_http_djass_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_djass_module = {
    NGX_MODULE_V1,
    &ngx_http_djass_module_ctx,            /* module context */
    ngx_http_djass_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_djass_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_djass_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_djass_preconfiguration(ngx_conf_t *cf)
{
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_djass_module);

    return ngx_http_djass_request_id_init(cf, dmcf);
}


static void *
ngx_http_djass_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_djass_main_conf_t  *dmcf;

    dmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_djass_main_conf_t));
    if (dmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dmcf->redis = { 0, NULL };
     *     dmcf->redis_password = { 0, NULL };
     *     dmcf->template_dir = { 0, NULL };
     *     dmcf->cookiecutter = NULL;
     *     dmcf->options_body = { 0, NULL };
     */

    if (ngx_array_init(&dmcf->prefixes, cf->pool, 2,
                       sizeof(ngx_http_djass_prefix_t))
        != NGX_OK)
    {
        return NULL;
    }

    dmcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->quota = NGX_CONF_UNSET_UINT;
    dmcf->sentinel_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->redis_wait = NGX_CONF_UNSET_UINT;
    dmcf->redis_wait_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->idempotency_ttl = NGX_CONF_UNSET;
    dmcf->oneshot_wait = NGX_CONF_UNSET_MSEC;
    dmcf->metrics_zone_size = NGX_CONF_UNSET_SIZE;
    dmcf->cache = NGX_CONF_UNSET;
    dmcf->cache_zone = NGX_CONF_UNSET_SIZE;
    dmcf->cache_heartbeat = NGX_CONF_UNSET_MSEC;
    dmcf->cache_heartbeat_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->events_keepalive = NGX_CONF_UNSET_MSEC;
    dmcf->events_park = NGX_CONF_UNSET;

    return dmcf;
}


static char *
ngx_http_djass_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_djass_main_conf_t  *dmcf = conf;

    ngx_conf_init_msec_value(dmcf->redis_timeout, 1000);
    ngx_conf_init_uint_value(dmcf->quota, NGX_HTTP_DJASS_DEFAULT_QUOTA);
    ngx_conf_init_msec_value(dmcf->sentinel_timeout, 1000);
    ngx_conf_init_uint_value(dmcf->redis_wait, 0);
    ngx_conf_init_msec_value(dmcf->redis_wait_timeout,
                             NGX_HTTP_DJASS_DEFAULT_WAIT_TIMEOUT);
    ngx_conf_init_value(dmcf->idempotency_ttl,
                        NGX_HTTP_DJASS_DEFAULT_IDEM_TTL);
    ngx_conf_init_msec_value(dmcf->oneshot_wait, 30000);
    ngx_conf_init_value(dmcf->cache, 1);
    ngx_conf_init_size_value(dmcf->cache_zone,
                             NGX_HTTP_DJASS_DEFAULT_CACHE_ZONE);
    ngx_conf_init_msec_value(dmcf->cache_heartbeat, 1000);
    ngx_conf_init_msec_value(dmcf->cache_heartbeat_timeout, 2000);
    ngx_conf_init_msec_value(dmcf->events_keepalive, 15000);
    ngx_conf_init_value(dmcf->events_park, 1);

    if (dmcf->events_keepalive == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_events_keepalive must not be 0");
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_size_value(dmcf->metrics_zone_size,
                             NGX_HTTP_DJASS_DEFAULT_METRICS);

    if (dmcf->redis.len == 0) {
        ngx_str_set(&dmcf->redis, "127.0.0.1:6379");
    }

    if ((dmcf->enabled || dmcf->metrics_used)
        && ngx_http_djass_metrics_init_conf(cf, dmcf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_djass_redis_resolve(cf, dmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_djass_cache_conf(cf, dmcf);
}


static void *
ngx_http_djass_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_djass_loc_conf_t  *dlcf;

    dlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_djass_loc_conf_t));
    if (dlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dlcf->artifacts = { 0, NULL };
     *     dlcf->prefix = { 0, NULL };
     *     dlcf->openapi_body = { 0, NULL };
     *     dlcf->openapi_etag = { 0, NULL };
     */

    dlcf->api = NGX_CONF_UNSET;
    dlcf->query_auth = NGX_CONF_UNSET;
    dlcf->manifest = NGX_CONF_UNSET;
    dlcf->max_body_size = NGX_CONF_UNSET_SIZE;
    dlcf->metrics = NGX_CONF_UNSET;
    dlcf->s3_redirect = NGX_CONF_UNSET;
    dlcf->s3_redirect_ttl = NGX_CONF_UNSET;

    return dlcf;
}


static char *
ngx_http_djass_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_djass_loc_conf_t  *prev = parent;
    ngx_http_djass_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->api, prev->api, 0);
    ngx_conf_merge_value(conf->metrics, prev->metrics, 0);
    ngx_conf_merge_str_value(conf->artifacts, prev->artifacts, "");
    ngx_conf_merge_str_value(conf->openapi_body, prev->openapi_body, "");
    ngx_conf_merge_str_value(conf->openapi_etag, prev->openapi_etag, "");
    ngx_conf_merge_value(conf->query_auth, prev->query_auth, 1);
    ngx_conf_merge_value(conf->manifest, prev->manifest, 1);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              NGX_HTTP_DJASS_DEFAULT_MAX_BODY);

    if (conf->mcp && ngx_http_djass_mcp_merge(cf, conf->mcp) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_value(conf->s3_redirect, prev->s3_redirect, 0);
    ngx_conf_merge_sec_value(conf->s3_redirect_ttl, prev->s3_redirect_ttl,
                             NGX_HTTP_DJASS_S3_TTL);

    if (ngx_http_djass_s3_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->api && conf->artifacts.len == 0) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "djass_api without djass_artifacts: "
                      "downloads will answer 500");
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_djass_template(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_djass_main_conf_t  *dmcf = conf;

    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    if (dmcf->template_dir.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    dmcf->template_dir = value[1];

    if (ngx_conf_full_name(cf->cycle, &dmcf->template_dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_djass_cleanup_catalog;
    cln->data = dmcf;

    return ngx_http_djass_load_template(cf, dmcf);
}


static void
ngx_http_djass_cleanup_catalog(void *data)
{
    ngx_http_djass_main_conf_t  *dmcf = data;

    if (dmcf->cookiecutter) {
        json_decref(dmcf->cookiecutter);
        dmcf->cookiecutter = NULL;
    }
}


static char *
ngx_http_djass_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_djass_loc_conf_t  *dlcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_djass_prefix_t     *prefix;
    ngx_http_djass_main_conf_t  *dmcf;

    if (dlcf->api != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_djass_module);
    if (dmcf->cookiecutter == NULL) {
        return "requires \"djass_template\" before it at the http level";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    if (clcf->regex) {
        return "cannot be used in a regex location";
    }
#endif

    /* nginx's own early errors under this prefix get the envelope too */

    prefix = ngx_array_push(&dmcf->prefixes);
    if (prefix == NULL) {
        return NGX_CONF_ERROR;
    }

    prefix->server = ngx_http_conf_get_module_srv_conf(cf,
                                                       ngx_http_core_module);
    prefix->name = clcf->name;
    prefix->exact = clcf->exact_match;

    dlcf->api = 1;
    dlcf->prefix = clcf->name;
    dmcf->enabled = 1;

    /* the prefix without its "/" (GET /api/v1): 301 to the help page */
    clcf->auto_redirect = 1;
    clcf->handler = ngx_http_djass_handler;

    return ngx_http_djass_openapi_build(cf, dmcf, dlcf);
}


/* djass_metrics: this location answers the Prometheus metrics */

static char *
ngx_http_djass_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_djass_loc_conf_t  *dlcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_djass_main_conf_t  *dmcf;

    if (dlcf->metrics != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_djass_module);
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    dlcf->metrics = 1;
    dmcf->metrics_used = 1;
    clcf->handler = ngx_http_djass_metrics_handler;

    return NGX_CONF_OK;
}


/* djass_redis_wait N [TIMEOUT]: WAIT N TIMEOUT after every create */

static char *
ngx_http_djass_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_djass_main_conf_t  *dmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (dmcf->redis_wait != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR || n > 64) {
        return "wants a number of replicas from 0 to 64";
    }

    dmcf->redis_wait = n;

    if (cf->args->nelts == 3) {
        dmcf->redis_wait_timeout = ngx_parse_time(&value[2], 0);
        if (dmcf->redis_wait_timeout == (ngx_msec_t) NGX_ERROR
            || dmcf->redis_wait_timeout == 0)
        {
            return "wants a timeout such as 100ms or 1s";
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_djass_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_djass_metrics_log;

    return ngx_http_djass_filter_init(cf);
}


static ngx_int_t
ngx_http_djass_init_process(ngx_cycle_t *cycle)
{
    if (ngx_http_djass_redis_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_djass_cache_track_init_process(cycle);
}


static void
ngx_http_djass_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_djass_cache_track_exit_process(cycle);
    ngx_http_djass_redis_exit_process(cycle);
}
