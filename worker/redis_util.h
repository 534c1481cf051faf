/*
 * One blocking Redis connection with timeouts, that comes back by itself:
 * a command that meets a dead connection returns NULL and drops it, and
 * djass_redis_connect() reconnects with an exponential backoff.
 */

#ifndef DJASS_REDIS_UTIL_H
#define DJASS_REDIS_UTIL_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"


typedef struct {
    const djass_conf_t  *conf;
    redisContext        *ctx;
    int                  failures;      /* connects failed in a row */
    long long            down_since;    /* ms, while failures > 0 */
    long long            next_try;      /* ms: no connect before */
    unsigned long        conns;         /* connections opened so far */
    int                  unconfirmed;   /* the last script's WAIT found
                                           fewer replicas than --redis-wait */
    long long            unconfirmed_since;  /* ms, while that lasts */
} djass_redis_t;


/* a Lua script, loaded once per connection and run with EVALSHA */
typedef struct {
    const char  *name;
    const char  *src;
    char         sha[41];
    int          confirm;       /* a record: WAIT after it (--redis-wait) */
} djass_script_t;


void djass_redis_init(djass_redis_t *r, const djass_conf_t *conf);

/*
 * 0 once connected (at once if already); -1 when djass_stop reached
 * stop_at while it waited.  Logs the outage once and the recovery.
 */
int djass_redis_connect(djass_redis_t *r, int stop_at);

/* one connect attempt unless the backoff says wait: 0 if connected */
int djass_redis_try(djass_redis_t *r);

/* a reply (maybe of type REDIS_REPLY_ERROR), or NULL: the connection is
 * gone and has been dropped */
redisReply *djass_redis_argv(djass_redis_t *r, int argc, const char **argv);

/*
 * EVALSHA of s with KEYS = argv[0 .. nkeys-1], ARGV = the rest.  With
 * --redis-wait and s->confirm, "WAIT N TIMEOUT" goes in the same write;
 * when fewer replicas confirm, the reply is still returned (the script ran
 * on the master) and r->unconfirmed is 1: the caller keeps what it holds
 * and runs the script again later, which the record scripts take as done.
 */
redisReply *djass_redis_script(djass_redis_t *r, djass_script_t *s,
    int nkeys, int argc, const char **argv);

void djass_redis_close(djass_redis_t *r);

/* sleeps ms milliseconds unless djass_stop reaches stop_at first */
void djass_redis_sleep(int ms, int stop_at);

#endif /* DJASS_REDIS_UTIL_H */
