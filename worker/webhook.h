/*
 * The webhook delivery process: a process of its own beside the render
 * processes (a slow endpoint never holds a render slot), started by the
 * supervisor with --concurrency N, or by the single consumer as its child.
 * It reads messages from the stream djass:webhooks through the consumer
 * group djass-webhooks, makes one attempt each, and schedules retries in
 * djass:webhooks:retry (doc/redis-layout.md).
 */

#ifndef DJASS_WEBHOOK_H
#define DJASS_WEBHOOK_H

#include <sys/types.h>

#include "conf.h"


#define DJASS_WH_STREAM     "djass:webhooks"
#define DJASS_WH_GROUP      "djass-webhooks"
#define DJASS_WH_SCHEDULE   "djass:webhooks:retry"
#define DJASS_WH_ATTEMPTS   8


/* the delivery loop, until SIGTERM; returns the exit code */
int djass_webhook_run(const djass_conf_t *conf);

/* forks a delivery process (it gets SIGTERM when its parent dies);
 * the child's pid, or -1 */
pid_t djass_webhook_fork(const djass_conf_t *conf);

/*
 * Without a supervisor (--concurrency 1) the consumer keeps its delivery
 * process itself: start it, look after it now and then (restarted when it
 * died), and stop it (SIGTERM, then wait) when the consumer stops.
 */
void djass_webhook_child_start(const djass_conf_t *conf);
void djass_webhook_child_check(void);
void djass_webhook_child_stop(void);

#endif /* DJASS_WEBHOOK_H */
