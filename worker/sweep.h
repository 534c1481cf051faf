/*
 * The retention sweep (djass-worker --retention DURATION): between jobs,
 * each worker process asks for the fleet's one sweeper lease and, while
 * it holds it, deletes finished projects older than DURATION in bounded
 * batches (redis/record_expire.lua), exactly as DELETE does.
 */

#ifndef DJASS_SWEEP_H
#define DJASS_SWEEP_H

#include "queue.h"


#define DJASS_SWEEP_BATCH      100     /* projects per script call */
#define DJASS_SWEEP_BATCHES    10      /* calls per turn, at most */
#define DJASS_SWEEP_EVERY_MS   1000    /* a turn at most this often, unless
                                          the last one left more */
#define DJASS_SWEEP_LEASE_MS   10000   /* the lease lasts this unless
                                          renewed */


/* one turn of the sweep, when --retention is on and it is time */
void djass_sweep_tick(djass_queue_t *q);

#endif /* DJASS_SWEEP_H */
