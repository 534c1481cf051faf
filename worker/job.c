/*
 * A job, from "generating" to "ready" or "failed".
 *
 * Redis may go away at any step: the worker then waits for it, with
 * backoff, and carries on where it was; the outcome of a finished render
 * is kept and written once Redis is back, so no finished work is thrown
 * away.  A stop signal gives up waiting before a render starts, a second
 * one also after it: the job then stays pending and is redone.
 *
 * The artifact store may fail too (full, over quota, I/O errors, read
 * only): that is not the project's fault, so the job is kept, its
 * heartbeat goes on, and it is redone with backoff within the same
 * attempt until the store works again.  Meanwhile this worker takes no
 * other job.  The store's failure and its recovery are logged once each.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "generate.h"
#include "job.h"
#include "log.h"
#include "publish.h"
#include "record.h"
#include "signals.h"
#include "store.h"
#include "upload.h"


#define DJASS_SCRIPT_RETRIES     3
#define DJASS_STORE_RETRY_MIN    1000    /* ms, doubling ... */
#define DJASS_STORE_RETRY_MAX    60000   /* ... up to this */
#define DJASS_CONFIRM_RETRY_MIN  250     /* ms, doubling ... */
#define DJASS_CONFIRM_RETRY_MAX  5000    /* ... up to this */


/* ms since when the artifact store fails in this process; 0: it works */
static long long  djass_store_down_since;


typedef struct {
    djass_queue_t       *queue;
    const djass_job_t   *job;
    int                  lost;       /* another worker took the job */
} djass_beat_t;


/* what the steps that talk to Redis need */
typedef struct {
    const djass_job_t     *job;
    djass_start_t         *start;
    const djass_finish_t  *finish;
    int                    attempt;
} djass_job_args_t;


static void djass_job_steps(djass_queue_t *q, const djass_job_t *job,
    long long t0);


/* the heartbeat, while the child generates */
static void
djass_job_beat(void *data)
{
    djass_beat_t  *b = data;

    if (djass_redis_try(b->queue->redis) != 0) {
        return;
    }

    if (djass_queue_touch(b->queue, b->job) == 0 && !b->lost) {
        b->lost = 1;
        djass_log("project %s: another worker took the job over",
                  b->job->project);
    }
}


/*
 * Runs step until it reaches Redis (returns >= 0).  Waits for Redis while
 * djass_stop < stop_at; a script error with Redis up is retried a few
 * times only.  A record the replicas did not confirm (--redis-wait) is
 * written again, with backoff and the job's heartbeat going, as long as
 * that lasts: the record scripts take their own earlier result as done.
 * -1 when it gave up.
 */
static int
djass_job_redis(djass_queue_t *q, const djass_job_t *job, int stop_at,
    int (*step)(djass_queue_t *q, void *data), void *data)
{
    int  rc, errors, delay;

    delay = DJASS_CONFIRM_RETRY_MIN;

    for (errors = 0; errors < DJASS_SCRIPT_RETRIES; ) {
        if (djass_redis_connect(q->redis, stop_at) != 0) {
            return -1;
        }

        rc = step(q, data);
        if (rc >= 0) {
            return rc;
        }

        if (q->redis->unconfirmed) {
            if (djass_stop >= stop_at) {
                return -1;
            }

            djass_redis_sleep(delay, stop_at);
            delay = delay * 2 < DJASS_CONFIRM_RETRY_MAX
                    ? delay * 2 : DJASS_CONFIRM_RETRY_MAX;

            /* a job not yet acknowledged stays ours meanwhile */
            if (q->redis->ctx) {
                (void) djass_queue_touch(q, job);
            }

            continue;
        }

        if (q->redis->ctx) {
            errors++;
            djass_redis_sleep(1000, stop_at);
        }
    }

    return -1;
}


static int
djass_job_drop_step(djass_queue_t *q, void *data)
{
    return djass_queue_drop(q, data);
}


static int
djass_job_start_step(djass_queue_t *q, void *data)
{
    djass_job_args_t  *a = data;

    return djass_record_start(q, a->job, a->start);
}


static int
djass_job_owned_step(djass_queue_t *q, void *data)
{
    djass_job_args_t  *a = data;

    return djass_record_owned(q, a->job, a->attempt);
}


static int
djass_job_finish_step(djass_queue_t *q, void *data)
{
    djass_job_args_t  *a = data;

    return djass_record_finish(q, a->job, a->attempt, a->finish);
}


/*
 * i22-delete: the project is gone (DELETE or retention): what any attempt
 * left in .tmp/ and the artifact in the store are removed, then the job is
 * dropped.  The job stays pending until then: a worker that dies before
 * leaves it to the reclaim sweep, which removes them again.  0: done; -1:
 * the store or Redis failed (logged), the job stays pending.
 */
static int
djass_job_remove(djass_queue_t *q, const djass_job_t *job)
{
    char                 err[256];
    const djass_conf_t  *conf;

    conf = q->redis->conf;

    djass_publish_forget(conf->artifacts_dir, conf->work_dir, job->project);
    djass_store_crash_point("recorded");

    if (djass_store_remove(conf, job->project, err, sizeof(err)) != 0) {
        djass_log("project %s: deleted, but its artifact could not be "
                  "removed yet: %s; the job stays pending and is retried",
                  job->project, err);
        return -1;
    }

    return djass_job_redis(q, job, 1, djass_job_drop_step, (void *) job) < 0
           ? -1 : 0;
}


/* i13-fleet: the heartbeat between upload tries; nonzero: job lost */
static int
djass_job_upload_tick(void *data)
{
    djass_beat_t  *b = data;

    djass_job_beat(b);
    return b->lost;
}


/*
 * render, zip, publish; fills f (error_message points into res->error).
 * 0: f is filled; -1: another worker owns the job; -2: the project was
 * deleted meanwhile (nothing published); 1: the artifact store failed
 * (*store_errno), the job is to be redone.
 */
static int
djass_job_generate(djass_queue_t *q, const djass_job_t *job,
    djass_job_args_t *a, const char *payload, djass_publish_t *p,
    djass_generate_t *res, djass_finish_t *f, djass_beat_t *beat,
    int *store_errno)
{
    int                  tick;
    const djass_conf_t  *conf;

    conf = q->redis->conf;
    memset(f, 0, sizeof(djass_finish_t));
    memset(res, 0, sizeof(djass_generate_t));

    if (djass_publish_prepare(conf->artifacts_dir, conf->work_dir,
                              job->project, a->attempt, p, res->error,
                              sizeof(res->error))
        != 0)
    {
        if (djass_store_transient(errno)) {
            *store_errno = errno;
            return 1;
        }

        f->error_message = res->error;
        return 0;
    }

    tick = conf->visibility_ms / 3 > 0 ? conf->visibility_ms / 3 : 1;

    (void) djass_generate(conf, payload, p, res, tick, djass_job_beat, beat);

    if (!res->ok && res->store_errno) {
        *store_errno = res->store_errno;
        return 1;
    }

    if (!res->ok) {
        f->error_message = res->error;
        return 0;
    }

    /* a worker that was silent too long must not replace the artifact of
     * the one that took its job over; a deleted project gets none */
    if (beat->lost) {
        return -1;
    }

    switch (djass_job_redis(q, job, 1, djass_job_owned_step, a)) {
    case 0:
        return -1;
    case 2:
        return -2;
    }

    /* i13-fleet: an HTTP store gets the ZIP by PUT (worker/upload.c),
     * retried while the store is down; a folder gets it by rename */
    if (conf->artifacts_url) {
        switch (djass_upload_publish(conf, p->zip, p->rel, res->size,
                                     djass_job_upload_tick, beat,
                                     res->error, sizeof(res->error)))
        {
        case 0:
            break;

        case 1:
            f->error_message = res->error;
            return 0;

        default:
            return -1;
        }

    } else if (djass_publish_commit(conf->artifacts_dir, p, res->error,
                                    sizeof(res->error))
               != 0)
    {
        if (djass_store_transient(errno)) {
            *store_errno = errno;
            return 1;
        }

        f->error_message = res->error;
        return 0;
    }

    /* the crash tests' first order: in the store, not yet recorded */
    djass_store_crash_point("published");

    f->artifact = p->rel;
    f->artifact_size = res->size;
    f->artifact_sha256 = res->sha256;

    return 0;
}


static void
djass_job_store_failing(const djass_job_t *job, int e, int delay)
{
    if (djass_store_down_since == 0) {
        djass_store_down_since = djass_now_ms();
        djass_log("artifact store: %s; jobs are kept and retried (every "
                  "%d s at most), and no new job is taken until it works "
                  "again", strerror(e), DJASS_STORE_RETRY_MAX / 1000);
    }

    djass_debug("project %s: the artifact store failed (%s); again in "
                "%d ms", job->project, strerror(e), delay);
}


static void
djass_job_store_works(void)
{
    if (djass_store_down_since != 0) {
        djass_log("artifact store: works again after %lld s",
                  (djass_now_ms() - djass_store_down_since + 999) / 1000);
        djass_store_down_since = 0;
    }
}


/* waits ms with the job's heartbeat going; -1 when a stop signal came or
 * another worker took the job over */
static int
djass_job_wait(djass_queue_t *q, djass_beat_t *beat, int ms)
{
    int        tick, step;
    long long  end, left;

    tick = q->redis->conf->visibility_ms / 3 > 0
           ? q->redis->conf->visibility_ms / 3 : 1;
    end = djass_now_ms() + ms;

    for ( ;; ) {
        if (djass_stop || beat->lost) {
            return -1;
        }

        left = end - djass_now_ms();
        if (left <= 0) {
            return 0;
        }

        step = left < tick ? (int) left : tick;
        djass_redis_sleep(step, 1);
        djass_job_beat(beat);
    }
}


/* the project was deleted while this worker generated it */
static void
djass_job_cancelled(djass_queue_t *q, const djass_job_t *job, long long t0,
    int attempt)
{
    djass_log("project %s: deleted while generating: cancelled after %lld "
              "ms (attempt %d)%s", job->project, djass_now_ms() - t0,
              attempt, djass_job_remove(q, job) == 0
                       ? "; nothing of it is left in the store" : "");
}


static void
djass_job_started(djass_queue_t *q, const djass_job_t *job,
    djass_start_t *st, long long t0)
{
    int                rc, delay, e;
    long long          t1;
    djass_beat_t       beat;
    djass_finish_t     f;
    djass_publish_t    p;
    djass_job_args_t   a;
    djass_generate_t   res;

    memset(&a, 0, sizeof(djass_job_args_t));
    memset(&p, 0, sizeof(djass_publish_t));
    memset(&res, 0, sizeof(djass_generate_t));
    a.job = job;
    a.attempt = st->attempt;
    beat.queue = q;
    beat.job = job;
    beat.lost = 0;

    djass_debug("project %s: generating (attempt %d%s)", job->project,
                st->attempt, job->reclaimed ? ", taken over" : "");

    for (delay = DJASS_STORE_RETRY_MIN; ; ) {
        e = 0;
        t1 = djass_now_ms();
        rc = djass_job_generate(q, job, &a, st->payload, &p, &res, &f, &beat,
                                &e);

        /* what a failed try wrote is removed before the next one */
        djass_publish_discard(&p);

        if (rc != 1) {
            break;
        }

        djass_job_store_failing(job, e, delay);

        if (djass_job_wait(q, &beat, delay) != 0) {
            if (beat.lost) {
                rc = -1;
                break;
            }

            djass_log("project %s: stopped after %lld ms (attempt %d) "
                      "while the artifact store failed; the job will be "
                      "redone", job->project, djass_now_ms() - t0,
                      st->attempt);
            return;
        }

        delay = delay * 2 < DJASS_STORE_RETRY_MAX ? delay * 2
                                                  : DJASS_STORE_RETRY_MAX;
    }

    if (rc == 0 && f.error_message == NULL) {
        djass_job_store_works();
    }

    if (rc == -2) {
        djass_job_cancelled(q, job, t0, st->attempt);
        return;
    }

    if (rc != 0) {
        djass_log("project %s: superseded after %lld ms (attempt %d): "
                  "another worker owns the job", job->project,
                  djass_now_ms() - t0, st->attempt);
        return;
    }

    /* the render's time: its last try, not the store's outage before it */
    f.duration_ms = djass_now_ms() - t1;
    a.finish = &f;
    rc = djass_job_redis(q, job, 2, djass_job_finish_step, &a);

    if (rc < 0 && q->redis->unconfirmed) {
        djass_log("project %s: stopped after %lld ms (attempt %d) before "
                  "replicas confirmed its record: the master has it; a "
                  "failover before they do has the job redone",
                  job->project, djass_now_ms() - t0, st->attempt);

    } else if (rc < 0) {
        djass_log("project %s: stopped after %lld ms (attempt %d) without "
                  "reaching Redis; the job will be redone", job->project,
                  djass_now_ms() - t0, st->attempt);

    } else if (rc == 0) {
        djass_log("project %s: superseded after %lld ms (attempt %d): "
                  "another worker owns the job", job->project,
                  djass_now_ms() - t0, st->attempt);

    } else if (rc == 2) {
        djass_job_cancelled(q, job, t0, st->attempt);

    } else if (f.error_message == NULL) {
        djass_log("project %s: ready in %lld ms (attempt %d, %lld bytes)",
                  job->project, djass_now_ms() - t0, st->attempt,
                  f.artifact_size);

    } else {
        djass_log("project %s: failed in %lld ms (attempt %d): %s",
                  job->project, djass_now_ms() - t0, st->attempt,
                  f.error_message);
    }
}


void
djass_job_run(djass_queue_t *q, const djass_job_t *job)
{
    long long  t0;

    t0 = djass_now_ms();

    djass_log_context(job->request_id);
    djass_job_steps(q, job, t0);
    djass_log_context(NULL);
}


static void
djass_job_steps(djass_queue_t *q, const djass_job_t *job, long long t0)
{
    djass_start_t     st;
    djass_job_args_t  a;

    if (job->project[0] == '\0') {
        if (djass_job_redis(q, job, 1, djass_job_drop_step, (void *) job)
            >= 0)
        {
            djass_log("job %s: no project id in the entry; dropped",
                      job->entry);
        }
        return;
    }

    memset(&a, 0, sizeof(djass_job_args_t));
    memset(&st, 0, sizeof(djass_start_t));
    a.job = job;
    a.start = &st;

    if (djass_job_redis(q, job, 1, djass_job_start_step, &a) < 0) {
        return;
    }

    if (st.outcome != DJASS_START_STARTED
        && st.outcome != DJASS_START_GONE)
    {
        /* no new attempt: what killed attempts left is removed here */
        djass_publish_forget(q->redis->conf->artifacts_dir,
                             q->redis->conf->work_dir, job->project);
    }

    switch (st.outcome) {

    case DJASS_START_STARTED:
        djass_job_started(q, job, &st, t0);
        break;

    case DJASS_START_DONE:
        djass_log("project %s: already finished; job acknowledged",
                  job->project);
        break;

    case DJASS_START_GONE:
        /* deleted (or never there): its artifact, if any, goes too */
        if (djass_job_remove(q, job) == 0) {
            djass_log("project %s: no such project (deleted); nothing of it "
                      "is left in the store; job dropped", job->project);
        }
        break;

    case DJASS_START_EXHAUSTED:
        djass_log("project %s: failed in %lld ms: interrupted %d times; "
                  "giving up", job->project, djass_now_ms() - t0,
                  st.attempt);
        break;
    }

    free(st.payload);
}
