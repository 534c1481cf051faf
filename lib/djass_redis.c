/*
 * Redis for djass-worker and djassctl (see djass_redis.h): one way to read
 * an address, to connect and to check a reply, for both programs.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "djass_parse.h"
#include "djass_redis.h"


static int
djass_addr_port(const char *p, size_t len, int *port)
{
    int  n;

    if (len == 0 || len > 5) {
        return -1;
    }

    for (n = 0; len; len--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        n = n * 10 + (*p - '0');
    }

    if (n < 1 || n > 65535) {
        return -1;
    }

    *port = n;

    return 0;
}


int
djass_addr_parse(const char *s, size_t len, djass_addr_t *addr)
{
    const char  *colon, *end;
    size_t       hlen;

    memset(addr, 0, sizeof(djass_addr_t));

    if (len > 5 && memcmp(s, "unix:", 5) == 0) {
        if (len - 5 >= sizeof(addr->host) || s[5] == '\0') {
            return -1;
        }

        addr->is_unix = 1;
        memcpy(addr->host, s + 5, len - 5);
        return memchr(addr->host, '\0', len - 5) ? -1 : 0;
    }

    addr->port = 6379;
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
            || djass_addr_port(colon + 1, end - colon - 1, &addr->port) != 0))
        {
            return -1;
        }

    } else {
        colon = memchr(s, ':', len);
        hlen = colon ? (size_t) (colon - s) : len;

        if (colon
            && djass_addr_port(colon + 1, end - colon - 1, &addr->port) != 0)
        {
            return -1;
        }
    }

    if (hlen == 0 || hlen >= sizeof(addr->host) || memchr(s, '\0', hlen)) {
        return -1;
    }

    memcpy(addr->host, s, hlen);

    return 0;
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


djass_redis_e
djass_redis_open(const djass_addr_t *addr, const char *password,
    int timeout_ms, redisContext **ctx, char *err, size_t len)
{
    redisContext    *c;
    djass_redis_e    rc;
    struct timeval   tv;

    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;

    *ctx = NULL;
    rc = DJASS_REDIS_ECONNECT;

    c = addr->is_unix ? redisConnectUnixWithTimeout(addr->host, tv)
                      : redisConnectWithTimeout(addr->host, addr->port, tv);

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

    if (password && password[0]) {
        rc = djass_redis_auth(c, password, err, len);
        if (rc != DJASS_REDIS_OK) {
            goto failed;
        }
    }

    *ctx = c;
    return DJASS_REDIS_OK;

failed:

    if (c) {
        redisFree(c);
    }

    return rc;
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
