/*
 * The address of djass_redis, read when nginx loads its configuration:
 * host:port, [ipv6]:port, host, unix:/path, or
 * sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME, whose Sentinels are
 * asked for the master at run time (ngx_http_djass_sentinel.c).  The
 * connection itself is ngx_http_djass_redis.c's.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_djass_module.h"
#include "ngx_http_djass_redis.h"


/*
 * djass_redis is resolved once, when the configuration is read: hiredis
 * would otherwise resolve a name with a blocking getaddrinfo() at every
 * reconnect.
 */

static char *
ngx_http_djass_redis_sentinels(ngx_conf_t *cf,
    ngx_http_djass_main_conf_t *dmcf)
{
    u_char                     *p, *last, *slash, *comma;
    ngx_url_t                   u;
    ngx_http_djass_sentinel_t  *s;

    p = dmcf->redis.data + sizeof("sentinel://") - 1;
    last = dmcf->redis.data + dmcf->redis.len;

    slash = ngx_strlchr(p, last, '/');

    if (slash == NULL || slash == p || slash + 1 == last
        || ngx_strlchr(slash + 1, last, '/') || slash[-1] == ',')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_redis \"%V\": want "
                           "sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME",
                           &dmcf->redis);
        return NGX_CONF_ERROR;
    }

    dmcf->sentinel_master.len = last - slash - 1;
    dmcf->sentinel_master.data = ngx_pnalloc(cf->pool,
                                             dmcf->sentinel_master.len + 1);
    if (dmcf->sentinel_master.data == NULL) {
        return NGX_CONF_ERROR;
    }

    *ngx_cpymem(dmcf->sentinel_master.data, slash + 1,
                dmcf->sentinel_master.len) = '\0';

    dmcf->sentinels = ngx_array_create(cf->pool, 3,
                                       sizeof(ngx_http_djass_sentinel_t));
    if (dmcf->sentinels == NULL) {
        return NGX_CONF_ERROR;
    }

    /* each resolved now, like a plain address: the answers are IPs */

    while (p < slash) {
        comma = ngx_strlchr(p, slash, ',');
        if (comma == NULL) {
            comma = slash;
        }

        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url.data = p;
        u.url.len = comma - p;
        u.default_port = NGX_HTTP_DJASS_SENTINEL_PORT;

        if (u.url.len == 0 || ngx_parse_url(cf->pool, &u) != NGX_OK
            || u.naddrs == 0 || u.uri.len)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "djass_redis \"%V\": Sentinel \"%V\": %s",
                               &dmcf->redis, &u.url,
                               u.err ? u.err : "want host:port");
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(dmcf->sentinels);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        s->host.data = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
        if (s->host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        s->host.len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen,
                                    s->host.data, NGX_SOCKADDR_STRLEN, 0);
        s->host.data[s->host.len] = '\0';
        s->port = ngx_inet_get_port(u.addrs[0].sockaddr);

        p = comma + 1;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_djass_redis_resolve(ngx_conf_t *cf, ngx_http_djass_main_conf_t *dmcf)
{
    u_char     *p;
    ngx_url_t   u;

    if (dmcf->redis.len >= sizeof("sentinel://") - 1
        && ngx_strncmp(dmcf->redis.data, "sentinel://",
                       sizeof("sentinel://") - 1) == 0)
    {
        return ngx_http_djass_redis_sentinels(cf, dmcf);
    }

    if (dmcf->redis.len > 5
        && ngx_strncmp(dmcf->redis.data, "unix:", 5) == 0)
    {
        dmcf->redis_unix = 1;
        dmcf->redis_host.len = dmcf->redis.len - 5;
        dmcf->redis_host.data = ngx_pnalloc(cf->pool,
                                            dmcf->redis_host.len + 1);
        if (dmcf->redis_host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_cpymem(dmcf->redis_host.data, dmcf->redis.data + 5,
                       dmcf->redis_host.len);
        *p = '\0';

        return NGX_CONF_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = dmcf->redis;
    u.default_port = NGX_HTTP_DJASS_DEFAULT_REDIS_PORT;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_redis \"%V\": %s", &dmcf->redis,
                           u.err ? u.err : "host not found");
        return NGX_CONF_ERROR;
    }

    if (u.uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "djass_redis \"%V\": want host:port or "
                           "unix:/path", &dmcf->redis);
        return NGX_CONF_ERROR;
    }

    dmcf->redis_host.data = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (dmcf->redis_host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    dmcf->redis_host.len = ngx_sock_ntop(u.addrs[0].sockaddr,
                                         u.addrs[0].socklen,
                                         dmcf->redis_host.data,
                                         NGX_SOCKADDR_STRLEN, 0);
    dmcf->redis_host.data[dmcf->redis_host.len] = '\0';
    dmcf->redis_port = ngx_inet_get_port(u.addrs[0].sockaddr);

    return NGX_CONF_OK;
}
