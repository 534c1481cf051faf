/*
 * Jobs from the stream.  A job read here stays pending in the group until
 * the record says ready or failed (the record scripts acknowledge it), so
 * a worker that dies leaves it pending, and the reclaim sweep of another
 * worker picks it up once it has been idle for the visibility timeout.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "djass_scripts.h"
#include "log.h"
#include "queue.h"


#define DJASS_SWEEP_MAX_MS   5000


/* the scripts are redis/queue_*.lua, with their argument positions */
static djass_script_t  djass_queue_touch_script = {
    DJASS_SCRIPT_QUEUE_TOUCH_NAME, djass_script_queue_touch, "", 0
};

static djass_script_t  djass_queue_drop_script = {
    DJASS_SCRIPT_QUEUE_DROP_NAME, djass_script_queue_drop, "", 1
};



void
djass_queue_init(djass_queue_t *q, djass_redis_t *redis)
{
    memset(q, 0, sizeof(djass_queue_t));
    q->redis = redis;

    djass_stream_init(&q->stream, redis);
    q->stream.stream = DJASS_STREAM;
    q->stream.group = DJASS_GROUP;
    q->stream.field = "project";
    q->stream.accept = "0123456789";
    q->stream.max = sizeof(((djass_job_t *) 0)->project) - 1;
}


static int
djass_queue_job(int rc, const djass_stream_entry_t *e, djass_job_t *job)
{
    memset(job, 0, sizeof(djass_job_t));

    if (rc == 1) {
        memcpy(job->entry, e->id, sizeof(job->entry));
        memcpy(job->project, e->value, sizeof(job->project));
        memcpy(job->request_id, e->request_id, sizeof(job->request_id));
        memcpy(job->template_version, e->template_version,
               sizeof(job->template_version));
        job->manifest = e->manifest == 1;
    }

    return rc;
}


int
djass_queue_next(djass_queue_t *q, djass_job_t *job, int block_ms)
{
    int                    rc, sweep;
    djass_stream_t        *s;
    djass_stream_entry_t   e;

    s = &q->stream;

    if (djass_stream_group(s) != 0) {
        return q->redis->ctx == NULL ? -1 : 0;
    }

    /* a sweep that ended starts again in half the timeout, 5 s at most */
    sweep = q->redis->conf->visibility_ms / 2 < DJASS_SWEEP_MAX_MS
            ? q->redis->conf->visibility_ms / 2 : DJASS_SWEEP_MAX_MS;

    while (djass_now_ms() >= s->next_sweep) {
        rc = djass_stream_claim(s, q->redis->conf->visibility_ms, sweep, &e);
        if (rc != 0) {
            djass_queue_job(rc, &e, job);
            job->reclaimed = rc == 1;
            return rc;
        }

        if (s->group_conn == 0) {
            return 0;
        }
    }

    rc = djass_stream_read(s, block_ms, &e);

    return djass_queue_job(rc, &e, job);
}


/* a script of the queue whose reply is an integer; -1 on no Redis */
static int
djass_queue_run(djass_queue_t *q, djass_script_t *s, int nkeys, int argc,
    const char **argv)
{
    long long    v;
    redisReply  *reply;

    reply = djass_redis_script(q->redis, s, nkeys, argc, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_INTEGER) {
        djass_log("redis %s: script %s: %s", q->redis->conf->redis, s->name,
                  reply->type == REDIS_REPLY_ERROR ? reply->str
                                                   : "unexpected reply");
        freeReplyObject(reply);
        return -1;
    }

    v = reply->integer;
    freeReplyObject(reply);
    return (int) v;
}


int
djass_queue_touch(djass_queue_t *q, const djass_job_t *job)
{
    const char  *argv[DJASS_SCRIPT_QUEUE_TOUCH_NARGS];

    argv[DJASS_SCRIPT_QUEUE_TOUCH_KEY_STREAM] = DJASS_STREAM;
    argv[DJASS_SCRIPT_QUEUE_TOUCH_ARGV_GROUP] = DJASS_GROUP;
    argv[DJASS_SCRIPT_QUEUE_TOUCH_ARGV_CONSUMER] = q->stream.consumer;
    argv[DJASS_SCRIPT_QUEUE_TOUCH_ARGV_ENTRY] = job->entry;

    return djass_queue_run(q, &djass_queue_touch_script,
                           DJASS_SCRIPT_QUEUE_TOUCH_NKEYS,
                           DJASS_SCRIPT_QUEUE_TOUCH_NARGS, argv);
}


int
djass_queue_drop(djass_queue_t *q, const djass_job_t *job)
{
    long long    v;
    redisReply  *reply;
    const char  *argv[DJASS_SCRIPT_QUEUE_DROP_NARGS];

    argv[DJASS_SCRIPT_QUEUE_DROP_KEY_STREAM] = DJASS_STREAM;
    argv[DJASS_SCRIPT_QUEUE_DROP_ARGV_GROUP] = DJASS_GROUP;
    argv[DJASS_SCRIPT_QUEUE_DROP_ARGV_ENTRY] = job->entry;

    reply = djass_redis_script(q->redis, &djass_queue_drop_script,
                               DJASS_SCRIPT_QUEUE_DROP_NKEYS,
                               DJASS_SCRIPT_QUEUE_DROP_NARGS, argv);
    if (reply == NULL) {
        return -1;
    }

    v = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    freeReplyObject(reply);
    return (v == 1 && !q->redis->unconfirmed) ? 0 : -1;
}


void
djass_queue_leave(djass_queue_t *q)
{
    djass_stream_leave(&q->stream);
}
