/*
 * The retention sweep.  A turn is at most DJASS_SWEEP_BATCHES calls of
 * DJASS_SWEEP_BATCH deletions each: a backlog of a million expired
 * projects is worked off a thousand at a time between jobs, so that
 * neither Redis (each call is short) nor this worker's jobs wait long.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_scripts.h"
#include "log.h"
#include "sweep.h"


#define DJASS_SWEEP_LEASE_KEY     "djass:sweeper"
#define DJASS_SWEEP_FINISHED_KEY  "djass:finished"


static djass_script_t  djass_sweep_script = {
    DJASS_SCRIPT_RECORD_EXPIRE_NAME, djass_script_record_expire, "", 0
};

static long long  djass_sweep_next;    /* ms: the next turn */
static int        djass_sweep_holder;  /* this process held the lease */


/* one call: deleted count, and *more; -1 when busy or failed */
static int
djass_sweep_batch(djass_queue_t *q, int *more)
{
    int                  n;
    char                 lease[16], batch[16];
    redisReply          *reply;
    const char          *argv[DJASS_SCRIPT_RECORD_EXPIRE_NARGS];
    const djass_conf_t  *conf;

    conf = q->redis->conf;

    snprintf(lease, sizeof(lease), "%d", DJASS_SWEEP_LEASE_MS);
    snprintf(batch, sizeof(batch), "%d", DJASS_SWEEP_BATCH);

    argv[DJASS_SCRIPT_RECORD_EXPIRE_KEY_LEASE] = DJASS_SWEEP_LEASE_KEY;
    argv[DJASS_SCRIPT_RECORD_EXPIRE_KEY_FINISHED] = DJASS_SWEEP_FINISHED_KEY;
    argv[DJASS_SCRIPT_RECORD_EXPIRE_ARGV_HOLDER] = q->stream.consumer;
    argv[DJASS_SCRIPT_RECORD_EXPIRE_ARGV_LEASE_MS] = lease;
    argv[DJASS_SCRIPT_RECORD_EXPIRE_ARGV_RETENTION] = conf->retention_arg;
    argv[DJASS_SCRIPT_RECORD_EXPIRE_ARGV_BATCH] = batch;

    *more = 0;

    reply = djass_redis_script(q->redis, &djass_sweep_script,
                               DJASS_SCRIPT_RECORD_EXPIRE_NKEYS,
                               DJASS_SCRIPT_RECORD_EXPIRE_NARGS, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        djass_log("redis %s: script %s: %s", conf->redis,
                  djass_sweep_script.name,
                  reply->type == REDIS_REPLY_ERROR ? reply->str
                                                   : "unexpected reply");
        freeReplyObject(reply);
        return -1;
    }

    if (strcmp(reply->element[0]->str, "busy") == 0) {
        if (djass_sweep_holder) {
            djass_log("retention: the sweeper lease went to %s",
                      reply->element[1]->type == REDIS_REPLY_STRING
                      ? reply->element[1]->str : "another worker");
            djass_sweep_holder = 0;
        }

        freeReplyObject(reply);
        return -1;
    }

    if (reply->elements != 3
        || reply->element[1]->type != REDIS_REPLY_STRING
        || reply->element[2]->type != REDIS_REPLY_STRING)
    {
        djass_log("redis %s: script %s: unexpected reply", conf->redis,
                  djass_sweep_script.name);
        freeReplyObject(reply);
        return -1;
    }

    if (!djass_sweep_holder) {
        djass_log("retention: this worker sweeps now (projects finished "
                  "more than %lld s ago are deleted)", conf->retention);
        djass_sweep_holder = 1;
    }

    n = atoi(reply->element[1]->str);
    *more = strcmp(reply->element[2]->str, "1") == 0;

    freeReplyObject(reply);
    return n;
}


void
djass_sweep_tick(djass_queue_t *q)
{
    int        i, n, more, total;
    long long  now;

    if (q->redis->conf->retention == 0 || q->redis->ctx == NULL) {
        return;
    }

    now = djass_now_ms();
    if (now < djass_sweep_next) {
        return;
    }

    total = 0;
    more = 0;

    for (i = 0; i < DJASS_SWEEP_BATCHES; i++) {
        n = djass_sweep_batch(q, &more);
        if (n < 0) {
            break;
        }

        total += n;

        if (!more) {
            break;
        }
    }

    if (total > 0) {
        djass_log("retention: deleted %d projects finished more than %lld "
                  "s ago%s", total, q->redis->conf->retention,
                  more ? "; more next turn" : "");
    }

    djass_sweep_next = more ? now : now + DJASS_SWEEP_EVERY_MS;
}
