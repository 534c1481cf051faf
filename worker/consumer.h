/*
 * A consumer: one process taking jobs one at a time until asked to stop.
 */

#ifndef DJASS_CONSUMER_H
#define DJASS_CONSUMER_H

#include "conf.h"


/* returns the process's exit code: 0 after a stop signal */
int djass_consumer_run(const djass_conf_t *conf);

#endif /* DJASS_CONSUMER_H */
