/*
 * The worker's Redis connection.  Blocking hiredis is what the worker
 * wants: it does one thing at a time, and every call has a timeout, so a
 * dead or stalled server ends in an error, never in a hang.  Connecting
 * (timeouts, AUTH) is lib/djass_redis.c's, shared with djassctl; this file
 * adds what a long-running worker needs: reconnecting with backoff, and
 * Lua scripts run with EVALSHA.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "redis_util.h"
#include "signals.h"


#define DJASS_BACKOFF_MIN_MS   100
#define DJASS_BACKOFF_MAX_MS   5000


void
djass_redis_init(djass_redis_t *r, const djass_conf_t *conf)
{
    memset(r, 0, sizeof(djass_redis_t));
    r->conf = conf;
}


void
djass_redis_sleep(int ms, int stop_at)
{
    struct timespec  ts;
    long long        end;

    end = djass_now_ms() + ms;

    /* a signal cuts nanosleep short: then djass_stop is looked at */
    while (djass_stop < stop_at) {
        ms = (int) (end - djass_now_ms());
        if (ms <= 0) {
            return;
        }

        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (long) (ms % 1000) * 1000000;
        nanosleep(&ts, NULL);
    }
}


static int
djass_redis_backoff(int failures)
{
    int  ms;

    ms = DJASS_BACKOFF_MIN_MS;
    while (--failures > 0 && ms < DJASS_BACKOFF_MAX_MS) {
        ms *= 2;
    }

    if (ms > DJASS_BACKOFF_MAX_MS) {
        ms = DJASS_BACKOFF_MAX_MS;
    }

    /* jitter: N workers that lost Redis together do not return together */
    return ms / 2 + rand() % (ms / 2 + 1);
}


int
djass_redis_try(djass_redis_t *r)
{
    int        ms;
    char       err[256];
    long long  now;

    if (r->ctx) {
        return 0;
    }

    now = djass_now_ms();
    if (now < r->next_try) {
        return -1;
    }

    if (djass_redis_open(&r->conf->addr, r->conf->password,
                         r->conf->redis_timeout_ms, &r->ctx, err,
                         sizeof(err))
        != DJASS_REDIS_OK)
    {
        if (r->failures++ == 0) {
            r->down_since = now;
            djass_log("redis %s: %s; retrying with backoff", r->conf->redis,
                      err);
        }

        ms = djass_redis_backoff(r->failures);
        r->next_try = now + ms;
        djass_debug("redis %s: %s; next try in %d ms", r->conf->redis, err,
                    ms);
        return -1;
    }

    if (r->failures) {
        djass_log("redis %s: connected again after %lld ms", r->conf->redis,
                  now - r->down_since);
        r->failures = 0;
    }

    r->conns++;
    r->next_try = 0;
    return 0;
}


int
djass_redis_connect(djass_redis_t *r, int stop_at)
{
    while (djass_redis_try(r) != 0) {
        if (djass_stop >= stop_at) {
            return -1;
        }

        djass_redis_sleep((int) (r->next_try - djass_now_ms()), stop_at);
    }

    return 0;
}


/* a reply as a command got it: NULL (logged, and the connection dropped)
 * when there was none, or when a Sentinel address must be asked again */
static redisReply *
djass_redis_reply(djass_redis_t *r, const char *cmd, redisReply *reply)
{
    if (reply == NULL) {
        djass_log("redis %s: %s: %s", r->conf->redis, cmd,
                  djass_redis_errstr(r->ctx, NULL));
        djass_redis_close(r);
        return NULL;
    }

    if (r->conf->addr.nsentinels && djass_redis_moved(reply)) {
        /* a replica now, or not ready: ask the Sentinels again */
        djass_log("redis %s: %s: %s; asking the Sentinels again",
                  r->conf->redis, cmd, reply->str);
        freeReplyObject(reply);
        djass_redis_close(r);
        return NULL;
    }

    return reply;
}


redisReply *
djass_redis_argv(djass_redis_t *r, int argc, const char **argv)
{
    if (r->ctx == NULL) {
        return NULL;
    }

    return djass_redis_reply(r, argv[0],
                             redisCommandArgv(r->ctx, argc, argv, NULL));
}


/*
 * The WAIT's answer: 0 when enough replicas confirmed.  A streak of
 * unconfirmed records is logged once, and its end once.
 */
static int
djass_redis_waited(djass_redis_t *r, const char *name, redisReply *wait)
{
    long long  now;

    if (wait->type == REDIS_REPLY_INTEGER
        && wait->integer >= r->conf->redis_wait)
    {
        if (r->unconfirmed_since) {
            djass_log("redis %s: replicas confirm records again after "
                      "%lld ms", r->conf->redis,
                      djass_now_ms() - r->unconfirmed_since);
            r->unconfirmed_since = 0;
        }

        return 0;
    }

    now = djass_now_ms();

    if (r->unconfirmed_since == 0) {
        r->unconfirmed_since = now;

        if (wait->type == REDIS_REPLY_INTEGER) {
            djass_log("redis %s: script %s: %lld of %d replica(s) "
                      "confirmed it within %d ms (WAIT); the job is kept "
                      "and its record written again until they do",
                      r->conf->redis, name, wait->integer,
                      r->conf->redis_wait, r->conf->redis_wait_timeout_ms);

        } else {
            djass_log("redis %s: script %s: WAIT: %s; the job is kept and "
                      "its record written again until replicas confirm it",
                      r->conf->redis, name,
                      djass_redis_errstr(r->ctx, wait));
        }

    } else {
        djass_debug("redis %s: script %s: still unconfirmed after %lld ms",
                    r->conf->redis, name, now - r->unconfirmed_since);
    }

    r->unconfirmed = 1;
    return -1;
}


/* a script and "WAIT N TIMEOUT" in one write, and both answers read */
static redisReply *
djass_redis_confirmed(djass_redis_t *r, const char *name, int argc,
    const char **argv)
{
    char         n[16], ms[16];
    void        *p;
    redisReply  *reply, *wait;
    const char  *wv[3];

    if (r->ctx == NULL) {
        return NULL;
    }

    snprintf(n, sizeof(n), "%d", r->conf->redis_wait);
    snprintf(ms, sizeof(ms), "%d", r->conf->redis_wait_timeout_ms);
    wv[0] = "WAIT";
    wv[1] = n;
    wv[2] = ms;

    if (redisAppendCommandArgv(r->ctx, argc, argv, NULL) != REDIS_OK
        || redisAppendCommandArgv(r->ctx, 3, wv, NULL) != REDIS_OK
        || redisGetReply(r->ctx, &p) != REDIS_OK)
    {
        return djass_redis_reply(r, argv[0], NULL);
    }

    reply = p;

    if (redisGetReply(r->ctx, &p) != REDIS_OK) {
        freeReplyObject(reply);
        return djass_redis_reply(r, "WAIT", NULL);
    }

    wait = p;

    reply = djass_redis_reply(r, argv[0], reply);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        /* nothing was written, or the connection is gone */
        freeReplyObject(wait);
        return reply;
    }

    (void) djass_redis_waited(r, name, wait);
    freeReplyObject(wait);

    return reply;
}


static int
djass_redis_load(djass_redis_t *r, djass_script_t *s)
{
    redisReply  *reply;
    const char  *argv[3];

    argv[0] = "SCRIPT";
    argv[1] = "LOAD";
    argv[2] = s->src;

    reply = djass_redis_argv(r, 3, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
        djass_log("redis %s: SCRIPT LOAD %s: %s", r->conf->redis, s->name,
                  reply->type == REDIS_REPLY_ERROR ? reply->str
                                                   : "unexpected reply");
        freeReplyObject(reply);
        return -1;
    }

    memcpy(s->sha, reply->str, 40);
    s->sha[40] = '\0';
    freeReplyObject(reply);
    return 0;
}


redisReply *
djass_redis_script(djass_redis_t *r, djass_script_t *s, int nkeys, int argc,
    const char **argv)
{
    int           i, tries;
    char          nk[16];
    redisReply   *reply;
    const char  **av;

    av = malloc((argc + 3) * sizeof(char *));
    if (av == NULL) {
        return NULL;
    }

    snprintf(nk, sizeof(nk), "%d", nkeys);
    av[0] = "EVALSHA";
    av[2] = nk;
    for (i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
    }

    reply = NULL;
    r->unconfirmed = 0;

    /* NOSCRIPT: Redis restarted or was flushed since the load */
    for (tries = 0; tries < 2; tries++) {
        if (s->sha[0] == '\0' && djass_redis_load(r, s) != 0) {
            break;
        }

        av[1] = s->sha;
        reply = (s->confirm && r->conf->redis_wait)
                ? djass_redis_confirmed(r, s->name, argc + 3, av)
                : djass_redis_argv(r, argc + 3, av);

        if (reply == NULL || reply->type != REDIS_REPLY_ERROR
            || strncmp(reply->str, "NOSCRIPT", 8) != 0)
        {
            break;
        }

        freeReplyObject(reply);
        reply = NULL;
        s->sha[0] = '\0';
    }

    free(av);
    return reply;
}


void
djass_redis_close(djass_redis_t *r)
{
    if (r->ctx) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
}
