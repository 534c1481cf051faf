/*
 * A stream read through a consumer group (see stream.h).
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "djass_scripts.h"
#include "log.h"
#include "stream.h"


static djass_script_t  djass_stream_leave_script = {
    DJASS_SCRIPT_QUEUE_LEAVE_NAME, djass_script_queue_leave, "", 0
};


void
djass_stream_init(djass_stream_t *s, djass_redis_t *redis)
{
    char  host[256];

    memset(s, 0, sizeof(djass_stream_t));
    s->redis = redis;
    s->who = "";
    strcpy(s->cursor, "0-0");

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "localhost");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(s->consumer, sizeof(s->consumer), "%s:%d", host,
             (int) getpid());
}


void
djass_stream_failed(djass_stream_t *s, const char *cmd, redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "NOGROUP", 7) == 0)
    {
        /* Redis came back without its data: make the group again */
        s->group_conn = 0;
        djass_log("%sredis %s: the consumer group is gone; creating it "
                  "again", s->who, s->redis->conf->redis);

        freeReplyObject(reply);
        return;
    }

    djass_log("%sredis %s: %s: %s", s->who, s->redis->conf->redis, cmd,
              reply->type == REDIS_REPLY_ERROR ? reply->str
                                               : "unexpected reply");
    freeReplyObject(reply);

    /* a server that keeps answering errors is not asked in a busy loop */
    djass_redis_sleep(1000, 1);
}


int
djass_stream_group(djass_stream_t *s)
{
    redisReply  *reply;
    const char  *argv[] = { "XGROUP", "CREATE", s->stream, s->group,
                            "0", "MKSTREAM" };

    if (s->group_conn == s->redis->conns) {
        return 0;
    }

    reply = djass_redis_argv(s->redis, 6, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "BUSYGROUP", 9) != 0)
    {
        djass_stream_failed(s, "XGROUP CREATE", reply);
        return -1;
    }

    freeReplyObject(reply);
    s->group_conn = s->redis->conns;
    return 0;
}


/* a job's "template_version" or "manifest" field: 0, or -1 when f is
 * neither (or v is not what it may be) */
static int
djass_stream_job_field(redisReply *f, redisReply *v,
    djass_stream_entry_t *out)
{
    if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
        return -1;
    }

    if (strcmp(f->str, "template_version") == 0) {
        if (v->len != sizeof(out->template_version) - 1
            || strspn(v->str, "0123456789abcdef") != v->len)
        {
            return -1;
        }

        memcpy(out->template_version, v->str, v->len + 1);
        return 0;
    }

    if (strcmp(f->str, "manifest") == 0
        && v->len == 1 && (v->str[0] == '0' || v->str[0] == '1'))
    {
        out->manifest = v->str[0] == '1';
        return 0;
    }

    return -1;
}


/* entry = [id, [field, value, ...]] */
static int
djass_stream_entry(djass_stream_t *s, redisReply *e,
    djass_stream_entry_t *out)
{
    size_t       i;
    redisReply  *f, *v;

    memset(out, 0, sizeof(djass_stream_entry_t));
    out->manifest = -1;

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
        || e->element[0]->type != REDIS_REPLY_STRING
        || e->element[0]->len >= sizeof(out->id))
    {
        return -1;
    }

    memcpy(out->id, e->element[0]->str, e->element[0]->len);

    f = e->element[1];
    if (f->type != REDIS_REPLY_ARRAY) {
        return 0;
    }

    for (i = 0; i + 1 < f->elements; i += 2) {
        v = f->element[i + 1];

        /* the X-Request-Id of the request that queued it, for the log */
        if (f->element[i]->type == REDIS_REPLY_STRING
            && strcmp(f->element[i]->str, "request_id") == 0
            && v->type == REDIS_REPLY_STRING
            && v->len < sizeof(out->request_id)
            && strspn(v->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "abcdefghijklmnopqrstuvwxyz0123456789._:-") == v->len)
        {
            memcpy(out->request_id, v->str, v->len);
            out->request_id[v->len] = '\0';
            continue;
        }

        /* i25: the job's template version and djass_manifest */
        if (djass_stream_job_field(f->element[i], v, out) == 0) {
            continue;
        }

        if (f->element[i]->type != REDIS_REPLY_STRING
            || strcmp(f->element[i]->str, s->field) != 0
            || v->type != REDIS_REPLY_STRING
            || v->len == 0 || v->len > s->max
            || v->len >= sizeof(out->value)
            || (s->accept && strspn(v->str, s->accept) != v->len))
        {
            continue;
        }

        memcpy(out->value, v->str, v->len);
        out->value[v->len] = '\0';
    }

    return 0;
}


int
djass_stream_claim(djass_stream_t *s, long long idle_ms, long long sweep_ms,
    djass_stream_entry_t *e)
{
    int          rc;
    char         idle[32];
    redisReply  *reply, *entries;
    const char  *argv[8];

    snprintf(idle, sizeof(idle), "%lld", idle_ms);

    argv[0] = "XAUTOCLAIM";
    argv[1] = s->stream;
    argv[2] = s->group;
    argv[3] = s->consumer;
    argv[4] = idle;
    argv[5] = s->cursor;
    argv[6] = "COUNT";
    argv[7] = "1";

    reply = djass_redis_argv(s->redis, 8, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        djass_stream_failed(s, "XAUTOCLAIM", reply);
        return 0;
    }

    snprintf(s->cursor, sizeof(s->cursor), "%s", reply->element[0]->str);

    if (strcmp(s->cursor, "0-0") == 0) {
        s->next_sweep = djass_now_ms() + sweep_ms;
    }

    entries = reply->element[1];
    rc = entries->elements > 0
         && djass_stream_entry(s, entries->element[0], e) == 0;

    freeReplyObject(reply);
    return rc;
}


/* reply = [[stream, [[id, [field, value, ...]]]]] or nil */
int
djass_stream_read(djass_stream_t *s, long long block_ms,
    djass_stream_entry_t *e)
{
    int          rc;
    char         block[32];
    redisReply  *reply, *entries;
    const char  *argv[11];

    snprintf(block, sizeof(block), "%lld", block_ms);

    argv[0] = "XREADGROUP";
    argv[1] = "GROUP";
    argv[2] = s->group;
    argv[3] = s->consumer;
    argv[4] = "COUNT";
    argv[5] = "1";
    argv[6] = "BLOCK";
    argv[7] = block;
    argv[8] = "STREAMS";
    argv[9] = s->stream;
    argv[10] = ">";

    if (block_ms < 0) {
        /* no BLOCK: an answer at once */
        argv[6] = "STREAMS";
        argv[7] = s->stream;
        argv[8] = ">";
    }

    reply = djass_redis_argv(s->redis, block_ms < 0 ? 9 : 11, argv);
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
        djass_stream_failed(s, "XREADGROUP", reply);
        return 0;
    }

    entries = reply->element[0]->element[1];
    rc = entries->elements > 0
         && djass_stream_entry(s, entries->element[0], e) == 0;

    freeReplyObject(reply);
    return rc;
}


void
djass_stream_leave(djass_stream_t *s)
{
    redisReply  *reply;
    const char  *argv[DJASS_SCRIPT_QUEUE_LEAVE_NARGS];

    if (s->redis->ctx == NULL) {
        return;
    }

    argv[DJASS_SCRIPT_QUEUE_LEAVE_KEY_STREAM] = s->stream;
    argv[DJASS_SCRIPT_QUEUE_LEAVE_ARGV_GROUP] = s->group;
    argv[DJASS_SCRIPT_QUEUE_LEAVE_ARGV_CONSUMER] = s->consumer;

    reply = djass_redis_script(s->redis, &djass_stream_leave_script,
                               DJASS_SCRIPT_QUEUE_LEAVE_NKEYS,
                               DJASS_SCRIPT_QUEUE_LEAVE_NARGS, argv);
    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        djass_log("%sredis %s: script %s: %s", s->who, s->redis->conf->redis,
                  djass_stream_leave_script.name, reply->str);
    }

    freeReplyObject(reply);
}
