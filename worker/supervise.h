/*
 * --concurrency N: a supervisor process that runs N consumers, restarts
 * one that dies, and passes stop signals on.
 */

#ifndef DJASS_SUPERVISE_H
#define DJASS_SUPERVISE_H

#include "conf.h"


/* returns the exit code: 0 when every consumer stopped cleanly */
int djass_supervise(const djass_conf_t *conf);

#endif /* DJASS_SUPERVISE_H */
