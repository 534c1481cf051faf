/*
 * The consumer loop.  XREADGROUP blocks for at most a second, so a stop
 * signal is seen within a second when idle; during a job it is seen when
 * the job is done.
 */

#include <string.h>

#include "consumer.h"
#include "job.h"
#include "log.h"
#include "queue.h"
#include "redis_util.h"
#include "rollout.h"
#include "signals.h"
#include "sweep.h"
#include "webhook.h"


#define DJASS_BLOCK_MS   1000


int
djass_consumer_run(const djass_conf_t *conf)
{
    int            rc, block;
    djass_job_t    job;
    djass_redis_t  redis;
    djass_queue_t  queue;

    djass_redis_init(&redis, conf);
    djass_queue_init(&queue, &redis);

    /* a blocked read must end well before the command timeout */
    block = conf->redis_timeout_ms / 2 < DJASS_BLOCK_MS
            ? conf->redis_timeout_ms / 2 : DJASS_BLOCK_MS;

    djass_debug("consumer %s: waiting for jobs", queue.stream.consumer);

    while (!djass_stop) {
        /* without a supervisor: the webhook process, restarted if it died */
        djass_webhook_child_check();

        if (djass_redis_connect(&redis, 1) != 0) {
            break;
        }

        /* --retention: one turn of the fleet's sweep, if this process
         * holds the lease (worker/sweep.c) */
        djass_sweep_tick(&queue);

        /* SIGHUP: the template's version again (worker/rollout.c) */
        if (djass_reload_template) {
            djass_reload_template = 0;
            (void) djass_rollout_load(conf);
        }

        rc = djass_queue_next(&queue, &job, block);

        if (rc == 1 && djass_rollout_take(&queue, &job)) {
            djass_job_run(&queue, &job);

        } else if (rc == 0 && redis.ctx == NULL) {
            /* the connection died under the read: back off */
            continue;
        }
    }

    djass_queue_leave(&queue);
    djass_redis_close(&redis);

    djass_debug("consumer %s: stopped", queue.stream.consumer);
    return 0;
}
