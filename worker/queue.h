/*
 * The job stream djass:jobs, read through the consumer group
 * djass-workers: new jobs with XREADGROUP, and jobs whose worker went
 * silent for the visibility timeout taken over with XAUTOCLAIM.
 */

#ifndef DJASS_QUEUE_H
#define DJASS_QUEUE_H

#include "redis_util.h"
#include "stream.h"


#define DJASS_STREAM   "djass:jobs"
#define DJASS_GROUP    "djass-workers"


typedef struct {
    char       entry[64];       /* the stream entry id */
    char       project[24];     /* its project field: digits, or "" */
    char       request_id[129]; /* the create's X-Request-Id, or "" */
    char       template_version[65];   /* validated against, or "" */
    int        manifest;        /* djass_manifest: 1 on; 0 off or not said
                                   (a job from an nginx without it) */
    int        reclaimed;       /* taken over from a silent worker */
} djass_job_t;


typedef struct {
    djass_redis_t  *redis;
    djass_stream_t  stream;         /* djass:jobs, its group, our name */
} djass_queue_t;


void djass_queue_init(djass_queue_t *q, djass_redis_t *redis);

/* 1: *job is set; 0: no job within block_ms; -1: Redis is unavailable */
int djass_queue_next(djass_queue_t *q, djass_job_t *job, int block_ms);

/* keeps a job of ours from looking silent: resets its idle time, if it is
 * still ours; 1 if it is, 0 if another worker took it, -1 on no Redis */
int djass_queue_touch(djass_queue_t *q, const djass_job_t *job);

/* acknowledges and deletes an entry that is no job (no project id) */
int djass_queue_drop(djass_queue_t *q, const djass_job_t *job);

/* forgets this consumer in the group when it holds no pending job */
void djass_queue_leave(djass_queue_t *q);

#endif /* DJASS_QUEUE_H */
