/*
 * The delivery loop (see webhook.h).  A message's life:
 *
 *   redis/record_finish.lua (or record_start.lua, exhausted) writes the
 *   message hash djass:webhook-msg:<id> and XADDs it to djass:webhooks;
 *   here XREADGROUP takes it (pending for this process) and it waits in
 *   its endpoint's queue until the endpoint has fewer than
 *   --webhook-per-endpoint messages in flight and the process fewer than
 *   --webhook-concurrency; then webhook_begin.lua counts the attempt, a
 *   lookup thread resolves the host (webhook_resolve.c), libcurl's multi
 *   handle makes the request beside the others in flight, and
 *   webhook_done.lua acks the entry and either forgets the message or puts
 *   it in the retry schedule, in one step.  webhook_due.lua moves retries
 *   whose time has come back into the stream.  A process killed
 *   mid-attempt leaves the entry pending; XAUTOCLAIM of any delivery
 *   process takes it over once idle for --visibility-timeout plus
 *   --webhook-timeout (longer than a live attempt can take; the entries
 *   waiting here are touched, XCLAIM JUSTID, so none looks idle), and the
 *   attempt is made again: at least once.
 *
 * One slow endpoint holds only its own slots: an attempt is allowed
 * --webhook-timeout from its begin to its answer, the lookup included,
 * and an endpoint whose attempts time out DJASS_WH_PAUSE_AFTER times in a
 * row is paused (1 min, doubling up to 1 h, times the schedule scale):
 * its messages go back to the schedule as "deferred", which is no
 * attempt, until then.  Past DJASS_WH_EP_WAITING_MAX waiting for one
 * endpoint, its next messages are deferred by --webhook-timeout too, so
 * one tenant's backlog never fills the DJASS_WH_WAITING_MAX entries this
 * process holds (and never stops it reading the others').
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

#include <arpa/inet.h>
#include <curl/curl.h>

#include "djass_scripts.h"
#include "log.h"
#include "redis_util.h"
#include "signals.h"
#include "stream.h"
#include "webhook.h"
#include "webhook_body.h"
#include "webhook_resolve.h"
#include "webhook_send.h"


#define DJASS_WH_BLOCK_MS      1000
#define DJASS_WH_SWEEP_MS      1000
#define DJASS_WH_POLL_MS       100     /* the loop's turn while busy */
#define DJASS_WH_READ_BATCH    64      /* new entries read per turn */
#define DJASS_WH_WAITING_MAX   2000    /* entries held here, at most */
#define DJASS_WH_EP_WAITING_MAX 100    /* ... waiting for one endpoint */
#define DJASS_WH_DUE_LIMIT     "100"
#define DJASS_WH_RESTART_MS    1000
#define DJASS_WH_PAUSE_AFTER   3       /* timeouts in a row */
#define DJASS_WH_PAUSE_MS      60000
#define DJASS_WH_PAUSE_MAX_MS  3600000


/* the stream entry's id and its "message" */
typedef djass_stream_entry_t  djass_wh_entry_t;

typedef struct djass_wh_ep_s   djass_wh_ep_t;
typedef struct djass_wh_job_s  djass_wh_job_t;


/* a message held by this process, waiting or in flight */
struct djass_wh_job_s {
    djass_wh_job_t   *next;          /* its endpoint's queue, or in flight */
    djass_wh_ep_t    *ep;
    djass_wh_entry_t  e;
    int               resolving;     /* lookup holds a thread */
    int               attempt;
    redisReply       *reply;         /* webhook_begin's */
    const char       *f[32];         /* its fields */
    djass_send_t      s;
    djass_url_t       u;
    djass_lookup_t   *lookup;
    djass_attempt_t   a;             /* a.h in the multi handle */
    long long         t0;            /* the attempt's begin, ms */
    long long         deadline;
};


/* an endpoint with messages held here, or paused */
struct djass_wh_ep_s {
    djass_wh_ep_t    *next;
    char              id[64];        /* ep_..., "" for no endpoint */
    int               inflight;
    int               waiting;
    djass_wh_job_t   *head, *tail;   /* waiting, in stream order */
    int               timeouts;      /* attempts timed out in a row */
    long long         paused_until;  /* ms, 0: not paused */
    long long         last;          /* ms of its last attempt's end */
};


typedef struct {
    djass_redis_t     redis;
    djass_stream_t    stream;        /* djass:webhooks, its group, us */
    const djass_conf_t *conf;
    CURLM            *multi;
    djass_wh_ep_t    *eps;
    djass_wh_ep_t    *turn;          /* where the next start looks first */
    djass_wh_job_t   *flying;        /* begun, not ended */
    int               inflight;
    int               held;          /* waiting + in flight */
    long long         next_touch;
    long long         next_read;
} djass_wh_t;


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


/* --- endpoints and the messages held ------------------------------------ */

static djass_wh_ep_t *
djass_wh_ep(djass_wh_t *w, const char *id)
{
    djass_wh_ep_t  *ep;

    for (ep = w->eps; ep; ep = ep->next) {
        if (strcmp(ep->id, id) == 0) {
            return ep;
        }
    }

    ep = calloc(1, sizeof(djass_wh_ep_t));
    if (ep == NULL) {
        return NULL;
    }

    snprintf(ep->id, sizeof(ep->id), "%s", id);
    ep->next = w->eps;
    w->eps = ep;

    return ep;
}


/* endpoints with nothing held and nothing to remember are let go */
static void
djass_wh_ep_sweep(djass_wh_t *w, long long now)
{
    djass_wh_ep_t  **pp, *ep;

    for (pp = &w->eps; (ep = *pp) != NULL; ) {
        if (ep->inflight == 0 && ep->waiting == 0
            && (ep->timeouts == 0 || now - ep->last > DJASS_WH_PAUSE_MAX_MS)
            && ep->paused_until <= now)
        {
            *pp = ep->next;
            if (w->turn == ep) {
                w->turn = NULL;
            }
            free(ep);
            continue;
        }

        pp = &ep->next;
    }
}


/* whether this process holds the entry already (its own sweep took it) */
static int
djass_wh_held(djass_wh_t *w, const char *id)
{
    djass_wh_ep_t   *ep;
    djass_wh_job_t  *j;

    for (j = w->flying; j; j = j->next) {
        if (strcmp(j->e.id, id) == 0) {
            return 1;
        }
    }

    for (ep = w->eps; ep; ep = ep->next) {
        for (j = ep->head; j; j = j->next) {
            if (strcmp(j->e.id, id) == 0) {
                return 1;
            }
        }
    }

    return 0;
}


static void
djass_wh_job_free(djass_wh_t *w, djass_wh_job_t *j)
{
    if (j->lookup) {
        djass_lookup_abandon(j->lookup);
    }

    if (j->a.h) {
        curl_multi_remove_handle(w->multi, j->a.h);
        djass_webhook_attempt_free(&j->a);
    }

    free((char *) j->s.body);
    if (j->reply) {
        freeReplyObject(j->reply);
    }

    free(j);
    w->held--;
}


/* the endpoint of a message, from its hash; "" when there is none */
static void
djass_wh_endpoint_of(djass_wh_t *w, const djass_wh_entry_t *e, char *id,
    size_t size)
{
    char         key[160];
    redisReply  *reply;
    const char  *argv[3];

    id[0] = '\0';

    snprintf(key, sizeof(key), "djass:webhook-msg:%s", e->value);
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "endpoint";

    reply = djass_redis_argv(&w->redis, 3, argv);
    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_STRING && reply->len < size) {
        memcpy(id, reply->str, reply->len + 1);
    }

    freeReplyObject(reply);
}


/* a message read from the stream joins its endpoint's queue */
static void
djass_wh_hold(djass_wh_t *w, const djass_wh_entry_t *e)
{
    char             id[64];
    djass_wh_ep_t   *ep;
    djass_wh_job_t  *j;

    if (djass_wh_held(w, e->id)) {
        return;
    }

    if (e->value[0] == '\0') {
        djass_log("webhooks: stream entry %s has no message: dropped",
                  e->id);
        djass_wh_done(w, e, "skipped", 0, 0, 0, "");
        return;
    }

    djass_wh_endpoint_of(w, e, id, sizeof(id));

    j = calloc(1, sizeof(djass_wh_job_t));
    ep = j ? djass_wh_ep(w, id) : NULL;
    if (ep == NULL) {
        /* left pending: taken over later */
        djass_log("webhooks: out of memory");
        free(j);
        return;
    }

    if (ep->waiting >= DJASS_WH_EP_WAITING_MAX) {
        /* one endpoint's backlog never fills what this process holds:
         * the rest of it waits in the schedule */
        free(j);
        djass_wh_done(w, e, "deferred", w->conf->webhook_timeout_ms, 0, 0,
                      "");
        return;
    }

    j->e = *e;
    j->ep = ep;

    if (ep->tail) {
        ep->tail->next = j;
    } else {
        ep->head = j;
    }

    ep->tail = j;
    ep->waiting++;
    w->held++;
}


static djass_wh_job_t *
djass_wh_unqueue(djass_wh_ep_t *ep)
{
    djass_wh_job_t  *j;

    j = ep->head;
    ep->head = j->next;
    if (ep->head == NULL) {
        ep->tail = NULL;
    }

    j->next = NULL;
    ep->waiting--;
    return j;
}


/* an endpoint's waiting messages back to the schedule, in their order */
static void
djass_wh_defer(djass_wh_t *w, djass_wh_ep_t *ep, long long delay)
{
    long long        i;
    djass_wh_job_t  *j;

    for (i = 0; ep->head; i++) {
        j = djass_wh_unqueue(ep);
        djass_wh_done(w, &j->e, "deferred", delay + i, 0, 0, "");
        djass_wh_job_free(w, j);
    }
}


/* the entries held here are ours still: none looks idle to a sweep */
static void
djass_wh_touch(djass_wh_t *w)
{
    int              n, max;
    redisReply      *reply;
    const char     **argv;
    djass_wh_ep_t   *ep;
    djass_wh_job_t  *j;

    if (w->held == 0) {
        return;
    }

    max = w->held + 7;
    argv = calloc(max, sizeof(char *));
    if (argv == NULL) {
        return;
    }

    argv[0] = "XCLAIM";
    argv[1] = DJASS_WH_STREAM;
    argv[2] = DJASS_WH_GROUP;
    argv[3] = w->stream.consumer;
    argv[4] = "0";
    n = 5;

    for (j = w->flying; j && n < max - 1; j = j->next) {
        argv[n++] = j->e.id;
    }

    for (ep = w->eps; ep; ep = ep->next) {
        for (j = ep->head; j && n < max - 1; j = j->next) {
            argv[n++] = j->e.id;
        }
    }

    argv[n++] = "JUSTID";

    reply = djass_redis_argv(&w->redis, n, argv);
    if (reply) {
        freeReplyObject(reply);
    }

    free(argv);
}


/* --- an attempt ---------------------------------------------------------- */

static void
djass_wh_wake(void *data)
{
    curl_multi_wakeup(data);
}


/* an attempt that has its outcome: logged, recorded, and let go */
static void
djass_wh_ended(djass_wh_t *w, djass_wh_job_t *j, djass_sent_t *sent)
{
    int              i;
    long long        ms, delay, now;
    const char      *outcome;
    djass_wh_ep_t   *ep;
    djass_wh_job_t **pp;

    for (pp = &w->flying; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    }

    ep = j->ep;
    ep->inflight--;
    w->inflight--;

    now = djass_now_ms();
    ms = now - j->t0;
    delay = 0;

    if (sent->status >= 200 && sent->status <= 299) {
        outcome = "delivered";

    } else if (sent->status == 410) {
        outcome = "disabled";

    } else if (j->attempt < DJASS_WH_ATTEMPTS) {
        outcome = "retrying";
        delay = djass_wh_delay(w->conf, j->attempt);

    } else {
        outcome = "dropped";
    }

    if (sent->status) {
        snprintf(sent->error, sizeof(sent->error), "HTTP %ld",
                 sent->status);
    }

    /* the attempt's log lines carry the create's request id */
    djass_log_context(j->s.request_id);

    djass_log("webhook %s project %s attempt %d: %s%s in %lld ms: %s%s",
              j->f[2], j->f[3], j->attempt, sent->status ? "" : "error: ",
              sent->error, ms,
              strcmp(outcome, "disabled") == 0
              ? "410 Gone, the endpoint is now disabled" : outcome,
              strcmp(outcome, "dropped") == 0
              ? " after the last attempt, giving up" : "");

    if (delay) {
        djass_debug("webhook %s project %s: next attempt in %lld ms",
                    j->f[2], j->f[3], delay);
    }

    djass_wh_done(w, &j->e, outcome, delay, j->attempt, sent->status,
                  sent->status ? "" : sent->error);

    djass_log_context(NULL);

    ep->last = now;
    ep->timeouts = sent->timed_out ? ep->timeouts + 1 : 0;

    if (ep->timeouts >= DJASS_WH_PAUSE_AFTER) {
        delay = DJASS_WH_PAUSE_MS;
        for (i = DJASS_WH_PAUSE_AFTER; i < ep->timeouts
             && delay < DJASS_WH_PAUSE_MAX_MS; i++)
        {
            delay *= 2;
        }

        delay = delay > DJASS_WH_PAUSE_MAX_MS ? DJASS_WH_PAUSE_MAX_MS : delay;
        delay = (long long) (delay * w->conf->webhook_scale);
        delay = delay < 1 ? 1 : delay;

        ep->paused_until = now + delay;

        djass_log("webhook %s: %d attempts in a row timed out: paused for "
                  "%lld ms, its %d waiting message(s) deferred", ep->id,
                  ep->timeouts, delay, ep->waiting);

        djass_wh_defer(w, ep, delay);
    }

    djass_wh_job_free(w, j);
}


/* an attempt that ends before libcurl gets it (no address, no lookup) */
static void
djass_wh_failed(djass_wh_t *w, djass_wh_job_t *j, const char *error,
    int timed_out)
{
    djass_sent_t  sent;

    memset(&sent, 0, sizeof(djass_sent_t));
    sent.timed_out = timed_out;
    snprintf(sent.error, sizeof(sent.error), "%s", error);

    djass_wh_ended(w, j, &sent);
}


/* the addresses are known: the request goes into the multi handle */
static void
djass_wh_send(djass_wh_t *w, djass_wh_job_t *j, const djass_addrs_t *addrs)
{
    djass_sent_t  sent;

    if (djass_webhook_attempt(&j->s, &j->u, addrs,
                              j->deadline - djass_now_ms(), &j->a, &sent)
        != 0)
    {
        djass_wh_ended(w, j, &sent);
        return;
    }

    curl_easy_setopt(j->a.h, CURLOPT_PRIVATE, j);

    if (curl_multi_add_handle(w->multi, j->a.h) != CURLM_OK) {
        djass_webhook_attempt_free(&j->a);
        djass_wh_failed(w, j, "out of memory", 0);
    }
}


/*
 * A waiting message begins its attempt: webhook_begin counts it, then
 * its host is looked up (an address literal at once).  0 when it went in
 * flight (or ended), -1 when Redis did not answer (the entry stays
 * pending, and is let go here).
 */
static int
djass_wh_begin(djass_wh_t *w, djass_wh_job_t *j)
{
    char             key[160], err[512];
    size_t           i;
    redisReply      *reply, *el;
    const char      *argv[DJASS_SCRIPT_WEBHOOK_BEGIN_NARGS], *why;
    djass_addrs_t    addrs;
    struct in6_addr  a6;

    snprintf(key, sizeof(key), "djass:webhook-msg:%s", j->e.value);
    argv[DJASS_SCRIPT_WEBHOOK_BEGIN_KEY_MESSAGE] = key;

    reply = djass_redis_script(&w->redis, &djass_wh_begin_script,
                               DJASS_SCRIPT_WEBHOOK_BEGIN_NKEYS,
                               DJASS_SCRIPT_WEBHOOK_BEGIN_NARGS, argv);
    if (reply == NULL) {
        djass_wh_job_free(w, j);
        return -1;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->elements > 32)
    {
        djass_stream_failed(&w->stream, "script webhook_begin", reply);
        djass_wh_job_free(w, j);
        return -1;
    }

    j->reply = reply;
    for (i = 0; i < reply->elements; i++) {
        el = reply->element[i];
        j->f[i] = el->type == REDIS_REPLY_STRING ? el->str : "";
    }

    if (strcmp(j->f[0], "gone") == 0) {
        djass_debug("webhooks: message %s is gone (done already)",
                    j->e.value);
        djass_wh_done(w, &j->e, "skipped", 0, 0, 0, "");
        djass_wh_job_free(w, j);
        return 0;
    }

    if (strcmp(j->f[0], "skip") == 0 && reply->elements == 5) {
        djass_log("webhook %s project %s: message %s dropped: %s", j->f[3],
                  j->f[4], j->e.value, j->f[1]);
        djass_wh_done(w, &j->e, "skipped", 0, atoi(j->f[2]), 0, "");
        djass_wh_job_free(w, j);
        return 0;
    }

    if (strcmp(j->f[0], "ok") != 0
        || reply->elements != 10 + DJASS_WH_NFIELDS)
    {
        j->reply = NULL;
        djass_stream_failed(&w->stream, "script webhook_begin", reply);
        djass_wh_job_free(w, j);
        return -1;
    }

    /*
     * ok attempt endpoint project type timestamp url secret private, the
     * project's fields, request_id
     */
    j->attempt = atoi(j->f[1]);
    j->s.id = j->e.value;
    j->s.request_id = djass_wh_request_id(j->f[9 + DJASS_WH_NFIELDS]);
    j->s.url = j->f[6];
    j->s.secret = j->f[7];
    j->s.allow_private = strcmp(j->f[8], "1") == 0;
    j->s.body = djass_webhook_body(j->f[4], j->f[5], &j->f[9], &j->s.len);

    if (j->s.body == NULL) {
        djass_log("webhooks: out of memory");
        djass_wh_job_free(w, j);
        return -1;
    }

    j->t0 = djass_now_ms();
    j->deadline = j->t0 + w->conf->webhook_timeout_ms;

    j->next = w->flying;
    w->flying = j;
    j->ep->inflight++;
    w->inflight++;

    if (djass_url_parse(j->s.url, &j->u, &why) != 0) {
        djass_wh_failed(w, j, why, 0);
        return 0;
    }

    /* an address literal: no resolver is asked */
    if (inet_pton(AF_INET, j->u.host, &a6) == 1
        || inet_pton(AF_INET6, j->u.host, &a6) == 1)
    {
        if (djass_url_resolve(&j->u, j->s.allow_private, &addrs, err,
                              sizeof(err))
            != 0)
        {
            djass_wh_failed(w, j, err, 0);
            return 0;
        }

        djass_wh_send(w, j, &addrs);
        return 0;
    }

    j->lookup = djass_lookup_start(j->u.host, j->s.allow_private,
                                   djass_wh_wake, w->multi);
    if (j->lookup == NULL) {
        djass_wh_failed(w, j, "cannot start a name lookup", 0);
        return 0;
    }

    j->resolving = 1;
    return 0;
}


/* lookups that ended, or ran out of time */
static void
djass_wh_lookups(djass_wh_t *w)
{
    int              rc;
    char             err[512];
    long long        now;
    djass_addrs_t    addrs;
    djass_wh_job_t  *j, *next;

    now = djass_now_ms();

    for (j = w->flying; j; j = next) {
        next = j->next;

        if (!j->resolving) {
            continue;
        }

        if (djass_lookup_done(j->lookup, &rc, &addrs, err, sizeof(err))) {
            j->lookup = NULL;
            j->resolving = 0;

            if (rc != 0) {
                djass_wh_failed(w, j, err, 0);
            } else if (now >= j->deadline) {
                djass_wh_failed(w, j, "no time left after the name lookup",
                                1);
            } else {
                djass_wh_send(w, j, &addrs);
            }

            continue;
        }

        if (now >= j->deadline) {
            djass_lookup_abandon(j->lookup);
            j->lookup = NULL;
            j->resolving = 0;

            snprintf(err, sizeof(err), "cannot resolve %s: no answer "
                     "within %d s", j->u.host,
                     w->conf->webhook_timeout_ms / 1000);
            djass_wh_failed(w, j, err, 1);
        }
    }
}


/* transfers that ended */
static void
djass_wh_transfers(djass_wh_t *w)
{
    int              left;
    char            *p;
    CURLMsg         *m;
    djass_sent_t     sent;
    djass_wh_job_t  *j;

    while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }

        p = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
        j = (djass_wh_job_t *) p;

        djass_webhook_ended(&j->a, m->data.result, &sent);
        djass_wh_ended(w, j, &sent);
    }
}


/*
 * Waiting messages begin while there is room: each endpoint in turn (so
 * none is always first), its messages in order, at most
 * --webhook-per-endpoint of them in flight, --webhook-concurrency in all.
 */
static void
djass_wh_start(djass_wh_t *w)
{
    int              more;
    long long        now;
    djass_wh_ep_t   *ep, *start;

    now = djass_now_ms();

    do {
        more = 0;
        start = w->turn ? w->turn : w->eps;

        for (ep = start; ep && w->inflight < w->conf->webhook_concurrency; ) {
            if (djass_lookup_running() >= DJASS_LOOKUP_MAX) {
                /* lookups that do not end (a resolver gone silent) hold
                 * the rest back, not fail them: their turn comes */
                return;
            }

            if (ep->head && ep->paused_until > now) {
                djass_wh_defer(w, ep, ep->paused_until - now);

            } else if (ep->head
                       && ep->inflight < w->conf->webhook_per_endpoint)
            {
                if (djass_wh_begin(w, djass_wh_unqueue(ep)) != 0) {
                    return;
                }
                more = 1;
            }

            ep = ep->next ? ep->next : w->eps;
            w->turn = ep;
            if (ep == start) {
                break;
            }
        }

    } while (more && w->inflight < w->conf->webhook_concurrency);
}


/* new entries, and the ones of delivery processes that went silent */
static void
djass_wh_read(djass_wh_t *w, long long block)
{
    int               rc, n;
    long long         idle;
    djass_wh_entry_t  e;

    idle = (long long) w->conf->visibility_ms + w->conf->webhook_timeout_ms;

    if (djass_now_ms() >= w->stream.next_sweep) {
        rc = djass_stream_claim(&w->stream, idle, DJASS_WH_SWEEP_MS, &e);
        if (rc == 1 && !djass_wh_held(w, e.id)) {
            djass_log("webhooks: message %s taken over from a delivery "
                      "process that went silent",
                      e.value[0] ? e.value : "?");
            djass_wh_hold(w, &e);
        }
    }

    for (n = 0; n < DJASS_WH_READ_BATCH && w->held < DJASS_WH_WAITING_MAX;
         n++)
    {
        rc = djass_stream_read(&w->stream, n == 0 ? block : -1, &e);
        if (rc != 1) {
            break;
        }

        djass_wh_hold(w, &e);
    }
}


/* libcurl's turn: up to ms waiting for sockets or a lookup's end */
static void
djass_wh_service(djass_wh_t *w, int ms)
{
    int  running;

    curl_multi_poll(w->multi, NULL, 0, ms, NULL);
    curl_multi_perform(w->multi, &running);

    djass_wh_transfers(w);
    djass_wh_lookups(w);
}


int
djass_webhook_run(const djass_conf_t *conf)
{
    long long         wait, block, now;
    djass_wh_t        w;
    djass_wh_ep_t    *ep;

    memset(&w, 0, sizeof(djass_wh_t));
    w.conf = conf;
    djass_redis_init(&w.redis, conf);

    djass_stream_init(&w.stream, &w.redis);
    w.stream.stream = DJASS_WH_STREAM;
    w.stream.group = DJASS_WH_GROUP;
    w.stream.field = "message";
    w.stream.max = sizeof(((djass_wh_entry_t *) 0)->value) - 1;
    w.stream.who = "webhooks: ";

    if (djass_webhook_send_init() != 0
        || (w.multi = curl_multi_init()) == NULL)
    {
        djass_log("webhooks: libcurl did not start");
        return 1;
    }

    djass_debug("webhooks %s: waiting for messages (%d in flight at most, "
                "%d per endpoint)", w.stream.consumer,
                conf->webhook_concurrency, conf->webhook_per_endpoint);

    while (!djass_stop) {
        if (djass_redis_connect(&w.redis, 1) != 0) {
            break;
        }

        if (djass_stream_group(&w.stream) != 0) {
            continue;
        }

        now = djass_now_ms();

        if (now >= w.next_touch) {
            djass_wh_touch(&w);
            djass_wh_ep_sweep(&w, now);
            w.next_touch = now + conf->visibility_ms / 3;
        }

        if (now >= w.next_read) {
            wait = djass_wh_due(&w);
            if (w.redis.ctx == NULL) {
                continue;
            }

            /* blocked on Redis only when there is nothing to look after */
            block = -1;
            if (w.held == 0) {
                block = wait < 0 || wait > DJASS_WH_BLOCK_MS
                        ? DJASS_WH_BLOCK_MS : wait;
                /* a blocked read must end well before the command timeout */
                if (block > conf->redis_timeout_ms / 2) {
                    block = conf->redis_timeout_ms / 2;
                }
                block = block < 1 ? 1 : block;
            }

            djass_wh_read(&w, block);
            w.next_read = djass_now_ms() + (w.held ? DJASS_WH_POLL_MS / 2 : 0);
        }

        djass_wh_start(&w);

        if (w.held == 0) {
            djass_wh_ep_sweep(&w, djass_now_ms());
            continue;
        }

        djass_wh_service(&w, DJASS_WH_POLL_MS);
    }

    /* the waiting messages go back to the schedule at once; the ones in
     * flight end (within --webhook-timeout) */
    for (ep = w.eps; ep; ep = ep->next) {
        djass_wh_defer(&w, ep, 0);
    }

    while (w.inflight > 0) {
        djass_wh_service(&w, DJASS_WH_POLL_MS);
    }

    djass_wh_ep_sweep(&w, djass_now_ms() + 2LL * DJASS_WH_PAUSE_MAX_MS);

    djass_stream_leave(&w.stream);

    djass_redis_close(&w.redis);
    curl_multi_cleanup(w.multi);
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
