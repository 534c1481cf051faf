/*
 * One job's life: the record goes generating, the project is rendered and
 * zipped in a child process, the ZIP is published, the record goes ready
 * or failed and the job is acknowledged.  One log line tells the outcome.
 */

#ifndef DJASS_JOB_H
#define DJASS_JOB_H

#include "queue.h"


void djass_job_run(djass_queue_t *q, const djass_job_t *job);

#endif /* DJASS_JOB_H */
