/*
 * djass-worker --redis ADDR --template DIR --artifacts DIR [options]:
 * turns queued projects into published ZIPs (doc/operations.md).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "conf.h"
#include "djass_curl.h"
#include "consumer.h"
#include "worker.h"
#include "log.h"
#include "rollout.h"
#include "signals.h"
#include "supervise.h"
#include "upload.h"
#include "webhook.h"


int
djass_worker_main(int argc, char **argv)
{
    int           rc;
    char          err[256];
    djass_conf_t  conf;

    rc = djass_conf_parse(argc, argv, &conf);
    if (rc != 0) {
        djass_conf_free(&conf);
        return rc > 0 ? 0 : 2;
    }

    djass_log_verbose = conf.verbose;

    /* the environment's secrets (AWS_*, DJASS_REDIS_PASSWORD) stay in
     * /proc/PID/environ whatever is unset: not dumpable, no process of
     * this user (a hook) reads it, nor its memory, and no core dump
     * holds them; a hook's exec(2) makes it dumpable again */
    if (prctl(PR_SET_DUMPABLE, 0) != 0) {
        fprintf(stderr, "djass-worker: prctl(PR_SET_DUMPABLE): %s\n",
                strerror(errno));
        djass_conf_free(&conf);
        return 2;
    }

    /* libcurl (webhooks, uploads) loaded once here, before any fork:
     * the generation children and the webhook process inherit it */
    if (djass_curl_load(err, sizeof(err)) != 0) {
        fprintf(stderr, "djass-worker: %s\n", err);
        djass_conf_free(&conf);
        return 2;
    }

    if (conf.s3 && djass_upload_s3_init(&conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "djass-worker: %s\n", err);
        djass_conf_free(&conf);
        return 2;
    }

    /* the template's version (worker/rollout.c): the consumers' unless
     * SIGHUP has them compute it again */
    if (djass_rollout_load(&conf) != 0) {
        djass_conf_free(&conf);
        return 2;
    }

    djass_signals_init();
    srand((unsigned) getpid() ^ (unsigned) time(NULL));

    djass_log("starting: redis %s, template %s (version %s), artifacts %s, %d "
              "process(es), visibility timeout %d s, max attempts %d, "
              "render limits %d s, %d MB memory%s, %d MB output",
              conf.redis, conf.template_dir, djass_template_current,
              conf.artifacts_url ? conf.artifacts_url : conf.artifacts_dir,
              conf.concurrency, conf.visibility_ms / 1000,
              conf.max_attempts, conf.limits.timeout_s,
              conf.limits.memory_mb,
              djass_limits_memory_enforced() ? "" : " (not enforced under "
                                                    "ASan)",
              conf.limits.output_mb);

    if (conf.redis_wait) {
        djass_log("records wait for %d replica(s) to confirm them (WAIT, "
                  "%d ms)", conf.redis_wait, conf.redis_wait_timeout_ms);
    }

    djass_log("projects are rendered in %s/.tmp (--work-dir); .py hooks %s",
              conf.work_dir ? conf.work_dir : conf.artifacts_dir,
              conf.no_hook_server ? "each in a fresh interpreter "
                                    "(--no-hook-server)"
                                  : "through a hook server per process");

    if (conf.concurrency > 1) {
        rc = djass_supervise(&conf);

    } else {
        /* one consumer: it is this process, its webhook delivery process
         * is its child */
        djass_webhook_child_start(&conf);
        rc = djass_consumer_run(&conf);
        djass_webhook_child_stop();
    }

    djass_log("stopped%s", rc == 0 ? "" : " with errors");
    djass_conf_free(&conf);
    return rc;
}
