/*
 * The project record djass:project:<id> and its status changes.  Each
 * change is one Lua script: it writes the status and moves the id between
 * the per-status sorted sets in the same atomic step, and the final ones
 * (ready, failed) acknowledge the job in the same step too, so a job is
 * never acknowledged before its record says how it ended.
 */

#ifndef DJASS_RECORD_H
#define DJASS_RECORD_H

#include "queue.h"


typedef enum {
    DJASS_START_STARTED = 0,    /* generating now, attempt and payload set */
    DJASS_START_DONE,           /* already ready or failed: acknowledged */
    DJASS_START_GONE,           /* no such project: acknowledged */
    DJASS_START_EXHAUSTED       /* too many attempts: now failed */
} djass_start_e;


typedef struct {
    djass_start_e   outcome;
    int             attempt;
    char           *payload;     /* malloc'd input_payload JSON */
    char           *name;        /* malloc'd, the record's; "" if not */
    char           *slug;        /* malloc'd */
    long long       created_at;  /* Unix seconds, 0 if not known */
    /* issue 25: an upgrade's parent (worker/gitstore.c), "" if none */
    char            parent_commit[48];
    char            upgraded_from[24];
} djass_start_t;


typedef struct {
    const char  *artifact;       /* relative path, NULL when failed */
    long long    artifact_size;
    const char  *artifact_sha256;
    const char  *error_message;  /* NULL when ready */
    const char  *git_commit;     /* issue 25: when ready, or NULL */
    const char  *git_pack;
    long long    duration_ms;    /* the render's, for the fleet's figures */
} djass_finish_t;


/*
 * queued (or generating, on a redo) -> generating, counted as an attempt
 * (and a reclaim, if job->reclaimed) in djass:stats; 0, or -1 on no Redis.
 * -1 also when --redis-wait's replicas did not confirm: st->outcome and
 * st->attempt then say what the master has, and a call again with them
 * takes that attempt up again instead of counting another.  Zero *st
 * before the first call.
 */
int djass_record_start(djass_queue_t *q, const djass_job_t *job,
    djass_start_t *st);

/* 1: the record still says generating with our attempt; 0: no (another
 * worker took the job over); -1: no Redis */
int djass_record_owned(djass_queue_t *q, const djass_job_t *job,
    int attempt);

/* generating -> ready | failed, and the job is acknowledged (f's duration
 * and job->request_id go to djass:stats and the webhook messages); returns
 * 1 (also when the record already says so: a call again after -1), 0 when
 * another worker owns the job now (nothing written), -1 on no Redis or
 * when --redis-wait's replicas did not confirm */
int djass_record_finish(djass_queue_t *q, const djass_job_t *job,
    int attempt, const djass_finish_t *f);

#endif /* DJASS_RECORD_H */
