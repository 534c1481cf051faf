/*
 * Template versions during a roll-out (see rollout.h).
 */

#include <stdio.h>
#include <string.h>

#include "djass_scripts.h"
#include "djass_template_version.h"
#include "log.h"
#include "rollout.h"


/* the jobs whose leaving was logged, so that each is logged once */
#define DJASS_ROLLOUT_SEEN   64


char  djass_template_current[65];

static char  djass_rollout_seen[DJASS_ROLLOUT_SEEN][64];
static int   djass_rollout_next;

static djass_script_t  djass_queue_pass_script = {
    DJASS_SCRIPT_QUEUE_PASS_NAME, djass_script_queue_pass, "", 0
};


int
djass_rollout_load(const djass_conf_t *conf)
{
    char  hex[DJASS_TEMPLATE_VERSION_LEN + 1], err[512];

    if (djass_template_version(conf->template_dir, hex, NULL, err,
                               sizeof(err))
        != 0)
    {
        djass_log("template %s: cannot compute its version: %s%s",
                  conf->template_dir, err,
                  djass_template_current[0] ? "; the version known before "
                                              "stays" : "");
        return -1;
    }

    if (strcmp(hex, djass_template_current) != 0) {
        if (djass_template_current[0]) {
            djass_log("template %s: version %s (was %s)", conf->template_dir,
                      hex, djass_template_current);
        }

        memcpy(djass_template_current, hex, sizeof(djass_template_current));
    }

    return 0;
}


/* 1 when this entry's leaving was logged already; else it is noted */
static int
djass_rollout_logged(const char *entry)
{
    int  i;

    for (i = 0; i < DJASS_ROLLOUT_SEEN; i++) {
        if (strcmp(djass_rollout_seen[i], entry) == 0) {
            return 1;
        }
    }

    snprintf(djass_rollout_seen[djass_rollout_next],
             sizeof(djass_rollout_seen[0]), "%s", entry);
    djass_rollout_next = (djass_rollout_next + 1) % DJASS_ROLLOUT_SEEN;

    return 0;
}


int
djass_rollout_take(djass_queue_t *q, const djass_job_t *job)
{
    long long    v;
    char         wait[32];
    redisReply  *reply;
    const char  *argv[DJASS_SCRIPT_QUEUE_PASS_NARGS];

    if (job->template_version[0] == '\0' || job->project[0] == '\0'
        || djass_template_current[0] == '\0'
        || strcmp(job->template_version, djass_template_current) == 0)
    {
        return 1;
    }

    snprintf(wait, sizeof(wait), "%d", q->redis->conf->visibility_ms);

    argv[DJASS_SCRIPT_QUEUE_PASS_KEY_STREAM] = DJASS_STREAM;
    argv[DJASS_SCRIPT_QUEUE_PASS_ARGV_GROUP] = DJASS_GROUP;
    argv[DJASS_SCRIPT_QUEUE_PASS_ARGV_CONSUMER] = q->stream.consumer;
    argv[DJASS_SCRIPT_QUEUE_PASS_ARGV_ENTRY] = job->entry;
    argv[DJASS_SCRIPT_QUEUE_PASS_ARGV_WAIT] = wait;

    reply = djass_redis_script(q->redis, &djass_queue_pass_script,
                               DJASS_SCRIPT_QUEUE_PASS_NKEYS,
                               DJASS_SCRIPT_QUEUE_PASS_NARGS, argv);
    if (reply == NULL) {
        return 0;
    }

    v = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;

    if (v < 0) {
        djass_log("redis %s: script %s: %s", q->redis->conf->redis,
                  djass_queue_pass_script.name,
                  reply->type == REDIS_REPLY_ERROR ? reply->str
                                                   : "unexpected reply");
    }

    freeReplyObject(reply);

    if (v == 1 && !djass_rollout_logged(job->entry)) {
        djass_log("project %s: validated against template %.12s, this worker "
                  "has %.12s: left for a worker that has it (rendered here "
                  "with %.12s if none takes it within %d s)", job->project,
                  job->template_version, djass_template_current,
                  djass_template_current,
                  q->redis->conf->visibility_ms / 1000);
    }

    if (v == 2) {
        djass_log("project %s: validated against template %.12s, but no "
                  "worker with it took the job within %d s: rendered with "
                  "this worker's %.12s, which its record says",
                  job->project, job->template_version,
                  q->redis->conf->visibility_ms / 1000,
                  djass_template_current);
        return 1;
    }

    return 0;
}
