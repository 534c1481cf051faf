/*
 * SIGTERM and SIGINT ask the worker to stop: the current job is finished,
 * then the process exits 0.  A second signal stops waiting for Redis too.
 */

#ifndef DJASS_SIGNALS_H
#define DJASS_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

#include "conf.h"


/* how many stop signals arrived */
extern volatile sig_atomic_t  djass_stop;

/* SIGHUP arrived: re-read what can be re-read (the S3 credentials) */
extern volatile sig_atomic_t  djass_reload;

/* SIGHUP arrived: the consumer computes its template version again */
extern volatile sig_atomic_t  djass_reload_template;

/* installs the handlers (no SA_RESTART: a wait returns early) */
void djass_signals_init(void);

/* a job's child process: stop signals are the parent's business */
void djass_signals_ignore(void);

/*
 * forks a child that runs run(conf) and exits with its code; the child
 * gets SIGTERM when its parent dies (and exits at once if the parent is
 * gone already), and seeds rand() of its own.  The child's pid, or -1.
 */
pid_t djass_signals_fork(const djass_conf_t *conf,
    int (*run)(const djass_conf_t *conf));

#endif /* DJASS_SIGNALS_H */
