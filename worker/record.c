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
#include "djass_scripts.h"
#include "log.h"
#include "record.h"
#include "rollout.h"


/* the scripts are redis/record_*.lua, with their argument positions */
static djass_script_t  djass_record_start_script = {
    DJASS_SCRIPT_RECORD_START_NAME, djass_script_record_start, "", 1
};

static djass_script_t  djass_record_owned_script = {
    DJASS_SCRIPT_RECORD_OWNED_NAME, djass_script_record_owned, "", 0
};

static djass_script_t  djass_record_finish_script = {
    DJASS_SCRIPT_RECORD_FINISH_NAME, djass_script_record_finish, "", 1
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


/* element i of the reply if it is a string, else "" */
static const char *
djass_record_str(redisReply *reply, size_t i)
{
    if (i < reply->elements && reply->element[i]->type == REDIS_REPLY_STRING)
    {
        return reply->element[i]->str;
    }

    return "";
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
    free(st->payload);
    free(st->name);
    free(st->slug);
    st->payload = strdup(reply->element[2]->str);
    st->name = strdup(djass_record_str(reply, 3));
    st->slug = strdup(djass_record_str(reply, 4));

    if (djass_parse_int(djass_record_str(reply, 5), 0, LLONG_MAX,
                       &st->created_at)
        != 0)
    {
        st->created_at = 0;
    }

    /* issue 25: an upgrade's parent; one that does not fit stays "" */
    if (strlen(djass_record_str(reply, 6)) < sizeof(st->parent_commit)
        && strlen(djass_record_str(reply, 7)) < sizeof(st->upgraded_from))
    {
        strcpy(st->parent_commit, djass_record_str(reply, 6));
        strcpy(st->upgraded_from, djass_record_str(reply, 7));
    }

    return st->payload && st->name && st->slug ? 0 : -1;
}


/* the strings a start's reply gave, freed (the rest of *st kept) */
static void
djass_record_start_clear(djass_start_t *st)
{
    free(st->payload);
    free(st->name);
    free(st->slug);
    st->payload = NULL;
    st->name = NULL;
    st->slug = NULL;
}


int
djass_record_start(djass_queue_t *q, const djass_job_t *job,
    djass_start_t *st)
{
    int          rc;
    char         key[64], max[16], msg[160], redo[16];
    redisReply  *reply;
    const char  *argv[DJASS_SCRIPT_RECORD_START_NARGS];

    /* the attempt an unconfirmed first run counted, if any */
    redo[0] = '\0';
    if (st->outcome == DJASS_START_STARTED && st->attempt > 0) {
        snprintf(redo, sizeof(redo), "%d", st->attempt);
    }

    djass_record_key(job, key, sizeof(key));
    snprintf(max, sizeof(max), "%d", q->redis->conf->max_attempts);
    snprintf(msg, sizeof(msg), "Generation was interrupted %d times (the "
             "worker stopped or crashed each time); giving up.",
             q->redis->conf->max_attempts);

    argv[DJASS_SCRIPT_RECORD_START_KEY_PROJECT] = key;
    argv[DJASS_SCRIPT_RECORD_START_KEY_STREAM] = DJASS_STREAM;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_GROUP] = DJASS_GROUP;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_ENTRY] = job->entry;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_MAX] = max;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_MESSAGE] = msg;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_REDO] = redo;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_RECLAIMED] = job->reclaimed ? "1"
                                                                    : "0";
    argv[DJASS_SCRIPT_RECORD_START_ARGV_REQUEST_ID] = job->request_id;
    argv[DJASS_SCRIPT_RECORD_START_ARGV_RETENTION] =
        q->redis->conf->retention_arg;

    reply = djass_redis_script(q->redis, &djass_record_start_script,
                               DJASS_SCRIPT_RECORD_START_NKEYS,
                               DJASS_SCRIPT_RECORD_START_NARGS, argv);
    if (reply == NULL) {
        /* *st as it was: a lost reply may follow an unconfirmed run */
        return -1;
    }

    djass_record_start_clear(st);
    memset(st, 0, sizeof(djass_start_t));

    if (djass_record_start_reply(reply, st) != 0) {
        djass_record_start_clear(st);
        return djass_record_unexpected(q, &djass_record_start_script, reply);
    }

    freeReplyObject(reply);

    rc = 0;

    if (q->redis->unconfirmed) {
        /* kept (outcome, attempt): the next run takes this attempt up
         * again, and reads the strings again */
        djass_record_start_clear(st);
        rc = -1;
    }

    return rc;
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

    /* written on the master, not yet on the replicas: run again later */
    return q->redis->unconfirmed ? -1 : v;
}


int
djass_record_owned(djass_queue_t *q, const djass_job_t *job, int attempt)
{
    char         key[64], att[16];
    const char  *argv[DJASS_SCRIPT_RECORD_OWNED_NARGS];

    djass_record_key(job, key, sizeof(key));
    snprintf(att, sizeof(att), "%d", attempt);

    argv[DJASS_SCRIPT_RECORD_OWNED_KEY_PROJECT] = key;
    argv[DJASS_SCRIPT_RECORD_OWNED_ARGV_ATTEMPT] = att;

    return djass_record_int(q, &djass_record_owned_script,
                            DJASS_SCRIPT_RECORD_OWNED_NKEYS,
                            DJASS_SCRIPT_RECORD_OWNED_NARGS, argv);
}


int
djass_record_finish(djass_queue_t *q, const djass_job_t *job, int attempt,
    const djass_finish_t *f)
{
    int          n;
    char         key[64], att[16], size[32], ms[32];
    const char  *argv[DJASS_SCRIPT_RECORD_FINISH_NARGS + 14];

    djass_record_key(job, key, sizeof(key));
    snprintf(att, sizeof(att), "%d", attempt);

    argv[DJASS_SCRIPT_RECORD_FINISH_KEY_PROJECT] = key;
    argv[DJASS_SCRIPT_RECORD_FINISH_KEY_STREAM] = DJASS_STREAM;
    argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_GROUP] = DJASS_GROUP;
    argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_ENTRY] = job->entry;
    argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_ATTEMPT] = att;
    snprintf(ms, sizeof(ms), "%lld", f->duration_ms);
    argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_DURATION] = ms;
    argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_REQUEST_ID] = job->request_id;
    argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_RETENTION] =
        q->redis->conf->retention_arg;
    n = DJASS_SCRIPT_RECORD_FINISH_ARGV_FIELDS;

    /* the fields: at most seven pairs */
    if (f->error_message == NULL) {
        snprintf(size, sizeof(size), "%lld", f->artifact_size);
        argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_STATUS] = "ready";
        argv[n++] = "artifact";
        argv[n++] = f->artifact;
        argv[n++] = "artifact_size";
        argv[n++] = size;
        argv[n++] = "artifact_sha256";
        argv[n++] = f->artifact_sha256;
        argv[n++] = "error_message";
        argv[n++] = "";

        if (f->git_commit) {
            argv[n++] = "git_commit";
            argv[n++] = f->git_commit;
            argv[n++] = "git_pack";
            argv[n++] = f->git_pack;
        }

    } else {
        argv[DJASS_SCRIPT_RECORD_FINISH_ARGV_STATUS] = "failed";
        argv[n++] = "error_message";
        argv[n++] = f->error_message;
    }

    /* i25: the template version it was rendered with (worker/rollout.c) */
    if (djass_template_current[0]) {
        argv[n++] = "template_version";
        argv[n++] = djass_template_current;
    }

    return djass_record_int(q, &djass_record_finish_script,
                            DJASS_SCRIPT_RECORD_FINISH_NKEYS, n, argv);
}
