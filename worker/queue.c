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
    DJASS_SCRIPT_QUEUE_TOUCH_NAME, djass_script_queue_touch, ""
};

static djass_script_t  djass_queue_drop_script = {
    DJASS_SCRIPT_QUEUE_DROP_NAME, djass_script_queue_drop, ""
};

static djass_script_t  djass_queue_leave_script = {
    DJASS_SCRIPT_QUEUE_LEAVE_NAME, djass_script_queue_leave, ""
};


void
djass_queue_init(djass_queue_t *q, djass_redis_t *redis)
{
    char  host[256];

    memset(q, 0, sizeof(djass_queue_t));
    q->redis = redis;
    strcpy(q->cursor, "0-0");

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "localhost");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(q->consumer, sizeof(q->consumer), "%s:%d", host,
             (int) getpid());
}


/*
 * The group is created from id 0, not "$": jobs enqueued before the first
 * worker ever started are then not skipped.
 */
static int
djass_queue_group(djass_queue_t *q)
{
    redisReply  *reply;
    const char  *argv[] = { "XGROUP", "CREATE", DJASS_STREAM, DJASS_GROUP,
                            "0", "MKSTREAM" };

    if (q->group_conn == q->redis->conns) {
        return 0;
    }

    reply = djass_redis_argv(q->redis, 6, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "BUSYGROUP", 9) != 0)
    {
        djass_log("redis %s: XGROUP CREATE: %s", q->redis->conf->redis,
                  reply->str);
        freeReplyObject(reply);
        return -1;
    }

    freeReplyObject(reply);
    q->group_conn = q->redis->conns;
    return 0;
}


/* entry = [id, [field, value, ...]] */
static int
djass_queue_entry(redisReply *e, djass_job_t *job)
{
    size_t       i;
    redisReply  *f, *v;

    memset(job, 0, sizeof(djass_job_t));

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
        || e->element[0]->type != REDIS_REPLY_STRING
        || e->element[0]->len >= sizeof(job->entry))
    {
        return -1;
    }

    memcpy(job->entry, e->element[0]->str, e->element[0]->len);

    f = e->element[1];
    if (f->type != REDIS_REPLY_ARRAY) {
        return 0;
    }

    for (i = 0; i + 1 < f->elements; i += 2) {
        v = f->element[i + 1];

        if (f->element[i]->type == REDIS_REPLY_STRING
            && strcmp(f->element[i]->str, "request_id") == 0
            && v->type == REDIS_REPLY_STRING
            && v->len < sizeof(job->request_id)
            && strspn(v->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "abcdefghijklmnopqrstuvwxyz0123456789._:-") == v->len)
        {
            memcpy(job->request_id, v->str, v->len);
            job->request_id[v->len] = '\0';
            continue;
        }

        if (f->element[i]->type != REDIS_REPLY_STRING
            || strcmp(f->element[i]->str, "project") != 0
            || v->type != REDIS_REPLY_STRING
            || v->len == 0 || v->len >= sizeof(job->project)
            || strspn(v->str, "0123456789") != v->len)
        {
            continue;
        }

        memcpy(job->project, v->str, v->len);
        job->project[v->len] = '\0';
    }

    return 0;
}


static int
djass_queue_failed(djass_queue_t *q, const char *cmd, redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "NOGROUP", 7) == 0)
    {
        /* Redis came back without its data: make the group again */
        q->group_conn = 0;
        djass_log("redis %s: the consumer group is gone; creating it again",
                  q->redis->conf->redis);

        freeReplyObject(reply);
        return 0;
    }

    djass_log("redis %s: %s: %s", q->redis->conf->redis, cmd,
              reply->type == REDIS_REPLY_ERROR ? reply->str
                                               : "unexpected reply");
    freeReplyObject(reply);

    /* a server that keeps answering errors is not asked in a busy loop */
    djass_redis_sleep(1000, 1);
    return 0;
}


/*
 * One step of the sweep over the pending jobs of the whole group: claims
 * at most one job idle for the visibility timeout.  Redis 7 looks at no
 * more than 10 * COUNT entries per call, so the cursor goes on next time.
 */
static int
djass_queue_reclaim(djass_queue_t *q, djass_job_t *job)
{
    char         idle[32];
    redisReply  *reply, *entries;
    const char  *argv[8];

    snprintf(idle, sizeof(idle), "%d", q->redis->conf->visibility_ms);

    argv[0] = "XAUTOCLAIM";
    argv[1] = DJASS_STREAM;
    argv[2] = DJASS_GROUP;
    argv[3] = q->consumer;
    argv[4] = idle;
    argv[5] = q->cursor;
    argv[6] = "COUNT";
    argv[7] = "1";

    reply = djass_redis_argv(q->redis, 8, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return djass_queue_failed(q, "XAUTOCLAIM", reply);
    }

    snprintf(q->cursor, sizeof(q->cursor), "%s", reply->element[0]->str);

    if (strcmp(q->cursor, "0-0") == 0) {
        q->next_sweep = djass_now_ms()
                        + (q->redis->conf->visibility_ms / 2
                           < DJASS_SWEEP_MAX_MS
                           ? q->redis->conf->visibility_ms / 2
                           : DJASS_SWEEP_MAX_MS);
    }

    entries = reply->element[1];
    if (entries->elements == 0
        || djass_queue_entry(entries->element[0], job) != 0)
    {
        freeReplyObject(reply);
        return 0;
    }

    job->reclaimed = 1;
    freeReplyObject(reply);
    return 1;
}


/* reply = [[stream, [[id, [field, value, ...]]]]] or nil */
static int
djass_queue_read(djass_queue_t *q, djass_job_t *job, int block_ms)
{
    char         block[32];
    redisReply  *reply, *entries;
    const char  *argv[11];

    snprintf(block, sizeof(block), "%d", block_ms);

    argv[0] = "XREADGROUP";
    argv[1] = "GROUP";
    argv[2] = DJASS_GROUP;
    argv[3] = q->consumer;
    argv[4] = "COUNT";
    argv[5] = "1";
    argv[6] = "BLOCK";
    argv[7] = block;
    argv[8] = "STREAMS";
    argv[9] = DJASS_STREAM;
    argv[10] = ">";

    reply = djass_redis_argv(q->redis, 11, argv);

    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_NIL) {
        freeReplyObject(reply);
        return 0;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1
        || reply->element[0]->type != REDIS_REPLY_ARRAY
        || reply->element[0]->elements != 2
        || reply->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return djass_queue_failed(q, "XREADGROUP", reply);
    }

    entries = reply->element[0]->element[1];
    if (entries->elements == 0
        || djass_queue_entry(entries->element[0], job) != 0)
    {
        freeReplyObject(reply);
        return 0;
    }

    freeReplyObject(reply);
    return 1;
}


int
djass_queue_next(djass_queue_t *q, djass_job_t *job, int block_ms)
{
    int  rc;

    if (djass_queue_group(q) != 0) {
        if (q->redis->ctx == NULL) {
            return -1;
        }

        djass_redis_sleep(1000, 1);
        return 0;
    }

    while (djass_now_ms() >= q->next_sweep) {
        rc = djass_queue_reclaim(q, job);
        if (rc != 0) {
            return rc;
        }

        if (q->group_conn == 0) {
            return 0;
        }
    }

    return djass_queue_read(q, job, block_ms);
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
    argv[DJASS_SCRIPT_QUEUE_TOUCH_ARGV_CONSUMER] = q->consumer;
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
    return v == 1 ? 0 : -1;
}


void
djass_queue_leave(djass_queue_t *q)
{
    const char  *argv[DJASS_SCRIPT_QUEUE_LEAVE_NARGS];

    if (q->redis->ctx == NULL) {
        return;
    }

    argv[DJASS_SCRIPT_QUEUE_LEAVE_KEY_STREAM] = DJASS_STREAM;
    argv[DJASS_SCRIPT_QUEUE_LEAVE_ARGV_GROUP] = DJASS_GROUP;
    argv[DJASS_SCRIPT_QUEUE_LEAVE_ARGV_CONSUMER] = q->consumer;

    (void) djass_queue_run(q, &djass_queue_leave_script,
                           DJASS_SCRIPT_QUEUE_LEAVE_NKEYS,
                           DJASS_SCRIPT_QUEUE_LEAVE_NARGS, argv);
}
