/*
 * Redis for the programs (djass-worker and djassctl): addresses as their
 * command lines take them, a blocking connection with timeouts and AUTH,
 * and the checks a reply goes through.  The nginx module speaks to Redis
 * asynchronously and does not use this file.
 */

#ifndef DJASS_REDIS_H
#define DJASS_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>


#define DJASS_SENTINEL_PORT      26379
#define DJASS_SENTINELS_MAX      16


typedef struct {
    int   port;
    char  host[256];
} djass_hostport_t;


/*
 * "host:port", "host" (port 6379), "[::1]:6379", "unix:/path", or
 * "sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME" (Sentinel's port
 * 26379 when none is given): the master is then asked from the Sentinels
 * at every connect.
 */
typedef struct {
    int               is_unix;
    int               port;
    char              host[256];     /* or the socket path when is_unix */

    int               nsentinels;    /* 0: a plain address */
    char              master[128];   /* the master's name at the Sentinels */
    djass_hostport_t  sentinel[DJASS_SENTINELS_MAX];
} djass_addr_t;


/* what djass_redis_open() could not do */
typedef enum {
    DJASS_REDIS_OK = 0,
    DJASS_REDIS_ECONNECT,        /* unreachable, or the timeout not set */
    DJASS_REDIS_EAUTH            /* the server refused the password */
} djass_redis_e;


/* 0 on success, -1 when the address is malformed */
int djass_addr_parse(const char *s, size_t len, djass_addr_t *addr);

/*
 * Connects to addr with timeout_ms for the connect and for every command,
 * marks the socket close-on-exec (template hooks run in children) and
 * sends AUTH when password is not empty.  On failure *ctx is NULL and err
 * says why, in words fit for a log line.
 *
 * A Sentinel address: each Sentinel in turn is asked "SENTINEL
 * get-master-addr-by-name" (after AUTH with $DJASS_SENTINEL_PASSWORD when
 * that is set), the first answer is connected to, and ROLE must say
 * "master" there (a Sentinel may not know of a failover yet).
 */
djass_redis_e djass_redis_open(const djass_addr_t *addr,
    const char *password, int timeout_ms, redisContext **ctx, char *err,
    size_t len);

/* the text of a failed command: the server's error, or the transport's */
const char *djass_redis_errstr(const redisContext *ctx,
    const redisReply *reply);

/*
 * 1 when reply is an error that a Sentinel address answers by asking the
 * Sentinels again: -READONLY, -LOADING, -MASTERDOWN
 */
int djass_redis_moved(const redisReply *reply);

/* 0 and *n when reply is an integer, or a string that holds one */
int djass_redis_integer(const redisReply *reply, long long *n);

#endif /* DJASS_REDIS_H */
