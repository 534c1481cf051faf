/*
 * A Redis stream read through a consumer group, the way the job queue
 * (queue.c) and the webhook delivery (webhook.c) read theirs: new entries
 * with XREADGROUP, and entries whose reader went silent taken over with
 * XAUTOCLAIM, one at a time.  An entry carries one field of interest (the
 * job's "project", the delivery's "message").
 */

#ifndef DJASS_STREAM_H
#define DJASS_STREAM_H

#include <stddef.h>

#include "redis_util.h"


typedef struct {
    djass_redis_t  *redis;
    const char     *stream;         /* the stream's key */
    const char     *group;          /* its consumer group */
    const char     *field;          /* the field an entry is read for */
    const char     *accept;         /* the bytes its value may have, or
                                     * NULL: any */
    size_t          max;            /* its longest value, < 128 */
    const char     *who;            /* the log lines' prefix, or "" */
    char            consumer[320];  /* host:pid, unique in the group */
    char            cursor[64];     /* where the reclaim sweep goes on */
    unsigned long   group_conn;     /* the connection that saw the group */
    long long       next_sweep;     /* ms */
} djass_stream_t;


typedef struct {
    char   id[64];                  /* the stream entry id */
    char   value[128];              /* the field's value, or "" */
    char   request_id[129];         /* its "request_id" field (the
                                     * create's X-Request-Id), or "" */
    char   template_version[65];    /* its "template_version" field (64
                                     * hex digits), or "" */
    int    manifest;                /* its "manifest" field: 1 "1", 0 "0",
                                     * -1 none */
} djass_stream_entry_t;


/* s->stream, group, field, accept, max and who are the caller's to set */
void djass_stream_init(djass_stream_t *s, djass_redis_t *redis);

/*
 * The group, created from id 0 (not "$": entries added before the first
 * reader ever started are then not skipped) once per connection: 0, or -1
 * when it could not be made (logged, and a second slept unless Redis is
 * gone).
 */
int djass_stream_group(djass_stream_t *s);

/*
 * One step of the sweep over the group's pending entries: 1 and *e, an
 * entry idle for idle_ms, now ours; 0, none this step (at the sweep's end
 * the next one starts in sweep_ms); -1, no Redis.  Redis 7 looks at no
 * more than 10 * COUNT entries per call, so the cursor goes on next time.
 */
int djass_stream_claim(djass_stream_t *s, long long idle_ms,
    long long sweep_ms, djass_stream_entry_t *e);

/* 1 and *e: a new entry; 0: none within block_ms (< 0: none now);
 * -1: no Redis */
int djass_stream_read(djass_stream_t *s, long long block_ms,
    djass_stream_entry_t *e);

/* an unexpected reply (freed here): logged, and a second slept; NOGROUP
 * (Redis came back without its data) has the group made again */
void djass_stream_failed(djass_stream_t *s, const char *cmd,
    redisReply *reply);

/* forgets this consumer in the group when it holds no pending entry */
void djass_stream_leave(djass_stream_t *s);

#endif /* DJASS_STREAM_H */
