/*
 * Status changes of a project record (doc/redis-layout.md).  Times come
 * from Redis's own clock (TIME), so workers on hosts with skewed clocks
 * still write consistent created_at < started_at < finished_at.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "djass_parse.h"
#include "log.h"
#include "record.h"


#define DJASS_LUA_ACK                                                        \
    "local function ack()\n"                                                 \
    "    redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])\n"                    \
    "    redis.call('XDEL', KEYS[2], ARGV[2])\n"                             \
    "end\n"

#define DJASS_LUA_MOVE                                                       \
    "local function move(profile, from, to)\n"                               \
    "    local id = tonumber(string.match(KEYS[1], '(%d+)$'))\n"             \
    "    local base = 'djass:profile:' .. profile .. ':projects:'\n"         \
    "    redis.call('ZREM', base .. from, id)\n"                             \
    "    redis.call('ZADD', base .. to, id, id)\n"                           \
    "end\n"


/*
 * KEYS: project, stream; ARGV: group, entry, max attempts, the message of
 * a job that used them all up.
 */
static djass_script_t  djass_record_start_script = {
    "start",
    DJASS_LUA_ACK DJASS_LUA_MOVE
    "local r = redis.call('HMGET', KEYS[1], 'status', 'profile',\n"
    "                     'attempts', 'input_payload')\n"
    "if not r[1] then ack() return {'gone'} end\n"
    "if r[1] == 'ready' or r[1] == 'failed' then\n"
    "    ack() return {'done'}\n"
    "end\n"
    "local now = redis.call('TIME')[1]\n"
    "local attempts = tonumber(r[3]) or 0\n"
    "if attempts >= tonumber(ARGV[3]) then\n"
    "    redis.call('HSET', KEYS[1], 'status', 'failed',\n"
    "               'error_message', ARGV[4], 'finished_at', now,\n"
    "               'updated_at', now)\n"
    "    move(r[2], r[1], 'failed')\n"
    "    ack()\n"
    "    return {'exhausted', tostring(attempts)}\n"
    "end\n"
    "attempts = attempts + 1\n"
    "redis.call('HSET', KEYS[1], 'status', 'generating', 'started_at', now,\n"
    "           'updated_at', now, 'finished_at', '', 'error_message', '',\n"
    "           'attempts', attempts)\n"
    "move(r[2], r[1], 'generating')\n"
    "return {'started', tostring(attempts), r[4] or ''}\n",
    ""
};


/* KEYS: project; ARGV: attempt */
static djass_script_t  djass_record_owned_script = {
    "owned",
    "local r = redis.call('HMGET', KEYS[1], 'status', 'attempts')\n"
    "if r[1] == 'generating' and r[2] == ARGV[1] then return 1 end\n"
    "return 0\n",
    ""
};


/*
 * KEYS: project, stream; ARGV: group, entry, attempt, status, then field,
 * value pairs.
 */
static djass_script_t  djass_record_finish_script = {
    "finish",
    DJASS_LUA_ACK DJASS_LUA_MOVE
    "local r = redis.call('HMGET', KEYS[1], 'status', 'profile',\n"
    "                     'attempts')\n"
    "if not r[1] then ack() return 1 end\n"
    "if r[1] ~= 'generating' or r[3] ~= ARGV[3] then return 0 end\n"
    "local now = redis.call('TIME')[1]\n"
    "local set = {'status', ARGV[4], 'finished_at', now, 'updated_at', now}\n"
    "for i = 5, #ARGV do set[#set + 1] = ARGV[i] end\n"
    "if ARGV[4] == 'failed' then\n"
    "    redis.call('HDEL', KEYS[1], 'artifact', 'artifact_size',\n"
    "               'artifact_sha256')\n"
    "end\n"
    "redis.call('HSET', KEYS[1], unpack(set))\n"
    "move(r[2], r[1], ARGV[4])\n"
    "ack()\n"
    "return 1\n",
    ""
};


static void
djass_record_key(const djass_job_t *job, char *key, size_t len)
{
    snprintf(key, len, "djass:project:%s", job->project);
}


static int
djass_record_unexpected(djass_queue_t *q, djass_script_t *s,
    redisReply *reply)
{
    djass_log("redis %s: script %s: %s", q->redis->conf->redis, s->name,
              reply->type == REDIS_REPLY_ERROR ? reply->str
                                               : "unexpected reply");
    freeReplyObject(reply);
    return -1;
}


static int
djass_record_start_reply(redisReply *reply, djass_start_t *st)
{
    long long    attempt;
    const char  *what;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        return -1;
    }

    what = reply->element[0]->str;

    if (strcmp(what, "gone") == 0) {
        st->outcome = DJASS_START_GONE;
        return 0;
    }

    if (strcmp(what, "done") == 0) {
        st->outcome = DJASS_START_DONE;
        return 0;
    }

    if (reply->elements < 2 || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        return -1;
    }

    if (djass_parse_int(reply->element[1]->str, 0, INT_MAX, &attempt) != 0) {
        return -1;
    }

    st->attempt = (int) attempt;

    if (strcmp(what, "exhausted") == 0) {
        st->outcome = DJASS_START_EXHAUSTED;
        return 0;
    }

    if (strcmp(what, "started") != 0 || reply->elements < 3
        || reply->element[2]->type != REDIS_REPLY_STRING)
    {
        return -1;
    }

    st->outcome = DJASS_START_STARTED;
    st->payload = strdup(reply->element[2]->str);

    return st->payload ? 0 : -1;
}


int
djass_record_start(djass_queue_t *q, const djass_job_t *job,
    djass_start_t *st)
{
    char         key[64], max[16], msg[160];
    redisReply  *reply;
    const char  *argv[6];

    memset(st, 0, sizeof(djass_start_t));
    djass_record_key(job, key, sizeof(key));
    snprintf(max, sizeof(max), "%d", q->redis->conf->max_attempts);
    snprintf(msg, sizeof(msg), "Generation was interrupted %d times (the "
             "worker stopped or crashed each time); giving up.",
             q->redis->conf->max_attempts);

    argv[0] = key;
    argv[1] = DJASS_STREAM;
    argv[2] = DJASS_GROUP;
    argv[3] = job->entry;
    argv[4] = max;
    argv[5] = msg;

    reply = djass_redis_script(q->redis, &djass_record_start_script, 2, 6,
                               argv);
    if (reply == NULL) {
        return -1;
    }

    if (djass_record_start_reply(reply, st) != 0) {
        free(st->payload);
        st->payload = NULL;
        return djass_record_unexpected(q, &djass_record_start_script, reply);
    }

    freeReplyObject(reply);
    return 0;
}


static int
djass_record_int(djass_queue_t *q, djass_script_t *s, int nkeys, int argc,
    const char **argv)
{
    int          v;
    redisReply  *reply;

    reply = djass_redis_script(q->redis, s, nkeys, argc, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_INTEGER) {
        return djass_record_unexpected(q, s, reply);
    }

    v = (int) reply->integer;
    freeReplyObject(reply);
    return v;
}


int
djass_record_owned(djass_queue_t *q, const djass_job_t *job, int attempt)
{
    char         key[64], att[16];
    const char  *argv[2];

    djass_record_key(job, key, sizeof(key));
    snprintf(att, sizeof(att), "%d", attempt);

    argv[0] = key;
    argv[1] = att;

    return djass_record_int(q, &djass_record_owned_script, 1, 2, argv);
}


int
djass_record_finish(djass_queue_t *q, const djass_job_t *job, int attempt,
    const djass_finish_t *f)
{
    int          n;
    char         key[64], att[16], size[32];
    const char  *argv[14];

    djass_record_key(job, key, sizeof(key));
    snprintf(att, sizeof(att), "%d", attempt);

    argv[0] = key;
    argv[1] = DJASS_STREAM;
    argv[2] = DJASS_GROUP;
    argv[3] = job->entry;
    argv[4] = att;
    n = 6;

    if (f->error_message == NULL) {
        snprintf(size, sizeof(size), "%lld", f->artifact_size);
        argv[5] = "ready";
        argv[n++] = "artifact";
        argv[n++] = f->artifact;
        argv[n++] = "artifact_size";
        argv[n++] = size;
        argv[n++] = "artifact_sha256";
        argv[n++] = f->artifact_sha256;
        argv[n++] = "error_message";
        argv[n++] = "";

    } else {
        argv[5] = "failed";
        argv[n++] = "error_message";
        argv[n++] = f->error_message;
    }

    return djass_record_int(q, &djass_record_finish_script, 2, n, argv);
}
