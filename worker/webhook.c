/*
 * The delivery loop (see webhook.h).  A message's life:
 *
 *   redis/record_finish.lua (or record_start.lua, exhausted) writes the
 *   message hash djass:webhook-msg:<id> and XADDs it to djass:webhooks;
 *   here XREADGROUP takes it (pending for this process), webhook_begin.lua
 *   counts the attempt, libcurl makes it, and webhook_done.lua acks the
 *   entry and either forgets the message or puts it in the retry schedule,
 *   in one step.  webhook_due.lua moves retries whose time has come back
 *   into the stream.  A process killed mid-attempt leaves the entry
 *   pending; XAUTOCLAIM of any delivery process takes it over once idle
 *   for --visibility-timeout plus --webhook-timeout (longer than a live
 *   attempt can take), and the attempt is made again: at least once.
 *
 * Retries: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the attempts
 * 1 to 7 (Standard Webhooks' schedule; about 28 hours in all), each
 * +/- 10 % jitter and times --webhook-schedule-scale; after the 8th failed
 * attempt the message is dropped with a log line.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "djass_scripts.h"
#include "log.h"
#include "redis_util.h"
#include "signals.h"
#include "stream.h"
#include "webhook.h"
#include "webhook_body.h"
#include "webhook_send.h"


#define DJASS_WH_BLOCK_MS      1000
#define DJASS_WH_SWEEP_MS      1000
#define DJASS_WH_DUE_LIMIT     "100"
#define DJASS_WH_RESTART_MS    1000


typedef struct {
    djass_redis_t   redis;
    djass_stream_t  stream;         /* djass:webhooks, its group, our name */
} djass_wh_t;


/* the stream entry's id and its "message" */
typedef djass_stream_entry_t  djass_wh_entry_t;


/* seconds to wait after attempt 1, 2, ... 7 */
static const int  djass_wh_schedule[DJASS_WH_ATTEMPTS - 1] = {
    5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600
};


static djass_script_t  djass_wh_begin_script = {
    DJASS_SCRIPT_WEBHOOK_BEGIN_NAME, djass_script_webhook_begin, "", 0
};

static djass_script_t  djass_wh_done_script = {
    DJASS_SCRIPT_WEBHOOK_DONE_NAME, djass_script_webhook_done, "", 0
};

static djass_script_t  djass_wh_due_script = {
    DJASS_SCRIPT_WEBHOOK_DUE_NAME, djass_script_webhook_due, "", 0
};



/* retries due now go back to the stream; ms until the next, or -1 */
static long long
djass_wh_due(djass_wh_t *w)
{
    long long    wait;
    redisReply  *reply;
    const char  *argv[DJASS_SCRIPT_WEBHOOK_DUE_NARGS];

    argv[DJASS_SCRIPT_WEBHOOK_DUE_KEY_SCHEDULE] = DJASS_WH_SCHEDULE;
    argv[DJASS_SCRIPT_WEBHOOK_DUE_KEY_STREAM] = DJASS_WH_STREAM;
    argv[DJASS_SCRIPT_WEBHOOK_DUE_ARGV_LIMIT] = DJASS_WH_DUE_LIMIT;

    reply = djass_redis_script(&w->redis, &djass_wh_due_script,
                               DJASS_SCRIPT_WEBHOOK_DUE_NKEYS,
                               DJASS_SCRIPT_WEBHOOK_DUE_NARGS, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_INTEGER) {
        djass_stream_failed(&w->stream, "script webhook_due", reply);
        return -1;
    }

    wait = reply->integer;
    freeReplyObject(reply);
    return wait;
}


/* one step of the sweep over pending entries of dead delivery processes */
static int
djass_wh_reclaim(djass_wh_t *w, djass_wh_entry_t *e)
{
    int        rc;
    long long  idle;

    /* longer than a live attempt can take */
    idle = (long long) w->redis.conf->visibility_ms
           + w->redis.conf->webhook_timeout_ms;

    rc = djass_stream_claim(&w->stream, idle, DJASS_WH_SWEEP_MS, e);
    if (rc == 1) {
        djass_log("webhooks: message %s taken over from a delivery process "
                  "that went silent", e->value[0] ? e->value : "?");
    }

    return rc;
}


/* the attempt's end, in one script: ack, and forget or reschedule */
static void
djass_wh_done(djass_wh_t *w, const djass_wh_entry_t *e, const char *outcome,
    long long delay_ms, int attempt, long status, const char *error)
{
    char         key[160], delay[32], att[16], st[32];
    redisReply  *reply;
    const char  *argv[DJASS_SCRIPT_WEBHOOK_DONE_NARGS];

    snprintf(key, sizeof(key), "djass:webhook-msg:%s", e->value);
    snprintf(delay, sizeof(delay), "%lld", delay_ms);
    snprintf(att, sizeof(att), "%d", attempt);
    if (status > 0) {
        snprintf(st, sizeof(st), "%ld", status);
    } else {
        st[0] = '\0';
    }

    argv[DJASS_SCRIPT_WEBHOOK_DONE_KEY_MESSAGE] = key;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_KEY_STREAM] = DJASS_WH_STREAM;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_KEY_SCHEDULE] = DJASS_WH_SCHEDULE;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_GROUP] = DJASS_WH_GROUP;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_ENTRY] = e->id;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_OUTCOME] = outcome;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_DELAY] = delay;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_ATTEMPT] = att;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_STATUS] = st;
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_ERROR] = error;

    reply = djass_redis_script(&w->redis, &djass_wh_done_script,
                               DJASS_SCRIPT_WEBHOOK_DONE_NKEYS,
                               DJASS_SCRIPT_WEBHOOK_DONE_NARGS, argv);
    if (reply == NULL) {
        /* the entry stays pending: the attempt is made again later */
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        djass_stream_failed(&w->stream, "script webhook_done", reply);
        return;
    }

    freeReplyObject(reply);
}


/* the delay after a failed attempt: the schedule, scaled, +/- 10 % */
static long long
djass_wh_delay(const djass_conf_t *conf, int attempt)
{
    double  ms;

    ms = djass_wh_schedule[attempt - 1] * 1000.0 * conf->webhook_scale;
    ms *= 0.9 + 0.2 * ((double) rand() / RAND_MAX);

    return ms < 1 ? 1 : (long long) ms;
}


/*
 * The create's X-Request-Id kept in the message, if it is one (the
 * module's rule: 1 to 128 of [A-Za-z0-9._:-]); "" otherwise: it goes into
 * a header and the log lines as it is.
 */
static const char *
djass_wh_request_id(const char *id)
{
    size_t  n;

    n = strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789._:-");

    return (n > 0 && n <= 128 && id[n] == '\0') ? id : "";
}


static void
djass_wh_deliver(djass_wh_t *w, const djass_wh_entry_t *e)
{
    int               attempt;
    char              key[160];
    long long         t0, ms, delay;
    size_t            i;
    redisReply       *reply, *el;
    const char       *argv[DJASS_SCRIPT_WEBHOOK_BEGIN_NARGS], *f[32],
                     *outcome;
    djass_send_t      s;
    djass_sent_t      sent;

    if (e->value[0] == '\0') {
        djass_log("webhooks: stream entry %s has no message: dropped",
                  e->id);
        djass_wh_done(w, e, "skipped", 0, 0, 0, "");
        return;
    }

    snprintf(key, sizeof(key), "djass:webhook-msg:%s", e->value);
    argv[DJASS_SCRIPT_WEBHOOK_BEGIN_KEY_MESSAGE] = key;

    reply = djass_redis_script(&w->redis, &djass_wh_begin_script,
                               DJASS_SCRIPT_WEBHOOK_BEGIN_NKEYS,
                               DJASS_SCRIPT_WEBHOOK_BEGIN_NARGS, argv);
    if (reply == NULL) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->elements > 32)
    {
        djass_stream_failed(&w->stream, "script webhook_begin", reply);
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        el = reply->element[i];
        f[i] = el->type == REDIS_REPLY_STRING ? el->str : "";
    }

    if (strcmp(f[0], "gone") == 0) {
        djass_debug("webhooks: message %s is gone (done already)",
                    e->value);
        djass_wh_done(w, e, "skipped", 0, 0, 0, "");
        freeReplyObject(reply);
        return;
    }

    if (strcmp(f[0], "skip") == 0 && reply->elements == 5) {
        djass_log("webhook %s project %s: message %s dropped: %s", f[3],
                  f[4], e->value, f[1]);
        djass_wh_done(w, e, "skipped", 0, atoi(f[2]), 0, "");
        freeReplyObject(reply);
        return;
    }

    if (strcmp(f[0], "ok") != 0
        || reply->elements != 10 + DJASS_WH_NFIELDS)
    {
        djass_stream_failed(&w->stream, "script webhook_begin", reply);
        return;
    }

    /*
     * ok attempt endpoint project type timestamp url secret private, the
     * project's fields, request_id
     */
    attempt = atoi(f[1]);

    memset(&s, 0, sizeof(djass_send_t));
    s.id = e->value;
    s.request_id = djass_wh_request_id(f[9 + DJASS_WH_NFIELDS]);
    s.url = f[6];
    s.secret = f[7];
    s.allow_private = strcmp(f[8], "1") == 0;
    s.body = djass_webhook_body(f[4], f[5], &f[9], &s.len);

    if (s.body == NULL) {
        djass_log("webhooks: out of memory");
        freeReplyObject(reply);
        return;
    }

    /* the attempt's log lines carry the create's request id */
    djass_log_context(s.request_id);

    t0 = djass_now_ms();
    djass_webhook_send(w->redis.conf, &s, &sent);
    ms = djass_now_ms() - t0;

    delay = 0;

    if (sent.status >= 200 && sent.status <= 299) {
        outcome = "delivered";

    } else if (sent.status == 410) {
        outcome = "disabled";

    } else if (attempt < DJASS_WH_ATTEMPTS) {
        outcome = "retrying";
        delay = djass_wh_delay(w->redis.conf, attempt);

    } else {
        outcome = "dropped";
    }

    if (sent.status) {
        snprintf(sent.error, sizeof(sent.error), "HTTP %ld", sent.status);
    }

    djass_log("webhook %s project %s attempt %d: %s%s in %lld ms: %s%s",
              f[2], f[3], attempt, sent.status ? "" : "error: ",
              sent.error, ms,
              strcmp(outcome, "disabled") == 0
              ? "410 Gone, the endpoint is now disabled" : outcome,
              strcmp(outcome, "dropped") == 0
              ? " after the last attempt, giving up" : "");

    if (delay) {
        djass_debug("webhook %s project %s: next attempt in %lld ms", f[2],
                    f[3], delay);
    }

    djass_wh_done(w, e, outcome, delay, attempt, sent.status,
                  sent.status ? "" : sent.error);

    djass_log_context(NULL);

    free((char *) s.body);
    freeReplyObject(reply);
}


int
djass_webhook_run(const djass_conf_t *conf)
{
    int               rc;
    long long         wait, block;
    djass_wh_t        w;
    djass_wh_entry_t  e;

    memset(&w, 0, sizeof(djass_wh_t));
    djass_redis_init(&w.redis, conf);

    djass_stream_init(&w.stream, &w.redis);
    w.stream.stream = DJASS_WH_STREAM;
    w.stream.group = DJASS_WH_GROUP;
    w.stream.field = "message";
    w.stream.max = sizeof(e.value) - 1;
    w.stream.who = "webhooks: ";

    if (djass_webhook_send_init() != 0) {
        djass_log("webhooks: libcurl did not start");
        return 1;
    }

    djass_debug("webhooks %s: waiting for messages", w.stream.consumer);

    while (!djass_stop) {
        if (djass_redis_connect(&w.redis, 1) != 0) {
            break;
        }

        if (djass_stream_group(&w.stream) != 0) {
            continue;
        }

        wait = djass_wh_due(&w);
        if (w.redis.ctx == NULL) {
            continue;
        }

        rc = 0;
        if (djass_now_ms() >= w.stream.next_sweep) {
            rc = djass_wh_reclaim(&w, &e);
        }

        if (rc == 0) {
            block = wait < 0 || wait > DJASS_WH_BLOCK_MS ? DJASS_WH_BLOCK_MS
                                                         : wait;
            /* a blocked read must end well before the command timeout */
            if (block > conf->redis_timeout_ms / 2) {
                block = conf->redis_timeout_ms / 2;
            }
            rc = djass_stream_read(&w.stream, block < 1 ? 1 : block, &e);
        }

        if (rc == 1) {
            djass_wh_deliver(&w, &e);
        }
    }

    djass_stream_leave(&w.stream);

    djass_redis_close(&w.redis);
    djass_webhook_send_done();

    djass_debug("webhooks %s: stopped", w.stream.consumer);
    return 0;
}


/* --- the delivery process's place among the worker's processes --------- */

pid_t
djass_webhook_fork(const djass_conf_t *conf)
{
    return djass_signals_fork(conf, djass_webhook_run);
}


static const djass_conf_t  *djass_wh_conf;
static pid_t                djass_wh_child;
static long long            djass_wh_restart_at;


void
djass_webhook_child_start(const djass_conf_t *conf)
{
    djass_wh_conf = conf;
    djass_wh_child = djass_webhook_fork(conf);

    if (djass_wh_child < 0) {
        djass_log("webhooks: cannot start the delivery process: %s",
                  strerror(errno));
        djass_wh_child = 0;
        djass_wh_restart_at = djass_now_ms() + DJASS_WH_RESTART_MS;
        return;
    }

    djass_log("webhook delivery process started, pid %d",
              (int) djass_wh_child);
}


void
djass_webhook_child_check(void)
{
    int    status;

    if (djass_wh_conf == NULL) {
        return;
    }

    if (djass_wh_child > 0
        && waitpid(djass_wh_child, &status, WNOHANG) == djass_wh_child)
    {
        djass_log("webhook delivery process (pid %d) ended (status %d); "
                  "restarting it", (int) djass_wh_child, status);
        djass_wh_child = 0;
        djass_wh_restart_at = djass_now_ms() + DJASS_WH_RESTART_MS;
    }

    if (djass_wh_child == 0 && !djass_stop
        && djass_now_ms() >= djass_wh_restart_at)
    {
        djass_webhook_child_start(djass_wh_conf);
    }
}


void
djass_webhook_child_stop(void)
{
    int  status;

    if (djass_wh_child <= 0) {
        return;
    }

    kill(djass_wh_child, SIGTERM);

    while (waitpid(djass_wh_child, &status, 0) < 0 && errno == EINTR) {
        /* a second stop signal: go on waiting, the attempt is bounded */
    }

    djass_wh_child = 0;
}
