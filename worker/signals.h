/*
 * SIGTERM and SIGINT ask the worker to stop: the current job is finished,
 * then the process exits 0.  A second signal stops waiting for Redis too.
 */

#ifndef DJASS_SIGNALS_H
#define DJASS_SIGNALS_H

#include <signal.h>


/* how many stop signals arrived */
extern volatile sig_atomic_t  djass_stop;

/* installs the handlers (no SA_RESTART: a wait returns early) */
void djass_signals_init(void);

/* a job's child process: stop signals are the parent's business */
void djass_signals_ignore(void);

#endif /* DJASS_SIGNALS_H */
