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
#include "webhook.h"
#include "webhook_body.h"
#include "webhook_send.h"


#define DJASS_WH_BLOCK_MS      1000
#define DJASS_WH_SWEEP_MS      1000
#define DJASS_WH_DUE_LIMIT     "100"
#define DJASS_WH_RESTART_MS    1000


typedef struct {
    djass_redis_t   redis;
    char            consumer[320];
    char            cursor[64];
    unsigned long   group_conn;
    long long       next_sweep;
} djass_wh_t;


typedef struct {
    char   entry[64];
    char   message[128];
} djass_wh_entry_t;


/* seconds to wait after attempt 1, 2, ... 7 */
static const int  djass_wh_schedule[DJASS_WH_ATTEMPTS - 1] = {
    5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600
};


static djass_script_t  djass_wh_begin_script = {
    DJASS_SCRIPT_WEBHOOK_BEGIN_NAME, djass_script_webhook_begin, ""
};

static djass_script_t  djass_wh_done_script = {
    DJASS_SCRIPT_WEBHOOK_DONE_NAME, djass_script_webhook_done, ""
};

static djass_script_t  djass_wh_due_script = {
    DJASS_SCRIPT_WEBHOOK_DUE_NAME, djass_script_webhook_due, ""
};

static djass_script_t  djass_wh_leave_script = {
    DJASS_SCRIPT_QUEUE_LEAVE_NAME, djass_script_queue_leave, ""
};


static void
djass_wh_failed(djass_wh_t *w, const char *cmd, redisReply *reply)
{
    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "NOGROUP", 7) == 0)
    {
        w->group_conn = 0;
        freeReplyObject(reply);
        return;
    }

    djass_log("webhooks: redis %s: %s: %s", w->redis.conf->redis, cmd,
              reply->type == REDIS_REPLY_ERROR ? reply->str
                                               : "unexpected reply");
    freeReplyObject(reply);
    djass_redis_sleep(1000, 1);
}


static int
djass_wh_group(djass_wh_t *w)
{
    redisReply  *reply;
    const char  *argv[] = { "XGROUP", "CREATE", DJASS_WH_STREAM,
                            DJASS_WH_GROUP, "0", "MKSTREAM" };

    if (w->group_conn == w->redis.conns) {
        return 0;
    }

    reply = djass_redis_argv(&w->redis, 6, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_ERROR
        && strncmp(reply->str, "BUSYGROUP", 9) != 0)
    {
        djass_wh_failed(w, "XGROUP CREATE", reply);
        return -1;
    }

    freeReplyObject(reply);
    w->group_conn = w->redis.conns;
    return 0;
}


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
        djass_wh_failed(w, "script webhook_due", reply);
        return -1;
    }

    wait = reply->integer;
    freeReplyObject(reply);
    return wait;
}


/* entry = [id, [field, value, ...]]: the message id from "message" */
static int
djass_wh_entry(redisReply *e, djass_wh_entry_t *out)
{
    size_t       i;
    redisReply  *f, *v;

    memset(out, 0, sizeof(djass_wh_entry_t));

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
        || e->element[0]->type != REDIS_REPLY_STRING
        || e->element[0]->len >= sizeof(out->entry))
    {
        return -1;
    }

    memcpy(out->entry, e->element[0]->str, e->element[0]->len);

    f = e->element[1];
    if (f->type != REDIS_REPLY_ARRAY) {
        return 0;
    }

    for (i = 0; i + 1 < f->elements; i += 2) {
        v = f->element[i + 1];

        if (f->element[i]->type == REDIS_REPLY_STRING
            && strcmp(f->element[i]->str, "message") == 0
            && v->type == REDIS_REPLY_STRING && v->len > 0
            && v->len < sizeof(out->message))
        {
            memcpy(out->message, v->str, v->len);
            out->message[v->len] = '\0';
        }
    }

    return 0;
}


/* one step of the sweep over pending entries of dead delivery processes */
static int
djass_wh_reclaim(djass_wh_t *w, djass_wh_entry_t *out)
{
    int          rc;
    char         idle[32];
    redisReply  *reply, *entries;
    const char  *argv[8];

    snprintf(idle, sizeof(idle), "%d", w->redis.conf->visibility_ms
                                       + w->redis.conf->webhook_timeout_ms);

    argv[0] = "XAUTOCLAIM";
    argv[1] = DJASS_WH_STREAM;
    argv[2] = DJASS_WH_GROUP;
    argv[3] = w->consumer;
    argv[4] = idle;
    argv[5] = w->cursor;
    argv[6] = "COUNT";
    argv[7] = "1";

    reply = djass_redis_argv(&w->redis, 8, argv);
    if (reply == NULL) {
        return -1;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        djass_wh_failed(w, "XAUTOCLAIM", reply);
        return 0;
    }

    snprintf(w->cursor, sizeof(w->cursor), "%s", reply->element[0]->str);
    if (strcmp(w->cursor, "0-0") == 0) {
        w->next_sweep = djass_now_ms() + DJASS_WH_SWEEP_MS;
    }

    entries = reply->element[1];
    rc = entries->elements > 0
         && djass_wh_entry(entries->element[0], out) == 0;

    freeReplyObject(reply);

    if (rc) {
        djass_log("webhooks: message %s taken over from a delivery process "
                  "that went silent", out->message[0] ? out->message : "?");
    }

    return rc;
}


static int
djass_wh_read(djass_wh_t *w, djass_wh_entry_t *out, long long block_ms)
{
    int          rc;
    char         block[32];
    redisReply  *reply, *entries;
    const char  *argv[11];

    snprintf(block, sizeof(block), "%lld", block_ms);

    argv[0] = "XREADGROUP";
    argv[1] = "GROUP";
    argv[2] = DJASS_WH_GROUP;
    argv[3] = w->consumer;
    argv[4] = "COUNT";
    argv[5] = "1";
    argv[6] = "BLOCK";
    argv[7] = block;
    argv[8] = "STREAMS";
    argv[9] = DJASS_WH_STREAM;
    argv[10] = ">";

    reply = djass_redis_argv(&w->redis, 11, argv);
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
        djass_wh_failed(w, "XREADGROUP", reply);
        return 0;
    }

    entries = reply->element[0]->element[1];
    rc = entries->elements > 0
         && djass_wh_entry(entries->element[0], out) == 0;

    freeReplyObject(reply);
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

    snprintf(key, sizeof(key), "djass:webhook-msg:%s", e->message);
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
    argv[DJASS_SCRIPT_WEBHOOK_DONE_ARGV_ENTRY] = e->entry;
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
        djass_wh_failed(w, "script webhook_done", reply);
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

    if (e->message[0] == '\0') {
        djass_log("webhooks: stream entry %s has no message: dropped",
                  e->entry);
        djass_wh_done(w, e, "skipped", 0, 0, 0, "");
        return;
    }

    snprintf(key, sizeof(key), "djass:webhook-msg:%s", e->message);
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
        djass_wh_failed(w, "script webhook_begin", reply);
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        el = reply->element[i];
        f[i] = el->type == REDIS_REPLY_STRING ? el->str : "";
    }

    if (strcmp(f[0], "gone") == 0) {
        djass_debug("webhooks: message %s is gone (done already)",
                    e->message);
        djass_wh_done(w, e, "skipped", 0, 0, 0, "");
        freeReplyObject(reply);
        return;
    }

    if (strcmp(f[0], "skip") == 0 && reply->elements == 5) {
        djass_log("webhook %s project %s: message %s dropped: %s", f[3],
                  f[4], e->message, f[1]);
        djass_wh_done(w, e, "skipped", 0, atoi(f[2]), 0, "");
        freeReplyObject(reply);
        return;
    }

    if (strcmp(f[0], "ok") != 0 || reply->elements != 9 + DJASS_WH_NFIELDS)
    {
        djass_wh_failed(w, "script webhook_begin", reply);
        return;
    }

    /* ok attempt endpoint project type timestamp url secret private ... */
    attempt = atoi(f[1]);

    memset(&s, 0, sizeof(djass_send_t));
    s.id = e->message;
    s.url = f[6];
    s.secret = f[7];
    s.allow_private = strcmp(f[8], "1") == 0;
    s.body = djass_webhook_body(f[4], f[5], &f[9], &s.len);

    if (s.body == NULL) {
        djass_log("webhooks: out of memory");
        freeReplyObject(reply);
        return;
    }

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

    free((char *) s.body);
    freeReplyObject(reply);
}


int
djass_webhook_run(const djass_conf_t *conf)
{
    int               rc;
    char              host[256];
    long long         wait, block;
    djass_wh_t        w;
    djass_wh_entry_t  e;
    const char       *argv[DJASS_SCRIPT_QUEUE_LEAVE_NARGS];

    memset(&w, 0, sizeof(djass_wh_t));
    djass_redis_init(&w.redis, conf);
    strcpy(w.cursor, "0-0");

    if (gethostname(host, sizeof(host)) != 0) {
        strcpy(host, "localhost");
    }
    host[sizeof(host) - 1] = '\0';
    snprintf(w.consumer, sizeof(w.consumer), "%s:%d", host, (int) getpid());

    if (djass_webhook_send_init() != 0) {
        djass_log("webhooks: libcurl did not start");
        return 1;
    }

    djass_debug("webhooks %s: waiting for messages", w.consumer);

    while (!djass_stop) {
        if (djass_redis_connect(&w.redis, 1) != 0) {
            break;
        }

        if (djass_wh_group(&w) != 0) {
            continue;
        }

        wait = djass_wh_due(&w);
        if (w.redis.ctx == NULL) {
            continue;
        }

        rc = 0;
        if (djass_now_ms() >= w.next_sweep) {
            rc = djass_wh_reclaim(&w, &e);
        }

        if (rc == 0) {
            block = wait < 0 || wait > DJASS_WH_BLOCK_MS ? DJASS_WH_BLOCK_MS
                                                         : wait;
            /* a blocked read must end well before the command timeout */
            if (block > conf->redis_timeout_ms / 2) {
                block = conf->redis_timeout_ms / 2;
            }
            rc = djass_wh_read(&w, &e, block < 1 ? 1 : block);
        }

        if (rc == 1) {
            djass_wh_deliver(&w, &e);
        }
    }

    if (w.redis.ctx) {
        argv[DJASS_SCRIPT_QUEUE_LEAVE_KEY_STREAM] = DJASS_WH_STREAM;
        argv[DJASS_SCRIPT_QUEUE_LEAVE_ARGV_GROUP] = DJASS_WH_GROUP;
        argv[DJASS_SCRIPT_QUEUE_LEAVE_ARGV_CONSUMER] = w.consumer;

        freeReplyObject(djass_redis_script(&w.redis, &djass_wh_leave_script,
                                           DJASS_SCRIPT_QUEUE_LEAVE_NKEYS,
                                           DJASS_SCRIPT_QUEUE_LEAVE_NARGS,
                                           argv));
    }

    djass_redis_close(&w.redis);
    djass_webhook_send_done();

    djass_debug("webhooks %s: stopped", w.consumer);
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
