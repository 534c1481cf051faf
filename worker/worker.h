/*
 * `djass-worker --redis ...`: the job consumer (worker/worker.c).
 */

#ifndef DJASS_WORKER_H
#define DJASS_WORKER_H

/* parses the options, then consumes jobs until a stop signal; the exit
 * status: 0, or 2 on a bad command line */
int djass_worker_main(int argc, char **argv);

#endif /* DJASS_WORKER_H */
