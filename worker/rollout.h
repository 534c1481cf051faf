/*
 * Template versions during a roll-out (README.md, "Operations"): a job
 * carries the template version nginx validated it against; a worker with
 * another one leaves the job to a worker that has it, and renders it with
 * its own only once the job is older than the visibility timeout (no such
 * worker took it).  The record then says the version it was made from.
 */

#ifndef DJASS_ROLLOUT_H
#define DJASS_ROLLOUT_H

#include "conf.h"
#include "queue.h"


/* the version this process renders with: 64 hex digits, "" until loaded */
extern char  djass_template_current[65];

/* computes it from --template (at start; again after SIGHUP): 0, or -1
 * with the reason logged (the version known before, if any, stays) */
int djass_rollout_load(const djass_conf_t *conf);

/* 1: render the job here; 0: left for a worker with its version (logged
 * once per job), or no longer ours, or no Redis */
int djass_rollout_take(djass_queue_t *q, const djass_job_t *job);

#endif /* DJASS_ROLLOUT_H */
