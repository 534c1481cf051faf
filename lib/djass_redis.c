/*
 * Redis for djass-worker and djassctl (see djass_redis.h): one way to read
 * an address, to connect and to check a reply, for both programs.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_parse.h"
#include "djass_redis.h"


/* "host:port", "host" or "[::1]:port" into host and *port */

static int
djass_addr_tcp(const char *s, size_t len, char *host, size_t size,
    int *port)
{
    const char  *colon, *end;
    size_t       hlen;

    end = s + len;

    if (len && s[0] == '[') {
        colon = memchr(s, ']', len);
        if (colon == NULL) {
            return -1;
        }

        hlen = colon - s - 1;
        s++;
        colon++;

        if (colon != end && (*colon != ':'
            || djass_parse_port(colon + 1, end - colon - 1, port) != 0))
        {
            return -1;
        }

    } else {
        colon = memchr(s, ':', len);
        hlen = colon ? (size_t) (colon - s) : len;

        if (colon && djass_parse_port(colon + 1, end - colon - 1, port) != 0)
        {
            return -1;
        }
    }

    if (hlen == 0 || hlen >= size || memchr(s, '\0', hlen)) {
        return -1;
    }

    memcpy(host, s, hlen);
    host[hlen] = '\0';

    return 0;
}


/* sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME, after "sentinel://" */

static int
djass_addr_sentinel(const char *s, size_t len, djass_addr_t *addr)
{
    const char        *slash, *end, *comma;
    size_t             nlen;
    djass_hostport_t  *h;

    end = s + len;
    slash = memchr(s, '/', len);

    if (slash == NULL || slash == s) {
        return -1;
    }

    nlen = end - slash - 1;

    if (nlen == 0 || nlen >= sizeof(addr->master)
        || memchr(slash + 1, '\0', nlen) || memchr(slash + 1, '/', nlen))
    {
        return -1;
    }

    memcpy(addr->master, slash + 1, nlen);

    while (s < slash) {
        if (addr->nsentinels == DJASS_SENTINELS_MAX) {
            return -1;
        }

        comma = memchr(s, ',', slash - s);
        if (comma == NULL) {
            comma = slash;
        }

        h = &addr->sentinel[addr->nsentinels++];
        h->port = DJASS_SENTINEL_PORT;

        if (djass_addr_tcp(s, comma - s, h->host, sizeof(h->host), &h->port)
            != 0)
        {
            return -1;
        }

        s = comma + 1;
    }

    /* "a,/name": an empty last Sentinel */
    return slash[-1] == ',' ? -1 : 0;
}


int
djass_addr_parse(const char *s, size_t len, djass_addr_t *addr)
{
    memset(addr, 0, sizeof(djass_addr_t));

    if (len > 5 && memcmp(s, "unix:", 5) == 0) {
        if (len - 5 >= sizeof(addr->host) || s[5] == '\0') {
            return -1;
        }

        addr->is_unix = 1;
        memcpy(addr->host, s + 5, len - 5);
        return memchr(addr->host, '\0', len - 5) ? -1 : 0;
    }

    if (len >= 11 && memcmp(s, "sentinel://", 11) == 0) {
        if (djass_addr_sentinel(s + 11, len - 11, addr) != 0) {
            memset(addr, 0, sizeof(djass_addr_t));
            return -1;
        }

        return 0;
    }

    addr->port = 6379;

    return djass_addr_tcp(s, len, addr->host, sizeof(addr->host),
                          &addr->port);
}


static djass_redis_e
djass_redis_auth(redisContext *ctx, const char *password, char *err,
    size_t len)
{
    redisReply    *reply;
    const char    *argv[2];
    djass_redis_e  rc;

    argv[0] = "AUTH";
    argv[1] = password;

    reply = redisCommandArgv(ctx, 2, argv, NULL);
    rc = DJASS_REDIS_OK;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "AUTH failed: %s", djass_redis_errstr(ctx, reply));
        rc = DJASS_REDIS_EAUTH;
    }

    freeReplyObject(reply);
    return rc;
}


static redisContext *
djass_redis_tcp(const char *host, int port, int is_unix, int timeout_ms,
    char *err, size_t len)
{
    redisContext    *c;
    struct timeval   tv;

    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;

    c = is_unix ? redisConnectUnixWithTimeout(host, tv)
                : redisConnectWithTimeout(host, port, tv);

    if (c == NULL || c->err) {
        snprintf(err, len, "%s", c ? c->errstr : "out of memory");
        goto failed;
    }

    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(err, len, "cannot set the timeout");
        goto failed;
    }

    /* template hooks run in children: they must not hold the socket */
    (void) fcntl(c->fd, F_SETFD, FD_CLOEXEC);

    return c;

failed:

    if (c) {
        redisFree(c);
    }

    return NULL;
}


/* the master's address, from the first Sentinel that knows it */

static int
djass_sentinel_ask(const djass_addr_t *addr, int timeout_ms,
    djass_hostport_t *master, char *err, size_t len)
{
    int                      i, port;
    char                     e[256];
    const char              *pw, *argv[3];
    redisReply              *reply;
    redisContext            *c;
    const djass_hostport_t  *s;

    pw = getenv("DJASS_SENTINEL_PASSWORD");
    snprintf(err, len, "no Sentinel answered");

    for (i = 0; i < addr->nsentinels; i++) {
        s = &addr->sentinel[i];

        c = djass_redis_tcp(s->host, s->port, 0, timeout_ms, e, sizeof(e));
        if (c == NULL) {
            snprintf(err, len, "Sentinel %s:%d: %s", s->host, s->port, e);
            continue;
        }

        if (pw && pw[0]
            && djass_redis_auth(c, pw, e, sizeof(e)) != DJASS_REDIS_OK)
        {
            snprintf(err, len, "Sentinel %s:%d: %s", s->host, s->port, e);
            redisFree(c);
            continue;
        }

        argv[0] = "SENTINEL";
        argv[1] = "get-master-addr-by-name";
        argv[2] = addr->master;

        reply = redisCommandArgv(c, 3, argv, NULL);

        if (reply && reply->type == REDIS_REPLY_ARRAY
            && reply->elements == 2
            && reply->element[0]->type == REDIS_REPLY_STRING
            && reply->element[1]->type == REDIS_REPLY_STRING
            && reply->element[0]->len < sizeof(master->host)
            && djass_parse_port(reply->element[1]->str,
                                reply->element[1]->len, &port) == 0)
        {
            memcpy(master->host, reply->element[0]->str,
                   reply->element[0]->len + 1);
            master->port = port;
            freeReplyObject(reply);
            redisFree(c);
            return 0;
        }

        if (reply && reply->type == REDIS_REPLY_NIL) {
            snprintf(err, len, "Sentinel %s:%d knows no master named \"%s\"",
                     s->host, s->port, addr->master);

        } else {
            snprintf(err, len, "Sentinel %s:%d: %s", s->host, s->port,
                     reply ? (reply->type == REDIS_REPLY_ERROR
                              ? reply->str : "unexpected reply")
                           : djass_redis_errstr(c, NULL));
        }

        freeReplyObject(reply);
        redisFree(c);
    }

    return -1;
}


/* a Sentinel may name the old master for a moment after a failover */

static int
djass_redis_is_master(redisContext *c, char *err, size_t len)
{
    int          rc;
    redisReply  *reply;
    const char  *argv[1];

    argv[0] = "ROLE";

    reply = redisCommandArgv(c, 1, argv, NULL);

    rc = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
         && reply->element[0]->type == REDIS_REPLY_STRING
         && strcmp(reply->element[0]->str, "master") == 0;

    if (!rc) {
        snprintf(err, len, "not a master (%s)",
                 reply == NULL ? djass_redis_errstr(c, NULL)
                 : reply->type == REDIS_REPLY_ERROR ? reply->str
                 : reply->type == REDIS_REPLY_ARRAY && reply->elements
                   && reply->element[0]->type == REDIS_REPLY_STRING
                   ? reply->element[0]->str : "unexpected ROLE reply");
    }

    freeReplyObject(reply);
    return rc ? 0 : -1;
}


djass_redis_e
djass_redis_open(const djass_addr_t *addr, const char *password,
    int timeout_ms, redisContext **ctx, char *err, size_t len)
{
    char              e[256];
    redisContext     *c;
    djass_redis_e     rc;
    djass_hostport_t  master;

    *ctx = NULL;
    memset(&master, 0, sizeof(master));

    if (addr->nsentinels) {
        if (djass_sentinel_ask(addr, timeout_ms, &master, err, len) != 0) {
            return DJASS_REDIS_ECONNECT;
        }

        c = djass_redis_tcp(master.host, master.port, 0, timeout_ms, e,
                            sizeof(e));
        if (c == NULL) {
            snprintf(err, len, "master %s:%d: %s", master.host, master.port,
                     e);
            return DJASS_REDIS_ECONNECT;
        }

    } else {
        c = djass_redis_tcp(addr->host, addr->port, addr->is_unix,
                            timeout_ms, err, len);
        if (c == NULL) {
            return DJASS_REDIS_ECONNECT;
        }
    }

    if (password && password[0]) {
        rc = djass_redis_auth(c, password, err, len);
        if (rc != DJASS_REDIS_OK) {
            redisFree(c);
            return rc;
        }
    }

    if (addr->nsentinels && djass_redis_is_master(c, e, sizeof(e)) != 0) {
        snprintf(err, len, "master %s:%d: %s", master.host, master.port, e);
        redisFree(c);
        return DJASS_REDIS_ECONNECT;
    }

    *ctx = c;
    return DJASS_REDIS_OK;
}


int
djass_redis_moved(const redisReply *reply)
{
    return reply != NULL && reply->type == REDIS_REPLY_ERROR
           && (strncmp(reply->str, "READONLY", 8) == 0
               || strncmp(reply->str, "LOADING", 7) == 0
               || strncmp(reply->str, "MASTERDOWN", 10) == 0);
}


const char *
djass_redis_errstr(const redisContext *ctx, const redisReply *reply)
{
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        return reply->str;
    }

    return ctx->errstr[0] ? ctx->errstr : "connection lost";
}


int
djass_redis_integer(const redisReply *reply, long long *n)
{
    if (reply->type == REDIS_REPLY_INTEGER) {
        *n = reply->integer;
        return 0;
    }

    if (reply->type == REDIS_REPLY_STRING) {
        return djass_parse_int(reply->str, LLONG_MIN, LLONG_MAX, n);
    }

    return -1;
}
